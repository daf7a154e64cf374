// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The agent killed (issue 11): `warden run` gets SIGKILL at random moments,
 * during start-up (loading, attaching) and in steady state (streaming), and
 * is started again each time, appending to the same output file.
 *
 * Nothing left behind: the BPF links the dead agent held (read from its
 * /proc/PID/fdinfo, the process stopped with SIGSTOP at the random moment
 * and then killed) are gone, and at the end its programs too; no tracefs
 * entry or clsact marker names a dead agent once the next one has started
 * (its start-up sweep, agent/engine.c); the test's own fds are as before.
 *
 * No duplicate events, defined as: a restarted agent does not write again
 * what its predecessor wrote.  An exec made before the kill appears at most
 * once in the file (the predecessor wrote it, or it was lost with the
 * process: a SIGKILL may lose what was not yet written); an exec made once
 * the restarted agent is attached appears exactly once.  Every line of the
 * file is a JSON object (checked with jq where installed), except a line a
 * SIGKILL cut in the middle of a write, which must end where the next
 * agent's first line starts on a line of its own.
 *
 * WARDEN_AGENT_CRASH_CYCLES (default 12) and WARDEN_AGENT_CRASH_BUDGET
 * (seconds, default 60: a slow guest stops early, after 4 at least, saying
 * so) size the run.  Group "crash" with tests/test_crash.c: the agent group
 * is already near its time limit in the guests.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "host/tracefs.h"
#include "warden/bpf.h"
#include "warden/link.h"

#define MAX_IDS 4096

struct ids { uint32_t v[MAX_IDS]; size_t n; };

struct agent_run {
	char dir[128], out[160], err[160];
	pid_t pid;
	double started;
};

/* The whole of a file, malloc'd ("" when absent). */
static char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	ssize_t r;
	assert_non_null(buf);
	while (fd >= 0 && (r = read(fd, buf + n, cap - n - 1)) > 0) {
		n += (size_t)r;
		if (cap - n < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	if (fd >= 0)
		close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* ---- the agent --------------------------------------------------------------- */

static const char *obj_dir(char *buf, size_t size)
{
	snprintf(buf, size, "%s", wd_test_obj("agent.o"));
	char *slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(buf, size, ".");
	return buf;
}

/* The agent a failing test would leave running: its teardown kills it. */
static struct agent_run *running;

static int kill_running_agent(void **state)
{
	(void)state;
	if (running && running->pid > 0) {
		kill(running->pid, SIGKILL);
		waitpid(running->pid, NULL, 0);
		running->pid = 0;
	}
	running = NULL;
	return 0;
}

/* `warden run` for exec events of this test's process tree, appending JSON
 * lines to r->out; its stderr (the "attached in" line) in r->err. */
static void agent_start(struct agent_run *r)
{
	char bpfdir[256], tree[32];
	int fd = open(r->err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	obj_dir(bpfdir, sizeof(bpfdir));
	snprintf(tree, sizeof(tree), "%d", getpid());
	fflush(stdout);
	r->started = wd_test_now_s();
	r->pid = fork();
	assert_true(r->pid >= 0);
	running = r;
	if (!r->pid) {
		const char *argv[] = { "warden", "run", "--bpf-dir", bpfdir, "--kinds", "exec",
				       "--output", r->out, "--pid-tree", tree, "--latency-ms", "20",
				       "--stats-interval", "0", "--stats-file", "none", NULL };
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(fd, 2);
		execv(wd_test_cli(), (char *const *)argv);
		_exit(127);
	}
	close(fd);
}

static bool agent_attached(const struct agent_run *r)
{
	char *err = slurp(r->err, NULL);
	bool yes = strstr(err, "attached in") != NULL;
	free(err);
	return yes;
}

/* Wait for "attached in"; fails when the agent exits or takes over 120 s. */
static double agent_wait_attached(struct agent_run *r)
{
	int status;
	while (!agent_attached(r)) {
		if (waitpid(r->pid, &status, WNOHANG) == r->pid) {
			char *err = slurp(r->err, NULL);
			r->pid = 0;
			fail_msg("warden run exited (status 0x%x) before attaching:\n%s", status, err);
		}
		if (wd_test_now_s() - r->started > 120)
			fail_msg("warden run not attached after 120 s");
		wd_test_sleep_s(0.005);
	}
	return wd_test_now_s() - r->started;
}

/* The BPF link and program ids among a process's fds. */
static void held_ids(pid_t pid, struct ids *links, struct ids *progs)
{
	char path[64], file[128], line[256];
	struct dirent *e;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo", pid);
	DIR *d = opendir(path);
	while (d && (e = readdir(d))) {
		FILE *f;
		uint32_t id;
		if (e->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
		if (!(f = fopen(file, "re")))
			continue;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "link_id: %u", &id) == 1 && links->n < MAX_IDS)
				links->v[links->n++] = id;
			else if (sscanf(line, "prog_id: %u", &id) == 1 && progs->n < MAX_IDS)
				progs->v[progs->n++] = id;
		}
		fclose(f);
	}
	if (d)
		closedir(d);
}

/* SIGKILL at this moment: stopped first, so that what it holds can be read. */
static void agent_kill(struct agent_run *r, struct ids *links, struct ids *progs)
{
	int status;
	kill(r->pid, SIGSTOP);
	assert_int_equal(waitpid(r->pid, &status, WUNTRACED), r->pid);
	if (WIFSTOPPED(status)) {
		held_ids(r->pid, links, progs);
		kill(r->pid, SIGKILL);
		assert_int_equal(waitpid(r->pid, &status, 0), r->pid);
	}
	if (!WIFSIGNALED(status)) {
		char *err = slurp(r->err, NULL);
		fail_msg("warden run exited by itself (status 0x%x) before the kill:\n%s", status, err);
	}
	r->pid = 0;
}

static int agent_stop(struct agent_run *r)
{
	int status = 0;
	if (r->pid <= 0)
		return 0;
	kill(r->pid, SIGTERM);
	waitpid(r->pid, &status, 0);
	r->pid = 0;
	return status;
}

/* ---- what may be left ------------------------------------------------------ */

static int ids_alive(const struct ids *ids, int cmd)
{
	int n = 0;
	for (size_t i = 0; i < ids->n; i++) {
		int fd = wd_sys_get_fd_by_id(cmd, ids->v[i]);
		if (fd >= 0) {
			close(fd);
			n++;
		}
	}
	return n;
}

static bool gone_within(const struct ids *ids, int cmd, double timeout_s)
{
	double end = wd_test_now_s() + timeout_s;
	while (ids_alive(ids, cmd) && wd_test_now_s() < end)
		wd_test_sleep_s(0.05);
	return ids_alive(ids, cmd) == 0;
}

/* tracefs entries and clsact markers naming pid. */
static int entries_of(pid_t pid)
{
	static const char *const files[] = { "uprobe_events", "kprobe_events" };
	char tag[64];
	const char *dir;
	int n = 0;
	snprintf(tag, sizeof(tag), "warden/warden_%d_", pid);
	if (wd_tracefs_dir(&dir) == 0)
		for (size_t f = 0; f < 2; f++) {
			char *text = wd_tracefs_read(dir, files[f]);
			for (char *p = text; p && (p = strstr(p, tag)); p++)
				n++;
			free(text);
		}
	DIR *d = opendir("/run/warden/clsact");
	struct dirent *e;
	unsigned long long ns;
	int ifindex, owner;
	while (d && (e = readdir(d)))
		n += sscanf(e->d_name, "%llu_%d_%d", &ns, &ifindex, &owner) == 3 && owner == pid;
	if (d)
		closedir(d);
	return n;
}

/* ---- events ----------------------------------------------------------------- */

/* exec /bin/true MARKER from this process tree. */
static void exec_marker(const char *marker)
{
	const char *bin = access("/bin/true", X_OK) == 0 ? "/bin/true" : "/usr/bin/true";
	int status;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		execl(bin, "true", marker, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Lines of the output holding "MARKER" (an argument of an exec event). */
static int lines_with(const char *path, const char *marker)
{
	char quoted[96], *text = slurp(path, NULL), *line, *save = NULL;
	int n = 0;
	snprintf(quoted, sizeof(quoted), "\"%s\"", marker);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		n += strstr(line, quoted) != NULL;
	free(text);
	return n;
}

static int wait_lines_with(const char *path, const char *marker, double timeout_s)
{
	double end = wd_test_now_s() + timeout_s;
	int n;
	while ((n = lines_with(path, marker)) == 0 && wd_test_now_s() < end)
		wd_test_sleep_s(0.02);
	return n;
}

/* Every line is a JSON object for jq, but those starting at `torn` offsets. */
static void check_lines(const char *path, const size_t *torn, size_t ntorn, size_t *checked)
{
	size_t len, off = 0;
	char *text = slurp(path, &len), tmp[200], cmd[512], *out = NULL;
	FILE *f;
	snprintf(tmp, sizeof(tmp), "%s.whole", path);
	f = fopen(tmp, "we");
	assert_non_null(f);
	*checked = 0;
	while (off < len) {
		char *nl = memchr(text + off, '\n', len - off);
		size_t end = nl ? (size_t)(nl - text) + 1 : len;
		bool cut = false;
		for (size_t i = 0; i < ntorn; i++)
			cut = cut || torn[i] == off;
		if (!nl)
			fail_msg("the output ends without a newline at offset %zu", off);
		if (!cut) {
			if (text[off] != '{')
				fail_msg("line at offset %zu is not a JSON object: %.*s", off,
					 (int)(end - off > 200 ? 200 : end - off), text + off);
			fwrite(text + off, 1, end - off, f);
			++*checked;
		}
		off = end;
	}
	fclose(f);
	free(text);
	if (wd_test_run("command -v jq >/dev/null", NULL) == 0) {
		snprintf(cmd, sizeof(cmd), "jq -c 'type' '%s' | sort | uniq -c", tmp);
		int rc = wd_test_run(cmd, &out);
		printf("# jq over %zu lines: %s", *checked, out ? out : "\n");
		/* one line of `uniq -c`: "N "object"" */
		if (rc || !out || !strstr(out, "\"object\"") || strchr(out, '\n') != out + strlen(out) - 1)
			fail_msg("jq: not every line is a JSON object (exit %d): %s", rc, out ? out : "");
		free(out);
	}
	unlink(tmp);
}

/* ---- the test ------------------------------------------------------------- */

static void agent_sigkill_restart_leaves_nothing_and_no_duplicates(void **state)
{
	(void)state;
	long cycles = wd_test_env_long("WARDEN_AGENT_CRASH_CYCLES", 12);
	long budget = wd_test_env_long("WARDEN_AGENT_CRASH_BUDGET", 60);
	unsigned int seed = (unsigned int)wd_test_env_long("WARDEN_AGENT_CRASH_SEED", (long)time(NULL) ^ getpid());
	struct ids *progs = calloc(1, sizeof(*progs));
	struct agent_run r = { 0 };
	size_t torn[64], ntorn = 0, checked;
	double t0, t_attach, attach_sum = 0;
	long done, steady = 0, lost = 0;
	int fds;
	char marker[96];

	if (access(wd_test_obj("agent.o"), R_OK) || access(wd_test_cli(), X_OK))
		WD_SKIP("no agent.o or warden binary (%s, %s)", wd_test_obj("agent.o"), wd_test_cli());
	assert_non_null(progs);
	snprintf(r.dir, sizeof(r.dir), "/tmp/warden-agent-crash-XXXXXX");
	assert_non_null(mkdtemp(r.dir));
	snprintf(r.out, sizeof(r.out), "%s/events.json", r.dir);
	snprintf(r.err, sizeof(r.err), "%s/stderr", r.dir);
	srand(seed);
	fds = wd_test_fd_count(0);

	/* how long a start takes here, for the start-up kills */
	agent_start(&r);
	t_attach = agent_wait_attached(&r);
	printf("# warden run attached in %.0f ms; seed %u\n", t_attach * 1e3, seed);
	t0 = wd_test_now_s();
	for (done = 0; done < cycles; done++) {
		struct ids links = { .n = 0 };
		bool in_steady = done % 2 == 1;   /* the agent that is running is attached */
		pid_t dead;
		size_t len;
		char *text;
		if (wd_test_now_s() - t0 > (double)budget && done >= 4) {
			printf("# time budget of %ld s reached after %ld cycles\n", budget, done);
			break;
		}
		if (!in_steady) {
			/* a fresh start, killed while it loads and attaches */
			assert_int_equal(agent_stop(&r) & 0x7f, 0);
			agent_start(&r);
			wd_test_sleep_s(t_attach * rand() / (double)RAND_MAX);
		} else {
			snprintf(marker, sizeof(marker), "wdcrash-%d-%ld-before", getpid(), done);
			exec_marker(marker);
			wd_test_sleep_s(0.3 * rand() / (double)RAND_MAX);
		}
		steady += agent_attached(&r);
		dead = r.pid;
		agent_kill(&r, &links, progs);
		text = slurp(r.out, &len);
		if (len && text[len - 1] != '\n' && ntorn < 64) {
			/* the kill cut a write: the fragment ends where the next agent starts */
			char *nl = memrchr(text, '\n', len);
			torn[ntorn++] = nl ? (size_t)(nl - text) + 1 : 0;
		}
		free(text);
		/* the next start works, and sweeps what the dead one left */
		agent_start(&r);
		double t = agent_wait_attached(&r);
		attach_sum += t;
		/* the first start can be much slower (a cold kernel BTF): the start-up
		 * kills aim at what a start takes now */
		t_attach = t < t_attach ? t : t_attach;
		if (!gone_within(&links, BPF_LINK_GET_FD_BY_ID, 10))
			fail_msg("cycle %ld: %d of the %zu links the killed agent (pid %d) held are "
				 "still there", done, ids_alive(&links, BPF_LINK_GET_FD_BY_ID), links.n, dead);
		assert_int_equal(entries_of(dead), 0);
		snprintf(marker, sizeof(marker), "wdcrash-%d-%ld-after", getpid(), done);
		exec_marker(marker);
		if (wait_lines_with(r.out, marker, 10) != 1 || (wd_test_sleep_s(0.2), lines_with(r.out, marker)) != 1)
			fail_msg("cycle %ld: the exec made after the restart is in the output %d times, "
				 "not once", done, lines_with(r.out, marker));
		if (in_steady) {
			snprintf(marker, sizeof(marker), "wdcrash-%d-%ld-before", getpid(), done);
			int n = lines_with(r.out, marker);
			if (n > 1)
				fail_msg("cycle %ld: the exec made before the kill is in the output %d "
					 "times", done, n);
			lost += n == 0;
		}
	}
	assert_int_equal(agent_stop(&r) & 0x7f, 0);
	printf("# %ld SIGKILLs in %.1f s (%ld once attached, %ld during start-up), restarts "
	       "attached in %.0f ms on average; links of the killed agents gone, no trace "
	       "entry or marker left; execs before a kill lost with it: %ld of %ld; writes cut "
	       "by a kill: %zu\n", done, wd_test_now_s() - t0, steady, done - steady,
	       attach_sum / (double)(done ? done : 1) * 1e3, lost, done / 2, ntorn);
	check_lines(r.out, torn, ntorn, &checked);
	/* the programs go once the kernel has let go of them (RCU, workqueues) */
	if (!gone_within(progs, BPF_PROG_GET_FD_BY_ID, 120))
		fail_msg("%d programs of the killed agents are still loaded after 120 s",
			 ids_alive(progs, BPF_PROG_GET_FD_BY_ID));
	assert_int_equal(wd_test_fd_count(0), fds);
	unlink(r.out);
	unlink(r.err);
	rmdir(r.dir);
	free(progs);
}

/* A write cut by SIGKILL leaves a line without its end; the next agent
 * appending to the file starts on a line of its own, so that only the cut
 * line is lost, never the first event of the new run. */
static void agent_output_starts_on_a_new_line_after_a_cut_write(void **state)
{
	(void)state;
	char dir[] = "/tmp/warden-agent-cut-XXXXXX", out[96], err[96], marker[64];
	struct agent_run r = { 0 };
	char *text;
	int fd;
	if (access(wd_test_obj("agent.o"), R_OK) || access(wd_test_cli(), X_OK))
		WD_SKIP("no agent.o or warden binary");
	assert_non_null(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/events.json", dir);
	snprintf(err, sizeof(err), "%s/stderr", dir);
	snprintf(r.out, sizeof(r.out), "%s", out);
	snprintf(r.err, sizeof(r.err), "%s", err);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"@timestamp\":\"2026-", 20), 20);
	close(fd);
	agent_start(&r);
	agent_wait_attached(&r);
	snprintf(marker, sizeof(marker), "wdcut-%d", getpid());
	exec_marker(marker);
	assert_int_equal(wait_lines_with(out, marker, 10), 1);
	assert_int_equal(agent_stop(&r) & 0x7f, 0);
	text = slurp(out, NULL);
	/* the fragment alone on its line, the next line a whole event */
	if (strncmp(text, "{\"@timestamp\":\"2026-\n{", 22))
		fail_msg("the fragment and the new run's first line share a line: %.120s", text);
	free(text);
	unlink(out);
	unlink(err);
	rmdir(dir);
}

static const struct CMUnitTest agent_crash_tests[] = {
	cmocka_unit_test_teardown(agent_sigkill_restart_leaves_nothing_and_no_duplicates,
				  kill_running_agent),
	cmocka_unit_test_teardown(agent_output_starts_on_a_new_line_after_a_cut_write,
				  kill_running_agent),
};

WD_TEST_SET(agent_crash_set, "crash", agent_crash_tests);
