/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The agent's BPF records (bpf/agent*.bpf.c) as user space reads them
 * (agent/decode.c).  Shared by both sides: only fixed-width types, no
 * kernel headers.  Included by BPF after vmlinux.h (or its own types) and
 * by user space after <stdint.h> through agent/engine.h's WA_USER_TYPES.
 *
 * A record is a header, a kind-specific fixed part, then up to WA_NSTR
 * strings packed one after the other (hdr.str[i].len bytes each, no NUL):
 * a record is sized to its content.  A payload longer than a record holds
 * (exec argv) goes out first as WA_REC_CHUNK records tied to the event by
 * hdr.id; the event says how many chunks were sent and the true length.
 */
#ifndef WARDEN_AGENT_H
#define WARDEN_AGENT_H

#define WA_VERSION 1

/* Event kinds: the same values as enum wd_event_kind (agent/event.h;
 * agent/kinds.c checks it at build time). */
enum wa_kind {
	WA_K_EXEC, WA_K_FORK, WA_K_EXIT, WA_K_CRED, WA_K_PTRACE, WA_K_NAMESPACE,
	WA_K_FILE_OPEN, WA_K_FILE_UNLINK, WA_K_FILE_RENAME, WA_K_FILE_CHMOD,
	WA_K_FILE_CHOWN, WA_K_FILE_LINK, WA_K_FILE_SYMLINK, WA_K_FILE_TRUNCATE,
	WA_K_NET_CONNECT, WA_K_NET_ACCEPT, WA_K_NET_CLOSE, WA_K_NET_LISTEN,
	WA_K_NET_BIND, WA_K_NET_UDP_SEND, WA_K_MODULE_LOAD, WA_K_BPF_PROG,
	WA_K_BPF_MAP, WA_K_MOUNT, WA_K_UMOUNT, WA_K_MEMFD, WA_K_STATS,
	WA_K__COUNT
};

/* record types */
enum wa_rec {
	WA_REC_EVENT = 1,
	WA_REC_CHUNK = 2,
};

/* header flags */
#define WA_F_BOOT_CLOCK  0x1   /* ts is bpf_ktime_get_boot_ns (else ktime_get_ns) */
#define WA_F_PARENT      0x2   /* parent context filled in */
#define WA_F_NO_PROC     0x4   /* proc context unknown (softirq, socket never seen) */

/* per-string flags */
#define WA_S_TRUNC       0x1   /* cut at the limit; true_len says how long it was */
#define WA_S_FAULT       0x2   /* could not be read at all */

#define WA_NSTR 3
#define WA_STR_MAX 4096        /* one string of a record, NUL included */
#define WA_CHUNK 4096          /* bytes per chunk */
#define WA_ARGS_MAX (32 * WA_CHUNK)  /* argv sent up to 128 KiB, then flagged truncated */
#define WA_NKINDS 32

struct wa_str {
	__u16 len;             /* bytes in the record */
	__u16 flags;           /* WA_S_* */
	__u32 true_len;        /* length in the kernel / process (== len unless truncated) */
};

/* The process context of every event. */
struct wa_proc {
	__u32 pid, tid, ppid;
	__u32 ns_pid, ns_tid, ns_ppid;
	__u32 uid, gid, euid, egid;
	__u32 auid, sessionid;
	__u64 cgroup_id;
	__u64 start_ns;        /* task->start_time (monotonic) */
	__u64 pstart_ns;       /* parent's */
	__u32 ns[6];           /* enum wd_ns order: pid mnt net user uts cgroup */
	char comm[16];
	char pcomm[16];        /* parent's comm */
};

struct wa_hdr {
	__u16 rec;             /* enum wa_rec */
	__u16 kind;            /* enum wd_event_kind */
	__u32 flags;           /* WA_F_* */
	__u64 ts;              /* ns, see WA_F_BOOT_CLOCK */
	__u64 id;              /* chunk tie: cpu << 48 | per-CPU counter */
};

/* ---- kind-specific parts -------------------------------------------- */

struct wa_exec {
	__u64 ino;
	__u64 ctime_ns;
	__u32 dev;
	__s32 ret;
	__u32 args_true_len;   /* arg_end - arg_start */
	__u32 args_sent;       /* bytes sent in chunks */
	__u16 nchunks;         /* chunks sent before this record */
	__u8 memfd, deleted;
	__u32 pad;
	/* strings: 0 filename, 1 cwd, 2 interpreter (exe path when it differs) */
};

struct wa_file {
	__u64 ino;
	__u32 dev;
	__u32 flags;
	__u32 mode;
	__u32 uid, gid;
	__s32 ret;
	__s32 dirfd, dirfd2;   /* AT_FDCWD or a directory fd: the path is relative to it */
	/* strings: 0 path, 1 path2 */
};

struct wa_net {
	__u8 family, protocol, dns, pad;
	__s32 ret;
	__u8 saddr[16], daddr[16];
	__u16 sport, dport;    /* host order */
	__u32 pad2;
	__u64 bytes_sent, bytes_received;
	__u64 duration_ns;
};

struct wa_cred {
	__u32 old_uid, old_gid, old_euid, old_egid;
	__u32 new_uid, new_gid, new_euid, new_egid;
	__u64 old_cap_eff, new_cap_eff, old_cap_perm, new_cap_perm;
	__u32 nr;              /* syscall number */
	__s32 ret;
};

struct wa_other {
	__u32 target_pid;
	__s32 exit_code;
	__s32 exit_signal;
	__s32 ret;
	__u64 flags;
	__u32 bpf_type;
	__u32 nr;
	/* strings: 0 name, 1 target, 2 fstype */
};

struct wa_event {
	struct wa_hdr hdr;
	struct wa_proc proc;
	struct wa_str str[WA_NSTR];
	union {
		struct wa_exec exec;
		struct wa_file file;
		struct wa_net net;
		struct wa_cred cred;
		struct wa_other other;
	};
	/* then the strings */
};

struct wa_chunk {
	struct wa_hdr hdr;     /* rec = WA_REC_CHUNK, kind of the event */
	__u16 index;
	__u16 len;
	__u32 offset;          /* in the payload */
	/* then len bytes */
};

/* ---- configuration (map "wa_config", one entry, set before attach) ---- */

#define WA_PREFIX_MAX 128

struct wa_config {
	__u32 agent_tgid;      /* excluded */
	__u32 pid_tree;        /* 0: any */
	__u64 kinds;           /* bit per kind; 0: all */
	__s64 uid;             /* -1: any */
	__u64 cgroup_id;       /* 0: any (the under-cgroup test uses map wa_cgroup) */
	__u32 use_cgroup_map;
	__u32 comm_set;
	char comm[16];
	__u32 prefix_len;      /* 0: any */
	__u32 boot_clock;      /* use bpf_ktime_get_boot_ns (legacy object: 0) */
	char prefix[WA_PREFIX_MAX];
	/* legacy object: tracepoint field offsets parsed from tracefs formats */
	__u32 off_exec_filename, off_fork_parent, off_fork_child, off_exit_pid;
	__u32 stopped;         /* set at stop: every program returns at once */
	__u32 pad;
};

/* ---- counters (per-CPU array "wa_counters", key 0) ------------------- */

struct wa_counters {
	__u64 dropped[WA_NKINDS];   /* failed outputs of the event record */
	__u64 filtered[WA_NKINDS];  /* dropped on purpose by the filters */
	__u64 generated[WA_NKINDS]; /* event records attempted */
	__u64 truncated;            /* strings cut at a limit */
	__u64 chunk_failed;         /* chunk outputs that failed */
	__u64 tailcall_failed;
	__u64 stash_missed;         /* sys_exit without its sys_enter (agent started in between) */
};

#endif
