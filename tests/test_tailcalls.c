// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * warden tailcalls: the x86-64 JIT pattern decoders on hand-written byte
 * sequences (buggy and fixed layouts, from the fix commits' diffs), the
 * detection on the running kernel (consistency, printed next to tailcall-issues'
 * fix versions for the matrix logs), and the CLI's text and JSON output.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include "harness.h"
#include "warden/tailcalls.h"
#include "warden/testing.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- prologue / issue 4 (116e04ba1459) ----------------------------------- */

/* 6.12+ main prog, tail_call_reachable, stack_depth 4, no IBT */
static const uint8_t prologue_fixed[] = {
	0x0f, 0x1f, 0x44, 0x00, 0x00,             /* nop5: fentry patch site */
	0x48, 0x31, 0xc0,                         /* xor rax, rax */
	0x55, 0x48, 0x89, 0xe5,                   /* push rbp; mov rbp, rsp */
	0x48, 0x81, 0xec, 0x08, 0x00, 0x00, 0x00, /* sub rsp, 8 */
	0x48, 0x83, 0xf8, 0x21,                   /* cmp rax, 33 */
	0x77, 0x06,                               /* ja 6 */
	0x50, 0x48, 0x89, 0xe0, 0xeb, 0x01,       /* push rax; mov rax, rsp; jmp 1 */
	0x50, 0x50,                               /* push rax; push rax */
	0xc7, 0x45, 0xfc, 0x00, 0x00, 0x00, 0x00, /* mov dword [rbp-4], 0 */
	0x48, 0x8b, 0x85, 0xe8, 0xff, 0xff, 0xff, /* mov rax, [rbp-24]: tcc ptr */
	0x65, 0x48, 0xc1, 0x3c, 0x25, 0x10, 0x20, 0x30, 0x40, 0x05, /* call depth */
	0xe8, 0x11, 0x22, 0x33, 0x44,             /* call subprog */
	0xc9, 0xc3,                               /* leave; ret */
};

/* 6.1 main prog (IBT build): endbr, xor eax,eax, push rax by value, and the
 * 5.10 - 5.18 unaligned counter reload (-(stack_depth + 8) = -12). */
static const uint8_t prologue_buggy[] = {
	0xf3, 0x0f, 0x1e, 0xfa,                   /* endbr64 */
	0x0f, 0x1f, 0x44, 0x00, 0x00,             /* nop5 */
	0x31, 0xc0,                               /* xor eax, eax */
	0x55, 0x48, 0x89, 0xe5,                   /* push rbp; mov rbp, rsp */
	0xf3, 0x0f, 0x1e, 0xfa,                   /* endbr64: X86_TAIL_CALL_OFFSET */
	0x48, 0x81, 0xec, 0x08, 0x00, 0x00, 0x00, /* sub rsp, 8 */
	0x50,                                     /* push rax */
	0xc7, 0x45, 0xfc, 0x00, 0x00, 0x00, 0x00, /* mov dword [rbp-4], 0 */
	0x48, 0x8b, 0x85, 0xf4, 0xff, 0xff, 0xff, /* mov rax, [rbp-12] */
	0xe8, 0x11, 0x22, 0x33, 0x44,             /* call subprog */
	0xc9, 0xc3,
};

static void tailcall_decoder_reads_fixed_hierarchy_prologue(void **state)
{
	struct wd_x86_prologue p;
	char why[200];
	(void)state;
	assert_int_equal(wd_x86_parse_prologue(prologue_fixed, N(prologue_fixed), &p, why,
					       sizeof(why)), 0);
	assert_int_equal(p.patch_kind, 0);
	assert_int_equal(p.tcc_init, 1);
	assert_int_equal(p.stack, 8);
	assert_int_equal(p.body_off, 19);
	assert_int_equal(wd_x86_check_hierarchy(prologue_fixed, N(prologue_fixed), why,
						sizeof(why)), WD_TC_FIXED);
	assert_non_null(strstr(why, "ja 6"));
}

static void tailcall_decoder_reads_buggy_hierarchy_prologue(void **state)
{
	char why[200];
	(void)state;
	assert_int_equal(wd_x86_check_hierarchy(prologue_buggy, N(prologue_buggy), why,
						sizeof(why)), WD_TC_NOT_FIXED);
}

static void tailcall_decoder_refuses_unknown_prologues(void **state)
{
	/* not tail_call_reachable: nop3 where the counter init would be */
	static const uint8_t plain[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00, 0x0f, 0x1f, 0x00,
					 0x55, 0x48, 0x89, 0xe5, 0x31, 0xc0, 0xc9, 0xc3 };
	static const uint8_t garbage[] = { 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc };
	static const uint8_t truncated[] = { 0x0f, 0x1f, 0x44 };
	char why[200];
	int32_t d;
	(void)state;
	assert_int_equal(wd_x86_check_hierarchy(plain, N(plain), why, sizeof(why)),
			 WD_TC_CANNOT_DETECT);
	assert_non_null(strstr(why, "tail_call_reachable"));
	assert_int_equal(wd_x86_check_hierarchy(garbage, N(garbage), why, sizeof(why)),
			 WD_TC_CANNOT_DETECT);
	assert_int_equal(wd_x86_check_tcc_offset(garbage, N(garbage), &d, why, sizeof(why)),
			 WD_TC_CANNOT_DETECT);
	assert_int_equal(wd_x86_check_hierarchy(truncated, N(truncated), why, sizeof(why)),
			 WD_TC_CANNOT_DETECT);
	assert_int_equal(wd_x86_check_trampoline(truncated, N(truncated), why, sizeof(why)),
			 WD_TC_CANNOT_DETECT);
}

static void tailcall_decoder_follows_patched_call(void **state)
{
	uint8_t img[N(prologue_fixed)];
	struct wd_x86_prologue p;
	(void)state;
	memcpy(img, prologue_fixed, sizeof(img));
	img[0] = 0xe8;                  /* fentry attached: call rel32 */
	img[1] = 0x00; img[2] = 0x10; img[3] = 0x00; img[4] = 0xff;
	assert_int_equal(wd_x86_parse_prologue(img, sizeof(img), &p, NULL, 0), 0);
	assert_int_equal(p.patch_kind, 1);
	assert_int_equal(p.patch_off, 0);
	assert_int_equal(p.patch_rel, (int32_t)0xff001000);
}

/* ---- issue 2 (ff672c67ee76) ------------------------------------------------ */

static void tailcall_decoder_reads_tcc_offset(void **state)
{
	char why[200];
	int32_t d = 0;
	(void)state;
	assert_int_equal(wd_x86_check_tcc_offset(prologue_buggy, N(prologue_buggy), &d, why,
						 sizeof(why)), WD_TC_NOT_FIXED);
	assert_int_equal(d, -12);
	/* the reload must not be mistaken in the fixed layout: -24, after which
	 * the call-depth accounting comes before the call */
	assert_int_equal(wd_x86_check_tcc_offset(prologue_fixed, N(prologue_fixed), &d, why,
						 sizeof(why)), WD_TC_FIXED);
	assert_int_equal(d, -24);
	/* 5.19 - 6.11: -round_up(4, 8) - 8 = -16 */
	uint8_t mid[N(prologue_buggy)];
	memcpy(mid, prologue_buggy, sizeof(mid));
	mid[37] = 0xf0;
	assert_int_equal(wd_x86_check_tcc_offset(mid, sizeof(mid), &d, why, sizeof(why)),
			 WD_TC_FIXED);
	assert_int_equal(d, -16);
}

/* ---- issue 3 (2b5dcb31a19a) ------------------------------------------------ */

static void tailcall_decoder_reads_trampolines(void **state)
{
	/* 6.7+: push rax (tail_call_cnt) right after sub rsp */
	static const uint8_t fixed[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89, 0xe5,
					 0x48, 0x83, 0xec, 0x40, 0x50, 0x48, 0x89, 0x5d, 0xf8 };
	/* 6.2+ with call depth tracking, big frame */
	static const uint8_t fixed_cdt[] = { 0x65, 0x48, 0xc1, 0x3c, 0x25, 1, 2, 3, 4, 0x05,
					     0x55, 0x48, 0x89, 0xe5,
					     0x48, 0x81, 0xec, 0x90, 0x01, 0x00, 0x00, 0x50 };
	/* 6.1: rbx saved in a stack slot, rax not saved */
	static const uint8_t buggy61[] = { 0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x38,
					   0x48, 0x89, 0x5d, 0xf8 };
	/* 5.10: push rbx */
	static const uint8_t buggy510[] = { 0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x30,
					    0x53 };
	static const uint8_t odd[] = { 0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x30, 0x90 };
	char why[200];
	(void)state;
	assert_int_equal(wd_x86_check_trampoline(fixed, N(fixed), why, sizeof(why)), WD_TC_FIXED);
	assert_int_equal(wd_x86_check_trampoline(fixed_cdt, N(fixed_cdt), why, sizeof(why)),
			 WD_TC_FIXED);
	assert_int_equal(wd_x86_check_trampoline(buggy61, N(buggy61), why, sizeof(why)),
			 WD_TC_NOT_FIXED);
	assert_int_equal(wd_x86_check_trampoline(buggy510, N(buggy510), why, sizeof(why)),
			 WD_TC_NOT_FIXED);
	assert_int_equal(wd_x86_check_trampoline(odd, N(odd), why, sizeof(why)),
			 WD_TC_CANNOT_DETECT);
}

static void tailcall_issue_table_is_complete(void **state)
{
	(void)state;
	for (int i = 0; i < WD_TC__COUNT; i++) {
		const struct wd_tc_issue_info *in = wd_tc_issue_info(i);
		assert_non_null(in);
		assert_int_equal(strlen(in->commit), 12);
		assert_non_null(in->fixed_in);
	}
	assert_null(wd_tc_issue_info(WD_TC__COUNT));
	assert_string_equal(wd_tc_issue_info(WD_TC_HIERARCHY)->commit, "116e04ba1459");
	assert_string_equal(wd_tc_state_name(WD_TC_NOT_EXISTS), "not exists");
}

/* ---- the running kernel ---------------------------------------------------- */

/* "6.1.0-56-cloud-amd64" >= "6.1"?  Only for the printed comparison and the
 * "a kernel newer than the fix is not buggy" check, never in the detector. */
static int release_cmp(const char *rel, const char *ver)
{
	unsigned a = 0, b = 0, c = 0, d = 0;
	sscanf(rel, "%u.%u", &a, &b);
	sscanf(ver, "%u.%u", &c, &d);
	return a != c ? (a > c ? 1 : -1) : b != d ? (b > d ? 1 : -1) : 0;
}

static void tailcall_detection_on_this_kernel_is_consistent(void **state)
{
	struct wd_tc_result res[WD_TC__COUNT];
	struct utsname u;
	bool emulated = strcmp(wd_emulate_current(), "none") != 0;
	(void)state;
	uname(&u);
	assert_int_equal(wd_tailcalls_detect(res), 0);
	printf("tailcalls on %s%s%s:\n", u.release, emulated ? " emulating " : "",
	       emulated ? wd_emulate_current() : "");
	for (int i = 0; i < WD_TC__COUNT; i++) {
		const struct wd_tc_issue_info *in = wd_tc_issue_info(i);
		int newer = release_cmp(u.release, in->fixed_in) >= 0;
		assert_in_range(res[i].state, WD_TC_FIXED, WD_TC_CANNOT_DETECT);
		assert_true(res[i].evidence[0] != '\0');
		printf("  %d %-14s %-13s tailcall-issues: fixed in %-5s -> expected %-22s | %s\n", i + 1,
		       in->commit, wd_tc_state_name(res[i].state), in->fixed_in,
		       emulated ? "(emulated kernel)" : newer ? "fixed/not exists" :
		       "not fixed (or backport)", res[i].evidence);
		/* a kernel at or past the fix release is never reported buggy */
		if (newer || emulated)
			assert_int_not_equal(res[i].state, WD_TC_NOT_FIXED);
	}
	fflush(stdout);
}

/* ---- the CLI --------------------------------------------------------------- */

/* A tiny JSON checker: value := object | array | string | number | literal */
static const char *js_value(const char *p);
static const char *js_ws(const char *p)
{
	while (*p && isspace((unsigned char)*p))
		p++;
	return p;
}
static const char *js_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p && *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\' && !*++p)
			return NULL;
	}
	return *p == '"' ? p + 1 : NULL;
}
static const char *js_seq(const char *p, char close, bool keys)
{
	p = js_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (keys) {
			if (!(p = js_string(js_ws(p))) || *(p = js_ws(p)) != ':')
				return NULL;
			p++;
		}
		if (!(p = js_value(p)))
			return NULL;
		p = js_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}
static const char *js_value(const char *p)
{
	p = js_ws(p);
	if (*p == '{')
		return js_seq(p, '}', true);
	if (*p == '[')
		return js_seq(p, ']', false);
	if (*p == '"')
		return js_string(p);
	for (const char *lit[] = { "null", "true", "false" }, **l = lit; l < lit + 3; l++)
		if (!strncmp(p, *l, strlen(*l)))
			return p + strlen(*l);
	char *end;
	strtod(p, &end);
	return end != p ? end : NULL;
}
static bool json_valid(const char *s)
{
	const char *end = js_value(s);
	return end && !*js_ws(end);
}

static void tailcall_json_checker_checks(void **state)
{
	(void)state;
	assert_true(json_valid("{\"a\": [1, \"x\\\"y\", null, {\"b\": false}]}"));
	assert_false(json_valid("{\"a\": [1,}"));
	assert_false(json_valid("{\"a\" 1}"));
	assert_false(json_valid("{} x"));
}

static void tailcall_cli_prints_every_issue(void **state)
{
	char cmd[512], *out = NULL;
	(void)state;
	snprintf(cmd, sizeof(cmd), "%s tailcalls", wd_test_cli());
	assert_int_equal(wd_test_run(cmd, &out), 0);
	for (int i = 0; i < WD_TC__COUNT; i++)
		assert_non_null(strstr(out, wd_tc_issue_info(i)->commit));
	assert_non_null(strstr(out, "summary:"));
	assert_null(strstr(out, "state:    not probed"));
	printf("%s", out);
	free(out);
}

static void tailcall_cli_json_parses(void **state)
{
	char cmd[512], *out = NULL;
	(void)state;
	snprintf(cmd, sizeof(cmd), "%s tailcalls --json", wd_test_cli());
	assert_int_equal(wd_test_run(cmd, &out), 0);
	assert_true(json_valid(out));
	int n = 0;
	for (const char *p = out; (p = strstr(p, "\"state\":\"")); p++)
		n++;
	assert_int_equal(n, WD_TC__COUNT);
	free(out);
	/* and python's parser agrees, where there is one (not in the guests) */
	snprintf(cmd, sizeof(cmd), "command -v python3 >/dev/null || exit 0; %s tailcalls --json"
		 " | python3 -c 'import json,sys; d=json.load(sys.stdin); "
		 "assert len(d[\"issues\"]) == 6'", wd_test_cli());
	assert_int_equal(wd_test_run(cmd, NULL), 0);
}

static void tailcall_cli_usage(void **state)
{
	char cmd[512], *out = NULL;
	(void)state;
	snprintf(cmd, sizeof(cmd), "%s tailcalls --bogus", wd_test_cli());
	assert_int_equal(wd_test_run(cmd, &out), 2);
	free(out);
	snprintf(cmd, sizeof(cmd), "%s tailcalls --help", wd_test_cli());
	assert_int_equal(wd_test_run(cmd, &out), 0);
	assert_non_null(strstr(out, "--json"));
	free(out);
}

static const struct CMUnitTest tailcall_tests[] = {
	cmocka_unit_test(tailcall_decoder_reads_fixed_hierarchy_prologue),
	cmocka_unit_test(tailcall_decoder_reads_buggy_hierarchy_prologue),
	cmocka_unit_test(tailcall_decoder_refuses_unknown_prologues),
	cmocka_unit_test(tailcall_decoder_follows_patched_call),
	cmocka_unit_test(tailcall_decoder_reads_tcc_offset),
	cmocka_unit_test(tailcall_decoder_reads_trampolines),
	cmocka_unit_test(tailcall_issue_table_is_complete),
	cmocka_unit_test(tailcall_detection_on_this_kernel_is_consistent),
	cmocka_unit_test(tailcall_json_checker_checks),
	cmocka_unit_test(tailcall_cli_prints_every_issue),
	cmocka_unit_test(tailcall_cli_json_parses),
	cmocka_unit_test(tailcall_cli_usage),
};
WD_TEST_SET(wd_tests_tailcalls, "doctor", tailcall_tests);
