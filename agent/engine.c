// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The agent's engine: which hook each event kind runs on, decided here by
 * real load and attach attempts on this kernel, never by its version.
 *
 * Every kind has an ordered list of variants (variants_of()): raw
 * tracepoints with CO-RE reads first where they exist, then the stable
 * tracepoints (sched:*, sock:inet_sock_set_state, module:module_load and
 * the syscalls:sys_enter_* / sys_exit_* pairs, which every kernel of the
 * matrix has: kprobes are never needed).  A variant is a set of hooks, each
 * a program of bpf/agent.o and the event it attaches to; a hook is
 * required, optional (e.g. the failed-exec hooks), or one of a group (a
 * syscall kind works when at least one of its syscalls attaches).
 *
 *   1. availability: a variant whose required events are not in tracefs,
 *      or whose program type the kernel refuses, is out (the reason kept);
 *   2. load: one object load with only the programs of each kind's
 *      candidate (its first variant not out) autoloaded: a variant that
 *      would not be used costs no verification, the bulk of start-up.
 *      When the verifier refuses a program, the variants using it are out
 *      (the verifier's line kept) and the object is loaded again, the kinds
 *      concerned moving to their next variant;
 *   3. attach: per kind, its candidate; a hook shared by two kinds is
 *      attached once.  A candidate that does not attach is out; when some
 *      kind then has a later variant, whose programs were not loaded, the
 *      links, consumer and object are released and steps 2-3 run again.
 *
 * Links are perf event fds (tracepoints) and raw tracepoint fds made here
 * on the programs' fds, so that wd_agent_stop() can close them from several
 * threads at once: the kernel's unregistration waits for an RCU grace
 * period per link (~70 ms here when done one after the other); in parallel
 * the waits overlap.
 *
 * Kernels without BTF run bpf/agent_legacy.o: process events from the
 * sched tracepoints, struct offsets from the runtime-offsets map.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "decode.h"
#include "engine.h"
#include "warden/events.h"
#include "warden/link.h"
#include "warden/features.h"
#include "warden/offsets.h"
#include "warden/warden.h"

#define MAX_HOOKS 48
#define MAX_VARIANTS 4
#define MAX_LINKS 256

/* H_TP: a tracefs event (perf event fd); H_RAW: a raw tracepoint; H_FENTRY
 * and H_LSM: a trampoline on kernel function `name` (bpf_lsm_<name> for
 * LSM), attached with BPF_RAW_TRACEPOINT_OPEN without a name (5.5+);
 * H_KPROBE: function `name` through the kprobe PMU (perf event fd). */
enum hook_type { H_TP, H_RAW, H_FENTRY, H_LSM, H_KPROBE };
enum hook_req { R_REQ, R_OPT, R_GROUP };

struct hook {
	uint8_t type, req;
	/* an optional hook this kernel cannot run (no such LSM hook, its
	 * program refused): kept, so that its program still counts as
	 * attached by a variant (prog_named: not a tail-call target, not
	 * loaded again and again), but neither loaded nor attached */
	bool dropped;
	const char *prog;
	char cat[16];
	char name[48];
};

enum vstate { V_UNTRIED, V_OUT, V_LOADED, V_CHOSEN };

struct variant {
	const char *name;
	enum vstate state;
	char why[200];            /* why it is out */
	int nhooks;
	struct hook hooks[MAX_HOOKS];
};

struct kind_state {
	bool wanted;
	bool for_tree;            /* not asked for: attached to keep --pid-tree's members */
	int nvariants;
	int chosen;               /* index, -1 */
	struct variant v[MAX_VARIANTS];
};

struct link {
	int fd;
	int prog_fd;
	const struct hook *hook;
};

struct wd_agent {
	struct wd_agent_opts opts;
	struct wd_object *obj;
	struct wd_events *ev;
	int transport;
	bool legacy;
	char obj_path[PATH_MAX];
	char legacy_why[240];
	struct kind_state kinds[WD_EV__COUNT];
	struct link links[MAX_LINKS];
	unsigned int nlinks;
	int cgroup_fd;
	char *prefix, *comm;      /* copies of the filter's strings */
	struct wa_config cfg;     /* as written to wa_config */
	struct wd_decoder dec;
	uint64_t lost_ring;
	int64_t last_sync_ns;
	int ncpus;
	struct wd_agent_startup startup;
};

/* ---- helpers -------------------------------------------------------- */

static int fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* The tracing directory, tracefs mounted where nobody did (a fresh guest,
 * a container): the library's one reader.  NULL when there is none. */
static const char *tracing_dir(void)
{
	static const char *dir;

	if (!dir && wd_tracefs_dir(&dir))
		dir = NULL;
	return dir;
}

/* Trace event id, or -errno. */
static int event_id(const char *cat, const char *name)
{
	const char *dir = tracing_dir();

	return dir ? wd_tracefs_event_id(dir, cat, name) : -ENOENT;
}

/* ---- the variants of each kind --------------------------------------- */

static void add_hook(struct variant *v, int type, int req, const char *prog, const char *cat,
		     const char *name)
{
	if (v->nhooks >= MAX_HOOKS)
		return;
	struct hook *h = &v->hooks[v->nhooks++];
	h->type = type;
	h->req = req;
	h->prog = prog;
	snprintf(h->cat, sizeof(h->cat), "%s", cat);
	snprintf(h->name, sizeof(h->name), "%s", name);
}

/* sys_enter_<s> into the stash, sys_exit_<s> to the family's program */
static void add_sys(struct variant *v, int req, const char *exit_prog, const char *s)
{
	char n[48];
	snprintf(n, sizeof(n), "sys_enter_%s", s);
	add_hook(v, H_TP, req, "sys_enter_stash", "syscalls", n);
	snprintf(n, sizeof(n), "sys_exit_%s", s);
	add_hook(v, H_TP, req, exit_prog, "syscalls", n);
}

static const struct sysgroup {
	int kind;
	const char *prog;
	const char *sys[10];
} sysgroups[] = {
	{ WD_EV_CRED, "sys_exit_proc", { "setuid", "setgid", "setreuid", "setregid", "setresuid",
					  "setresgid", "setfsuid", "setfsgid", "capset" } },
	{ WD_EV_PTRACE, "sys_exit_proc", { "ptrace" } },
	{ WD_EV_NAMESPACE, "sys_exit_proc", { "unshare", "setns" } },
	{ WD_EV_FILE_OPEN, "sys_exit_file", { "open", "openat", "openat2", "creat" } },
	{ WD_EV_FILE_UNLINK, "sys_exit_file", { "unlink", "unlinkat" } },
	{ WD_EV_FILE_RENAME, "sys_exit_file", { "rename", "renameat", "renameat2" } },
	{ WD_EV_FILE_CHMOD, "sys_exit_file", { "chmod", "fchmod", "fchmodat", "fchmodat2" } },
	{ WD_EV_FILE_CHOWN, "sys_exit_file", { "chown", "fchown", "lchown", "fchownat" } },
	{ WD_EV_FILE_LINK, "sys_exit_file", { "link", "linkat" } },
	{ WD_EV_FILE_SYMLINK, "sys_exit_file", { "symlink", "symlinkat" } },
	{ WD_EV_FILE_TRUNCATE, "sys_exit_file", { "truncate", "ftruncate" } },
	{ WD_EV_NET_ACCEPT, "sys_exit_net", { "accept", "accept4" } },
	{ WD_EV_NET_LISTEN, "sys_exit_net", { "listen" } },
	{ WD_EV_NET_BIND, "sys_exit_net", { "bind" } },
	{ WD_EV_NET_UDP_SEND, "sys_exit_net", { "connect", "sendto", "sendmsg", "sendmmsg" } },
	{ WD_EV_BPF_PROG, "sys_exit_sys", { "bpf" } },
	{ WD_EV_BPF_MAP, "sys_exit_sys", { "bpf" } },
	{ WD_EV_MOUNT, "sys_exit_sys", { "mount" } },
	{ WD_EV_UMOUNT, "sys_exit_sys", { "umount" } },
	{ WD_EV_MEMFD, "sys_exit_sys", { "memfd_create" } },
};

static struct variant *new_variant(struct kind_state *ks, const char *name)
{
	struct variant *v = &ks->v[ks->nvariants++];
	memset(v, 0, sizeof(*v));
	v->name = name;
	return v;
}

static void sched_variants(struct kind_state *ks, const char *raw_prog, const char *tp_prog,
			   const char *event, int kind)
{
	for (int i = 0; i < 2; i++) {
		struct variant *v = new_variant(ks, i ? "tracepoint" : "raw_tp");
		add_hook(v, i ? H_TP : H_RAW, R_REQ, i ? tp_prog : raw_prog, "sched", event);
		if (kind == WD_EV_EXEC) {
			add_sys(v, R_OPT, "exec_fail", "execve");
			add_sys(v, R_OPT, "exec_fail", "execveat");
		} else if (kind == WD_EV_FORK) {
			/* clone flags; the exit hook clears the stash */
			add_sys(v, R_OPT, "sys_exit_proc", "clone");
			add_sys(v, R_OPT, "sys_exit_proc", "clone3");
		}
	}
}

/* Variants on a kernel function rather than a tracepoint: trampolines
 * (fentry, LSM) come before the tracepoint variants of their kind, kprobes
 * after them (they reach what has no tracepoint on older kernels). */
static const struct func_variant {
	int kind;
	const char *variant, *prog;
	uint8_t type;
	const char *func;
} trampolines[] = {
	/* every credential change, setuid executables included */
	{ WD_EV_CRED, "fentry", "cred_fentry", H_FENTRY, "commit_creds" },
	/* paths resolved by the kernel; unlink's inode */
	{ WD_EV_FILE_OPEN, "lsm", "file_open_lsm", H_LSM, "file_open" },
	{ WD_EV_FILE_UNLINK, "lsm", "unlink_lsm", H_LSM, "path_unlink" },
	{ WD_EV_FILE_RENAME, "lsm", "rename_lsm", H_LSM, "path_rename" },
	{ WD_EV_FILE_CHMOD, "lsm", "chmod_lsm", H_LSM, "path_chmod" },
	{ WD_EV_FILE_CHOWN, "lsm", "chown_lsm", H_LSM, "path_chown" },
	{ WD_EV_FILE_LINK, "lsm", "link_lsm", H_LSM, "path_link" },
	{ WD_EV_FILE_SYMLINK, "lsm", "symlink_lsm", H_LSM, "path_symlink" },
	{ WD_EV_FILE_TRUNCATE, "lsm", "truncate_lsm", H_LSM, "path_truncate" },
}, kprobes[] = {
	{ WD_EV_CRED, "kprobe", "cred_kprobe", H_KPROBE, "commit_creds" },
	/* before 4.16: no sock:inet_sock_set_state */
	{ WD_EV_NET_CONNECT, "kprobe", "sock_state_kprobe", H_KPROBE, "tcp_set_state" },
	{ WD_EV_NET_CLOSE, "kprobe", "sock_state_kprobe", H_KPROBE, "tcp_set_state" },
};

static const char *const hook_cat[] = { [H_FENTRY] = "fentry", [H_LSM] = "lsm", [H_KPROBE] = "kprobe" };

static void func_variants(struct kind_state *ks, int kind, const struct func_variant *fv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fv[i].kind != kind || ks->nvariants >= MAX_VARIANTS)
			continue;
		struct variant *v = new_variant(ks, fv[i].variant);
		add_hook(v, fv[i].type, R_REQ, fv[i].prog, hook_cat[fv[i].type], fv[i].func);
		if (kind == WD_EV_FILE_TRUNCATE)  /* ftruncate(2) from 6.2 */
			add_hook(v, H_LSM, R_OPT, "ftruncate_lsm", "lsm", "file_truncate");
		if (kind == WD_EV_NET_CLOSE) {  /* the accepting process, as below */
			add_sys(v, R_OPT, "sys_exit_net", "accept");
			add_sys(v, R_OPT, "sys_exit_net", "accept4");
		}
	}
}

static void tracepoint_variants(struct kind_state *ks, int kind);

static void variants_of(struct kind_state *ks, int kind)
{
	ks->nvariants = 0;
	ks->chosen = -1;
	func_variants(ks, kind, trampolines, sizeof(trampolines) / sizeof(trampolines[0]));
	tracepoint_variants(ks, kind);
	func_variants(ks, kind, kprobes, sizeof(kprobes) / sizeof(kprobes[0]));
}

static void tracepoint_variants(struct kind_state *ks, int kind)
{
	struct variant *v;

	switch (kind) {
	case WD_EV_EXEC:
		sched_variants(ks, "exec_raw", "exec_tp", "sched_process_exec", kind);
		return;
	case WD_EV_FORK:
		sched_variants(ks, "fork_raw", "fork_tp", "sched_process_fork", kind);
		return;
	case WD_EV_EXIT:
		sched_variants(ks, "exit_raw", "exit_tp", "sched_process_exit", kind);
		return;
	case WD_EV_NET_CONNECT:
		v = new_variant(ks, "tracepoint");
		add_hook(v, H_TP, R_REQ, "sock_state", "sock", "inet_sock_set_state");
		return;
	case WD_EV_NET_CLOSE:
		v = new_variant(ks, "tracepoint");
		add_hook(v, H_TP, R_REQ, "sock_state", "sock", "inet_sock_set_state");
		/* the accepting process */
		add_sys(v, R_OPT, "sys_exit_net", "accept");
		add_sys(v, R_OPT, "sys_exit_net", "accept4");
		return;
	case WD_EV_MODULE_LOAD:
		v = new_variant(ks, "tracepoint");
		add_hook(v, H_TP, R_REQ, "module_tp", "module", "module_load");
		return;
	case WD_EV_STATS:
		return;
	}
	for (size_t i = 0; i < sizeof(sysgroups) / sizeof(sysgroups[0]); i++) {
		if (sysgroups[i].kind != kind)
			continue;
		if (kind >= WD_EV_FILE_OPEN && kind <= WD_EV_FILE_TRUNCATE && ks->nvariants < MAX_VARIANTS - 1) {
			/* sys_exit alone, the arguments from the task's saved
			 * registers (bpf_task_pt_regs, 5.15+): one program run
			 * per call, half what a dropped open costs with the
			 * sys_enter stash */
			char n[48];
			v = new_variant(ks, "tp_exit");
			for (int j = 0; j < 10 && sysgroups[i].sys[j]; j++) {
				snprintf(n, sizeof(n), "sys_exit_%s", sysgroups[i].sys[j]);
				add_hook(v, H_TP, R_GROUP, "sys_exit_file_regs", "syscalls", n);
			}
		}
		v = new_variant(ks, "tracepoint");
		for (int j = 0; j < 10 && sysgroups[i].sys[j]; j++)
			add_sys(v, R_GROUP, sysgroups[i].prog, sysgroups[i].sys[j]);
		if (kind == WD_EV_NET_ACCEPT)  /* start time for the close event */
			add_hook(v, H_TP, R_OPT, "sock_state", "sock", "inet_sock_set_state");
	}
}

/* Legacy object: the process kinds only, from the sched tracepoints. */
static void legacy_variants(struct kind_state *ks, int kind)
{
	static const char *const progs[] = { "exec_legacy", "fork_legacy", "exit_legacy" };
	static const char *const evs[] = { "sched_process_exec", "sched_process_fork", "sched_process_exit" };

	ks->nvariants = 0;
	ks->chosen = -1;
	if (kind > WD_EV_EXIT)
		return;
	struct variant *v = new_variant(ks, "tracepoint+offsets");
	add_hook(v, H_TP, R_REQ, progs[kind], "sched", evs[kind]);
}

static void set_out(struct variant *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_out(struct variant *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
	v->state = V_OUT;
}

/* Is "bpf" among the active LSMs?  Without it an LSM program loads and
 * attaches but never runs (5.10 and others leave it out of CONFIG_LSM).
 * 1 yes, 0 no, -errno when it cannot be read.  The list is in securityfs,
 * mounted for the read (and unmounted) where nobody mounted it. */
static int read_lsm_list(const char *dir, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/lsm", dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	return 0;
}

static int bpf_lsm_active(void)
{
	static int cached = 1 << 30;
	char list[512], tmp[] = "/tmp/warden-securityfs-XXXXXX";
	int rc;

	if (cached != 1 << 30)
		return cached;
	rc = read_lsm_list("/sys/kernel/security", list, sizeof(list));
	if (rc == -ENOENT && mkdtemp(tmp)) {
		rc = mount("securityfs", tmp, "securityfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) ? -errno : 0;
		if (!rc) {
			rc = read_lsm_list(tmp, list, sizeof(list));
			umount2(tmp, MNT_DETACH);
		}
		rmdir(tmp);
	}
	if (rc)
		return cached = rc;
	/* "lockdown,capability,landlock,yama,apparmor,bpf" */
	for (char *tok = strtok(list, ",\n"); tok; tok = strtok(NULL, ",\n"))
		if (!strcmp(tok, "bpf"))
			return cached = 1;
	return cached = 0;
}

static bool have_kprobe_pmu(void)
{
	return access("/sys/bus/event_source/devices/kprobe/type", R_OK) == 0;
}

/* Why a hook on a kernel function cannot be used here, or NULL. */
static const char *func_hook_unavailable(const struct hook *hk, char *buf, size_t len)
{
	char fn[64];
	int r;

	switch (hk->type) {
	case H_KPROBE:
		/* a missing function shows at attach (ENOENT): no kallsyms scan */
		return have_kprobe_pmu() ? NULL : "no kprobe PMU in this kernel (CONFIG_KPROBES off)";
	case H_FENTRY:
		r = wd_probe_prog_type(BPF_PROG_TYPE_TRACING);
		if (r != 1) {
			snprintf(buf, len, "fentry programs: %s", wd_probe_result_str(r));
			return buf;
		}
		snprintf(fn, sizeof(fn), "%s", hk->name);
		break;
	case H_LSM:
		r = wd_probe_prog_type(BPF_PROG_TYPE_LSM);
		if (r != 1) {
			snprintf(buf, len, "LSM programs: %s", wd_probe_result_str(r));
			return buf;
		}
		r = bpf_lsm_active();
		if (r == 0)
			return "the BPF LSM is not active (add bpf to lsm= on the kernel command line)";
		if (r < 0) {
			snprintf(buf, len, "cannot tell whether the BPF LSM is active (securityfs: %s)",
				 strerror(-r));
			return buf;
		}
		snprintf(fn, sizeof(fn), "bpf_lsm_%s", hk->name);
		break;
	default:
		return NULL;
	}
	if (wd_probe_kern_btf_func_id(fn) < 0) {
		snprintf(buf, len, "no function %s in the kernel's BTF%s", fn,
			 hk->type == H_LSM ? " (CONFIG_SECURITY_PATH off?)" : "");
		return buf;
	}
	return NULL;
}

/* A variant whose program calls a helper this kernel lacks is out before
 * any load (the verifier would refuse it, and the object be loaded
 * again): sys_exit_file_regs reads the arguments through
 * bpf_task_pt_regs (5.15, commit dd6e10fbd9fb).  True when out. */
static bool helpers_missing(struct variant *v)
{
	for (int h = 0; h < v->nhooks; h++) {
		if (strcmp(v->hooks[h].prog, "sys_exit_file_regs"))
			continue;
		int r = wd_probe_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_task_pt_regs);
		if (r == 1)
			return false;
		set_out(v, "bpf_task_pt_regs() in tracepoint programs (5.15+): %s", wd_probe_result_str(r));
		return true;
	}
	return false;
}

/* Step 1: what the kernel has (tracefs events, program types). */
static void check_available(struct wd_agent *a)
{
	int raw = wd_probe_prog_type(BPF_PROG_TYPE_RAW_TRACEPOINT);
	int rawlink = wd_probe_bpf_link(WD_LINK_RAW_TP);

	for (int k = 0; k < WD_EV__COUNT; k++) {
		struct kind_state *ks = &a->kinds[k];
		if (!ks->wanted)
			continue;
		for (int i = 0; i < ks->nvariants; i++) {
			struct variant *v = &ks->v[i];
			bool group = false, group_ok = false;
			const char *missing = NULL;
			if (v->state == V_OUT)
				continue;  /* WARDEN_AGENT_VARIANTS */
			if (helpers_missing(v))
				continue;
			for (int h = 0; h < v->nhooks; h++) {
				struct hook *hk = &v->hooks[h];
				char why[160];
				const char *no = func_hook_unavailable(hk, why, sizeof(why));
				if (no && hk->req == R_OPT) {
					/* an optional hook this kernel lacks: dropped
					 * before the load (its program would fail it) */
					hk->dropped = true;
					continue;
				}
				if (no) {
					set_out(v, "%s", no);
					break;
				}
				if (hk->type == H_FENTRY || hk->type == H_LSM || hk->type == H_KPROBE)
					continue;
				if (hk->type == H_RAW && (raw != 1 || rawlink != 1)) {
					set_out(v, "raw tracepoints: %s",
						wd_probe_result_str(raw != 1 ? raw : rawlink));
					break;
				}
				bool have = event_id(hk->type == H_RAW ? "sched" : hk->cat, hk->name) >= 0;
				if (hk->type == H_RAW && !have)
					have = event_id(hk->cat, hk->name) >= 0;
				if (hk->req == R_GROUP) {
					group = true;
					group_ok |= have;
				} else if (hk->req == R_REQ && !have && !missing) {
					missing = hk->name;
				}
			}
			if (v->state == V_OUT)
				continue;
			if (missing)
				set_out(v, "no tracepoint %s in this kernel", missing);
			else if (group && !group_ok)
				set_out(v, "none of its syscall tracepoints in this kernel (%s...)",
					v->hooks[0].name);
		}
	}
}

/* The variant a kind tries next: its first one not out, or -1. */
static int candidate(const struct kind_state *ks)
{
	for (int i = 0; i < ks->nvariants; i++)
		if (ks->v[i].state != V_OUT)
			return i;
	return -1;
}

/* Does some variant of some kind, wanted or not, attach prog? */
static bool prog_named(struct wd_agent *a, const char *prog)
{
	for (int k = 0; k < WD_EV__COUNT; k++)
		for (int i = 0; i < a->kinds[k].nvariants; i++)
			for (int h = 0; h < a->kinds[k].v[i].nhooks; h++)
				if (!strcmp(a->kinds[k].v[i].hooks[h].prog, prog))
					return true;
	return false;
}

/* Is prog used by the candidate of a wanted kind?  Only those programs
 * are loaded: the later variants of a kind cost nothing unless needed.
 * A program no variant attaches is a tail-call target (the legacy
 * object's exec_args_legacy): always loaded, for its prog array slot. */
static bool prog_needed(struct wd_agent *a, const char *prog)
{
	if (!prog_named(a, prog))
		return true;
	for (int k = 0; k < WD_EV__COUNT; k++) {
		struct kind_state *ks = &a->kinds[k];
		int i = ks->wanted ? candidate(ks) : -1;
		if (i < 0)
			continue;
		for (int h = 0; h < ks->v[i].nhooks; h++)
			if (!ks->v[i].hooks[h].dropped && !strcmp(ks->v[i].hooks[h].prog, prog))
				return true;
	}
	return false;
}

static void prog_failed(struct wd_agent *a, const char *prog, const char *why)
{
	for (int k = 0; k < WD_EV__COUNT; k++) {
		struct kind_state *ks = &a->kinds[k];
		for (int i = 0; i < ks->nvariants; i++) {
			struct variant *v = &ks->v[i];
			if (v->state == V_OUT)
				continue;
			for (int h = 0; h < v->nhooks; h++) {
				struct hook *hk = &v->hooks[h];
				if (strcmp(hk->prog, prog))
					continue;
				if (hk->req == R_OPT) {
					/* an optional hook: drop it, keep the variant */
					hk->dropped = true;
					continue;
				}
				set_out(v, "load refused: %s", why);
				break;
			}
		}
	}
}

/* ---- the object ----------------------------------------------------- */

static int find_object(const struct wd_agent_opts *o, const char *name, char *out, size_t len)
{
	const char *dir = o->bpf_dir && *o->bpf_dir ? o->bpf_dir : getenv("WARDEN_BPF_DIR");
	char exe[PATH_MAX];
	ssize_t n;

	if (dir && *dir) {
		snprintf(out, len, "%s/%s", dir, name);
		return access(out, R_OK) == 0 ? 0 : -ENOENT;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		static const char *const rel[] = { "bpf", "../bpf", "../lib/warden/bpf", "../../bpf" };
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			snprintf(out, len, "%s/%s/%s", exe, rel[i], name);
			if (access(out, R_OK) == 0)
				return 0;
		}
	}
	snprintf(out, len, "build/bpf/%s", name);
	return access(out, R_OK) == 0 ? 0 : -ENOENT;
}

static size_t pow2_floor(size_t v)
{
	size_t p = 1;
	while (p * 2 <= v)
		p *= 2;
	return p;
}

/* Open and prepare the object; autoload only what is needed. */
static struct wd_object *open_object(struct wd_agent *a, char *err, size_t errlen)
{
	struct wd_object *obj = wd_object_open(a->obj_path, NULL);
	struct wd_prog *p;
	uint64_t wake;

	if (!obj) {
		fail(err, errlen, "%s", wd_errmsg());
		return NULL;
	}
	if (!a->legacy) {
		struct wd_map *ring = wd_object_map(obj, "events");
		if (ring)
			wd_map_set_max_entries(ring, (uint32_t)pow2_floor(a->opts.ring_bytes));
		a->transport = wd_events_prepare(obj, "events", a->opts.transport);
		if (a->transport < 0) {
			fail(err, errlen, "%s", wd_errmsg());
			wd_object_close(obj);
			return NULL;
		}
		/* no wake-up until a quarter of the ring is waiting: the consumer
		 * polls at the latency bound anyway */
		wake = a->opts.ring_bytes / 4;
		wd_object_set_global(obj, "warden_ring_wakeup_bytes", &wake, sizeof(wake));
	} else {
		a->transport = WD_EVENTS_PERFBUF;
	}
	wd_object_for_each_prog(p, obj)
		wd_prog_set_autoload(p, prog_needed(a, wd_prog_name(p)));
	return obj;
}

/* The programs of a failed load that the kernel refused (named in the
 * error, or with a verifier log: a loader that loads programs in parallel
 * may report several at once); each takes its variants out.  Returns how
 * many. */
static int drop_refused(struct wd_agent *a, struct wd_object *obj, const char *why)
{
	struct wd_prog *p;
	int n = 0;

	wd_object_for_each_prog(p, obj) {
		char pat[96];
		snprintf(pat, sizeof(pat), "program '%s'", wd_prog_name(p));
		bool named = strstr(why, pat) != NULL;
		if (!named && !wd_prog_log(p))
			continue;
		/* keep the verifier's own words: after "program 'x': " */
		const char *cause = named ? strchr(strstr(why, pat) + strlen(pat), ':') : NULL;
		prog_failed(a, wd_prog_name(p), cause ? cause + 2 : why);
		n++;
	}
	return n;
}

/* Step 2: load the candidates' programs, dropping those the verifier
 * refuses (their kinds move to their next variant). */
static int load(struct wd_agent *a, char *err, size_t errlen)
{
	for (int attempt = 0; attempt < 16; attempt++) {
		struct wd_object *obj = open_object(a, err, errlen);
		struct wd_prog *p;
		char why[200];

		if (!obj)
			return -1;
		a->startup.object_loads++;
		if (wd_object_load(obj, NULL) == 0) {
			a->obj = obj;
			a->startup.progs_loaded = 0;
			wd_object_for_each_prog(p, obj)
				a->startup.progs_loaded += wd_prog_fd(p) >= 0;
			return 0;
		}
		snprintf(why, sizeof(why), "%s", wd_errmsg());
		int refused = drop_refused(a, obj, why);
		wd_object_close(obj);
		if (!refused)
			return fail(err, errlen, "%s", why);
	}
	return fail(err, errlen, "agent: too many programs refused by the verifier");
}

/* ---- attach --------------------------------------------------------- */

/* The kprobe PMU's perf type (a kprobe without a tracefs entry, 4.17+), or -errno. */
static int kprobe_pmu_type(void)
{
	char buf[32];
	int fd = open("/sys/bus/event_source/devices/kprobe/type", O_RDONLY | O_CLOEXEC), n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return atoi(buf);
}

static int attach_one(const struct hook *h, int prog_fd)
{
	if (h->type == H_RAW || h->type == H_FENTRY || h->type == H_LSM) {
		/* a trampoline program: no name, its target is in the program */
		union bpf_attr attr;
		memset(&attr, 0, sizeof(attr));
		attr.raw_tracepoint.name = h->type == H_RAW ? (uint64_t)(uintptr_t)h->name : 0;
		attr.raw_tracepoint.prog_fd = prog_fd;
		int fd = syscall(__NR_bpf, BPF_RAW_TRACEPOINT_OPEN, &attr, sizeof(attr));
		return fd < 0 ? -errno : fd;
	}
	struct perf_event_attr pa;
	memset(&pa, 0, sizeof(pa));
	pa.size = sizeof(pa);
	if (h->type == H_KPROBE) {
		int type = kprobe_pmu_type();
		if (type < 0)
			return type;
		pa.type = type;
		pa.config1 = (uint64_t)(uintptr_t)h->name;  /* kprobe_func */
	} else {
		int id = event_id(h->cat, h->name);
		if (id < 0)
			return id;
		pa.type = PERF_TYPE_TRACEPOINT;
		pa.config = id;
	}
	pa.sample_period = 1;
	pa.wakeup_events = 1;
	int fd = syscall(__NR_perf_event_open, &pa, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog_fd) || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0)) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static bool attached(struct wd_agent *a, const struct hook *h, int prog_fd)
{
	for (unsigned int i = 0; i < a->nlinks; i++)
		if (a->links[i].prog_fd == prog_fd && !strcmp(a->links[i].hook->name, h->name) &&
		    !strcmp(a->links[i].hook->cat, h->cat))
			return true;
	return false;
}

/* Are the programs of v's required and group hooks loaded?  (Those of a
 * variant that was not a candidate at load time are not.) */
static bool variant_loaded(struct wd_agent *a, const struct variant *v)
{
	for (int h = 0; h < v->nhooks; h++) {
		struct wd_prog *p = v->hooks[h].req == R_OPT ? NULL : wd_object_prog(a->obj, v->hooks[h].prog);
		if (v->hooks[h].req != R_OPT && (!p || wd_prog_fd(p) < 0))
			return false;
	}
	return true;
}

/* Step 3: per kind, its candidate if it attaches, else the next variant
 * whose programs are loaded too.  Returns the kinds left with a later
 * variant to load (0: done). */
static int attach_all(struct wd_agent *a)
{
	int reload = 0;

	for (int k = 0; k < WD_EV__COUNT; k++) {
		struct kind_state *ks = &a->kinds[k];
		if (!ks->wanted)
			continue;
		for (int i; ks->chosen < 0 && (i = candidate(ks)) >= 0;) {
			struct variant *v = &ks->v[i];
			unsigned int mark = a->nlinks;
			bool group = false, group_ok = false;
			char why[200] = "";

			if (!variant_loaded(a, v)) {
				reload++;
				break;
			}
			for (int h = 0; h < v->nhooks && !why[0]; h++) {
				struct hook *hk = &v->hooks[h];
				if (hk->dropped)
					continue;
				struct wd_prog *p = wd_object_prog(a->obj, hk->prog);
				int pfd = p ? wd_prog_fd(p) : -1, fd;

				group |= hk->req == R_GROUP;
				if (pfd < 0) {
					if (hk->req == R_REQ)
						snprintf(why, sizeof(why), "program %s not loaded", hk->prog);
					continue;
				}
				if (attached(a, hk, pfd)) {
					group_ok |= hk->req == R_GROUP;
					continue;
				}
				if (hk->req == R_GROUP && event_id(hk->cat, hk->name) < 0)
					continue;  /* a syscall this kernel lacks */
				fd = a->nlinks < MAX_LINKS ? attach_one(hk, pfd) : -E2BIG;
				if (fd < 0) {
					if (hk->req != R_OPT)
						snprintf(why, sizeof(why), "attach %s/%s: %s", hk->cat, hk->name,
							 strerror(-fd));
					continue;
				}
				a->links[a->nlinks++] = (struct link){ .fd = fd, .prog_fd = pfd, .hook = hk };
				group_ok |= hk->req == R_GROUP;
			}
			if (!why[0] && group && !group_ok)
				snprintf(why, sizeof(why), "no syscall tracepoint of it attached");
			if (why[0]) {
				while (a->nlinks > mark)
					close(a->links[--a->nlinks].fd);
				set_out(v, "%s", why);
				continue;
			}
			v->state = V_CHOSEN;
			ks->chosen = i;
		}
	}
	return reload;
}

/* ---- configuration -------------------------------------------------- */

static int cgroup_fd_by_id(uint64_t id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh = { .handle_bytes = sizeof(uint64_t), .handle_type = 0xfe /* FILEID_KERNFS */ } };
	char root[PATH_MAX] = "/sys/fs/cgroup", line[PATH_MAX + 256];
	FILE *f = fopen("/proc/self/mounts", "re");
	int mnt, fd;

	/* the cgroup2 mount: /sys/fs/cgroup, or .../unified on a hybrid host */
	while (f && fgets(line, sizeof(line), f)) {
		char dev[64], dir[PATH_MAX], type[32];
		if (sscanf(line, "%63s %4095s %31s", dev, dir, type) == 3 && !strcmp(type, "cgroup2")) {
			snprintf(root, sizeof(root), "%s", dir);
			break;
		}
	}
	if (f)
		fclose(f);
	if ((mnt = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(mnt, &h.fh, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
	close(mnt);
	return fd;
}

static int configure(struct wd_agent *a, char *err, size_t errlen)
{
	const struct wd_agent_filter *f = &a->opts.filter;
	struct wa_config c;
	uint32_t zero = 0;
	struct wd_map *m = wd_object_map(a->obj, "wa_config");

	memset(&c, 0, sizeof(c));
	c.agent_tgid = getpid();
	c.pid_tree = f->pid_tree;
	c.kinds = f->kinds;
	c.uid = f->uid;
	c.cgroup_id = f->cgroup_id;
	if (f->comm && *f->comm) {
		c.comm_set = 1;
		strncpy(c.comm, f->comm, sizeof(c.comm) - 1);
	}
	if (f->path_prefix && *f->path_prefix) {
		size_t n = strlen(f->path_prefix);
		c.prefix_len = n < WA_PREFIX_MAX ? n : WA_PREFIX_MAX;
		memcpy(c.prefix, f->path_prefix, c.prefix_len);
	}
	c.boot_clock = !a->legacy;
	if (f->cgroup_id) {
		struct wd_map *cg = wd_object_map(a->obj, "wa_cgroup");
		a->cgroup_fd = cgroup_fd_by_id(f->cgroup_id);
		if (a->cgroup_fd < 0)
			return fail(err, errlen, "cgroup id %llu: %s", (unsigned long long)f->cgroup_id,
				    strerror(-a->cgroup_fd));
		if (!cg || wd_map_update(cg, &zero, &a->cgroup_fd, 0))
			return fail(err, errlen, "cgroup filter: %s", wd_errmsg());
		c.use_cgroup_map = 1;
	}
	if (a->legacy) {
		/* tracepoint field offsets, from tracefs formats (see legacy object) */
		extern int wd_agent_legacy_config(struct wa_config *c, struct wd_object *obj, char *err,
						  size_t errlen);
		if (wd_agent_legacy_config(&c, a->obj, err, errlen))
			return -1;
	}
	if (!m || wd_map_update(m, &zero, &c, 0))
		return fail(err, errlen, "agent config: %s", m ? wd_errmsg() : "no map wa_config");
	a->cfg = c;
	return 0;
}

/* ---- consuming ------------------------------------------------------ */

static int on_record(void *ctx, int cpu, const void *data, size_t size)
{
	struct wd_agent *a = ctx;
	(void)cpu;
	return wd_decode_record(&a->dec, data, size);
}

static void on_lost(void *ctx, int cpu, uint64_t lost)
{
	struct wd_agent *a = ctx;
	(void)cpu;
	a->lost_ring += lost;
}

/* The consumer on ring_fd (the object's ring, or a caller's: wd_agent_consume_fd). */
static int open_consumer_fd(struct wd_agent *a, int ring_fd, char *err, size_t errlen)
{
	struct wd_events_opts eo = { .sz = sizeof(eo) };
	size_t per_cpu = a->opts.ring_bytes / (size_t)(a->ncpus > 0 ? a->ncpus : 1);
	size_t pages = pow2_floor(per_cpu / 4096);

	eo.perf_pages = pages < 8 ? 8 : pages > 1024 ? 1024 : pages;
	eo.perf_wakeup_bytes = eo.perf_pages * 4096 / 4;
	/* the streaming consumer's timer period while records flow: the
	 * agent's latency bound, not the library's 10 ms default */
	eo.latency_us = a->opts.latency_ms > 4000000 ? 4000000000u : a->opts.latency_ms * 1000u;
	/* no lost map (wd_events_open would read events_lost, a bpf() call
	 * per poll): the programs count every failed output per kind in
	 * wa_counters and never write it; perf buffer losses still come
	 * from the kernel's PERF_RECORD_LOST */
	eo.lost_map = NULL;
	a->ev = ring_fd >= 0 ? wd_events_new_fd(ring_fd, on_record, on_lost, a, &eo) : NULL;
	if (!a->ev)
		return fail(err, errlen, "events: %s", ring_fd >= 0 ? wd_errmsg() : "the object has no events map");
	return 0;
}

static int open_consumer(struct wd_agent *a, char *err, size_t errlen)
{
	struct wd_map *m = wd_object_map(a->obj, a->legacy || a->transport == WD_EVENTS_PERFBUF ? "events_perf"
												  : "events");

	return open_consumer_fd(a, m ? wd_map_fd(m) : -1, err, errlen);
}

static struct wd_agent *agent_new(const struct wd_agent_opts *o, wd_agent_event_fn fn, void *ctx,
				  char *err, size_t errlen);
static void agent_free(struct wd_agent *a);

/* bench/agent/pipeline: the engine's consumer path alone (above: the
 * consumer's options, on_record -> the decoder -> fn), on a ring buffer the
 * caller made and fills.  No object, programs or links: wd_agent_poll,
 * wd_agent_get_stats (the BPF counters read as zero) and wd_agent_stop work
 * as on a started agent.  `warden run` never calls it. */
struct wd_agent *wd_agent_consume_fd(const struct wd_agent_opts *o, int ring_fd, wd_agent_event_fn fn,
				     void *ctx, char *err, size_t errlen)
{
	struct wd_agent *a = agent_new(o, fn, ctx, err, errlen);

	if (!a)
		return NULL;
	a->transport = WD_EVENTS_RINGBUF;
	if (ring_fd < 0) {
		fail(err, errlen, "agent: no ring buffer fd (%d): pass a loaded BPF_MAP_TYPE_RINGBUF map's fd", ring_fd);
		agent_free(a);
		return NULL;
	}
	if (open_consumer_fd(a, ring_fd, err, errlen)) {
		agent_free(a);
		return NULL;
	}
	a->last_sync_ns = now_ns();
	return a;
}

/* ---- start / stop --------------------------------------------------- */

static int check_caps(char *err, size_t errlen)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned long long eff = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	bool sys_admin = eff & (1ull << 21), bpf = eff & (1ull << 39), perfmon = eff & (1ull << 38);
	if (sys_admin || (bpf && perfmon))
		return 0;
	return fail(err, errlen, "missing capabilities: %s%s%s (or CAP_SYS_ADMIN)",
		    bpf ? "" : "CAP_BPF", !bpf && !perfmon ? " and " : "", perfmon ? "" : "CAP_PERFMON");
}

/* WARDEN_AGENT_VARIANTS="cred=kprobe,open=tracepoint": only those variants
 * for those kinds (tests and comparisons; the others are out, saying so). */
static void force_variants(struct kind_state *ks, int kind)
{
	const char *env = getenv("WARDEN_AGENT_VARIANTS"), *name = wd_event_kind_name(kind);
	size_t nl = strlen(name);
	const char *p;

	if (!env || !*env)
		return;
	for (p = env; (p = strstr(p, name)); p += nl) {
		if ((p == env || p[-1] == ',') && p[nl] == '=')
			break;
	}
	if (!p)
		return;
	const char *want = p + nl + 1;
	size_t wl = strcspn(want, ",");
	for (int i = 0; i < ks->nvariants; i++) {
		struct variant *v = &ks->v[i];
		if (strlen(v->name) != wl || strncmp(v->name, want, wl))
			set_out(v, "not the variant WARDEN_AGENT_VARIANTS asks for (%.*s)", (int)wl, want);
	}
}

static void init_kinds(struct wd_agent *a)
{
	for (int k = 0; k < WD_EV__COUNT; k++) {
		struct kind_state *ks = &a->kinds[k];
		ks->wanted = k != WD_EV_STATS &&
			     (!a->opts.filter.kinds || (a->opts.filter.kinds & (1ull << k)));
		/* the pid tree learns its members at fork and forgets them at
		 * exit (a pid reused later is not a member): with --pid-tree
		 * both run even when their events are not asked for (the
		 * programs drop those events by kind, uncounted) */
		ks->for_tree = !ks->wanted && a->opts.filter.pid_tree &&
			       (k == WD_EV_FORK || k == WD_EV_EXIT);
		ks->wanted |= ks->for_tree;
		if (a->legacy)
			legacy_variants(ks, k);
		else
			variants_of(ks, k);
		force_variants(ks, k);
		if (ks->wanted && !ks->nvariants)
			ks->wanted = a->legacy ? ks->wanted : false;
	}
}

static void agent_free(struct wd_agent *a);

static struct wd_agent *agent_new(const struct wd_agent_opts *o, wd_agent_event_fn fn, void *ctx,
				  char *err, size_t errlen)
{
	struct wd_agent *a = calloc(1, sizeof(*a));

	if (!a) {
		fail(err, errlen, "out of memory");
		return NULL;
	}
	if (o)
		memcpy(&a->opts, o, o->sz && o->sz < sizeof(a->opts) ? o->sz : sizeof(a->opts));
	else
		a->opts.filter.uid = -1;
	a->opts.sz = sizeof(a->opts);
	if (!a->opts.latency_ms)
		a->opts.latency_ms = 100;
	if (!a->opts.ring_bytes)
		a->opts.ring_bytes = 8 << 20;
	if (a->opts.ring_bytes < 16384)
		a->opts.ring_bytes = 16384;
	a->cgroup_fd = -1;
	a->ncpus = wd_cpu_possible_count();
	if (wd_decoder_init(&a->dec, fn, ctx)) {
		fail(err, errlen, "out of memory");
		free(a);
		return NULL;
	}
	if (a->opts.filter.path_prefix && *a->opts.filter.path_prefix) {
		a->prefix = strdup(a->opts.filter.path_prefix);
		a->opts.filter.path_prefix = a->dec.path_prefix = a->prefix;
	}
	if (a->opts.filter.comm) {
		a->comm = strdup(a->opts.filter.comm);
		a->opts.filter.comm = a->comm;
	}
	return a;
}

static void close_links(struct wd_agent *a);

/* Undo one round of load_attach() (links, consumer, object), keeping what
 * was learnt: the variants that are out stay out. */
static void release_round(struct wd_agent *a)
{
	close_links(a);
	if (a->ev)
		wd_events_free(a->ev);
	a->ev = NULL;
	if (a->obj)
		wd_object_close(a->obj);
	a->obj = NULL;
	if (a->cgroup_fd >= 0)
		close(a->cgroup_fd);
	a->cgroup_fd = -1;
	for (int k = 0; k < WD_EV__COUNT; k++) {
		struct kind_state *ks = &a->kinds[k];
		if (ks->chosen >= 0)
			ks->v[ks->chosen].state = V_UNTRIED;
		ks->chosen = -1;
	}
}

/* Steps 2 and 3, and again while a kind whose candidate did not attach
 * has a later variant (its programs were not loaded).  -1 with a->obj NULL:
 * the object does not load here. */
static int load_attach(struct wd_agent *a, char *err, size_t errlen)
{
	for (int round = 0;; round++) {
		int64_t t0 = now_ns(), t1;
		int reload;

		if (load(a, err, errlen))
			return -1;
		t1 = now_ns();
		a->startup.load_ns += t1 - t0;
		if (configure(a, err, errlen) || open_consumer(a, err, errlen))
			return -1;
		reload = attach_all(a);
		a->startup.attach_ns += now_ns() - t1;
		if (!reload || round >= MAX_VARIANTS)
			return 0;
		release_round(a);
	}
}

/* Pick the object: agent.o where the kernel has BTF and the object loads,
 * agent_legacy.o otherwise. */
static int setup(struct wd_agent *a, char *err, size_t errlen)
{
	char e2[256] = "";
	int btf = wd_probe_kern_btf();

	if (btf == 1 && find_object(&a->opts, "agent.o", a->obj_path, sizeof(a->obj_path)) == 0) {
		a->legacy = false;
		init_kinds(a);
		check_available(a);
		if (load_attach(a, e2, sizeof(e2)) == 0)
			return 0;
		if (a->obj)  /* loaded, then the configuration or the consumer failed */
			return fail(err, errlen, "%s", e2);
		snprintf(a->legacy_why, sizeof(a->legacy_why), "agent.o: %s", e2);
	} else {
		snprintf(a->legacy_why, sizeof(a->legacy_why), "%s",
			 btf == 1 ? "agent.o not found" : "no kernel BTF (CO-RE impossible)");
	}
	if (find_object(&a->opts, "agent_legacy.o", a->obj_path, sizeof(a->obj_path)))
		return fail(err, errlen, "%s; and no agent_legacy.o (set WARDEN_BPF_DIR)", a->legacy_why);
	a->legacy = true;
	init_kinds(a);
	check_available(a);
	if (load_attach(a, e2, sizeof(e2)))
		return fail(err, errlen, "%s%s%s", a->obj ? "" : a->legacy_why, a->obj ? "" : "; agent_legacy.o: ",
			    e2);
	return 0;
}

struct wd_agent *wd_agent_start(const struct wd_agent_opts *o, wd_agent_event_fn fn, void *ctx,
				char *err, size_t errlen)
{
	int64_t t0 = now_ns();
	struct wd_agent *a;
	int chosen = 0;

	if (check_caps(err, errlen))
		return NULL;
	/* what a crashed predecessor left (legacy probes, qdiscs): never a
	 * live owner's */
	wd_cleanup_stale(false);
	if (!(a = agent_new(o, fn, ctx, err, errlen)))
		return NULL;
	if (setup(a, err, errlen))
		goto fail;
	a->startup.total_ns = now_ns() - t0;
	a->startup.probe_ns = a->startup.total_ns - a->startup.load_ns - a->startup.attach_ns;
	for (int k = 0; k < WD_EV__COUNT; k++)
		chosen += a->kinds[k].chosen >= 0;
	if (!chosen) {
		fail(err, errlen, "no event kind could be attached on this kernel (warden run --explain)");
		goto fail;
	}
	a->last_sync_ns = now_ns();
	return a;
fail:
	agent_free(a);
	return NULL;
}

int wd_agent_poll(struct wd_agent *a, int timeout_ms)
{
	int t = timeout_ms < 0 || (unsigned int)timeout_ms > a->opts.latency_ms ? (int)a->opts.latency_ms
										  : timeout_ms;
	int n = wd_events_poll(a->ev, t);
	/* the programs wake nobody below warden_ring_wakeup_bytes (a quarter
	 * of the ring; perf: the watermark), so a poll that timed out reads
	 * what waits below it: one round over the rings' mapped positions,
	 * no system call (wd_events_consume would also publish, settle and
	 * read a lost map; a streaming consumer does its timer rounds inside
	 * wd_events_poll) */
	if (n == 0)
		n = wd_events_poll(a->ev, 0);
	if (now_ns() - a->last_sync_ns > 10ll * 1000000000) {
		wd_decoder_clock_sync(&a->dec);
		a->last_sync_ns = now_ns();
	}
	return n;
}

int wd_agent_epoll_fd(struct wd_agent *a)
{
	return wd_events_epoll_fd(a->ev);
}

const char *wd_agent_variant(struct wd_agent *a, enum wd_event_kind k)
{
	if ((unsigned)k >= WD_EV__COUNT || a->kinds[k].chosen < 0)
		return NULL;
	return a->kinds[k].v[a->kinds[k].chosen].name;
}

unsigned int wd_agent_link_count(struct wd_agent *a)
{
	return a->nlinks;
}

const char *wd_agent_transport(struct wd_agent *a)
{
	return wd_events_transport_name(a->transport);
}

void wd_agent_get_startup(struct wd_agent *a, struct wd_agent_startup *st)
{
	*st = a->startup;
}

bool wd_agent_prog_loaded(struct wd_agent *a, const char *prog)
{
	struct wd_prog *p = a->obj ? wd_object_prog(a->obj, prog) : NULL;
	return p && wd_prog_fd(p) >= 0;
}

/* The hooks of a chosen variant that are attached: "sched_process_exec
 * (raw_tp) + 4 optional" or "syscalls open openat openat2 creat". */
static void hooks_attached(struct wd_agent *a, const struct variant *v, char *buf, size_t len)
{
	size_t o = 0;
	int opt = 0;
	bool sys = false;

	buf[0] = '\0';
	for (int h = 0; h < v->nhooks; h++) {
		const struct hook *hk = &v->hooks[h];
		bool on = false;
		for (unsigned int i = 0; i < a->nlinks && !on; i++)
			on = !strcmp(a->links[i].hook->name, hk->name) && !strcmp(a->links[i].hook->cat, hk->cat);
		if (!on)
			continue;
		if (hk->req == R_OPT) {
			opt++;
			continue;
		}
		if (!strncmp(hk->name, "sys_enter_", 10))
			continue;  /* listed through its sys_exit_ */
		const char *name = hk->name;
		if (!strncmp(name, "sys_exit_", 9)) {
			if (!sys)
				o += snprintf(buf + o, o < len ? len - o : 0, "%ssyscalls", o ? " " : "");
			sys = true;
			name += 9;
		}
		o += snprintf(buf + o, o < len ? len - o : 0, "%s%s%s%s", o ? " " : "",
			      hk->type == H_RAW || sys ? "" : hk->cat, hk->type == H_RAW || sys ? "" : ":",
			      name);
	}
	if (opt)
		snprintf(buf + o, o < len ? len - o : 0, " (+%d optional)", opt);
}

/* The programs loaded (the chosen variants' only) and where start-up went. */
static void explain_startup(struct wd_agent *a, FILE *out)
{
	const struct wd_agent_startup *st = &a->startup;
	struct wd_prog *p;
	unsigned int total = 0;

	fprintf(out, "programs loaded:");
	wd_object_for_each_prog(p, a->obj) {
		total++;
		if (wd_prog_fd(p) >= 0)
			fprintf(out, " %s", wd_prog_name(p));
	}
	fprintf(out, " (%u of %u; %u object load%s)\n", st->progs_loaded, total, st->object_loads,
		st->object_loads == 1 ? "" : "s");
	fprintf(out, "start-up: %.1f ms: sweep and probes %.1f, load %.1f, configure and attach %.1f\n",
		st->total_ns / 1e6, st->probe_ns / 1e6, st->load_ns / 1e6, st->attach_ns / 1e6);
}

void wd_agent_explain(struct wd_agent *a, FILE *out)
{
	int tracing = wd_probe_prog_type(BPF_PROG_TYPE_TRACING), lsm = wd_probe_prog_type(BPF_PROG_TYPE_LSM);
	int lsm_on = lsm == 1 ? bpf_lsm_active() : 0;

	fprintf(out, "object: %s (%s)%s%s\n", a->obj_path, wd_events_transport_name(a->transport),
		a->legacy ? "; legacy because " : "", a->legacy ? a->legacy_why : "");
	fprintf(out, "fentry: %s; LSM programs: %s%s; kprobes: %s\n", wd_probe_result_str(tracing),
		wd_probe_result_str(lsm), lsm != 1 ? "" : lsm_on == 1 ? " (BPF LSM active)" : " (BPF LSM not active)",
		have_kprobe_pmu() ? "yes" : "no PMU");
	fprintf(out, "%-16s %-11s %-44s %s\n", "KIND", "VARIANT", "HOOKS", "OTHER VARIANTS: WHY NOT");
	for (int k = 0; k < WD_EV__COUNT; k++) {
		struct kind_state *ks = &a->kinds[k];
		char others[600] = "", hooks[400] = "";
		size_t o = 0;

		if (k == WD_EV_STATS)
			continue;
		for (int i = 0; i < ks->nvariants; i++) {
			struct variant *v = &ks->v[i];
			if (i == ks->chosen)
				continue;
			o += snprintf(others + o, o < sizeof(others) ? sizeof(others) - o : 0, "%s%s: %s",
				      o ? "; " : "", v->name,
				      v->state == V_OUT ? v->why : ks->chosen >= 0 && i > ks->chosen
								       ? "not needed (an earlier one works; not loaded)"
								       : "not tried");
		}
		const char *chosen = !ks->wanted ? "-" : ks->chosen >= 0 ? ks->v[ks->chosen].name : "NONE";
		if (ks->chosen >= 0)
			hooks_attached(a, &ks->v[ks->chosen], hooks, sizeof(hooks));
		if (ks->for_tree)
			snprintf(others + o, o < sizeof(others) ? sizeof(others) - o : 0,
				 "%s(for --pid-tree: its events not asked for)", o ? " " : "");
		if (!ks->wanted && !others[0])
			snprintf(others, sizeof(others), "%s",
				 a->legacy && k > WD_EV_EXIT ? "needs BTF (agent.o)" : "not asked for");
		else if (!ks->wanted)
			snprintf(others + o, o < sizeof(others) ? sizeof(others) - o : 0, " (not asked for)");
		else if (!others[0])
			snprintf(others, sizeof(others), "-");
		fprintf(out, "%-16s %-11s %-44s %s\n", wd_event_kind_name(k), chosen, hooks, others);
	}
	fprintf(out, "links: %u\n", a->nlinks);
	explain_startup(a, out);
}

static int none(void *ctx, const struct wd_event *ev)
{
	(void)ctx;
	(void)ev;
	return 0;
}

int wd_agent_explain_only(const struct wd_agent_opts *o, FILE *out, char *err, size_t errlen)
{
	struct wd_agent *a;

	if (!(a = wd_agent_start(o, none, NULL, err, errlen)))
		return -1;
	wd_agent_explain(a, out);
	wd_agent_stop(a);
	return 0;
}

static int read_counters(struct wd_agent *a, struct wa_counters *sum)
{
	struct wd_map *m = a->obj ? wd_object_map(a->obj, "wa_counters") : NULL;  /* wd_agent_consume_fd: none */
	size_t vs = (sizeof(struct wa_counters) + 7) & ~(size_t)7;
	uint32_t zero = 0;
	char *buf;

	memset(sum, 0, sizeof(*sum));
	if (!m || !(buf = calloc(a->ncpus, vs)))
		return -1;
	if (wd_map_lookup(m, &zero, buf)) {
		free(buf);
		return -1;
	}
	for (int c = 0; c < a->ncpus; c++) {
		/* __u64 (unsigned long long) as the struct's members: a uint64_t
		 * (unsigned long) pointer would not alias them (-O2 drops the sum) */
		const __u64 *v = (const __u64 *)(buf + c * vs);
		__u64 *s = (__u64 *)sum;
		for (size_t i = 0; i < sizeof(*sum) / 8; i++)
			s[i] += v[i];
	}
	free(buf);
	return 0;
}

void wd_agent_get_stats(struct wd_agent *a, struct wd_event_stats *st)
{
	struct wa_counters c;

	memset(st, 0, sizeof(*st));
	read_counters(a, &c);
	for (int k = 0; k < WD_EV__COUNT; k++) {
		st->received[k] = a->dec.received[k];
		st->dropped[k] = c.dropped[k];
		st->filtered_kernel += c.filtered[k];
	}
	st->filtered_kernel += a->dec.filtered;  /* relative paths, decided in user space */
	/* perf buffer losses the kernel reported: already counted per kind by
	 * the BPF side (its output failed) */
	st->lost_ring = a->lost_ring;
	st->truncated = c.truncated + a->dec.truncated;
	st->tailcall_failed = c.tailcall_failed;
	st->chunks_incomplete = a->dec.chunks_incomplete + c.chunk_failed;
	st->output_errors = a->dec.output_errors;
}

/* ---- stop ------------------------------------------------------------
 *
 * Closing a tracepoint's last perf event makes the kernel wait for an RCU
 * grace period under event_mutex (perf_trace_event_unreg ->
 * tracepoint_synchronize_unregister): ~6 ms per tracepoint here, one after
 * the other whatever the number of threads closing (measured: 106 links,
 * 617 ms from 32 threads).  So the agent first tells its programs to stop
 * (wa_config.stopped: every program returns at once, no event after
 * wd_agent_stop()), then hands the release to a detached process: a
 * grandchild keeps a reference to every link while this process closes its
 * own (cheap: not the last reference), then exits, and the kernel releases
 * the links in its exit path.  No event comes from them meanwhile, nothing
 * waits for it, and after that nothing is left.  When no process can be
 * made (seccomp, RLIMIT_NPROC), the links are closed from several threads.
 */

struct closer {
	struct wd_agent *a;
	unsigned int first, step;
};

static void *close_some(void *arg)
{
	struct closer *c = arg;
	for (unsigned int i = c->first; i < c->a->nlinks; i += c->step)
		close(c->a->links[i].fd);
	return NULL;
}

static void close_links_threads(struct wd_agent *a)
{
	enum { MAX_THREADS = 16 };
	pthread_t th[MAX_THREADS];
	struct closer cl[MAX_THREADS];
	unsigned int n = a->nlinks < MAX_THREADS ? a->nlinks : MAX_THREADS, started = 0;

	for (unsigned int i = 0; i < n; i++) {
		cl[i] = (struct closer){ a, i, n };
		if (pthread_create(&th[i], NULL, close_some, &cl[i]))
			break;
		started = i + 1;
	}
	for (unsigned int i = started; i < n; i++)
		close_some(&cl[i]);
	for (unsigned int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	a->nlinks = 0;
}

/* The release in a detached grandchild; false if it could not be made.
 * The intermediate and the grandchild share this address space (CLONE_VM:
 * no page tables to copy, a few hundred microseconds) but get a copy of the
 * fd table; the grandchild only blocks in read() on a pipe and exits.
 * Signals are blocked around the clone, so no handler of ours ever runs
 * on its stack, and read() at EOF touches no errno.  Its stack is never
 * unmapped: it runs on it until it exits (64 KiB, once per agent). */
struct rel {
	int rfd, wfd;
	char *stack2;
};

static int release_grandchild(void *arg)
{
	struct rel *r = arg;
	char c;

	/* raw system calls: no libc state (errno, sanitizer interceptors) of
	 * the parent's thread touched from this process */
	syscall(SYS_close, r->wfd);  /* EOF comes when our write end closes */
	syscall(SYS_read, r->rfd, &c, 1);
	syscall(SYS_exit, 0);        /* the kernel releases the links here */
	return 0;
}

static int release_child(void *arg)
{
	struct rel *r = arg;
	long rc = clone(release_grandchild, r->stack2, CLONE_VM | SIGCHLD, r) < 0 ? 1 : 0;
	syscall(SYS_exit, rc);
	return 0;
}

static bool close_links_detached(struct wd_agent *a)
{
	enum { STACK = 64 * 1024 };
	static struct rel r;
	sigset_t all, old;
	int p[2], st = 0;
	char *stacks;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return false;
	stacks = mmap(NULL, 2 * STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stacks == MAP_FAILED) {
		close(p[0]);
		close(p[1]);
		return false;
	}
	r.rfd = p[0];
	r.wfd = p[1];
	r.stack2 = stacks + 2 * STACK;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = clone(release_child, stacks + STACK, CLONE_VM | SIGCHLD, &r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		munmap(stacks, 2 * STACK);
		return false;
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	close(p[0]);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		close(p[1]);
		munmap(stacks, STACK);  /* the intermediate's; the other may be in use */
		return false;
	}
	for (unsigned int i = 0; i < a->nlinks; i++)
		close(a->links[i].fd);
	a->nlinks = 0;
	close(p[1]);  /* the grandchild wakes up and exits */
	munmap(stacks, STACK);
	return true;
}

static void close_links(struct wd_agent *a)
{
	if (!a->nlinks)
		return;
	if (!close_links_detached(a))
		close_links_threads(a);
}

static void set_stopped(struct wd_agent *a)
{
	struct wd_map *m = a->obj ? wd_object_map(a->obj, "wa_config") : NULL;
	uint32_t zero = 0;

	a->cfg.stopped = 1;
	if (m)
		wd_map_update(m, &zero, &a->cfg, 0);
}

static void agent_free(struct wd_agent *a)
{
	if (!a)
		return;
	close_links(a);
	if (a->ev)
		wd_events_free(a->ev);
	if (a->obj)
		wd_object_close(a->obj);
	if (a->cgroup_fd >= 0)
		close(a->cgroup_fd);
	wd_decoder_free(&a->dec);
	free(a->prefix);
	free(a->comm);
	free(a);
}

void wd_agent_stop(struct wd_agent *a)
{
	if (!a)
		return;
	set_stopped(a);
	if (a->ev)
		wd_events_consume(a->ev);  /* drain what was written before */
	close_links(a);
	agent_free(a);
}

/* ---- legacy object: tracepoint field offsets from tracefs ------------- */

static int field_offset(const char *cat, const char *name, const char *field)
{
	const char *dir = tracing_dir();
	char path[PATH_MAX], line[512], pat[64];
	FILE *f;
	int off = -1;

	if (!dir)
		return -1;
	snprintf(path, sizeof(path), "%s/events/%s/%s/format", dir, cat, name);
	if (!(f = fopen(path, "re")))
		return -1;
	snprintf(pat, sizeof(pat), " %s;", field);
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, pat), *o;
		if (p && (o = strstr(p, "offset:")))
			off = atoi(o + 7);
		if (off >= 0)
			break;
	}
	fclose(f);
	return off;
}

int wd_agent_legacy_config(struct wa_config *c, struct wd_object *obj, char *err, size_t errlen);
int wd_agent_legacy_config(struct wa_config *c, struct wd_object *obj, char *err, size_t errlen)
{
	static const char *const specs[] = {
		"task_struct->real_parent", "task_struct->tgid", "task_struct->pid",
		"task_struct->start_time", "task_struct->exit_code", "task_struct->mm",
		"task_struct->cred", "task_struct->loginuid", "task_struct->sessionid",
		"mm_struct->arg_start", "mm_struct->arg_end", "cred->uid", "cred->gid",
		"cred->euid", "cred->egid", "task_struct->comm",
	};
	struct wd_map *m = wd_object_map(obj, "wd_offsets");
	struct wd_offsets *o;

	c->off_exec_filename = field_offset("sched", "sched_process_exec", "filename");
	c->off_fork_parent = field_offset("sched", "sched_process_fork", "parent_pid");
	c->off_fork_child = field_offset("sched", "sched_process_fork", "child_pid");
	c->off_exit_pid = field_offset("sched", "sched_process_exit", "pid");
	/* the offsets map: from a BTF file when the kernel has none in /sys
	 * ($WARDEN_BTF: a BTFHub file), fields left out otherwise */
	o = wd_offsets_new(getenv("WARDEN_BTF"));
	if (!o && !getenv("WARDEN_BTF")) {
		/* a BTF file that the kernel does not expose as its own (an
		 * emulated old kernel; a vmlinux kept in /boot) */
		char path[PATH_MAX];
		struct utsname u;
		o = wd_offsets_new("/sys/kernel/btf/vmlinux");
		if (!o && !uname(&u)) {
			snprintf(path, sizeof(path), "/boot/vmlinux-%s", u.release);
			o = wd_offsets_new(path);
		}
	}
	if (o && m) {
		for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
			wd_offsets_add(o, specs[i]);
		wd_offsets_publish(o, wd_map_fd(m));
	}
	wd_offsets_free(o);
	(void)err;
	(void)errlen;
	return 0;
}
