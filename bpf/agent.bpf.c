/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The agent's programs (`warden run`, agent/engine.c) for kernels with BTF:
 * CO-RE struct reads, global data, bounded loops (5.3+).  The kernels
 * without BTF run bpf/agent_legacy.bpf.c (process events only).
 *
 * Each event kind has an ordered list of variants (agent/engine.c: kinds[]);
 * a variant is one or more of these programs and the hooks they attach to.
 * Syscall-based kinds share two shapes of program: `sys_enter_stash`
 * (attached to the sys_enter_* tracepoint of every syscall of the kinds
 * asked for) keeps the arguments per thread, after the filters; a sys_exit
 * program per family reads them back with the return value and writes the
 * event.  User strings are read at sys_exit, when the syscall has faulted
 * them in.  Reads of ordinary files are dropped at sys_enter, before any
 * map access.
 *
 * Records go through the ring buffer or the perf buffer (warden_events.h),
 * sized to their content; exec argv goes out in chunks first.  Every output
 * that fails is counted per kind in wa_counters.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "warden_events.h"
#include "warden_agent.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

WD_EVENTS_MAPS(events, 8 << 20);

#define AT_FDCWD_ -100
#define AF_INET_ 2
#define AF_INET6_ 10
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define S_IFMT_ 00170000
#define S_IFSOCK_ 0140000

/* x86_64 syscall numbers */
#define NR_open 2
#define NR_sendto 44
#define NR_sendmsg 46
#define NR_connect 42
#define NR_accept 43
#define NR_bind 49
#define NR_listen 50
#define NR_clone 56
#define NR_fork 57
#define NR_vfork 58
#define NR_execve 59
#define NR_truncate 76
#define NR_ftruncate 77
#define NR_rename 82
#define NR_creat 85
#define NR_link 86
#define NR_unlink 87
#define NR_symlink 88
#define NR_chmod 90
#define NR_fchmod 91
#define NR_chown 92
#define NR_fchown 93
#define NR_lchown 94
#define NR_ptrace 101
#define NR_setuid 105
#define NR_setgid 106
#define NR_setreuid 113
#define NR_setregid 114
#define NR_setresuid 117
#define NR_setresgid 119
#define NR_setfsuid 122
#define NR_setfsgid 123
#define NR_capset 126
#define NR_mount 165
#define NR_umount2 166
#define NR_openat 257
#define NR_fchownat 260
#define NR_unlinkat 263
#define NR_renameat 264
#define NR_linkat 265
#define NR_symlinkat 266
#define NR_fchmodat 268
#define NR_unshare 272
#define NR_accept4 288
#define NR_sendmmsg 307
#define NR_setns 308
#define NR_renameat2 316
#define NR_memfd_create 319
#define NR_bpf 321
#define NR_execveat 322
#define NR_clone3 435
#define NR_openat2 437
#define NR_fchmodat2 452

/* syscalls:sys_enter_* / sys_exit_* records: the same layout on every kernel */
struct sys_enter_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__u64 args[6];
};
struct sys_exit_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

/* ---- maps ---------------------------------------------------------- */

struct scratch {
	struct wa_event ev;
	char data[WA_NSTR * WA_STR_MAX];
	struct wa_chunk ch;
	char chdata[2 * WA_CHUNK];
	char tmp[2 * WA_STR_MAX];
	__u64 next_id;
	__u32 wpos, wtrue, wdone, wmore;
	__u64 wdent, wmnt;     /* the path walk: where it is (see path_step) */
	__u64 wargv;           /* a failed exec's argv (see wa_argv_read) */
	__u64 wp1, wp2;        /* file_event: the switch's outcome (see there) */
	__s32 wfd;
	__u32 wnr;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} wa_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wa_config);
} wa_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wa_counters);
} wa_counters SEC(".maps");

struct stash {
	__u32 nr;
	__u32 pad;
	__u64 args[6];
	__u64 extra;             /* openat2: how->flags; clone3: args->flags */
	__u32 uid, gid, euid, egid;
	__u64 cap_eff, cap_perm;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct stash);
} wa_stash SEC(".maps");

/* TCP sockets seen connecting or accepted: who, since when */
struct sock_info {
	struct wa_proc proc;
	struct wa_net tuple;     /* at connect/accept: ports are gone at close */
	__u64 start;
	__u32 have_proc;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct sock_info);
} wa_socks SEC(".maps");

struct peer_key {
	__u32 tgid;
	__u16 family, port;
	__u8 addr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct peer_key);
	__type(value, __u8);
} wa_peers SEC(".maps");

/* pid tree filter: tgids known to descend from config.pid_tree */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} wa_tree SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} wa_cgroup SEC(".maps");

/* ---- kernel structs that changed over time (CO-RE flavours) ---------- */

struct inode___v66 {
	struct timespec64 __i_ctime;
} __attribute__((preserve_access_index));

struct inode___old {
	struct timespec64 i_ctime;
} __attribute__((preserve_access_index));

/* ---- helpers ------------------------------------------------------- */

/* Keep the compiler from folding a bound the verifier must see. */
#define BARRIER_VAR(v) asm volatile("" : "+r"(v))

/* The configuration, or NULL once the agent is stopping: every program
 * returns when it gets NULL, so a stop takes effect at once even while the
 * kernel is still releasing the links. */
static __always_inline struct wa_config *wa_cfg(void)
{
	__u32 zero = 0;
	struct wa_config *c = bpf_map_lookup_elem(&wa_config, &zero);
	return c && !c->stopped ? c : NULL;
}

static __always_inline struct wa_counters *counters(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&wa_counters, &zero);
}

static __always_inline struct scratch *scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&wa_scratch, &zero);
}

static __always_inline void count_filtered(__u32 kind)
{
	struct wa_counters *c = counters();
	if (c)
		c->filtered[kind & (WA_NKINDS - 1)]++;
}

static __always_inline bool kind_wanted(struct wa_config *c, __u32 kind)
{
	return !c->kinds || (c->kinds & (1ull << (kind & 63)));
}

/* Is the current process in the pid tree of root?  Known members are in
 * wa_tree; otherwise walk up to 12 ancestors once and remember.  Global
 * (see wa_str_path): as a static function it was verified again for every
 * state of its callers, 11,000 of sys_enter_stash's 15,000 instructions. */
__noinline int wa_in_tree(__u32 root)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	__u32 tgid = BPF_CORE_READ(t, tgid);
	__u8 one = 1;

	if (tgid == root || bpf_map_lookup_elem(&wa_tree, &tgid))
		return 1;
	struct task_struct *p = t;
	for (int i = 0; i < 12; i++) {
		p = BPF_CORE_READ(p, real_parent);
		if (!p)
			break;
		__u32 ptgid = BPF_CORE_READ(p, tgid);
		if (ptgid == root || bpf_map_lookup_elem(&wa_tree, &ptgid)) {
			bpf_map_update_elem(&wa_tree, &tgid, &one, BPF_ANY);
			return 1;
		}
		if (ptgid <= 1)
			break;
	}
	return 0;
}

/* 1: drop the event (the agent itself, or a filter; filters are counted). */
static __always_inline int filtered(struct wa_config *c, __u32 kind)
{
	__u64 pt = bpf_get_current_pid_tgid();
	__u32 tgid = pt >> 32;

	if (tgid == c->agent_tgid)
		return 1;
	if (!kind_wanted(c, kind))
		return 1;
	if (c->uid >= 0 && (__u32)bpf_get_current_uid_gid() != (__u32)c->uid)
		goto drop;
	if (c->comm_set) {
		/* two words, not a loop over 16 bytes (a verifier pass per byte
		 * in every program): both names are zero-padded, the task's by
		 * bpf_get_current_comm (strncpy, later strscpy_pad), the
		 * filter's by the agent */
		__u64 comm[2] = {};
		bpf_get_current_comm(comm, sizeof(comm));
		if (comm[0] != *(__u64 *)&c->comm[0] || comm[1] != *(__u64 *)&c->comm[8])
			goto drop;
	}
	if (c->use_cgroup_map && bpf_current_task_under_cgroup(&wa_cgroup, 0) != 1)
		goto drop;
	if (c->pid_tree && !wa_in_tree(c->pid_tree))
		goto drop;
	return 0;
drop:
	count_filtered(kind);
	return 1;
}

static __always_inline __u32 pid_nr_at(struct pid *pid, __u32 level, __u32 *inum)
{
	struct upid up = {};

	if (!pid || BPF_CORE_READ(pid, level) < level)
		return 0;
	bpf_probe_read_kernel(&up, sizeof(up),
			      (char *)pid + bpf_core_field_offset(struct pid, numbers) +
			      (level & 31) * sizeof(struct upid));
	if (inum)
		*inum = BPF_CORE_READ(up.ns, ns.inum);
	return up.nr;
}

/* The process context of task t. */
static __noinline void fill_proc(struct wa_proc *p, struct task_struct *t)
{
	struct task_struct *parent = BPF_CORE_READ(t, real_parent);
	struct task_struct *leader = BPF_CORE_READ(t, group_leader);
	const struct cred *cred = BPF_CORE_READ(t, cred);
	struct nsproxy *nsp = BPF_CORE_READ(t, nsproxy);
	struct pid *tpid = BPF_CORE_READ(t, thread_pid);
	__u32 level = BPF_CORE_READ(tpid, level), inum = 0;

	p->pid = BPF_CORE_READ(t, tgid);
	p->tid = BPF_CORE_READ(t, pid);
	p->ppid = BPF_CORE_READ(parent, tgid);
	p->ns_tid = pid_nr_at(tpid, level, &inum);
	p->ns[0] = inum;
	p->ns_pid = pid_nr_at(BPF_CORE_READ(leader, thread_pid), level, NULL);
	p->ns_ppid = pid_nr_at(BPF_CORE_READ(parent, thread_pid), level, NULL);
	p->uid = BPF_CORE_READ(cred, uid.val);
	p->gid = BPF_CORE_READ(cred, gid.val);
	p->euid = BPF_CORE_READ(cred, euid.val);
	p->egid = BPF_CORE_READ(cred, egid.val);
	if (bpf_core_field_exists(t->loginuid)) {
		p->auid = BPF_CORE_READ(t, loginuid.val);
		p->sessionid = BPF_CORE_READ(t, sessionid);
	} else {
		p->auid = (__u32)-1;
		p->sessionid = (__u32)-1;
	}
	p->cgroup_id = BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id);
	p->start_ns = BPF_CORE_READ(t, start_time);
	p->pstart_ns = BPF_CORE_READ(parent, start_time);
	p->ns[1] = BPF_CORE_READ(nsp, mnt_ns, ns.inum);
	p->ns[2] = BPF_CORE_READ(nsp, net_ns, ns.inum);
	p->ns[3] = BPF_CORE_READ(cred, user_ns, ns.inum);
	p->ns[4] = BPF_CORE_READ(nsp, uts_ns, ns.inum);
	p->ns[5] = BPF_CORE_READ(nsp, cgroup_ns, ns.inum);
	BPF_CORE_READ_STR_INTO(&p->comm, t, comm);
	BPF_CORE_READ_STR_INTO(&p->pcomm, parent, comm);
}

/* Start an event record in the scratch buffer. */
static __always_inline struct scratch *begin(__u32 kind, struct task_struct *t)
{
	struct scratch *s = scratch();
	if (!s)
		return NULL;
	__builtin_memset(&s->ev, 0, sizeof(s->ev));
	s->ev.hdr.rec = WA_REC_EVENT;
	s->ev.hdr.kind = kind;
	s->ev.hdr.flags = WA_F_BOOT_CLOCK;
	s->ev.hdr.ts = bpf_ktime_get_boot_ns();
	if (t)
		fill_proc(&s->ev.proc, t);
	return s;
}

/* Output a record; failures are counted per kind. */
static __always_inline long output(void *ctx, void *data, __u64 size)
{
	if (warden_use_ringbuf)
		return bpf_ringbuf_output(&events, data, size, wd__ring_flags(&events, size));
	return bpf_perf_event_output(ctx, &events_perf, BPF_F_CURRENT_CPU, data, size);
}

static __always_inline void emit(void *ctx, struct scratch *s, __u32 used)
{
	struct wa_counters *c = counters();
	__u32 k = s->ev.hdr.kind & (WA_NKINDS - 1);

	__u64 size = used;
	/* a bound the verifier sees on the register passed: clang may fold a
	 * plain clamp into a form it cannot follow (R3 unbounded) */
	BARRIER_VAR(size);
	if (size > WA_NSTR * WA_STR_MAX)
		size = WA_NSTR * WA_STR_MAX;
	BARRIER_VAR(size);
	long err = output(ctx, &s->ev, sizeof(s->ev) + size);
	if (c) {
		c->generated[k]++;
		if (err)
			c->dropped[k]++;
	}
}

static __always_inline void count_trunc(void)
{
	struct wa_counters *c = counters();
	if (c)
		c->truncated++;
}

/* Append a string to the record: string i at data[*used]. */
static __always_inline void str_user(struct scratch *s, int i, const void *uptr, __u32 *used)
{
	__u32 off = *used;
	long n;

	BARRIER_VAR(off);  /* see emit(): a clamp the verifier follows */
	if (off > (WA_NSTR - 1) * WA_STR_MAX)
		off = (WA_NSTR - 1) * WA_STR_MAX;
	BARRIER_VAR(off);
	if (!uptr) {
		s->ev.str[i].flags = WA_S_FAULT;
		return;
	}
	n = bpf_probe_read_user_str(&s->data[off], WA_STR_MAX, uptr);
	if (n <= 0) {
		s->ev.str[i].flags = WA_S_FAULT;
		return;
	}
	n--;  /* the NUL */
	s->ev.str[i].len = n;
	s->ev.str[i].true_len = n;
	if (n == WA_STR_MAX - 1 && s->data[(off + n) & (WA_NSTR * WA_STR_MAX - 1)] == 0) {
		/* could be longer: a path is at most PATH_MAX with its NUL, so
		 * only non-paths get here */
		s->ev.str[i].flags = WA_S_TRUNC;
		count_trunc();
	}
	*used = off + n;
}

static __always_inline void str_kernel(struct scratch *s, int i, const void *kptr, __u32 *used)
{
	__u32 off = *used;
	long n;

	BARRIER_VAR(off);  /* see emit(): a clamp the verifier follows */
	if (off > (WA_NSTR - 1) * WA_STR_MAX)
		off = (WA_NSTR - 1) * WA_STR_MAX;
	BARRIER_VAR(off);
	n = bpf_probe_read_kernel_str(&s->data[off], WA_STR_MAX, kptr);
	if (n <= 0) {
		s->ev.str[i].flags = WA_S_FAULT;
		return;
	}
	n--;
	s->ev.str[i].len = n;
	s->ev.str[i].true_len = n;
	*used = off + n;
}

/* Global functions (wa_str_path, wa_prefix_miss: not static) are verified
 * once each, on their own, their arguments taken as any scalar; a static
 * subprogram is verified again for every distinct state of its callers
 * that reaches the call.  sys_exit_file's 20-case switch reached the path
 * walk and the prefix loop in ~100 states: 363,000 instructions processed,
 * 0.5-1.1 s per load on 6.18, most of the agent's start-up.  Their
 * arguments are scalars (kernel pointers as __u64: before 6.8 a global
 * function takes no pointer but the context) and they find the per-CPU
 * scratch themselves.  Global functions: 5.6+ (commit 51c39bb1d5d1, "bpf:
 * Introduce function-by-function verification"). */

/* A path from a struct path, by walking dentries up to the root of its
 * mount namespace; into tmp from the end, then appended to the record as
 * string i at off; returns the new end of the record's strings.
 * The walk's state (dentry, mount, write position) lives in map memory,
 * where the verifier does not track its value: every step then ends in the
 * same state and the walk costs the verifier one pass per step, not 2^n. */
#define WA_PATH_DEPTH 48

static __always_inline void path_begin(struct scratch *s, __u64 dentry_p, __u64 vfsmnt_p)
{
	s->wdent = dentry_p;
	s->wmnt = vfsmnt_p - bpf_core_field_offset(struct mount, mnt);
	s->wpos = WA_STR_MAX;
	s->wtrue = 0;
	s->wdone = 0;
}

/* One dentry up (or across a mount point): 0 to go on, 1 at the top. */
static __always_inline int path_step(struct scratch *s)
{
	struct dentry *dentry = (void *)s->wdent;
	struct mount *mnt = (void *)s->wmnt;
	struct vfsmount *vfsmnt = (void *)mnt + bpf_core_field_offset(struct mount, mnt);
	struct dentry *root = BPF_CORE_READ(vfsmnt, mnt_root);
	struct dentry *parent = BPF_CORE_READ(dentry, d_parent);

	if (dentry == root || dentry == parent) {
		struct mount *mp = BPF_CORE_READ(mnt, mnt_parent);
		if (dentry != root || mp == mnt || !mp) {
			s->wdone = 1;  /* the root, or the top of a detached tree */
			return 1;
		}
		s->wdent = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		s->wmnt = (__u64)mp;
		return 0;
	}
	__u64 len = BPF_CORE_READ(dentry, d_name.len) & (WA_STR_MAX - 1);
	const unsigned char *name = BPF_CORE_READ(dentry, d_name.name);
	__u64 pos = s->wpos;
	s->wtrue += len + 1;
	s->wdent = (__u64)parent;
	if (len + 1 > pos) {
		s->wpos = 0;  /* full: go on counting the true length */
		return 0;
	}
	pos -= len;
	bpf_probe_read_kernel(&s->tmp[pos & (WA_STR_MAX - 1)], len, name);
	pos--;
	s->tmp[pos & (WA_STR_MAX - 1)] = '/';
	s->wpos = pos;
	return 0;
}

/* The walk's result appended as string i at off; the new end. */
static __always_inline int path_end(struct scratch *s, __u32 i, __u64 off)
{
	BARRIER_VAR(off);  /* see emit(): a clamp the verifier follows */
	if (off > (WA_NSTR - 1) * WA_STR_MAX)
		off = (WA_NSTR - 1) * WA_STR_MAX;
	BARRIER_VAR(off);
	if (s->wpos == WA_STR_MAX) {  /* the root itself */
		s->wpos = WA_STR_MAX - 1;
		s->tmp[WA_STR_MAX - 1] = '/';
		s->wtrue = 1;
	}
	__u64 p = s->wpos, len = WA_STR_MAX - p;
	BARRIER_VAR(len);
	len &= WA_STR_MAX - 1;
	bpf_probe_read_kernel(&s->data[off], len, &s->tmp[p & (WA_STR_MAX - 1)]);
	s->ev.str[i & 3].len = len;
	s->ev.str[i & 3].true_len = s->wdone ? s->wtrue : s->wtrue + 1;
	if (!s->wdone || s->wtrue > len) {
		s->ev.str[i & 3].flags = WA_S_TRUNC;
		count_trunc();
	}
	return off + len;
}

/* One step of the walk as a global function: verified once on its own,
 * so that the loop below costs the verifier a call and a test per step
 * (it walked every step's body inline before: ~575 instructions a step
 * on 6.18, 27,600 a program).  0 to go on, 1 at the top. */
__noinline int wa_path_step(void)
{
	struct scratch *s = scratch();

	return !s || path_step(s);
}

__noinline int wa_str_path(__u32 i, __u64 dentry_p, __u64 vfsmnt_p, __u64 off)
{
	struct scratch *s = scratch();

	if (!s)
		return off;
	path_begin(s, dentry_p, vfsmnt_p);
	for (int k = 0; k < WA_PATH_DEPTH; k++)
		if (wa_path_step())
			break;
	return path_end(s, i, off);
}

static __always_inline int str_path(struct scratch *s, int i, struct dentry *dentry,
				    struct vfsmount *vfsmnt, __u32 off)
{
	__u64 end = (__u32)wa_str_path(i, (__u64)dentry, (__u64)vfsmnt, off);

	(void)s;  /* the same per-CPU scratch */
	/* clang knows the range of what the function returns and drops the
	 * callers' bounds checks; the verifier sees any scalar */
	BARRIER_VAR(end);
	return end > WA_NSTR * WA_STR_MAX ? WA_NSTR * WA_STR_MAX : end;
}

static __always_inline __u64 inode_ctime(struct inode *ino)
{
	if (bpf_core_field_exists(ino->i_ctime_sec))
		return BPF_CORE_READ(ino, i_ctime_sec) * 1000000000ull + BPF_CORE_READ(ino, i_ctime_nsec);
	struct inode___v66 *i66 = (void *)ino;
	if (bpf_core_field_exists(i66->__i_ctime))
		return BPF_CORE_READ(i66, __i_ctime.tv_sec) * 1000000000ull +
		       BPF_CORE_READ(i66, __i_ctime.tv_nsec);
	struct inode___old *io = (void *)ino;
	return BPF_CORE_READ(io, i_ctime.tv_sec) * 1000000000ull + BPF_CORE_READ(io, i_ctime.tv_nsec);
}

/* The struct file of fd in the current task, or NULL. */
static __always_inline struct file *fd_file(int fd)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;

	if (fd < 0 || (__u32)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd & 0xfffff]);
	return f;
}

static __always_inline struct sock *fd_sock(int fd)
{
	struct file *f = fd_file(fd);
	if (!f)
		return NULL;
	__u16 mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT_) != S_IFSOCK_)
		return NULL;
	struct socket *sock = BPF_CORE_READ(f, private_data);
	return BPF_CORE_READ(sock, sk);
}

/* The arguments kept at sys_enter, or NULL: the common case (a read-only
 * open, a filtered process) costs one hash lookup and nothing else. */
static __always_inline struct stash *stash_take(__u32 tid)
{
	return bpf_map_lookup_elem(&wa_stash, &tid);
}

/* ---- process: exec ------------------------------------------------- */

/* Argv from the new mm, in chunks before the event. */
static __noinline void send_args(void *ctx, struct scratch *s, struct task_struct *t, __u32 kind)
{
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	__u64 start = BPF_CORE_READ(mm, arg_start), end = BPF_CORE_READ(mm, arg_end);
	__u32 total = end > start ? end - start : 0;

	/* the position lives in map memory (see str_path) */
	s->ev.exec.args_true_len = total;
	s->ev.exec.args_sent = 0;
	s->ev.exec.nchunks = 0;
	s->ch.hdr = s->ev.hdr;
	s->ch.hdr.rec = WA_REC_CHUNK;
	struct wa_counters *c = counters();
	if (!c)
		return;
	/* sent and len are read back from map memory (volatile: the compiler
	 * would keep them in registers), where the verifier knows only their
	 * bounds: every iteration then reaches the same state.  With the
	 * values tracked (sent exact, len either WA_CHUNK or the rest), each
	 * iteration multiplied the states: 264,000 instructions and 0.45 s of
	 * verification per load on 6.18, for a 32-iteration loop. */
	for (int i = 0; i < WA_ARGS_MAX / WA_CHUNK; i++) {
		__u32 sent = *(volatile __u32 *)&s->ev.exec.args_sent;
		if (sent >= total)
			break;
		s->ch.len = total - sent > WA_CHUNK ? WA_CHUNK : total - sent;
		__u64 len = *(volatile __u32 *)&s->ch.len;
		len &= 2 * WA_CHUNK - 1;
		if (bpf_probe_read_user(s->chdata, len, (void *)(start + sent)))
			break;
		s->ch.index = i;
		s->ch.offset = sent;
		long err;
		if (warden_use_ringbuf)
			err = bpf_ringbuf_output(&events, &s->ch, sizeof(s->ch) + len,
						 wd__ring_flags(&events, sizeof(s->ch) + len));
		else
			err = bpf_perf_event_output(ctx, &events_perf, BPF_F_CURRENT_CPU, &s->ch,
						    sizeof(s->ch) + len);
		c->chunk_failed += err != 0;
		s->ev.exec.args_sent = sent + len;
		s->ev.exec.nchunks++;
	}
	if (s->ev.exec.args_sent < total)
		count_trunc();
}

static __always_inline void exec_common(void *ctx, struct scratch *s, struct task_struct *t,
					 const char *filename, const char *interp)
{
	struct file *exe = BPF_CORE_READ(t, mm, exe_file);
	struct inode *ino = BPF_CORE_READ(exe, f_inode);
	struct dentry *dentry = BPF_CORE_READ(exe, f_path.dentry);
	struct fs_struct *fs = BPF_CORE_READ(t, fs);
	__u32 used = 0;
	char pre[8] = {};

	s->ev.hdr.id = (((__u64)bpf_get_smp_processor_id() + 1) << 48) | (++s->next_id & 0xffffffffffffull);
	send_args(ctx, s, t, WA_K_EXEC);
	s->ev.exec.ino = BPF_CORE_READ(ino, i_ino);
	s->ev.exec.dev = BPF_CORE_READ(ino, i_sb, s_dev);
	s->ev.exec.ctime_ns = inode_ctime(ino);
	s->ev.exec.deleted = BPF_CORE_READ(ino, __i_nlink) == 0;
	bpf_probe_read_kernel_str(pre, sizeof(pre), BPF_CORE_READ(dentry, d_name.name));
	s->ev.exec.memfd = pre[0] == 'm' && pre[1] == 'e' && pre[2] == 'm' && pre[3] == 'f' &&
			   pre[4] == 'd' && pre[5] == ':';
	str_kernel(s, 0, filename, &used);
	used = str_path(s, 1, BPF_CORE_READ(fs, pwd.dentry), BPF_CORE_READ(fs, pwd.mnt), used);
	if (interp)
		str_kernel(s, 2, interp, &used);
	emit(ctx, s, used);
}

SEC("raw_tp/sched_process_exec")
int exec_raw(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *t = (void *)ctx->args[0];
	struct linux_binprm *bprm = (void *)ctx->args[2];
	struct wa_config *c = wa_cfg();
	struct scratch *s;

	if (!c || filtered(c, WA_K_EXEC) || !(s = begin(WA_K_EXEC, t)))
		return 0;
	const char *fn = BPF_CORE_READ(bprm, filename), *in = BPF_CORE_READ(bprm, interp);
	exec_common(ctx, s, t, fn, in != fn ? in : NULL);
	return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int exec_tp(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct wa_config *c = wa_cfg();
	struct scratch *s;

	if (!c || filtered(c, WA_K_EXEC) || !(s = begin(WA_K_EXEC, t)))
		return 0;
	exec_common(ctx, s, t, (char *)ctx + (BPF_CORE_READ(ctx, __data_loc_filename) & 0xffff), NULL);
	return 0;
}

/* One chunk of argv from s->chdata: len bytes at payload offset s->ev.exec.args_sent. */
static __always_inline void send_chunk(void *ctx, struct scratch *s, __u64 len, struct wa_counters *c)
{
	long err;

	len &= 2 * WA_CHUNK - 1;
	s->ch.len = len;
	s->ch.index = s->ev.exec.nchunks;
	s->ch.offset = s->ev.exec.args_sent;
	if (warden_use_ringbuf)
		err = bpf_ringbuf_output(&events, &s->ch, sizeof(s->ch) + len,
					 wd__ring_flags(&events, sizeof(s->ch) + len));
	else
		err = bpf_perf_event_output(ctx, &events_perf, BPF_F_CURRENT_CPU, &s->ch, sizeof(s->ch) + len);
	c->chunk_failed += err != 0;
	s->ev.exec.args_sent += len;
	s->ev.exec.nchunks++;
}

/* Argv of a failed exec, from the caller's own argv array (the old mm is
 * still there: an exec that fails returns before the point of no return;
 * shells and interpreters build argv in memory they wrote, which is mapped).
 * Strings are packed NUL-terminated into chunks of WA_CHUNK bytes, as
 * send_args() sends the new mm's arg area, so user space reassembles both
 * alike.  A string read at pos may run past the chunk into the second half
 * of chdata: the full chunk goes out and the overflow moves to the front.
 * The position and the true length live in map memory (see str_path). */
#define WA_FAILED_ARGV_MAX 128
static __always_inline void argv_begin(struct scratch *s)
{
	s->ev.exec.args_sent = 0;
	s->ev.exec.nchunks = 0;
	s->ev.exec.args_true_len = 0;
	s->ch.hdr = s->ev.hdr;
	s->ch.hdr.rec = WA_REC_CHUNK;
	s->wpos = 0;
	s->wtrue = 0;
	/* the cut flag lives in map memory too: kept in a register, its two
	 * values doubled the verifier's states at each of the 128 iterations */
	s->wmore = 0;
}

/* After a full chunk went out: what ran past it to the front. */
static __always_inline void argv_shift(struct scratch *s)
{
	__u64 over = s->wpos - WA_CHUNK;
	BARRIER_VAR(over);
	over &= WA_CHUNK - 1;
	if (over)
		bpf_probe_read_kernel(s->chdata, over, &s->chdata[WA_CHUNK]);
	s->wpos = over;
}

/* Argument i of the failed exec's argv (s->wargv) into chdata at s->wpos:
 * 0 to go on, 1 when done.  A chunk that fills goes out from here into
 * the ring buffer; the perf buffer's output needs the program's context:
 * there 2 tells the caller to send it and call wa_argv_shift().  Global
 * functions (see wa_path_step): the loop costs the verifier a call and a
 * test an argument, not the body's walk (exec_fail: 37,600 instructions
 * on 6.18 with the body inline, 2,700 so). */
__noinline int wa_argv_read(__u32 i)
{
	struct scratch *s = scratch();
	const char *const *argv;
	const char *arg = NULL;

	if (!s)
		return 1;
	argv = (const char *const *)s->wargv;
	if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) || !arg)
		return 1;
	if (s->ev.exec.args_sent >= WA_ARGS_MAX) {
		s->wmore = 1;
		return 1;
	}
	__u64 pos = s->wpos & (WA_CHUNK - 1);
	long n = bpf_probe_read_user_str(&s->chdata[pos], WA_CHUNK, arg);
	if (n <= 0) {
		/* a page the process never touched: since 6.8 (commit
		 * 978ffcbf00d8, the file opened before the strings are
		 * copied) an exec that fails to open has not faulted
		 * them in, and this program cannot fault: flagged */
		s->wmore = 1;
		return 1;
	}
	if (n == WA_CHUNK)
		s->wmore = 1;  /* an argument of 4 KiB or more: cut, flagged below */
	s->wtrue += n;
	pos += n;
	s->wpos = pos;
	if (pos < WA_CHUNK)
		return 0;
	if (!warden_use_ringbuf)
		return 2;
	struct wa_counters *c = counters();
	if (c)
		send_chunk(NULL, s, WA_CHUNK, c);  /* no context: the ring buffer */
	argv_shift(s);
	return 0;
}

__noinline int wa_argv_shift(void)
{
	struct scratch *s = scratch();

	if (s)
		argv_shift(s);
	return 0;
}

static __always_inline void argv_end(void *ctx, struct scratch *s, struct wa_counters *c)
{
	if (s->wpos)
		send_chunk(ctx, s, s->wpos & (WA_CHUNK - 1), c);
	/* the true length when it is known; one byte more than was sent
	 * flags the cut when it is not (more arguments than were read) */
	s->ev.exec.args_true_len = s->wtrue > s->ev.exec.args_sent ? s->wtrue : s->ev.exec.args_sent;
	if (s->wmore) {
		s->ev.exec.args_true_len = s->ev.exec.args_true_len + 1;
		count_trunc();
	}
}

static __noinline void send_user_argv(void *ctx, struct scratch *s, const char *const *argv)
{
	struct wa_counters *c = counters();

	argv_begin(s);
	if (!c || !argv)
		return;
	s->wargv = (__u64)argv;
	for (int i = 0; i < WA_FAILED_ARGV_MAX; i++) {
		int r = wa_argv_read(i);
		if (!r)
			continue;
		/* a constant the verifier folds: with the ring buffer the
		 * perf path below is not walked at all */
		if (warden_use_ringbuf || r != 2)
			break;
		send_chunk(ctx, s, WA_CHUNK, c);
		wa_argv_shift();
	}
	argv_end(ctx, s, c);
}

/* A failed execve/execveat (sched_process_exec fires on success only). */
static __noinline int exec_failed(void *ctx, long ret)
{
	struct wa_config *c = wa_cfg();
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct stash *st;
	struct scratch *s;
	__u32 used = 0;

	if (ret >= 0 || !c || !(st = bpf_map_lookup_elem(&wa_stash, &tid)))
		return 0;
	if (st->nr != NR_execve && st->nr != NR_execveat)
		return 0;
	if (!(s = begin(WA_K_EXEC, (void *)bpf_get_current_task()))) {
		bpf_map_delete_elem(&wa_stash, &tid);
		return 0;
	}
	s->ev.exec.ret = ret;
	s->ev.hdr.id = (((__u64)bpf_get_smp_processor_id() + 1) << 48) | (++s->next_id & 0xffffffffffffull);
	send_user_argv(ctx, s, (const char *const *)st->args[st->nr == NR_execveat ? 2 : 1]);
	str_user(s, 0, (void *)st->args[st->nr == NR_execveat ? 1 : 0], &used);
	bpf_map_delete_elem(&wa_stash, &tid);
	emit(ctx, s, used);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int exec_fail(struct sys_exit_ctx *ctx)
{
	return exec_failed(ctx, ctx->ret);
}

/* ---- process: fork, exit ------------------------------------------- */

static __always_inline void fork_event(void *ctx, struct wa_config *c, struct task_struct *child,
				       __u32 child_pid, __u32 child_tgid)
{
	__u32 ptid = (__u32)bpf_get_current_pid_tgid();
	struct scratch *s;
	struct stash *st;
	__u8 one = 1;

	if (child_pid != child_tgid)
		return;  /* a thread */
	if (c->pid_tree && wa_in_tree(c->pid_tree))
		bpf_map_update_elem(&wa_tree, &child_tgid, &one, BPF_ANY);
	if (filtered(c, WA_K_FORK))
		return;
	if (child) {
		if (!(s = begin(WA_K_FORK, child)))
			return;
	} else {
		/* no child task: the parent's context with the child's pid */
		if (!(s = begin(WA_K_FORK, (void *)bpf_get_current_task())))
			return;
		s->ev.proc.ppid = s->ev.proc.pid;
		s->ev.proc.ns_ppid = s->ev.proc.ns_pid;
		s->ev.proc.pstart_ns = s->ev.proc.start_ns;
		__builtin_memcpy(s->ev.proc.pcomm, s->ev.proc.comm, 16);
		s->ev.proc.pid = s->ev.proc.tid = child_pid;
		s->ev.proc.ns_pid = s->ev.proc.ns_tid = 0;
		s->ev.proc.start_ns = 0;
	}
	s->ev.hdr.flags |= WA_F_PARENT;
	s->ev.other.target_pid = child_pid;
	st = bpf_map_lookup_elem(&wa_stash, &ptid);
	if (st) {
		if (st->nr == NR_clone)
			s->ev.other.flags = st->args[0];
		else if (st->nr == NR_clone3)
			s->ev.other.flags = st->extra;
		s->ev.other.nr = st->nr;
	}
	emit(ctx, s, 0);
}

SEC("raw_tp/sched_process_fork")
int fork_raw(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *child = (void *)ctx->args[1];
	struct wa_config *c = wa_cfg();

	if (c)
		fork_event(ctx, c, child, BPF_CORE_READ(child, pid), BPF_CORE_READ(child, tgid));
	return 0;
}

SEC("tracepoint/sched/sched_process_fork")
int fork_tp(struct trace_event_raw_sched_process_fork *ctx)
{
	struct wa_config *c = wa_cfg();
	__u32 pid = BPF_CORE_READ(ctx, child_pid);

	/* the tracepoint does not say whether the child is a thread: a
	 * child whose pid is not a tgid is one; clone(CLONE_THREAD) is in the
	 * stash */
	__u32 ptid = (__u32)bpf_get_current_pid_tgid();
	struct stash *st = bpf_map_lookup_elem(&wa_stash, &ptid);
	if (st && ((st->nr == NR_clone && (st->args[0] & 0x10000)) ||
		   (st->nr == NR_clone3 && (st->extra & 0x10000))))
		return 0;
	if (c)
		fork_event(ctx, c, NULL, pid, pid);
	return 0;
}

static __always_inline void exit_event(void *ctx, struct task_struct *t)
{
	struct wa_config *c = wa_cfg();
	struct scratch *s;
	__u32 tgid = BPF_CORE_READ(t, tgid);

	/* the last thread of the group */
	if (BPF_CORE_READ(t, signal, live.counter) != 0)
		return;
	if (!c)
		return;
	if (filtered(c, WA_K_EXIT)) {
		if (c->pid_tree)
			bpf_map_delete_elem(&wa_tree, &tgid);
		return;
	}
	if (!(s = begin(WA_K_EXIT, t)))
		return;
	if (c->pid_tree)
		bpf_map_delete_elem(&wa_tree, &tgid);
	int code = BPF_CORE_READ(t, exit_code);
	if (BPF_CORE_READ(t, signal, flags) & 0x4 /* SIGNAL_GROUP_EXIT */)
		code = BPF_CORE_READ(t, signal, group_exit_code);
	s->ev.other.exit_code = (code >> 8) & 0xff;
	s->ev.other.exit_signal = code & 0x7f;
	s->ev.other.flags = code;
	emit(ctx, s, 0);
}

SEC("raw_tp/sched_process_exit")
int exit_raw(struct bpf_raw_tracepoint_args *ctx)
{
	exit_event(ctx, (void *)ctx->args[0]);
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int exit_tp(void *ctx)
{
	exit_event(ctx, (void *)bpf_get_current_task());
	return 0;
}

/* ---- syscall arguments, kept per thread at sys_enter ------------------ */

static __always_inline __u32 kind_of_nr(__u32 nr)
{
	switch (nr) {
	case NR_open: case NR_openat: case NR_openat2: case NR_creat: return WA_K_FILE_OPEN;
	case NR_unlink: case NR_unlinkat: return WA_K_FILE_UNLINK;
	case NR_rename: case NR_renameat: case NR_renameat2: return WA_K_FILE_RENAME;
	case NR_chmod: case NR_fchmod: case NR_fchmodat: case NR_fchmodat2: return WA_K_FILE_CHMOD;
	case NR_chown: case NR_fchown: case NR_lchown: case NR_fchownat: return WA_K_FILE_CHOWN;
	case NR_link: case NR_linkat: return WA_K_FILE_LINK;
	case NR_symlink: case NR_symlinkat: return WA_K_FILE_SYMLINK;
	case NR_truncate: case NR_ftruncate: return WA_K_FILE_TRUNCATE;
	case NR_execve: case NR_execveat: return WA_K_EXEC;
	case NR_clone: case NR_clone3: case NR_fork: case NR_vfork: return WA_K_FORK;
	case NR_setuid: case NR_setgid: case NR_setreuid: case NR_setregid: case NR_setresuid:
	case NR_setresgid: case NR_setfsuid: case NR_setfsgid: case NR_capset: return WA_K_CRED;
	case NR_ptrace: return WA_K_PTRACE;
	case NR_unshare: case NR_setns: return WA_K_NAMESPACE;
	case NR_connect: return WA_K_NET_CONNECT;
	case NR_accept: case NR_accept4: return WA_K_NET_ACCEPT;
	case NR_listen: return WA_K_NET_LISTEN;
	case NR_bind: return WA_K_NET_BIND;
	case NR_sendto: case NR_sendmsg: case NR_sendmmsg: return WA_K_NET_UDP_SEND;
	case NR_bpf: return WA_K_BPF_PROG;
	case NR_mount: return WA_K_MOUNT;
	case NR_umount2: return WA_K_UMOUNT;
	case NR_memfd_create: return WA_K_MEMFD;
	}
	return WA_K__COUNT;
}

#define O_ACCMODE_ 3
#define O_CREAT_ 0100
#define O_TRUNC_ 01000

SEC("tracepoint/syscalls/sys_enter_openat")
int sys_enter_stash(struct sys_enter_ctx *ctx)
{
	__u32 nr = ctx->nr, kind;
	__u64 extra = 0, args[6];

	/* one program on syscalls of 1 to 6 arguments: the kernel refuses to
	 * attach a program whose direct ctx reads go past the event's record
	 * (EACCES), so the arguments are copied, not read in place */
	bpf_probe_read_kernel(args, sizeof(args), (char *)ctx + offsetof(struct sys_enter_ctx, args));

	/* reads of ordinary files leave here, before any map access */
	switch (nr) {
	case NR_openat:
		if (!(args[2] & (O_ACCMODE_ | O_CREAT_ | O_TRUNC_)))
			return 0;
		break;
	case NR_open:
		if (!(args[1] & (O_ACCMODE_ | O_CREAT_ | O_TRUNC_)))
			return 0;
		break;
	case NR_openat2:
		if (bpf_probe_read_user(&extra, sizeof(extra), (void *)args[2]) ||
		    !(extra & (O_ACCMODE_ | O_CREAT_ | O_TRUNC_)))
			return 0;
		break;
	case NR_clone3:
		bpf_probe_read_user(&extra, sizeof(extra), (void *)args[0]);
		break;
	}
	struct wa_config *c = wa_cfg();
	if (!c)
		return 0;
	kind = kind_of_nr(nr);
	/* connect: TCP connects come from sock:inet_sock_set_state; the stash
	 * serves UDP peers; accept serves the accepted socket's process */
	if (kind == WA_K_NET_CONNECT && !kind_wanted(c, WA_K_NET_CONNECT))
		kind = WA_K_NET_UDP_SEND;
	if (kind == WA_K_BPF_PROG && !kind_wanted(c, WA_K_BPF_PROG))
		kind = WA_K_BPF_MAP;
	if (kind == WA_K_FORK) {
		/* clone flags for the fork event: no filter here (the fork
		 * program decides) */
		if ((bpf_get_current_pid_tgid() >> 32) == c->agent_tgid)
			return 0;
	} else if (kind >= WA_K__COUNT || filtered(c, kind)) {
		return 0;
	}
	struct stash st = { .nr = nr, .extra = extra };
	__builtin_memcpy(st.args, args, sizeof(args));
	if (kind == WA_K_CRED) {
		struct task_struct *t = (void *)bpf_get_current_task();
		const struct cred *cr = BPF_CORE_READ(t, cred);
		st.uid = BPF_CORE_READ(cr, uid.val);
		st.gid = BPF_CORE_READ(cr, gid.val);
		st.euid = BPF_CORE_READ(cr, euid.val);
		st.egid = BPF_CORE_READ(cr, egid.val);
		bpf_probe_read_kernel(&st.cap_eff, 8, &cr->cap_effective);
		bpf_probe_read_kernel(&st.cap_perm, 8, &cr->cap_permitted);
	}
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_update_elem(&wa_stash, &tid, &st, BPF_ANY);
	return 0;
}

/* ---- file ---------------------------------------------------------- */

/* 1 when the absolute name of len bytes at name is not under --path-prefix.
 * Eight bytes at a time (little-endian: the first byte in the low bits,
 * the last word masked to the prefix's length): 16 steps for the verifier
 * to walk instead of 128. */
static __always_inline int prefix_cmp(struct wa_config *c, const char *name, __u32 len)
{
	__u32 n = c->prefix_len;

	if (n > len)
		return 1;
	for (int i = 0; i < WA_PREFIX_MAX / 8; i++) {
		__u32 at = i * 8;
		if (at >= n)
			break;
		__u64 diff = *(const __u64 *)(name + at) ^ *(const __u64 *)(c->prefix + at);
		if (n - at < 8)
			diff &= (1ull << ((n - at) * 8)) - 1;
		if (diff)
			return 1;
	}
	return 0;
}

/* Path prefix filter on an absolute path in string 0 (relative paths pass:
 * user space resolves them).  Global: verified once (see wa_str_path). */
__noinline int wa_prefix_miss(void)
{
	struct wa_config *c = wa_cfg();
	struct scratch *s = scratch();

	if (!c || !s || !c->prefix_len || s->data[0] != '/')
		return 0;
	return prefix_cmp(c, s->data, s->ev.str[0].len);
}

/* The same on an open's name as the caller passed it (syscall nr, its
 * first two arguments), before the event is begun: an open outside the
 * prefix leaves after reading the prefix's length of its name, not the
 * whole name, the header and the syscall's arguments.  A plain copy of
 * that many bytes, not a string read: a name shorter than the prefix ends
 * in a NUL where the prefix has a byte (the prefix is absolute and has no
 * NUL), so it differs as it should.  0 for another syscall, or a relative
 * or unreadable name (a short name at the end of a mapping): decided
 * later, as for the other kinds.  Global, nr tested here: tested in the
 * caller, its value would split the caller's verification four ways
 * (3,000 instructions). */
__noinline int wa_open_prefix_miss(__u32 nr, __u64 a0, __u64 a1)
{
	struct wa_config *c = wa_cfg();
	struct scratch *s = scratch();
	__u64 uptr;

	if (nr == NR_openat || nr == NR_openat2)
		uptr = a1;
	else if (nr == NR_open || nr == NR_creat)
		uptr = a0;
	else
		return 0;
	if (!c || !s || !c->prefix_len)
		return 0;
	__u32 n = c->prefix_len;
	if (n > WA_PREFIX_MAX)
		return 0;
	barrier_var(n);  /* the mask below on the size register, for the verifier */
	if (bpf_probe_read_user(s->tmp, n & (2 * WA_PREFIX_MAX - 1), (const void *)uptr) || s->tmp[0] != '/')
		return 0;
	return prefix_cmp(c, s->tmp, n);
}

static __always_inline int prefix_miss(struct wa_config *c, struct scratch *s)
{
	(void)c;  /* wa_config and the per-CPU scratch, looked up again */
	(void)s;
	return wa_prefix_miss();
}

static __always_inline void file_inode(struct scratch *s, struct file *f)
{
	struct inode *ino = BPF_CORE_READ(f, f_inode);
	s->ev.file.ino = BPF_CORE_READ(ino, i_ino);
	s->ev.file.dev = BPF_CORE_READ(ino, i_sb, s_dev);
}

/* The current task's context into the scratch event.  Global: verified
 * once, not for each state of file_event's 20-case switch (see
 * wa_str_path). */
__noinline int wa_fill_proc_current(void)
{
	struct scratch *s = scratch();

	if (s)
		fill_proc(&s->ev.proc, (void *)bpf_get_current_task());
	return 0;
}

/* A file event from the syscall's number, arguments and return value
 * (kind: a file kind of nr). */
static __always_inline int file_event(struct sys_exit_ctx *ctx, struct wa_config *c, __u32 nr, __u32 kind,
				      const __u64 *a, __u64 extra, long ret)
{
	struct scratch *s;
	__u32 used = 0;

	if (!(s = begin(kind, NULL)))
		return 0;
	struct wa_file *fe = &s->ev.file;
	const void *p1 = NULL, *p2 = NULL;
	int fd = -1;
	fe->ret = ret;
	fe->dirfd = fe->dirfd2 = AT_FDCWD_;
	fe->uid = fe->gid = (__u32)-1;
	switch (nr) {
	case NR_open: p1 = (void *)a[0]; fe->flags = a[1]; fe->mode = a[2]; fd = ret; break;
	case NR_creat: p1 = (void *)a[0]; fe->flags = 01101; fe->mode = a[1]; fd = ret; break;
	case NR_openat: fe->dirfd = a[0]; p1 = (void *)a[1]; fe->flags = a[2]; fe->mode = a[3]; fd = ret; break;
	case NR_openat2: fe->dirfd = a[0]; p1 = (void *)a[1]; fe->flags = extra; fd = ret; break;
	case NR_unlink: p1 = (void *)a[0]; break;
	case NR_unlinkat: fe->dirfd = a[0]; p1 = (void *)a[1]; fe->flags = a[2]; break;
	case NR_rename: p1 = (void *)a[0]; p2 = (void *)a[1]; break;
	case NR_renameat: case NR_renameat2:
		fe->dirfd = a[0]; p1 = (void *)a[1];
		fe->dirfd2 = a[2]; p2 = (void *)a[3];
		fe->flags = nr == NR_renameat2 ? a[4] : 0;
		break;
	case NR_chmod: p1 = (void *)a[0]; fe->mode = a[1]; break;
	case NR_fchmod: fd = a[0]; fe->mode = a[1]; break;
	case NR_fchmodat: case NR_fchmodat2: fe->dirfd = a[0]; p1 = (void *)a[1]; fe->mode = a[2]; break;
	case NR_chown: case NR_lchown: p1 = (void *)a[0]; fe->uid = a[1]; fe->gid = a[2]; break;
	case NR_fchown: fd = a[0]; fe->uid = a[1]; fe->gid = a[2]; break;
	case NR_fchownat: fe->dirfd = a[0]; p1 = (void *)a[1]; fe->uid = a[2]; fe->gid = a[3]; fe->flags = a[4]; break;
	case NR_link: p1 = (void *)a[0]; p2 = (void *)a[1]; break;
	case NR_linkat: fe->dirfd = a[0]; p1 = (void *)a[1]; fe->dirfd2 = a[2]; p2 = (void *)a[3]; fe->flags = a[4]; break;
	case NR_symlink: p1 = (void *)a[0]; p2 = (void *)a[1]; break;
	case NR_symlinkat: p1 = (void *)a[0]; fe->dirfd2 = a[1]; p2 = (void *)a[2]; break;
	case NR_truncate: p1 = (void *)a[0]; fe->flags = a[1]; break;
	case NR_ftruncate: fd = a[0]; fe->flags = a[1]; break;
	}
	/* Through map memory, where the verifier does not follow values:
	 * after the switch it knows nr exactly in each of its 23 cases and
	 * walked the rest once per distinct state (4,300 instructions more
	 * on 6.18) */
	s->wp1 = (__u64)p1;
	s->wp2 = (__u64)p2;
	s->wfd = fd;
	s->wnr = nr;
	p1 = (const void *)*(volatile __u64 *)&s->wp1;
	p2 = (const void *)*(volatile __u64 *)&s->wp2;
	fd = *(volatile __s32 *)&s->wfd;
	nr = *(volatile __u32 *)&s->wnr;
	/* the name first: an event the prefix filter drops costs its read
	 * and compare, not the file's lookup */
	struct file *f = NULL;
	if (p1) {
		str_user(s, 0, p1, &used);
	} else if (fd >= 0 && (f = fd_file(fd))) {
		fe->dirfd = -1;
		used = str_path(s, 0, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt), 0);
	}
	if (prefix_miss(c, s)) {
		count_filtered(kind);
		return 0;
	}
	/* the process context only for an event that is kept: a write open
	 * outside --path-prefix costs the path read and compare, not this */
	wa_fill_proc_current();
	if (!f && p1 && fd >= 0)
		f = fd_file(fd);
	if (f)
		file_inode(s, f);
	if (p2)
		str_user(s, 1, p2, &used);
	/* a relative name: its base directory (cwd, or the dirfd's) as string
	 * 2, for user space to join while the process may be gone; for
	 * symlink() the name is the new link's, string 1 */
	{
		bool link2 = nr == NR_symlink || nr == NR_symlinkat;
		__u32 at = link2 ? s->ev.str[0].len : 0;
		int dirfd = link2 ? fe->dirfd2 : fe->dirfd;
		if (s->ev.str[link2 ? 1 : 0].len && s->data[at & (2 * WA_STR_MAX - 1)] != '/') {
			struct dentry *d = NULL;
			struct vfsmount *m = NULL;
			if (dirfd == AT_FDCWD_) {
				struct fs_struct *fs = BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), fs);
				d = BPF_CORE_READ(fs, pwd.dentry);
				m = BPF_CORE_READ(fs, pwd.mnt);
			} else {
				struct file *df = fd_file(dirfd);
				d = BPF_CORE_READ(df, f_path.dentry);
				m = BPF_CORE_READ(df, f_path.mnt);
			}
			if (d && m)
				used = str_path(s, 2, d, m, used);
		}
	}
	emit(ctx, s, used);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int sys_exit_file(struct sys_exit_ctx *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct wa_config *c = wa_cfg();
	struct stash *st;
	__u64 a[6], extra;
	__u32 nr, kind;
	long ret = ctx->ret;

	if (!c || !(st = stash_take(tid)))
		return 0;
	nr = st->nr;
	kind = kind_of_nr(nr);
	__builtin_memcpy(a, st->args, sizeof(a));
	extra = st->extra;
	bpf_map_delete_elem(&wa_stash, &tid);
	if (kind < WA_K_FILE_OPEN || kind > WA_K_FILE_TRUNCATE || ret < 0)
		return 0;
	return file_event(ctx, c, nr, kind, a, extra, ret);
}

/* The current task's saved user registers: on x86_64 the syscall's
 * arguments in di, si, dx, r10, r8, r9, which the file syscalls leave as
 * they were at entry (the values sys_enter sees).  bpf_task_pt_regs
 * (5.15, commit dd6e10fbd9fb) returns a BTF pointer, so its fields are
 * plain loads that the verifier makes fault-safe (BPF_PROBE_MEM): a few ns
 * each, where a bpf_probe_read_kernel of the whole struct cost ~40 ns and
 * six BPF_CORE_READs ~200.  On older kernels the program using it does
 * not load, and the file kinds use the sys_enter stash. */
static __always_inline struct pt_regs *user_regs_helper(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

/* The same pointer without the second helper call (each costs ~20 ns on
 * a CPU with return-thunk mitigations, e.g. AMD's SRSO "Safe RET": a read
 * this variant drops costs two calls and a load): x86_64's task_pt_regs(),
 * the top of the task's stack less TOP_OF_KERNEL_STACK_PADDING (16 with
 * CONFIG_X86_FRED, 6.9+; 0 before) less the struct, as a BTF pointer
 * through bpf_rdonly_cast (6.2, commit a35b9af4ec2c; the verifier turns
 * the call into a move).  THREAD_SIZE: 16 KiB, 32 with KASAN.  Used only
 * once checked against bpf_task_pt_regs on this kernel: the first run
 * compares the two (ip, sp, orig_ax) and records the outcome in
 * wa_regs_fast; a kernel where they differ, or without the kfunc, keeps
 * the helper. */
#ifndef bpf_ksym_exists   /* libbpf 1.2's bpf_helpers.h; Debian 12 has 1.1 */
#define bpf_ksym_exists(sym) (!!(sym))
#endif
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;
extern bool CONFIG_X86_FRED __kconfig __weak;
extern bool CONFIG_KASAN __kconfig __weak;

enum { WA_REGS_UNCHECKED, WA_REGS_DERIVED, WA_REGS_HELPER };
__u32 wa_regs_fast = WA_REGS_UNCHECKED;

static __always_inline struct pt_regs *user_regs_derived(struct task_struct *t)
{
	__u64 top = (__u64)t->stack + (CONFIG_KASAN ? 32768 : 16384) - (CONFIG_X86_FRED ? 16 : 0);

	return bpf_rdonly_cast((void *)(top - bpf_core_type_size(struct pt_regs)),
			       bpf_core_type_id_kernel(struct pt_regs));
}

static __noinline int wa_regs_check(void)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *h = (struct pt_regs *)bpf_task_pt_regs(t), *d;
	__u32 verdict = WA_REGS_HELPER;

	if (bpf_ksym_exists(bpf_rdonly_cast)) {
		d = user_regs_derived(t);
		if (d->ip == h->ip && d->sp == h->sp && d->orig_ax == h->orig_ax)
			verdict = WA_REGS_DERIVED;
	}
	wa_regs_fast = verdict;
	return 0;
}

static __always_inline struct pt_regs *user_regs(void)
{
	/* bpf_ksym_exists: without the kfunc the branch is dead code the
	 * verifier removes; 6.1 would otherwise take the unresolved call
	 * (id 0) as leaving r0 as it was, a task pointer */
	if (bpf_ksym_exists(bpf_rdonly_cast) && wa_regs_fast == WA_REGS_DERIVED)
		return user_regs_derived(bpf_get_current_task_btf());
	if (wa_regs_fast == WA_REGS_UNCHECKED)
		wa_regs_check();
	return user_regs_helper();
}

/* The file kinds on their sys_exit tracepoints alone (variant "tp_exit"):
 * one program run per call instead of two, no stash update and delete.
 * An open the filters drop costs one tracepoint hit, one register load
 * and the filter; reads of ordinary files leave after the flags. */
SEC("tracepoint/syscalls/sys_exit_openat")
int sys_exit_file_regs(struct sys_exit_ctx *ctx)
{
	__u32 nr = ctx->nr, kind = kind_of_nr(nr);
	long ret = ctx->ret;
	__u64 a[6], extra = 0;
	struct wa_config *c;
	struct pt_regs *regs;

	if (ret < 0 || kind < WA_K_FILE_OPEN || kind > WA_K_FILE_TRUNCATE || !(regs = user_regs()))
		return 0;
	/* reads of ordinary files leave here, before any map access */
	if ((nr == NR_openat && !(regs->dx & (O_ACCMODE_ | O_CREAT_ | O_TRUNC_))) ||
	    (nr == NR_open && !(regs->si & (O_ACCMODE_ | O_CREAT_ | O_TRUNC_))))
		return 0;
	a[0] = regs->di;
	a[1] = regs->si;
	a[2] = regs->dx;
	a[3] = regs->r10;
	a[4] = regs->r8;
	a[5] = regs->r9;
	if (nr == NR_openat2 && (bpf_probe_read_user(&extra, sizeof(extra), (void *)a[2]) ||
				 !(extra & (O_ACCMODE_ | O_CREAT_ | O_TRUNC_))))
		return 0;
	if (!(c = wa_cfg()) || filtered(c, kind))
		return 0;
	if (c->prefix_len && wa_open_prefix_miss(nr, a[0], a[1])) {
		count_filtered(kind);
		return 0;
	}
	return file_event(ctx, c, nr, kind, a, extra, ret);
}

/* File events from the BPF LSM (CONFIG_BPF_LSM and "bpf" in the active
 * LSMs, 5.7+): the kernel has already resolved the names, so paths are
 * absolute at the moment of the call (no relative name to join, no user
 * memory to re-read) and unlink has the inode being removed.  The hook
 * runs once the other permission checks passed, before the operation
 * itself: ret is 0 (a later failure, e.g. EBUSY, is not seen). */
static __always_inline void file_lsm_ids(void *ctx, __u32 kind, struct dentry *d1, struct vfsmount *m1,
					 struct dentry *d2, struct vfsmount *m2, __u32 flags, __u32 mode,
					 __u32 uid, __u32 gid)
{
	struct wa_config *c = wa_cfg();
	struct scratch *s;
	__u32 used;

	if (!c || filtered(c, kind) || !(s = begin(kind, (void *)bpf_get_current_task())))
		return;
	struct wa_file *fe = &s->ev.file;
	fe->dirfd = fe->dirfd2 = AT_FDCWD_;
	fe->uid = uid;
	fe->gid = gid;
	fe->flags = flags;
	fe->mode = mode;
	used = str_path(s, 0, d1, m1, 0);
	if (prefix_miss(c, s)) {
		count_filtered(kind);
		return;
	}
	struct inode *ino = BPF_CORE_READ(d1, d_inode);
	if (ino) {
		s->ev.file.ino = BPF_CORE_READ(ino, i_ino);
		s->ev.file.dev = BPF_CORE_READ(ino, i_sb, s_dev);
	}
	if (d2)
		used = str_path(s, 1, d2, m2, used);
	emit(ctx, s, used);
}

static __always_inline void file_lsm(void *ctx, __u32 kind, struct dentry *d1, struct vfsmount *m1,
				     struct dentry *d2, struct vfsmount *m2, __u32 flags, __u32 mode)
{
	file_lsm_ids(ctx, kind, d1, m1, d2, m2, flags, mode, (__u32)-1, (__u32)-1);
}

SEC("lsm/file_open")
int BPF_PROG(file_open_lsm, struct file *f)
{
	__u32 flags = BPF_CORE_READ(f, f_flags);

	/* reads leave at once, as at sys_enter (O_CREAT and O_TRUNC are
	 * still in f_flags here: do_dentry_open clears them after the hook) */
	if (!(flags & (O_ACCMODE_ | O_CREAT_ | O_TRUNC_)))
		return 0;
	__u32 mode = flags & O_CREAT_ ? BPF_CORE_READ(f, f_inode, i_mode) & 07777 : 0;
	file_lsm(ctx, WA_K_FILE_OPEN, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt), NULL,
		 NULL, flags, mode);
	return 0;
}

/* Argument i of a trampoline program as a plain number: the verifier
 * types the arguments as kernel pointers (PTR_TO_BTF_ID), which a global
 * function such as the path walk does not take ("Caller passes invalid
 * args", 5.10); what is read from memory is a scalar. */
static __always_inline void *arg_scalar(unsigned long long *ctx, int i)
{
	void *p = NULL;
	bpf_probe_read_kernel(&p, sizeof(p), &ctx[i]);
	return p;
}

SEC("lsm/path_unlink")
int BPF_PROG(unlink_lsm, const struct path *dir, struct dentry *dentry)
{
	file_lsm(ctx, WA_K_FILE_UNLINK, arg_scalar(ctx, 1), BPF_CORE_READ(dir, mnt), NULL, NULL, 0, 0);
	return 0;
}

/* path_rename gained a flags argument in 5.19; the first four are the same */
SEC("lsm/path_rename")
int BPF_PROG(rename_lsm, const struct path *old_dir, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry)
{
	file_lsm(ctx, WA_K_FILE_RENAME, arg_scalar(ctx, 1), BPF_CORE_READ(old_dir, mnt), arg_scalar(ctx, 3),
		 BPF_CORE_READ(new_dir, mnt), 0, 0);
	return 0;
}

SEC("lsm/path_chmod")
int BPF_PROG(chmod_lsm, const struct path *path, umode_t mode)
{
	file_lsm(ctx, WA_K_FILE_CHMOD, BPF_CORE_READ(path, dentry), BPF_CORE_READ(path, mnt), NULL, NULL, 0,
		 mode & 07777);
	return 0;
}

/* kuid_t and kgid_t by value: one 64-bit argument slot each, the id in
 * the low half (-1: unchanged, as chown(2) takes it).  Trampolines take
 * struct arguments from 6.1 (commit 720e6a435194): before, the verifier
 * refuses the program ("arg1 type STRUCT is unsupported") and chown runs
 * on its next variant. */
SEC("lsm/path_chown")
int BPF_PROG(chown_lsm, const struct path *path, __u64 uid, __u64 gid)
{
	file_lsm_ids(ctx, WA_K_FILE_CHOWN, BPF_CORE_READ(path, dentry), BPF_CORE_READ(path, mnt), NULL, NULL, 0,
		     0, (__u32)uid, (__u32)gid);
	return 0;
}

/* truncate(2); ftruncate(2) too before 6.2, which gave it its own hook
 * (file_truncate, commit 3350607dc568): the variant adds that one where
 * the kernel has it */
SEC("lsm/path_truncate")
int BPF_PROG(truncate_lsm, const struct path *path)
{
	file_lsm(ctx, WA_K_FILE_TRUNCATE, BPF_CORE_READ(path, dentry), BPF_CORE_READ(path, mnt), NULL, NULL, 0, 0);
	return 0;
}

SEC("lsm/file_truncate")
int BPF_PROG(ftruncate_lsm, struct file *f)
{
	file_lsm(ctx, WA_K_FILE_TRUNCATE, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt), NULL,
		 NULL, 0, 0);
	return 0;
}

/* the existing file (string 0) and the new link (string 1), one mount */
SEC("lsm/path_link")
int BPF_PROG(link_lsm, struct dentry *old_dentry, const struct path *new_dir, struct dentry *new_dentry)
{
	struct vfsmount *mnt = BPF_CORE_READ(new_dir, mnt);

	file_lsm(ctx, WA_K_FILE_LINK, arg_scalar(ctx, 0), mnt, arg_scalar(ctx, 2), mnt, 0, 0);
	return 0;
}

/* string 0 the target as given (what the link will hold), string 1 the
 * new link's absolute path: the tracepoint variant's order */
SEC("lsm/path_symlink")
int BPF_PROG(symlink_lsm, const struct path *dir, struct dentry *dentry, const char *old_name)
{
	struct wa_config *c = wa_cfg();
	struct scratch *s;
	__u32 used = 0;

	if (!c || filtered(c, WA_K_FILE_SYMLINK) ||
	    !(s = begin(WA_K_FILE_SYMLINK, (void *)bpf_get_current_task())))
		return 0;
	struct wa_file *fe = &s->ev.file;
	fe->dirfd = fe->dirfd2 = AT_FDCWD_;
	fe->uid = fe->gid = (__u32)-1;
	str_kernel(s, 0, arg_scalar(ctx, 2), &used);
	if (prefix_miss(c, s)) {
		count_filtered(WA_K_FILE_SYMLINK);
		return 0;
	}
	used = str_path(s, 1, arg_scalar(ctx, 1), BPF_CORE_READ(dir, mnt), used);
	emit(ctx, s, used);
	return 0;
}

/* ---- process: credentials, ptrace, namespaces ----------------------- */

SEC("tracepoint/syscalls/sys_exit_setuid")
int sys_exit_proc(struct sys_exit_ctx *ctx)
{
	long ret = ctx->ret;

	if (!wa_cfg())
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct task_struct *t = (void *)bpf_get_current_task();
	struct stash *st;
	struct scratch *s;
	__u32 kind;

	if (!(st = stash_take(tid)))
		return 0;
	kind = kind_of_nr(st->nr);
	/* an execve entry here is a stale one (exec_fail, on sys_exit_execve,
	 * reports failed execs; every syscall of this program stashes its own
	 * entry at sys_enter): dropped, not reported as a failed exec with
	 * another syscall's return value.  Not calling exec_failed() also
	 * spares this program the verification of its argv walk (39,400 ->
	 * 1,800 instructions processed, start-up) */
	if ((kind != WA_K_CRED && kind != WA_K_PTRACE && kind != WA_K_NAMESPACE) || ret < 0)
		goto out;
	if (kind == WA_K_PTRACE && st->args[0] != 16 /* ATTACH */ && st->args[0] != 0x4206 /* SEIZE */)
		goto out;
	if (!(s = begin(kind, t)))
		goto out;
	if (kind == WA_K_CRED) {
		struct wa_cred *cr = &s->ev.cred;
		const struct cred *nc = BPF_CORE_READ(t, cred);
		cr->old_uid = st->uid; cr->old_gid = st->gid; cr->old_euid = st->euid; cr->old_egid = st->egid;
		cr->old_cap_eff = st->cap_eff; cr->old_cap_perm = st->cap_perm;
		cr->new_uid = s->ev.proc.uid; cr->new_gid = s->ev.proc.gid;
		cr->new_euid = s->ev.proc.euid; cr->new_egid = s->ev.proc.egid;
		bpf_probe_read_kernel(&cr->new_cap_eff, 8, &nc->cap_effective);
		bpf_probe_read_kernel(&cr->new_cap_perm, 8, &nc->cap_permitted);
		cr->nr = st->nr;
		cr->ret = ret;
	} else {
		struct wa_other *o = &s->ev.other;
		o->nr = st->nr;
		o->ret = ret;
		if (kind == WA_K_PTRACE) {
			o->flags = st->args[0];
			o->target_pid = st->args[1];
		} else if (st->nr == NR_unshare) {
			o->flags = st->args[0];
		} else {
			o->flags = st->args[1];
			o->target_pid = st->args[0];  /* the fd */
		}
	}
	bpf_map_delete_elem(&wa_stash, &tid);
	emit(ctx, s, 0);
	return 0;
out:
	bpf_map_delete_elem(&wa_stash, &tid);
	return 0;
}

/* Credential changes at commit_creds(), the one place every change goes
 * through (setuid family, capset, setuid executables, user namespaces...):
 * old = the task's real_cred, new = the argument.  Only changes are events
 * (exec of an ordinary binary commits identical credentials).  The syscall
 * is the current one: orig_ax of the task's user pt_regs. */
static __always_inline __u32 current_syscall_nr(struct task_struct *t)
{
	struct pt_regs *regs;

	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs)) {
		/* the helper takes a BTF task pointer: t, from
		 * bpf_get_current_task(), is a scalar to the verifier ("R1
		 * type=scalar expected=ptr_", the 6.1 guest); t is current */
		regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	} else {
		/* before 5.15 (bpf_task_pt_regs, commit dd6e10fbd9fb): x86_64's
		 * task_pt_regs(), the top of the 16 KiB task stack (THREAD_SIZE
		 * without KASAN, TOP_OF_KERNEL_STACK_PADDING 0) */
		regs = (struct pt_regs *)((char *)BPF_CORE_READ(t, stack) + 16384) - 1;
	}
	return BPF_CORE_READ(regs, orig_ax);
}

static __always_inline void cred_read(const struct cred *cr, __u32 id[6], __u64 caps[2])
{
	id[0] = BPF_CORE_READ(cr, uid.val);
	id[1] = BPF_CORE_READ(cr, gid.val);
	id[2] = BPF_CORE_READ(cr, euid.val);
	id[3] = BPF_CORE_READ(cr, egid.val);
	id[4] = BPF_CORE_READ(cr, fsuid.val);
	id[5] = BPF_CORE_READ(cr, fsgid.val);
	/* kernel_cap_t: __u32 cap[2] before 6.3, one u64 after: 8 bytes both */
	bpf_probe_read_kernel(&caps[0], 8, &cr->cap_effective);
	bpf_probe_read_kernel(&caps[1], 8, &cr->cap_permitted);
}

static __always_inline void cred_commit(void *ctx, const struct cred *nc)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct wa_config *c = wa_cfg();
	__u32 o[6], n[6];
	__u64 oc[2], ncap[2];
	struct scratch *s;

	if (!c || !nc)
		return;
	cred_read(BPF_CORE_READ(t, real_cred), o, oc);
	cred_read(nc, n, ncap);
	/* no change, no event (and no filter walk): the common case */
	if (o[0] == n[0] && o[1] == n[1] && o[2] == n[2] && o[3] == n[3] && o[4] == n[4] &&
	    o[5] == n[5] && oc[0] == ncap[0] && oc[1] == ncap[1])
		return;
	if (filtered(c, WA_K_CRED) || !(s = begin(WA_K_CRED, t)))
		return;
	struct wa_cred *cr = &s->ev.cred;
	cr->old_uid = o[0]; cr->old_gid = o[1]; cr->old_euid = o[2]; cr->old_egid = o[3];
	cr->old_cap_eff = oc[0]; cr->old_cap_perm = oc[1];
	/* the process as it is after the change, as at sys_exit */
	cr->new_uid = s->ev.proc.uid = n[0];
	cr->new_gid = s->ev.proc.gid = n[1];
	cr->new_euid = s->ev.proc.euid = n[2];
	cr->new_egid = s->ev.proc.egid = n[3];
	cr->new_cap_eff = ncap[0];
	cr->new_cap_perm = ncap[1];
	cr->nr = current_syscall_nr(t);
	emit(ctx, s, 0);
}

SEC("fentry/commit_creds")
int BPF_PROG(cred_fentry, const struct cred *nc)
{
	cred_commit(ctx, nc);
	return 0;
}

SEC("kprobe/commit_creds")
int BPF_KPROBE(cred_kprobe, const struct cred *nc)
{
	cred_commit(ctx, nc);
	return 0;
}

/* ---- system: bpf, mount, umount, memfd, module --------------------- */

SEC("tracepoint/syscalls/sys_exit_bpf")
int sys_exit_sys(struct sys_exit_ctx *ctx)
{
	long ret = ctx->ret;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct wa_config *c = wa_cfg();
	struct stash *st;
	struct scratch *s;
	__u32 kind, used = 0;

	if (!c || !(st = stash_take(tid)))
		return 0;
	kind = kind_of_nr(st->nr);
	if (kind == WA_K_BPF_PROG) {
		if (st->args[0] == 0 /* BPF_MAP_CREATE */)
			kind = WA_K_BPF_MAP;
		else if (st->args[0] != 5 /* BPF_PROG_LOAD */)
			goto out;
		if (!kind_wanted(c, kind))
			goto out;
	}
	if (kind != WA_K_BPF_PROG && kind != WA_K_BPF_MAP && kind != WA_K_MOUNT &&
	    kind != WA_K_UMOUNT && kind != WA_K_MEMFD)
		goto out;
	if (ret < 0 && kind != WA_K_MOUNT && kind != WA_K_UMOUNT)
		goto out;
	if (!(s = begin(kind, (void *)bpf_get_current_task())))
		goto out;
	struct wa_other *o = &s->ev.other;
	o->nr = st->nr;
	o->ret = ret;
	char *attr = (char *)st->args[1];
	switch (kind) {
	case WA_K_BPF_PROG:
		bpf_probe_read_user(&o->bpf_type, 4, attr);
		bpf_probe_read_user(&o->flags, 4, attr + 44);  /* prog_flags */
		bpf_probe_read_user_str(&s->data[0], 16, attr + 48);
		s->ev.str[0].len = s->ev.str[0].true_len = bpf_probe_read_kernel_str(&s->data[16], 16, &s->data[0]) - 1;
		used = s->ev.str[0].len & 15;
		break;
	case WA_K_BPF_MAP:
		bpf_probe_read_user(&o->bpf_type, 4, attr);
		bpf_probe_read_user(&o->flags, 4, attr + 16);  /* map_flags */
		bpf_probe_read_user_str(&s->data[0], 16, attr + 28);
		s->ev.str[0].len = s->ev.str[0].true_len = bpf_probe_read_kernel_str(&s->data[16], 16, &s->data[0]) - 1;
		used = s->ev.str[0].len & 15;
		break;
	case WA_K_MOUNT:
		o->flags = st->args[3];
		str_user(s, 0, (void *)st->args[0], &used);
		str_user(s, 1, (void *)st->args[1], &used);
		str_user(s, 2, (void *)st->args[2], &used);
		break;
	case WA_K_UMOUNT:
		o->flags = st->args[1];
		str_user(s, 1, (void *)st->args[0], &used);
		break;
	case WA_K_MEMFD:
		o->flags = st->args[1];
		o->target_pid = ret;  /* the fd */
		str_user(s, 0, (void *)st->args[0], &used);
		break;
	}
	bpf_map_delete_elem(&wa_stash, &tid);
	emit(ctx, s, used);
	return 0;
out:
	bpf_map_delete_elem(&wa_stash, &tid);
	return 0;
}

/* not in every vmlinux.h (CONFIG_MODULES): CO-RE against the target's */
struct trace_event_raw_module_load___wa {
	unsigned int taints;
	__u32 __data_loc_name;
} __attribute__((preserve_access_index));

SEC("tracepoint/module/module_load")
int module_tp(struct trace_event_raw_module_load___wa *ctx)
{
	struct wa_config *c = wa_cfg();
	struct scratch *s;
	__u32 used = 0;

	if (!c || filtered(c, WA_K_MODULE_LOAD) ||
	    !(s = begin(WA_K_MODULE_LOAD, (void *)bpf_get_current_task())))
		return 0;
	s->ev.other.flags = BPF_CORE_READ(ctx, taints);
	str_kernel(s, 0, (char *)ctx + (BPF_CORE_READ(ctx, __data_loc_name) & 0xffff), &used);
	emit(ctx, s, used);
	return 0;
}

/* ---- network ------------------------------------------------------- */

static __always_inline void sock_tuple(struct wa_net *n, struct sock *sk)
{
	n->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	n->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	n->dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (n->family == AF_INET6_) {
		BPF_CORE_READ_INTO(&n->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&n->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		BPF_CORE_READ_INTO((__u32 *)n->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)n->daddr, sk, __sk_common.skc_daddr);
	}
}

static __always_inline __u32 sock_proto(struct sock *sk)
{
	return BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
}

/* A sockaddr from user memory into the net record's destination (or
 * source for bind).  0 if it is not AF_INET/AF_INET6. */
static __always_inline int user_sockaddr(struct wa_net *n, const void *uaddr, bool local)
{
	struct sockaddr_in6 sa = {};
	__u8 *addr = local ? n->saddr : n->daddr;

	if (!uaddr || bpf_probe_read_user(&sa, sizeof(sa), uaddr))
		return 0;
	if (sa.sin6_family == AF_INET6_) {
		__builtin_memcpy(addr, &sa.sin6_addr, 16);
	} else if (sa.sin6_family == AF_INET_) {
		struct sockaddr_in *s4 = (void *)&sa;
		__builtin_memcpy(addr, &s4->sin_addr, 4);
	} else {
		return 0;
	}
	n->family = sa.sin6_family;
	if (local)
		n->sport = __builtin_bswap16(sa.sin6_port);
	else
		n->dport = __builtin_bswap16(sa.sin6_port);
	return 1;
}

SEC("tracepoint/syscalls/sys_exit_bind")
int sys_exit_net(struct sys_exit_ctx *ctx)
{
	long ret = ctx->ret;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct task_struct *t = (void *)bpf_get_current_task();
	struct wa_config *c = wa_cfg();
	struct stash *st;
	struct scratch *s;
	struct sock *sk;
	__u32 nr, kind;

	if (!c || !(st = stash_take(tid)))
		return 0;
	nr = st->nr;
	kind = kind_of_nr(nr);
	if (kind == WA_K_NET_CONNECT)
		kind = WA_K_NET_UDP_SEND;
	if (kind < WA_K_NET_CONNECT || kind > WA_K_NET_UDP_SEND)
		goto out;
	if (ret < 0 && kind != WA_K_NET_BIND)
		goto out;
	sk = fd_sock(kind == WA_K_NET_ACCEPT ? ret : st->args[0]);
	if (!sk)
		goto out;
	__u32 proto = sock_proto(sk);
	if (!(s = begin(kind, t)))
		goto out;
	struct wa_net *n = &s->ev.net;
	n->protocol = proto;
	n->ret = ret;
	switch (kind) {
	case WA_K_NET_ACCEPT: {
		if (proto != IPPROTO_TCP_)
			goto out;
		sock_tuple(n, sk);
		/* the socket's process for its close event */
		__u64 key = (__u64)sk;
		struct sock_info *si = bpf_map_lookup_elem(&wa_socks, &key);
		if (si) {
			si->proc = s->ev.proc;
			si->tuple = *n;
			si->have_proc = 1;
		} else if (kind_wanted(c, WA_K_NET_CLOSE)) {
			struct sock_info *nsi = (void *)s->tmp;  /* too big for the stack */
			__builtin_memset(nsi, 0, sizeof(*nsi));
			nsi->start = bpf_ktime_get_boot_ns();
			nsi->have_proc = 1;
			nsi->proc = s->ev.proc;
			nsi->tuple = *n;
			bpf_map_update_elem(&wa_socks, &key, nsi, BPF_ANY);
		}
		if (!kind_wanted(c, WA_K_NET_ACCEPT))
			goto out;
		break;
	}
	case WA_K_NET_LISTEN:
		sock_tuple(n, sk);
		n->daddr[0] = 0;
		n->dport = 0;
		__builtin_memset(n->daddr, 0, 16);
		break;
	case WA_K_NET_BIND:
		if (!user_sockaddr(n, (void *)st->args[1], true))
			goto out;
		break;
	case WA_K_NET_UDP_SEND: {
		const void *ua = NULL;
		if (proto != IPPROTO_UDP_)
			goto out;
		if (nr == NR_connect || nr == NR_sendto)
			ua = (void *)st->args[nr == NR_connect ? 1 : 4];
		else if (nr == NR_sendmsg || nr == NR_sendmmsg)
			/* struct user_msghdr / mmsghdr: msg_name first */
			bpf_probe_read_user(&ua, sizeof(ua), (void *)st->args[1]);
		if (!user_sockaddr(n, ua, false)) {
			if (nr == NR_connect)
				goto out;
			/* connected socket: its peer */
			sock_tuple(n, sk);
		} else {
			struct wa_net tmp = {};
			sock_tuple(&tmp, sk);
			__builtin_memcpy(n->saddr, tmp.saddr, 16);
			n->sport = tmp.sport;
		}
		if (!n->dport)
			goto out;
		struct peer_key pk = { .tgid = s->ev.proc.pid, .family = n->family, .port = n->dport };
		__builtin_memcpy(pk.addr, n->daddr, 16);
		__u8 one = 1;
		if (bpf_map_lookup_elem(&wa_peers, &pk))
			goto out;  /* not a new peer */
		bpf_map_update_elem(&wa_peers, &pk, &one, BPF_ANY);
		n->dns = n->dport == 53;
		break;
	}
	}
	bpf_map_delete_elem(&wa_stash, &tid);
	emit(ctx, s, 0);
	return 0;
out:
	bpf_map_delete_elem(&wa_stash, &tid);
	return 0;
}

#define TCP_ESTABLISHED_ 1
#define TCP_SYN_SENT_ 2
#define TCP_SYN_RECV_ 3
#define TCP_CLOSE_ 7
#define TCP_LISTEN_ 10

/* A TCP socket's state change: connect (SYN_SENT, in the process), its
 * outcome, accepted sockets, and close with the byte counts. */
static __always_inline int tcp_state_change(void *ctx, __u64 key, int os, int ns)
{
	struct wa_config *c;
	struct sock_info *si;
	struct scratch *s;

	if (!(c = wa_cfg()))
		return 0;
	if (os == TCP_CLOSE_ && ns == TCP_SYN_SENT_) {
		/* connect(), in the process's context */
		if (!kind_wanted(c, WA_K_NET_CONNECT) && !kind_wanted(c, WA_K_NET_CLOSE))
			return 0;
		if (filtered(c, kind_wanted(c, WA_K_NET_CONNECT) ? WA_K_NET_CONNECT : WA_K_NET_CLOSE))
			return 0;
		if (!(s = scratch()))
			return 0;
		struct sock_info *nsi = (void *)s->tmp;  /* too big for the stack */
		__builtin_memset(nsi, 0, sizeof(*nsi));
		fill_proc(&nsi->proc, (void *)bpf_get_current_task());
		nsi->start = bpf_ktime_get_boot_ns();
		nsi->have_proc = 1;
		bpf_map_update_elem(&wa_socks, &key, nsi, BPF_ANY);
		return 0;
	}
	if (os == TCP_SYN_RECV_ && ns == TCP_ESTABLISHED_) {
		/* accepted, in softirq: the process comes with accept() */
		if (!kind_wanted(c, WA_K_NET_CLOSE))
			return 0;
		struct sock_info nsi = { .start = bpf_ktime_get_boot_ns() };
		bpf_map_update_elem(&wa_socks, &key, &nsi, BPF_NOEXIST);
		return 0;
	}
	if (os == TCP_SYN_SENT_ && (ns == TCP_ESTABLISHED_ || ns == TCP_CLOSE_)) {
		if (!(si = bpf_map_lookup_elem(&wa_socks, &key)))
			return 0;
		if (kind_wanted(c, WA_K_NET_CONNECT) && (s = begin(WA_K_NET_CONNECT, NULL))) {
			s->ev.proc = si->proc;
			sock_tuple(&s->ev.net, (void *)key);
			s->ev.net.protocol = IPPROTO_TCP_;
			s->ev.net.ret = ns == TCP_ESTABLISHED_ ? 0 : -(int)BPF_CORE_READ((struct sock *)key, sk_err);
			if (ns == TCP_CLOSE_ && !s->ev.net.ret)
				s->ev.net.ret = -111;
			emit(ctx, s, 0);
		}
		if (ns == TCP_CLOSE_ || !kind_wanted(c, WA_K_NET_CLOSE)) {
			bpf_map_delete_elem(&wa_socks, &key);
		} else {
			si->start = bpf_ktime_get_boot_ns();
			sock_tuple(&si->tuple, (void *)key);
		}
		return 0;
	}
	if (ns == TCP_CLOSE_ && os != TCP_LISTEN_) {
		if (!(si = bpf_map_lookup_elem(&wa_socks, &key)))
			return 0;
		if (!si->have_proc && (c->pid_tree || c->uid >= 0 || c->comm_set || c->use_cgroup_map)) {
			/* accepted before the agent started, or by a process
			 * the filters drop: whose it is is unknown */
			bpf_map_delete_elem(&wa_socks, &key);
			return 0;
		}
		if (kind_wanted(c, WA_K_NET_CLOSE) && (s = begin(WA_K_NET_CLOSE, NULL))) {
			struct tcp_sock *tp = (void *)key;
			if (si->have_proc)
				s->ev.proc = si->proc;
			else
				s->ev.hdr.flags |= WA_F_NO_PROC;
			if (si->tuple.family)
				s->ev.net = si->tuple;
			else
				sock_tuple(&s->ev.net, (void *)key);
			s->ev.net.ret = 0;
			s->ev.net.protocol = IPPROTO_TCP_;
			/* data octets: bytes_acked and bytes_received count the SYN
			 * and the FIN in sequence space */
			__u64 sent = BPF_CORE_READ(tp, bytes_acked), rcvd = BPF_CORE_READ(tp, bytes_received);
			if (bpf_core_field_exists(tp->bytes_sent))
				sent = BPF_CORE_READ(tp, bytes_sent);
			else if (sent)
				sent--;
			if (rcvd && (BPF_CORE_READ_BITFIELD_PROBED((struct sock *)key, sk_shutdown) & 1))
				rcvd--;
			s->ev.net.bytes_sent = sent;
			s->ev.net.bytes_received = rcvd;
			s->ev.net.duration_ns = s->ev.hdr.ts - si->start;
			emit(ctx, s, 0);
		}
		bpf_map_delete_elem(&wa_socks, &key);
	}
	return 0;
}

SEC("tracepoint/sock/inet_sock_set_state")
int sock_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (BPF_CORE_READ(ctx, protocol) != IPPROTO_TCP_)
		return 0;
	return tcp_state_change(ctx, (__u64)BPF_CORE_READ(ctx, skaddr), BPF_CORE_READ(ctx, oldstate),
				BPF_CORE_READ(ctx, newstate));
}

/* Kernels before 4.16 have no sock:inet_sock_set_state (commit
 * 563e0bb0dc74): tcp_set_state() is where it fires from, the old state
 * still in the socket. */
SEC("kprobe/tcp_set_state")
int BPF_KPROBE(sock_state_kprobe, struct sock *sk, int state)
{
	return tcp_state_change(ctx, (__u64)sk, BPF_CORE_READ(sk, __sk_common.skc_state), state);
}
