// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench/agent/startup ROUNDS COMMAND [ARGS...]: start-up and exit time of
 * a daemon that speaks systemd's readiness protocol (sd_notify(3)), as
 * systemd sees them: from fork+exec to the READY=1 datagram on
 * $NOTIFY_SOCKET (`warden run` sends it once every program is attached),
 * then from SIGTERM to the process's exit (`warden run` drains, detaches
 * and exits).  Each round starts once the BPF programs of the one before
 * are gone: the kernel frees a detached program after RCU grace periods
 * (about 6 s after exit here), and a start that overlaps that teardown
 * waits for the same tracepoint locks (attach 35-55 ms instead of 6).
 * Prints one line per round and the medians:
 *   "startup_ms EXIT_MS" ... "median startup_ms S exit_ms E"
 */
#include <errno.h>
#include <linux/bpf.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* How many BPF programs the kernel holds (-1: cannot tell). */
static int bpf_prog_count(void)
{
	union bpf_attr attr;
	int n = 0;

	memset(&attr, 0, sizeof(attr));
	while (syscall(__NR_bpf, BPF_PROG_GET_NEXT_ID, &attr, sizeof(attr)) == 0) {
		attr.start_id = attr.next_id;
		n++;
	}
	return errno == ENOENT ? n : -1;
}

/* Until the kernel holds no more programs than before the round (up to 30 s). */
static void wait_programs_freed(int before)
{
	for (int i = 0; i < 300 && before >= 0 && bpf_prog_count() > before; i++)
		usleep(100000);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* READY=1 within 60 s: 0; the child died or timed out: -1. */
static int wait_ready(int sfd, pid_t pid)
{
	double end = now_ms() + 60000;
	char buf[512];

	while (now_ms() < end) {
		struct pollfd p = { .fd = sfd, .events = POLLIN };
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fprintf(stderr, "startup: the command exited (status %d) before READY=1\n", st);
			return -1;
		}
		if (poll(&p, 1, 50) <= 0)
			continue;
		ssize_t n = recv(sfd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (strstr(buf, "READY=1"))
			return 0;
	}
	fprintf(stderr, "startup: no READY=1 in 60 s\n");
	return -1;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 0;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	double *up, *down;
	int sfd, done = 0;

	if (rounds <= 0 || argc < 3) {
		fprintf(stderr, "usage: startup ROUNDS COMMAND [ARGS...]\n");
		return 2;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/warden-bench-notify-%d", (int)getpid());
	unlink(sa.sun_path);
	sfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sfd < 0 || bind(sfd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("startup: notify socket");
		return 1;
	}
	setenv("NOTIFY_SOCKET", sa.sun_path, 1);
	up = calloc(rounds, sizeof(*up));
	down = calloc(rounds, sizeof(*down));
	int progs = bpf_prog_count();
	for (int r = 0; r < rounds; r++) {
		if (r)
			wait_programs_freed(progs);
		double t0 = now_ms(), t1, t2;
		int st;
		pid_t pid = fork();
		if (pid == 0) {
			execvp(argv[2], argv + 2);
			_exit(127);
		}
		if (pid < 0 || wait_ready(sfd, pid)) {
			if (pid > 0) {
				kill(pid, SIGKILL);
				waitpid(pid, &st, 0);
			}
			break;
		}
		t1 = now_ms();
		kill(pid, SIGTERM);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		t2 = now_ms();
		up[done] = t1 - t0;
		down[done] = t2 - t1;
		printf("startup_ms %.1f exit_ms %.1f\n", up[done], down[done]);
		done++;
	}
	unlink(sa.sun_path);
	if (!done)
		return 1;
	qsort(up, done, sizeof(*up), cmp);
	qsort(down, done, sizeof(*down), cmp);
	printf("median startup_ms %.1f exit_ms %.1f\n", up[done / 2], down[done / 2]);
	free(up);
	free(down);
	return done == rounds ? 0 : 1;
}
