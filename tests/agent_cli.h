/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `warden run` end to end, for the tests that drive the agent through the
 * CLI: start it with arguments, wait until it is attached (its stats file
 * appears), read its JSON lines, stop it with SIGINT.
 */
#ifndef WARDEN_TESTS_AGENT_CLI_H
#define WARDEN_TESTS_AGENT_CLI_H

#include <stdbool.h>
#include <sys/types.h>

struct agent_cli {
	char dir[64], out[128], stats[128], err[128];
	pid_t pid;
};

/* A temporary directory for the run's files (out, stats, err). */
void agent_cli_init(struct agent_cli *r);
/* Start `warden run --config /dev/null --output OUT --stats-file STATS
 * --stats-interval 0 --bpf-dir DIR ARGS...` (NULL-terminated), with
 * WARDEN_EMULATE set to `emulate` when not NULL; fails the test unless it
 * gets ready within a minute. */
void agent_cli_start(struct agent_cli *r, const char *emulate, ...) __attribute__((sentinel));
/* The whole file (NUL-terminated, malloc'd), or NULL. */
char *agent_cli_slurp(const char *path);
/* The first output line holding every one of the NULL-terminated strings
 * (malloc'd), waiting up to 10 s for it; NULL when none comes. */
char *agent_cli_line(struct agent_cli *r, ...) __attribute__((sentinel));
/* SIGINT, wait; fails the test unless it exits 0 with `want` (when not
 * NULL) in its stderr. */
void agent_cli_stop(struct agent_cli *r, const char *want);
/* Remove the run's directory. */
void agent_cli_done(struct agent_cli *r);

#endif
