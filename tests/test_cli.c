// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The command line, as a new user meets it: `warden help`, one error line
 * for a bad option (exit 2), -j for --json, typed doctor JSON. */
#include <stdlib.h>
#include <string.h>
#include "harness.h"

static int run(const char *args, char **out)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "%s %s", wd_test_cli(), args);
	return wd_test_run(cmd, out);
}

static int lines(const char *s)
{
	int n = 0;
	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

static void help_command_is_the_command_help(void **state)
{
	char *a = NULL, *b = NULL;
	(void)state;
	assert_int_equal(run("help load", &a), 0);
	assert_int_equal(run("load --help", &b), 0);
	assert_string_equal(a, b);
	free(a);
	free(b);
	assert_int_equal(run("help", &a), 0);
	assert_non_null(strstr(a, "commands:"));
	free(a);
	assert_int_equal(run("help nosuch", &a), 2);
	free(a);
	assert_int_equal(run("--version", &a), 0);
	assert_non_null(strstr(a, "warden "));
	free(a);
}

/* getopt's own message and ours made two lines before */
static void a_bad_option_is_one_line_and_exit_2(void **state)
{
	static const char *const cmds[] = { "load --bogus x.o", "verify --bogus x.o", "doctor --bogus",
					    "cleanup --bogus", "trace-exec --bogus", "inspect --bogus x.o" };
	(void)state;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char *out = NULL;
		int rc = run(cmds[i], &out);
		if (rc != 2 || lines(out) != 1)
			fail_msg("'warden %s': exit %d, %d lines:\n%s", cmds[i], rc, lines(out), out);
		free(out);
	}
}

static void doctor_json_is_typed(void **state)
{
	char *out = NULL;
	(void)state;
	assert_int_equal(run("doctor -j", &out) & ~1, 0);
	assert_non_null(strstr(out, "\"checks\":["));
	/* yes/no checks are booleans, with the words kept in "text" */
	assert_non_null(strstr(out, "\"name\":\"CAP_BPF\""));
	assert_true(strstr(out, "\"value\":true,\"text\":\"yes\"") ||
		    strstr(out, "\"value\":false,\"text\":\"no\""));
	assert_null(strstr(out, "\"value\":\"yes\""));
	free(out);
	/* and python's parser agrees, where there is one */
	assert_int_equal(run("doctor -j | { command -v python3 >/dev/null || exit 0; python3 -c "
			     "'import json,sys; d=json.load(sys.stdin); assert all(\"ok\" in c "
			     "for c in d[\"checks\"])'; }", &out), 0);
	free(out);
}

static const struct CMUnitTest cli_tests[] = {
	cmocka_unit_test(help_command_is_the_command_help),
	cmocka_unit_test(a_bad_option_is_one_line_and_exit_2),
	cmocka_unit_test(doctor_json_is_typed),
};
WD_TEST_SET(cli_set, "doctor", cli_tests);
