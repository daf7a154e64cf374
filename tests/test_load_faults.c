// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Loader paths under faults (issue 13): the BTF log run must not leak the
 * fd it may get, and a program too complex for the verifier costs one run
 * without a log and one with (counted through the syscall seam, not timed).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "sys/sys.h"
#include "warden/warden.h"
#include "warden/testing.h"

/* ---- BTF: the first BPF_BTF_LOAD fails, the one for the log succeeds ---- */

static int btf_loads;

static int fail_first_btf_load(int cmd, const union bpf_attr *attr, void *ctx)
{
	(void)ctx;
	if (cmd != BPF_BTF_LOAD || attr->btf_log_level)
		return 0;
	return btf_loads++ == 0 ? EINVAL : 0;
}

static void btf_log_run_that_succeeds_leaks_no_fd(void **state)
{
	(void)state;
	if (wd_test_emulating())
		WD_SKIP("the fault is injected on the real kernel's BTF support");
	struct wd_object *obj = wd_object_open(wd_test_obj("maps.o"), NULL);
	if (!obj)
		fail_msg("%s", wd_errmsg());
	/* a first load answers (and caches) the BTF probes: the fault below
	 * then hits the object's own BPF_BTF_LOAD, not a probe's */
	if (wd_object_load(obj, NULL))
		fail_msg("%s", wd_errmsg());
	wd_object_close(obj);
	obj = wd_object_open(wd_test_obj("maps.o"), NULL);
	assert_non_null(obj);
	int before = wd_test_fd_count(0);
	btf_loads = 0;
	wd_sys_set_fault(fail_first_btf_load, NULL);
	int err = wd_object_load(obj, NULL);
	wd_sys_set_fault(NULL, NULL);
	if (err)
		fail_msg("load without BTF: %s", wd_errmsg());
	assert_true(btf_loads >= 1);
	wd_object_close(obj);
	assert_int_equal(wd_test_fd_count(0), before);
}

/* ---- too complex: two BPF_PROG_LOAD runs of the program, no more ---- */

static int prog_loads;

static int count_prog_loads(int cmd, const union bpf_attr *attr, void *ctx)
{
	(void)ctx;
	if (cmd == BPF_PROG_LOAD && attr->insn_cnt > 10 &&
	    (!attr->prog_name[0] || !strncmp(attr->prog_name, "too_complex", sizeof(attr->prog_name))))
		prog_loads++;
	return 0;
}

static void too_complex_program_costs_two_verifier_runs(void **state)
{
	(void)state;
	if (wd_test_emulating())
		WD_SKIP("the complexity limit is the real kernel's");
	struct wd_object *obj = wd_object_open(wd_test_obj("verify_complex.o"), NULL);
	if (!obj)
		fail_msg("%s", wd_errmsg());
	prog_loads = 0;
	wd_sys_set_fault(count_prog_loads, NULL);
	int err = wd_object_load(obj, NULL);
	wd_sys_set_fault(NULL, NULL);
	printf("# verify_complex.o: %d BPF_PROG_LOAD runs: %s\n", prog_loads, wd_errmsg());
	assert_int_equal(err, -E2BIG);
	assert_int_equal(prog_loads, 2);
	assert_non_null(strstr(wd_errmsg(), "too_complex"));
	wd_object_close(obj);
}

static const struct CMUnitTest load_fault_tests[] = {
	cmocka_unit_test(btf_log_run_that_succeeds_leaks_no_fd),
	cmocka_unit_test(too_complex_program_costs_two_verifier_runs),
};
WD_TEST_SET(load_fault_set, "loader", load_fault_tests);
