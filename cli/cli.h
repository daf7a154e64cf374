/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef WARDEN_CLI_H
#define WARDEN_CLI_H

#include <stdbool.h>
#include <stdio.h>

struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* One line on stderr: "warden: <cmd>: <msg>", returns exit status 1. */
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Exit status 2 for a usage error, with the hint to run --help. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool cli_is_help(const char *arg);

int cmd_inspect(int argc, char **argv);
int cmd_load(int argc, char **argv);

#endif
