// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench/load: open + load + close, libwarden against libbpf in the same run,
 * per object: the test objects, many_progs.o (24 programs the verifier
 * walks loops in) and, when the real-world corpus is built
 * (tests/corpus/build.sh, cached in vm/.cache/corpus/objs), its objects
 * with the most programs.  libwarden runs twice: as it loads by default
 * (programs verified in parallel, one thread per possible CPU) and
 * sequentially (load_threads = 1).  Each side runs in its own child process
 * so peak RSS (ru_maxrss) is its own; rounds alternate the sides to share
 * the machine's noise, and each side's time is its best round (the least
 * disturbed by the other engineers' builds on this 2-core host).
 *   bench_load OBJ_DIR [ROUNDS] [CORPUS_DIR]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "warden/warden.h"

/* the first five: the object set of the original benchmark (RSS row) */
static const char *const test_objects[] = {
	"minimal.o", "globals.o", "maps.o", "calls.o", "kconfig.o", "many_progs.o",
	"core_fields.o", "net_pkt.o",
};
#define NR_SET 5

/* Corpus objects with many programs (BPF selftests of linux-source-6.1). */
static const char *const corpus_objects[] = {
	"st_test_tunnel_kern.o", "st_test_sk_lookup.o", "st_test_check_mtu.o",
	"st_test_tc_dtime.o", "st_test_pkt_access.o", "st_bpf_flow.o", "st_tailcall2.o",
	"st_test_xdp_noinline.o", "st_atomics.o", "st_test_global_func9.o",
};

enum side { WARDEN_PAR, WARDEN_SEQ, LIBBPF, NR_SIDES };
static const char *const side_names[] = { "warden", "warden-seq", "libbpf" };

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int load_warden(const char *path, int threads)
{
	struct wd_load_opts o = { .sz = sizeof(o), .load_threads = threads };
	struct wd_object *obj = wd_object_open(path, NULL);
	int err = obj ? wd_object_load(obj, &o) : -1;
	wd_object_close(obj);
	return err;
}

static int load_libbpf(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	if (libbpf_get_error(obj))
		return -1;
	int err = bpf_object__load(obj);
	bpf_object__close(obj);
	return err;
}

static int load(enum side s, const char *path)
{
	return s == LIBBPF ? load_libbpf(path) : load_warden(path, s == WARDEN_SEQ ? 1 : 0);
}

/* Child: load each of `paths` `iters` times; seconds through a pipe. */
static int measure(enum side s, char *const *paths, int n, int iters, double *secs, long *rss_kb,
		   double *cpu)
{
	int fds[2];
	if (pipe(fds))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		double t0 = now();
		for (int i = 0; i < iters; i++)
			for (int k = 0; k < n; k++)
				if (load(s, paths[k]))
					_exit(1);
		double t = now() - t0;
		if (write(fds[1], &t, sizeof(t)) != sizeof(t))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	int st;
	struct rusage ru;
	ssize_t got = read(fds[0], secs, sizeof(*secs));
	close(fds[0]);
	if (wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) || got != sizeof(*secs))
		return -1;
	*rss_kb = ru.ru_maxrss;
	*cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
	return 0;
}

struct result { double best[NR_SIDES], cpu[NR_SIDES]; long rss[NR_SIDES]; };

/* Best time per load and peak RSS of each side over `rounds` alternations. */
static int run(char *const *paths, int n, int rounds, int iters, struct result *r)
{
	for (int s = 0; s < NR_SIDES; s++) {
		r->best[s] = r->cpu[s] = 1e9;
		r->rss[s] = 0;
	}
	for (int round = 0; round < rounds; round++)
		for (int s = 0; s < NR_SIDES; s++) {
			double t, cpu;
			long kb;
			if (measure(s, paths, n, iters, &t, &kb, &cpu))
				return -1;
			t /= iters;
			cpu /= iters;
			r->best[s] = t < r->best[s] ? t : r->best[s];
			r->cpu[s] = cpu < r->cpu[s] ? cpu : r->cpu[s];
			r->rss[s] = kb > r->rss[s] ? kb : r->rss[s];
		}
	return 0;
}

static int silent(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l; (void)f; (void)ap;
	return 0;
}

/* Programs of an object (libbpf's count), 0 when it does not open. */
static int prog_count(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *p;
	int n = 0;
	if (libbpf_get_error(obj))
		return 0;
	bpf_object__for_each_program(p, obj)
		n++;
	bpf_object__close(obj);
	return n;
}

static void row(const char *dir, const char *name, int rounds, int *shown, double *sum,
		double *cpu)
{
	char path[4096], *paths[1] = { path };
	struct result r;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (access(path, R_OK))
		return;
	int iters = strstr(name, "many") || !strncmp(name, "st_", 3) ? 5 : 20;
	if (run(paths, 1, rounds, iters, &r)) {
		printf("  %-26s (skipped: warden or libbpf refuses it here)\n", name);
		return;
	}
	printf("  %-26s %5d %9.2f %9.2f %9.2f   %5.2f   %5.2f\n", name, prog_count(path),
	       r.best[WARDEN_PAR] * 1e3, r.best[WARDEN_SEQ] * 1e3, r.best[LIBBPF] * 1e3,
	       r.best[WARDEN_PAR] / r.best[LIBBPF], r.best[WARDEN_SEQ] / r.best[LIBBPF]);
	for (int s = 0; s < NR_SIDES; s++) {
		sum[s] += r.best[s];
		cpu[s] += r.cpu[s];
	}
	(*shown)++;
}

static void header(const char *what)
{
	printf("%s\n  %-26s %5s %9s %9s %9s   %5s   %5s\n", what, "object", "progs",
	       side_names[WARDEN_PAR], side_names[WARDEN_SEQ], side_names[LIBBPF], "par/lb", "seq/lb");
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "build/bpf";
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	const char *corpus = argc > 3 ? argv[3] : "vm/.cache/corpus/objs";
	double sum[NR_SIDES] = { 0 }, cpu[NR_SIDES] = { 0 }, load[3] = { 0 };
	int shown = 0;
	libbpf_set_print(silent);
	printf("bench/load: open+load+close, best of %d alternating rounds, ms per load; ratios "
	       "are warden/libbpf (below 1: warden faster)\n", rounds < 1 ? 1 : rounds);
	/* Threads help only where CPU is free: with sched_autogroup a session
	 * gets its share of the CPUs however many threads it runs. */
	if (getloadavg(load, 3) > 0)
		printf("load average %.2f on %ld CPUs while measuring\n", load[0],
		       sysconf(_SC_NPROCESSORS_ONLN));
	header("test objects");
	for (size_t i = 0; i < sizeof(test_objects) / sizeof(test_objects[0]); i++)
		row(dir, test_objects[i], rounds, &shown, sum, cpu);
	if (!access(corpus, R_OK)) {
		header("real-world corpus (tests/corpus/build.sh)");
		for (size_t i = 0; i < sizeof(corpus_objects) / sizeof(corpus_objects[0]); i++)
			row(corpus, corpus_objects[i], rounds, &shown, sum, cpu);
	} else {
		printf("(corpus not built at %s: tests/corpus/build.sh)\n", corpus);
	}
	if (shown)
		printf("  %-26s %5s %9.2f %9.2f %9.2f   %5.2f   %5.2f\n", "sum", "",
		       sum[WARDEN_PAR] * 1e3, sum[WARDEN_SEQ] * 1e3, sum[LIBBPF] * 1e3,
		       sum[WARDEN_PAR] / sum[LIBBPF], sum[WARDEN_SEQ] / sum[LIBBPF]);
	if (shown)
		printf("  %-26s %5s %9.2f %9.2f %9.2f   %5.2f   %5.2f\n", "sum, CPU time (user+sys)", "",
		       cpu[WARDEN_PAR] * 1e3, cpu[WARDEN_SEQ] * 1e3, cpu[LIBBPF] * 1e3,
		       cpu[WARDEN_PAR] / cpu[LIBBPF], cpu[WARDEN_SEQ] / cpu[LIBBPF]);

	/* the original object set as one unit, for peak RSS */
	char paths_buf[NR_SET][4096], *paths[NR_SET];
	struct result r;
	for (int i = 0; i < NR_SET; i++) {
		snprintf(paths_buf[i], sizeof(paths_buf[i]), "%s/%s", dir, test_objects[i]);
		paths[i] = paths_buf[i];
	}
	if (run(paths, NR_SET, rounds, 20, &r))
		return fprintf(stderr, "bench_load: the test object set failed: run 'warden load' "
			       "on each of its objects\n"), 1;
	printf("object set (%d test objects) per load of the set:\n", NR_SET);
	for (int s = 0; s < NR_SIDES; s++)
		printf("  %-10s %8.2f ms   peak RSS %6ld KiB\n", side_names[s], r.best[s] * 1e3, r.rss[s]);
	printf("  ratio warden/libbpf: time %.2f, peak RSS %.2f (below 1: warden better)\n",
	       r.best[WARDEN_PAR] / r.best[LIBBPF], (double)r.rss[WARDEN_PAR] / r.rss[LIBBPF]);
	return 0;
}
