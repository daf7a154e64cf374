// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* struct wd_event -> struct wd_fleet_row (agent_rows.h). */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include "agent_rows.h"

static void ip_text(uint8_t family, const uint8_t *addr, char *buf, size_t len)
{
	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)len))
		buf[0] = '\0';
}

/* The fleet sink's typed columns from a decoded event. */
void wd_fleet_row_from_event(const struct wd_event *ev, const char *json, size_t json_len,
			     struct wd_fleet_row_buf *rb, struct wd_fleet_row *row)
{
	bool file = ev->kind >= WD_EV_FILE_OPEN && ev->kind <= WD_EV_FILE_TRUNCATE;
	bool net = ev->kind >= WD_EV_NET_CONNECT && ev->kind <= WD_EV_NET_UDP_SEND;

	memset(row, 0, sizeof(*row));
	row->time_ns = ev->time_ns;
	row->seq = ev->seq;
	row->kind = wd_event_kind_name(ev->kind);
	row->category = wd_event_kind_category(ev->kind);
	row->pid = ev->proc.pid;
	row->tid = ev->proc.tid;
	row->ppid = ev->proc.ppid;
	/* (pid, start) names a process across pid reuse: exec trees join on it */
	row->start_ns = ev->proc.start_ns;
	row->parent_start_ns = ev->parent.start_ns;
	row->uid = ev->proc.uid;
	row->gid = ev->proc.gid;
	row->euid = ev->proc.euid;
	row->auid = ev->proc.auid;
	memcpy(rb->comm, ev->proc.comm, sizeof(ev->proc.comm));
	rb->comm[sizeof(ev->proc.comm)] = '\0';
	row->comm = rb->comm;
	row->exe = ev->proc.exe;
	row->container_id = ev->proc.container_id;
	row->cgroup_id = ev->proc.cgroup_id;
	row->ns_pid = ev->proc.ns[WD_NS_PID];
	row->ns_mnt = ev->proc.ns[WD_NS_MNT];
	row->ns_net = ev->proc.ns[WD_NS_NET];
	row->ns_user = ev->proc.ns[WD_NS_USER];
	row->ns_uts = ev->proc.ns[WD_NS_UTS];
	row->ns_cgroup = ev->proc.ns[WD_NS_CGROUP];
	row->json = json;
	row->json_len = json_len;
	if (ev->kind == WD_EV_EXEC) {
		const struct wd_event_str *a = &ev->exec.args;
		size_t n = a->s ? (a->len < sizeof(rb->args) ? a->len : sizeof(rb->args) - 1) : 0;

		if (!row->exe)
			row->exe = ev->exec.filename.s;
		memcpy(rb->args, a->s ? a->s : "", n);
		while (n && rb->args[n - 1] == '\0')
			n--;
		for (size_t i = 0; i < n; i++)
			if (rb->args[i] == '\0')
				rb->args[i] = ' ';
		rb->args[n] = '\0';
		row->args = rb->args;
		row->path = ev->exec.filename.s;
		row->memfd = ev->exec.memfd;
		row->deleted = ev->exec.deleted;
		row->ret = ev->exec.ret;
	} else if (file) {
		row->path = ev->file.path.s;
		row->path2 = ev->file.path2.s;
	} else if (net) {
		/* as in the JSON: the initiator is the source */
		bool inbound = ev->kind == WD_EV_NET_ACCEPT || ev->kind == WD_EV_NET_LISTEN ||
			       ev->kind == WD_EV_NET_BIND;
		const struct wd_event_net *n = &ev->net;

		ip_text(n->family, inbound ? n->daddr : n->saddr, rb->src, sizeof(rb->src));
		ip_text(n->family, inbound ? n->saddr : n->daddr, rb->dst, sizeof(rb->dst));
		row->src_ip = rb->src;
		row->dst_ip = rb->dst;
		row->src_port = inbound ? n->dport : n->sport;
		row->dst_port = inbound ? n->sport : n->dport;
		row->transport = n->protocol == 17 ? "udp" : "tcp";
		row->ret = n->ret;
	} else if (ev->kind == WD_EV_STATS) {
		for (int k = 0; k < WD_EV__COUNT; k++)
			row->dropped += ev->stats.dropped[k];
		row->dropped += ev->stats.lost_ring;
	} else if (ev->kind != WD_EV_CRED) {
		row->path = ev->other.name.s;
		row->path2 = ev->other.target.s;
		row->ret = ev->other.ret;
	}
}

