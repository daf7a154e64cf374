// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tracing-family attach on the running kernel: each family attached, shown
 * to fire on a workload of the test process (getpid(), open(), a call of a
 * function of this binary), detached, shown to stop.  Counts are exact: the
 * programs count only the test process (tests/bpf/attach_trace.bpf.c).
 * kprobe tests skip where the kernel has no kprobes (CONFIG_KPROBES=n on
 * the development host) and run in the kernel-matrix guests.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "attach/attach.h"
#include "host/tracefs.h"
#include "warden/features.h"
#include "warden/warden.h"
#include "warden/link.h"

enum { S_TP, S_RAW_TP, S_TP_BTF, S_UPROBE, S_URETPROBE, S_KPROBE, S_KRETPROBE,
       S_FENTRY, S_FEXIT, S_LSM, S_TP_AUTO, S_MULTI, S_UP_AUTO };

#define N 7

/* The uprobe target: a real call every time, never inlined or cloned. */
__attribute__((noinline, used)) int wd_uprobe_target(int x);
__attribute__((noinline, used)) int wd_uprobe_target(int x)
{
	__asm__ volatile("" ::: "memory");
	return x + 1;
}
static int (*volatile uprobe_fn)(int) = wd_uprobe_target;

static void run_getpid(int n)
{
	for (int i = 0; i < n; i++)
		syscall(SYS_getpid);
}

static void run_open(int n)
{
	for (int i = 0; i < n; i++) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
	}
}

static void run_uprobe(int n)
{
	for (int i = 0; i < n; i++)
		uprobe_fn(i);
}

/* attach_trace.o with only `prog` loaded; *err = load result. */
static struct wd_object *open_one(const char *prog, int *err)
{
	struct wd_object *obj = wd_object_open(wd_test_obj("attach_trace.o"), NULL);
	struct wd_prog *p;
	uint32_t tgid = (uint32_t)getpid();
	assert_non_null(obj);
	wd_object_for_each_prog(p, obj)
		wd_prog_set_autoload(p, !strcmp(wd_prog_name(p), prog));
	assert_int_equal(wd_object_set_global(obj, "target_tgid", &tgid, sizeof(tgid)), 0);
	*err = wd_object_load(obj, NULL);
	return obj;
}

static struct wd_object *load_one(const char *prog)
{
	int err;
	struct wd_object *obj = open_one(prog, &err);
	if (err)
		fail_msg("load %s: %s", prog, wd_errmsg());
	return obj;
}

static uint64_t count(struct wd_object *obj, uint32_t slot)
{
	uint64_t v = 0;
	assert_int_equal(wd_map_lookup(wd_object_map(obj, "counts"), &slot, &v), 0);
	return v;
}

/* The link fires exactly n times for n workload runs, then not after detach. */
static void fires_then_stops(struct wd_object *obj, struct wd_link *link, uint32_t slot,
			     void (*work)(int), uint64_t expect)
{
	if (!link)
		fail_msg("attach: %s", wd_errmsg());
	work(N);
	assert_int_equal(count(obj, slot), expect);
	assert_int_equal(wd_link_detach(link), 0);
	work(N);
	assert_int_equal(count(obj, slot), expect);
}

/* ---- tracepoints ------------------------------------------------------------- */

static void tracepoint_fires_and_stops_after_detach(void **state)
{
	(void)state;
	struct wd_object *obj = load_one("tp_getpid");
	struct wd_link *l = wd_prog_attach_tracepoint(wd_object_prog(obj, "tp_getpid"),
						      "syscalls", "sys_enter_getpid");
	if (l)
		assert_non_null(strstr(wd_link_describe(l), "tracepoint syscalls/sys_enter_getpid"));
	fires_then_stops(obj, l, S_TP, run_getpid, N);
	wd_object_close(obj);
}

static void tracepoint_attaches_by_section_name(void **state)
{
	(void)state;
	struct wd_object *obj = load_one("tp_auto");
	struct wd_link *l = wd_prog_attach(wd_object_prog(obj, "tp_auto"));
	fires_then_stops(obj, l, S_TP_AUTO, run_getpid, N);
	wd_object_close(obj);
}

/* Object close detaches what is still attached: the program stops firing
 * (seen through the map, which a second reference keeps open). */
static void object_close_detaches_every_link(void **state)
{
	(void)state;
	struct wd_object *obj = load_one("tp_auto");
	uint32_t slot = S_TP_AUTO;
	uint64_t v = 0;
	int map_fd;
	assert_non_null(wd_prog_attach(wd_object_prog(obj, "tp_auto")));
	map_fd = dup(wd_map_fd(wd_object_map(obj, "counts")));
	run_getpid(N);
	wd_object_close(obj);
	run_getpid(N);
	assert_int_equal(wd_sys_map_lookup(map_fd, &slot, &v, 0), 0);
	assert_int_equal(v, N);
	close(map_fd);
}

static void missing_tracepoint_fails_with_one_line_naming_it(void **state)
{
	(void)state;
	struct wd_object *obj = load_one("tp_getpid");
	const char *dir;
	char path[4200];
	struct wd_link *l = wd_prog_attach_tracepoint(wd_object_prog(obj, "tp_getpid"),
						      "syscalls", "sys_enter_no_such_call");
	assert_null(l);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(wd_tracefs_dir(&dir), 0);
	snprintf(path, sizeof(path), "%s/events/syscalls/sys_enter_no_such_call/id", dir);
	printf("# %s\n", wd_errmsg());
	assert_non_null(strstr(wd_errmsg(), "syscalls/sys_enter_no_such_call"));
	assert_non_null(strstr(wd_errmsg(), path));
	assert_null(strchr(wd_errmsg(), '\n'));
	wd_object_close(obj);
}

static void attach_of_unloaded_program_fails_cleanly(void **state)
{
	(void)state;
	struct wd_object *obj = wd_object_open(wd_test_obj("attach_trace.o"), NULL);
	assert_non_null(obj);
	errno = 0;
	assert_null(wd_prog_attach(wd_object_prog(obj, "tp_getpid")));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(wd_errmsg(), "'tp_getpid' is not loaded"));
	assert_null(wd_prog_attach_uprobe(wd_object_prog(obj, "up"), "/proc/self/exe", NULL));
	assert_int_equal(errno, EINVAL);
	wd_object_close(obj);
}

static void xdp_by_section_names_the_api_to_call(void **state)
{
	(void)state;
	struct wd_object *obj = load_one("xdp_pass");
	assert_null(wd_prog_attach(wd_object_prog(obj, "xdp_pass")));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(wd_errmsg(), "wd_prog_attach_xdp"));
	wd_object_close(obj);
}

/* ---- raw tracepoints, BTF tracepoints ------------------------------------------ */

static void raw_tp_fires_and_stops_after_detach(void **state)
{
	(void)state;
	struct wd_object *obj = load_one("raw_getpid");
	struct wd_link *l = wd_prog_attach(wd_object_prog(obj, "raw_getpid"));
	fires_then_stops(obj, l, S_RAW_TP, run_getpid, N);
	wd_object_close(obj);
}

static void missing_raw_tp_fails_naming_it(void **state)
{
	(void)state;
	struct wd_object *obj = load_one("raw_getpid");
	assert_null(wd_prog_attach_raw_tracepoint(wd_object_prog(obj, "raw_getpid"),
						  "no_such_raw_tp"));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(wd_errmsg(), "no_such_raw_tp"));
	wd_object_close(obj);
}

static void tp_btf_fires_and_stops_after_detach(void **state)
{
	(void)state;
	int err;
	struct wd_object *obj = open_one("btf_getpid", &err);
	if (err == -EPERM) {
		wd_object_close(obj);
		WD_SKIP("tp_btf load refused with EPERM here: %s", wd_errmsg());
	}
	if (err)
		fail_msg("load: %s", wd_errmsg());
	fires_then_stops(obj, wd_prog_attach(wd_object_prog(obj, "btf_getpid")), S_TP_BTF,
			 run_getpid, N);
	wd_object_close(obj);
}

/* fentry/fexit/lsm load with EPERM and an empty log on the development host;
 * they run in the guests. */
static void trace_family_fires(const char *prog, uint32_t slot)
{
	int err;
	struct wd_object *obj = open_one(prog, &err);
	if (err == -EPERM) {
		wd_object_close(obj);
		WD_SKIP("%s load refused with EPERM on this kernel (empty verifier log): %s",
			prog, wd_errmsg());
	}
	if (err)
		fail_msg("load %s: %s", prog, wd_errmsg());
	fires_then_stops(obj, wd_prog_attach(wd_object_prog(obj, prog)), slot, run_open, N);
	wd_object_close(obj);
}

static void fentry_fires_and_stops_after_detach(void **state)
{
	(void)state;
	trace_family_fires("fent", S_FENTRY);
}

static void fexit_fires_and_stops_after_detach(void **state)
{
	(void)state;
	trace_family_fires("fex", S_FEXIT);
}

/* The bpf LSM runs only when "bpf" is in the active LSM list (lsm=...,bpf). */
static void lsm_fires_and_stops_after_detach(void **state)
{
	(void)state;
	char *lsms;
	bool active, mounted = false;
	if (access("/sys/kernel/security/lsm", F_OK))   /* guests: securityfs not mounted */
		mounted = !mount("securityfs", "/sys/kernel/security", "securityfs", 0, NULL);
	lsms = wd_tracefs_read("/sys/kernel/security", "lsm");
	if (mounted)
		umount("/sys/kernel/security");
	active = lsms && strstr(lsms, "bpf");
	if (!lsms)
		WD_SKIP("/sys/kernel/security/lsm unreadable (securityfs not mounted): "
			"cannot tell whether the bpf LSM is active");
	free(lsms);
	if (!active)
		WD_SKIP("the bpf LSM is not active on this kernel (boot with lsm=...,bpf)");
	trace_family_fires("lsm_open", S_LSM);
}

/* ---- uprobes -------------------------------------------------------------------- */

static struct wd_link *attach_uprobe(struct wd_object *obj, const char *prog, bool ret,
				     bool legacy)
{
	struct wd_uprobe_opts o = { .sz = sizeof(o), .func = "wd_uprobe_target", .pid = -1,
				    .retprobe = ret, .force_legacy = legacy };
	return wd_prog_attach_uprobe(wd_object_prog(obj, prog), "/proc/self/exe", &o);
}

static void uprobe_fires_on_own_function_and_stops(void **state)
{
	(void)state;
	struct wd_object *obj = load_one("up");
	struct wd_link *l = attach_uprobe(obj, "up", false, false);
	if (l)
		assert_non_null(strstr(wd_link_describe(l), "(pmu)"));
	fires_then_stops(obj, l, S_UPROBE, run_uprobe, N);
	wd_object_close(obj);
}

static void uretprobe_fires_and_stops(void **state)
{
	(void)state;
	struct wd_object *obj = load_one("uret");
	fires_then_stops(obj, attach_uprobe(obj, "uret", true, false), S_URETPROBE,
			 run_uprobe, N);
	wd_object_close(obj);
}

static void uprobe_attaches_by_section_name(void **state)
{
	(void)state;
	struct wd_object *obj = load_one("up_auto");
	fires_then_stops(obj, wd_prog_attach(wd_object_prog(obj, "up_auto")), S_UP_AUTO,
			 run_uprobe, N);
	wd_object_close(obj);
}

static void uprobe_for_one_pid_ignores_others(void **state)
{
	(void)state;
	struct wd_object *obj = load_one("up");
	struct wd_uprobe_opts o = { .sz = sizeof(o), .func = "wd_uprobe_target",
				    .pid = getpid() + 0 };
	struct wd_link *l;
	/* a pid that is not ours: nothing counted */
	pid_t child = fork();
	assert_true(child >= 0);
	if (!child) {
		pause();
		_exit(0);
	}
	o.pid = child;
	l = wd_prog_attach_uprobe(wd_object_prog(obj, "up"), "/proc/self/exe", &o);
	assert_non_null(l);
	run_uprobe(N);
	assert_int_equal(count(obj, S_UPROBE), 0);
	wd_link_detach(l);
	o.pid = getpid();
	fires_then_stops(obj, wd_prog_attach_uprobe(wd_object_prog(obj, "up"), "/proc/self/exe",
						    &o), S_UPROBE, run_uprobe, N);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	wd_object_close(obj);
}

static bool uprobe_events_has(const char *needle)
{
	const char *dir;
	char *text;
	bool has;
	assert_int_equal(wd_tracefs_dir(&dir), 0);
	text = wd_tracefs_read(dir, "uprobe_events");
	assert_non_null(text);
	has = strstr(text, needle) != NULL;
	free(text);
	return has;
}

/* The legacy entry is named warden/warden_<pid>_..., fires like the PMU
 * one, and is gone from uprobe_events after detach. */
static void legacy_uprobe_fires_and_its_entry_goes_at_detach(void **state)
{
	(void)state;
	struct wd_object *obj = load_one("up");
	struct wd_link *l = attach_uprobe(obj, "up", false, true);
	char name[128];
	const char *legacy;
	if (!l)
		fail_msg("attach: %s", wd_errmsg());
	legacy = strstr(wd_link_describe(l), "legacy ");
	assert_non_null(legacy);
	snprintf(name, sizeof(name), "%s", legacy + strlen("legacy "));
	name[strcspn(name, ")")] = '\0';
	printf("# %s\n", name);
	assert_non_null(strstr(name, "warden/warden_"));
	assert_true(uprobe_events_has(name));
	fires_then_stops(obj, l, S_UPROBE, run_uprobe, N);
	assert_false(uprobe_events_has(name));
	wd_object_close(obj);
}

static void uprobe_on_missing_symbol_fails_naming_it(void **state)
{
	(void)state;
	struct wd_object *obj = load_one("up");
	struct wd_uprobe_opts o = { .sz = sizeof(o), .func = "wd_no_such_function", .pid = -1 };
	assert_null(wd_prog_attach_uprobe(wd_object_prog(obj, "up"), "/proc/self/exe", &o));
	assert_int_equal(errno, ENOENT);
	printf("# %s\n", wd_errmsg());
	assert_non_null(strstr(wd_errmsg(), "wd_no_such_function"));
	assert_null(wd_prog_attach_uprobe(wd_object_prog(obj, "up"), "/no/such/binary", &o));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(wd_errmsg(), "/no/such/binary"));
	wd_object_close(obj);
}

/* ---- kprobes (skipped where the kernel has none) -------------------------------- */

static bool kprobes_available(char *why, size_t size)
{
	const char *dir;
	if (wd_pmu_type("kprobe") >= 0)
		return true;
	if (wd_tracefs_dir(&dir) == 0 && wd_tracefs_has(dir, "kprobe_events"))
		return true;
	snprintf(why, size, "no kprobe PMU and no kprobe_events: this kernel has "
		 "CONFIG_KPROBES=n (runs in the kernel-matrix guests)");
	return false;
}

static void kprobe_case(const char *prog, uint32_t slot, bool ret, bool legacy)
{
	struct wd_kprobe_opts o = { .sz = sizeof(o), .retprobe = ret, .force_legacy = legacy };
	struct wd_object *obj;
	struct wd_link *l;
	char why[200];
	if (!kprobes_available(why, sizeof(why)))
		WD_SKIP("%s", why);
	if (legacy) {
		const char *dir;
		if (wd_tracefs_dir(&dir) || !wd_tracefs_has(dir, "kprobe_events"))
			WD_SKIP("no kprobe_events in tracefs (CONFIG_KPROBE_EVENTS=n)");
	}
	obj = load_one(prog);
	l = wd_prog_attach_kprobe(wd_object_prog(obj, prog), "do_sys_openat2", &o);
	if (l)
		printf("# %s\n", wd_link_describe(l));
	fires_then_stops(obj, l, slot, run_open, N);
	wd_object_close(obj);
}

static void kprobe_fires_and_stops_after_detach(void **state)
{
	(void)state;
	kprobe_case("kp", S_KPROBE, false, false);
}

static void kretprobe_fires_and_stops_after_detach(void **state)
{
	(void)state;
	kprobe_case("krp", S_KRETPROBE, true, false);
}

static void legacy_kprobe_fires_and_stops_after_detach(void **state)
{
	(void)state;
	kprobe_case("kp", S_KPROBE, false, true);
}

static void legacy_kretprobe_fires_and_stops_after_detach(void **state)
{
	(void)state;
	kprobe_case("krp", S_KRETPROBE, true, true);
}

static void kprobe_on_missing_function_fails_naming_it(void **state)
{
	(void)state;
	struct wd_object *obj;
	char why[200];
	if (!kprobes_available(why, sizeof(why)))
		WD_SKIP("%s", why);
	obj = load_one("kp");
	assert_null(wd_prog_attach_kprobe(wd_object_prog(obj, "kp"), "wd_no_such_kfunc", NULL));
	printf("# %s\n", wd_errmsg());
	assert_non_null(strstr(wd_errmsg(), "wd_no_such_kfunc"));
	wd_object_close(obj);
}

static void kprobe_multi_fires_and_stops_after_detach(void **state)
{
	(void)state;
	struct wd_object *obj;
	char why[200];
	if (!kprobes_available(why, sizeof(why)))
		WD_SKIP("%s", why);
	WD_REQUIRE(wd_probe_bpf_link(WD_LINK_KPROBE_MULTI),
		   "BPF_TRACE_KPROBE_MULTI links (5.18+, CONFIG_FPROBE)");
	obj = load_one("kmulti");
	fires_then_stops(obj, wd_prog_attach(wd_object_prog(obj, "kmulti")), S_MULTI,
			 run_open, N);
	wd_object_close(obj);
}

static const struct CMUnitTest attach_trace_tests[] = {
	cmocka_unit_test(tracepoint_fires_and_stops_after_detach),
	cmocka_unit_test(tracepoint_attaches_by_section_name),
	cmocka_unit_test(object_close_detaches_every_link),
	cmocka_unit_test(missing_tracepoint_fails_with_one_line_naming_it),
	cmocka_unit_test(attach_of_unloaded_program_fails_cleanly),
	cmocka_unit_test(xdp_by_section_names_the_api_to_call),
	cmocka_unit_test(raw_tp_fires_and_stops_after_detach),
	cmocka_unit_test(missing_raw_tp_fails_naming_it),
	cmocka_unit_test(tp_btf_fires_and_stops_after_detach),
	cmocka_unit_test(fentry_fires_and_stops_after_detach),
	cmocka_unit_test(fexit_fires_and_stops_after_detach),
	cmocka_unit_test(lsm_fires_and_stops_after_detach),
	cmocka_unit_test(uprobe_fires_on_own_function_and_stops),
	cmocka_unit_test(uretprobe_fires_and_stops),
	cmocka_unit_test(uprobe_attaches_by_section_name),
	cmocka_unit_test(uprobe_for_one_pid_ignores_others),
	cmocka_unit_test(legacy_uprobe_fires_and_its_entry_goes_at_detach),
	cmocka_unit_test(uprobe_on_missing_symbol_fails_naming_it),
	cmocka_unit_test(kprobe_fires_and_stops_after_detach),
	cmocka_unit_test(kretprobe_fires_and_stops_after_detach),
	cmocka_unit_test(legacy_kprobe_fires_and_stops_after_detach),
	cmocka_unit_test(legacy_kretprobe_fires_and_stops_after_detach),
	cmocka_unit_test(kprobe_on_missing_function_fails_naming_it),
	cmocka_unit_test(kprobe_multi_fires_and_stops_after_detach),
};

WD_TEST_SET(attach_trace_set, "attach", attach_trace_tests);
