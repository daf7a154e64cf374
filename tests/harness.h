/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Test harness on cmocka.  Each tests/test_*.c file defines one
 * `const struct wd_test_set` per group it contributes to; tests/main.c lists
 * them and runs the groups asked for (`warden-test --group loader`), then
 * prints `GROUP: N passed, N failed, N skipped` per group and a closing line
 * `N passed, N failed, N skipped`.
 */
#ifndef WARDEN_TEST_HARNESS_H
#define WARDEN_TEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include "warden/features.h"
#include "warden/testing.h"   /* wd_emulate_current, for skip reasons */

struct wd_test_set {
	const char *group;  /* loader, core, attach, consumers, doctor */
	const struct CMUnitTest *tests;
	size_t count;
};
/* Registers the set in the "wd_tests" linker section: tests/main.c finds
 * every set without a central list. */
#define WD_TEST_SET(var, grp, arr)                                              \
	const struct wd_test_set var = { grp, arr, sizeof(arr) / sizeof(arr[0]) }; \
	static const struct wd_test_set *const var##_ptr                         \
		__attribute__((section("wd_tests"), used)) = &var

/* Skip with a visible reason (counted as skipped, never as passed). */
extern int wd_test_skipped;
extern const char *wd_test_current;   /* name of the running test */
#define WD_SKIP(...)                                        \
	do {                                                \
		printf("SKIP %s: ", wd_test_current);       \
		printf(__VA_ARGS__);                        \
		printf("\n");                               \
		fflush(stdout);                             \
		wd_test_skipped++;                          \
		skip();                                     \
	} while (0)

/* Skip unless the loader's own probe says this kernel has the feature: the
 * same answer on a real old kernel and under WARDEN_EMULATE. */
#define WD_REQUIRE(probe_result, what)                                          \
	do {                                                                    \
		int __r = (probe_result);                                       \
		if (__r != 1)                                                   \
			WD_SKIP("this kernel lacks %s (probe: %s)", what,       \
				wd_probe_result_str(__r));                      \
	} while (0)
/* cmocka teardown: back to the $WARDEN_EMULATE profile of the run, even
 * when a test that switched profiles failed half-way. */
int wd_test_restore_emulation(void **state);
/* True while WARDEN_EMULATE plays an old kernel for libwarden only. */
int wd_test_emulating(void);

/* Is the running kernel at least major.minor (uname)?  For expectations in
 * tests only ("ring buffers exist since 5.8"); the library never decides by
 * version. */
int wd_test_kernel_at_least(int major, int minor);

/* Path of a BPF test object: $WARDEN_OBJ_DIR/name (default build/bpf). */
const char *wd_test_obj(const char *name);
/* Path of the warden CLI: $WARDEN_BIN (default build/warden). */
const char *wd_test_cli(void);
/* Run a shell command, capture stdout+stderr (malloc'd) and exit status. */
int wd_test_run(const char *cmd, char **out);
/* Run `warden ARGS` (printf-style) and return its output (malloc'd); on an
 * exit status other than want, print the output and fail the test. */
char *wd_test_cli_expect(int want, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Fail the test, showing out, unless needle is in it. */
void wd_test_expect_in(const char *out, const char *needle);
/* This process's comm (/proc/self/comm without the newline). */
void wd_test_own_comm(char *comm, size_t size);
/* Open fds of a process (0: this one, not counting the listing's own), or
 * -1 when /proc cannot tell: "nothing leaked" checks compare two counts. */
int wd_test_fd_count(int pid);
/* BPF links on the host whose program's name (the kernel's 15 characters)
 * `match` accepts: tests count their own links only, as other processes'
 * links come and go meanwhile. */
int wd_test_count_links(int (*match)(const char *prog_name));
/* CLOCK_MONOTONIC in seconds; a sleep that resumes after signals; a
 * number from the environment (strtol base 0), dflt when unset or empty. */
double wd_test_now_s(void);
void wd_test_sleep_s(double s);
long wd_test_env_long(const char *name, long dflt);

#endif
