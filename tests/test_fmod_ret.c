// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fmod_ret (group "attach"): tests/bpf/fmod_ret.bpf.c makes
 * security_file_open() return -ENOTUNIQ for this process only.  Shown:
 * open() fails with exactly that errno while attached (the hook's return
 * value replaced), opens again after detach and after object close, and the
 * count of modified calls is exact.  This host refuses trampolines
 * (fentry/fexit/fmod_ret load with EPERM): the test skips here, naming the
 * loader's probe, and runs in the 5.10, 6.1 and 6.12 guests (vm/matrix.sh).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include "harness.h"
#include "warden/features.h"
#include "warden/warden.h"
#include "warden/link.h"

#define CALLS 5

/* 0 when /dev/null opens, else the errno of the failure. */
static int open_errno(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static uint64_t modified_calls(struct wd_object *obj)
{
	uint32_t zero = 0;
	uint64_t n = 0;
	assert_int_equal(wd_map_lookup(wd_object_map(obj, "modified"), &zero, &n), 0);
	return n;
}

static struct wd_object *load_fmod_ret(void)
{
	struct wd_object *obj = wd_object_open(wd_test_obj("fmod_ret.o"), NULL);
	uint32_t tgid = (uint32_t)getpid();
	char why[512];
	int err;
	assert_non_null(obj);
	assert_int_equal(wd_object_set_global(obj, "target_tgid", &tgid, sizeof(tgid)), 0);
	err = wd_object_load(obj, NULL);
	if (!err)
		return obj;
	snprintf(why, sizeof(why), "%s", wd_errmsg());
	wd_object_close(obj);
	if (err == -EPERM)
		WD_SKIP("fmod_ret load refused with EPERM: trampolines are refused on this kernel "
			"(probe: tracing programs %s): %s",
			wd_probe_result_str(wd_probe_prog_type(BPF_PROG_TYPE_TRACING)), why);
	fail_msg("load fmod_ret.o: %s", why);
	return NULL;
}

/* Assertions run only after detach: a failure while attached would leave
 * every open() of this process failing for the tests after it. */
static void fmod_ret_replaces_the_return_value_until_detach(void **state)
{
	(void)state;
	struct wd_object *obj = load_fmod_ret();
	struct wd_link *l = wd_prog_attach(wd_object_prog(obj, "fake_open_error"));
	int seen[CALLS];
	char desc[200];
	if (!l) {
		snprintf(desc, sizeof(desc), "%s", wd_errmsg());
		wd_object_close(obj);
		fail_msg("attach: %s", desc);
	}
	snprintf(desc, sizeof(desc), "%s", wd_link_describe(l));
	for (int i = 0; i < CALLS; i++)
		seen[i] = open_errno();
	assert_int_equal(wd_link_detach(l), 0);
	assert_non_null(strstr(desc, "fmod_ret security_file_open"));
	for (int i = 0; i < CALLS; i++)
		assert_int_equal(seen[i], ENOTUNIQ);
	assert_int_equal(modified_calls(obj), CALLS);
	assert_int_equal(open_errno(), 0);
	assert_int_equal(modified_calls(obj), CALLS);
	wd_object_close(obj);
}

/* Object close detaches it too: opens work again. */
static void fmod_ret_ends_with_the_object(void **state)
{
	(void)state;
	struct wd_object *obj = load_fmod_ret();
	int seen;
	if (!wd_prog_attach(wd_object_prog(obj, "fake_open_error"))) {
		wd_object_close(obj);
		fail_msg("attach failed");
	}
	seen = open_errno();
	wd_object_close(obj);
	assert_int_equal(seen, ENOTUNIQ);
	assert_int_equal(open_errno(), 0);
}

static const struct CMUnitTest fmod_ret_tests[] = {
	cmocka_unit_test(fmod_ret_replaces_the_return_value_until_detach),
	cmocka_unit_test(fmod_ret_ends_with_the_object),
};

WD_TEST_SET(fmod_ret_set, "attach", fmod_ret_tests);
