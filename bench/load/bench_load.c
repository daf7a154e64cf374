// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench/load: open + load + close of the test objects, libwarden against
 * libbpf in the same run.  Each side runs in its own child process so peak
 * RSS (ru_maxrss) is its own; rounds alternate to share the machine's noise.
 *   bench_load OBJ_DIR [ROUNDS]
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

static const char *const objects[] = { "minimal.o", "globals.o", "maps.o", "calls.o", "kconfig.o" };
#define NR_OBJECTS (sizeof(objects) / sizeof(objects[0]))

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int load_warden(const char *path)
{
	struct wd_object *obj = wd_object_open(path, NULL);
	int err = obj ? wd_object_load(obj, NULL) : -1;
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

/* Child: load every object `iters` times; report seconds through a pipe. */
static int measure(int (*load)(const char *), const char *dir, int iters, double *secs, long *rss_kb)
{
	int fds[2];
	if (pipe(fds))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		char path[4096];
		double t0 = now();
		for (int i = 0; i < iters; i++)
			for (size_t k = 0; k < NR_OBJECTS; k++) {
				snprintf(path, sizeof(path), "%s/%s", dir, objects[k]);
				if (load(path))
					_exit(1);
			}
		double t = now() - t0;
		if (write(fds[1], &t, sizeof(t)) != sizeof(t))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	int st;
	struct rusage ru;
	ssize_t n = read(fds[0], secs, sizeof(*secs));
	close(fds[0]);
	if (wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) || n != sizeof(*secs))
		return -1;
	*rss_kb = ru.ru_maxrss;
	return 0;
}

static int silent(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l; (void)f; (void)ap;
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "build/bpf";
	int rounds = argc > 2 ? atoi(argv[2]) : 5, iters = 20;
	double tw = 0, tl = 0;
	long rw = 0, rl = 0;
	libbpf_set_print(silent);
	for (int r = 0; r < rounds; r++) {
		double s;
		long kb;
		if (measure(load_warden, dir, iters, &s, &kb))
			return fprintf(stderr, "bench_load: warden failed: run 'warden load' on each object\n"), 1;
		tw += s;
		rw = kb > rw ? kb : rw;
		if (measure(load_libbpf, dir, iters, &s, &kb))
			return fprintf(stderr, "bench_load: libbpf failed\n"), 1;
		tl += s;
		rl = kb > rl ? kb : rl;
	}
	double n = (double)rounds * iters;
	printf("bench/load: %zu objects x %d iterations x %d rounds (open+load+close)\n",
	       NR_OBJECTS, iters, rounds);
	printf("  %-10s %8.2f ms per object set   peak RSS %6ld KiB\n", "libwarden", tw / n * 1e3, rw);
	printf("  %-10s %8.2f ms per object set   peak RSS %6ld KiB\n", "libbpf", tl / n * 1e3, rl);
	printf("  ratio warden/libbpf: time %.2f, peak RSS %.2f (below 1: warden better)\n",
	       tw / tl, (double)rw / rl);
	return 0;
}
