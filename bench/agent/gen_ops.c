// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench/agent/gen_ops MODE SECONDS [PATH]: one kind of system call in a
 * tight loop, for the added cost a tracer puts on it.  Prints
 * "COUNT WALL_SECONDS CPU_SECONDS": the loop's wall time, and the CPU time
 * of this process and its children (user + system: what a tracer adds to
 * the traced calls is charged there; on a loaded machine it is steadier
 * than wall time, which counts the waits for a CPU).
 *
 *   open-write PATH  open(O_WRONLY|O_CREAT) + close: an open event
 *   open-read PATH   open(O_RDONLY) + close: a read, which the agent drops
 *                    at sys_enter (the file must exist)
 *   exec             posix_spawn(/bin/true) + wait: an exec event (and
 *                    fork and exit)
 *   connect          TCP connect to a listener on 127.0.0.1 + accept +
 *                    close both: a connect event
 *
 * GEN_RATE=N paces the loop at N operations a second (sleeping between
 * batches of 100), for a tracer's CPU and memory at a given event rate;
 * unset, the loop runs flat out.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double since(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) + (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

static double cpu_seconds(void)
{
	struct rusage self, kids;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec + kids.ru_stime.tv_sec +
	       (self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec +
		kids.ru_stime.tv_usec) / 1e6;
}

static int op_open(const char *path, int flags)
{
	int fd = open(path, flags, 0600);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int op_exec(void)
{
	char *argv[] = { "true", NULL };
	pid_t pid;
	int st;

	if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ))
		return -1;
	return waitpid(pid, &st, 0) == pid ? 0 : -1;
}

static int listener(struct sockaddr_in *sa)
{
	socklen_t len = sizeof(*sa);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)sa, sizeof(*sa)) || listen(fd, 128) ||
	    getsockname(fd, (struct sockaddr *)sa, &len))
		return -1;
	return fd;
}

static int op_connect(int lfd, const struct sockaddr_in *sa)
{
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), s;

	if (c < 0)
		return -1;
	if (connect(c, (const struct sockaddr *)sa, sizeof(*sa))) {
		close(c);
		return -1;
	}
	s = accept(lfd, NULL, NULL);
	/* a reset rather than TIME_WAIT: tens of thousands of connects a
	 * second would use up the ephemeral ports */
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(c);
	if (s >= 0)
		close(s);
	return s >= 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	double secs = argc > 2 ? atof(argv[2]) : 3, t;
	const char *path = argc > 3 ? argv[3] : "/tmp/warden-bench-gen";
	struct sockaddr_in sa;
	struct timespec a;
	double cpu0;
	int lfd = -1, batch;
	long n = 0, failed = 0;

	if (!strcmp(mode, "connect") && (lfd = listener(&sa)) < 0) {
		perror("gen_ops: listener");
		return 1;
	}
	if (strcmp(mode, "open-write") && strcmp(mode, "open-read") && strcmp(mode, "exec") &&
	    strcmp(mode, "connect")) {
		fprintf(stderr, "usage: gen_ops open-write|open-read|exec|connect SECONDS [PATH]\n");
		return 2;
	}
	double rate = getenv("GEN_RATE") ? atof(getenv("GEN_RATE")) : 0;
	batch = rate > 0 ? 100 : !strcmp(mode, "exec") ? 10 : !strcmp(mode, "connect") ? 100 : 1000;
	cpu0 = cpu_seconds();
	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		for (int i = 0; i < batch; i++, n++) {
			int rc;
			if (mode[0] == 'o')
				rc = op_open(path, mode[5] == 'w' ? O_WRONLY | O_CREAT : O_RDONLY);
			else if (mode[0] == 'e')
				rc = op_exec();
			else
				rc = op_connect(lfd, &sa);
			failed += rc != 0;
		}
		t = since(&a);
		if (rate > 0 && n / rate > t) {  /* ahead of the pace: wait for it */
			double wait = n / rate - t;
			struct timespec ts = { .tv_sec = (time_t)wait, .tv_nsec = (long)((wait - (time_t)wait) * 1e9) };
			nanosleep(&ts, NULL);
			t = since(&a);
		}
	} while (t < secs);
	if (failed) {
		fprintf(stderr, "gen_ops %s: %ld of %ld operations failed\n", mode, failed, n);
		return 1;
	}
	printf("%ld %.3f %.3f\n", n, t, cpu_seconds() - cpu0);
	return 0;
}
