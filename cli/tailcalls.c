// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * warden tailcalls [--json]: the six tail-call kernel bugs that tailcall-issues lists, on
 * this kernel (lib/tailcall_detect.c does the probing).
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include "caps.h"
#include "cli.h"
#include "json.h"
#include "warden/tailcalls.h"

static const char tailcalls_usage[] =
	"usage: warden tailcalls [-j|--json]\n"
	"\n"
	"Detect on this kernel the six known tail-call kernel bugs and print, for\n"
	"each, its fix commit, the release of the fix and the state: fixed, not\n"
	"fixed, not exists (the kernel lacks the feature involved) or cannot\n"
	"detect, with the evidence.  Decided by probing the kernel (prog_array\n"
	"updates, verifier answers) and by reading its x86-64 JIT output, never by\n"
	"the version number.  No bug is triggered and nothing runs on a kernel\n"
	"hook.  The fentry trampoline (issue 3) is read from /proc/kcore or,\n"
	"where that is missing (or WARDEN_NO_KCORE=1), by a reader program run\n"
	"once with BPF_PROG_TEST_RUN (bpf_probe_read_kernel, 5.10+).\n"
	"Needs root (CAP_BPF + CAP_PERFMON/CAP_SYS_ADMIN for the JIT image).\n"
	"\n"
	"  -j, --json   one JSON document instead of the text report\n"
	"\n"
	"Exit status: 0 the detection ran (whatever the states), 1 it could not\n"
	"run, 2 usage error.\n";

static void print_json(const struct utsname *u, const struct wd_tc_result *res)
{
	struct json j;

	json_begin(&j, stdout);
	json_kv_str(&j, "kernel", u->release);
	json_kv_str(&j, "arch", u->machine);
	json_key(&j, "issues");
	json_arr_open(&j);
	for (int i = 0; i < WD_TC__COUNT; i++) {
		const struct wd_tc_issue_info *in = wd_tc_issue_info(i);
		json_obj_open(&j);
		json_kv_i64(&j, "id", i + 1);
		json_kv_str(&j, "key", in->key);
		json_kv_str(&j, "issue", in->name);
		json_kv_str(&j, "commit", in->commit);
		json_kv_str(&j, "title", in->title);
		json_kv_str(&j, "since", in->since);
		json_kv_str(&j, "fixed_in", in->fixed_in);
		json_kv_str(&j, "state", wd_tc_state_name(res[i].state));
		json_kv_str(&j, "evidence", res[i].evidence);
		json_kv_str(&j, "note", in->note);
		json_obj_close(&j);
	}
	json_arr_close(&j);
	json_end(&j);
}

static void print_text(const struct utsname *u, const struct wd_tc_result *res)
{
	int count[4] = { 0 };

	printf("tail-call kernel bugs on %s (%s): decided by probes and JIT output, not by "
	       "version\n\n", u->release, u->machine);
	for (int i = 0; i < WD_TC__COUNT; i++) {
		const struct wd_tc_issue_info *in = wd_tc_issue_info(i);
		printf("%d. %s\n", i + 1, in->name);
		printf("   fix:      %s (\"%s\"), in %s (bug since %s)\n", in->commit, in->title,
		       in->fixed_in, in->since);
		printf("   state:    %s\n", wd_tc_state_name(res[i].state));
		printf("   evidence: %s\n", res[i].evidence);
		if (in->note)
			printf("   note:     %s\n", in->note);
		printf("\n");
		count[res[i].state]++;
	}
	printf("summary: %d fixed, %d not fixed, %d not exists, %d cannot detect\n",
	       count[WD_TC_FIXED], count[WD_TC_NOT_FIXED], count[WD_TC_NOT_EXISTS],
	       count[WD_TC_CANNOT_DETECT]);
}

static int cmd_tailcalls(int argc, char **argv)
{
	struct wd_tc_result res[WD_TC__COUNT];
	struct utsname u;
	bool json = false;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(tailcalls_usage, stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			json = true;
		else
			return cli_usage_error("tailcalls", "unknown argument '%s'", argv[i]);
	}
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	int err = wd_tailcalls_detect(res);
	if (err < 0)
		return cli_fail("tailcalls", "detection failed: %s", strerror(-err));
	if (json)
		print_json(&u, res);
	else
		print_text(&u, res);
	int undecided = 0;
	for (int i = 0; i < WD_TC__COUNT; i++)
		undecided += res[i].state == WD_TC_CANNOT_DETECT;
	if (undecided == WD_TC__COUNT) {
		char why[256];
		return cli_fail("tailcalls", "nothing could be decided: %s",
				cli_missing_caps(CLI_NEED_BPF, why, sizeof(why)) ? why :
				"every probe was refused (see the evidence above)");
	}
	return 0;
}

WD_CLI_COMMAND("tailcalls", cmd_tailcalls, "detect the six known tail-call kernel bugs");
