/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Clocks and CPU pinning shared by the benchmarks (each builds as one
 * file: header-only, static inline).  Needs _GNU_SOURCE for the affinity
 * call.
 */
#ifndef WARDEN_BENCH_CLOCK_H
#define WARDEN_BENCH_CLOCK_H
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

/* Seconds on clock id (CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID, ...). */
static inline double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline double now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static inline double thread_cpu(void)
{
	return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The calling thread on CPU cpu (modulo the CPUs online). */
static inline void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % sysconf(_SC_NPROCESSORS_ONLN), &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

#endif
