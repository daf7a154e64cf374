/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef WARDEN_CLI_H
#define WARDEN_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* One line on stderr, "warden: <cmd>: <msg>"; returns status. */
int cli_vmsg(const char *cmd, int status, const char *fmt, va_list ap);
/* One line on stderr: "warden: <cmd>: <msg>", returns exit status 1. */
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Exit status 2 for a usage error, with the hint to run --help. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool cli_is_help(const char *arg);
/* After getopt_long() returned '?' (opterr is 0): names the option, exit 2. */
int cli_bad_option(const char *cmd, char **argv);

/* Register a subcommand (one file each): cli/main.c finds it in the
 * "wd_cli" linker section, so adding a command touches no other file. */
#define WD_CLI_COMMAND(cname, fn, text)                                        \
	static const struct cli_cmd cli_cmd_##fn = { cname, fn, text };       \
	static const struct cli_cmd *const cli_cmd_ptr_##fn                   \
		__attribute__((section("wd_cli"), used)) = &cli_cmd_##fn

#endif
