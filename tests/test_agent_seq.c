// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * event.sequence across agent restarts within one boot: a restarted agent
 * numbers above its predecessor, so (host, boot, sequence) stays unique
 * (the fleet table deduplicates on it: a restart that began again at 1
 * would have replaced the first run's events there).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "harness.h"
#include "agent_cli.h"
#include "agent/decode.h"

static void seq_base_grows_with_the_boot_clock(void **state)
{
	(void)state;
	assert_int_equal(wd_decoder_seq_base(0), 0);
	assert_int_equal(wd_decoder_seq_base(999999), 0);
	assert_int_equal(wd_decoder_seq_base(1000000), 1ull << WD_SEQ_RUN_SHIFT);
	/* a run started 1 ms later is 2^24 events ahead; a year of uptime
	 * still leaves room below 2^64 */
	assert_true(wd_decoder_seq_base(2000000) - wd_decoder_seq_base(1000000) == 1ull << 24);
	assert_true(wd_decoder_seq_base(366ll * 86400 * 1000000000) < UINT64_MAX / 16);
}

static void run_true(const char *marker)
{
	pid_t p = fork();
	int status;

	assert_true(p >= 0);
	if (p == 0) {
		execl("/bin/true", "/bin/true", marker, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(p, &status, 0), p);
}

/* One run of the agent appending to r->out: execs /bin/true MARKER and
 * waits for its line. */
static void one_run(struct agent_cli *r, const char *marker)
{
	char want[64], *line;

	agent_cli_start(r, NULL, "--kinds", "exec", "--comm", "true", "--duration", "120", NULL);
	run_true(marker);
	snprintf(want, sizeof(want), "\"%s\"", marker);
	line = agent_cli_line(r, "\"/bin/true\"", want, NULL);
	if (!line)
		fail_msg("no exec of /bin/true %s in %s", marker, r->out);
	free(line);
	agent_cli_stop(r, NULL);
}

/* Every "sequence":N of the file, in file order. */
static size_t sequences(const char *text, uint64_t *out, size_t max)
{
	size_t n = 0;

	for (const char *p = text; p && n < max && (p = strstr(p, "\"sequence\":")); p++)
		out[n++] = strtoull(p + strlen("\"sequence\":"), NULL, 10);
	return n;
}

static void restart_numbers_above_the_last_run(void **state)
{
	struct agent_cli r;
	uint64_t seq[4096];
	char *text;
	size_t n, first_run;
	(void)state;

	if (geteuid() != 0)
		WD_SKIP("needs root (BPF)");
	if (access(wd_test_cli(), X_OK) || access(wd_test_obj("agent.o"), R_OK))
		WD_SKIP("%s or %s not built", wd_test_cli(), wd_test_obj("agent.o"));
	agent_cli_init(&r);
	one_run(&r, "seq-run-1");
	text = agent_cli_slurp(r.out);
	first_run = sequences(text, seq, 4096);
	free(text);
	one_run(&r, "seq-run-2");
	text = agent_cli_slurp(r.out);
	n = sequences(text, seq, 4096);
	if (first_run == 0 || n <= first_run)
		fail_msg("runs wrote %zu then %zu sequence numbers:\n%.2000s", first_run, n - first_run,
			 text ? text : "");
	for (size_t i = 1; i < n; i++)
		if (seq[i] <= seq[i - 1])
			fail_msg("sequence %" PRIu64 " after %" PRIu64 " (line %zu of %zu; the second run "
				 "starts at line %zu)", seq[i], seq[i - 1], i + 1, n, first_run + 1);
	free(text);
	agent_cli_done(&r);
}

static const struct CMUnitTest agent_seq_tests[] = {
	cmocka_unit_test(seq_base_grows_with_the_boot_clock),
	cmocka_unit_test(restart_numbers_above_the_last_run),
};

WD_TEST_SET(agent_seq_set, "agent", agent_seq_tests);
