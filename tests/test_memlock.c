// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* RLIMIT_MEMLOCK: the direct test, and raising the soft limit when charged. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>
#include "harness.h"
#include "sys/sys.h"
#include "warden/features.h"
#include "warden/testing.h"
#include "warden/warden.h"

#define MiB (1024ull * 1024)

static struct rlimit saved;

static int setup(void **state)
{
	(void)state;
	wd_emulate("none");
	wd_memlock_reset_cache();
	return getrlimit(RLIMIT_MEMLOCK, &saved);
}

/* Back to the limit of before and to the profile of $WARDEN_EMULATE. */
static int teardown(void **state)
{
	(void)state;
	wd_sys_set_fault(NULL, NULL);
	wd_emulate("none");
	wd_emulate_from_env();
	return setrlimit(RLIMIT_MEMLOCK, &saved);
}

static void assert_limit_is(const struct rlimit *want)
{
	struct rlimit now;

	assert_int_equal(getrlimit(RLIMIT_MEMLOCK, &now), 0);
	assert_true(now.rlim_cur == want->rlim_cur);
	assert_true(now.rlim_max == want->rlim_max);
}

/* A pre-5.11 kernel: map creation fails with EPERM while the soft limit is 0. */
static int pre_5_11_fault(int cmd, const union bpf_attr *attr, void *ctx)
{
	struct rlimit rl;

	(void)attr;
	(void)ctx;
	if (cmd != BPF_MAP_CREATE || getrlimit(RLIMIT_MEMLOCK, &rl) < 0)
		return 0;
	return rl.rlim_cur == 0 ? EPERM : 0;
}

static int no_privilege_fault(int cmd, const union bpf_attr *attr, void *ctx)
{
	(void)attr;
	(void)ctx;
	return cmd == BPF_MAP_CREATE ? EPERM : 0;
}

/* memcg accounting replaced the memlock charge in 5.11 (commit 3ac1f01b43b6) */
static void memlock_charge_matches_the_kernel_and_limit_restored(void **state)
{
	(void)state;
	int want = wd_test_kernel_at_least(5, 11) ? 0 : 1;
	assert_int_equal(wd_memlock_charged(), want);
	assert_limit_is(&saved);
	assert_int_equal(wd_memlock_charged(), want); /* cached */
}

static void memlock_charged_detected_on_pre_5_11_kernel(void **state)
{
	(void)state;
	wd_sys_set_fault(pre_5_11_fault, NULL);
	assert_int_equal(wd_memlock_charged(), 1);
	assert_limit_is(&saved);
}

static void memlock_cannot_decide_without_privilege(void **state)
{
	(void)state;
	wd_sys_set_fault(no_privilege_fault, NULL);
	assert_int_equal(wd_memlock_charged(), -EPERM);
	assert_limit_is(&saved);
	wd_sys_set_fault(NULL, NULL);
	/* the failure was not cached: the real answer comes now */
	assert_int_equal(wd_memlock_charged(), wd_test_kernel_at_least(5, 11) ? 0 : 1);
}

static void memlock_ensure_leaves_limit_alone_when_not_charged(void **state)
{
	(void)state;
	if (wd_memlock_charged() != 0)
		WD_SKIP("this kernel charges BPF memory to RLIMIT_MEMLOCK");
	assert_int_equal(wd_memlock_ensure(1ull << 50), 0);
	assert_limit_is(&saved);
	assert_string_equal(wd_memlock_hint(), "");
}

static void memlock_ensure_raises_soft_limit_when_charged(void **state)
{
	(void)state;
	if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < 2 * MiB)
		WD_SKIP("hard RLIMIT_MEMLOCK below 2 MiB");
	struct rlimit low = { .rlim_cur = 64 * 1024, .rlim_max = saved.rlim_max };
	assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &low), 0);
	wd_sys_set_fault(pre_5_11_fault, NULL);
	assert_int_equal(wd_memlock_ensure(2 * MiB), 0);
	struct rlimit want = { .rlim_cur = 2 * MiB, .rlim_max = saved.rlim_max };
	assert_limit_is(&want);
	/* Enough already: nothing changes. */
	assert_int_equal(wd_memlock_ensure(MiB), 0);
	assert_limit_is(&want);
}

static void memlock_ensure_fails_with_hint_above_hard_limit(void **state)
{
	(void)state;
	if (saved.rlim_max == RLIM_INFINITY)
		WD_SKIP("hard RLIMIT_MEMLOCK is unlimited");
	if (saved.rlim_max % MiB)
		WD_SKIP("hard RLIMIT_MEMLOCK not a whole MiB");
	/* With CAP_SYS_RESOURCE the hard limit is raised to what is needed. */
	struct rlimit above = { .rlim_cur = saved.rlim_cur, .rlim_max = saved.rlim_max + MiB };
	bool can_raise = setrlimit(RLIMIT_MEMLOCK, &above) == 0;
	struct rlimit low = { .rlim_cur = 0, .rlim_max = saved.rlim_max };
	assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &low), 0);
	wd_sys_set_fault(pre_5_11_fault, NULL);
	uint64_t need = saved.rlim_max + 16 * MiB;
	if (can_raise) {
		assert_int_equal(wd_memlock_ensure(need), 0);
		struct rlimit raised = { .rlim_cur = need, .rlim_max = need };
		assert_limit_is(&raised);
		return;
	}
	assert_int_equal(wd_memlock_ensure(need), -EPERM);
	assert_non_null(strstr(wd_errmsg(), "RLIMIT_MEMLOCK"));
	char want[200];
	snprintf(want, sizeof(want),
		 "RLIMIT_MEMLOCK is %llu MiB (hard) but %llu MiB are needed: run with "
		 "`ulimit -l unlimited` or LimitMEMLOCK=infinity in the unit file",
		 (unsigned long long)(saved.rlim_max / MiB), (unsigned long long)(need / MiB));
	assert_string_equal(wd_memlock_hint(), want);
	/* The soft limit went as far as it can: the hard limit. */
	struct rlimit at_hard = { .rlim_cur = saved.rlim_max, .rlim_max = saved.rlim_max };
	assert_limit_is(&at_hard);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
static const struct CMUnitTest memlock_tests[] = {
	T(memlock_charge_matches_the_kernel_and_limit_restored),
	T(memlock_charged_detected_on_pre_5_11_kernel),
	T(memlock_cannot_decide_without_privilege),
	T(memlock_ensure_leaves_limit_alone_when_not_charged),
	T(memlock_ensure_raises_soft_limit_when_charged),
	T(memlock_ensure_fails_with_hint_above_hard_limit),
};
#undef T
WD_TEST_SET(wd_tests_memlock, "loader", memlock_tests);
