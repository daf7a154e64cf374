// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* warden trace-exec: the agent's exec tracer from the command line.  Each
 * test starts it filtered to the test's own shell (--pid), waits for its
 * "attached" line, runs real execs and stops it with SIGINT. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"

static void skip_unless_tracer(void)
{
	if (geteuid() != 0)
		WD_SKIP("needs root");
	if (access(wd_test_obj("agent.o"), R_OK))
		WD_SKIP("no %s", wd_test_obj("agent.o"));
	if (wd_test_emulating())
		WD_SKIP("emulating an old kernel: libwarden only, the CLI runs on the real one");
}

static const char *obj_dir(void)
{
	const char *d = getenv("WARDEN_OBJ_DIR");
	return d && *d ? d : "build/bpf";
}

/* `warden trace-exec --pid $$ ARGS` in the background; once attached (or
 * after 60 s), WORKLOAD in the same shell; then SIGINT.  Exit status of
 * trace-exec; its stdout and stderr in *out. */
static int trace_around(const char *args, const char *workload, char **out)
{
	char *cmd;
	int st;

	assert_true(asprintf(&cmd,
			     "log=$(mktemp /tmp/wd-trace.XXXXXX) || exit 99; "
			     "WARDEN_BPF_DIR=%s %s trace-exec --pid $$ %s >$log 2>&1 & tr=$!; "
			     "i=0; while [ $i -lt 600 ] && kill -0 $tr 2>/dev/null && "
			     "! grep -q 'trace-exec: attached' $log; do sleep 0.1; i=$((i+1)); done; "
			     "%s; "
			     "sleep 0.5; kill -INT $tr 2>/dev/null; wait $tr; st=$?; cat $log; rm -f $log; "
			     "exit $st",
			     obj_dir(), wd_test_cli(), args, workload) > 0);
	st = wd_test_run(cmd, out);
	free(cmd);
	if (st)
		printf("trace-exec %s: exit %d\n%s", args, st, *out);
	return st;
}

/* The line of *out holding `needle`, or NULL (a copy, to free). */
static char *line_with(const char *out, const char *needle)
{
	const char *p = strstr(out, needle), *b, *e;

	if (!p)
		return NULL;
	for (b = p; b > out && b[-1] != '\n'; b--)
		;
	e = strchr(p, '\n');
	return strndup(b, e ? (size_t)(e - b) : strlen(b));
}

static void trace_exec_shows_argv_of_a_real_exec(void **state)
{
	char work[256], want[128], *out = NULL, *line;
	(void)state;
	skip_unless_tracer();
	snprintf(work, sizeof(work), "/bin/true wd-argv-%d 'two words' x", getpid());
	assert_int_equal(trace_around("", work, &out), 0);
	snprintf(want, sizeof(want), " /bin/true wd-argv-%d two words x", getpid());
	line = line_with(out, want);
	if (!line)
		fail_msg("no exec line with '%s':\n%s", want, out);
	/* comm, uid and gid of this (root) test, return code 0 */
	assert_non_null(strstr(line, " true /bin/true"));
	assert_non_null(strstr(line, "     0     0    0 "));
	free(line);
	assert_non_null(strstr(out, " exec events, 0 lost ("));
	free(out);

	/* and as the agent's ECS JSON: argv as a list, ret, uid, gid, cgroup id */
	assert_int_equal(trace_around("--json", work, &out), 0);
	snprintf(want, sizeof(want), "\"args\":[\"/bin/true\",\"wd-argv-%d\",\"two words\",\"x\"]", getpid());
	line = line_with(out, want);
	if (!line)
		fail_msg("no JSON line with '%s':\n%s", want, out);
	assert_non_null(strstr(line, "\"action\":\"exec\""));
	assert_non_null(strstr(line, "\"ret\":0"));
	assert_non_null(strstr(line, "\"user\":{\"id\":\"0\""));
	assert_non_null(strstr(line, "\"group\":{\"id\":\"0\"}"));
	assert_non_null(strstr(line, "\"cgroup_id\":"));
	free(line);
	free(out);
}

/* A script without the x bit. */
static void make_plain_file(const char *path)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\n", 10), 10);
	close(fd);
	assert_int_equal(chmod(path, 0644), 0);
}

/* execve of a file without the x bit: EACCES (fs/exec.c do_open_execat),
 * reported with its return code. */
static void trace_exec_reports_a_failed_exec_with_its_code(void **state)
{
	char path[64], work[128], want[96], *out = NULL, *line;
	(void)state;
	skip_unless_tracer();
	snprintf(path, sizeof(path), "/tmp/wd-noexec-%d", getpid());
	make_plain_file(path);
	snprintf(work, sizeof(work), "%s 2>/dev/null", path);
	int st = trace_around("--json", work, &out);
	unlink(path);
	assert_int_equal(st, 0);
	snprintf(want, sizeof(want), "\"filename\":\"%s\"", path);
	line = line_with(out, want);
	if (!line)
		fail_msg("no failed exec of %s:\n%s", path, out);
	assert_non_null(strstr(line, "\"ret\":-13"));
	assert_non_null(strstr(line, "\"outcome\":\"failure\""));
	free(line);
	free(out);

	/* the text line has the code in its RET column */
	make_plain_file(path);
	st = trace_around("", work, &out);
	unlink(path);
	assert_int_equal(st, 0);
	line = line_with(out, path);
	if (!line)
		fail_msg("no failed exec of %s:\n%s", path, out);
	assert_non_null(strstr(line, "  -13 "));
	free(line);
	free(out);
}

/* --uid keeps the exec of the uid asked for and drops root's, in the same
 * process tree. */
static void trace_exec_uid_filter_keeps_and_drops(void **state)
{
	char work[256], root[64], nobody[64], *out = NULL;
	(void)state;
	skip_unless_tracer();
	/* util-linux's setpriv; busybox's (in the guests) has no --reuid */
	if (wd_test_run("setpriv --reuid=65534 --regid=65534 --clear-groups /bin/true", &out) != 0) {
		free(out);
		WD_SKIP("no setpriv(1) that can exec as another uid (util-linux)");
	}
	free(out);
	snprintf(root, sizeof(root), "wd-uid-root-%d", getpid());
	snprintf(nobody, sizeof(nobody), "wd-uid-nobody-%d", getpid());
	snprintf(work, sizeof(work),
		 "/bin/true %s; setpriv --reuid=65534 --regid=65534 --clear-groups /bin/true %s", root,
		 nobody);
	assert_int_equal(trace_around("--uid 65534", work, &out), 0);
	if (!strstr(out, nobody))
		fail_msg("--uid 65534 dropped the exec as uid 65534:\n%s", out);
	if (strstr(out, root))
		fail_msg("--uid 65534 kept root's exec:\n%s", out);
	free(out);

	/* a user name works as well, and the other way round (setpriv's own
	 * exec is root's and names the marker in its argv: look for the exec
	 * of true by its comm column) */
	assert_int_equal(trace_around("--uid root", work, &out), 0);
	assert_non_null(strstr(out, root));
	snprintf(root, sizeof(root), " true /bin/true %s", nobody);
	if (strstr(out, root))
		fail_msg("--uid root kept uid 65534's exec:\n%s", out);
	free(out);
}

/* --comm compares the name the process has after the exec. */
static void trace_exec_comm_filter_keeps_and_drops(void **state)
{
	char work[256], keep[64], drop[64], *out = NULL;
	(void)state;
	skip_unless_tracer();
	snprintf(keep, sizeof(keep), "wd-comm-keep-%d", getpid());
	snprintf(drop, sizeof(drop), "wd-comm-drop-%d", getpid());
	snprintf(work, sizeof(work), "/bin/true %s; /bin/echo %s >/dev/null", keep, drop);
	assert_int_equal(trace_around("--comm true", work, &out), 0);
	if (!strstr(out, keep))
		fail_msg("--comm true dropped the exec of /bin/true:\n%s", out);
	if (strstr(out, drop))
		fail_msg("--comm true kept the exec of /bin/echo:\n%s", out);
	free(out);
}

/* Without the object: one line naming both ways to point at it, exit 1;
 * bad values: exit 2. */
static void trace_exec_names_object_and_env_when_not_found(void **state)
{
	char cmd[512], *out = NULL;
	(void)state;
	snprintf(cmd, sizeof(cmd), "WARDEN_BPF_DIR=/nonexistent-wd %s trace-exec -d 1", wd_test_cli());
	assert_int_equal(wd_test_run(cmd, &out), 1);
	assert_non_null(strstr(out, "--object"));
	assert_non_null(strstr(out, "WARDEN_BPF_DIR"));
	free(out);
	char text[] = "/tmp/wd-not-an-object-XXXXXX";
	int fd = mkstemp(text);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello\n", 6), 6);
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s trace-exec -d 1 --object %s", wd_test_cli(), text);
	int rc = wd_test_run(cmd, &out);
	unlink(text);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "not the agent's object"));
	free(out);
	static const char *const bad[] = { "--pid 0", "--pid x", "--uid no-such-user-wd", "--duration -1",
					   "--comm 0123456789abcdefg", "--transport nope", "extra" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(cmd, sizeof(cmd), "%s trace-exec %s", wd_test_cli(), bad[i]);
		int st = wd_test_run(cmd, &out);
		if (st != 2)
			fail_msg("'trace-exec %s': exit %d, not 2:\n%s", bad[i], st, out);
		free(out);
	}
}

static const struct CMUnitTest trace_tests[] = {
	cmocka_unit_test(trace_exec_shows_argv_of_a_real_exec),
	cmocka_unit_test(trace_exec_reports_a_failed_exec_with_its_code),
	cmocka_unit_test(trace_exec_uid_filter_keeps_and_drops),
	cmocka_unit_test(trace_exec_comm_filter_keeps_and_drops),
	cmocka_unit_test(trace_exec_names_object_and_env_when_not_found),
};
WD_TEST_SET(trace_set, "agent", trace_tests);
