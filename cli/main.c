// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* warden: one subcommand per file, dispatched from this table. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "warden/testing.h"

extern const struct cli_cmd *const __start_wd_cli[];
extern const struct cli_cmd *const __stop_wd_cli[];

int cli_vmsg(const char *cmd, int status, const char *fmt, va_list ap)
{
	fprintf(stderr, "warden: %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	return status;
}

int cli_msg(const char *cmd, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cli_vmsg(cmd, status, fmt, ap);
	va_end(ap);
	return status;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "warden: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'warden %s --help')\n", cmd);
	return 2;
}

int cli_bad_option(const char *cmd, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";
	if (optopt && arg[0] == '-' && arg[1] != '-')
		return cli_usage_error(cmd, "unknown option or missing value: '-%c'", optopt);
	return cli_usage_error(cmd, "unknown option or missing value: '%s'", arg);
}

bool cli_is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

int cli_parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long long x;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (!*s || *end || errno || x > UINT32_MAX || s[0] == '-')
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

int cli_run_sub(const char *cmd, const struct cli_sub *subs, size_t nr_subs, int nwords,
		char **words)
{
	if (nwords == 0)
		return subs[0].run(0, words + 1);
	for (size_t s = 0; s < nr_subs; s++)
		if (!strcmp(words[0], subs[s].name))
			return subs[s].run(nwords - 1, words + 1);
	return cli_usage_error(cmd, "unknown subcommand '%s'", words[0]);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: warden COMMAND [ARGS]\n\ncommands:\n");
	for (const struct cli_cmd *const *c = __start_wd_cli; c < __stop_wd_cli; c++)
		fprintf(f, "  %-10s %s\n", (*c)->name, (*c)->summary);
	fprintf(f, "\n'warden COMMAND --help' describes each command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	/* WARDEN_EMULATE=rhel7 plays an old kernel (tests, demos of doctor) */
	if (wd_emulate_from_env() < 0) {
		fprintf(stderr, "warden: unknown WARDEN_EMULATE profile '%s' (rhel7, no-btf)\n",
			getenv("WARDEN_EMULATE"));
		return 2;
	}
	if (cli_is_help(argv[1])) {
		usage(stdout);
		return 0;
	}
	/* warden help [COMMAND]: the same as --help, and COMMAND --help */
	if (!strcmp(argv[1], "help")) {
		if (argc == 2) {
			usage(stdout);
			return 0;
		}
		char *sub[] = { argv[2], "--help", NULL };
		for (const struct cli_cmd *const *c = __start_wd_cli; c < __stop_wd_cli; c++)
			if (!strcmp(argv[2], (*c)->name))
				return (*c)->run(2, sub);
		fprintf(stderr, "warden: help: unknown command '%s' (see 'warden --help')\n", argv[2]);
		return 2;
	}
	/* the commands say which option was wrong, once: getopt stays quiet */
	opterr = 0;
	for (const struct cli_cmd *const *c = __start_wd_cli; c < __stop_wd_cli; c++)
		if (!strcmp(argv[1], (*c)->name))
			return (*c)->run(argc - 1, argv + 1);
	fprintf(stderr, "warden: unknown command '%s' (see 'warden --help')\n", argv[1]);
	return 2;
}
