// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden inspect`, as a new user reads it: calls name their target, no
 * empty headings, --btf only with --resolve, a file that is not BTF says so. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

static char *inspect(const char *args, int want_rc)
{
	char cmd[1024], *out = NULL;
	snprintf(cmd, sizeof(cmd), "%s inspect %s", wd_test_cli(), args);
	int rc = wd_test_run(cmd, &out);
	if (rc != want_rc)
		fail_msg("'%s' exited %d, not %d:\n%s", cmd, rc, want_rc, out ? out : "");
	return out;
}

static void inspect_calls_name_their_target(void **state)
{
	char args[512];
	(void)state;
	snprintf(args, sizeof(args), "%s", wd_test_obj("calls.o"));
	char *out = inspect(args, 0);
	assert_non_null(strstr(out, "call   twice"));
	assert_non_null(strstr(out, "call   add"));
	assert_non_null(strstr(out, "func   loop_cb"));
	assert_null(strstr(out, "call   \n"));
	free(out);
}

static void inspect_prints_no_empty_heading(void **state)
{
	char args[512];
	(void)state;
	snprintf(args, sizeof(args), "%s", wd_test_obj("minimal.o"));   /* no maps, no relocations */
	char *out = inspect(args, 0);
	assert_null(strstr(out, "maps:\n"));
	assert_null(strstr(out, "relocations:\n"));
	assert_non_null(strstr(out, "programs:\n"));
	free(out);
}

static void inspect_btf_needs_resolve(void **state)
{
	char args[512];
	(void)state;
	snprintf(args, sizeof(args), "--btf /etc/passwd %s", wd_test_obj("calls.o"));
	char *out = inspect(args, 2);
	assert_non_null(strstr(out, "--resolve"));
	free(out);
}

static void inspect_says_a_text_file_is_not_btf(void **state)
{
	char args[512], text[] = "/tmp/wd-not-btf-XXXXXX";
	int fd = mkstemp(text);
	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "root:x:0:0:root:/root:/bin/sh\n", 30), 30);
	close(fd);
	snprintf(args, sizeof(args), "--resolve --btf %s %s", text, wd_test_obj("core_fields.o"));
	char *out = inspect(args, 1);
	unlink(text);
	assert_non_null(strstr(out, "not BTF"));
	assert_null(strstr(out, "big-endian"));
	assert_null(strstr(out, "CO-RE: CO-RE"));
	free(out);
}

static const struct CMUnitTest inspect_tests[] = {
	cmocka_unit_test(inspect_calls_name_their_target),
	cmocka_unit_test(inspect_prints_no_empty_heading),
	cmocka_unit_test(inspect_btf_needs_resolve),
	cmocka_unit_test(inspect_says_a_text_file_is_not_btf),
};
WD_TEST_SET(inspect_set, "loader", inspect_tests);
