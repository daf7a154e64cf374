// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The crash sweeper for TC: cls_bpf filters named
 * "warden_<pid>_<start>_<pidns>_<prog>" whose owner is dead are removed from every clsact qdisc, and clsact qdiscs
 * a dead warden process created (marker files under /run/warden/clsact) are
 * removed once no filter is left on them.  Visits the caller's network
 * namespace and every named one (/run/netns, `ip netns add`).  A filter or
 * qdisc of a live process is never touched.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "attach.h"
#include "sys/error.h"
#include "host/netlink.h"

#define MAX_NETNS 256

struct stale_filter { int ifindex; uint32_t parent, handle, info; };

struct sweep {
	struct stale_filter *v;
	size_t n, cap;
	int ifindex;
	uint32_t parent;
};

/* "warden_<pid>_<start>_<pidns>_<prog>" of a dead owner -> its pid; 0 when
 * the name is not warden's, the owner lives, or it is another pid namespace's. */
static pid_t dead_owner(const char *name)
{
	const struct wd_owner *me = wd_owner_self();
	unsigned long long start, pidns;
	int pid;
	if (!name || sscanf(name, WD_TC_NAME_PREFIX "%d_%llx_%llx_", &pid, &start, &pidns) != 3 ||
	    pid <= 0)
		return 0;
	if (pidns != me->pidns)
		return 0;
	unsigned long long now;
	return wd_proc_start(pid, &now) == 0 && now == start && wd_pid_alive(pid) ? 0 : pid;
}

static int filter_cb(const struct nlmsghdr *nh, void *ctx)
{
	struct sweep *s = ctx;
	const struct tcmsg *t = NLMSG_DATA(nh);
	const struct nlattr *tb[TCA_MAX + 1], *ob[TCA_BPF_MAX + 1];
	pid_t pid;
	if (nh->nlmsg_type != RTM_NEWTFILTER || nh->nlmsg_len < NLMSG_LENGTH(sizeof(*t)))
		return 0;
	wd_nl_parse_msg(tb, TCA_MAX, nh, sizeof(*t));
	if (!t->tcm_handle || !tb[TCA_OPTIONS] || !wd_nla_str(tb[TCA_KIND]) ||
	    strcmp(wd_nla_str(tb[TCA_KIND]), "bpf"))
		return 0;
	wd_nl_parse_nested(ob, TCA_BPF_MAX, tb[TCA_OPTIONS]);
	pid = dead_owner(wd_nla_str(ob[TCA_BPF_NAME]));
	if (!pid)
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		void *nv = realloc(s->v, cap * sizeof(*s->v));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = (struct stale_filter){ s->ifindex, s->parent, t->tcm_handle, t->tcm_info };
	return 0;
}

static int link_cb(const struct nlmsghdr *nh, void *ctx)
{
	struct sweep *links = ctx;
	const struct ifinfomsg *ifi = NLMSG_DATA(nh);
	if (nh->nlmsg_type != RTM_NEWLINK || nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return 0;
	if (links->n == links->cap) {
		size_t cap = links->cap ? links->cap * 2 : 16;
		void *nv = realloc(links->v, cap * sizeof(*links->v));
		if (!nv)
			return -ENOMEM;
		links->v = nv;
		links->cap = cap;
	}
	links->v[links->n++].ifindex = ifi->ifi_index;
	return 0;
}

static int list_ifindexes(struct wd_nl *nl, struct sweep *links)
{
	struct wd_nl_msg m;
	struct ifinfomsg *ifi = wd_nl_msg_init(&m, RTM_GETLINK, NLM_F_DUMP, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	return wd_nl_talk(nl, &m, link_cb, links);
}

/* Collect dead owners' filters on both clsact hooks of one interface. */
static void collect_filters(struct wd_nl *nl, int ifindex, struct sweep *s)
{
	static const uint32_t mins[] = { TC_H_MIN_INGRESS, TC_H_MIN_EGRESS };
	for (size_t i = 0; i < 2; i++) {
		struct wd_nl_msg m;
		struct tcmsg *t = wd_nl_msg_init(&m, RTM_GETTFILTER, NLM_F_DUMP, sizeof(*t));
		t->tcm_family = AF_UNSPEC;
		t->tcm_ifindex = ifindex;
		t->tcm_parent = TC_H_MAKE(TC_H_CLSACT, mins[i]);
		s->ifindex = ifindex;
		s->parent = t->tcm_parent;
		/* no clsact here: EINVAL or an empty dump, depending on the kernel */
		wd_nl_talk(nl, &m, filter_cb, s);
	}
}

static int sweep_filters(struct wd_nl *nl, bool dry_run)
{
	struct sweep links = { 0 }, s = { 0 };
	int removed = 0, err = list_ifindexes(nl, &links);
	for (size_t i = 0; !err && i < links.n; i++)
		collect_filters(nl, links.v[i].ifindex, &s);
	for (size_t i = 0; !err && i < s.n; i++) {
		struct stale_filter *f = &s.v[i];
		int e = dry_run ? 0 : wd_tc_filter_del(nl, f->ifindex, f->parent, f->handle, f->info);
		if (!e || e == -ENOENT)
			removed += !e;
		else
			wd_debug("cleanup: tc filter ifindex %d handle 0x%x: %s", f->ifindex,
				 f->handle, strerror(-e));
		if (!e)
			wd_debug("cleanup: %s stale tc filter on ifindex %d (handle 0x%x prio %u)",
				 dry_run ? "found" : "removed", f->ifindex, f->handle, f->info >> 16);
	}
	free(links.v);
	free(s.v);
	return err ? err : removed;
}

/* ---- qdiscs created by dead owners ----------------------------------------- */

struct mark { unsigned long long netns; int ifindex, pid; };

static bool parse_mark(const char *name, struct mark *mk)
{
	char tail;
	return sscanf(name, "%llu_%d_%d%c", &mk->netns, &mk->ifindex, &mk->pid, &tail) == 3;
}

/* Returns 1 when the qdisc was removed (or would be), 0 when kept.  The
 * marker goes only with the qdisc (or when the qdisc or its interface is
 * gone): while filters remain, a live owner (another warden process that
 * attached to this qdisc, or anyone else) still uses it, and the marker is
 * what lets a later sweep remove the qdisc once that owner is gone too. */
static int sweep_mark(struct wd_nl *nl, const struct mark *mk, bool dry_run)
{
	char path[256];
	int n = wd_tc_clsact_filter_count(nl, mk->ifindex), err;
	wd_tc_mark_path(path, sizeof(path), mk->netns, mk->ifindex, mk->pid);
	if (n > 0) {
		wd_debug("cleanup: clsact on ifindex %d kept with its marker, %d filter entries "
			 "remain", mk->ifindex, n);
		return 0;
	}
	if (n < 0) {
		/* no interface or no clsact: nothing left to remove */
		if (!dry_run && (n == -ENODEV || n == -EINVAL || n == -ENOENT))
			unlink(path);
		return 0;
	}
	if (dry_run)
		return 1;
	err = wd_tc_clsact_del(nl, mk->ifindex);
	if (err && err != -ENOENT && err != -EINVAL && err != -ENODEV) {
		wd_debug("cleanup: clsact on ifindex %d: %s (marker kept for the next sweep)",
			 mk->ifindex, strerror(-err));
		return 0;
	}
	unlink(path);
	if (err)
		return 0;
	wd_debug("cleanup: removed clsact qdisc of dead pid %d on ifindex %d", mk->pid, mk->ifindex);
	return 1;
}

/* Marks of dead owners in netns `ino` (nl is a socket there). */
static int sweep_marks(struct wd_nl *nl, uint64_t ino, bool dry_run)
{
	DIR *d = opendir(WD_TC_MARK_DIR);
	struct dirent *de;
	struct mark mk;
	int removed = 0;
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (parse_mark(de->d_name, &mk) && mk.netns == ino && !wd_pid_alive(mk.pid))
			removed += sweep_mark(nl, &mk, dry_run);
	closedir(d);
	return removed;
}

/* Marks naming a netns that no longer exists (or we cannot reach). */
static void drop_orphan_marks(const uint64_t *seen, size_t nseen, bool dry_run)
{
	DIR *d = dry_run ? NULL : opendir(WD_TC_MARK_DIR);
	struct dirent *de;
	struct mark mk;
	if (!d)
		return;
	while ((de = readdir(d))) {
		bool known = false;
		if (!parse_mark(de->d_name, &mk) || wd_pid_alive(mk.pid))
			continue;
		for (size_t i = 0; i < nseen && !known; i++)
			known = seen[i] == mk.netns;
		if (!known)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

static int sweep_netns(struct wd_nl *nl, uint64_t ino, bool dry_run)
{
	int n = sweep_filters(nl, dry_run);
	if (n < 0)
		return n;
	return n + sweep_marks(nl, ino, dry_run);
}

/* ---- namespaces ---------------------------------------------------------- */

static bool seen_add(uint64_t *seen, size_t *nseen, uint64_t ino)
{
	for (size_t i = 0; i < *nseen; i++)
		if (seen[i] == ino)
			return false;
	if (*nseen < MAX_NETNS)
		seen[(*nseen)++] = ino;
	return true;
}

static int sweep_named(const char *name, uint64_t *seen, size_t *nseen, bool dry_run)
{
	char path[512];
	struct wd_nl nl;
	struct stat st;
	int fd, n;
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) || !seen_add(seen, nseen, st.st_ino) || wd_nl_open_netns(&nl, fd)) {
		close(fd);
		return 0;
	}
	close(fd);
	n = sweep_netns(&nl, st.st_ino, dry_run);
	wd_nl_close(&nl);
	if (n < 0)
		wd_debug("cleanup: netns %s: %s", name, strerror(-n));
	return n < 0 ? 0 : n;
}

int wd_cleanup_stale_net(bool dry_run)
{
	uint64_t seen[MAX_NETNS];
	size_t nseen = 0;
	struct wd_nl nl;
	DIR *d;
	struct dirent *de;
	int total, err = wd_nl_open(&nl);
	if (err)
		return err;
	seen_add(seen, &nseen, wd_netns_ino());
	total = sweep_netns(&nl, seen[0], dry_run);
	wd_nl_close(&nl);
	if (total < 0)
		return wd_err(total, "cleanup tc: %s", strerror(-total));
	d = opendir("/run/netns");
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			total += sweep_named(de->d_name, seen, &nseen, dry_run);
	if (d)
		closedir(d);
	drop_orphan_marks(seen, nseen, dry_run);
	return total;
}
