// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Crash safety (leaked legacy probes after SIGKILL: libbpf #317, cilium/ebpf #284, tracee #447): a child that attached a legacy
 * uprobe, a tracepoint and a pinned map is SIGKILLed; the sweep (library and
 * `warden cleanup`) must leave what a clean run leaves, never touching the
 * entries of a live owner.  Compared by listing uprobe_events, BPF links
 * (BPF_LINK_GET_NEXT_ID) and the bpffs directory.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "attach/attach.h"
#include "host/tracefs.h"
#include "warden/warden.h"
#include "warden/link.h"

int wd_uprobe_target(int x);   /* tests/test_attach_trace.c */

struct world {
	char pin_dir[128];
	char own_dir[160];         /* the test process's pins, apart from the agents' */
	pid_t pids[4];             /* processes whose entries we compare */
	size_t npids;
};

/* ---- listings -------------------------------------------------------------- */

/* uprobe_events lines owned by the world's pids, sorted into one string. */
static char *entries_of(const struct world *w)
{
	const char *dir;
	char *text, *line, *save = NULL, *out = calloc(1, 1);
	size_t len = 0;
	assert_int_equal(wd_tracefs_dir(&dir), 0);
	text = wd_tracefs_read(dir, "uprobe_events");
	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		for (size_t i = 0; i < w->npids; i++) {
			char tag[64];
			snprintf(tag, sizeof(tag), "warden/warden_%d_", w->pids[i]);
			if (strstr(line, tag)) {
				out = realloc(out, len + strlen(line) + 2);
				len += (size_t)sprintf(out + len, "%s\n", line);
			}
		}
	free(text);
	return out;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Programs of attach_crash.o. */
static int is_crash_prog(const char *name)
{
	return !strcmp(name, "crash_up") || !strcmp(name, "crash_tp");
}

/* Links whose program is one of attach_crash.o's. */
static int crash_links(void)
{
	return wd_test_count_links(is_crash_prog);
}

static char *bpffs_listing(const char *dir)
{
	struct dirent **names;
	char *out = calloc(1, 1);
	size_t len = 0;
	int n = scandir(dir, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		out = realloc(out, len + strlen(names[i]->d_name) + 2);
		len += (size_t)sprintf(out + len, "%s\n", names[i]->d_name);
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	return out;
}

/* ---- the agent: loads, attaches, then exits cleanly or waits to be killed -- */

static int agent(const char *pin_dir, int ready_fd, bool crash)
{
	struct wd_load_opts lo = { .sz = sizeof(lo), .pin_dir = pin_dir };
	struct wd_uprobe_opts uo = { .sz = sizeof(uo), .func = "wd_uprobe_target", .pid = -1,
				     .force_legacy = true };
	struct wd_object *obj = wd_object_open(wd_test_obj("attach_crash.o"), NULL);
	if (!obj || wd_object_load(obj, &lo) ||
	    !wd_prog_attach_uprobe(wd_object_prog(obj, "crash_up"), "/proc/self/exe", &uo) ||
	    !wd_prog_attach(wd_object_prog(obj, "crash_tp"))) {
		fprintf(stderr, "agent: %s\n", wd_errmsg());
		return 1;
	}
	if (write(ready_fd, "R", 1) != 1)
		return 1;
	if (crash)
		for (;;)
			pause();
	wd_object_close(obj);
	return 0;
}

/* Runs an agent; a crashing one is SIGKILLed once it has attached. */
static pid_t run_agent(struct world *w, bool crash)
{
	int pfd[2], status;
	char c;
	pid_t pid;
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(pfd[0]);
		_exit(agent(w->pin_dir, pfd[1], crash));
	}
	close(pfd[1]);
	w->pids[w->npids++] = pid;
	assert_int_equal(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	if (crash)
		kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (crash)
		assert_true(WIFSIGNALED(status));
	else
		assert_int_equal(WEXITSTATUS(status), 0);
	return pid;
}

static void world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	assert_true(wd_bpffs_ensure("/sys/fs/bpf") >= 0);
	snprintf(w->pin_dir, sizeof(w->pin_dir), "/sys/fs/bpf/wd-test-cleanup-%d", getpid());
	assert_true(mkdir(w->pin_dir, 0700) == 0 || errno == EEXIST);
	snprintf(w->own_dir, sizeof(w->own_dir), "%s-own", w->pin_dir);
	assert_true(mkdir(w->own_dir, 0700) == 0 || errno == EEXIST);
	w->pids[w->npids++] = getpid();
}

static void world_fini(struct world *w)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/crash_hits", w->pin_dir);
	unlink(path);
	rmdir(w->pin_dir);
	snprintf(path, sizeof(path), "%s/crash_hits", w->own_dir);
	unlink(path);
	rmdir(w->own_dir);
}

/* The test process's own live legacy entry. */
static struct wd_object *live_owner(const struct world *w, struct wd_link **link)
{
	struct wd_load_opts lo = { .sz = sizeof(lo), .pin_dir = w->own_dir };
	struct wd_uprobe_opts uo = { .sz = sizeof(uo), .func = "wd_uprobe_target", .pid = -1,
				     .force_legacy = true };
	struct wd_object *obj = wd_object_open(wd_test_obj("attach_crash.o"), NULL);
	assert_non_null(obj);
	wd_prog_set_autoload(wd_object_prog(obj, "crash_tp"), false);
	assert_int_equal(wd_object_load(obj, &lo), 0);
	*link = wd_prog_attach_uprobe(wd_object_prog(obj, "crash_up"), "/proc/self/exe", &uo);
	if (!*link)
		fail_msg("%s", wd_errmsg());
	return obj;
}

/* ---- tests ----------------------------------------------------------------- */

static void sweep_after_sigkill_leaves_what_a_clean_run_leaves(void **state)
{
	(void)state;
	struct world w;
	struct wd_link *mine;
	struct wd_object *own;
	char *e0, *e1, *ec, *e2, *b1, *b2, tag[64];
	int l0, l1, r;
	world_init(&w);
	e0 = entries_of(&w);
	l0 = crash_links();
	run_agent(&w, false);                 /* clean run */
	e1 = entries_of(&w);
	l1 = crash_links();
	b1 = bpffs_listing(w.pin_dir);
	assert_string_equal(e1, e0);
	assert_int_equal(l1, l0);
	assert_non_null(strstr(b1, "crash_hits"));   /* pins outlive a clean run too */

	own = live_owner(&w, &mine);
	run_agent(&w, true);                  /* crash */
	ec = entries_of(&w);
	printf("# after SIGKILL:\n%s", ec);
	assert_int_equal(count_lines(ec), 2);   /* the dead agent's and ours */

	r = wd_cleanup_stale(false);
	assert_true(r >= 1);
	e2 = entries_of(&w);
	assert_int_equal(count_lines(e2), 1);   /* ours, alive, kept */
	snprintf(tag, sizeof(tag), "warden/warden_%d_", getpid());
	assert_non_null(strstr(e2, tag));
	assert_non_null(strstr(wd_link_describe(mine), tag));
	wd_object_close(own);
	free(e2);
	e2 = entries_of(&w);
	b2 = bpffs_listing(w.pin_dir);
	assert_string_equal(e2, e1);
	assert_int_equal(crash_links(), l1);
	assert_string_equal(b2, b1);
	free(e0); free(e1); free(ec); free(e2); free(b1); free(b2);
	world_fini(&w);
}

static void warden_cleanup_cli_lists_then_removes_only_dead_entries(void **state)
{
	(void)state;
	struct world w;
	struct wd_link *mine;
	struct wd_object *own;
	char cmd[512], *out = NULL, tag[64], *e;
	pid_t dead;
	world_init(&w);
	own = live_owner(&w, &mine);
	dead = run_agent(&w, true);
	snprintf(tag, sizeof(tag), "warden_%d_", dead);

	snprintf(cmd, sizeof(cmd), "%s cleanup --dry-run", wd_test_cli());
	assert_int_equal(wd_test_run(cmd, &out), 0);
	printf("%s", out);
	assert_non_null(strstr(out, "stale (dry run)"));
	assert_non_null(strstr(out, tag));
	free(out);
	e = entries_of(&w);
	assert_int_equal(count_lines(e), 2);    /* dry run removed nothing */
	free(e);

	snprintf(cmd, sizeof(cmd), "%s cleanup", wd_test_cli());
	assert_int_equal(wd_test_run(cmd, &out), 0);
	printf("%s", out);
	assert_non_null(strstr(out, "removed"));
	free(out);
	e = entries_of(&w);
	assert_int_equal(count_lines(e), 1);    /* the live test process's entry */
	assert_null(strstr(e, tag));
	free(e);
	wd_object_close(own);
	e = entries_of(&w);
	assert_string_equal(e, "");
	free(e);
	world_fini(&w);
}

/* tracee #447: a leaked legacy entry plus a restart must not deliver an event
 * twice, and the restart removes the leak before adding its own. */
static void restart_after_crash_counts_each_call_once(void **state)
{
	(void)state;
	struct world w;
	struct wd_uprobe_opts uo = { .sz = sizeof(uo), .func = "wd_uprobe_target", .pid = -1,
				     .force_legacy = true };
	struct wd_object *obj;
	struct wd_load_opts lo = { .sz = sizeof(lo) };
	uint32_t tgid = (uint32_t)getpid(), slot = 0;
	uint64_t v = 0;
	char *e;
	world_init(&w);
	run_agent(&w, true);
	e = entries_of(&w);
	assert_int_equal(count_lines(e), 1);    /* the leak */
	free(e);

	wd_cleanup_reset_once();                /* as a freshly started process */
	lo.pin_dir = w.own_dir;
	obj = wd_object_open(wd_test_obj("attach_crash.o"), NULL);
	assert_non_null(obj);
	wd_prog_set_autoload(wd_object_prog(obj, "crash_tp"), false);
	assert_int_equal(wd_object_set_global(obj, "target_tgid", &tgid, sizeof(tgid)), 0);
	assert_int_equal(wd_object_load(obj, &lo), 0);
	assert_non_null(wd_prog_attach_uprobe(wd_object_prog(obj, "crash_up"), "/proc/self/exe",
					      &uo));
	e = entries_of(&w);
	assert_int_equal(count_lines(e), 1);    /* ours only: the leak was swept */
	free(e);
	for (int i = 0; i < 5; i++)
		wd_uprobe_target(i);
	assert_int_equal(wd_map_lookup(wd_object_map(obj, "crash_hits"), &slot, &v), 0);
	assert_int_equal(v, 5);
	wd_object_close(obj);
	world_fini(&w);
}

/* The verdicts: a reused pid (other start time) is stale, another pid
 * namespace is kept, a live owner is kept, other tools' entries are
 * never looked at. */
static void sweep_judges_pid_reuse_and_foreign_namespaces(void **state)
{
	(void)state;
	const struct wd_owner *me = wd_owner_self();
	const char *dir;
	char exe[4096], line[4400], *text;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	assert_int_equal(wd_tracefs_dir(&dir), 0);
	struct { const char *name; unsigned long long start, ns; bool kept; } e[] = {
		{ "reused", me->start + 1, me->pidns, false },
		{ "foreign", me->start, me->pidns + 1, true },
		{ "alive", me->start, me->pidns, true },
	};
	for (size_t i = 0; i < 3; i++) {
		snprintf(line, sizeof(line), "p:warden/warden_%d_%llx_%llx_ff_%s %s:0x1000", me->pid,
			 e[i].start, e[i].ns, e[i].name, exe);
		assert_int_equal(wd_tracefs_append(dir, "uprobe_events", line), 0);
	}
	snprintf(line, sizeof(line), "p:wdtestother/warden_1_0_0_0_x %s:0x1000", exe);
	assert_int_equal(wd_tracefs_append(dir, "uprobe_events", line), 0);
	assert_true(wd_cleanup_stale(false) >= 1);
	text = wd_tracefs_read(dir, "uprobe_events");
	assert_non_null(text);
	for (size_t i = 0; i < 3; i++) {
		char name[128];
		snprintf(name, sizeof(name), "warden/warden_%d_%llx_%llx_ff_%s", me->pid,
			 e[i].start, e[i].ns, e[i].name);
		assert_int_equal(strstr(text, name) != NULL, e[i].kept);
		if (e[i].kept)
			assert_int_equal(wd_legacy_remove(dir, "uprobe_events", name), 0);
	}
	assert_non_null(strstr(text, "wdtestother/warden_1_0_0_0_x"));
	assert_int_equal(wd_legacy_remove(dir, "uprobe_events", "wdtestother/warden_1_0_0_0_x"), 0);
	free(text);
}

static const struct CMUnitTest cleanup_tests[] = {
	cmocka_unit_test(sweep_after_sigkill_leaves_what_a_clean_run_leaves),
	cmocka_unit_test(warden_cleanup_cli_lists_then_removes_only_dead_entries),
	cmocka_unit_test(restart_after_crash_counts_each_call_once),
	cmocka_unit_test(sweep_judges_pid_reuse_and_foreign_namespaces),
};

WD_TEST_SET(cleanup_set, "attach", cleanup_tests);
