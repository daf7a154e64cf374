// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * BPF records (bpf/include/warden_agent.h) -> struct wd_event.
 *
 * Chunks (exec argv) arrive before their event, on the same CPU, tied by
 * hdr.id; they are gathered in a bounded table of pending payloads.  The
 * event takes the bytes received from offset 0 up to the first hole: a
 * lost chunk makes the payload shorter and flagged truncated with its true
 * length, never a payload with a hole in it.  Chunk sets whose event never
 * came (the event record was lost, and counted as dropped in BPF) are
 * counted as chunks_incomplete when evicted or at stop.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "decode.h"
#include "proc_cache.h"

#define AT_FDCWD_ -100

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

void wd_decoder_clock_sync(struct wd_decoder *d)
{
	int64_t real = clock_ns(CLOCK_REALTIME);
	d->boot_to_real = real - clock_ns(CLOCK_BOOTTIME);
	d->mono_to_real = real - clock_ns(CLOCK_MONOTONIC);
}

/* The sequence number before a run's first event: its start on the boot
 * clock in ms, times 2^24.  A restarted agent (systemd, a crash, an
 * upgrade) then numbers above everything its predecessors numbered in this
 * boot, without a state file: they would have needed 2^24 events per ms of
 * run time to reach it.  (host, boot, sequence) stays unique, which the
 * fleet table's deduplication key relies on. */
uint64_t wd_decoder_seq_base(int64_t boot_ns)
{
	return (uint64_t)(boot_ns / 1000000) << WD_SEQ_RUN_SHIFT;
}

int wd_decoder_init(struct wd_decoder *d, wd_agent_event_fn fn, void *ctx)
{
	memset(d, 0, sizeof(*d));
	d->fn = fn;
	d->ctx = ctx;
	d->seq = wd_decoder_seq_base(clock_ns(CLOCK_BOOTTIME));
	wd_decoder_clock_sync(d);
	d->pc = wd_proc_cache_new();
	return d->pc ? 0 : -ENOMEM;
}

void wd_decoder_flush(struct wd_decoder *d)
{
	for (int i = 0; i < WD_PENDING_MAX; i++)
		if (d->pending[i].id) {
			d->chunks_incomplete++;
			d->pending[i].id = 0;
		}
}

void wd_decoder_free(struct wd_decoder *d)
{
	wd_decoder_flush(d);
	for (int i = 0; i < WD_PENDING_MAX; i++)
		free(d->pending[i].buf);
	wd_proc_cache_free(d->pc);
	d->pc = NULL;
}

static struct wd_pending *pending_find(struct wd_decoder *d, uint64_t id)
{
	for (int i = 0; i < WD_PENDING_MAX; i++)
		if (d->pending[i].id == id)
			return &d->pending[i];
	return NULL;
}

static struct wd_pending *pending_new(struct wd_decoder *d, uint64_t id)
{
	struct wd_pending *p = pending_find(d, 0), *old = NULL;

	if (!p) {
		/* full: the oldest set lost its event */
		for (int i = 0; i < WD_PENDING_MAX; i++)
			if (!old || d->pending[i].born < old->born)
				old = &d->pending[i];
		d->chunks_incomplete++;
		p = old;
	}
	if (!p->buf && !(p->buf = malloc(WA_ARGS_MAX + 1)))
		return NULL;
	p->id = id;
	p->born = d->tick;
	p->nchunks = p->contiguous = p->got = 0;
	return p;
}

static void on_chunk(struct wd_decoder *d, const void *data, size_t size)
{
	const struct wa_chunk *c = data;
	struct wd_pending *p;

	if (size < sizeof(*c) || c->len > size - sizeof(*c) || !c->hdr.id || c->offset + (size_t)c->len > WA_ARGS_MAX ||
	    !c->hdr.id) {
		d->bad_records++;
		return;
	}
	p = c->index == 0 ? NULL : pending_find(d, c->hdr.id);
	if (!p) {
		if (c->index == 0 && (p = pending_find(d, c->hdr.id)))
			d->chunks_incomplete++;  /* id reused: the earlier set lost its event */
		if (!(p = pending_new(d, c->hdr.id)))
			return;
	}
	memcpy(p->buf + c->offset, (const char *)(c + 1), c->len);
	p->nchunks++;
	p->got += c->len;
	if (c->offset == p->contiguous)
		p->contiguous += c->len;
}

static void proc_from(struct wd_event_process *p, struct wd_event_process *parent,
		      const struct wa_proc *r)
{
	p->pid = r->pid;
	p->tid = r->tid;
	p->ppid = r->ppid;
	p->ns_pid = r->ns_pid;
	p->ns_tid = r->ns_tid;
	p->ns_ppid = r->ns_ppid;
	p->uid = r->uid;
	p->gid = r->gid;
	p->euid = r->euid;
	p->egid = r->egid;
	p->auid = r->auid;
	p->sessionid = r->sessionid;
	memcpy(p->comm, r->comm, sizeof(p->comm));
	p->comm[sizeof(p->comm) - 1] = '\0';
	p->cgroup_id = r->cgroup_id;
	for (int i = 0; i < WD_NS__COUNT; i++)
		p->ns[i] = r->ns[i];
	p->start_ns = r->start_ns;
	parent->pid = parent->tid = r->ppid;
	parent->ns_pid = parent->ns_tid = r->ns_ppid;
	memcpy(parent->comm, r->pcomm, sizeof(parent->comm));
	parent->comm[sizeof(parent->comm) - 1] = '\0';
	parent->start_ns = r->pstart_ns;
}

/* kernel dev_t (major << 20 | minor) -> st_dev (new_encode_dev) */
static uint32_t encode_dev(uint32_t kdev)
{
	uint32_t major = kdev >> 20, minor = kdev & 0xfffff;
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

struct strs {
	char buf[WA_NSTR][WA_STR_MAX + 1];
	char abs[2][PATH_MAX + WA_STR_MAX + 2];
};

static void str_set(struct wd_event_str *dst, const struct wa_str *src, const char *s)
{
	dst->s = s;
	dst->len = src->len;
	dst->true_len = src->true_len > src->len ? src->true_len : src->len;
	dst->truncated = (src->flags & WA_S_TRUNC) != 0;
}

/* A relative path made absolute: on the base directory BPF sent (the cwd
 * or the dirfd's directory at the time of the call), else on the cwd of
 * the process if it is still there. */
static void absolutize(struct wd_event_str *p, int32_t dirfd, uint32_t pid, const char *base,
		       char *buf, size_t len)
{
	char cwd[PATH_MAX];

	if (!p->s || !p->len || p->s[0] == '/' || p->truncated)
		return;
	if (base && *base)
		snprintf(cwd, sizeof(cwd), "%s", base);
	else if (dirfd != AT_FDCWD_ || !wd_proc_cwd(pid, cwd, sizeof(cwd)))
		return;
	int n = snprintf(buf, len, "%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "", p->s);
	if (n <= 0 || (size_t)n >= len)
		return;
	p->s = buf;
	p->len = p->true_len = n;
}

int wd_decode_record(struct wd_decoder *d, const void *data, size_t size)
{
	static __thread struct strs st;
	const struct wa_event *r = data;
	struct wd_event ev;
	const char *s[WA_NSTR];
	size_t off = sizeof(*r);
	uint32_t kind;

	d->tick++;
	if (size < sizeof(struct wa_hdr)) {
		d->bad_records++;
		return 0;
	}
	if (r->hdr.rec == WA_REC_CHUNK) {
		on_chunk(d, data, size);
		return 0;
	}
	kind = r->hdr.kind;
	if (r->hdr.rec != WA_REC_EVENT || size < sizeof(*r) || kind >= WD_EV_STATS) {
		d->bad_records++;
		return 0;
	}
	for (int i = 0; i < WA_NSTR; i++) {
		size_t n = r->str[i].len;
		if (n > WA_STR_MAX || off + n > size) {
			d->bad_records++;
			return 0;
		}
		memcpy(st.buf[i], (const char *)data + off, n);
		st.buf[i][n] = '\0';
		s[i] = (n || (r->str[i].flags & WA_S_TRUNC)) ? st.buf[i] : NULL;
		off += n;
	}

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.time_ns = r->hdr.ts + (r->hdr.flags & WA_F_BOOT_CLOCK ? d->boot_to_real : d->mono_to_real);
	if (!(r->hdr.flags & WA_F_NO_PROC))
		proc_from(&ev.proc, &ev.parent, &r->proc);

	switch (kind) {
	case WD_EV_EXEC: {
		struct wd_event_exec *x = &ev.exec;
		const struct wa_exec *e = &r->exec;
		struct wd_pending *p = e->nchunks && r->hdr.id ? pending_find(d, r->hdr.id) : NULL;
		size_t alen = 0;

		str_set(&x->filename, &r->str[0], s[0]);
		str_set(&x->cwd, &r->str[1], s[1]);
		str_set(&x->interpreter, &r->str[2], s[2]);
		x->inode = e->ino;
		x->dev = encode_dev(e->dev);
		x->ctime_ns = e->ctime_ns;
		x->memfd = e->memfd;
		x->deleted = e->deleted;
		x->ret = e->ret;
		if (p) {
			alen = p->contiguous;
			if (p->nchunks < e->nchunks || alen < e->args_sent)
				d->chunks_incomplete++;
			p->buf[alen] = '\0';
			x->args.s = p->buf;
		} else if (e->nchunks) {
			d->chunks_incomplete++;
		}
		if (x->args.s) {
			for (size_t i = 0; i < alen; i++)
				x->argc += p->buf[i] == '\0';
			if (alen && p->buf[alen - 1] != '\0')
				x->argc++;  /* the last argument, cut */
			else if (alen)
				alen--;    /* the last NUL is the terminator */
		}
		x->args.len = alen;
		x->args.true_len = e->args_true_len ? e->args_true_len - 1 : 0;
		if (x->args.true_len < alen)
			x->args.true_len = alen;
		x->args.truncated = x->args.true_len > alen;
		if (p && p->contiguous < e->args_sent)
			d->truncated++;  /* a lost chunk (BPF counts its own cuts) */
		if (e->ret == 0) {
			const char *exe = s[0];
			char abs[PATH_MAX];
			if (exe && exe[0] != '/' && s[1]) {
				snprintf(abs, sizeof(abs), "%s/%s", s[1], exe);
				exe = abs;
			}
			wd_proc_cache_set_exe(d->pc, ev.proc.pid, ev.proc.start_ns, exe);
		}
		int rc = 0;
		ev.proc.exe = wd_proc_cache_exe(d->pc, ev.proc.pid, ev.proc.start_ns);
		ev.proc.container_id = wd_proc_cache_container(d->pc, ev.proc.cgroup_id, ev.proc.pid);
		ev.seq = ++d->seq;
		d->received[kind]++;
		rc = d->fn(d->ctx, &ev);
		if (p)
			p->id = 0;
		if (rc < 0)
			d->output_errors++;
		return 0;
	}
	case WD_EV_FORK:
	case WD_EV_EXIT:
	case WD_EV_PTRACE:
	case WD_EV_NAMESPACE:
	case WD_EV_MODULE_LOAD:
	case WD_EV_BPF_PROG:
	case WD_EV_BPF_MAP:
	case WD_EV_MOUNT:
	case WD_EV_UMOUNT:
	case WD_EV_MEMFD: {
		struct wd_event_other *o = &ev.other;
		o->target_pid = r->other.target_pid;
		o->flags = r->other.flags;
		o->exit_code = r->other.exit_code;
		o->exit_signal = r->other.exit_signal;
		o->bpf_type = r->other.bpf_type;
		o->ret = r->other.ret;
		str_set(&o->name, &r->str[0], s[0]);
		str_set(&o->target, &r->str[1], s[1]);
		str_set(&o->fstype, &r->str[2], s[2]);
		break;
	}
	case WD_EV_CRED: {
		static const struct { uint32_t nr; const char *name; } names[] = {
			{ 105, "setuid" }, { 106, "setgid" }, { 113, "setreuid" }, { 114, "setregid" },
			{ 117, "setresuid" }, { 119, "setresgid" }, { 122, "setfsuid" },
			{ 123, "setfsgid" }, { 126, "capset" },
			/* commit_creds() under other syscalls (the fentry and
			 * kprobe variants see every change) */
			{ 59, "execve" }, { 322, "execveat" }, { 272, "unshare" }, { 308, "setns" },
		};
		struct wd_event_cred *c = &ev.cred;
		const struct wa_cred *w = &r->cred;
		c->old_uid = w->old_uid; c->old_gid = w->old_gid;
		c->old_euid = w->old_euid; c->old_egid = w->old_egid;
		c->new_uid = w->new_uid; c->new_gid = w->new_gid;
		c->new_euid = w->new_euid; c->new_egid = w->new_egid;
		c->old_cap_effective = w->old_cap_eff; c->new_cap_effective = w->new_cap_eff;
		c->old_cap_permitted = w->old_cap_perm; c->new_cap_permitted = w->new_cap_perm;
		c->syscall = "commit_creds";
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (names[i].nr == w->nr)
				c->syscall = names[i].name;
		break;
	}
	case WD_EV_NET_CONNECT:
	case WD_EV_NET_ACCEPT:
	case WD_EV_NET_CLOSE:
	case WD_EV_NET_LISTEN:
	case WD_EV_NET_BIND:
	case WD_EV_NET_UDP_SEND: {
		struct wd_event_net *n = &ev.net;
		const struct wa_net *w = &r->net;
		n->family = w->family;
		n->protocol = w->protocol;
		memcpy(n->saddr, w->saddr, 16);
		memcpy(n->daddr, w->daddr, 16);
		n->sport = w->sport;
		n->dport = w->dport;
		n->bytes_sent = w->bytes_sent;
		n->bytes_received = w->bytes_received;
		n->duration_ns = w->duration_ns;
		n->dns = w->dns;
		n->ret = w->ret;
		break;
	}
	default: { /* file kinds */
		struct wd_event_file *f = &ev.file;
		const struct wa_file *w = &r->file;
		str_set(&f->path, &r->str[0], s[0]);
		str_set(&f->path2, &r->str[1], s[1]);
		const char *base = r->str[2].len && !(r->str[2].flags & WA_S_TRUNC) ? s[2] : NULL;
		if (kind == WD_EV_FILE_SYMLINK) {
			/* the target is the link's content, not a name here */
			absolutize(&f->path2, w->dirfd2, ev.proc.pid, base, st.abs[1], sizeof(st.abs[1]));
		} else {
			absolutize(&f->path, w->dirfd, ev.proc.pid, base, st.abs[0], sizeof(st.abs[0]));
			if (w->dirfd2 == w->dirfd)
				absolutize(&f->path2, w->dirfd2, ev.proc.pid, base, st.abs[1],
					   sizeof(st.abs[1]));
		}
		/* the kernel let relative paths through (and compared only the
		 * first WA_PREFIX_MAX bytes of a longer prefix): decide now */
		if (d->path_prefix && f->path.s &&
		    (f->path.s != st.buf[0] || strlen(d->path_prefix) > WA_PREFIX_MAX) &&
		    strncmp(f->path.s, d->path_prefix, strlen(d->path_prefix))) {
			d->filtered++;
			return 0;
		}
		f->inode = w->ino;
		f->dev = w->dev ? encode_dev(w->dev) : 0;
		f->flags = w->flags;
		f->mode = w->mode;
		f->uid = w->uid;
		f->gid = w->gid;
		break;
	}
	}
	if (!(r->hdr.flags & WA_F_NO_PROC)) {
		ev.proc.exe = wd_proc_cache_exe(d->pc, ev.proc.pid, ev.proc.start_ns);
		ev.proc.container_id = wd_proc_cache_container(d->pc, ev.proc.cgroup_id, ev.proc.pid);
	}
	ev.seq = ++d->seq;
	d->received[kind]++;
	if (d->fn(d->ctx, &ev) < 0)
		d->output_errors++;
	return 0;
}
