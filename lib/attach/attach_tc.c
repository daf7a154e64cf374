// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * TC: a tcx link (BPF_LINK_CREATE, BPF_TCX_INGRESS/EGRESS, 6.6+) where the
 * kernel has it, else the classic way over netlink: a clsact qdisc (4.5+),
 * created when absent, and a cls_bpf filter in direct-action mode (4.4+).
 *
 * A tcx link dies with its fd.  A netlink filter and qdisc outlive the
 * process, so each filter is named "warden_<pid>_<prog>" (TCA_BPF_NAME) and
 * each qdisc warden creates is recorded in a marker file
 * /run/warden/clsact/<netns>_<ifindex>_<pid>: the sweeper
 * (lib/cleanup_net.c) removes both once the pid is dead.  On detach the
 * qdisc goes only when warden created it and no filter remains on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "attach.h"
#include "link.h"
#include "host/netlink.h"
#include "warden/features.h"

struct tc_nl_priv {
	struct wd_nl nl;        /* opened in the attach-time netns */
	uint64_t netns;
	int ifindex;
	uint32_t parent, handle, info;
};

/* ---- qdiscs this process created (per netns + ifindex) ------------------- */

struct created_qdisc {
	struct created_qdisc *next;
	uint64_t netns;
	int ifindex;
};
static struct created_qdisc *created;
static pthread_mutex_t created_lock = PTHREAD_MUTEX_INITIALIZER;

void wd_tc_mark_path(char *buf, size_t size, uint64_t netns, int ifindex, pid_t pid)
{
	snprintf(buf, size, WD_TC_MARK_DIR "/%llu_%d_%d", (unsigned long long)netns, ifindex,
		 (int)pid);
}

static void mark_write(uint64_t netns, int ifindex)
{
	char path[256];
	int fd;
	mkdir("/run/warden", 0700);
	mkdir(WD_TC_MARK_DIR, 0700);
	wd_tc_mark_path(path, sizeof(path), netns, ifindex, getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		wd_debug("tc: cannot record the clsact qdisc in %s: %s (a crash would leak it)",
			 path, strerror(errno));
	else
		close(fd);
}

static void created_add(uint64_t netns, int ifindex)
{
	struct created_qdisc *c = calloc(1, sizeof(*c));
	mark_write(netns, ifindex);
	if (!c)
		return;
	c->netns = netns;
	c->ifindex = ifindex;
	pthread_mutex_lock(&created_lock);
	c->next = created;
	created = c;
	pthread_mutex_unlock(&created_lock);
}

/* Forget a created qdisc; true when it was ours. */
static bool created_take(uint64_t netns, int ifindex)
{
	bool found = false;
	pthread_mutex_lock(&created_lock);
	for (struct created_qdisc **pp = &created; *pp; pp = &(*pp)->next) {
		struct created_qdisc *c = *pp;
		if (c->netns == netns && c->ifindex == ifindex) {
			*pp = c->next;
			free(c);
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&created_lock);
	if (found) {
		char path[256];
		wd_tc_mark_path(path, sizeof(path), netns, ifindex, getpid());
		unlink(path);
	}
	return found;
}

static bool created_has(uint64_t netns, int ifindex)
{
	bool found = false;
	pthread_mutex_lock(&created_lock);
	for (struct created_qdisc *c = created; c && !found; c = c->next)
		found = c->netns == netns && c->ifindex == ifindex;
	pthread_mutex_unlock(&created_lock);
	return found;
}

/* "warden_<pid>_<start>_<pidns>_<prog>": the owner identity of lib/cleanup.c
 * (start time and pid namespace: a reused pid or another pid namespace's
 * pid never passes for the owner). */
void wd_tc_filter_name(char *buf, size_t size, const char *prog)
{
	const struct wd_owner *o = wd_owner_self();
	snprintf(buf, size, WD_TC_NAME_PREFIX "%d_%llx_%llx_%s", o->pid, o->start, o->pidns, prog);
}

/* ---- netlink requests ------------------------------------------------------ */

static struct tcmsg *tc_msg(struct wd_nl_msg *m, uint16_t type, uint16_t flags, int ifindex,
			    uint32_t parent)
{
	struct tcmsg *t = wd_nl_msg_init(m, type, flags, sizeof(*t));
	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = ifindex;
	t->tcm_parent = parent;
	return t;
}

/* 1 created, 0 it was there, -errno. */
static int clsact_ensure(struct wd_nl *nl, int ifindex)
{
	struct wd_nl_msg m;
	struct tcmsg *t = tc_msg(&m, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex, TC_H_CLSACT);
	int err;
	t->tcm_handle = TC_H_MAKE(TC_H_CLSACT, 0);
	wd_nl_put_str(&m, TCA_KIND, "clsact");
	err = wd_nl_talk(nl, &m, NULL, NULL);
	if (err == -EEXIST)
		return 0;
	return err ? err : 1;
}

int wd_tc_clsact_del(struct wd_nl *nl, int ifindex)
{
	struct wd_nl_msg m;
	struct tcmsg *t = tc_msg(&m, RTM_DELQDISC, 0, ifindex, TC_H_CLSACT);
	t->tcm_handle = TC_H_MAKE(TC_H_CLSACT, 0);
	wd_nl_put_str(&m, TCA_KIND, "clsact");
	return wd_nl_talk(nl, &m, NULL, NULL);
}

int wd_tc_filter_del(struct wd_nl *nl, int ifindex, uint32_t parent, uint32_t handle,
		     uint32_t info)
{
	struct wd_nl_msg m;
	struct tcmsg *t = tc_msg(&m, RTM_DELTFILTER, 0, ifindex, parent);
	t->tcm_handle = handle;
	t->tcm_info = info;
	wd_nl_put_str(&m, TCA_KIND, "bpf");
	return wd_nl_talk(nl, &m, NULL, NULL);
}

static int count_cb(const struct nlmsghdr *nh, void *ctx)
{
	if (nh->nlmsg_type == RTM_NEWTFILTER)
		++*(int *)ctx;
	return 0;
}

int wd_tc_clsact_filter_count(struct wd_nl *nl, int ifindex)
{
	static const uint32_t mins[] = { TC_H_MIN_INGRESS, TC_H_MIN_EGRESS };
	int n = 0;
	for (size_t i = 0; i < 2; i++) {
		struct wd_nl_msg m;
		tc_msg(&m, RTM_GETTFILTER, NLM_F_DUMP, ifindex, TC_H_MAKE(TC_H_CLSACT, mins[i]));
		int err = wd_nl_talk(nl, &m, count_cb, &n);
		if (err)
			return err;
	}
	return n;
}

struct echo { uint32_t handle, info; bool seen; };

static int echo_cb(const struct nlmsghdr *nh, void *ctx)
{
	struct echo *e = ctx;
	const struct tcmsg *t = NLMSG_DATA(nh);
	if (nh->nlmsg_type != RTM_NEWTFILTER || nh->nlmsg_len < NLMSG_LENGTH(sizeof(*t)))
		return 0;
	e->handle = t->tcm_handle;
	e->info = t->tcm_info;
	e->seen = true;
	return 0;
}

/* Add the cls_bpf filter; NLM_F_ECHO returns the handle and priority the
 * kernel picked when the caller left them 0. */
static int filter_add(struct wd_nl *nl, struct wd_prog *prog, int ifindex, uint32_t parent,
		      uint32_t prio, uint32_t handle, struct echo *e)
{
	struct wd_nl_msg m;
	struct tcmsg *t = tc_msg(&m, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO,
				 ifindex, parent);
	struct nlattr *opts;
	char name[128];
	t->tcm_handle = handle;
	t->tcm_info = TC_H_MAKE(prio << 16, htons(ETH_P_ALL));
	wd_nl_put_str(&m, TCA_KIND, "bpf");
	opts = wd_nl_nest_begin(&m, TCA_OPTIONS);
	wd_nl_put_u32(&m, TCA_BPF_FD, prog->fd);
	wd_tc_filter_name(name, sizeof(name), prog->name);
	wd_nl_put_str(&m, TCA_BPF_NAME, name);
	wd_nl_put_u32(&m, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
	wd_nl_nest_end(&m, opts);
	return wd_nl_talk(nl, &m, echo_cb, e);
}

struct clsact_seen { int ifindex; bool found; };

static int clsact_seen_cb(const struct nlmsghdr *nh, void *ctx)
{
	struct clsact_seen *s = ctx;
	const struct tcmsg *t = NLMSG_DATA(nh);
	const struct nlattr *tb[TCA_MAX + 1];
	const char *kind;
	if (nh->nlmsg_type != RTM_NEWQDISC || nh->nlmsg_len < NLMSG_LENGTH(sizeof(*t)) ||
	    t->tcm_ifindex != s->ifindex)
		return 0;
	wd_nl_parse_msg(tb, TCA_MAX, nh, sizeof(*t));
	kind = wd_nla_str(tb[TCA_KIND]);
	s->found = s->found || (kind && !strcmp(kind, "clsact"));
	return 0;
}

/* 1 when the interface has a clsact qdisc, 0 when not, -errno. */
static int clsact_present(struct wd_nl *nl, int ifindex)
{
	struct clsact_seen s = { .ifindex = ifindex };
	struct wd_nl_msg m;
	int err;
	tc_msg(&m, RTM_GETQDISC, NLM_F_DUMP, ifindex, 0);
	err = wd_nl_talk(nl, &m, clsact_seen_cb, &s);
	return err ? err : s.found;
}

/* Remove the qdisc when this process created it and nothing is left on it. */
static void clsact_release(struct wd_nl *nl, uint64_t netns, int ifindex)
{
	int n;
	if (!created_has(netns, ifindex))
		return;
	n = wd_tc_clsact_filter_count(nl, ifindex);
	if (n < 0) {
		if (n == -ENODEV || n == -EINVAL || n == -ENOENT)
			created_take(netns, ifindex); /* interface or qdisc gone */
		return;
	}
	if (n > 0) {
		wd_debug("tc: clsact on ifindex %d kept: %d filter entries remain", ifindex, n);
		return;
	}
	int err = wd_tc_clsact_del(nl, ifindex);
	if (err && err != -ENOENT && err != -EINVAL && err != -ENODEV)
		wd_debug("tc: removing clsact on ifindex %d: %s", ifindex, strerror(-err));
	created_take(netns, ifindex);
}

static int tc_nl_detach(struct wd_link *link)
{
	struct tc_nl_priv *p = link->priv;
	char ext[300];
	int err = wd_tc_filter_del(&p->nl, p->ifindex, p->parent, p->handle, p->info);
	if (err == -ENOENT || err == -ENODEV || (err == -EINVAL && !p->nl.extack[0])) {
		wd_debug("detach %s: filter already gone (%s)", link->desc, strerror(-err));
		err = 0;
	} else if (err) {
		err = wd_err(err, "detach %s: %s%s", link->desc, strerror(-err),
			     wd_nl_extack_suffix(&p->nl, ext, sizeof(ext)));
	}
	clsact_release(&p->nl, p->netns, p->ifindex);
	wd_nl_close(&p->nl);
	return err;
}

static int nl_attach_steps(struct tc_nl_priv *p, struct wd_prog *prog, bool egress,
			   uint32_t prio, uint32_t handle, const char *ifd)
{
	struct echo e = { 0 };
	char ext[300], mark[256];
	/* The marker goes down before the qdisc it records: written after, a
	 * SIGKILL between the two leaked the qdisc for good, no sweep knowing
	 * it was warden's (tests/test_crash.c found it, about 1 kill in 100).
	 * Only when no clsact is there: a marker never names someone else's. */
	bool premarked = !created_has(p->netns, p->ifindex) &&
			 clsact_present(&p->nl, p->ifindex) == 0;
	if (premarked)
		mark_write(p->netns, p->ifindex);
	int created_now = clsact_ensure(&p->nl, p->ifindex);
	if (premarked && created_now <= 0) {   /* another process made it first, or an error */
		wd_tc_mark_path(mark, sizeof(mark), p->netns, p->ifindex, getpid());
		unlink(mark);
	}
	if (created_now < 0)
		return wd_err(created_now, "attach tc '%s' to %s: adding the clsact qdisc: %s%s",
			      prog->name, ifd, strerror(-created_now),
			      wd_nl_extack_suffix(&p->nl, ext, sizeof(ext)));
	if (created_now)
		created_add(p->netns, p->ifindex);
	p->parent = TC_H_MAKE(TC_H_CLSACT, egress ? TC_H_MIN_EGRESS : TC_H_MIN_INGRESS);
	int err = filter_add(&p->nl, prog, p->ifindex, p->parent, prio, handle, &e);
	if (!err && !e.seen)
		err = wd_err(-EPROTO, "attach tc '%s' to %s: the kernel did not echo the filter",
			     prog->name, ifd);
	else if (err)
		err = wd_err(err, "attach tc '%s' to %s (netlink %s, prio %u handle 0x%x): %s%s",
			     prog->name, ifd, egress ? "egress" : "ingress", prio, handle,
			     strerror(-err), wd_nl_extack_suffix(&p->nl, ext, sizeof(ext)));
	if (err) {
		clsact_release(&p->nl, p->netns, p->ifindex);
		return err;
	}
	p->handle = e.handle;
	p->info = e.info;
	return 0;
}

static struct wd_link *attach_netlink(struct wd_prog *prog, int ifindex, bool egress,
				      uint32_t prio, uint32_t handle, const char *ifd)
{
	struct tc_nl_priv *p = calloc(1, sizeof(*p));
	int err = p ? wd_nl_open(&p->nl) : -ENOMEM;
	if (err)
		goto fail;
	p->netns = wd_netns_ino();
	p->ifindex = ifindex;
	err = nl_attach_steps(p, prog, egress, prio, handle, ifd);
	if (err) {
		wd_nl_close(&p->nl);
		goto fail;
	}
	return wd_link_new_owned(prog, -1, tc_nl_detach, p, "tc %s %s (netlink, prio %u handle 0x%x)",
				 ifd, egress ? "egress" : "ingress", p->info >> 16, p->handle);
fail:
	free(p);
	errno = -err;
	return NULL;
}

/* 0 + *out, or -errno; -EOPNOTSUPP: no tcx on this kernel. */
static int attach_tcx(struct wd_prog *prog, int ifindex, bool egress, const char *ifd,
		      struct wd_link **out)
{
	struct wd_link_create_args a = {
		.prog_fd = prog->fd, .target_fd = ifindex,
		.attach_type = egress ? WD_BPF_TCX_EGRESS : WD_BPF_TCX_INGRESS,
	};
	int fd = wd_sys_link_create(&a);
	if (fd == -EINVAL) {
		/* before 6.6 the tcx attach types are unknown */
		wd_debug("tc '%s' on %s: no tcx (BPF_LINK_CREATE: EINVAL), using netlink",
			 prog->name, ifd);
		return -EOPNOTSUPP;
	}
	if (fd < 0)
		return wd_err(fd, "attach tc '%s' to %s (tcx %s): %s", prog->name, ifd,
			      egress ? "egress" : "ingress", strerror(-fd));
	*out = wd_link_new(prog, fd, NULL, "tcx %s %s", ifd, egress ? "egress" : "ingress");
	if (!*out) {
		close(fd);
		return wd_err(-ENOMEM, "attach tc '%s': out of memory", prog->name);
	}
	return 0;
}

static int tc_check(struct wd_prog *prog, uint32_t prio, const char *ifd)
{
	if (prog->fd < 0)
		return wd_err(-EINVAL, "attach tc '%s' to %s: program is not loaded", prog->name, ifd);
	if (prog->type != BPF_PROG_TYPE_SCHED_CLS)
		return wd_err(-EINVAL, "attach tc '%s' to %s: it is a %s program (section '%s'), "
			      "TC needs SEC(\"tc\") or SEC(\"tcx/ingress\")", prog->name, ifd,
			      wd_prog_type_name(prog->type), prog->sec_name);
	if (prio > 0xffff)
		return wd_err(-EINVAL, "attach tc '%s' to %s: priority %u above 65535", prog->name,
			      ifd, prio);
	return 0;
}

struct wd_link *wd_prog_attach_tc(struct wd_prog *prog, int ifindex, const struct wd_tc_opts *opts)
{
	bool egress = WD_OPTS_GET(opts, egress, false);
	uint32_t prio = WD_OPTS_GET(opts, priority, 0), handle = WD_OPTS_GET(opts, handle, 0);
	struct wd_link *link = NULL;
	char ifd[WD_IFDESC_LEN], what[128];
	int err;
	snprintf(what, sizeof(what), "attach tc '%s'", prog->name);
	err = wd_ifindex_check(ifindex, what);
	if (!err)
		err = tc_check(prog, prio, wd_ifdesc(ifindex, ifd));
	if (err)
		goto fail;
	if (WD_OPTS_GET(opts, force_netlink, false))
		return attach_netlink(prog, ifindex, egress, prio, handle, ifd);
	err = attach_tcx(prog, ifindex, egress, ifd, &link);
	if (err == -EOPNOTSUPP)
		return attach_netlink(prog, ifindex, egress, prio, handle, ifd);
	if (!err)
		return link;
fail:
	errno = -err;
	return NULL;
}
