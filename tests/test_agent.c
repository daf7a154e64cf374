// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The agent's engine (agent/engine.c) on this kernel: real workloads in a
 * child process, filtered to its process tree in the kernel, and the
 * events they produce found with the right field values.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "agent/engine.h"
#include "warden/testing.h"

/* ---- collecting events ------------------------------------------------ */

struct rec {
	struct wd_event ev;
	char *s[4];                 /* copies of the kind's strings */
	size_t len[4], true_len[4];
	bool trunc[4];
};

struct sink {
	struct rec *r;
	size_t n, cap;
};

static void keep_str(struct rec *r, int i, const struct wd_event_str *s)
{
	if (!s->s)
		return;
	r->s[i] = malloc(s->len + 1);
	memcpy(r->s[i], s->s, s->len);
	r->s[i][s->len] = '\0';
	r->len[i] = s->len;
	r->true_len[i] = s->true_len;
	r->trunc[i] = s->truncated;
}

static int on_event(void *ctx, const struct wd_event *ev)
{
	struct sink *k = ctx;
	struct rec *r;

	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 256;
		k->r = realloc(k->r, k->cap * sizeof(*k->r));
	}
	r = &k->r[k->n++];
	memset(r, 0, sizeof(*r));
	r->ev = *ev;
	r->ev.proc.exe = r->ev.proc.container_id = NULL;
	switch (ev->kind) {
	case WD_EV_EXEC:
		keep_str(r, 0, &ev->exec.filename);
		keep_str(r, 1, &ev->exec.args);
		keep_str(r, 2, &ev->exec.cwd);
		keep_str(r, 3, &ev->exec.interpreter);
		break;
	case WD_EV_FILE_OPEN ... WD_EV_FILE_TRUNCATE:
		keep_str(r, 0, &ev->file.path);
		keep_str(r, 1, &ev->file.path2);
		break;
	case WD_EV_NET_CONNECT ... WD_EV_NET_UDP_SEND:
	case WD_EV_CRED:
		break;
	default:
		keep_str(r, 0, &ev->other.name);
		keep_str(r, 1, &ev->other.target);
		keep_str(r, 2, &ev->other.fstype);
		break;
	}
	return 0;
}

static void sink_free(struct sink *k)
{
	for (size_t i = 0; i < k->n; i++)
		for (int j = 0; j < 4; j++)
			free(k->r[i].s[j]);
	free(k->r);
	memset(k, 0, sizeof(*k));
}

static struct rec *find(struct sink *k, enum wd_event_kind kind, uint32_t pid)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->r[i].ev.kind == kind && (!pid || k->r[i].ev.proc.pid == pid))
			return &k->r[i];
	return NULL;
}

static __attribute__((unused)) size_t count(struct sink *k, enum wd_event_kind kind)
{
	size_t n = 0;
	for (size_t i = 0; i < k->n; i++)
		n += k->r[i].ev.kind == kind;
	return n;
}

/* ---- a workload in a child, traced from its start ---------------------- */

typedef int (*workload_fn)(void *arg);

struct run {
	struct wd_agent *a;
	struct sink sink;
	pid_t child;
	int status;
	char err[256];
	double stop_ms;
};

static void skip_unless_agent(void)
{
	if (geteuid() != 0)
		WD_SKIP("needs root");
	if (access(wd_test_obj("agent.o"), R_OK))
		WD_SKIP("no %s", wd_test_obj("agent.o"));
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Fork a child that waits for the agent, runs fn, exits with its result;
 * the agent traces the child's tree.  opts may set kinds, ring size... */
static int run_workload(struct run *r, struct wd_agent_opts *o, workload_fn fn, void *arg)
{
	int go[2];
	char c = 0;

	memset(r, 0, sizeof(*r));
	if (pipe(go))
		return -errno;
	r->child = fork();
	if (r->child == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(99);
		_exit(fn(arg));
	}
	close(go[0]);
	o->sz = sizeof(*o);
	o->filter.pid_tree = r->child;
	if (!o->bpf_dir)
		o->bpf_dir = getenv("WARDEN_OBJ_DIR") ? getenv("WARDEN_OBJ_DIR") : "build/bpf";
	r->a = wd_agent_start(o, on_event, &r->sink, r->err, sizeof(r->err));
	if (!r->a) {
		kill(r->child, SIGKILL);
		waitpid(r->child, NULL, 0);
		close(go[1]);
		printf("agent start: %s\n", r->err);
		return -1;
	}
	if (write(go[1], &c, 1) != 1)
		return -errno;
	close(go[1]);
	waitpid(r->child, &r->status, 0);
	/* the last events: up to a second after the child ended */
	for (int i = 0; i < 10; i++)
		wd_agent_poll(r->a, 100);
	return 0;
}

static void run_end(struct run *r)
{
	struct timespec t0;
	if (r->a) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		wd_agent_stop(r->a);
		r->stop_ms = ms_since(&t0);
		r->a = NULL;
	}
	sink_free(&r->sink);
}

static struct wd_agent_opts default_opts(void)
{
	struct wd_agent_opts o = { .sz = sizeof(o) };
	o.filter.uid = -1;
	return o;
}

/* ---- process events --------------------------------------------------- */

static int exec_workload(void *arg)
{
	(void)arg;
	pid_t p = fork();
	if (p == 0) {
		execl("/bin/true", "/bin/true", "warden-test-arg1", "arg two", (char *)NULL);
		_exit(127);
	}
	waitpid(p, NULL, 0);
	p = fork();
	if (p == 0)
		_exit(3);
	waitpid(p, NULL, 0);
	p = fork();
	if (p == 0) {
		pause();
		_exit(0);
	}
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
	/* a failed exec */
	p = fork();
	if (p == 0) {
		execl("/nonexistent/warden-test", "x", (char *)NULL);
		_exit(0);
	}
	waitpid(p, NULL, 0);
	return 0;
}

static void agent_exec_fork_exit(void **state)
{
	struct wd_agent_opts o = default_opts();
	struct run r;
	struct stat st;
	char cwd[4096];
	(void)state;

	skip_unless_agent();
	assert_int_equal(run_workload(&r, &o, exec_workload, NULL), 0);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(stat("/bin/true", &st), 0);

	struct rec *e = NULL;
	for (size_t i = 0; i < r.sink.n; i++)
		if (r.sink.r[i].ev.kind == WD_EV_EXEC && r.sink.r[i].s[0] &&
		    !strcmp(r.sink.r[i].s[0], "/bin/true"))
			e = &r.sink.r[i];
	assert_non_null(e);
	static const char want[] = "/bin/true\0warden-test-arg1\0arg two";
	assert_int_equal(e->len[1], sizeof(want) - 1);
	assert_memory_equal(e->s[1], want, sizeof(want) - 1);
	assert_false(e->trunc[1]);
	assert_int_equal(e->ev.exec.argc, 3);
	assert_string_equal(e->s[2], cwd);
	assert_int_equal(e->ev.exec.inode, st.st_ino);
	assert_int_equal(e->ev.exec.dev, (uint32_t)st.st_dev);
	assert_int_equal(e->ev.exec.ret, 0);
	assert_int_equal(e->ev.proc.ppid, r.child);
	assert_string_equal(e->ev.proc.comm, "true");
	assert_int_equal(e->ev.proc.uid, getuid());
	assert_true(e->ev.proc.ns[WD_NS_MNT] != 0 && e->ev.proc.ns[WD_NS_PID] != 0);
	assert_true(e->ev.seq > 0 && e->ev.time_ns > 1600000000ull * 1000000000ull);
	uint32_t epid = e->ev.proc.pid;

	struct rec *f = find(&r.sink, WD_EV_FORK, epid);
	assert_non_null(f);
	assert_int_equal(f->ev.other.target_pid, epid);
	assert_int_equal(f->ev.parent.pid, r.child);

	/* exits: 0 (true), 3, SIGKILL */
	bool code3 = false, killed = false, zero = false;
	for (size_t i = 0; i < r.sink.n; i++) {
		struct wd_event *x = &r.sink.r[i].ev;
		if (x->kind != WD_EV_EXIT || x->proc.ppid != (uint32_t)r.child)
			continue;
		code3 |= x->other.exit_code == 3 && !x->other.exit_signal;
		killed |= x->other.exit_signal == SIGKILL;
		zero |= x->proc.pid == epid && x->other.exit_code == 0;
	}
	assert_true(code3);
	assert_true(killed);
	assert_true(zero);
	/* the failed exec: ret -ENOENT */
	bool failed = false;
	for (size_t i = 0; i < r.sink.n; i++)
		failed |= r.sink.r[i].ev.kind == WD_EV_EXEC && r.sink.r[i].ev.exec.ret == -ENOENT &&
			  r.sink.r[i].s[0] && !strcmp(r.sink.r[i].s[0], "/nonexistent/warden-test");
	assert_true(failed);
	/* seq strictly increasing */
	for (size_t i = 1; i < r.sink.n; i++)
		assert_true(r.sink.r[i].ev.seq > r.sink.r[i - 1].ev.seq);
	/* nothing from outside the tree, nothing from the agent */
	for (size_t i = 0; i < r.sink.n; i++)
		assert_int_not_equal(r.sink.r[i].ev.proc.pid, getpid());
	run_end(&r);
}


static void agent_explain_table(void **state)
{
	struct wd_agent_opts o = default_opts();
	char err[256], *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	(void)state;

	skip_unless_agent();
	o.bpf_dir = getenv("WARDEN_OBJ_DIR") ? getenv("WARDEN_OBJ_DIR") : "build/bpf";
	int rc = wd_agent_explain_only(&o, f, err, sizeof(err));
	fclose(f);
	printf("%s", rc ? err : buf);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(buf, "exec "));
	assert_null(strstr(buf, "\nexec             NONE"));
	free(buf);
}

static const struct CMUnitTest agent_tests[] = {
	cmocka_unit_test(agent_explain_table),
	cmocka_unit_test(agent_exec_fork_exit),
};

WD_TEST_SET(agent_set, "agent", agent_tests);
