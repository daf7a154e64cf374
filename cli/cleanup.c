// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* warden cleanup [--dry-run]: remove what crashed warden processes left. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "caps.h"
#include "cli.h"
#include "warden/warden.h"
#include "warden/link.h"

static const char cleanup_usage[] =
	"usage: warden cleanup [--dry-run]\n"
	"\n"
	"Remove the legacy attachments of warden processes that are gone: kprobe_events\n"
	"and uprobe_events entries (named warden/warden_<pid>_<start>_...), TC filters\n"
	"and the clsact qdiscs warden added.  Entries of live processes, and of\n"
	"processes in another pid namespace, are listed and kept.\n"
	"\n"
	"  -n, --dry-run   list what would be removed, remove nothing\n";

static void print_entry(const struct wd_stale_entry *e, void *ctx)
{
	(void)ctx;
	printf("%-20s %-14s pid %-7d %s\n", e->verdict, e->file, e->pid, e->name);
}

static int cmd_cleanup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool dry_run = false;
	int c, n;
	optind = 1;
	while ((c = getopt_long(argc, argv, "nh", opts, NULL)) != -1) {
		switch (c) {
		case 'n': dry_run = true; break;
		case 'h': fputs(cleanup_usage, stdout); return 0;
		default: return cli_bad_option("cleanup", argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("cleanup", "unexpected argument '%s'", argv[optind]);
	n = wd_cleanup_stale_report(dry_run, print_entry, NULL);
	if (n < 0) {
		char why[256];
		if ((n == -EACCES || n == -EPERM) && cli_missing_caps(CLI_NEED_CLEANUP, why, sizeof(why)))
			return cli_fail("cleanup", "%s; %s", wd_errmsg(), why);
		return cli_fail("cleanup", "%s", wd_errmsg());
	}
	if (dry_run)
		printf("%d stale entr%s found (dry run: nothing removed)\n", n, n == 1 ? "y" : "ies");
	else
		printf("%d stale entr%s removed\n", n, n == 1 ? "y" : "ies");
	return 0;
}

WD_CLI_COMMAND("cleanup", cmd_cleanup, "remove kprobes, uprobes and TC filters left by dead warden processes");
