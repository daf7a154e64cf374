// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The agent's engine (agent/engine.c) on this kernel: real workloads in a
 * child process, filtered to its process tree in the kernel, and the
 * events they produce found with the right field values.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ucontext.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "agent/engine.h"
#include "warden/bpf.h"
#include "warden/events.h"
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
static void dump(struct sink *k);

struct run {
	struct wd_agent *a;
	struct sink sink;
	pid_t child;
	int status;
	char err[256];
	double stop_ms;
};

/* A crash in a guest of the kernel matrix: the faulting instruction as an
 * offset in warden-test (addr2line -e build/tests/warden-test OFFSET on the
 * host), and the return addresses found on the stack near it.  No
 * backtrace(): it loads libgcc_s, which the guests do not have. */
static unsigned long exe_base;

static void put_hex(const char *label, unsigned long v)
{
	char buf[64];
	int n = 0;
	for (const char *l = label; *l; l++)
		buf[n++] = *l;
	for (int i = 15; i >= 0; i--)
		buf[n++] = "0123456789abcdef"[(v >> (i * 4)) & 15];
	buf[n++] = '\n';
	if (write(2, buf, n) < 0)
		return;
}

static void crash_trace(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	unsigned long rip = uc->uc_mcontext.gregs[REG_RIP], *sp = (unsigned long *)uc->uc_mcontext.gregs[REG_RSP];
	(void)si;
	put_hex("agent test: crash, pc offset 0x", rip - exe_base);
	put_hex("  fault address 0x", (unsigned long)si->si_addr);
	/* words on the stack that point into the executable: callers */
	for (int i = 0; i < 256; i++)
		if (sp[i] > exe_base && sp[i] < exe_base + 0x1000000)
			put_hex("  stack -> 0x", sp[i] - exe_base);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void trace_crashes(void)
{
	struct sigaction sa = { .sa_sigaction = crash_trace, .sa_flags = SA_SIGINFO };
	FILE *f = fopen("/proc/self/maps", "re");
	if (f) {
		if (fscanf(f, "%lx", &exe_base) != 1)
			exe_base = 0;
		fclose(f);
	}
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

static void skip_unless_agent(void)
{
	trace_crashes();
	if (geteuid() != 0)
		WD_SKIP("needs root");
	if (access(wd_test_obj("agent.o"), R_OK))
		WD_SKIP("no %s", wd_test_obj("agent.o"));
	if (wd_test_emulating())
		WD_SKIP("emulating an old kernel (%s): the legacy object runs the process events "
			"only (agent_legacy_process_events)", wd_emulate_current());
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
	dump(&r->sink);
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

static void dump(struct sink *k)
{
	if (!getenv("AGENT_DUMP"))
		return;
	for (size_t i = 0; i < k->n; i++) {
		struct rec *r = &k->r[i];
		printf("%s pid %u comm %s ret %d argslen %zu/%zu s0 %s s1 %s s2 %s | net fam %u proto %u %u->%u ret %d bytes %llu/%llu dur %llu | other flags %llx ret %d\n",
		       wd_event_kind_name(r->ev.kind), r->ev.proc.pid, r->ev.proc.comm, r->ev.exec.ret, r->len[1], r->true_len[1],
		       r->s[0] ? r->s[0] : "-", r->s[1] ? r->s[1] : "-", r->s[2] ? r->s[2] : "-",
		       r->ev.net.family, r->ev.net.protocol, r->ev.net.sport, r->ev.net.dport, r->ev.net.ret,
		       (unsigned long long)r->ev.net.bytes_sent, (unsigned long long)r->ev.net.bytes_received,
		       (unsigned long long)r->ev.net.duration_ns, (unsigned long long)r->ev.other.flags,
		       r->ev.other.ret);
	}
}

static struct wd_agent_opts default_opts(void)
{
	struct wd_agent_opts o = { .sz = sizeof(o) };
	o.filter.uid = -1;
	return o;
}

/* ---- variants ----------------------------------------------------------- */

/* Only `variant` for the kinds in `kinds` (WARDEN_AGENT_VARIANTS, read at
 * start); NULL: the agent's own choice.  Unset again by unforce(). */
static void force_variant(uint64_t kinds, const char *variant)
{
	char buf[512] = "";
	size_t o = 0;

	for (int k = 0; k < WD_EV__COUNT && variant; k++)
		if (kinds & (1ull << k))
			o += snprintf(buf + o, sizeof(buf) - o, "%s%s=%s", o ? "," : "", wd_event_kind_name(k),
				      variant);
	if (o)
		setenv("WARDEN_AGENT_VARIANTS", buf, 1);
	else
		unsetenv("WARDEN_AGENT_VARIANTS");
}

static int unforce(void **state)
{
	(void)state;
	unsetenv("WARDEN_AGENT_VARIANTS");
	return 0;
}

/* The explain table of a running agent, for the log and for checks. */
static char *explain_text(struct wd_agent *a)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	wd_agent_explain(a, f);
	fclose(f);
	return buf;
}

/* Kind k must run on `want`.  A forced variant this kernel cannot run
 * (no kprobes, trampolines refused) skips the test, naming why.  False
 * when the kernel's verifier has a known limit that rules `want` out
 * (trampolines take struct arguments from 6.1: lsm/path_chown's kuid_t):
 * the kind then runs on its next variant, or on none when forced. */
static bool require_variant(struct run *r, enum wd_event_kind k, const char *want, bool forced)
{
	const char *v = wd_agent_variant(r->a, k);
	char *table;

	if (v && !strcmp(v, want))
		return true;
	table = explain_text(r->a);
	printf("%s", table ? table : "");
	/* the verifier refusing our program is a bug, not a kernel's lack */
	char line[32];
	snprintf(line, sizeof(line), "\n%-16s ", wd_event_kind_name(k));
	const char *l = table ? strstr(table, line) : NULL, *eol = l ? strchr(l + 1, '\n') : NULL;
	const char *refused = l ? strstr(l, "load refused") : NULL;
	bool verifier = refused && (!eol || refused < eol);
	const char *limit = l ? strstr(l, "type STRUCT is unsupported") : NULL;
	bool kernel_limit = limit && (!eol || limit < eol);
	free(table);
	if (kernel_limit) {
		printf("%s: %s refused by this kernel's verifier (struct arguments), runs on %s\n",
		       wd_event_kind_name(k), want, v ? v : "nothing");
		return false;
	}
	if (forced && !verifier && (!v || strcmp(v, want))) {
		run_end(r);
		unforce(NULL);
		WD_SKIP("%s on its %s variant: not on this kernel (table above)", wd_event_kind_name(k), want);
	}
	fail_msg("%s runs on %s, expected %s", wd_event_kind_name(k), v ? v : "nothing", want);
	return false;
}

/* What the agent should pick by itself: trampolines where the kernel lets
 * this process load them, the tracepoints otherwise. */
static const char *default_variant(struct wd_agent *a, enum wd_event_kind k)
{
	bool lsm = false;
	if (k == WD_EV_CRED)
		return wd_probe_prog_type(BPF_PROG_TYPE_TRACING) == 1 ? "fentry" : "tracepoint";
	if (wd_probe_prog_type(BPF_PROG_TYPE_LSM) == 1) {
		char *table = explain_text(a);
		lsm = table && strstr(table, "(BPF LSM active)");
		free(table);
	}
	if (!lsm && k >= WD_EV_FILE_OPEN && k <= WD_EV_FILE_TRUNCATE &&
	    wd_probe_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_task_pt_regs) == 1)
		return "tp_exit";  /* sys_exit alone, arguments from the saved registers */
	return lsm ? "lsm" : "tracepoint";
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
		/* argv in memory this process wrote, as a shell's: strings in
		 * pages it never touched cannot be read by BPF without a
		 * fault (6.8+ fails the exec before copying them) */
		char a0[] = "x", a1[] = "warden-fail-arg", a2[] = "two words";
		char *const argv[] = { a0, a1, a2, NULL };
		execv("/nonexistent/warden-test", argv);
		_exit(0);
	}
	waitpid(p, NULL, 0);
	/* literals in pages of the binary this child never touched */
	p = fork();
	if (p == 0) {
		execl("/nonexistent/warden-test-literal", "y", "literal", (char *)NULL);
		_exit(0);
	}
	waitpid(p, NULL, 0);
	return 0;
}

static void agent_exec_fork_exit(void **state)
{
	struct wd_agent_opts o = default_opts();
	/* only the kinds it needs: fewer programs to verify (minutes under TCG) */
	o.filter.kinds = (1ull << WD_EV_EXEC) | (1ull << WD_EV_FORK) | (1ull << WD_EV_EXIT);
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
	/* the failed exec: ret -ENOENT, with its argv (read from the caller's
	 * memory at sys_exit) */
	struct rec *failed = NULL;
	for (size_t i = 0; i < r.sink.n; i++)
		if (r.sink.r[i].ev.kind == WD_EV_EXEC && r.sink.r[i].ev.exec.ret == -ENOENT &&
		    r.sink.r[i].s[0] && !strcmp(r.sink.r[i].s[0], "/nonexistent/warden-test"))
			failed = &r.sink.r[i];
	assert_non_null(failed);
	static const char want_failed[] = "x\0warden-fail-arg\0two words";
	assert_non_null(failed->s[1]);
	assert_int_equal(failed->len[1], sizeof(want_failed) - 1);
	assert_memory_equal(failed->s[1], want_failed, sizeof(want_failed) - 1);
	assert_int_equal(failed->ev.exec.argc, 3);
	assert_false(failed->trunc[1]);
	assert_int_equal(failed->ev.proc.ppid, r.child);
	/* whole where the kernel copied the strings before failing, else
	 * flagged: never silently short */
	failed = NULL;
	for (size_t i = 0; i < r.sink.n; i++)
		if (r.sink.r[i].ev.kind == WD_EV_EXEC && r.sink.r[i].s[0] &&
		    !strcmp(r.sink.r[i].s[0], "/nonexistent/warden-test-literal"))
			failed = &r.sink.r[i];
	assert_non_null(failed);
	static const char want_literal[] = "y\0literal";
	if (!failed->trunc[1]) {
		assert_int_equal(failed->len[1], sizeof(want_literal) - 1);
		assert_memory_equal(failed->s[1], want_literal, sizeof(want_literal) - 1);
	} else {
		assert_true(failed->true_len[1] > failed->len[1]);
	}
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
	/* cred: fentry first; where this process may not load trampolines
	 * (this host: EPERM) the table shows the tracepoint variant and the
	 * probe's answer for fentry; kprobe comes last, not needed */
	char *cred = strstr(buf, "\ncred ");
	assert_non_null(cred);
	char *eol = strchr(cred + 1, '\n');
	assert_non_null(eol);
	*eol = '\0';
	if (wd_probe_prog_type(BPF_PROG_TYPE_TRACING) == 1) {
		assert_non_null(strstr(cred, "fentry:commit_creds"));
		assert_non_null(strstr(cred, "kprobe: not needed"));
	} else {
		assert_non_null(strstr(cred, " tracepoint "));
		assert_non_null(strstr(cred, "fentry: fentry programs: "));
		assert_non_null(strstr(cred, wd_probe_result_str(wd_probe_prog_type(BPF_PROG_TYPE_TRACING))));
	}
	*eol = '\n';
	free(buf);
}

/* The same through the command: `warden run --explain` */
static void agent_explain_command_names_fallbacks(void **state)
{
	char cmd[1024], line[1024];
	bool cred = false, open_ = false;
	(void)state;

	skip_unless_agent();
	if (access(wd_test_cli(), X_OK))
		WD_SKIP("no %s", wd_test_cli());
	snprintf(cmd, sizeof(cmd), "WARDEN_BPF_DIR=%s %s run --explain 2>&1",
		 getenv("WARDEN_OBJ_DIR") ? getenv("WARDEN_OBJ_DIR") : "build/bpf", wd_test_cli());
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		fputs(line, stdout);
		if (!strncmp(line, "cred ", 5)) {
			cred = true;
			if (wd_probe_prog_type(BPF_PROG_TYPE_TRACING) != 1)
				assert_non_null(strstr(line, "fentry: fentry programs: refused"));
		}
		if (!strncmp(line, "open ", 5)) {
			open_ = true;
			if (wd_probe_prog_type(BPF_PROG_TYPE_LSM) != 1)
				assert_non_null(strstr(line, "lsm: LSM programs: "));
		}
	}
	assert_int_equal(pclose(p), 0);
	assert_true(cred && open_);
}


/* exec from a memfd, from a deleted file, of a script */
static int copy_true(int dst)
{
	char buf[65536];
	ssize_t n;
	int src = open("/bin/true", O_RDONLY);
	if (src < 0)
		return -1;
	while ((n = read(src, buf, sizeof(buf))) > 0)
		if (write(dst, buf, n) != n)
			return -1;
	close(src);
	return 0;
}

static int exec_kinds_workload(void *arg)
{
	const char *dir = arg;
	char path[256], script[256];
	static char *const argv[] = { "true", "from-fd", NULL };
	static char *const envp[] = { NULL };
	pid_t p;
	int fd;

	/* memfd */
	fd = memfd_create("warden-memfd-exe", MFD_CLOEXEC);
	if (fd < 0 || copy_true(fd))
		return 1;
	p = fork();
	if (p == 0) {
		fexecve(fd, argv, envp);
		_exit(127);
	}
	waitpid(p, NULL, 0);
	close(fd);
	/* a deleted file */
	snprintf(path, sizeof(path), "%s/deleted-true", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0700);
	if (fd < 0 || copy_true(fd))
		return 2;
	close(fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	unlink(path);
	p = fork();
	if (p == 0) {
		fexecve(fd, argv, envp);
		_exit(127);
	}
	waitpid(p, NULL, 0);
	close(fd);
	/* a script */
	snprintf(script, sizeof(script), "%s/script.sh", dir);
	fd = open(script, O_WRONLY | O_CREAT | O_TRUNC, 0700);
	if (fd < 0 || write(fd, "#!/bin/sh\nexit 0\n", 17) != 17)
		return 3;
	close(fd);
	p = fork();
	if (p == 0) {
		execl(script, script, "script-arg", (char *)NULL);
		_exit(127);
	}
	waitpid(p, NULL, 0);
	unlink(script);
	return 0;
}

static void agent_exec_memfd_deleted_script(void **state)
{
	struct wd_agent_opts o = default_opts();
	char dir[] = "/tmp/warden-exe-XXXXXX";
	struct run r;
	(void)state;

	skip_unless_agent();
	assert_non_null(mkdtemp(dir));
	o.filter.kinds = 1ull << WD_EV_EXEC;
	assert_int_equal(run_workload(&r, &o, exec_kinds_workload, dir), 0);
	rmdir(dir);
	assert_int_equal(WEXITSTATUS(r.status), 0);
	bool memfd = false, deleted = false, script = false;
	for (size_t i = 0; i < r.sink.n; i++) {
		struct rec *e = &r.sink.r[i];
		if (e->ev.kind != WD_EV_EXEC || e->ev.exec.ret)
			continue;
		if (e->ev.exec.memfd)
			memfd = true;
		else if (e->ev.exec.deleted)
			deleted = true;
		if (e->s[0] && strstr(e->s[0], "script.sh") && e->s[3] && !strcmp(e->s[3], "/bin/sh"))
			script = true;
	}
	assert_true(memfd);
	assert_true(deleted);
	/* the interpreter comes from the raw tracepoint's binprm */
	if (!strcmp(wd_agent_variant(r.a, WD_EV_EXEC), "raw_tp"))
		assert_true(script);
	run_end(&r);
}

/* ---- file events ------------------------------------------------------ */

static char tmpdir[256];

static int file_workload(void *arg)
{
	const char *d = arg;
	char a[512], b[512], l[512], sl[512];
	int fd;

	snprintf(a, sizeof(a), "%s/created", d);
	snprintf(b, sizeof(b), "%s/renamed", d);
	snprintf(l, sizeof(l), "%s/hardlink", d);
	snprintf(sl, sizeof(sl), "%s/symlink", d);
	umask(022);  /* the LSM variant reports the inode's mode: 0640 as asked */
	if ((fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0640)) < 0)
		return 1;
	if (write(fd, "x", 1) != 1 || ftruncate(fd, 1))
		return 2;
	close(fd);
	/* a read: filtered out in the kernel */
	if ((fd = open(a, O_RDONLY)) < 0)
		return 3;
	close(fd);
	if (chmod(a, 0600) || chown(a, getuid(), getgid()) || truncate(a, 0))
		return 4;
	if (link(a, l) || symlink(a, sl))
		return 5;
	if (rename(a, b) || unlink(b) || unlink(l) || unlink(sl))
		return 6;
	/* relative names: made absolute on the cwd BPF saw (the process is
	 * gone when its events are read) */
	if (chdir(d) || (fd = open("rel-created", O_WRONLY | O_CREAT, 0600)) < 0)
		return 7;
	close(fd);
	if (rename("rel-created", "rel-renamed") || unlink("rel-renamed"))
		return 8;
	return 0;
}

static struct rec *find_path(struct sink *k, enum wd_event_kind kind, const char *path, const char *path2)
{
	for (size_t i = 0; i < k->n; i++) {
		struct rec *r = &k->r[i];
		if (r->ev.kind == kind && r->s[0] && !strcmp(r->s[0], path) &&
		    (!path2 || (r->s[1] && !strcmp(r->s[1], path2))))
			return r;
	}
	return NULL;
}

/* The agent's wa_regs_fast (bpf/agent.bpf.c): the newest map named
 * agent.bss, which holds that one variable; -1 when there is none. */
static int agent_regs_state(void)
{
	uint32_t id = 0, best = 0, v = 0, key = 0;

	while (wd_sys_get_next_id(BPF_MAP_GET_NEXT_ID, id, &id) == 0) {
		int fd = wd_sys_get_fd_by_id(BPF_MAP_GET_FD_BY_ID, id);
		struct bpf_map_info info = { 0 };
		uint32_t len = sizeof(info);

		if (fd < 0)
			continue;
		if (wd_sys_obj_info(fd, &info, &len) == 0 && !strcmp(info.name, "agent.bss") && id > best) {
			assert_int_equal(info.value_size, sizeof(v));  /* only wa_regs_fast in .bss */
			best = id;
			v = 0;
			if (wd_sys_map_lookup(fd, &key, &v, 0))
				v = (uint32_t)-1;
		}
		close(fd);
	}
	return best ? (int)v : -1;
}

/* forced: the variant of every file kind (each has an LSM one); NULL: the
 * agent's choice */
static void check_files(const char *forced)
{
	struct wd_agent_opts o = default_opts();
	/* only the kinds it needs: fewer programs to verify (minutes under TCG) */
	o.filter.kinds = ((1ull << (WD_EV_FILE_TRUNCATE + 1)) - 1) & ~((1ull << WD_EV_FILE_OPEN) - 1);
	uint64_t lsm_kinds = o.filter.kinds;
	char a[512], b[512], l[512], sl[512];
	struct run r;
	struct stat st;

	skip_unless_agent();
	force_variant(lsm_kinds, forced);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/warden-agent-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	assert_int_equal(stat(tmpdir, &st), 0);
	snprintf(a, sizeof(a), "%s/created", tmpdir);
	snprintf(b, sizeof(b), "%s/renamed", tmpdir);
	snprintf(l, sizeof(l), "%s/hardlink", tmpdir);
	snprintf(sl, sizeof(sl), "%s/symlink", tmpdir);
	assert_int_equal(run_workload(&r, &o, file_workload, tmpdir), 0);
	const char *want = forced ? forced : default_variant(r.a, WD_EV_FILE_OPEN);
	if (forced && (!wd_agent_variant(r.a, WD_EV_FILE_OPEN) ||
		       strcmp(wd_agent_variant(r.a, WD_EV_FILE_OPEN), forced)))
		rmdir(tmpdir);  /* the skip below leaves; the workload removed its files */
	bool chown_on_want = true;
	for (int k = WD_EV_FILE_OPEN; k <= WD_EV_FILE_TRUNCATE; k++)
		if (!require_variant(&r, k, want, forced) && k == WD_EV_FILE_CHOWN)
			chown_on_want = false;
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);

	struct rec *e = find_path(&r.sink, WD_EV_FILE_OPEN, a, NULL);
	assert_non_null(e);
	assert_int_equal(e->ev.file.flags & (O_WRONLY | O_CREAT | O_TRUNC), O_WRONLY | O_CREAT | O_TRUNC);
	assert_int_equal(e->ev.file.mode, 0640);
	assert_true(e->ev.file.inode != 0);
	assert_int_equal(e->ev.file.dev, (uint32_t)st.st_dev);
	assert_int_equal(e->ev.proc.pid, r.child);
	/* exactly one open: the read-only one never left the kernel */
	size_t opens = 0;
	for (size_t i = 0; i < r.sink.n; i++)
		opens += r.sink.r[i].ev.kind == WD_EV_FILE_OPEN && r.sink.r[i].s[0] &&
			 !strcmp(r.sink.r[i].s[0], a);
	assert_int_equal(opens, 1);
	e = find_path(&r.sink, WD_EV_FILE_CHMOD, a, NULL);
	assert_non_null(e);
	assert_int_equal(e->ev.file.mode, 0600);
	e = find_path(&r.sink, WD_EV_FILE_CHOWN, a, NULL);
	if (chown_on_want || !forced) {  /* forced to lsm, refused: no variant */
		assert_non_null(e);
		assert_int_equal(e->ev.file.uid, getuid());
	}
	/* ftruncate and truncate: one event each (the LSM variant: the
	 * path_truncate hook, and file_truncate for ftruncate from 6.2) */
	size_t truncs = 0;
	for (size_t i = 0; i < r.sink.n; i++)
		truncs += r.sink.r[i].ev.kind == WD_EV_FILE_TRUNCATE && r.sink.r[i].s[0] &&
			  !strcmp(r.sink.r[i].s[0], a);
	assert_int_equal(truncs, 2);
	assert_non_null(find_path(&r.sink, WD_EV_FILE_LINK, a, l));
	assert_non_null(find_path(&r.sink, WD_EV_FILE_SYMLINK, a, sl));
	assert_non_null(find_path(&r.sink, WD_EV_FILE_RENAME, a, b));
	assert_non_null(find_path(&r.sink, WD_EV_FILE_UNLINK, b, NULL));
	assert_non_null(find_path(&r.sink, WD_EV_FILE_UNLINK, l, NULL));
	char ra[512], rb[512];
	snprintf(ra, sizeof(ra), "%s/rel-created", tmpdir);
	snprintf(rb, sizeof(rb), "%s/rel-renamed", tmpdir);
	assert_non_null(find_path(&r.sink, WD_EV_FILE_OPEN, ra, NULL));
	assert_non_null(find_path(&r.sink, WD_EV_FILE_RENAME, ra, rb));
	assert_non_null(find_path(&r.sink, WD_EV_FILE_UNLINK, rb, NULL));
	if (forced && !strcmp(forced, "tp_exit")) {
		/* the registers' address derived from the task's stack, checked
		 * against bpf_task_pt_regs by the first run: 1 where the kernel
		 * has bpf_rdonly_cast (6.2+), 2 (the helper) before */
		int state = agent_regs_state();
		printf("wa_regs_fast: %d\n", state);
		assert_int_equal(state, wd_test_kernel_at_least(6, 2) ? 1 : 2);
	}
	if (!strcmp(want, "lsm")) {
		/* the kernel's dentry: the inode being removed */
		e = find_path(&r.sink, WD_EV_FILE_UNLINK, b, NULL);
		assert_true(e->ev.file.inode != 0);
		assert_int_equal(e->ev.file.dev, (uint32_t)st.st_dev);
	}
	run_end(&r);
	rmdir(tmpdir);
	unforce(NULL);
}

static void agent_file_events(void **state)
{
	(void)state;
	check_files(NULL);
}

static void agent_file_events_on_lsm(void **state)
{
	(void)state;
	check_files("lsm");
}

static void agent_file_events_on_tracepoints(void **state)
{
	(void)state;
	check_files("tracepoint");
}

/* sys_exit alone, the arguments loaded from bpf_task_pt_regs' BTF pointer:
 * the default where LSM programs are refused (this host), forced here so
 * that the guests whose default is lsm (6.1, 6.12) run it too; 5.10 has no
 * bpf_task_pt_regs and skips. */
static void agent_file_events_on_tp_exit(void **state)
{
	(void)state;
	check_files("tp_exit");
}

/* ---- network events --------------------------------------------------- */

struct net_arg {
	int family;
	uint16_t port;
	uint16_t cport;
};

/* A network namespace of its own with lo up: the same world on the host
 * and in a guest whose lo is down. */
static int own_netns_lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd;

	if (unshare(CLONE_NEWNET))
		return -1;
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		return -1;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return 0;
}

static int net_workload(void *arg)
{
	struct net_arg *n = arg;
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int ls, cs, as;
	char buf[100] = { 0 };

	if (own_netns_lo_up())
		return 9;
	if (n->family == AF_INET6)
		usleep(100000);  /* ::1 needs a moment after lo comes up (DAD is off for lo, the route is not) */

	ls = socket(n->family, SOCK_STREAM, 0);
	if (n->family == AF_INET) {
		struct sockaddr_in *s4 = (void *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (void *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		sl = sizeof(*s6);
	}
	if (bind(ls, (void *)&ss, sl) || listen(ls, 4) || getsockname(ls, (void *)&ss, &sl))
		return 1;
	cs = socket(n->family, SOCK_STREAM, 0);
	if (connect(cs, (void *)&ss, sl))
		return 2;
	if ((as = accept(ls, NULL, NULL)) < 0)
		return 3;
	if (write(cs, buf, 100) != 100 || read(as, buf, 100) != 100 || write(as, buf, 10) != 10 ||
	    read(cs, buf, 10) != 10)
		return 4;
	usleep(20000);
	close(cs);
	close(as);
	close(ls);
	/* UDP to a new peer, twice: one event; to port 53: flagged */
	int us = socket(n->family, SOCK_DGRAM, 0);
	if (n->family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons(53);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(53);
	sendto(us, "q", 1, 0, (void *)&ss, sl);
	sendto(us, "q", 1, 0, (void *)&ss, sl);
	close(us);
	return 0;
}

static bool addr_is_loopback(const struct wd_event_net *n, int family)
{
	static const uint8_t v6[16] = { [15] = 1 };
	if (family == AF_INET)
		return n->daddr[0] == 127 && n->daddr[3] == 1;
	return !memcmp(n->daddr, v6, 16);
}

/* forced: the variant of connect and close (NULL: the agent's choice) */
static void check_net(int family, const char *forced)
{
	struct wd_agent_opts o = default_opts();
	/* only the kinds it needs: fewer programs to verify (minutes under TCG) */
	o.filter.kinds = (1ull << WD_EV_NET_CONNECT) | (1ull << WD_EV_NET_ACCEPT) | (1ull << WD_EV_NET_CLOSE) | (1ull << WD_EV_NET_LISTEN) | (1ull << WD_EV_NET_BIND) | (1ull << WD_EV_NET_UDP_SEND);
	struct net_arg arg = { .family = family };
	struct run r;

	skip_unless_agent();
	force_variant((1ull << WD_EV_NET_CONNECT) | (1ull << WD_EV_NET_CLOSE), forced);
	assert_int_equal(run_workload(&r, &o, net_workload, &arg), 0);
	require_variant(&r, WD_EV_NET_CONNECT, forced ? forced : "tracepoint", forced);
	require_variant(&r, WD_EV_NET_CLOSE, forced ? forced : "tracepoint", forced);
	if (!WIFEXITED(r.status) || WEXITSTATUS(r.status)) {
		run_end(&r);
		WD_SKIP("no %s loopback here (workload status %d)", family == AF_INET ? "IPv4" : "IPv6",
			r.status);
	}
	struct rec *c = find(&r.sink, WD_EV_NET_CONNECT, r.child);
	struct rec *a = find(&r.sink, WD_EV_NET_ACCEPT, r.child);
	struct rec *b = find(&r.sink, WD_EV_NET_BIND, r.child);
	struct rec *l = find(&r.sink, WD_EV_NET_LISTEN, r.child);
	assert_non_null(c);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(l);
	assert_int_equal(c->ev.net.family, family);
	assert_true(addr_is_loopback(&c->ev.net, family));
	assert_int_equal(c->ev.net.protocol, IPPROTO_TCP);
	assert_int_equal(c->ev.net.ret, 0);
	assert_true(c->ev.net.sport != 0 && c->ev.net.dport != 0);
	assert_int_equal(l->ev.net.sport, c->ev.net.dport);
	assert_int_equal(a->ev.net.sport, c->ev.net.dport);  /* accepted on the listener's port */
	assert_int_equal(a->ev.net.dport, c->ev.net.sport);
	/* two closes: the client side with 100 bytes sent, 10 received */
	bool client = false, server = false;
	for (size_t i = 0; i < r.sink.n; i++) {
		struct wd_event *e = &r.sink.r[i].ev;
		if (e->kind != WD_EV_NET_CLOSE || e->net.family != family)
			continue;
		if (e->net.sport == c->ev.net.sport) {
			client = e->net.bytes_sent == 100 && e->net.bytes_received == 10 &&
				 e->net.duration_ns >= 20000000 && e->proc.pid == (uint32_t)r.child;
		} else if (e->net.sport == c->ev.net.dport) {
			server = e->net.bytes_sent == 10 && e->net.bytes_received == 100 &&
				 e->proc.pid == (uint32_t)r.child;
		}
	}
	assert_true(client);
	assert_true(server);
	size_t udp = 0;
	for (size_t i = 0; i < r.sink.n; i++) {
		struct wd_event *e = &r.sink.r[i].ev;
		if (e->kind == WD_EV_NET_UDP_SEND && e->net.dport == 53) {
			udp++;
			assert_true(e->net.dns);
			assert_int_equal(e->net.protocol, IPPROTO_UDP);
		}
	}
	assert_int_equal(udp, 1);
	run_end(&r);
	unforce(NULL);
}

static void agent_net_ipv4(void **state)
{
	(void)state;
	check_net(AF_INET, NULL);
}

static void agent_net_ipv6(void **state)
{
	(void)state;
	check_net(AF_INET6, NULL);
}

/* connect and close from kprobe:tcp_set_state (the kernels before 4.16) */
static void agent_net_on_kprobe(void **state)
{
	(void)state;
	check_net(AF_INET, "kprobe");
}

/* ---- system events ----------------------------------------------------- */

static int sys_workload(void *arg)
{
	const char *d = arg;
	int fd;

	/* memfd */
	if ((fd = memfd_create("warden-test-memfd", MFD_CLOEXEC)) < 0)
		return 1;
	close(fd);
	/* a tmpfs in a mount namespace of its own */
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return 2;
	if (mount("warden-test-src", d, "tmpfs", MS_NOSUID, "size=1m"))
		return 3;
	if (umount2(d, 0))
		return 4;
	/* a BPF program and a map */
	static const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_TRACEPOINT;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = 2;
	attr.license = (uintptr_t)"GPL";
	strcpy(attr.prog_name, "warden_tprog");
	fd = syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd < 0)
		return 5;
	close(fd);
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	strcpy(attr.map_name, "warden_tmap");
	fd = syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	if (fd < 0)
		return 6;
	close(fd);
	return 0;
}

static void agent_system_events(void **state)
{
	struct wd_agent_opts o = default_opts();
	/* only the kinds it needs: fewer programs to verify (minutes under TCG) */
	o.filter.kinds = (1ull << WD_EV_MEMFD) | (1ull << WD_EV_MOUNT) | (1ull << WD_EV_UMOUNT) | (1ull << WD_EV_BPF_PROG) | (1ull << WD_EV_BPF_MAP) | (1ull << WD_EV_NAMESPACE);
	struct run r;
	char d[] = "/tmp/warden-mnt-XXXXXX";
	(void)state;

	skip_unless_agent();
	assert_non_null(mkdtemp(d));
	assert_int_equal(run_workload(&r, &o, sys_workload, d), 0);
	rmdir(d);
	assert_int_equal(WEXITSTATUS(r.status), 0);
	struct rec *m = find(&r.sink, WD_EV_MEMFD, r.child);
	assert_non_null(m);
	assert_string_equal(m->s[0], "warden-test-memfd");
	assert_int_equal(m->ev.other.flags, MFD_CLOEXEC);
	m = NULL;
	for (size_t i = 0; i < r.sink.n; i++)
		if (r.sink.r[i].ev.kind == WD_EV_MOUNT && r.sink.r[i].s[1] && !strcmp(r.sink.r[i].s[1], d))
			m = &r.sink.r[i];
	assert_non_null(m);
	assert_non_null(m->s[0]);
	assert_string_equal(m->s[0], "warden-test-src");
	assert_string_equal(m->s[1], d);
	assert_string_equal(m->s[2], "tmpfs");
	assert_int_equal(m->ev.other.ret, 0);
	m = find(&r.sink, WD_EV_UMOUNT, r.child);
	assert_non_null(m);
	assert_string_equal(m->s[1], d);
	m = find(&r.sink, WD_EV_BPF_PROG, r.child);
	assert_non_null(m);
	assert_string_equal(m->s[0], "warden_tprog");
	assert_int_equal(m->ev.other.bpf_type, BPF_PROG_TYPE_TRACEPOINT);
	m = find(&r.sink, WD_EV_BPF_MAP, r.child);
	assert_non_null(m);
	assert_string_equal(m->s[0], "warden_tmap");
	assert_int_equal(m->ev.other.bpf_type, BPF_MAP_TYPE_ARRAY);
	/* namespace: the unshare */
	m = find(&r.sink, WD_EV_NAMESPACE, r.child);
	assert_non_null(m);
	assert_int_equal(m->ev.other.flags, CLONE_NEWNS);
	run_end(&r);
}


/* ---- credentials, ptrace ----------------------------------------------- */

static int cred_workload(void *arg)
{
	(void)arg;
	pid_t p = fork();
	if (p == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(1);
		_exit(0);
	}
	int st;
	waitpid(p, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return 1;
	p = fork();
	if (p == 0) {
		pause();
		_exit(0);
	}
	if (ptrace(PTRACE_SEIZE, p, NULL, NULL))
		return 2;
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
	return 0;
}

/* forced: the cred variant to run (NULL: the agent's choice) */
static void check_cred(const char *forced)
{
	struct wd_agent_opts o = default_opts();
	/* only the kinds it needs: fewer programs to verify (minutes under TCG) */
	o.filter.kinds = (1ull << WD_EV_CRED) | (1ull << WD_EV_PTRACE);
	struct run r;

	skip_unless_agent();
	force_variant(1ull << WD_EV_CRED, forced);
	assert_int_equal(run_workload(&r, &o, cred_workload, NULL), 0);
	require_variant(&r, WD_EV_CRED, forced ? forced : default_variant(r.a, WD_EV_CRED), forced);
	assert_int_equal(WEXITSTATUS(r.status), 0);
	bool setuid_seen = false, setgid_seen = false;
	for (size_t i = 0; i < r.sink.n; i++) {
		struct wd_event *e = &r.sink.r[i].ev;
		if (e->kind != WD_EV_CRED)
			continue;
		if (e->cred.syscall && !strcmp(e->cred.syscall, "setuid"))
			setuid_seen = e->cred.old_uid == 0 && e->cred.new_uid == 65534 &&
				      e->cred.new_euid == 65534 && e->cred.old_cap_effective != 0 &&
				      e->cred.new_cap_effective == 0;
		if (e->cred.syscall && !strcmp(e->cred.syscall, "setgid"))
			setgid_seen = e->cred.old_gid == 0 && e->cred.new_gid == 65534;
	}
	assert_true(setgid_seen);
	assert_true(setuid_seen);
	struct rec *p = find(&r.sink, WD_EV_PTRACE, r.child);
	assert_non_null(p);
	assert_int_equal(p->ev.other.flags, PTRACE_SEIZE);
	assert_true(p->ev.other.target_pid != 0);
	run_end(&r);
	unforce(NULL);
}

static void agent_cred_ptrace(void **state)
{
	(void)state;
	check_cred(NULL);
}

/* each variant of cred with the same workload and field checks (the
 * agent's choice above is one of them) */
static void agent_cred_on_fentry(void **state)
{
	(void)state;
	check_cred("fentry");
}

static void agent_cred_on_tracepoints(void **state)
{
	(void)state;
	check_cred("tracepoint");
}

static void agent_cred_on_kprobe(void **state)
{
	(void)state;
	check_cred("kprobe");
}

/* ---- container context -------------------------------------------------- */

static char cg2_mounted[64];

/* The cgroup2 mount; mounted on a temporary directory when there is none
 * (a guest of the kernel matrix), unmounted by cgroup2_done(). */
static int cgroup2_root(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char line[1024], dev[64], dir[512], type[32];
	int found = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %511s %31s", dev, dir, type) == 3 && !strcmp(type, "cgroup2")) {
			snprintf(out, len, "%s", dir);
			found = 0;
			break;
		}
	if (f)
		fclose(f);
	if (found == 0)
		return 0;
	snprintf(cg2_mounted, sizeof(cg2_mounted), "/tmp/warden-cg2-XXXXXX");
	if (!mkdtemp(cg2_mounted))
		return -1;
	if (mount("none", cg2_mounted, "cgroup2", 0, NULL)) {
		rmdir(cg2_mounted);
		cg2_mounted[0] = '\0';
		return -1;
	}
	printf("(mounted cgroup2 at %s for the test)\n", cg2_mounted);
	snprintf(out, len, "%s", cg2_mounted);
	return 0;
}

static void cgroup2_done(void)
{
	if (cg2_mounted[0]) {
		umount2(cg2_mounted, MNT_DETACH);
		rmdir(cg2_mounted);
		cg2_mounted[0] = '\0';
	}
}

struct ct_arg {
	char cg[512];
	int pipe_w;
};

static int container_workload(void *arg)
{
	struct ct_arg *c = arg;
	char path[600], pid[32];
	int fd;

	/* its own cgroup, then new user, mount, pid and net namespaces */
	snprintf(path, sizeof(path), "%s/cgroup.procs", c->cg);
	snprintf(pid, sizeof(pid), "%d", getpid());
	if ((fd = open(path, O_WRONLY)) < 0 || write(fd, pid, strlen(pid)) < 0)
		return 1;
	close(fd);
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET))
		return 2;
	pid_t p = fork();
	if (p == 0) {
		/* pid 1 of the new namespace: its inodes for the test */
		char ns[64];
		struct stat st;
		const char *names[] = { "pid", "mnt", "net", "user" };
		for (int i = 0; i < 4; i++) {
			snprintf(ns, sizeof(ns), "/proc/self/ns/%s", names[i]);
			uint32_t ino = stat(ns, &st) ? 0 : (uint32_t)st.st_ino;
			if (write(c->pipe_w, &ino, sizeof(ino)) != sizeof(ino))
				_exit(3);
		}
		execl("/bin/true", "/bin/true", "in-a-container", (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(p, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 4;
}

static void agent_container_context(void **state)
{
	struct wd_agent_opts o = default_opts();
	/* only the kinds it needs: fewer programs to verify (minutes under TCG) */
	o.filter.kinds = (1ull << WD_EV_EXEC);
	struct ct_arg c;
	struct run r;
	struct stat st;
	char root[512];
	int pp[2];
	uint32_t want[4] = { 0 };
	(void)state;

	skip_unless_agent();
	if (cgroup2_root(root, sizeof(root)))
		WD_SKIP("no cgroup2 mount");
	snprintf(c.cg, sizeof(c.cg), "%s/warden-agent-test-%d", root, getpid());
	if (mkdir(c.cg, 0755) && errno != EEXIST)
		{ int e = errno; cgroup2_done(); WD_SKIP("cannot make a cgroup under %s: %s", root, strerror(e)); }
	assert_int_equal(stat(c.cg, &st), 0);
	assert_int_equal(pipe(pp), 0);
	c.pipe_w = pp[1];
	assert_int_equal(run_workload(&r, &o, container_workload, &c), 0);
	close(pp[1]);
	for (int i = 0; i < 4; i++)
		if (read(pp[0], &want[i], sizeof(want[i])) != sizeof(want[i]))
			break;
	close(pp[0]);
	rmdir(c.cg);
	cgroup2_done();
	if (WEXITSTATUS(r.status) == 2) {
		run_end(&r);
		WD_SKIP("unshare of user+mnt+pid+net namespaces refused here");
	}
	assert_int_equal(WEXITSTATUS(r.status), 0);
	struct rec *e = NULL;
	for (size_t i = 0; i < r.sink.n; i++)
		if (r.sink.r[i].ev.kind == WD_EV_EXEC && r.sink.r[i].s[1] &&
		    memmem(r.sink.r[i].s[1], r.sink.r[i].len[1], "in-a-container", 14))
			e = &r.sink.r[i];
	assert_non_null(e);
	assert_int_equal(e->ev.proc.ns_pid, 1);
	assert_int_equal(e->ev.proc.ns_tid, 1);
	assert_int_equal(e->ev.proc.ns_ppid, 0);  /* the parent is outside the namespace */
	assert_true(e->ev.proc.pid != 1);
	assert_int_equal(e->ev.proc.ns[WD_NS_PID], want[0]);
	assert_int_equal(e->ev.proc.ns[WD_NS_MNT], want[1]);
	assert_int_equal(e->ev.proc.ns[WD_NS_NET], want[2]);
	assert_int_equal(e->ev.proc.ns[WD_NS_USER], want[3]);
	assert_int_equal(e->ev.proc.cgroup_id, st.st_ino);
	/* the host's namespaces differ */
	struct stat self;
	assert_int_equal(stat("/proc/self/ns/pid", &self), 0);
	assert_int_not_equal(e->ev.proc.ns[WD_NS_PID], (uint32_t)self.st_ino);
	run_end(&r);
}

static void agent_container_id_parsing(void **state)
{
	static const struct {
		const char *path, *id;
	} cases[] = {
		{ "/docker/3f4e2a1b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f",
		  "3f4e2a1b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f" },
		{ "/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope",
		  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" },
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c3d4e_5f60_7182_93a4_b5c6d7e8f901.slice/"
		  "cri-containerd-aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999.scope",
		  "aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999" },
		{ "/kubepods/besteffort/pod1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901/"
		  "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
		  "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210" },
		{ "/kubepods.slice/kubepods-pod12.slice/crio-1111111111111111111111111111111111111111111111111111111111111111.scope",
		  "1111111111111111111111111111111111111111111111111111111111111111" },
		{ "/machine.slice/libpod-2222222222222222222222222222222222222222222222222222222222222222.scope/container",
		  "2222222222222222222222222222222222222222222222222222222222222222" },
		{ "/machine.slice/libpod-conmon-3333333333333333333333333333333333333333333333333333333333333333.scope", "" },
		{ "/machine.slice/machine-web\\x2dfront.scope", "web-front" },
		{ "/user.slice/user-1000.slice/session-2.scope", "" },
		{ "/", "" },
		{ "/docker/notanid", "" },
	};
	char out[128];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = wd_container_id_from_cgroup(cases[i].path, out, sizeof(out));
		if (strcmp(out, cases[i].id))
			printf("%s -> '%s', want '%s'\n", cases[i].path, out, cases[i].id);
		assert_string_equal(out, cases[i].id);
		assert_int_equal(n, strlen(cases[i].id));
	}
	/* too small an output buffer: nothing, not a cut id */
	assert_int_equal(wd_container_id_from_cgroup(cases[0].path, out, 10), 0);
}

/* ---- long payloads ------------------------------------------------------ */

struct big_arg {
	size_t arg_bytes;
	char path[5000];
};

static int bigargs_workload(void *arg)
{
	struct big_arg *b = arg;
	size_t n = b->arg_bytes / 1000 + 1;
	char **argv = calloc(n + 2, sizeof(char *));
	argv[0] = "/bin/true";
	for (size_t i = 1; i <= n; i++) {
		argv[i] = malloc(1000);
		memset(argv[i], 'a' + i % 26, 999);
		argv[i][999] = '\0';
	}
	pid_t p = fork();
	if (p == 0) {
		execv("/bin/true", argv);
		_exit(127);
	}
	waitpid(p, NULL, 0);
	if (b->path[0]) {
		int fd = open(b->path, O_WRONLY | O_CREAT, 0600);
		if (fd < 0)
			return 1;
		close(fd);
	}
	return 0;
}

static void check_bigargs(size_t bytes, bool deep_path)
{
	struct wd_agent_opts o = default_opts();
	/* only the kinds it needs: fewer programs to verify (minutes under TCG) */
	o.filter.kinds = (1ull << WD_EV_EXEC) | (1ull << WD_EV_FILE_OPEN);
	struct big_arg b = { .arg_bytes = bytes };
	char base[] = "/tmp/warden-long-XXXXXX";
	struct run r;

	skip_unless_agent();
	if (deep_path) {
		char comp[201];
		assert_non_null(mkdtemp(base));
		memset(comp, 'd', 200);
		comp[200] = '\0';
		snprintf(b.path, sizeof(b.path), "%s", base);
		while (strlen(b.path) + 202 < 4000) {
			strcat(b.path, "/");
			strcat(b.path, comp);
			assert_int_equal(mkdir(b.path, 0700), 0);
		}
		strcat(b.path, "/f");
	}
	assert_int_equal(run_workload(&r, &o, bigargs_workload, &b), 0);
	assert_int_equal(WEXITSTATUS(r.status), 0);
	size_t n = bytes / 1000 + 1, true_len = 9 + n * 1000;  /* "/bin/true" + n x (NUL + 999) */
	struct rec *e = NULL;
	for (size_t i = 0; i < r.sink.n; i++)
		if (r.sink.r[i].ev.kind == WD_EV_EXEC && r.sink.r[i].s[0] &&
		    !strcmp(r.sink.r[i].s[0], "/bin/true"))
			e = &r.sink.r[i];
	assert_non_null(e);
	assert_int_equal(e->true_len[1], true_len);
	if (!e->trunc[1]) {
		/* whole: every argument, byte for byte */
		assert_int_equal(e->len[1], true_len);
		assert_int_equal(e->ev.exec.argc, n + 1);
		for (size_t i = 1; i <= n; i++)
			assert_int_equal(e->s[1][10 + (i - 1) * 1000], 'a' + i % 26);
	} else {
		/* cut: flagged, a prefix of the real thing */
		assert_true(e->len[1] < true_len);
		assert_memory_equal(e->s[1], "/bin/true", 10);
	}
	if (deep_path) {
		struct rec *f = find_path(&r.sink, WD_EV_FILE_OPEN, b.path, NULL);
		assert_non_null(f);
		assert_int_equal(f->len[0], strlen(b.path));
		assert_false(f->trunc[0]);
		unlink(b.path);
		while (strlen(b.path) > strlen(base)) {
			*strrchr(b.path, '/') = '\0';
			rmdir(b.path);
		}
	}
	run_end(&r);
}

static void agent_argv_100k_and_path_4k(void **state)
{
	(void)state;
	check_bigargs(100 * 1024, true);
}

static void agent_argv_over_limit_flagged(void **state)
{
	(void)state;
	check_bigargs(1024 * 1024, false);
}

/* ---- accounting --------------------------------------------------------- */

#define GEN_FILES 3000

static int generator(void *arg)
{
	const char *d = arg;
	char p[600];
	for (int i = 0; i < GEN_FILES; i++) {
		snprintf(p, sizeof(p), "%s/f%d", d, i % 16);
		int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			return 1;
		close(fd);
	}
	return 0;
}

static void check_accounting(int transport)
{
	struct wd_agent_opts o = default_opts();
	struct wd_event_stats st;
	char d[] = "/tmp/warden-gen-XXXXXX", p[600];
	struct run r;

	skip_unless_agent();
	assert_non_null(mkdtemp(d));
	o.filter.kinds = 1ull << WD_EV_FILE_OPEN;
	o.ring_bytes = 16384;  /* small: the generator overflows it */
	o.transport = transport;
	assert_int_equal(run_workload(&r, &o, generator, d), 0);
	assert_int_equal(WEXITSTATUS(r.status), 0);
	wd_agent_get_stats(r.a, &st);
	size_t got = 0;
	for (size_t i = 0; i < r.sink.n; i++)
		got += r.sink.r[i].ev.kind == WD_EV_FILE_OPEN && r.sink.r[i].ev.proc.pid == (uint32_t)r.child;
	printf("%s: %zu received + %llu dropped = %d generated (filtered %llu, lost %llu, truncated %llu)\n",
	       wd_agent_transport(r.a), got, (unsigned long long)st.dropped[WD_EV_FILE_OPEN], GEN_FILES,
	       (unsigned long long)st.filtered_kernel, (unsigned long long)st.lost_ring,
	       (unsigned long long)st.truncated);
	assert_int_equal(got, st.received[WD_EV_FILE_OPEN]);
	assert_int_equal(got + st.dropped[WD_EV_FILE_OPEN], GEN_FILES);
	assert_true(st.dropped[WD_EV_FILE_OPEN] > 0);  /* the test did overflow */
	run_end(&r);
	for (int i = 0; i < 16; i++) {
		snprintf(p, sizeof(p), "%s/f%d", d, i);
		unlink(p);
	}
	rmdir(d);
}

static void agent_accounting_ringbuf(void **state)
{
	(void)state;
	WD_REQUIRE(wd_probe_ringbuf(), "ring buffers");
	check_accounting(WD_EVENTS_RINGBUF);
}

static void agent_accounting_perfbuf(void **state)
{
	(void)state;
	check_accounting(WD_EVENTS_PERFBUF);
}

/* ---- stop time ---------------------------------------------------------- */

/* ids of the BPF programs this process holds */
static size_t prog_ids(uint32_t *ids, size_t max)
{
	char path[64], line[128];
	size_t n = 0;
	for (int fd = 0; fd < 1024 && n < max; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "prog_id: %u", &ids[n]) == 1) {
				n++;
				break;
			}
		fclose(f);
	}
	return n;
}

static int idle_workload(void *arg)
{
	(void)arg;
	return 0;
}

static void agent_stop_fast(void **state)
{
	struct wd_agent_opts o = default_opts();
	struct run r;
	(void)state;

	skip_unless_agent();
	assert_int_equal(run_workload(&r, &o, idle_workload, NULL), 0);
	unsigned int links = wd_agent_link_count(r.a);
	uint32_t ids[64];
	size_t nids = prog_ids(ids, 64);
	run_end(&r);
	printf("wd_agent_stop: %u links in %.1f ms\n", links, r.stop_ms);
	assert_true(links > 20);
	assert_true(r.stop_ms < 100);
	/* and a little later nothing is left: every program freed.  The
	 * kernel waits for an RCU grace period per tracepoint while the
	 * detached process releases them: seconds on a loaded 2-core host. */
	assert_true(nids > 5);
	size_t left = nids;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int t = 0; t < 2400 && left; t++) {   /* up to 120 s (30 s seen under ASan) */
		usleep(50000);
		left = 0;
		for (size_t i = 0; i < nids; i++) {
			union bpf_attr attr;
			memset(&attr, 0, sizeof(attr));
			attr.prog_id = ids[i];
			int fd = syscall(__NR_bpf, BPF_PROG_GET_FD_BY_ID, &attr, sizeof(attr));
			if (fd >= 0) {
				close(fd);
				left++;
			}
		}
	}
	printf("links released by the kernel %.0f ms after wd_agent_stop returned\n", ms_since(&t0));
	assert_int_equal(left, 0);
}


/* ---- filters in the kernel ---------------------------------------------- */

struct filt_arg {
	char dir[64];
	char cg[512];
};

static void touch(const char *dir, const char *name)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT, 0600);
	if (fd >= 0)
		close(fd);
}

static int filter_workload(void *arg)
{
	struct filt_arg *f = arg;
	pid_t p;

	prctl(PR_SET_NAME, "wd-filter-yes");
	touch(f->dir, "keep-comm");
	touch(f->dir, "drop-prefix");
	p = fork();
	if (p == 0) {
		prctl(PR_SET_NAME, "wd-filter-no");
		touch(f->dir, "keep-other-comm");
		if (setuid(65534) == 0)
			touch("/tmp", "warden-filter-uid");
		_exit(0);
	}
	waitpid(p, NULL, 0);
	if (f->cg[0]) {
		p = fork();
		if (p == 0) {
			char path[600], pid[32];
			snprintf(path, sizeof(path), "%s/cgroup.procs", f->cg);
			snprintf(pid, sizeof(pid), "%d", getpid());
			int fd = open(path, O_WRONLY);
			if (fd < 0 || write(fd, pid, strlen(pid)) < 0)
				_exit(1);
			close(fd);
			touch(f->dir, "keep-in-cgroup");
			_exit(0);
		}
		waitpid(p, NULL, 0);
	}
	return 0;
}

static size_t opens_named(struct sink *k, const char *suffix)
{
	size_t n = 0, sl = strlen(suffix);
	for (size_t i = 0; i < k->n; i++) {
		const char *s = k->r[i].s[0];
		if (k->r[i].ev.kind == WD_EV_FILE_OPEN && s && strlen(s) >= sl && !strcmp(s + strlen(s) - sl, suffix))
			n++;
	}
	return n;
}

static void agent_filters_in_kernel(void **state)
{
	struct wd_agent_opts o;
	struct filt_arg f = { .dir = "/tmp/warden-filt-XXXXXX" };
	struct wd_event_stats st;
	struct run r;
	char root[512], p[300];
	(void)state;

	skip_unless_agent();
	assert_non_null(mkdtemp(f.dir));

	/* kinds + comm */
	o = default_opts();
	o.filter.kinds = 1ull << WD_EV_FILE_OPEN;
	o.filter.comm = "wd-filter-yes";
	assert_int_equal(run_workload(&r, &o, filter_workload, &f), 0);
	assert_int_equal(opens_named(&r.sink, "/keep-comm"), 1);
	assert_int_equal(opens_named(&r.sink, "/keep-other-comm"), 0);
	for (size_t i = 0; i < r.sink.n; i++)
		assert_int_equal(r.sink.r[i].ev.kind, WD_EV_FILE_OPEN);
	wd_agent_get_stats(r.a, &st);
	assert_true(st.filtered_kernel > 0);
	run_end(&r);

	/* path prefix */
	o = default_opts();
	snprintf(p, sizeof(p), "%s/keep", f.dir);
	o.filter.path_prefix = p;
	assert_int_equal(run_workload(&r, &o, filter_workload, &f), 0);
	assert_int_equal(opens_named(&r.sink, "/keep-comm"), 1);
	assert_int_equal(opens_named(&r.sink, "/keep-other-comm"), 1);
	assert_int_equal(opens_named(&r.sink, "/drop-prefix"), 0);
	assert_int_equal(opens_named(&r.sink, "/warden-filter-uid"), 0);
	run_end(&r);

	/* uid */
	o = default_opts();
	o.filter.uid = 65534;
	assert_int_equal(run_workload(&r, &o, filter_workload, &f), 0);
	assert_int_equal(opens_named(&r.sink, "/warden-filter-uid"), 1);
	assert_int_equal(opens_named(&r.sink, "/keep-comm"), 0);
	for (size_t i = 0; i < r.sink.n; i++)
		assert_int_equal(r.sink.r[i].ev.proc.uid, 65534);
	run_end(&r);
	unlink("/tmp/warden-filter-uid");

	/* cgroup (and below) */
	if (cgroup2_root(root, sizeof(root)) == 0) {
		struct stat cst;
		snprintf(f.cg, sizeof(f.cg), "%s/warden-filt-%d", root, getpid());
		if (mkdir(f.cg, 0755) == 0 && stat(f.cg, &cst) == 0) {
			o = default_opts();
			o.filter.cgroup_id = cst.st_ino;
			assert_int_equal(run_workload(&r, &o, filter_workload, &f), 0);
			assert_int_equal(opens_named(&r.sink, "/keep-in-cgroup"), 1);
			assert_int_equal(opens_named(&r.sink, "/keep-comm"), 0);
			for (size_t i = 0; i < r.sink.n; i++)
				assert_int_equal(r.sink.r[i].ev.proc.cgroup_id, cst.st_ino);
			run_end(&r);
			rmdir(f.cg);
		}
		cgroup2_done();
	}
	static const char *const names[] = { "keep-comm", "drop-prefix", "keep-other-comm", "keep-in-cgroup" };
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", f.dir, names[i]);
		unlink(p);
	}
	rmdir(f.dir);
}

/* ---- --pid-tree and exec -------------------------------------------------- */

/* The tree's root execs a child directly and has a grandchild that is
 * orphaned (its parent exits, it is re-parented out of the tree) before it
 * execs: both are descendants.  A process outside the tree execs at the
 * same time and must not show. */
static int tree_workload(void *arg)
{
	int done[2];
	char c;
	(void)arg;

	pid_t p = fork();
	if (p == 0) {
		execl("/bin/true", "/bin/true", "wd-tree-child", (char *)NULL);
		_exit(127);
	}
	waitpid(p, NULL, 0);
	if (pipe2(done, O_CLOEXEC))
		return 1;
	pid_t mid = fork();
	if (mid == 0) {
		if (fork() == 0) {
			/* wait to be re-parented, then exec: the write end of
			 * done closes with the exec */
			for (int i = 0; i < 400 && getppid() == mid; i++)
				usleep(5000);
			close(done[0]);
			execl("/bin/true", "/bin/true", "wd-tree-orphan", (char *)NULL);
			_exit(127);
		}
		_exit(0);
	}
	close(done[1]);
	waitpid(mid, NULL, 0);
	if (read(done[0], &c, 1) != 0)
		return 2;
	close(done[0]);
	return 0;
}

static bool exec_with_arg(struct sink *k, const char *arg, struct rec **out)
{
	size_t al = strlen(arg);
	for (size_t i = 0; i < k->n; i++) {
		struct rec *r = &k->r[i];
		if (r->ev.kind != WD_EV_EXEC || !r->s[1])
			continue;
		for (size_t o = 0; o + al <= r->len[1]; o++)
			if (!memcmp(r->s[1] + o, arg, al)) {
				if (out)
					*out = r;
				return true;
			}
	}
	return false;
}

static void agent_pid_tree_exec(void **state)
{
	struct wd_agent_opts o = default_opts();
	struct run r;
	struct rec *e = NULL;
	(void)state;

	skip_unless_agent();
	/* exec alone: fork and exit still run, to keep the tree's members */
	o.filter.kinds = 1ull << WD_EV_EXEC;
	pid_t outside = fork();
	if (outside == 0) {
		for (int i = 0; i < 300; i++) {
			pid_t q = fork();
			if (q == 0) {
				execl("/bin/true", "/bin/true", "wd-tree-outside", (char *)NULL);
				_exit(127);
			}
			waitpid(q, NULL, 0);
			usleep(10000);
		}
		_exit(0);
	}
	assert_true(outside > 0);
	int rc = run_workload(&r, &o, tree_workload, NULL);
	kill(outside, SIGKILL);
	waitpid(outside, NULL, 0);
	assert_int_equal(rc, 0);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	assert_non_null(wd_agent_variant(r.a, WD_EV_FORK));  /* for the tree */
	assert_true(exec_with_arg(&r.sink, "wd-tree-child", &e));
	assert_int_equal(e->ev.proc.ppid, r.child);
	e = NULL;
	assert_true(exec_with_arg(&r.sink, "wd-tree-orphan", &e));
	assert_int_not_equal(e->ev.proc.ppid, r.child);  /* re-parented, still in the tree */
	assert_false(exec_with_arg(&r.sink, "wd-tree-outside", NULL));
	for (size_t i = 0; i < r.sink.n; i++)
		assert_int_equal(r.sink.r[i].ev.kind, WD_EV_EXEC);
	run_end(&r);
}

/* ---- an emulated RHEL 7: the legacy object, perf buffer, process events -- */

static void agent_legacy_process_events(void **state)
{
	struct wd_agent_opts o = default_opts();
	struct run r;
	(void)state;

	trace_crashes();
	if (geteuid() != 0)
		WD_SKIP("needs root");
	if (access(wd_test_obj("agent_legacy.o"), R_OK))
		WD_SKIP("no %s", wd_test_obj("agent_legacy.o"));
	assert_int_equal(wd_emulate("rhel7"), 0);
	wd_probe_reset_cache();
	int rc = run_workload(&r, &o, exec_workload, NULL);
	wd_emulate("none");
	wd_probe_reset_cache();
	wd_emulate_from_env();
	assert_int_equal(rc, 0);
	if (!wd_agent_variant(r.a, WD_EV_EXEC))
		wd_agent_explain(r.a, stdout);  /* why, for the log */
	assert_string_equal(wd_agent_transport(r.a), "perfbuf");
	assert_non_null(wd_agent_variant(r.a, WD_EV_EXEC));
	assert_string_equal(wd_agent_variant(r.a, WD_EV_EXEC), "tracepoint+offsets");
	assert_null(wd_agent_variant(r.a, WD_EV_FILE_OPEN));
	struct rec *e = NULL;
	for (size_t i = 0; i < r.sink.n; i++)
		if (r.sink.r[i].ev.kind == WD_EV_EXEC && r.sink.r[i].s[0] &&
		    !strcmp(r.sink.r[i].s[0], "/bin/true"))
			e = &r.sink.r[i];
	assert_non_null(e);
	static const char want[] = "/bin/true\0warden-test-arg1\0arg two";
	assert_int_equal(e->len[1], sizeof(want) - 1);
	assert_memory_equal(e->s[1], want, sizeof(want) - 1);
	assert_string_equal(e->ev.proc.comm, "true");
	uint32_t epid = e->ev.proc.pid;
	struct rec *f = find(&r.sink, WD_EV_FORK, epid);
	assert_non_null(f);
	assert_int_equal(f->ev.parent.pid, r.child);
	bool code3 = false, zero = false;
	for (size_t i = 0; i < r.sink.n; i++) {
		struct wd_event *x = &r.sink.r[i].ev;
		if (x->kind != WD_EV_EXIT)
			continue;
		code3 |= x->other.exit_code == 3;
		zero |= x->proc.pid == epid && x->other.exit_code == 0;
	}
	assert_true(code3);
	assert_true(zero);
	run_end(&r);
}

static const struct CMUnitTest agent_tests[] = {
	cmocka_unit_test(agent_explain_table),
	cmocka_unit_test(agent_explain_command_names_fallbacks),
	cmocka_unit_test(agent_exec_fork_exit),
	cmocka_unit_test(agent_pid_tree_exec),
	cmocka_unit_test(agent_exec_memfd_deleted_script),
	cmocka_unit_test_teardown(agent_file_events, unforce),
	cmocka_unit_test_teardown(agent_file_events_on_lsm, unforce),
	cmocka_unit_test_teardown(agent_file_events_on_tracepoints, unforce),
	cmocka_unit_test_teardown(agent_file_events_on_tp_exit, unforce),
	cmocka_unit_test(agent_net_ipv4),
	cmocka_unit_test(agent_net_ipv6),
	cmocka_unit_test_teardown(agent_net_on_kprobe, unforce),
	cmocka_unit_test(agent_system_events),
	cmocka_unit_test_teardown(agent_cred_ptrace, unforce),
	cmocka_unit_test_teardown(agent_cred_on_fentry, unforce),
	cmocka_unit_test_teardown(agent_cred_on_tracepoints, unforce),
	cmocka_unit_test_teardown(agent_cred_on_kprobe, unforce),
	cmocka_unit_test(agent_container_context),
	cmocka_unit_test(agent_container_id_parsing),
	cmocka_unit_test(agent_argv_100k_and_path_4k),
	cmocka_unit_test(agent_argv_over_limit_flagged),
	cmocka_unit_test(agent_accounting_ringbuf),
	cmocka_unit_test(agent_accounting_perfbuf),
	cmocka_unit_test(agent_stop_fast),
	cmocka_unit_test(agent_filters_in_kernel),
	cmocka_unit_test_teardown(agent_legacy_process_events, wd_test_restore_emulation),
};

WD_TEST_SET(agent_set, "agent", agent_tests);
