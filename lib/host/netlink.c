// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rtnetlink on a raw socket: one request at a time, replies read until the
 * ack.  NETLINK_EXT_ACK (4.12+) makes the kernel attach a text to errors;
 * NETLINK_CAP_ACK (4.3+) stops it from echoing our whole request back.  Both
 * are best effort: an older kernel refuses the setsockopt and we go on.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sys/error.h"
#include "netlink.h"

#define RECV_BUF (64 * 1024)

int wd_nl_open(struct wd_nl *nl)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1;
	memset(nl, 0, sizeof(*nl));
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd < 0)
		return wd_err(-errno, "netlink socket: %s", strerror(errno));
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;
		close(nl->fd);
		nl->fd = -1;
		return wd_err(err, "netlink bind: %s", strerror(-err));
	}
	/* best effort: 4.12 for extended acks, 4.3 for capped acks */
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->seq = (uint32_t)getpid() << 8;
	return 0;
}

int wd_nl_open_netns(struct wd_nl *nl, int netns_fd)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), err;
	if (self < 0)
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return wd_err(-errno, "open own netns: %s", strerror(errno));
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		err = -errno;
		close(self);
		return wd_err(err, "enter netns: %s", strerror(-err));
	}
	err = wd_nl_open(nl);
	if (setns(self, CLONE_NEWNET) < 0) /* cannot happen: we were just there */
		wd_debug("netlink: could not return to the original netns: %s", strerror(errno));
	close(self);
	return err;
}

void wd_nl_close(struct wd_nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

/* ---- building a request ------------------------------------------------- */

void *wd_nl_msg_init(struct wd_nl_msg *m, uint16_t type, uint16_t flags, size_t hdrlen)
{
	memset(m, 0, sizeof(*m));
	m->nh.nlmsg_len = NLMSG_LENGTH(hdrlen);
	m->nh.nlmsg_type = type;
	m->nh.nlmsg_flags = NLM_F_REQUEST | flags;
	return NLMSG_DATA(&m->nh);
}

static struct nlattr *msg_tail(struct wd_nl_msg *m)
{
	return (struct nlattr *)(m->buf + NLMSG_ALIGN(m->nh.nlmsg_len));
}

void wd_nl_put(struct wd_nl_msg *m, uint16_t type, const void *data, size_t len)
{
	size_t need = NLMSG_ALIGN(m->nh.nlmsg_len) + NLA_ALIGN(NLA_HDRLEN + len);
	struct nlattr *a;
	if (need > sizeof(m->buf)) {
		m->overflow = true;
		return;
	}
	a = msg_tail(m);
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	m->nh.nlmsg_len = need;
}

void wd_nl_put_u32(struct wd_nl_msg *m, uint16_t type, uint32_t v)
{
	wd_nl_put(m, type, &v, sizeof(v));
}

void wd_nl_put_str(struct wd_nl_msg *m, uint16_t type, const char *s)
{
	wd_nl_put(m, type, s, strlen(s) + 1);
}

struct nlattr *wd_nl_nest_begin(struct wd_nl_msg *m, uint16_t type)
{
	struct nlattr *nest = msg_tail(m);
	wd_nl_put(m, type | NLA_F_NESTED, NULL, 0);
	return m->overflow ? NULL : nest;
}

void wd_nl_nest_end(struct wd_nl_msg *m, struct nlattr *nest)
{
	if (nest)
		nest->nla_len = (char *)msg_tail(m) - (char *)nest;
}

/* ---- attributes --------------------------------------------------------- */

void wd_nl_parse(const struct nlattr **tb, int max, const void *attrs, size_t len)
{
	const struct nlattr *a = attrs;
	memset(tb, 0, sizeof(*tb) * (max + 1));
	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len) {
		int type = a->nla_type & NLA_TYPE_MASK;
		if (type <= max)
			tb[type] = a;
		size_t step = NLA_ALIGN(a->nla_len);
		if (step >= len)
			break;
		len -= step;
		a = (const struct nlattr *)((const char *)a + step);
	}
}

void wd_nl_parse_msg(const struct nlattr **tb, int max, const struct nlmsghdr *nh,
		     size_t hdrlen)
{
	size_t off = NLMSG_LENGTH(NLMSG_ALIGN(hdrlen));
	if (nh->nlmsg_len < off) {
		memset(tb, 0, sizeof(*tb) * (max + 1));
		return;
	}
	wd_nl_parse(tb, max, (const char *)nh + off, nh->nlmsg_len - off);
}

void wd_nl_parse_nested(const struct nlattr **tb, int max, const struct nlattr *nest)
{
	wd_nl_parse(tb, max, wd_nla_data(nest), wd_nla_len(nest));
}

uint32_t wd_nla_u32(const struct nlattr *a)
{
	uint32_t v = 0;
	if (a && wd_nla_len(a) >= sizeof(v))
		memcpy(&v, wd_nla_data(a), sizeof(v));
	return v;
}

const char *wd_nla_str(const struct nlattr *a)
{
	size_t n;
	if (!a || !(n = wd_nla_len(a)))
		return NULL;
	return memchr(wd_nla_data(a), '\0', n) ? wd_nla_data(a) : NULL;
}

/* ---- talking ------------------------------------------------------------- */

/* The extended ack TLVs follow the nlmsgerr (and our request, unless capped). */
static void read_extack(struct wd_nl *nl, const struct nlmsghdr *nh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nh);
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = sizeof(*e);
	const char *msg;
	if (!(nh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	off = NLMSG_ALIGN(off);
	if (NLMSG_LENGTH(off) >= nh->nlmsg_len)
		return;
	wd_nl_parse(tb, NLMSGERR_ATTR_MAX, (const char *)e + off, nh->nlmsg_len - NLMSG_LENGTH(off));
	msg = wd_nla_str(tb[NLMSGERR_ATTR_MSG]);
	if (msg)
		snprintf(nl->extack, sizeof(nl->extack), "%s", msg);
}

/* One message of a reply: 1 = done (ack or NLMSG_DONE), 0 = more, <0 error. */
static int handle_msg(struct wd_nl *nl, const struct nlmsghdr *nh, wd_nl_cb cb, void *ctx)
{
	if (nh->nlmsg_type == NLMSG_DONE)
		return 1;
	if (nh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(nh);
		if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
			return -EBADMSG;
		if (e->error)
			read_extack(nl, nh);
		return e->error ? e->error : 1;
	}
	if (cb && cb(nh, ctx))
		return 1;
	return 0;
}

static int recv_replies(struct wd_nl *nl, uint32_t seq, wd_nl_cb cb, void *ctx)
{
	char *buf = malloc(RECV_BUF);
	int ret = 0;
	if (!buf)
		return -ENOMEM;
	while (!ret) {
		ssize_t n = recv(nl->fd, buf, RECV_BUF, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n > RECV_BUF) {
			ret = -EMSGSIZE;
			break;
		}
		for (struct nlmsghdr *nh = (void *)buf; !ret && NLMSG_OK(nh, (size_t)n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_seq != seq)
				continue; /* a late reply to an earlier request */
			ret = handle_msg(nl, nh, cb, ctx);
		}
	}
	free(buf);
	return ret < 0 ? ret : 0;
}

int wd_nl_talk(struct wd_nl *nl, struct wd_nl_msg *m, wd_nl_cb cb, void *ctx)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	nl->extack[0] = '\0';
	if (m->overflow)
		return -EMSGSIZE;
	m->nh.nlmsg_flags |= NLM_F_ACK;
	m->nh.nlmsg_seq = ++nl->seq;
	if (sendto(nl->fd, m->buf, m->nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return recv_replies(nl, m->nh.nlmsg_seq, cb, ctx);
}

const char *wd_nl_extack_suffix(const struct wd_nl *nl, char *buf, size_t size)
{
	if (!nl->extack[0])
		return "";
	snprintf(buf, size, " (kernel: %s)", nl->extack);
	return buf;
}

/* ---- small helpers ------------------------------------------------------- */

const char *wd_ifdesc(int ifindex, char *buf)
{
	char name[IF_NAMESIZE];
	if (ifindex > 0 && if_indextoname(ifindex, name))
		snprintf(buf, WD_IFDESC_LEN, "%s (ifindex %d)", name, ifindex);
	else
		snprintf(buf, WD_IFDESC_LEN, "ifindex %d", ifindex);
	return buf;
}

int wd_ifindex_check(int ifindex, const char *what)
{
	char name[IF_NAMESIZE];
	if (ifindex > 0 && if_indextoname(ifindex, name))
		return 0;
	return wd_err(-ENODEV, "%s: no interface with ifindex %d in this network namespace",
		      what, ifindex);
}

uint64_t wd_netns_ino(void)
{
	struct stat st;
	if (stat("/proc/thread-self/ns/net", &st) && stat("/proc/self/ns/net", &st))
		return 0;
	return st.st_ino;
}

bool wd_pid_alive(pid_t pid)
{
	if (pid <= 0)
		return false;
	return kill(pid, 0) == 0 || errno == EPERM;
}
