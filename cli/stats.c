// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * warden stats [--file PATH] [--json]: the counters of a running agent.
 * `warden run` rewrites its stats record (the same JSON as the stats
 * records of its stream, agent/json.h) into /run/warden/stats.json every
 * second, atomically (write + rename); this command reads it, and says
 * when the agent that wrote it is gone.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "cli.h"
#include "agent/config.h"

static const char stats_usage[] =
	"usage: warden stats [--file PATH] [--json]\n"
	"\n"
	"The counters of the running agent (warden run): events received and dropped\n"
	"per kind, ring losses, truncations, output errors.\n"
	"\n"
	"  -F, --file PATH  the agent's --stats-file (default /run/warden/stats.json)\n"
	"  -j, --json       the stats record as the agent wrote it (one JSON line)\n";

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (!f)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = (len + 4096 + 1) * 2);
			if (!nb) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* The number after `"key":` (first occurrence after `from`), or 0. */
static uint64_t number_after(const char *from, const char *key)
{
	const char *p = strstr(from, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

/* Print the "kind":N pairs of the two objects {"received":{..},"dropped":{..}}. */
static void print_kinds(const char *line)
{
	const char *rx = strstr(line, "\"received\":{"), *dr = strstr(line, "\"dropped\":{");

	if (!rx || !dr)
		return;
	printf("  %-14s %12s %10s\n", "kind", "received", "dropped");
	for (const char *p = rx + 12; *p == '"';) {
		const char *q = strchr(p + 1, '"');
		char key[64];
		uint64_t r, d;

		if (!q || (size_t)(q - p) >= sizeof(key) - 2)
			break;
		snprintf(key, sizeof(key), "%.*s\":", (int)(q - p + 1), p);
		r = strtoull(q + 2, NULL, 10);
		d = number_after(dr, key);
		if (r || d)
			printf("  %-14.*s %12" PRIu64 " %10" PRIu64 "\n", (int)(q - p - 1), p + 1, r, d);
		p = strchr(q, ',');
		if (!p || p > strchr(q, '}'))
			break;
		p++;
	}
}

static int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'F' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path = WD_CONFIG_DEFAULT_STATS_FILE;
	bool json = false, alive;
	struct stat st;
	char *line;
	uint64_t pid;
	double age;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":F:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'F': path = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(stats_usage, stdout); return 0;
		case ':': return cli_usage_error("stats", "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error("stats", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage_error("stats", "unexpected argument '%s'", argv[optind]);
	line = read_all(path);
	if (!line || stat(path, &st))
		return cli_fail("stats", "cannot read %s: %s (is 'warden run' running, and with this "
				"--stats-file?)", path, strerror(errno));
	pid = number_after(line, "\"process\":{\"pid\":");
	alive = pid && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
	age = difftime(time(NULL), st.st_mtime);
	if (json) {
		fputs(line, stdout);
	} else {
		printf("agent pid %" PRIu64 " (%s), updated %.0f s ago\n", pid,
		       alive ? "running" : "not running", age);
		printf("received %" PRIu64 ", dropped %" PRIu64 "\n",
		       number_after(line, "\"received_total\":"), number_after(line, "\"dropped_total\":"));
		print_kinds(line);
		printf("lost in the ring %" PRIu64 ", truncated %" PRIu64 ", tail calls failed %" PRIu64
		       ", chunks incomplete %" PRIu64 ", filtered in the kernel %" PRIu64
		       ", output errors %" PRIu64 "\n",
		       number_after(line, "\"lost_ring\":"), number_after(line, "\"truncated\":"),
		       number_after(line, "\"tailcall_failed\":"), number_after(line, "\"chunks_incomplete\":"),
		       number_after(line, "\"filtered_kernel\":"), number_after(line, "\"output_errors\":"));
	}
	free(line);
	if (!alive)
		return cli_fail("stats", "the agent that wrote %s (pid %" PRIu64 ") is not running: "
				"these are its last counters", path, pid);
	return 0;
}

WD_CLI_COMMAND("stats", cmd_stats, "the counters of the running agent (warden run)");
