// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Memlock as a loader meets it on a kernel that charges BPF memory to
 * RLIMIT_MEMLOCK (before 5.11; the 5.10 guest boots with the old default of
 * 64 KiB): many objects loaded one after another, all kept loaded, under a
 * 64 KiB limit; and with the raise turned off, the EPERM named as the
 * memlock limit with its numbers.
 */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include "harness.h"
#include "warden/features.h"
#include "warden/testing.h"
#include "warden/warden.h"

#define KiB 1024ull
#define OBJECTS_PER_ROUND 6
#define ROUNDS 8

static struct rlimit saved;

static int setup(void **state)
{
	(void)state;
	wd_memlock_reset_cache();
	return getrlimit(RLIMIT_MEMLOCK, &saved);
}

static int teardown(void **state)
{
	(void)state;
	/* back to the limit of before (lowering needs no privilege) */
	return setrlimit(RLIMIT_MEMLOCK, &saved);
}

static void require_charging_and_64k(void)
{
	if (wd_test_emulating())
		WD_SKIP("WARDEN_EMULATE plays an old kernel for libwarden only");
	int charged = wd_memlock_charged();
	if (charged != 1)
		WD_SKIP("this kernel does not charge BPF memory to RLIMIT_MEMLOCK (memcg accounting, 5.11+)");
	struct rlimit low = { 64 * KiB, 64 * KiB };
	assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &low), 0);
}

static const char *const objects[OBJECTS_PER_ROUND] = {
	"maps.o", "globals.o", "calls.o", "kconfig.o", "minimal.o", "externs.o",
};

static struct wd_object *open_and_load(const char *file, const struct wd_load_opts *lo, int *err)
{
	struct wd_object *obj = wd_object_open(wd_test_obj(file), NULL);
	assert_non_null(obj);
	struct wd_prog *p;
	/* only what every kernel of the matrix loads */
	wd_object_for_each_prog(p, obj)
		if (!strcmp(wd_prog_name(p), "call_two") || !strcmp(wd_prog_name(p), "minimal_sock") ||
		    !strcmp(wd_prog_name(p), "call_kfunc") || !strcmp(wd_prog_name(p), "read_ksym"))
			wd_prog_set_autoload(p, false);
	*err = wd_object_load(obj, lo);
	return obj;
}

/* 48 objects kept loaded at once, starting from a 64 KiB limit. */
static void many_objects_load_under_a_64k_limit(void **state)
{
	(void)state;
	require_charging_and_64k();
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_XDP), "XDP programs");
	struct wd_object *objs[ROUNDS * OBJECTS_PER_ROUND] = { 0 };
	int n = 0, err = 0;
	char msg[1024] = "";
	for (int r = 0; r < ROUNDS && !err; r++)
		for (int i = 0; i < OBJECTS_PER_ROUND && !err; i++) {
			objs[n] = open_and_load(objects[i], NULL, &err);
			if (err)
				snprintf(msg, sizeof(msg), "%s (round %d): %s", objects[i], r, wd_errmsg());
			n++;
		}
	struct rlimit now;
	getrlimit(RLIMIT_MEMLOCK, &now);
	for (int i = 0; i < n; i++)
		wd_object_close(objs[i]);
	if (err)
		fail_msg("%s", msg);
	/* root may raise the hard limit: it is unlimited now */
	assert_true(now.rlim_cur == RLIM_INFINITY);
}

/* With no_memlock the limit stays at 64 KiB: loads fail, and the error
 * names the memlock limit with its value, not privileges. */
static void eperm_under_the_limit_names_memlock(void **state)
{
	(void)state;
	require_charging_and_64k();
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_XDP), "XDP programs");
	struct wd_load_opts lo = { .sz = sizeof(lo), .no_memlock = true };
	struct wd_object *objs[64] = { 0 };
	int n = 0, err = 0;
	char msg[1024] = "";
	while (n < 64 && !err) {
		objs[n] = open_and_load("maps.o", &lo, &err);
		if (err)
			snprintf(msg, sizeof(msg), "%s", wd_errmsg());
		n++;
	}
	for (int i = 0; i < n; i++)
		wd_object_close(objs[i]);
	assert_int_equal(err, -EPERM);
	if (!strstr(msg, "the memlock limit") || !strstr(msg, "which is 64 KiB") ||
	    strstr(msg, "CAP_BPF"))
		fail_msg("message: %s", msg);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
static const struct CMUnitTest memlock_load_tests[] = {
	T(many_objects_load_under_a_64k_limit),
	T(eperm_under_the_limit_names_memlock),
};
#undef T
WD_TEST_SET(wd_tests_memlock_load, "loader", memlock_load_tests);
