// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The crash loop (issue 13): cycles of start, attach, SIGKILL at a random
 * moment.  Each cycle forks a process that loads tests/bpf/crash_loop.bpf.c
 * and attaches a tracepoint, a legacy and a PMU uprobe, kprobes (where the
 * kernel has them: the guests), TC over netlink (on a clsact a live process
 * made, and on one the crashing process makes), TC by the kernel's own way
 * (tcx on 6.6+), XDP and a cgroup program: through the library, or through
 * `warden load --attach` with and without --pin.  The veth pairs live in a
 * named network namespace of the test's own, the cgroup is the test's own.
 *
 * After each kill the sweep runs as the design says (the library's
 * wd_cleanup_stale(), as `warden run` does at start-up, or `warden cleanup`;
 * `warden detach DIR` for what --pin left on purpose), and then the
 * world must be exactly as before: tracefs entries (uprobe_events,
 * kprobe_events), BPF links (BPF_LINK_GET_NEXT_ID), qdiscs, filters and XDP
 * in the namespace, programs on the cgroup (BPF_PROG_QUERY), bpffs pins, the
 * clsact markers, and the fds of a live process holding its own attachments
 * (whose entries the sweep must never touch).  At the end a clean start in
 * each mode must work.
 *
 * WARDEN_CRASH_CYCLES (default 200) and WARDEN_CRASH_BUDGET (seconds, default
 * 100: a slow guest stops early, saying how many cycles it ran) size the run;
 * WARDEN_CRASH_SEED replays one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "host/tracefs.h"
#include "warden/bpf.h"
#include "warden/link.h"
#include "warden/warden.h"

int wd_uprobe_target(int x);   /* tests/test_attach_trace.c */

enum mode { M_LIB, M_CLI, M_CLI_PIN, M__COUNT };
static const char *const mode_names[M__COUNT] = { "library", "warden load --attach",
						  "warden load --pin --attach" };

struct crash_world {
	char ns[32], nspath[64];
	char cg_root[256], cg[320], cg_mounted[64];
	int cg_fd;
	char pin[128], cli_pin[128];
	char log[128];
	bool kprobes;
	pid_t survivor;
	int survivor_pipe;         /* closing it makes the survivor detach and exit */
	pid_t *pids;               /* every process whose leftovers we look for */
	size_t npids, cap;
};

/* ---- small helpers ----------------------------------------------------------- */

static void add_pid(struct crash_world *w, pid_t pid)
{
	if (w->npids == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->pids = realloc(w->pids, w->cap * sizeof(*w->pids));
		assert_non_null(w->pids);
	}
	w->pids[w->npids++] = pid;
}

static bool ours(const struct crash_world *w, int pid)
{
	for (size_t i = 0; i < w->npids; i++)
		if (w->pids[i] == pid)
			return true;
	return false;
}

static int sh(const char *cmd, char **out)
{
	char *o = NULL;
	int rc = wd_test_run(cmd, &o);
	if (out)
		*out = o;
	else
		free(o);
	return rc;
}

struct buf { char *p; size_t len; };

static void put(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	b->p = realloc(b->p, b->len + n + 1);
	assert_non_null(b->p);
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

/* ---- the snapshot: everything a crash could leave ---------------------------- */

/* "p:warden/warden_<pid>_..." lines of our processes. */
static void snap_trace(const struct crash_world *w, struct buf *b)
{
	static const char *const files[] = { "uprobe_events", "kprobe_events" };
	const char *dir;
	put(b, "== trace entries\n");
	if (wd_tracefs_dir(&dir))
		return;
	for (size_t f = 0; f < 2; f++) {
		char *text = wd_tracefs_read(dir, files[f]), *line, *save = NULL;
		for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
		     line = strtok_r(NULL, "\n", &save)) {
			const char *tag = strstr(line, "warden/warden_");
			int pid;
			if (tag && sscanf(tag, "warden/warden_%d_", &pid) == 1 && ours(w, pid)) {
				put(b, line);
				put(b, "\n");
			}
		}
		free(text);
	}
}

/* Programs of crash_loop.o ("wdc_*"). */
static int is_wdc_prog(const char *name)
{
	return !strncmp(name, "wdc_", 4);
}

/* Links whose program is one of crash_loop.o's. */
static int wdc_links(void)
{
	return wd_test_count_links(is_wdc_prog);
}

/* Programs on the test cgroup's egress hook, links and BPF_PROG_ATTACH alike. */
static int cgroup_progs(const struct crash_world *w)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.query.target_fd = (uint32_t)w->cg_fd;
	a.query.attach_type = BPF_CGROUP_INET_EGRESS;
	int err = wd_sys_bpf(BPF_PROG_QUERY, &a, sizeof(a));
	return err ? err : (int)a.query.prog_cnt;
}

static void list_dir(struct buf *b, const char *dir)
{
	struct dirent **names;
	char path[512];
	int n = scandir(dir, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		struct stat st;
		if (names[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			put(b, path);
			put(b, "\n");
			if (!lstat(path, &st) && S_ISDIR(st.st_mode))
				list_dir(b, path);
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

/* Clsact markers (lib/attach/attach_tc.c) of our processes. */
static void snap_marks(const struct crash_world *w, struct buf *b)
{
	DIR *d = opendir("/run/warden/clsact");
	struct dirent *e;
	unsigned long long ns;
	int ifindex, pid;
	put(b, "== clsact markers\n");
	while (d && (e = readdir(d)))
		if (sscanf(e->d_name, "%llu_%d_%d", &ns, &ifindex, &pid) == 3 && ours(w, pid)) {
			put(b, e->d_name);
			put(b, "\n");
		}
	if (d)
		closedir(d);
}

static char *snapshot(const struct crash_world *w)
{
	struct buf b = { 0 };
	char line[256], cmd[1024], *out = NULL;
	put(&b, "");
	snap_trace(w, &b);
	snprintf(line, sizeof(line), "== links of wdc_* programs: %d\n== cgroup egress programs: %d\n"
		 "== fds of the live owner: %d\n", wdc_links(), cgroup_progs(w),
		 wd_test_fd_count(w->survivor));
	put(&b, line);
	/* `ip -o link` for XDP; its qdisc column and statistics are stable here */
	snprintf(cmd, sizeof(cmd), "N=%s; tc -n $N qdisc show; for d in wdc0 wdc1; do "
		 "tc -n $N filter show dev $d ingress; tc -n $N filter show dev $d egress; done; "
		 "ip -n $N -o link show | sed 's/^[0-9]*: //; s/\\\\.*//'", w->ns);
	put(&b, "== tc and xdp\n");
	sh(cmd, &out);
	put(&b, out ? out : "(no output)\n");
	free(out);
	put(&b, "== pins\n");
	list_dir(&b, w->pin);
	list_dir(&b, w->cli_pin);
	snap_marks(w, &b);
	return b.p;
}

/* Wait (links and qdiscs go as the dead process's files are released) for
 * the world to equal `want`; false after timeout_s, *got the last look. */
static bool settles_to(const struct crash_world *w, const char *want, double timeout_s, char **got)
{
	double end = wd_test_now_s() + timeout_s;
	for (;;) {
		*got = snapshot(w);
		if (!strcmp(*got, want) || wd_test_now_s() > end)
			return !strcmp(*got, want);
		free(*got);
		wd_test_sleep_s(0.02);
	}
}

/* ---- the processes ---------------------------------------------------------- */

static void enter_netns(const struct crash_world *w)
{
	int fd = open(w->nspath, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		fprintf(stderr, "setns %s: %s\n", w->nspath, strerror(errno));
		_exit(90);
	}
	close(fd);
}

static struct wd_link *must(struct wd_link *l, const char *what)
{
	if (!l) {
		fprintf(stderr, "attach %s: %s\n", what, wd_errmsg());
		_exit(91);
	}
	return l;
}

static struct wd_object *open_loaded(const struct crash_world *w)
{
	struct wd_load_opts lo = { .sz = sizeof(lo), .pin_dir = w->pin };
	struct wd_object *obj = wd_object_open(wd_test_obj("crash_loop.o"), NULL);
	if (!obj || wd_object_load(obj, &lo)) {
		fprintf(stderr, "load: %s\n", wd_errmsg());
		_exit(92);
	}
	return obj;
}

/* The live owner: a legacy uprobe, a tracepoint, a legacy kprobe where
 * there are kprobes, and a netlink TC filter on a clsact it creates (wdc0).
 * Detaches and exits when the pipe closes. */
static void survivor(const struct crash_world *w, int ready_fd, int stop_fd)
{
	struct wd_uprobe_opts uo = { .sz = sizeof(uo), .func = "wd_uprobe_target", .pid = -1,
				     .force_legacy = true };
	struct wd_kprobe_opts ko = { .sz = sizeof(ko), .force_legacy = true };
	struct wd_tc_opts to = { .sz = sizeof(to), .force_netlink = true };
	struct wd_object *obj;
	char c;
	enter_netns(w);
	obj = open_loaded(w);
	must(wd_prog_attach(wd_object_prog(obj, "wdc_tp")), "tracepoint");
	must(wd_prog_attach_uprobe(wd_object_prog(obj, "wdc_up"), "/proc/self/exe", &uo), "uprobe");
	if (w->kprobes)
		must(wd_prog_attach_kprobe(wd_object_prog(obj, "wdc_kp"), "vfs_read", &ko), "kprobe");
	must(wd_prog_attach_tc(wd_object_prog(obj, "wdc_tc"), (int)if_nametoindex("wdc0"), &to), "tc");
	if (write(ready_fd, "R", 1) != 1)
		_exit(93);
	close(ready_fd);
	while (read(stop_fd, &c, 1) < 0 && errno == EINTR)
		;
	wd_object_close(obj);
	_exit(0);
}

/* One library start: everything attached, "running;" on stdout, then wait
 * to be killed (hold) or detach and exit 0. */
static void lib_start(const struct crash_world *w, bool hold)
{
	struct wd_uprobe_opts uleg = { .sz = sizeof(uleg), .func = "wd_uprobe_target", .pid = -1,
				       .force_legacy = true };
	struct wd_uprobe_opts upmu = { .sz = sizeof(upmu), .func = "wd_uprobe_target", .pid = -1 };
	struct wd_kprobe_opts kleg = { .sz = sizeof(kleg), .force_legacy = true };
	struct wd_kprobe_opts kpmu = { .sz = sizeof(kpmu), .retprobe = true };
	struct wd_tc_opts nl_in = { .sz = sizeof(nl_in), .force_netlink = true };
	struct wd_tc_opts nl_out = { .sz = sizeof(nl_out), .force_netlink = true, .egress = true };
	struct wd_tc_opts own = { .sz = sizeof(own) };
	struct wd_xdp_opts xo = { .sz = sizeof(xo) };
	struct wd_object *obj;
	int if0, if1;
	enter_netns(w);
	if0 = (int)if_nametoindex("wdc0");
	if1 = (int)if_nametoindex("wdc1");
	obj = open_loaded(w);
	must(wd_prog_attach(wd_object_prog(obj, "wdc_tp")), "tracepoint");
	must(wd_prog_attach_uprobe(wd_object_prog(obj, "wdc_up"), "/proc/self/exe", &uleg),
	     "legacy uprobe");
	must(wd_prog_attach_uprobe(wd_object_prog(obj, "wdc_up"), "/proc/self/exe", &upmu),
	     "uprobe");
	if (w->kprobes) {
		must(wd_prog_attach_kprobe(wd_object_prog(obj, "wdc_kp"), "vfs_read", &kleg),
		     "legacy kprobe");
		must(wd_prog_attach_kprobe(wd_object_prog(obj, "wdc_kp"), "vfs_read", &kpmu),
		     "kretprobe");
	}
	must(wd_prog_attach_tc(wd_object_prog(obj, "wdc_tc"), if0, &nl_in), "tc wdc0 netlink");
	must(wd_prog_attach_tc(wd_object_prog(obj, "wdc_tc"), if1, &nl_out), "tc wdc1 netlink");
	must(wd_prog_attach_tc(wd_object_prog(obj, "wdc_tc"), if1, &own), "tc wdc1");
	must(wd_prog_attach_xdp(wd_object_prog(obj, "wdc_xdp"), if1, &xo), "xdp");
	must(wd_prog_attach_cgroup(wd_object_prog(obj, "wdc_cg"), w->cg_fd), "cgroup");
	printf("running; everything attached\n");
	fflush(stdout);
	if (hold)
		for (;;)
			pause();
	wd_object_close(obj);
	_exit(0);
}

static void cli_start(const struct crash_world *w, bool pin, bool hold)
{
	const char *argv[20];
	int n = 0;
	enter_netns(w);
	argv[n++] = "warden";
	argv[n++] = "load";
	argv[n++] = "--attach";
	/* --pin keeps links only: TC over netlink (no tcx before 6.6) has none */
	if (!pin || wd_test_kernel_at_least(6, 6)) {
		argv[n++] = "--iface";
		argv[n++] = "wdc1";
		argv[n++] = "--tc";
		argv[n++] = "ingress";
	}
	argv[n++] = "--cgroup";
	argv[n++] = w->cg;
	if (pin) {
		argv[n++] = "--pin";
		argv[n++] = w->cli_pin;
	}
	argv[n++] = "--duration";
	argv[n++] = hold ? "3600" : "0.3";
	argv[n++] = wd_test_obj("crash_loop.o");
	argv[n] = NULL;
	execv(wd_test_cli(), (char *const *)argv);
	fprintf(stderr, "exec %s: %s\n", wd_test_cli(), strerror(errno));
	_exit(94);
}

/* Fork a start in `mode`, its stdout and stderr in w->log. */
static pid_t start(struct crash_world *w, enum mode m, bool hold)
{
	int fd = open(w->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	pid_t pid;
	assert_true(fd >= 0);
	fflush(stdout);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(fd, 1);
		dup2(fd, 2);
		if (m == M_LIB)
			lib_start(w, hold);
		cli_start(w, m == M_CLI_PIN, hold);
	}
	close(fd);
	add_pid(w, pid);
	return pid;
}

static char *read_log(const struct crash_world *w)
{
	char *out = calloc(1, 16384);
	int fd = open(w->log, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 || !out ? 0 : read(fd, out, 16383);
	if (fd >= 0)
		close(fd);
	if (out && n > 0)
		out[n] = '\0';
	return out;
}

static bool log_says_running(const struct crash_world *w)
{
	char buf[8192];
	int fd = open(w->log, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, "running;") != NULL;
}

/* Seconds from fork to "running;" (everything attached), the process then
 * killed; fails when it never gets there. */
static double time_to_attached(struct crash_world *w, enum mode m)
{
	double t0 = wd_test_now_s(), t;
	pid_t pid = start(w, m, true);
	int status;
	while (!log_says_running(w)) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			char *log = read_log(w);
			/* before 5.15 a tracepoint or kprobe attachment is a perf event
			 * with a program, not a BPF link: nothing to pin */
			if (m == M_CLI_PIN && log && strstr(log, "only BPF links can be pinned")) {
				const char *why = strstr(log, "warden: load:");
				printf("# warden load --pin --attach: not on this kernel: %s",
				       why ? why : log);
				free(log);
				return -1;
			}
			fail_msg("%s start exited (status 0x%x) before attaching:\n%s", mode_names[m],
				 status, log ? log : "");
		}
		if (wd_test_now_s() - t0 > 60) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fail_msg("%s start not attached after 60 s", mode_names[m]);
		}
		wd_test_sleep_s(0.001);
	}
	t = wd_test_now_s() - t0;
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return t;
}

/* ---- the sweep ------------------------------------------------------------ */

/* As the design says: `warden cleanup` or the library's sweep (what
 * `warden run` does at start), and `warden detach DIR` for --pin. */
static int sweep(struct crash_world *w, enum mode m, bool cli)
{
	char cmd[512], *out = NULL;
	int removed = 0, rc;
	struct stat st;
	if (m == M_CLI_PIN && stat(w->cli_pin, &st) == 0) {
		snprintf(cmd, sizeof(cmd), "%s detach %s", wd_test_cli(), w->cli_pin);
		rc = sh(cmd, &out);
		if (rc)
			fail_msg("%s: exit %d: %s", cmd, rc, out ? out : "");
		free(out);
		out = NULL;
	}
	if (cli) {
		snprintf(cmd, sizeof(cmd), "%s cleanup", wd_test_cli());
		rc = sh(cmd, &out);
		const char *last = out ? strstr(out, " stale entr") : NULL;
		while (last && last > out && last[-1] != '\n')
			last--;
		if (rc || !last || sscanf(last, "%d", &removed) != 1)
			fail_msg("%s: exit %d: %s", cmd, rc, out ? out : "");
		free(out);
		return removed;
	}
	removed = wd_cleanup_stale(false);
	if (removed < 0)
		fail_msg("wd_cleanup_stale: %s", wd_errmsg());
	return removed;
}

/* ---- set-up and tear-down ---------------------------------------------------- */

static int cgroup2_root(struct crash_world *w)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char line[1024], dev[64], dir[256], type[32];
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %255s %31s", dev, dir, type) == 3 && !strcmp(type, "cgroup2")) {
			snprintf(w->cg_root, sizeof(w->cg_root), "%s", dir);
			fclose(f);
			return 0;
		}
	if (f)
		fclose(f);
	snprintf(w->cg_mounted, sizeof(w->cg_mounted), "/tmp/warden-crash-cg2-XXXXXX");
	if (!mkdtemp(w->cg_mounted) || mount("none", w->cg_mounted, "cgroup2", 0, NULL)) {
		rmdir(w->cg_mounted);
		w->cg_mounted[0] = '\0';
		return -1;
	}
	snprintf(w->cg_root, sizeof(w->cg_root), "%s", w->cg_mounted);
	return 0;
}

static void remove_tree(const char *dir)
{
	struct dirent *e;
	char path[512];
	DIR *d = opendir(dir);
	while (d && (e = readdir(d))) {
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!lstat(path, &st) && S_ISDIR(st.st_mode))
			remove_tree(path);
		else
			unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static int world_teardown(void **state)
{
	struct crash_world *w = *state;
	char cmd[256];
	int status;
	if (!w)
		return 0;
	if (w->survivor > 0) {
		close(w->survivor_pipe);
		waitpid(w->survivor, &status, 0);
	}
	wd_cleanup_stale(false);
	snprintf(cmd, sizeof(cmd), "ip netns del %s 2>/dev/null", w->ns);
	sh(cmd, NULL);
	remove_tree(w->pin);
	remove_tree(w->cli_pin);
	if (w->cg_fd >= 0)
		close(w->cg_fd);
	rmdir(w->cg);
	if (w->cg_mounted[0]) {
		umount(w->cg_mounted);
		rmdir(w->cg_mounted);
	}
	unlink(w->log);
	free(w->pids);
	free(w);
	*state = NULL;
	return 0;
}

static char skip_why[512];

/* Set-up failed for want of a kernel or host feature: the test skips. */
static int give_up(void **state)
{
	world_teardown(state);
	*state = NULL;
	return 0;
}

static int world_setup(void **state)
{
	struct crash_world *w = calloc(1, sizeof(*w));
	const char *dir;
	char cmd[512], path[300], *out = NULL;
	assert_non_null(w);
	w->cg_fd = -1;
	w->survivor_pipe = -1;
	*state = w;
	snprintf(w->ns, sizeof(w->ns), "wdcrash%d", getpid());
	snprintf(w->nspath, sizeof(w->nspath), "/run/netns/%s", w->ns);
	snprintf(w->pin, sizeof(w->pin), "/sys/fs/bpf/wd-crash-%d", getpid());
	snprintf(w->cli_pin, sizeof(w->cli_pin), "/sys/fs/bpf/wd-crash-cli-%d", getpid());
	snprintf(w->log, sizeof(w->log), "/tmp/warden-crash-%d.log", getpid());
	snprintf(cmd, sizeof(cmd), "ip netns add %s && ip -n %s link add wdc0 type veth peer name "
		 "wdc0p && ip -n %s link add wdc1 type veth peer name wdc1p && for d in wdc0 wdc0p "
		 "wdc1 wdc1p; do ip -n %s link set $d up || exit 1; done", w->ns, w->ns, w->ns, w->ns);
	if (sh(cmd, &out)) {
		snprintf(skip_why, sizeof(skip_why), "cannot make the test's network namespace: %s",
			 out ? out : "");
		free(out);
		return give_up(state);
	}
	free(out);
	assert_true(wd_bpffs_ensure("/sys/fs/bpf") >= 0);
	assert_true(mkdir(w->pin, 0700) == 0 || errno == EEXIST);
	if (cgroup2_root(w)) {
		snprintf(skip_why, sizeof(skip_why), "no cgroup2 mount, and none could be made");
		return give_up(state);
	}
	snprintf(w->cg, sizeof(w->cg), "%s/warden-crash-%d", w->cg_root, getpid());
	if (mkdir(w->cg, 0755) && errno != EEXIST) {
		snprintf(skip_why, sizeof(skip_why), "cannot make a cgroup under %s: %s", w->cg_root,
			 strerror(errno));
		return give_up(state);
	}
	w->cg_fd = open(w->cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(w->cg_fd >= 0);
	/* kprobes where the kernel has kprobe_events (not this host: CONFIG_KPROBES off) */
	if (wd_tracefs_dir(&dir) == 0) {
		snprintf(path, sizeof(path), "%s/kprobe_events", dir);
		w->kprobes = access(path, F_OK) == 0;
	}
	add_pid(w, getpid());
	return 0;
}

static void start_survivor(struct crash_world *w)
{
	int ready[2], stop[2];
	char c;
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(stop), 0);
	fflush(stdout);
	w->survivor = fork();
	assert_true(w->survivor >= 0);
	if (!w->survivor) {
		close(ready[0]);
		close(stop[1]);
		survivor(w, ready[1], stop[0]);
	}
	close(ready[1]);
	close(stop[0]);
	w->survivor_pipe = stop[1];
	fcntl(w->survivor_pipe, F_SETFD, FD_CLOEXEC);
	add_pid(w, w->survivor);
	if (read(ready[0], &c, 1) != 1)
		fail_msg("the live owner could not attach (see its stderr above)");
	close(ready[0]);
}

/* ---- the test ------------------------------------------------------------- */

static void crash_loop_leaves_nothing_behind(void **state)
{
	struct crash_world *w = *state;
	long cycles = wd_test_env_long("WARDEN_CRASH_CYCLES", 200), budget = wd_test_env_long("WARDEN_CRASH_BUDGET", 100);
	unsigned int seed = (unsigned int)wd_test_env_long("WARDEN_CRASH_SEED", (long)time(NULL) ^ getpid());
	double ready_s[M__COUNT], t0;
	long done = 0, steady = 0, swept = 0, cycles_with_leftovers = 0, per_mode[M__COUNT] = { 0 };
	char *base, *got;
	int self_fds;

	if (!w)
		WD_SKIP("%s", skip_why);
	start_survivor(w);
	for (int m = 0; m < M__COUNT; m++) {       /* warm-up: how long a start takes */
		ready_s[m] = time_to_attached(w, (enum mode)m);
		swept += sweep(w, (enum mode)m, false);
	}
	/* the world with the live owner attached and the pinned map a start leaves */
	base = snapshot(w);
	printf("# baseline (kprobes %s):\n%s", w->kprobes ? "yes" : "no: none in this kernel", base);
	printf("# start to attached: library %.0f ms, warden load %.0f ms, warden load --pin %.0f ms; "
	       "seed %u\n", ready_s[0] * 1e3, ready_s[1] * 1e3, ready_s[2] * 1e3, seed);
	srand(seed);
	self_fds = wd_test_fd_count(getpid());
	t0 = wd_test_now_s();
	for (done = 0; done < cycles; done++) {
		enum mode m = done % 5 < 3 ? M_LIB : done % 5 == 3 ? M_CLI : M_CLI_PIN;
		if (ready_s[m] < 0)
			m = M_CLI;
		double delay = ready_s[m] * 2.0 * rand() / (double)RAND_MAX;
		int status, n;
		pid_t pid;
		if (wd_test_now_s() - t0 > (double)budget && done >= 20) {
			printf("# time budget of %ld s reached after %ld cycles\n", budget, done);
			break;
		}
		pid = start(w, m, true);
		wd_test_sleep_s(delay);
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status)) {
			char *log = read_log(w);
			fail_msg("cycle %ld (%s): the start exited by itself (status 0x%x) before the "
				 "kill at %.1f ms:\n%s", done, mode_names[m], status, delay * 1e3,
				 log ? log : "");
		}
		steady += log_says_running(w);
		per_mode[m]++;
		n = sweep(w, m, done % 4 == 1);
		swept += n;
		cycles_with_leftovers += n > 0;
		if (!settles_to(w, base, 10, &got)) {
			printf("--- before\n%s--- after the sweep\n%s", base, got);
			fail_msg("cycle %ld (%s, killed at %.1f ms of %.1f, seed %u): the world "
				 "differs after the sweep (above)", done, mode_names[m], delay * 1e3,
				 ready_s[m] * 1e3, seed);
		}
		free(got);
	}
	printf("# %ld cycles in %.1f s (library %ld, warden load %ld, warden load --pin %ld): "
	       "%ld killed in steady state, %ld during start-up; the sweeps removed %ld stale "
	       "entries (in %ld cycles); 0 left behind\n", done, wd_test_now_s() - t0, per_mode[M_LIB],
	       per_mode[M_CLI], per_mode[M_CLI_PIN], steady, done - steady, swept,
	       cycles_with_leftovers);
	assert_int_equal(wd_test_fd_count(getpid()), self_fds);

	/* the next start works, in every mode, and leaves the world as it was */
	for (int m = 0; m < M__COUNT; m++) {
		int status;
		if (ready_s[m] < 0)
			continue;
		pid_t pid = start(w, (enum mode)m, false);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFEXITED(status) || WEXITSTATUS(status) || !log_says_running(w)) {
			char *log = read_log(w);
			fail_msg("clean start after the crashes (%s): status 0x%x:\n%s", mode_names[m],
				 status, log ? log : "");
		}
		if (m == M_CLI_PIN)
			sweep(w, M_CLI_PIN, false);   /* --pin leaves its pins on purpose */
		if (!settles_to(w, base, 10, &got)) {
			printf("--- before\n%s--- after\n%s", base, got);
			fail_msg("after a clean %s run the world differs (above)", mode_names[m]);
		}
		free(got);
	}
	free(base);
}

static const struct CMUnitTest crash_tests[] = {
	cmocka_unit_test_setup_teardown(crash_loop_leaves_nothing_behind, world_setup,
					world_teardown),
};

WD_TEST_SET(crash_set, "crash", crash_tests);
