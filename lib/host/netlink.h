/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A small rtnetlink client on a raw NETLINK_ROUTE socket: build one request,
 * send it, read replies until the kernel's ack, and keep the kernel's
 * extended ack text (4.12+) so errors can say more than "Invalid argument".
 * Used by the XDP and TC fallbacks (lib/attach_xdp.c, lib/attach_tc.c) and
 * the crash sweeper (lib/cleanup_net.c).
 */
#ifndef WARDEN_NETLINK_H
#define WARDEN_NETLINK_H

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

struct wd_nl {
	int fd;
	uint32_t seq;
	char extack[256];       /* extended ack text of the last failed request, or "" */
};

/* One request: header, family header, attributes. */
struct wd_nl_msg {
	union {
		struct nlmsghdr nh;
		char buf[1024];
	};
	bool overflow;          /* an attribute did not fit: wd_nl_talk() says EMSGSIZE */
};

/* A NETLINK_ROUTE socket in the calling thread's network namespace. */
int wd_nl_open(struct wd_nl *nl);
/* The same, in the network namespace of netns_fd (the thread's namespace
 * is switched for the socket() call only; a socket stays in its netns). */
int wd_nl_open_netns(struct wd_nl *nl, int netns_fd);
void wd_nl_close(struct wd_nl *nl);

/* Start a request; returns the family header (hdrlen bytes, zeroed). */
void *wd_nl_msg_init(struct wd_nl_msg *m, uint16_t type, uint16_t flags, size_t hdrlen);
void wd_nl_put(struct wd_nl_msg *m, uint16_t type, const void *data, size_t len);
void wd_nl_put_u32(struct wd_nl_msg *m, uint16_t type, uint32_t v);
void wd_nl_put_str(struct wd_nl_msg *m, uint16_t type, const char *s);
struct nlattr *wd_nl_nest_begin(struct wd_nl_msg *m, uint16_t type);
void wd_nl_nest_end(struct wd_nl_msg *m, struct nlattr *nest);

/* Called for each reply that is neither an ack nor NLMSG_DONE; non-zero stops. */
typedef int (*wd_nl_cb)(const struct nlmsghdr *nh, void *ctx);
/* Send m (NLM_F_ACK is added) and read until the ack, or NLMSG_DONE for a
 * dump.  0 or -errno; on a kernel error its extended ack text, if any, is
 * in nl->extack. */
int wd_nl_talk(struct wd_nl *nl, struct wd_nl_msg *m, wd_nl_cb cb, void *ctx);
/* " (kernel: <extack>)" when the kernel said something, else "". */
const char *wd_nl_extack_suffix(const struct wd_nl *nl, char *buf, size_t size);

/* Attributes: tb[0..max] = the last attribute of each type, or NULL. */
void wd_nl_parse(const struct nlattr **tb, int max, const void *attrs, size_t len);
/* Attributes following a family header of hdrlen bytes in a message. */
void wd_nl_parse_msg(const struct nlattr **tb, int max, const struct nlmsghdr *nh,
		     size_t hdrlen);
void wd_nl_parse_nested(const struct nlattr **tb, int max, const struct nlattr *nest);
static inline const void *wd_nla_data(const struct nlattr *a) { return (const char *)a + NLA_HDRLEN; }
static inline size_t wd_nla_len(const struct nlattr *a) { return a->nla_len - NLA_HDRLEN; }
uint32_t wd_nla_u32(const struct nlattr *a);
/* A NUL-terminated string attribute, or NULL when it is not one. */
const char *wd_nla_str(const struct nlattr *a);

/* "veth0 (ifindex 5)" or "ifindex 999"; buf of at least WD_IFDESC_LEN. */
#define WD_IFDESC_LEN 48
const char *wd_ifdesc(int ifindex, char *buf);
/* 0 when the interface exists in this netns, else -ENODEV with a message
 * "<what>: no interface with ifindex N in this network namespace". */
int wd_ifindex_check(int ifindex, const char *what);

/* Identity of the calling thread's network namespace (nsfs inode), 0 if unknown. */
uint64_t wd_netns_ino(void);
/* True when pid names a live process (EPERM counts as alive). */
bool wd_pid_alive(pid_t pid);

/* opts->field when the caller's struct is new enough to have it. */
#define WD_OPTS_GET(opts, field, def) \
	((opts) && (opts)->sz > offsetof(typeof(*(opts)), field) ? (opts)->field : (def))

/* ---- TC netlink pieces shared by attach_tc.c and cleanup_net.c ---- */

/* Name prefix of every cls_bpf filter warden adds:
 * "warden_<pid>_<start>_<pidns>_<prog>" (hex start time and pid namespace). */
#define WD_TC_NAME_PREFIX "warden_"
void wd_tc_filter_name(char *buf, size_t size, const char *prog);
/* Delete one filter (RTM_DELTFILTER); 0, or -errno with nl->extack. */
int wd_tc_filter_del(struct wd_nl *nl, int ifindex, uint32_t parent, uint32_t handle,
		     uint32_t info);
/* Number of filters on the clsact qdisc of ifindex (both directions), or -errno. */
int wd_tc_clsact_filter_count(struct wd_nl *nl, int ifindex);
int wd_tc_clsact_del(struct wd_nl *nl, int ifindex);
/* Marker files recording "warden pid P created the clsact qdisc on ifindex I
 * of netns N", so a crash sweeper can remove the qdisc after the crash. */
#define WD_TC_MARK_DIR "/run/warden/clsact"
void wd_tc_mark_path(char *buf, size_t size, uint64_t netns, int ifindex, pid_t pid);


/* clsact (4.5) and its minor handles, missing from older <linux/pkt_sched.h> */
#include <linux/pkt_sched.h>
#ifndef TC_H_CLSACT
#define TC_H_CLSACT TC_H_INGRESS
#endif
#ifndef TC_H_MIN_INGRESS
#define TC_H_MIN_INGRESS 0xFFF2U
#define TC_H_MIN_EGRESS  0xFFF3U
#endif

#endif
