/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The agent's programs for kernels without BTF (RHEL/CentOS 7: BPF for
 * tracing only, 4.18-era verifier and helpers, no global data, no ring
 * buffer, no bounded loops): the process events (exec, fork, exit) from the
 * sched tracepoints, through the perf buffer.  Same records as
 * bpf/agent.bpf.c (bpf/include/warden_agent.h); struct members are read at
 * the offsets user space publishes in wd_offsets (warden_offsets.h: from a
 * BTF file for that kernel, e.g. BTFHub's), tracepoint fields at the
 * offsets it parsed from the tracefs formats (wa_config).  A field whose
 * offset is not published stays zero.
 *
 * No .rodata, .data or .bss: every constant is an immediate (the offsets
 * keys are folded by the compiler); helpers up to bpf_get_current_cgroup_id.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "warden_offsets.h"
#include "warden_agent.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events_perf SEC(".maps");

struct scratch {
	struct wa_event ev;
	char data[WA_NSTR * WA_STR_MAX];
	struct wa_chunk ch;
	char chdata[2 * WA_CHUNK];  /* the verifier's view of a chunk: up to the mask */
	__u64 next_id;
	/* an exec in progress across tail calls (same CPU, same tracepoint hit) */
	__u64 args_start, args_total, args_sent;
	__u32 args_round;
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

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} wa_tree SEC(".maps");

/* argv in chunks of WA_CHUNK: LEGACY_CHUNKS per program (the unrolled loop
 * keeps each program well under the 4096 instructions that kernels before
 * 5.2 allow, c04c0d2b968a "bpf: increase complexity limit and maximum
 * program size"), then a tail call to exec_args_legacy for the next ones,
 * up to WA_ARGS_MAX like bpf/agent.bpf.c; beyond that, flagged truncated. */
#define LEGACY_CHUNKS 8
#define LEGACY_ROUNDS (WA_ARGS_MAX / (LEGACY_CHUNKS * WA_CHUNK))

/* Slots of wa_tails, the program array of this object. */
enum wa_tail {
	WA_TAIL_EXEC_ARGS = 0,
	WA_TAIL__COUNT,
};

static __always_inline struct wa_config *wa_cfg(void)
{
	__u32 zero = 0;
	struct wa_config *c = bpf_map_lookup_elem(&wa_config, &zero);
	return c && !c->stopped ? c : (struct wa_config *)0;
}

static __always_inline struct wa_counters *counters(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&wa_counters, &zero);
}

static __always_inline void count_filtered(__u32 kind)
{
	struct wa_counters *c = counters();
	if (c)
		__sync_fetch_and_add(&c->filtered[kind & (WA_NKINDS - 1)], 1);
}

/* 1: drop (the agent itself, or a filter) */
static __always_inline int filtered(struct wa_config *c, __u32 kind, __u32 tgid, __u32 ptgid)
{
	__u8 one = 1;

	if (tgid == c->agent_tgid)
		return 1;
	if (c->kinds && !(c->kinds & (1ull << kind)))
		return 1;
	if (c->uid >= 0 && (__u32)bpf_get_current_uid_gid() != (__u32)c->uid)
		goto drop;
	if (c->comm_set) {
		char comm[16];
		bpf_get_current_comm(comm, sizeof(comm));
#pragma unroll
		for (int i = 0; i < 16; i++) {
			if (comm[i] != c->comm[i])
				goto drop;
			if (!comm[i])
				break;
		}
	}
	if (c->pid_tree && tgid != c->pid_tree && !bpf_map_lookup_elem(&wa_tree, &tgid)) {
		/* no ancestor walk here: members come in through fork */
		if (ptgid != c->pid_tree && !bpf_map_lookup_elem(&wa_tree, &ptgid))
			goto drop;
		bpf_map_update_elem(&wa_tree, &tgid, &one, BPF_ANY);
	}
	return 0;
drop:
	count_filtered(kind);
	return 1;
}

static __always_inline void fill_proc(struct wa_proc *p, void *task)
{
	void *parent = 0, *cred = 0;
	__u64 pt = bpf_get_current_pid_tgid(), ug = bpf_get_current_uid_gid();

	p->pid = pt >> 32;
	p->tid = (__u32)pt;
	p->uid = (__u32)ug;
	p->gid = ug >> 32;
	p->euid = p->uid;
	p->egid = p->gid;
	p->auid = (__u32)-1;
	p->sessionid = (__u32)-1;
	p->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(p->comm, sizeof(p->comm));
	if (!WD_READ(&parent, task, "task_struct->real_parent") && parent) {
		WD_READ(&p->ppid, parent, "task_struct->tgid");
		WD_READ(&p->pstart_ns, parent, "task_struct->start_time");
		WD_READ(&p->pcomm, parent, "task_struct->comm");
	}
	WD_READ(&p->start_ns, task, "task_struct->start_time");
	WD_READ(&p->auid, task, "task_struct->loginuid");
	WD_READ(&p->sessionid, task, "task_struct->sessionid");
	if (!WD_READ(&cred, task, "task_struct->cred") && cred) {
		WD_READ(&p->euid, cred, "cred->euid");
		WD_READ(&p->egid, cred, "cred->egid");
	}
	/* the pid namespace view needs struct pid walks: the host pids */
	p->ns_pid = p->pid;
	p->ns_tid = p->tid;
	p->ns_ppid = p->ppid;
}

static __always_inline struct scratch *begin(__u32 kind)
{
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&wa_scratch, &zero);

	if (!s)
		return 0;
	__builtin_memset(&s->ev, 0, sizeof(s->ev));
	s->ev.hdr.rec = WA_REC_EVENT;
	s->ev.hdr.kind = kind;
	s->ev.hdr.ts = bpf_ktime_get_ns();
	fill_proc(&s->ev.proc, (void *)bpf_get_current_task());
	return s;
}

static __always_inline void emit(void *ctx, struct scratch *s, __u32 used)
{
	struct wa_counters *c = counters();
	__u32 k = s->ev.hdr.kind & (WA_NKINDS - 1);
	long err;

	if (used > WA_STR_MAX)
		used = WA_STR_MAX;
	err = bpf_perf_event_output(ctx, &events_perf, BPF_F_CURRENT_CPU, &s->ev, sizeof(s->ev) + used);
	if (c) {
		__sync_fetch_and_add(&c->generated[k], 1);
		if (err)
			__sync_fetch_and_add(&c->dropped[k], 1);
	}
}

static __always_inline struct wa_counters *count_truncated(void)
{
	struct wa_counters *k = counters();
	if (k)
		__sync_fetch_and_add(&k->truncated, 1);
	return k;
}

/* The next LEGACY_CHUNKS chunks of argv, from s->args_sent on. */
static __always_inline void send_arg_chunks(void *ctx, struct scratch *s)
{
	__u64 total = s->args_total, sent = s->args_sent;

#pragma unroll
	for (int i = 0; i < LEGACY_CHUNKS; i++) {
		if (sent < total) {
			__u64 len = total - sent;
			if (len > WA_CHUNK)
				len = WA_CHUNK;
			/* a mask every verifier reads as [0, 8191] (5.10 refused the
			 * clamp alone: "R2 min value is negative"); the barrier
			 * keeps clang from dropping it as a no-op */
			asm volatile("" : "+r"(len));
			len &= 2 * WA_CHUNK - 1;
			if (bpf_probe_read(s->chdata, len, (void *)(s->args_start + sent)) == 0) {
				s->ch.index = s->ev.exec.nchunks;
				s->ch.len = len;
				s->ch.offset = sent;
				if (bpf_perf_event_output(ctx, &events_perf, BPF_F_CURRENT_CPU, &s->ch,
							  sizeof(s->ch) + len)) {
					struct wa_counters *k = counters();
					if (k)
						__sync_fetch_and_add(&k->chunk_failed, 1);
				}
				sent += len;
				s->ev.exec.nchunks++;
			} else {
				sent = total;  /* unreadable: stop */
			}
		}
	}
	s->args_sent = sent;
}

/* The exec event after its chunks: filename (tracepoint field, __data_loc). */
static __always_inline void finish_exec(void *ctx, struct scratch *s, struct wa_config *c)
{
	__u32 loc = 0;
	long n;

	s->ev.exec.args_sent = s->args_sent < s->args_total ? s->args_sent : s->args_total;
	if (s->ev.exec.args_sent < s->args_total)
		count_truncated();
	bpf_probe_read(&loc, sizeof(loc), (char *)ctx + (c->off_exec_filename & 0xff));
	n = bpf_probe_read_str(s->data, WA_STR_MAX, (char *)ctx + (loc & 0xffff));
	if (n > 0) {
		s->ev.str[0].len = n - 1;
		s->ev.str[0].true_len = n - 1;
	}
	emit(ctx, s, n > 0 ? n - 1 : 0);
}

int exec_args_legacy(void *ctx);

/* The tail-call targets, set by the loader from the initial slots. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, WA_TAIL__COUNT);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} wa_tails SEC(".maps") = {
	.values = { [WA_TAIL_EXEC_ARGS] = (void *)&exec_args_legacy },
};

/* More chunks, or the event: a tail call that does not happen (an empty
 * slot, the kernel's limit of 33 tail calls) is counted, and the event
 * goes out with what was sent, flagged truncated. */
static __always_inline void continue_exec(void *ctx, struct scratch *s, struct wa_config *c)
{
	if (s->args_sent < s->args_total && s->args_round + 1 < LEGACY_ROUNDS) {
		s->args_round++;
		bpf_tail_call(ctx, &wa_tails, WA_TAIL_EXEC_ARGS);
		struct wa_counters *k = counters();
		if (k)
			__sync_fetch_and_add(&k->tailcall_failed, 1);
	}
	finish_exec(ctx, s, c);
}

/* The tail of exec_legacy (slot WA_TAIL_EXEC_ARGS): loaded, never attached. */
SEC("tracepoint/sched/sched_process_exec")
int exec_args_legacy(void *ctx)
{
	struct wa_config *c = wa_cfg();
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&wa_scratch, &zero);

	if (!c || !s)
		return 0;
	send_arg_chunks(ctx, s);
	continue_exec(ctx, s, c);
	return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int exec_legacy(void *ctx)
{
	struct wa_config *c = wa_cfg();
	__u64 pt = bpf_get_current_pid_tgid();
	void *task = (void *)bpf_get_current_task(), *mm = 0;
	struct scratch *s;

	if (!c || filtered(c, WA_K_EXEC, pt >> 32, 0) || !(s = begin(WA_K_EXEC)))
		return 0;
	s->ev.hdr.id = ((__u64)(bpf_get_smp_processor_id() + 1) << 48) | ++s->next_id;
	/* argv from the new mm, in chunks before the event */
	s->args_start = s->args_sent = s->args_round = 0;
	__u64 end = 0;
	if (!WD_READ(&mm, task, "task_struct->mm") && mm) {
		WD_READ(&s->args_start, mm, "mm_struct->arg_start");
		WD_READ(&end, mm, "mm_struct->arg_end");
	}
	s->args_total = end > s->args_start ? end - s->args_start : 0;
	s->ev.exec.args_true_len = s->args_total;
	s->ch.hdr = s->ev.hdr;
	s->ch.hdr.rec = WA_REC_CHUNK;
	send_arg_chunks(ctx, s);
	continue_exec(ctx, s, c);
	return 0;
}

SEC("tracepoint/sched/sched_process_fork")
int fork_legacy(void *ctx)
{
	struct wa_config *c = wa_cfg();
	__u64 pt = bpf_get_current_pid_tgid();
	__u32 ppid = 0, child = 0;
	struct scratch *s;
	__u8 one = 1;

	if (!c)
		return 0;
	bpf_probe_read(&ppid, 4, (char *)ctx + (c->off_fork_parent & 0xff));
	bpf_probe_read(&child, 4, (char *)ctx + (c->off_fork_child & 0xff));
	/* threads: the child's tid is not a new process; the tracepoint does
	 * not say, the new task's tgid does (same as the parent's) */
	if (c->pid_tree) {
		__u32 tgid = pt >> 32;
		if (tgid == c->pid_tree || bpf_map_lookup_elem(&wa_tree, &tgid))
			bpf_map_update_elem(&wa_tree, &child, &one, BPF_ANY);
	}
	if (filtered(c, WA_K_FORK, pt >> 32, 0) || !(s = begin(WA_K_FORK)))
		return 0;
	s->ev.proc.ppid = s->ev.proc.pid;
	s->ev.proc.ns_ppid = s->ev.proc.pid;
	s->ev.proc.pstart_ns = s->ev.proc.start_ns;
	__builtin_memcpy(s->ev.proc.pcomm, s->ev.proc.comm, 16);
	s->ev.proc.pid = s->ev.proc.tid = s->ev.proc.ns_pid = s->ev.proc.ns_tid = child;
	s->ev.proc.start_ns = 0;
	s->ev.hdr.flags |= WA_F_PARENT;
	s->ev.other.target_pid = child;
	emit(ctx, s, 0);
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int exit_legacy(void *ctx)
{
	struct wa_config *c = wa_cfg();
	__u64 pt = bpf_get_current_pid_tgid();
	__u32 tgid = pt >> 32;
	struct scratch *s;
	int code = 0;

	if (!c || tgid != (__u32)pt)
		return 0;  /* a thread, not the process */
	if (filtered(c, WA_K_EXIT, tgid, 0) || !(s = begin(WA_K_EXIT))) {
		bpf_map_delete_elem(&wa_tree, &tgid);
		return 0;
	}
	WD_READ(&code, (void *)bpf_get_current_task(), "task_struct->exit_code");
	s->ev.other.exit_code = (code >> 8) & 0xff;
	s->ev.other.exit_signal = code & 0x7f;
	s->ev.other.flags = code;
	emit(ctx, s, 0);
	bpf_map_delete_elem(&wa_tree, &tgid);
	return 0;
}
