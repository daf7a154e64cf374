// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The legacy object (bpf/agent_legacy.bpf.c, kernels without BTF, played
 * here by WARDEN_EMULATE=rhel7) sends argv through a chain of tail calls:
 * each program stays under the 4096 instructions of pre-5.2 verifiers.
 * End to end through `warden run`: 100 KiB of argv come out whole with no
 * failed tail call; 200 KiB come out cut at 128 KiB, flagged, with the true
 * length.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>
#include "harness.h"
#include "agent_cli.h"

/* /bin/true with `n` arguments of 999 bytes: 9 + n * 1000 bytes of argv. */
static void exec_true(size_t n)
{
	char **argv = calloc(n + 2, sizeof(*argv));
	int status;

	assert_non_null(argv);
	argv[0] = "/bin/true";
	for (size_t i = 1; i <= n; i++) {
		argv[i] = malloc(1000);
		assert_non_null(argv[i]);
		memset(argv[i], 'a' + (int)(i % 26), 999);
		argv[i][999] = '\0';
	}
	pid_t p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		execv("/bin/true", argv);
		_exit(127);
	}
	assert_int_equal(waitpid(p, &status, 0), p);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (size_t i = 1; i <= n; i++)
		free(argv[i]);
	free(argv);
}

static void skip_unless_legacy_agent(void)
{
	if (geteuid() != 0)
		WD_SKIP("needs root (BPF)");
	if (access(wd_test_cli(), X_OK) || access(wd_test_obj("agent_legacy.o"), R_OK))
		WD_SKIP("%s or %s not built", wd_test_cli(), wd_test_obj("agent_legacy.o"));
}

/* The n-th argument of exec_true() as it appears in JSON, quoted. */
static char *quoted_arg(size_t n)
{
	char *q = malloc(1002);

	assert_non_null(q);
	q[0] = '"';
	memset(q + 1, 'a' + (int)(n % 26), 999);
	q[1000] = '"';
	q[1001] = '\0';
	return q;
}

static void start_legacy(struct agent_cli *r)
{
	agent_cli_init(r);
	agent_cli_start(r, "rhel7", "--kinds", "exec", "--comm", "true", "--duration", "120", NULL);
}

static void legacy_argv_100k_whole_through_tail_calls(void **state)
{
	struct agent_cli r;
	char *line, *last = quoted_arg(100);
	(void)state;

	skip_unless_legacy_agent();
	start_legacy(&r);
	exec_true(100);
	/* the last argument is 97 KiB in: four programs' worth of chunks */
	line = agent_cli_line(&r, "\"/bin/true\"", last, NULL);
	if (!line)
		fail_msg("no exec of /bin/true with its 100th argument in %s", r.out);
	if (strstr(line, "\"truncated\""))
		fail_msg("100 KiB of argv flagged truncated:\n%.600s", line);
	free(line);
	free(last);
	agent_cli_stop(&r, "tail calls failed 0");
	agent_cli_done(&r);
}

static void legacy_argv_200k_cut_at_128k_and_flagged(void **state)
{
	struct agent_cli r;
	char *line;
	(void)state;

	skip_unless_legacy_agent();
	start_legacy(&r);
	exec_true(200);
	line = agent_cli_line(&r, "\"/bin/true\"", "\"process_args\":200009", NULL);
	if (!line || !strstr(line, "\"truncated\":[\"process_args\"]"))
		fail_msg("200 KiB of argv not flagged truncated with its true length:\n%.600s",
			 line ? line : "(no line)");
	free(line);
	agent_cli_stop(&r, "tail calls failed 0");
	agent_cli_done(&r);
}

static const struct CMUnitTest agent_legacy_tests[] = {
	cmocka_unit_test(legacy_argv_100k_whole_through_tail_calls),
	cmocka_unit_test(legacy_argv_200k_cut_at_128k_and_flagged),
};

WD_TEST_SET(agent_legacy_set, "agent", agent_legacy_tests);
