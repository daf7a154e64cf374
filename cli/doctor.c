// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* warden doctor [--json]  |  warden doctor FILE.o [--btf FILE] [--json] */
#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "caps.h"
#include "cli.h"
#include "json.h"
#include "warden/doctor.h"
#include "warden/features.h"
#include "warden/testing.h"
#include "warden/warden.h"
#include "diag/lint.h"

static const char doctor_usage[] =
	"usage: warden doctor [-j|--json]\n"
	"       warden doctor FILE.o [--btf FILE] [--kernel-btf FILE]... [-j|--json]\n"
	"\n"
	"Without FILE.o: report everything that decides whether BPF telemetry works on\n"
	"this host (kernel config, BTF, JIT, lockdown, capabilities, memlock, mounts,\n"
	"kprobes, every program/map type and important helper, fentry, LSM, links,\n"
	"leaked probes).  Each check is ok, missing, wrong or info, with what to do.\n"
	"Exit 1 only when BPF programs cannot be loaded at all.\n"
	"\n"
	"With FILE.o (preflight): for each program, will it load and attach on this\n"
	"kernel (program type, map types, helpers, attach target, instruction count,\n"
	"CO-RE relocations resolved against the target BTF)?  A poisoned relocation\n"
	"guarded by bpf_core_field_exists() and friends is only info; an unguarded one\n"
	"fails the program.  Then the lint (section \"lint\"): per program, a kprobe,\n"
	"uprobe or tracepoint program that can return non-zero, a kprobe target that\n"
	"was renamed (foo.isra.0), inlined or wrapped (__x64_sys_*), syscall arguments\n"
	"read past the wrapper, stack near 512 bytes across calls, prog array slots never\n"
	"filled, and the oldest kernel each program needs; each finding an error,\n"
	"warning or info with its source line and the fix.  Exit 1 when any program\n"
	"would fail or the lint finds an error.  tracefs is mounted when a tracepoint\n"
	"must be looked up and none is mounted (said on stderr).\n"
	"\n"
	"  -j, --json  one JSON document instead of text (schema: docs/doctor-json.md)\n"
	"  --btf FILE  target kernel BTF for CO-RE relocations (default: this kernel's)\n"
	"  --kernel-btf FILE  (repeatable) another kernel's BTF (/sys/kernel/btf/vmlinux\n"
	"              of that kernel, a vmlinux, a BTFHub file): each program's CO-RE\n"
	"              relocations, attach target, helpers, map and program types are\n"
	"              checked against it, one line per program and kernel: ok / would fail\n"
	"\n"
	"WARDEN_EMULATE=rhel7 plays a RHEL/CentOS 7 kernel through the loader's probes.\n";

/* The --kernel-btf lint lines ("PROG: fleet FILE") as one table, program x
 * kernel; the why of each "would fail" is on its lint line above. */
static void print_fleet_table(const struct wd_report *r)
{
	char progs[64][96], kernels[16][96];
	size_t np = 0, nk = 0, i, k;

	for (i = 0; i < r->nr_checks; i++) {
		const struct wd_check *c = &r->checks[i];
		const char *at = strstr(c->name, ": fleet ");
		char prog[96];
		if (strcmp(c->section, "lint") || !at)
			continue;
		snprintf(prog, sizeof(prog), "%.*s", (int)(at - c->name), c->name);
		for (k = 0; k < np && strcmp(progs[k], prog); k++)
			;
		if (k == np && np < 64)
			snprintf(progs[np++], sizeof(progs[0]), "%s", prog);
		for (k = 0; k < nk && strcmp(kernels[k], at + 8); k++)
			;
		if (k == nk && nk < 16)
			snprintf(kernels[nk++], sizeof(kernels[0]), "%s", at + 8);
	}
	if (!nk)
		return;
	printf("\n== fleet ==\n%-24s", "program");
	for (k = 0; k < nk; k++)
		printf(" %-20.20s", kernels[k]);
	printf("\n");
	for (size_t p = 0; p < np; p++) {
		printf("%-24.24s", progs[p]);
		for (k = 0; k < nk; k++) {
			char name[200];
			const char *cell = "-";
			snprintf(name, sizeof(name), "%s: fleet %s", progs[p], kernels[k]);
			for (i = 0; i < r->nr_checks; i++)
				if (!strcmp(r->checks[i].section, "lint") && !strcmp(r->checks[i].name, name))
					cell = r->checks[i].status == WD_CHECK_OK ? "ok" :
					       !strncmp(r->checks[i].value, "would fail", 10) ?
					       "would fail" : "not checked";
			printf(" %-20s", cell);
		}
		printf("\n");
	}
}

static void print_text(const struct wd_report *r)
{
	const char *section = NULL;

	for (size_t i = 0; i < r->nr_checks; i++) {
		const struct wd_check *c = &r->checks[i];
		if (!section || strcmp(section, c->section)) {
			section = c->section;
			printf("%s== %s ==\n", i ? "\n" : "", section);
		}
		bool lint = !strcmp(c->section, "lint");
		printf("%-8s %s: %s%s%s\n", lint ? wd_lint_severity(c->status) :
		       wd_check_status_name(c->status), c->name, c->source, c->source[0] ? ": " : "",
		       c->value);
		if (c->hint[0] && c->status != WD_CHECK_OK)
			printf("         -> %s\n", c->hint);
	}
	print_fleet_table(r);
}

/* A check's value as JSON of its own type: "yes"/"no" as booleans, a whole
 * number as a number, "a,b,c" lists (the LSM list, ...) as arrays of
 * strings, anything else as the string.  "text" keeps the words. */
static void json_typed(struct json *j, const char *v)
{
	char *end;
	long long n;

	if (!strcmp(v, "yes") || !strcmp(v, "no")) {
		json_bool(j, v[0] == 'y');
		return;
	}
	n = strtoll(v, &end, 10);
	if (*v && !*end && (isdigit((unsigned char)v[0]) || v[0] == '-')) {
		json_i64(j, n);
		return;
	}
	if (strchr(v, ',') && !strchr(v, ' ')) {
		char item[256];
		json_arr_open(j);
		for (const char *p = v; *p;) {
			size_t len = strcspn(p, ",");
			snprintf(item, sizeof(item), "%.*s", (int)len, p);
			json_str(j, item);
			p += len;
			while (*p == ',' || *p == ' ')
				p++;
		}
		json_arr_close(j);
		return;
	}
	json_str(j, v);
}

static int lint_errors(const struct wd_report *r)
{
	int n = 0;

	for (size_t i = 0; i < r->nr_checks; i++)
		n += !strcmp(r->checks[i].section, "lint") && r->checks[i].status == WD_CHECK_WRONG;
	return n;
}

static void print_json(const struct wd_report *r, const char *object)
{
	struct json j;
	size_t count[4] = { 0 };

	json_begin(&j, stdout);
	json_kv_str(&j, "emulate", wd_emulate_current());
	if (object)
		json_kv_str(&j, "object", object);
	json_key(&j, "checks");
	json_arr_open(&j);
	for (size_t i = 0; i < r->nr_checks; i++) {
		const struct wd_check *c = &r->checks[i];
		count[c->status & 3]++;
		json_obj_open(&j);
		json_kv_str(&j, "section", c->section);
		json_kv_str(&j, "name", c->name);
		json_kv_str(&j, "status", wd_check_status_name(c->status));
		json_kv_bool(&j, "ok", c->status == WD_CHECK_OK || c->status == WD_CHECK_INFO);
		json_key(&j, "value");
		json_typed(&j, c->value);
		json_kv_str(&j, "text", c->value);
		json_kv_str(&j, "hint", c->hint[0] ? c->hint : NULL);
		if (!strcmp(c->section, "lint")) {
			json_kv_str(&j, "severity", wd_lint_severity(c->status));
			json_kv_str(&j, "source", c->source[0] ? c->source : NULL);
		}
		json_obj_close(&j);
	}
	json_arr_close(&j);
	json_key(&j, "summary");
	json_obj_open(&j);
	for (int s = 0; s < 4; s++)
		json_kv_u64(&j, wd_check_status_name((enum wd_check_status)s), count[s]);
	if (object) {
		json_kv_i64(&j, "failing_programs", r->failures);
		json_kv_i64(&j, "lint_errors", lint_errors(r));
	}
	json_obj_close(&j);
	json_end(&j);
}

static int run_host(bool json)
{
	struct wd_report r = { 0 };
	int err = wd_doctor_host(&r), bpf;

	if (err) {
		wd_report_free(&r);
		return cli_fail("doctor", "%s", wd_errmsg());
	}
	json ? print_json(&r, NULL) : print_text(&r);
	wd_report_free(&r);
	bpf = wd_probe_bpf();
	if (bpf != 1)
		return cli_fail("doctor", "BPF programs cannot be loaded here (%s)",
				wd_probe_result_str(bpf));
	return 0;
}

static int run_object(const char *path, const char *btf, const char *const *kbtfs, size_t nkbtfs,
		      bool json)
{
	struct wd_preflight_opts po = { .sz = sizeof(po), .btf_path = btf, .kernel_btfs = kbtfs,
					.nr_kernel_btfs = nkbtfs };
	struct wd_report r = { 0 };
	int err = wd_doctor_object(path, &po, &r), failures = r.failures, lint = lint_errors(&r);

	if (err) {
		wd_report_free(&r);
		return cli_fail("doctor", "%s", wd_errmsg());
	}
	json ? print_json(&r, path) : print_text(&r);
	wd_report_free(&r);
	char why[256];
	if (failures && cli_missing_caps(CLI_NEED_BPF, why, sizeof(why)))
		return cli_fail("doctor", "%s: nothing could be decided: %s", path, why);
	if (failures)
		return cli_fail("doctor", "%s: %d program%s would fail on this kernel", path,
				failures, failures == 1 ? "" : "s");
	if (lint)
		return cli_fail("doctor", "%s: the lint found %d error%s", path, lint,
				lint == 1 ? "" : "s");
	return 0;
}

static int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "btf", required_argument, NULL, 'b' },
		{ "kernel-btf", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *btf = NULL, *kbtfs[16];
	size_t nkbtfs = 0;
	bool json = false;
	int c;

	if (wd_emulate_from_env() < 0)
		return cli_usage_error("doctor", "unknown WARDEN_EMULATE profile '%s'",
				       getenv("WARDEN_EMULATE"));
	optind = 1;
	while ((c = getopt_long(argc, argv, "jb:k:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'b': btf = optarg; break;
		case 'k':
			if (nkbtfs == sizeof(kbtfs) / sizeof(kbtfs[0]))
				return cli_usage_error("doctor", "at most %zu --kernel-btf files",
						       nkbtfs);
			kbtfs[nkbtfs++] = optarg;
			break;
		case 'h': fputs(doctor_usage, stdout); return 0;
		default: return cli_bad_option("doctor", argv);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("doctor", "expected at most one object file");
	if (optind == argc) {
		if (btf || nkbtfs)
			return cli_usage_error("doctor", "--%s needs an object file",
					       btf ? "btf" : "kernel-btf");
		return run_host(json);
	}
	return run_object(argv[optind], btf, kbtfs, nkbtfs, json);
}

WD_CLI_COMMAND("doctor", cmd_doctor, "what this kernel can do for BPF, and will FILE.o load here");
