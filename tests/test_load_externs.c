// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Object BTF with extern FUNCs (__ksym kfuncs) and a .ksyms DATASEC is
 * accepted by the kernel once rewritten as libbpf does (func_info and
 * line_info reach the kernel); libbpf 1.x's virtual LINUX_* externs; and
 * failure messages that point the right way (a tp_btf target named as the
 * tracepoint, a helper this kernel lacks named).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/bpf.h>
#include "harness.h"
#include "sys/sys.h"
#include "warden/features.h"
#include "warden/testing.h"
#include "warden/warden.h"

struct externs_out {
	uint64_t kversion, has_cookie, has_wrapper, prog_active;
};

static void prog_btf_counts(const struct wd_prog *p, uint32_t *nr_func, uint32_t *nr_line)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	memset(&info, 0, sizeof(info));
	assert_int_equal(wd_sys_obj_info(wd_prog_fd(p), &info, &len), 0);
	*nr_func = info.nr_func_info;
	*nr_line = info.nr_line_info;
}

static void extern_btf_is_accepted_and_linux_externs_resolve(void **state)
{
	(void)state;
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_XDP), "XDP programs");
	WD_REQUIRE(wd_probe_btf(), "BTF");
	struct wd_object *obj = wd_object_open(wd_test_obj("externs.o"), NULL);
	assert_non_null(obj);
	wd_prog_set_autoload(wd_object_prog(obj, "call_kfunc"), false);
	wd_prog_set_autoload(wd_object_prog(obj, "read_ksym"), false);
	if (wd_object_load(obj, NULL))
		fail_msg("%s", wd_errmsg());
	if (wd_object_note(obj))
		fail_msg("BTF refused: %s", wd_object_note(obj));
	const struct wd_prog *p = wd_object_prog(obj, "read_externs");
	uint32_t nr_func, nr_line;
	prog_btf_counts(p, &nr_func, &nr_line);
	assert_true(nr_func >= 1);
	assert_true(nr_line >= 1);
	char pkt[64] = { 0 };
	uint32_t ret = 0;
	assert_int_equal(wd_prog_test_run(p, pkt, sizeof(pkt), &ret, NULL), 0);
	struct externs_out out;
	uint32_t zero = 0;
	struct wd_map *bss = wd_object_map(obj, ".bss");
	assert_non_null(bss);
	assert_int_equal(wd_map_lookup(bss, &zero, &out), 0);
	struct utsname u;
	int major = 0, minor = 0;
	uname(&u);
	sscanf(u.release, "%d.%d", &major, &minor);
	assert_int_equal(out.kversion >> 16, (uint64_t)major);
	assert_int_equal((out.kversion >> 8) & 0xff, (uint64_t)minor);
	/* bpf_get_attach_cookie() arrived in 5.15 (commit 7adfc6c9b315) */
	assert_int_equal(out.has_cookie, wd_test_kernel_at_least(5, 15) ? 1 : 0);
	/* x86-64 syscalls go through __x64_sys_* wrappers since 4.17; libbpf
	 * says so only where it can put a kprobe on one (no kprobes: 0) */
	bool kprobes = access("/sys/bus/event_source/devices/kprobe/type", F_OK) == 0;
	assert_int_equal(out.has_wrapper, kprobes ? 1 : 0);
	wd_object_close(obj);
}

/* The kfuncs themselves where the kernel has them (6.2+): the call resolves,
 * the BTF with their extern FUNCs is accepted. */
static void kfunc_object_loads_with_btf(void **state)
{
	if (wd_test_emulating())
		WD_SKIP("WARDEN_EMULATE=%s lacks kfuncs, BTF and read-only global data", wd_emulate_current());
	(void)state;
	/* bpf_task_from_pid() and bpf_task_release() are kfuncs of 6.2
	 * (commit 3f0e6f2b41d3): a test expectation, not a loader decision */
	if (!wd_test_kernel_at_least(6, 2))
		WD_SKIP("kfuncs bpf_task_from_pid/bpf_task_release arrived in 6.2");
	struct wd_object *obj = wd_object_open(wd_test_obj("externs.o"), NULL);
	assert_non_null(obj);
	wd_prog_set_autoload(wd_object_prog(obj, "read_ksym"), false);
	int err = wd_object_load(obj, NULL);
	if (err)
		fail_msg("%s", wd_errmsg());
	assert_null(wd_object_note(obj));
	uint32_t nr_func, nr_line;
	prog_btf_counts(wd_object_prog(obj, "call_kfunc"), &nr_func, &nr_line);
	assert_true(nr_func >= 1);
	wd_object_close(obj);
}

static void tp_btf_target_is_named_as_the_tracepoint(void **state)
{
	(void)state;
	WD_REQUIRE(wd_probe_kern_btf(), "kernel BTF");
	struct wd_object *obj = wd_object_open(wd_test_obj("msg_targets.o"), NULL);
	assert_non_null(obj);
	wd_prog_set_autoload(wd_object_prog(obj, "newer_helper"), false);
	assert_int_equal(wd_object_load(obj, NULL), -ENOENT);
	const char *msg = wd_errmsg();
	if (!strstr(msg, "tracepoint 'wd_no_such_tracepoint' not found") || strstr(msg, "btf_trace_"))
		fail_msg("message: %s", msg);
	wd_object_close(obj);
}

static void unknown_helper_is_named(void **state)
{
	(void)state;
	struct wd_object *obj = wd_object_open(wd_test_obj("verify_helper.o"), NULL);
	assert_non_null(obj);
	assert_true(wd_object_load(obj, NULL) < 0);
	if (!strstr(wd_errmsg(), "calls helper #999, which this kernel lacks"))
		fail_msg("message: %s", wd_errmsg());
	wd_object_close(obj);
}

/* bpf_get_current_task_btf (#158, 5.11) on a kernel without it: the RHEL 7
 * profile (helpers up to #80) answers "invalid func unknown#158" as such a
 * kernel's verifier does; so does the 5.10 guest itself. */
static void helper_this_kernel_lacks_is_named(void **state)
{
	(void)state;
	bool real = !wd_test_kernel_at_least(5, 11);
	if (!real)
		assert_int_equal(wd_emulate("rhel7"), 0);
	struct wd_object *obj = wd_object_open(wd_test_obj("msg_targets.o"), NULL);
	assert_non_null(obj);
	wd_prog_set_autoload(wd_object_prog(obj, "no_such_tp"), false);
	int err = wd_object_load(obj, NULL);
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s", wd_errmsg());
	wd_object_close(obj);
	assert_true(err < 0);
	if (!strstr(msg, "calls helper bpf_get_current_task_btf (#158), which this kernel lacks"))
		fail_msg("message: %s", msg);
}

/* Back to the real kernel (probe caches too), then to $WARDEN_EMULATE. */
static int back_to_real_kernel(void **state)
{
	(void)state;
	wd_emulate("none");
	wd_emulate_from_env();
	return 0;
}

static const struct CMUnitTest externs_tests[] = {
	cmocka_unit_test(extern_btf_is_accepted_and_linux_externs_resolve),
	cmocka_unit_test(kfunc_object_loads_with_btf),
	cmocka_unit_test(tp_btf_target_is_named_as_the_tracepoint),
	cmocka_unit_test(unknown_helper_is_named),
	cmocka_unit_test_teardown(helper_this_kernel_lacks_is_named, back_to_real_kernel),
};
WD_TEST_SET(wd_tests_load_externs, "loader", externs_tests);
