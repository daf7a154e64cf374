// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* warden --version: the version of agent/agent.mk (WARDEN_VERSION), the
 * one libwarden.pc and the installed library's file name carry. */
#include <stdio.h>
#include "cli.h"

#ifndef WARDEN_VERSION
#define WARDEN_VERSION "unknown"
#endif

static int cmd_version(int argc, char **argv)
{
	if (argc > 1 && !cli_is_help(argv[1]))
		return cli_usage_error(argv[0], "takes no argument");
	(void)argv;
	printf("warden %s\n", WARDEN_VERSION);
	return 0;
}

WD_CLI_COMMAND("--version", cmd_version, "print warden's version");
