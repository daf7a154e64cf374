// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bench/agent/gen_open SECONDS [FILE]: open(O_WRONLY|O_CREAT) + close in a
 * tight loop (one `open` event each for the agent); prints the count. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5, t;
	const char *path = argc > 2 ? argv[2] : "/tmp/warden-bench-open";
	struct timespec a, b;
	long n = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		for (int i = 0; i < 1000; i++, n++) {
			int fd = open(path, O_WRONLY | O_CREAT, 0600);
			if (fd >= 0)
				close(fd);
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		t = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	} while (t < secs);
	unlink(path);
	printf("%ld %.3f\n", n, t);
	return 0;
}
