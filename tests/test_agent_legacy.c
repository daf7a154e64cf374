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

struct legacy_run {
	char dir[64], out[128], stats[128], err[128];
	pid_t agent;
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (f && getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	return buf;
}

static void start(struct legacy_run *r)
{
	char bpf_dir[256];

	snprintf(r->dir, sizeof(r->dir), "/tmp/warden-legacy.XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	snprintf(r->out, sizeof(r->out), "%s/events.json", r->dir);
	snprintf(r->stats, sizeof(r->stats), "%s/stats.json", r->dir);
	snprintf(r->err, sizeof(r->err), "%s/stderr.txt", r->dir);
	snprintf(bpf_dir, sizeof(bpf_dir), "%s", wd_test_obj("agent_legacy.o"));
	*strrchr(bpf_dir, '/') = '\0';
	r->agent = fork();
	assert_true(r->agent >= 0);
	if (r->agent == 0) {
		int fd = open(r->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 1);
		dup2(fd, 2);
		setenv("WARDEN_EMULATE", "rhel7", 1);
		execl(wd_test_cli(), wd_test_cli(), "run", "--config", "/dev/null", "--kinds", "exec",
		      "--comm", "true", "--output", r->out, "--stats-interval", "0", "--stats-file",
		      r->stats, "--duration", "120", "--bpf-dir", bpf_dir, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 1200 && access(r->stats, R_OK); i++) {
		if (waitpid(r->agent, NULL, WNOHANG) == r->agent) {
			char *e = slurp(r->err);
			fail_msg("warden run (rhel7) exited early: %s", e ? e : "");
		}
		usleep(50 * 1000);
	}
	if (access(r->stats, R_OK))
		fail_msg("warden run (rhel7) never got ready");
}

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

/* The output line of an exec of /bin/true that holds `marker`, or fail. */
static char *exec_line(struct legacy_run *r, const char *marker)
{
	char *text = NULL, *line = NULL;

	for (int i = 0; i < 100 && !line; i++) {
		free(text);
		text = slurp(r->out);
		for (char *l = text; l && *l && !line; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
			size_t n = strcspn(l, "\n");
			char *one = strndup(l, n);
			if (one && strstr(one, "\"/bin/true\"") && strstr(one, marker))
				line = one;
			else
				free(one);
		}
		if (!line)
			usleep(100 * 1000);
	}
	if (!line)
		fail_msg("no exec of /bin/true with '%.60s' in %s:\n%.2000s", marker, r->out,
			 text ? text : "");
	free(text);
	return line;
}

static void stop(struct legacy_run *r, const char *want_summary)
{
	char cmd[128], *err;
	int status;

	kill(r->agent, SIGINT);
	assert_int_equal(waitpid(r->agent, &status, 0), r->agent);
	err = slurp(r->err);
	if (!WIFEXITED(status) || WEXITSTATUS(status) || !err || !strstr(err, want_summary))
		fail_msg("warden run (rhel7) status 0x%x, want '%s' in:\n%s", status, want_summary,
			 err ? err : "");
	free(err);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", r->dir);
	assert_int_equal(system(cmd), 0);
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

static void legacy_argv_100k_whole_through_tail_calls(void **state)
{
	struct legacy_run r;
	char *line, *last = quoted_arg(100);
	(void)state;

	skip_unless_legacy_agent();
	start(&r);
	exec_true(100);
	/* the last argument is 97 KiB in: four programs' worth of chunks */
	line = exec_line(&r, last);
	if (strstr(line, "\"truncated\""))
		fail_msg("100 KiB of argv flagged truncated:\n%.600s", line);
	free(line);
	free(last);
	stop(&r, "tail calls failed 0");
}

static void legacy_argv_200k_cut_at_128k_and_flagged(void **state)
{
	struct legacy_run r;
	char *line;
	(void)state;

	skip_unless_legacy_agent();
	start(&r);
	exec_true(200);
	line = exec_line(&r, "\"process_args\":200009");
	if (!strstr(line, "\"truncated\":[\"process_args\"]"))
		fail_msg("200 KiB of argv not flagged truncated:\n%.600s", line);
	free(line);
	stop(&r, "tail calls failed 0");
}

static const struct CMUnitTest agent_legacy_tests[] = {
	cmocka_unit_test(legacy_argv_100k_whole_through_tail_calls),
	cmocka_unit_test(legacy_argv_200k_cut_at_128k_and_flagged),
};

WD_TEST_SET(agent_legacy_set, "agent", agent_legacy_tests);
