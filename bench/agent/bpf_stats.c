// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench/agent/bpf_stats: the kernel's run-time statistics of BPF programs
 * on while this process lives (BPF_ENABLE_STATS, 5.8+: an fd, not the
 * kernel.bpf_stats_enabled sysctl, so nothing is left on when it exits).
 *
 *   bpf_stats hold SECONDS   keep them on for SECONDS (or until killed)
 *   bpf_stats sum PID        "RUN_TIME_NS RUN_CNT" summed over the BPF
 *                            programs PID holds an fd of (from fdinfo)
 *
 * run.sh measures the tracers' own program time per operation with them:
 * on only for a short second run, since the statistics cost each program
 * run two clock reads.
 */
#include <dirent.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int hold(int secs)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.enable_stats.type = BPF_STATS_RUN_TIME;
	fd = syscall(__NR_bpf, BPF_ENABLE_STATS, &a, sizeof(a));
	if (fd < 0) {
		perror("bpf_stats: BPF_ENABLE_STATS");
		return 1;
	}
	sleep(secs);
	return 0;
}

static int sum(const char *pid)
{
	unsigned long long ns = 0, cnt = 0, seen[512];
	size_t nseen = 0;
	char path[256], line[256];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%s/fdinfo", pid);
	if (!(dir = opendir(path))) {
		perror(path);
		return 1;
	}
	while ((d = readdir(dir))) {
		unsigned long long id = 0, t = 0, c = 0;
		bool dup = false;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, d->d_name);
		if (d->d_name[0] == '.' || !(f = fopen(path, "re")))
			continue;
		while (fgets(line, sizeof(line), f)) {
			sscanf(line, "prog_id: %llu", &id);
			sscanf(line, "run_time_ns: %llu", &t);
			sscanf(line, "run_cnt: %llu", &c);
		}
		fclose(f);
		for (size_t i = 0; i < nseen && !dup; i++)
			dup = seen[i] == id;
		if (!id || dup)
			continue;  /* not a program, or one already counted */
		if (nseen < sizeof(seen) / sizeof(seen[0]))
			seen[nseen++] = id;
		ns += t;
		cnt += c;
	}
	closedir(dir);
	printf("%llu %llu\n", ns, cnt);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return hold(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "sum"))
		return sum(argv[2]);
	fprintf(stderr, "usage: bpf_stats hold SECONDS | sum PID\n");
	return 2;
}
