// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* warden fleet init URL: create the ClickHouse table the fleet sink writes. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "fleet/fleet.h"

static const char fleet_usage[] =
	"usage: warden fleet init URL [--password-file FILE] [--cluster NAME]\n"
	"\n"
	"URL is clickhouse://[user[:password]@]host:port/database.table (the HTTP port,\n"
	"8123 by default).  Creates the database, the table of dist/clickhouse/schema.sql\n"
	"(ReplacingMergeTree, one partition a day) and, when the cluster is in the\n"
	"server's system.clusters, the Distributed table database.table_all over it.\n"
	"Existing tables are kept as they are.  See docs/fleet.md.\n"
	"\n"
	"  -p, --password-file FILE  read the password from FILE (not from argv)\n"
	"  -c, --cluster NAME        cluster of the Distributed table (default warden_cluster)\n";

static int fleet_init_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "password-file", required_argument, NULL, 'p' },
		{ "cluster", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct wd_fleet_opts fo = { .sz = sizeof(fo) };
	char err[512], note[512];
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': fo.password_file = optarg; break;
		case 'c': fo.cluster = optarg; break;
		case 'h': fputs(fleet_usage, stdout); return 0;
		default: return cli_bad_option("fleet", argv);
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("fleet", optind == argc ? "init needs a URL" : "unexpected argument '%s'",
				       argv[optind + 1 < argc ? optind + 1 : optind]);
	if (wd_fleet_init_note(argv[optind], &fo, note, sizeof(note), err, sizeof(err)))
		return cli_fail("fleet", "init: %s", err);
	printf("%s\n", note);
	return 0;
}

static int cmd_fleet(int argc, char **argv)
{
	if (argc < 2 || cli_is_help(argv[1])) {
		fputs(fleet_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "init"))
		return fleet_init_cmd(argc - 1, argv + 1);
	return cli_usage_error("fleet", "unknown subcommand '%s'", argv[1]);
}

WD_CLI_COMMAND("fleet", cmd_fleet, "fleet sink: 'fleet init URL' creates the ClickHouse table (docs/fleet.md)");
