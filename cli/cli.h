/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef WARDEN_CLI_H
#define WARDEN_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* One line on stderr, "warden: <cmd>: <msg>"; returns status. */
int cli_vmsg(const char *cmd, int status, const char *fmt, va_list ap);
int cli_msg(const char *cmd, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* One line on stderr: "warden: <cmd>: <msg>", returns exit status 1. */
#define cli_fail(cmd, ...) cli_msg(cmd, 1, __VA_ARGS__)
/* Exit status 2 for a usage error, with the hint to run --help. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Exit status 2 for bad input (an unknown object, a value that does not
 * parse): one line as cli_fail, without cli_usage_error's --help hint. */
#define cli_bad_input(cmd, ...) cli_msg(cmd, 2, __VA_ARGS__)
bool cli_is_help(const char *arg);
/* A decimal or 0x number of 32 bits at most: 0, or -EINVAL. */
int cli_parse_u32(const char *s, uint32_t *v);

/* A command's subcommands ("warden map dump ..."): the words after the
 * command, words[0] the subcommand.  No word runs the first entry (the
 * default) with none; an unknown one is a usage error, exit 2. */
struct cli_sub {
	const char *name;
	int (*run)(int argc, char **argv);
};
int cli_run_sub(const char *cmd, const struct cli_sub *subs, size_t nr_subs, int nwords,
		char **words);
/* After getopt_long() returned '?' (opterr is 0): names the option, exit 2. */
int cli_bad_option(const char *cmd, char **argv);

/* Register a subcommand (one file each): cli/main.c finds it in the
 * "wd_cli" linker section, so adding a command touches no other file. */
#define WD_CLI_COMMAND(cname, fn, text)                                        \
	static const struct cli_cmd cli_cmd_##fn = { cname, fn, text };       \
	static const struct cli_cmd *const cli_cmd_ptr_##fn                   \
		__attribute__((section("wd_cli"), used)) = &cli_cmd_##fn

#endif
