// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* warden verify FILE.o [--prog NAME] [--log-level 1|2] */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "warden/doctor.h"
#include "warden/features.h"
#include "warden/testing.h"
#include "warden/warden.h"
#include "diag/lint.h"

static const char verify_usage[] =
	"usage: warden verify FILE.o [--prog NAME] [--log-level 1|2]\n"
	"\n"
	"Load each program of FILE.o (or only NAME) on its own.  For a program the\n"
	"verifier rejects, print its log with every instruction mapped back to its\n"
	"source line (BTF line info), the failing instruction marked '>>', and a\n"
	"plain explanation of the common causes.  Then the lint of each program (see\n"
	"'warden help doctor'): lines 'lint: error|warning|info PROG: ...' with the\n"
	"source line and the fix.  Exit 1 when a program is rejected or the lint finds\n"
	"an error.\n"
	"\n"
	"  --prog NAME        verify only this program\n"
	"  -l, --log-level N  verifier log level: 1 (default) or 2 (every state)\n";

struct vopts {
	const char *path, *prog;
	int log_level;
	bool color;
};

/* The failing instruction may appear many times (loops): mark its last line. */
static const char *last_insn_line(const char *log, int fail)
{
	const char *last = NULL;
	int insn;
	char paren;

	for (const char *l = log; *l; l += strcspn(l, "\n"), l += *l == '\n')
		if (sscanf(l, "%d: %c", &insn, &paren) == 2 && paren == '(' && insn == fail)
			last = l;
	return last;
}

static void print_log(const char *log, struct wd_prog *p, const struct wd_src_map *map, int fail,
		      bool color)
{
	const char *l = log, *mark = fail >= 0 ? last_insn_line(log, fail) : NULL;

	while (*l) {
		size_t len = strcspn(l, "\n");
		char src[128] = "";
		int insn = -1;
		char paren;
		if (sscanf(l, "%d: %c", &insn, &paren) == 2 && paren == '(')
			wd_src_map_line(map, insn, src, sizeof(src));
		else
			insn = -1;
		bool hit = l == mark;
		printf("%s%s %-24s %.*s%s\n", hit && color ? "\033[1;31m" : "", hit ? ">>" : "  ",
		       src, (int)len, l, hit && color ? "\033[0m" : "");
		l += len;
		if (*l)
			l++;
	}
	(void)p;
}

/* The kernel's stack errors give a total ("combined stack size of 2 calls
 * is 576") or an offset, never which functions: name them and their frames
 * from the program's own code, as the verifier adds them up. */
static void print_stack_chain(const struct wd_object *obj, struct wd_prog *p)
{
	char chain[256];
	int total = wd_lint_stack_chain(obj, p, chain, sizeof(chain));

	if (total > 0)
		printf("stack: %d bytes along the call chain %s (each frame rounded to 32 bytes, "
		       "as the verifier counts; the limit is 512 for the whole chain)\n",
		       total, chain);
}

static void report_rejection(const struct wd_object *obj, struct wd_prog *p, int err,
			     const char *license, const struct vopts *o)
{
	const char *log = wd_prog_log(p), *why;
	int fail = wd_prog_fail_insn(p);
	struct wd_src_map *map = wd_src_map_new(p);
	char src[128];
	const char *line = wd_src_map_line(map, fail, src, sizeof(src));

	printf("--- verifier log of '%s' (%s) ---\n", wd_prog_name(p), wd_prog_section(p));
	if (log && strstr(log, "(log truncated"))
		printf("   (the log was cut at its size cap: what follows is only part of it; "
		       "the note at its end says which part)\n");
	if (log && *log)
		print_log(log, p, map, fail, o->color);
	else
		printf("   (empty: the kernel refused the program before the verifier ran: %s)\n",
		       strerror(-err));
	printf("--- end of log ---\n");
	printf("rejected: %s\n", wd_errmsg());
	if (fail >= 0)
		printf("failing instruction: %d%s%s\n", fail, line ? " at " : "", line ? line : "");
	why = wd_verify_explain(log, err, license);
	printf("cause: %s\n", why ? why : "not one of the common failures: read the last lines "
	       "of the log above");
	if (why && !strncmp(why, "stack over 512", 14))
		print_stack_chain(obj, p);
	wd_src_map_free(map);
}

/* Load only `name` of a fresh object; 0 loaded, 1 rejected, -errno other failure. */
static int verify_one(const struct vopts *o, const char *name)
{
	/* A "too complex" rejection writes hundreds of MiB of log; the library
	 * reloads with a doubled buffer up to its cap each time.  Since 6.4 the
	 * kernel keeps the end of a log that does not fit (the verdict), so a
	 * few MiB show what matters. */
	struct wd_load_opts lo = { .sz = sizeof(lo), .log_level = o->log_level, .log_cap = 4u << 20 };
	struct wd_object *obj = wd_object_open(o->path, NULL);
	struct wd_prog *p, *target = NULL;
	int err, ret = 0;

	if (!obj)
		return cli_fail("verify", "%s", wd_errmsg()) ? -EINVAL : 0;
	wd_object_for_each_prog(p, obj) {
		if (!strcmp(wd_prog_name(p), name))
			target = p;
		else
			wd_prog_set_autoload(p, false);
	}
	err = wd_object_load(obj, &lo);
	if (err && !wd_object_failed_prog(obj)) {
		/* BTF, a map, memlock: nothing of the object loads, whichever
		 * program is asked for; the caller says it once */
		cli_fail("verify", "%s", wd_errmsg());
		wd_object_close(obj);
		return -ENOENT;
	}
	if (!err) {
		printf("%s: ok (%zu insns, %s)\n", name, wd_prog_insn_cnt(target),
		       wd_prog_type_name(wd_prog_type(target)));
	} else if (wd_prog_log(target) || err == -EPERM || err == -EINVAL || err == -E2BIG ||
		   err == -EACCES) {
		printf("%s: REJECTED\n", name);
		report_rejection(obj, target, err, "", o);
		ret = 1;
	} else {
		cli_fail("verify", "%s", wd_errmsg());
		ret = -EINVAL;
	}
	wd_object_close(obj);
	return ret;
}

/* --prog NAME that the object does not have: the names it has, exit 2. */
static int no_such_prog(const struct vopts *o, const struct wd_object *obj)
{
	const struct wd_prog *p;
	char names[1024] = "";
	size_t used = 0;

	wd_object_for_each_prog(p, obj)
		used += snprintf(names + used, used < sizeof(names) ? sizeof(names) - used : 0,
				 "%s%s", used ? ", " : "", wd_prog_name(p));
	return cli_usage_error("verify", "%s has no program '%s'; it has: %s", o->path, o->prog,
			       names[0] ? names : "none");
}

static int verify_all(const struct vopts *o)
{
	struct wd_object *obj = wd_object_open(o->path, NULL);
	const struct wd_prog *p;
	int rejected = 0, broken = 0, found = 0;

	if (!obj)
		return cli_fail("verify", "%s", wd_errmsg());
	if (o->prog && !wd_object_prog(obj, o->prog)) {
		int rc = no_such_prog(o, obj);
		wd_object_close(obj);
		return rc;
	}
	wd_object_for_each_prog(p, obj) {
		int r;
		if (o->prog && strcmp(o->prog, wd_prog_name(p)))
			continue;
		found++;
		r = verify_one(o, wd_prog_name(p));
		if (r == -ENOENT) {         /* the object itself does not load: said once */
			wd_object_close(obj);
			return 1;
		}
		rejected += r == 1;
		broken += r < 0;
	}
	wd_object_close(obj);
	if (!found)
		return cli_fail("verify", "%s: no program", o->path);
	if (rejected || broken)
		return cli_fail("verify", "%s: %d of %d program%s rejected", o->path, rejected + broken,
				found, found == 1 ? "" : "s");
	return 0;
}

static int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "prog", required_argument, NULL, 'p' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vopts o = { .log_level = 1, .color = isatty(STDOUT_FILENO) };
	int c;

	if (wd_emulate_from_env() < 0)
		return cli_usage_error("verify", "unknown WARDEN_EMULATE profile");
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': o.prog = optarg; break;
		case 'l':
			o.log_level = atoi(optarg);
			if (o.log_level < 1 || o.log_level > 2)
				return cli_usage_error("verify", "--log-level must be 1 or 2, not '%s'", optarg);
			break;
		case 'h': fputs(verify_usage, stdout); return 0;
		default: return cli_bad_option("verify", argv);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("verify", "expected one object file");
	o.path = argv[optind];
	int rc = verify_all(&o);
	/* issue 18: the lint's findings after the verifier's; errors exit 1 */
	int lint = wd_lint_file(o.path, o.prog, stdout);
	return rc ? rc : lint > 0;
}

WD_CLI_COMMAND("verify", cmd_verify, "show why the verifier rejects a program, line by line");
