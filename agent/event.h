/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The agent's decoded event: what the BPF records (bpf/agent/) become in user
 * space, after chunk reassembly and enrichment (container id, executable path
 * from the process cache).  Every output (JSON lines, text, the fleet sink)
 * reads this struct and nothing else; the record layout stays private to
 * agent/decode.c and bpf/agent/.
 *
 * Strings are NUL-terminated and valid only during the output call; a field
 * that does not apply to a kind is zero / NULL and is not written.
 */
#ifndef WARDEN_AGENT_EVENT_H
#define WARDEN_AGENT_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Kinds, one per row of docs/events.md.  The names (wd_event_kind_name) are
 * the ECS event.action values and the --kinds filter words. */
enum wd_event_kind {
	WD_EV_EXEC,        /* process: exec (execve/execveat) */
	WD_EV_FORK,        /* process: fork/clone (parent and child) */
	WD_EV_EXIT,        /* process: exit (code, signal) */
	WD_EV_CRED,        /* process: credential change (setuid family, capset, commit_creds) */
	WD_EV_PTRACE,      /* process: ptrace attach */
	WD_EV_NAMESPACE,   /* process: unshare / setns */
	WD_EV_FILE_OPEN,   /* file: open for write or create */
	WD_EV_FILE_UNLINK,
	WD_EV_FILE_RENAME,
	WD_EV_FILE_CHMOD,
	WD_EV_FILE_CHOWN,
	WD_EV_FILE_LINK,
	WD_EV_FILE_SYMLINK,
	WD_EV_FILE_TRUNCATE,
	WD_EV_NET_CONNECT, /* TCP connect */
	WD_EV_NET_ACCEPT,  /* TCP accept */
	WD_EV_NET_CLOSE,   /* TCP close: bytes and duration */
	WD_EV_NET_LISTEN,
	WD_EV_NET_BIND,
	WD_EV_NET_UDP_SEND,/* UDP send to a new peer (port 53 flagged) */
	WD_EV_MODULE_LOAD,
	WD_EV_BPF_PROG,    /* bpf(BPF_PROG_LOAD) by another process */
	WD_EV_BPF_MAP,     /* bpf(BPF_MAP_CREATE) by another process */
	WD_EV_MOUNT,
	WD_EV_UMOUNT,
	WD_EV_MEMFD,       /* memfd_create */
	WD_EV_STATS,       /* the agent's own counters, every N seconds */
	WD_EV__COUNT
};

enum wd_ns { WD_NS_PID, WD_NS_MNT, WD_NS_NET, WD_NS_USER, WD_NS_UTS, WD_NS_CGROUP, WD_NS__COUNT };

struct wd_event_process {
	uint32_t pid, tid, ppid;          /* host pid namespace */
	uint32_t ns_pid, ns_tid, ns_ppid; /* as seen in the process's own pid namespace */
	uint32_t uid, gid, euid, egid;
	uint32_t auid;                    /* loginuid; 4294967295 when unset */
	uint32_t sessionid;
	char comm[16];
	const char *exe;                  /* executable path, or NULL */
	uint64_t cgroup_id;
	const char *container_id;         /* from the cgroup path, or NULL */
	uint32_t ns[WD_NS__COUNT];        /* namespace inode numbers */
	uint64_t start_ns;                /* task start (boot clock), for an entity id */
};

/* A string that BPF may have cut: `len` is what is here, `true_len` what the
 * kernel had (equal unless truncated). */
struct wd_event_str {
	const char *s;                    /* NUL-terminated; for argv: args NUL-separated */
	size_t len;
	size_t true_len;
	bool truncated;
};

struct wd_event_file {
	struct wd_event_str path;
	struct wd_event_str path2;        /* rename/link/symlink: the new name */
	uint64_t inode;
	uint32_t dev;                     /* st_dev-style major:minor (new_encode_dev) */
	uint32_t flags;                   /* open flags */
	uint32_t mode;                    /* open/chmod mode */
	uint32_t uid, gid;                /* chown: new owner (-1: unchanged) */
};

struct wd_event_exec {
	struct wd_event_str filename;
	struct wd_event_str args;         /* argv, NUL-separated; argc below */
	uint32_t argc;
	struct wd_event_str cwd;
	struct wd_event_str interpreter;  /* script interpreter (from binprm), or empty */
	uint64_t inode;
	uint32_t dev;
	uint64_t ctime_ns;
	bool memfd;                       /* executable is a memfd */
	bool deleted;                     /* executable was unlinked (nlink 0) */
	int32_t ret;                      /* 0, or -errno of a failed exec */
};

struct wd_event_net {
	uint8_t family;                   /* AF_INET or AF_INET6 */
	uint8_t protocol;                 /* IPPROTO_TCP / IPPROTO_UDP */
	uint8_t saddr[16], daddr[16];     /* v4 in the first 4 bytes */
	uint16_t sport, dport;            /* host order */
	uint64_t bytes_sent, bytes_received;
	uint64_t duration_ns;             /* close: since connect/accept */
	bool dns;                         /* UDP to port 53 */
	int32_t ret;
};

struct wd_event_cred {
	uint32_t old_uid, old_gid, old_euid, old_egid;
	uint32_t new_uid, new_gid, new_euid, new_egid;
	uint64_t old_cap_effective, new_cap_effective;
	uint64_t old_cap_permitted, new_cap_permitted;
	const char *syscall;              /* "setuid", "capset", "commit_creds" ... */
};

struct wd_event_other {
	uint32_t target_pid;              /* ptrace: tracee; fork: child */
	uint64_t flags;                   /* clone flags, ptrace request, unshare/setns nstype, mount flags, memfd flags */
	int32_t exit_code;                /* exit: code */
	int32_t exit_signal;              /* exit: signal, 0 if none */
	struct wd_event_str name;         /* module, bpf prog/map name, memfd name, mount source */
	struct wd_event_str target;       /* mount point */
	struct wd_event_str fstype;
	uint32_t bpf_type;                /* bpf: program or map type */
	int32_t ret;
};

/* WD_EV_STATS: the counters since start (never silent drops). */
struct wd_event_stats {
	uint64_t received[WD_EV__COUNT];  /* events turned into output, per kind */
	uint64_t dropped[WD_EV__COUNT];   /* counted drops, per kind (all causes) */
	uint64_t lost_ring;               /* failed reserves / lost perf samples without a kind */
	uint64_t truncated;               /* strings cut at a limit (flagged in the event) */
	uint64_t tailcall_failed;
	uint64_t chunks_incomplete;       /* chunked payloads that never completed */
	uint64_t filtered_kernel;         /* dropped on purpose by in-kernel filters */
	uint64_t output_errors;
};

struct wd_event {
	enum wd_event_kind kind;
	uint64_t seq;                     /* per host, monotonic, 1-based */
	uint64_t time_ns;                 /* wall clock (boot clock + boot offset) */
	struct wd_event_process proc;
	struct wd_event_process parent;   /* fork: the parent; otherwise pid/comm of the parent where known */
	union {
		struct wd_event_exec exec;
		struct wd_event_file file;
		struct wd_event_net net;
		struct wd_event_cred cred;
		struct wd_event_other other;
		struct wd_event_stats stats;
	};
};

/* Where events go: 0 to go on, or a negative errno to stop. */
typedef int (*wd_agent_event_fn)(void *ctx, const struct wd_event *ev);

/* "exec", "fork", ... "stats"; NULL out of range. */
const char *wd_event_kind_name(enum wd_event_kind k);
/* Kind by name, or -1. */
int wd_event_kind_from_name(const char *name);
/* ECS event.category of a kind: "process", "file", "network", "host"... */
const char *wd_event_kind_category(enum wd_event_kind k);

#endif
