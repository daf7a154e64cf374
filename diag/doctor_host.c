// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `warden doctor`: everything that decides whether BPF telemetry works on
 * this host, as a list of checks (warden/doctor.h).  Kernel facts come from
 * /proc and /sys; BPF features from the loader's own probes (lib/probe.c),
 * which go through the syscall seam, so an emulated kernel (WARDEN_EMULATE)
 * is reported as that kernel.  Nothing here changes the host: no sysctl is
 * written, no filesystem mounted.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "warden/bpf.h"
#include "warden/btf.h"
#include "warden/warden.h"
#include "warden/kconfig.h"
#include "warden/features.h"
#include "warden/doctor.h"
#include "warden/link.h"
#include "warden/features.h"

#define ADD(...) do { int e_ = wd_report_add(__VA_ARGS__); if (e_) return e_; } while (0)
/* The same in a function that returns nothing (a full report drops the line). */
#define ADD_VOID(...) ((void)wd_report_add(__VA_ARGS__))

struct host {
	struct wd_report *r;
	struct wd_kconfig *kc;
	char tracefs[256], debugfs[256], bpffs[256], securityfs[256];
	char lockdown[32];      /* none, integrity, confidentiality; "" unknown */
	struct rlimit memlock;  /* the caller's RLIMIT_MEMLOCK, before the doctor raised it */
	bool memlock_read;
};

static int read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	int err = 0;

	buf[0] = '\0';
	if (!f)
		return -errno;
	if (!fgets(buf, (int)size, f))
		err = ferror(f) ? -EIO : -ENODATA;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return err;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Where a filesystem of type `fstype` is mounted (first one), "" if nowhere. */
static void mount_of(const char *fstype, char *dir, size_t size)
{
	FILE *f = fopen("/proc/mounts", "re");
	char line[1024], dev[256], mnt[256], type[64];

	dir[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%255s %255s %63s", dev, mnt, type) == 3 && !strcmp(type, fstype)) {
			snprintf(dir, size, "%s", mnt);
			break;
		}
	fclose(f);
}

static const char *kc_get(const struct host *h, const char *name)
{
	return h->kc ? wd_kconfig_get(h->kc, name) : NULL;
}

/* ---- kernel ------------------------------------------------------------ */

static int check_kernel(struct host *h)
{
	struct utsname u;
	int r;

	if (uname(&u) == 0)
		ADD(h->r, "kernel", "release", WD_CHECK_INFO, NULL, "%s (%s)", u.release, u.machine);
	if (h->kc)
		ADD(h->r, "kernel", "config", WD_CHECK_OK, NULL, "%s (%zu options set)",
		    wd_kconfig_path(h->kc), wd_kconfig_count(h->kc));
	else
		ADD(h->r, "kernel", "config", WD_CHECK_MISSING,
		    "enable CONFIG_IKCONFIG_PROC or install /boot/config-$(uname -r): "
		    ".kconfig externs and the config checks below need it",
		    "no /proc/config.gz or /boot/config-%s", u.release);
	r = wd_probe_bpf();
	if (r == 1)
		ADD(h->r, "kernel", "bpf syscall", WD_CHECK_OK, NULL, "yes (a trivial %s program loads)",
		    wd_prog_type_name((unsigned int)wd_probe_base_prog_type()));
	else if (r == 0)
		ADD(h->r, "kernel", "bpf syscall", WD_CHECK_MISSING,
		    "a kernel with CONFIG_BPF_SYSCALL=y and CONFIG_BPF_EVENTS=y is needed", "no");
	else
		ADD(h->r, "kernel", "bpf syscall", WD_CHECK_WRONG,
		    "run as root, or with CAP_BPF + CAP_PERFMON (5.8+)", "%s", wd_probe_result_str(r));
	return 0;
}

/* ---- BTF ----------------------------------------------------------------- */

static int count_module_btf(void)
{
	DIR *d = opendir("/sys/kernel/btf");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && strcmp(e->d_name, "vmlinux"))
			n++;
	closedir(d);
	return n;
}

static int check_btf(struct host *h)
{
	int r = wd_probe_kern_btf();

	if (r == 1) {
		ADD(h->r, "btf", "vmlinux", WD_CHECK_OK, NULL, "/sys/kernel/btf/vmlinux");
		ADD(h->r, "btf", "modules", WD_CHECK_INFO, NULL, "%d module BTF files",
		    count_module_btf() > 0 ? count_module_btf() : 0);
	} else {
		ADD(h->r, "btf", "vmlinux", WD_CHECK_MISSING,
		    "CO-RE, tp_btf, fentry and LSM programs need CONFIG_DEBUG_INFO_BTF=y (5.4+), "
		    "or pass the kernel's BTF with --btf (BTFHub)", "%s", wd_probe_result_str(r));
	}
	r = wd_probe_btf();
	ADD(h->r, "btf", "BTF load", r == 1 ? WD_CHECK_OK : r == 0 ? WD_CHECK_MISSING : WD_CHECK_WRONG,
	    r == 1 ? NULL : "objects load without their BTF: no source lines in verifier logs, "
	    "no BTF-defined map types (spin locks, local storage)", "%s", wd_probe_result_str(r));
	return 0;
}

/* ---- JIT and sysctls --------------------------------------------------------- */

static int check_jit(struct host *h)
{
	static const char *const harden[] = {
		"0 (off)", "1 (hardened for unprivileged programs)", "2 (hardened for all programs)" };
	char v[64];
	int n;

	if (read_line("/proc/sys/net/core/bpf_jit_enable", v, sizeof(v)) == 0) {
		n = atoi(v);
		ADD(h->r, "jit", "bpf_jit_enable", n ? WD_CHECK_OK : WD_CHECK_WRONG,
		    n ? NULL : "programs run in the interpreter: sysctl -w net.core.bpf_jit_enable=1",
		    "%s", n == 2 ? "2 (enabled, debug output)" : n ? "1 (enabled)" : "0 (interpreter)");
	} else if (kc_get(h, "CONFIG_BPF_JIT_ALWAYS_ON")) {
		ADD(h->r, "jit", "bpf_jit_enable", WD_CHECK_OK, NULL, "always on (CONFIG_BPF_JIT_ALWAYS_ON)");
	} else {
		ADD(h->r, "jit", "bpf_jit_enable", WD_CHECK_MISSING,
		    "a kernel with CONFIG_BPF_JIT=y runs programs faster", "no JIT sysctl");
	}
	if (read_line("/proc/sys/net/core/bpf_jit_harden", v, sizeof(v)) == 0 &&
	    (n = atoi(v)) >= 0 && n <= 2)
		ADD(h->r, "jit", "bpf_jit_harden", WD_CHECK_INFO,
		    n == 2 ? "constant blinding costs instructions and hides constants from "
		    "JIT dumps (warden tailcalls)" : NULL, "%s", harden[n]);
	if (read_line("/proc/sys/net/core/bpf_jit_kallsyms", v, sizeof(v)) == 0)
		ADD(h->r, "jit", "bpf_jit_kallsyms", atoi(v) ? WD_CHECK_OK : WD_CHECK_INFO,
		    atoi(v) ? NULL : "BPF programs are missing from stack traces and perf: "
		    "sysctl -w net.core.bpf_jit_kallsyms=1", "%s", atoi(v) ? "1 (on)" : "0 (off)");
	if (read_line("/proc/sys/kernel/unprivileged_bpf_disabled", v, sizeof(v)) == 0) {
		n = atoi(v);
		ADD(h->r, "jit", "unprivileged_bpf_disabled", WD_CHECK_INFO,
		    n ? "only privileged processes (CAP_BPF/CAP_SYS_ADMIN) can load programs" : NULL,
		    "%s", n == 0 ? "0 (unprivileged BPF allowed)" : n == 1 ?
		    "1 (disabled until reboot)" : "2 (disabled, an admin may re-enable)");
	}
	return 0;
}

/* ---- security ------------------------------------------------------------------ */

static const char MOUNT_SECURITYFS[] =
	"securityfs is not mounted: mount -t securityfs securityfs /sys/kernel/security";

/* The lockdown level from the kernel config, when securityfs cannot tell:
 * the level forced at build time (CONFIG_LOCK_DOWN_KERNEL_FORCE_*, 5.4+). */
static const char *lockdown_from_config(const struct host *h)
{
	if (!h->kc)
		return NULL;
	if (!wd_kconfig_get(h->kc, "CONFIG_SECURITY_LOCKDOWN_LSM"))
		return "none";
	if (wd_kconfig_get(h->kc, "CONFIG_LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY"))
		return "confidentiality";
	if (wd_kconfig_get(h->kc, "CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY"))
		return "integrity";
	return "none";
}

static void add_lockdown(struct host *h, const char *level, const char *from)
{
	snprintf(h->lockdown, sizeof(h->lockdown), "%s", level);
	if (!strcmp(level, "confidentiality"))
		ADD_VOID(h->r, "security", "lockdown", WD_CHECK_WRONG,
			 "kernel memory reads (bpf_probe_read_kernel) and bpf_probe_write_user are "
			 "blocked: boot with lockdown=integrity", "confidentiality%s", from);
	else if (!strcmp(level, "integrity"))
		ADD_VOID(h->r, "security", "lockdown", WD_CHECK_OK,
			 "bpf_probe_write_user is blocked", "integrity%s", from);
	else
		ADD_VOID(h->r, "security", "lockdown", WD_CHECK_OK, NULL, "%s%s", level, from);
}

static int check_lockdown(struct host *h)
{
	char v[256], path[300], *l, *rb;
	const char *cfg;

	if (!h->securityfs[0]) {
		/* securityfs is not mounted: the level the kernel was built to force */
		cfg = lockdown_from_config(h);
		if (cfg)
			add_lockdown(h, cfg, " (from the kernel config; securityfs is not mounted)");
		else
			ADD(h->r, "security", "lockdown", WD_CHECK_MISSING, MOUNT_SECURITYFS,
			    "cannot read (no securityfs, no kernel config)");
		return 0;
	}
	snprintf(path, sizeof(path), "%s/lockdown", h->securityfs);
	if (read_line(path, v, sizeof(v)) < 0) {
		add_lockdown(h, "none", " (no lockdown LSM)");
		return 0;
	}
	l = strchr(v, '[');
	rb = l ? strchr(l, ']') : NULL;
	if (!l || !rb) {
		ADD(h->r, "security", "lockdown", WD_CHECK_INFO, NULL, "%s", v);
		return 0;
	}
	*rb = '\0';
	add_lockdown(h, l + 1, "");
	return 0;
}

static int check_lsm_list(struct host *h)
{
	char v[512], path[300];

	if (!h->securityfs[0]) {
		/* the build's default list (the lsm= boot parameter may change it) */
		const char *cfg = h->kc ? wd_kconfig_get(h->kc, "CONFIG_LSM") : NULL;
		if (!cfg)
			ADD(h->r, "security", "bpf LSM", WD_CHECK_MISSING, MOUNT_SECURITYFS,
			    "cannot read");
		else
			ADD(h->r, "security", "bpf LSM", strstr(cfg, "bpf") ? WD_CHECK_OK :
			    WD_CHECK_MISSING, strstr(cfg, "bpf") ? NULL :
			    "LSM programs need \"bpf\" in the lsm= boot parameter",
			    "%s in the kernel config's default list (%s; lsm= may change it, "
			    "securityfs is not mounted)", strstr(cfg, "bpf") ? "active" : "not",
			    cfg);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/lsm", h->securityfs);
	if (read_line(path, v, sizeof(v)) < 0)
		ADD(h->r, "security", "bpf LSM", WD_CHECK_MISSING, NULL, "no %s", path);
	else if (strstr(v, "bpf"))
		ADD(h->r, "security", "bpf LSM", WD_CHECK_OK, NULL, "active (%s)", v);
	else
		ADD(h->r, "security", "bpf LSM", WD_CHECK_MISSING,
		    "LSM programs need CONFIG_BPF_LSM=y and \"bpf\" in the lsm= boot parameter",
		    "not active (%s)", v);
	return 0;
}

static unsigned long long cap_eff(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned long long v = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int check_caps(struct host *h)
{
	static const struct { int bit; const char *name, *why; } caps[] = {
		{ 21, "CAP_SYS_ADMIN", "needed before 5.8 for every program, and for some map types" },
		{ 39, "CAP_BPF", "load programs and create maps (5.8+)" },
		{ 38, "CAP_PERFMON", "tracing programs and pointer arithmetic (5.8+)" },
		{ 12, "CAP_NET_ADMIN", "networking programs (xdp, tc, cgroup/skb)" },
		{ 24, "CAP_SYS_RESOURCE", "raise the RLIMIT_MEMLOCK hard limit (kernels before 5.11)" },
	};
	unsigned long long eff = cap_eff();

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		bool has = eff >> caps[i].bit & 1;
		ADD(h->r, "capabilities", caps[i].name, has ? WD_CHECK_OK : WD_CHECK_MISSING,
		    has ? NULL : caps[i].why, "%s", has ? "yes" : "no");
	}
	return 0;
}

/* ---- memlock ---------------------------------------------------------------------- */

static void fmt_limit(char *buf, size_t size, rlim_t v)
{
	if (v == RLIM_INFINITY)
		snprintf(buf, size, "unlimited");
	else
		snprintf(buf, size, "%llu KiB", (unsigned long long)v / 1024);
}

static int check_memlock(struct host *h)
{
	struct rlimit rl = h->memlock;
	char soft[32] = "?", hard[32] = "?";
	int charged = wd_memlock_charged();

	if (h->memlock_read) {
		fmt_limit(soft, sizeof(soft), rl.rlim_cur);
		fmt_limit(hard, sizeof(hard), rl.rlim_max);
	}
	ADD(h->r, "memlock", "RLIMIT_MEMLOCK", WD_CHECK_INFO, NULL, "soft %s, hard %s", soft, hard);
	if (charged == 0)
		ADD(h->r, "memlock", "charged", WD_CHECK_OK, NULL,
		    "no (memory cgroup accounting, 5.11+): the limit does not matter");
	else if (charged == 1)
		ADD(h->r, "memlock", "charged", rl.rlim_max == RLIM_INFINITY ? WD_CHECK_OK : WD_CHECK_WRONG,
		    rl.rlim_max == RLIM_INFINITY ? NULL : "maps and programs count against the hard "
		    "limit: ulimit -l unlimited, or LimitMEMLOCK=infinity in the unit file",
		    "yes (pre-5.11 accounting)");
	else
		ADD(h->r, "memlock", "charged", WD_CHECK_WRONG, NULL, "cannot decide (%s)",
		    strerror(-charged));
	return 0;
}

/* ---- mounts and probe PMUs ----------------------------------------------------------- */

static int check_mount(struct host *h, const char *name, const char *dir, const char *how)
{
	if (dir[0])
		ADD(h->r, "mounts", name, WD_CHECK_OK, NULL, "mounted at %s", dir);
	else
		ADD(h->r, "mounts", name, WD_CHECK_MISSING, how, "not mounted");
	return 0;
}

static int check_mounts(struct host *h)
{
	int e;

	if ((e = check_mount(h, "tracefs", h->tracefs,
			     "warden mounts it when attaching; by hand: mount -t tracefs tracefs "
			     "/sys/kernel/tracing")) ||
	    (e = check_mount(h, "debugfs", h->debugfs,
			     "mount -t debugfs debugfs /sys/kernel/debug")) ||
	    (e = check_mount(h, "bpffs", h->bpffs,
			     "pinning needs it (warden load --pin mounts it): "
			     "mount -t bpf bpf /sys/fs/bpf")))
		return e;
	return 0;
}

/* kprobe or uprobe: PMU (4.17+) and the legacy <tracefs>/<kind>_events file. */
static int check_probe_kind(struct host *h, const char *kind, const char *config,
			    const char *events_config)
{
	char pmu[128], events[400], name[64];
	const char *cfg = kc_get(h, config);
	bool have_pmu;

	if (h->kc)
		ADD(h->r, "probes", config, cfg ? WD_CHECK_OK : WD_CHECK_MISSING,
		    cfg ? NULL : "this kernel cannot attach these programs at all",
		    "%s", cfg ? cfg : "not set");
	snprintf(pmu, sizeof(pmu), "/sys/bus/event_source/devices/%s", kind);
	snprintf(name, sizeof(name), "%s PMU", kind);
	have_pmu = exists(pmu);
	ADD(h->r, "probes", name, have_pmu ? WD_CHECK_OK : WD_CHECK_MISSING,
	    have_pmu ? NULL : "perf_event_open of this probe type is not possible; "
	    "the legacy tracefs interface is the fallback", "%s", have_pmu ? pmu : "absent");
	snprintf(name, sizeof(name), "%s_events", kind);
	if (h->kc && !kc_get(h, events_config)) {
		ADD(h->r, "probes", name, WD_CHECK_MISSING, NULL, "%s not set", events_config);
		return 0;
	}
	if (!h->tracefs[0]) {
		ADD(h->r, "probes", name, WD_CHECK_INFO,
		    "tracefs is not mounted; warden mounts it at /sys/kernel/tracing when needed",
		    "%s%s, tracefs not mounted", h->kc ? events_config : "config unknown",
		    h->kc ? "=y" : "");
		return 0;
	}
	snprintf(events, sizeof(events), "%s/%s", h->tracefs, name);
	ADD(h->r, "probes", name, exists(events) ? WD_CHECK_OK : WD_CHECK_MISSING, NULL,
	    "%s", exists(events) ? events : "absent");
	return 0;
}

/* ---- BPF features (the loader's probes) ------------------------------------------------- */

static enum wd_check_status probe_status(int r)
{
	return r == 1 ? WD_CHECK_OK : r == 0 ? WD_CHECK_MISSING : WD_CHECK_WRONG;
}

static const char *probe_hint(int r)
{
	if (r == -EPERM)
		return "the kernel refused for lack of privilege or by policy: the feature may exist";
	return r < 0 ? "the probe could not decide" : NULL;
}

static int check_prog_types(struct host *h)
{
	for (unsigned int t = 1; t < wd_prog_type_count(); t++) {
		const char *n = wd_prog_type_name(t);
		int r;
		if (!n)
			continue;
		r = wd_probe_prog_type(t);
		ADD(h->r, "prog_type", n, probe_status(r), probe_hint(r), "%s", wd_probe_result_str(r));
	}
	return 0;
}

static int check_map_types(struct host *h)
{
	for (unsigned int t = 1; t < wd_map_type_count(); t++) {
		const char *n = wd_map_type_name(t);
		int r;
		if (!n)
			continue;
		r = wd_probe_map_type(t);
		ADD(h->r, "map_type", n, probe_status(r), probe_hint(r), "%s", wd_probe_result_str(r));
	}
	return 0;
}

/* Lockdown takes helpers away (kernel/trace/bpf_trace.c asks
 * security_locked_down): bpf_probe_write_user from integrity on
 * (LOCKDOWN_BPF_WRITE_USER), kernel memory reads at confidentiality
 * (LOCKDOWN_BPF_READ_KERNEL). */
static bool lockdown_blocks(const struct host *h, unsigned int id)
{
	bool conf = !strcmp(h->lockdown, "confidentiality");
	if (id == BPF_FUNC_probe_write_user)
		return conf || !strcmp(h->lockdown, "integrity");
	return conf && (id == BPF_FUNC_probe_read || id == BPF_FUNC_probe_read_str ||
			id == BPF_FUNC_probe_read_kernel || id == BPF_FUNC_probe_read_kernel_str);
}

/* The helpers telemetry programs use, for kprobe programs (or the type
 * wd_probe_bpf() could load). */
static int check_helpers(struct host *h)
{
	static const unsigned int ids[] = {
		BPF_FUNC_map_lookup_elem, BPF_FUNC_map_update_elem, BPF_FUNC_probe_read,
		BPF_FUNC_ktime_get_ns, BPF_FUNC_trace_printk, BPF_FUNC_tail_call,
		BPF_FUNC_get_current_pid_tgid, BPF_FUNC_get_current_uid_gid,
		BPF_FUNC_get_current_comm, BPF_FUNC_perf_event_output, BPF_FUNC_get_stackid,
		BPF_FUNC_get_current_task, BPF_FUNC_probe_write_user, BPF_FUNC_probe_read_str,
		BPF_FUNC_override_return, BPF_FUNC_get_current_cgroup_id, BPF_FUNC_send_signal,
		BPF_FUNC_probe_read_user, BPF_FUNC_probe_read_kernel, BPF_FUNC_probe_read_user_str,
		BPF_FUNC_probe_read_kernel_str, BPF_FUNC_ktime_get_boot_ns, BPF_FUNC_ringbuf_output,
		BPF_FUNC_ringbuf_reserve, BPF_FUNC_ringbuf_submit, BPF_FUNC_get_current_task_btf,
		BPF_FUNC_get_func_ip, BPF_FUNC_get_attach_cookie, BPF_FUNC_loop,
	};
	unsigned int type = BPF_PROG_TYPE_KPROBE;
	char name[96];

	if (wd_probe_prog_type(type) != 1 && wd_probe_base_prog_type() > 0)
		type = (unsigned int)wd_probe_base_prog_type();
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		int r = wd_probe_helper(type, ids[i]);
		snprintf(name, sizeof(name), "%s (%s)", wd_helper_name(ids[i]), wd_prog_type_name(type));
		if (r == 0 && lockdown_blocks(h, ids[i]))
			ADD(h->r, "helper", name, WD_CHECK_MISSING, NULL, "no: lockdown=%s blocks it "
			    "(security/lockdown, 5.4+)", h->lockdown);
		else
			ADD(h->r, "helper", name, probe_status(r), probe_hint(r), "%s",
			    wd_probe_result_str(r));
	}
	return 0;
}

static int check_features(struct host *h)
{
	static const struct { const char *name; int (*fn)(void); const char *missing; } f[] = {
		{ "prog/map names", wd_probe_prog_name, "programs and maps load without names (pre-4.15)" },
		{ "global data", wd_probe_global_data, "objects with .data/.rodata/.bss cannot load (5.2+)" },
		{ "mmapable arrays", wd_probe_mmapable_array, NULL },
		{ "batch map ops", wd_probe_batch_ops, "warden falls back to key-by-key iteration" },
		{ "bpf_cookie", wd_probe_bpf_cookie, NULL },
		{ "ringbuf", wd_probe_ringbuf, "use a perf event array (perfbuf) instead (ringbuf is 5.8+)" },
	};
	static const struct { const char *name; int kind; } kinds[] = {
		{ "BTF func", BTF_KIND_FUNC }, { "BTF global func", WD_BTF_FUNC_GLOBAL },
		{ "BTF datasec", BTF_KIND_DATASEC }, { "BTF float", BTF_KIND_FLOAT },
		{ "BTF decl_tag", BTF_KIND_DECL_TAG }, { "BTF type_tag", BTF_KIND_TYPE_TAG },
		{ "BTF enum64", BTF_KIND_ENUM64 },
	};
	long lim = wd_probe_insn_limit();

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		int r = f[i].fn();
		ADD(h->r, "feature", f[i].name, probe_status(r), r == 0 ? f[i].missing : probe_hint(r),
		    "%s", wd_probe_result_str(r));
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		int r = wd_probe_btf_kind(kinds[i].kind);
		ADD(h->r, "feature", kinds[i].name, probe_status(r),
		    r == 0 ? "the loader rewrites this kind before loading the object's BTF" : probe_hint(r),
		    "%s", wd_probe_result_str(r));
	}
	if (lim > 0)
		ADD(h->r, "feature", "instruction limit", WD_CHECK_INFO,
		    lim < 1000000 ? "programs over 4096 instructions and bounded loops are refused" : NULL,
		    "%ld%s", lim, lim < 1000000 ? " (pre-5.2)" : " (5.2+)");
	else
		ADD(h->r, "feature", "instruction limit", WD_CHECK_WRONG, NULL, "cannot decide (%s)",
		    strerror((int)-lim));
	return 0;
}

/* Load `r0 = 0; exit` as TRACING/fentry or LSM at a kernel BTF function and
 * say exactly what the kernel answered. */
static int load_btf_attached(unsigned int type, unsigned int eat, const char *func,
			     char *log, size_t log_size)
{
	static const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K }, { .code = BPF_JMP | BPF_EXIT },
	};
	/* tp_btf attaches to the typedef btf_trace_<tracepoint>, the rest to a FUNC */
	const struct wd_btf *vmlinux = wd_probe_kern_btf() == 1 ? wd_btf_vmlinux() : NULL;
	int id = eat == BPF_TRACE_RAW_TP ?
		 (vmlinux && wd_btf_find(vmlinux, func, BTF_KIND_TYPEDEF) ?
		  (int)wd_btf_find(vmlinux, func, BTF_KIND_TYPEDEF) : -ENOENT) :
		 wd_probe_kern_btf_func_id(func);
	struct wd_prog_load_args a = {
		.type = type, .expected_attach_type = eat, .insns = insns, .insn_cnt = 2,
		.license = "GPL", .log_buf = log, .log_size = (uint32_t)log_size, .log_level = 1,
	};

	log[0] = '\0';
	if (id < 0)
		return id;
	a.attach_btf_id = (uint32_t)id;
	return wd_sys_prog_load(&a);
}

/* What this host can use instead of a refused trampoline: kprobes only
 * where it has them (the kprobe PMU or kprobe_events). */
static const char *instead(struct host *h, char *buf, size_t size, const char *lead)
{
	char path[300];
	bool kprobes = access("/sys/bus/event_source/devices/kprobe/type", F_OK) == 0;
	if (!kprobes && h->tracefs[0]) {
		snprintf(path, sizeof(path), "%s/kprobe_events", h->tracefs);
		kprobes = access(path, F_OK) == 0;
	}
	snprintf(buf, size, "%suse %s", lead, kprobes ? "kprobes, tp_btf or raw tracepoints" :
		 "tp_btf or raw tracepoints (no kprobes here)");
	return buf;
}

/* EPERM before the verifier: say what is known of the cause. */
static const char *refused_hint(struct host *h, char *buf, size_t size)
{
	unsigned long long eff = cap_eff();
	bool caps = (eff >> 21 & 1) || ((eff >> 39 & 1) && (eff >> 38 & 1));
	return instead(h, buf, size, caps ?
		       "refused before verifying although CAP_BPF+CAP_PERFMON are held: a "
		       "security policy (LSM, lockdown) or no trampolines here; " :
		       "refused before verifying: this process lacks CAP_BPF+CAP_PERFMON "
		       "(or CAP_SYS_ADMIN); or ");
}

static int check_trampoline(struct host *h, const char *name, unsigned int type,
			    unsigned int eat, const char *func)
{
	char log[4096], first[200], hint[400];
	int fd = load_btf_attached(type, eat, func, log, sizeof(log));

	if (fd >= 0) {
		close(fd);
		ADD(h->r, "trampoline", name, WD_CHECK_OK, NULL, "loads (attached to %s)", func);
		return 0;
	}
	if (fd == -ENOENT) {
		ADD(h->r, "trampoline", name, WD_CHECK_MISSING,
		    "needs kernel BTF (/sys/kernel/btf/vmlinux) with the function", "no %s in kernel BTF", func);
		return 0;
	}
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(log, "\n"), log);
	if (!log[0] && (fd == -EINVAL || fd == -E2BIG))
		ADD(h->r, "trampoline", name, WD_CHECK_MISSING, instead(h, hint, sizeof(hint), ""),
		    "not supported (%s, empty verifier log)", strerror(-fd));
	else
		ADD(h->r, "trampoline", name, WD_CHECK_WRONG,
		    fd == -EPERM ? refused_hint(h, hint, sizeof(hint)) : NULL,
		    "refused (%s%s%s)", fd == -EPERM ? "EPERM" : strerror(-fd),
		    log[0] ? ": " : ", empty verifier log", log[0] ? first : "");
	return 0;
}

static int check_links(struct host *h)
{
	for (int k = WD_LINK_RAW_TP; k < WD_LINK__COUNT; k++) {
		int r = wd_probe_bpf_link((enum wd_link_kind)k);
		ADD(h->r, "link", wd_link_kind_name((enum wd_link_kind)k), probe_status(r),
		    r == 0 ? "warden falls back to the older attach interface" : probe_hint(r),
		    "%s", wd_probe_result_str(r));
	}
	return 0;
}

static int check_stale(struct host *h)
{
	int n;

	n = wd_cleanup_stale(true);
	if (n > 0)
		ADD(h->r, "cleanup", "stale probes", WD_CHECK_WRONG, "run 'warden cleanup'",
		    "%d leaked legacy kprobe/uprobe entries whose owner is dead", n);
	else if (n == 0)
		ADD(h->r, "cleanup", "stale probes", WD_CHECK_OK, NULL, "none");
	else
		ADD(h->r, "cleanup", "stale probes", WD_CHECK_INFO, NULL, "cannot check (%s)",
		    strerror(-n));
	return 0;
}

int wd_doctor_host(struct wd_report *r)
{
	struct host h = { .r = r };
	int err;

	/* The probes below create maps and load programs, as the loader does, and
	 * before 5.11 each one is charged to RLIMIT_MEMLOCK per user, freed
	 * later (deferred): under a small limit (64 KiB, the old default) they
	 * fail with EPERM depending on what the user's processes did a moment
	 * ago, and the report would say "no privilege" for what this kernel has.
	 * So raise the limit as wd_object_load() would, report the caller's,
	 * and put it back at the end. */
	h.memlock_read = getrlimit(RLIMIT_MEMLOCK, &h.memlock) == 0;
	if (h.memlock_read && wd_memlock_charged() == 1 && wd_memlock_ensure(RLIM_INFINITY))
		wd_debug("doctor: probes run under RLIMIT_MEMLOCK as it is: %s", wd_memlock_hint());
	h.kc = wd_kconfig_load(NULL);
	mount_of("tracefs", h.tracefs, sizeof(h.tracefs));
	mount_of("debugfs", h.debugfs, sizeof(h.debugfs));
	mount_of("bpf", h.bpffs, sizeof(h.bpffs));
	mount_of("securityfs", h.securityfs, sizeof(h.securityfs));
	if ((err = check_kernel(&h)) || (err = check_btf(&h)) || (err = check_jit(&h)) ||
	    (err = check_lockdown(&h)) || (err = check_lsm_list(&h)) || (err = check_caps(&h)) ||
	    (err = check_memlock(&h)) || (err = check_mounts(&h)) ||
	    (err = check_probe_kind(&h, "kprobe", "CONFIG_KPROBES", "CONFIG_KPROBE_EVENTS")) ||
	    (err = check_probe_kind(&h, "uprobe", "CONFIG_UPROBES", "CONFIG_UPROBE_EVENTS")) ||
	    (err = check_prog_types(&h)) || (err = check_map_types(&h)) ||
	    (err = check_helpers(&h)) || (err = check_features(&h)) ||
	    /* each attach type of the tracing family on its own: a kernel may
	     * refuse trampolines (fentry/fexit) and still run tp_btf */
	    (err = check_trampoline(&h, "tp_btf", BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP,
				    "btf_trace_sys_enter")) ||
	    (err = check_trampoline(&h, "fentry", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY,
				    "bpf_fentry_test1")) ||
	    (err = check_trampoline(&h, "fexit", BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT,
				    "bpf_fentry_test1")) ||
	    (err = check_trampoline(&h, "fmod_ret", BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN,
				    "bpf_modify_return_test")) ||
	    (err = check_trampoline(&h, "lsm", BPF_PROG_TYPE_LSM, BPF_LSM_MAC, "bpf_lsm_file_open")) ||
	    (err = check_links(&h)) || (err = check_stale(&h)))
		wd_err(err, "doctor: %s", strerror(-err));
	wd_kconfig_free(h.kc);
	if (h.memlock_read)
		setrlimit(RLIMIT_MEMLOCK, &h.memlock);
	return err;
}
