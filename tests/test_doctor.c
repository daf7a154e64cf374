// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* warden doctor / verify / ps on the real kernel (group "doctor"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"
#include "load/internal.h"
#include "host/kconfig.h"
#include "sys/sys.h"
#include "warden/doctor.h"
#include "warden/warden.h"
#include "warden/link.h"

/* Output of `warden ARGS` (env prefix allowed), exit status in *rc. */
static char *cli(const char *env, const char *args, int *rc)
{
	char cmd[1024];
	char *out = NULL;

	snprintf(cmd, sizeof(cmd), "%s %s %s", env ? env : "", wd_test_cli(), args);
	*rc = wd_test_run(cmd, &out);
	return out;
}

/* Is there a line "STATUS   NAME: VALUE..." (VALUE prefix)? */
static bool has_line(const char *out, const char *status, const char *name, const char *value)
{
	char want[256];

	snprintf(want, sizeof(want), "\n%-8s %s: %s", status, name, value ? value : "");
	return strstr(out, want) != NULL;
}

#define EXPECT_LINE(out, st, name, val) do {                                     \
		if (!has_line(out, st, name, val))                               \
			fail_msg("no line '%s %s: %s' in:\n%s", st, name, val, out); \
	} while (0)

static void doctor_reports_this_kernels_config(void **state)
{
	struct wd_kconfig *kc = wd_kconfig_load(NULL);
	struct stat st;
	int rc;
	(void)state;
	if (!kc)
		WD_SKIP("no kernel config on this host");
	char *out = cli(NULL, "doctor", &rc);
	assert_int_equal(rc, 0);
	if (wd_kconfig_get(kc, "CONFIG_KPROBES"))
		EXPECT_LINE(out, "ok", "CONFIG_KPROBES", wd_kconfig_get(kc, "CONFIG_KPROBES"));
	else
		EXPECT_LINE(out, "missing", "CONFIG_KPROBES", "not set");
	if (!wd_kconfig_get(kc, "CONFIG_KPROBE_EVENTS"))
		EXPECT_LINE(out, "missing", "kprobe_events", "CONFIG_KPROBE_EVENTS not set");
	/* The kernel's BTF as the loader sees it: under WARDEN_EMULATE=rhel7 the
	 * doctor reports the emulated kernel (no vmlinux BTF), the config and
	 * kprobe lines stay this host's. */
	if (wd_probe_kern_btf() == 1 && wd_kconfig_get(kc, "CONFIG_DEBUG_INFO_BTF") &&
	    stat("/sys/kernel/btf/vmlinux", &st) == 0)
		EXPECT_LINE(out, "ok", "vmlinux", "/sys/kernel/btf/vmlinux");
	else
		EXPECT_LINE(out, "missing", "vmlinux", "");
	EXPECT_LINE(out, "ok", "config", "");
	/* The truth of this host (see the task): fentry loads are refused. */
	if (strstr(out, "fentry: refused"))
		EXPECT_LINE(out, "wrong", "fentry", "refused (EPERM, empty verifier log)");
	free(out);
	wd_kconfig_free(kc);
}

static void doctor_plays_rhel7_line_by_line(void **state)
{
	int rc;
	(void)state;
	char *out = cli("WARDEN_EMULATE=rhel7", "doctor", &rc);
	assert_int_equal(rc, 0);
	EXPECT_LINE(out, "ok", "bpf syscall", "yes (a trivial tracepoint program loads)");
	EXPECT_LINE(out, "missing", "socket_filter", "no");
	EXPECT_LINE(out, "missing", "xdp", "no");
	EXPECT_LINE(out, "missing", "sched_cls", "no");
	EXPECT_LINE(out, "ok", "tracepoint", "yes");
	EXPECT_LINE(out, "ok", "kprobe", "yes");
	EXPECT_LINE(out, "ok", "perf_event", "yes");
	EXPECT_LINE(out, "missing", "vmlinux", "no");
	EXPECT_LINE(out, "missing", "BTF load", "no");
	EXPECT_LINE(out, "missing", "ringbuf", "no");
	EXPECT_LINE(out, "missing", "global data", "no");
	EXPECT_LINE(out, "ok", "hash", "yes");
	EXPECT_LINE(out, "missing", "devmap", "no");
	EXPECT_LINE(out, "ok", "bpf_get_current_cgroup_id (kprobe)", "yes");
	EXPECT_LINE(out, "missing", "bpf_probe_read_kernel (kprobe)", "no");
	EXPECT_LINE(out, "missing", "raw_tracepoint", "no");
	EXPECT_LINE(out, "missing", "link_create", "no");
	free(out);
}

static void doctor_json_is_one_document(void **state)
{
	int rc;
	(void)state;
	char *out = cli(NULL, "doctor --json", &rc);
	assert_int_equal(rc, 0);
	assert_true(out[0] == '{');
	assert_non_null(strstr(out, "\"checks\":[{\"section\":\"kernel\""));
	assert_non_null(strstr(out, "\"summary\":{\"ok\":"));
	assert_true(strchr(out, '\n') == out + strlen(out) - 1); /* one line, one document */
	free(out);
}

/* Line of the VERIFY_FAIL marker in the source of object `obj`, from the
 * object's own line info (each record carries its source line's text), so
 * the sources need not be around (the guests of vm/ only have build/). */
static int marker_line(const char *obj_name)
{
	struct wd_object *obj = wd_object_open(wd_test_obj(obj_name), NULL);
	const struct wd_spec *spec;
	int line = -1;

	if (!obj)
		return -1;
	spec = obj->spec;
	for (size_t s = 0; spec->btf && s < spec->nr_secs && line < 0; s++) {
		const struct wd_code_sec *cs = &spec->secs[s];
		for (size_t i = 0; i < cs->nr_line_info && line < 0; i++) {
			const char *text = wd_btf_str(spec->btf, cs->line_info[i].line_off);
			if (text && strstr(text, "VERIFY_FAIL"))
				line = (int)BPF_LINE_INFO_LINE_NUM(cs->line_info[i].line_col);
		}
	}
	wd_object_close(obj);
	return line;
}

static void verify_names_cause_and_source_line(void **state)
{
	static const struct { const char *obj, *src, *cause; int helper; } cases[] = {
		{ "verify_stack.o", "verify_stack.bpf.c", "cause: stack over 512 bytes", 0 },
		{ "verify_complex.o", "verify_complex.bpf.c", "cause: instruction limit", 0 },
		{ "verify_loop.o", "verify_loop.bpf.c", "cause: unbounded loop", 0 },
		{ "verify_helper.o", "verify_helper.bpf.c", "cause: unknown helper", 0 },
		{ "verify_gpl.o", "verify_gpl.bpf.c", "cause: GPL-only helper in a non-GPL program",
		  BPF_FUNC_probe_read_kernel },
		{ "verify_mem.o", "verify_mem.bpf.c", "cause: invalid memory access", 0 },
		{ "verify_tailcall.o", "verify_tailcall.bpf.c", "cause: tail-call rejection", 0 },
	};
	char args[512], want[256];
	int rc;
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *cause = cases[i].cause;
		int line = marker_line(cases[i].obj);
		if (line <= 0)
			fail_msg("%s: no line info with VERIFY_FAIL", cases[i].obj);
		/* A kernel without the helper (bpf_probe_read_kernel is 5.5+; RHEL 7)
		 * rejects the call before the license matters: the right cause there. */
		if (cases[i].helper &&
		    wd_probe_helper(BPF_PROG_TYPE_TRACEPOINT, (unsigned int)cases[i].helper) == 0)
			cause = "cause: unknown helper";
		snprintf(args, sizeof(args), "verify %s", wd_test_obj(cases[i].obj));
		char *out = cli(NULL, args, &rc);
		assert_int_equal(rc, 1);
		snprintf(want, sizeof(want), " at %s:%d\n", cases[i].src, line);
		if (!strstr(out, want) || !strstr(out, cause))
			fail_msg("%s: want '%s' and '%s' in:\n%s", cases[i].obj, want, cause, out);
		free(out);
	}
}

/* The kernel says only "combined stack size of 2 calls is 576" (or an
 * offset below the frame): verify names the functions and their frames. */
static void verify_stack_error_names_the_call_chain(void **state)
{
	char args[512];
	int rc;
	(void)state;
	snprintf(args, sizeof(args), "verify %s", wd_test_obj("verify_stack.o"));
	char *out = cli(NULL, args, &rc);
	assert_int_equal(rc, 1);
	if (!strstr(out, "stack: 544 bytes along the call chain big_stack (544)"))
		fail_msg("no frame of big_stack in:\n%s", out);
	free(out);
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_XDP), "XDP programs (lint_stack.o)");
	snprintf(args, sizeof(args), "verify --prog stack_over %s", wd_test_obj("lint_stack.o"));
	out = cli(NULL, args, &rc);
	assert_int_equal(rc, 1);
	if (!strstr(out, "cause: stack over 512 bytes") ||
	    !strstr(out, "stack: 576 bytes along the call chain stack_over (224) -> fill (352)"))
		fail_msg("no call chain in:\n%s", out);
	free(out);
	/* a rejection that is not about the stack gets no chain */
	snprintf(args, sizeof(args), "verify %s", wd_test_obj("verify_loop.o"));
	out = cli(NULL, args, &rc);
	assert_int_equal(rc, 1);
	assert_null(strstr(out, "along the call chain"));
	free(out);
}

static void verify_null_check_and_good_program(void **state)
{
	char args[512];
	int rc;
	(void)state;
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_XDP), "XDP programs");
	snprintf(args, sizeof(args), "verify %s", wd_test_obj("bad_access.o"));
	char *out = cli(NULL, args, &rc);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "good_prog: ok"));
	assert_non_null(strstr(out, "failing instruction: 7 at bad_access.bpf.c:22"));
	assert_non_null(strstr(out, "cause: missing NULL check"));
	assert_non_null(strstr(out, ">> bad_access.bpf.c:22"));
	free(out);
	snprintf(args, sizeof(args), "verify --prog good_prog %s", wd_test_obj("bad_access.o"));
	out = cli(NULL, args, &rc);
	assert_int_equal(rc, 0);
	free(out);
}

static uint32_t prog_id(int fd)
{
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);

	assert_int_equal(wd_sys_obj_info(fd, &info, &len), 0);
	return info.id;
}

/* Is there a line starting with `row` (after a newline) that holds `part`? */
static __attribute__((noinline)) bool row_has(const char *out, const char *row, const char *part)
{
	const char *r = strstr(out, row);
	if (!r)
		return false;
	size_t len = strcspn(r + 1, "\n") + 1;
	const char *p = strstr(r, part);
	return p && (size_t)(p - r) < len;
}

static void ps_lists_a_loaded_program_until_close(void **state)
{
	struct wd_object *obj = wd_object_open(wd_test_obj("minimal.o"), NULL);
	char want[128];
	int rc;
	(void)state;
	assert_non_null(obj);
	/* Only minimal_tp is needed: no socket filter where the kernel refuses
	 * those (RHEL 7 is tracing-only). */
	if (wd_probe_prog_type(BPF_PROG_TYPE_SOCKET_FILTER) != 1)
		wd_prog_set_autoload(wd_object_prog(obj, "minimal_sock"), false);
	if (wd_object_load(obj, NULL))
		fail_msg("load minimal.o: %s", wd_errmsg());
	uint32_t id = prog_id(wd_prog_fd(wd_object_prog(obj, "minimal_tp")));
	/* one row: kind, id, type, name, memlock, owner as comm(pid) */
	snprintf(want, sizeof(want), "\nprog  %7u  %-16s minimal_tp ", id, "tracepoint");
	char *out = cli(NULL, "ps", &rc), owner[64];
	assert_int_equal(rc, 0);
	snprintf(owner, sizeof(owner), "warden-test(%d)", (int)getpid());
	if (!row_has(out, want, owner))
		fail_msg("no row '%s' with owner '%s' in:\n%s", want, owner, out);
	free(out);
	wd_object_close(obj);
	out = cli(NULL, "ps", &rc);
	snprintf(want, sizeof(want), "\nprog  %7u ", id);
	assert_null(strstr(out, want));
	free(out);
}

/* Preflight verdict vs. what a real load + attach does. */
static bool loads_and_attaches(const char *obj_name)
{
	struct wd_object *obj = wd_object_open(wd_test_obj(obj_name), NULL);
	struct wd_prog *p;
	bool ok = obj && wd_object_load(obj, NULL) == 0;

	if (ok)
		wd_object_for_each_prog(p, obj) {
			const char *sec = wd_prog_section(p);
			if (!strncmp(sec, "kprobe", 6) || !strncmp(sec, "tracepoint", 10))
				ok = ok && wd_prog_attach(p) != NULL;
		}
	wd_object_close(obj);
	return ok;
}

static void doctor_object_verdicts_match_real_loads(void **state)
{
	static const struct { const char *obj, *needle; } cases[] = {
		{ "minimal.o", NULL },
		{ "preflight_kprobe.o", "target: warden_no_such_function is not in /proc/kallsyms" },
		{ "preflight_tp.o", "tracepoint syscalls/sys_enter_warden_nothing does not exist" },
	};
	char args[512];
	int rc;
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(args, sizeof(args), "doctor %s", wd_test_obj(cases[i].obj));
		char *out = cli(NULL, args, &rc);
		bool real = loads_and_attaches(cases[i].obj);
		if ((rc == 0) != real)
			fail_msg("%s: doctor says %s, a real load+attach %s:\n%s", cases[i].obj,
				 rc ? "fail" : "ok", real ? "works" : "fails", out);
		if (cases[i].needle && !strstr(out, cases[i].needle))
			fail_msg("%s: no '%s' in:\n%s", cases[i].obj, cases[i].needle, out);
		free(out);
	}
}

/* ---- CO-RE preflight against this kernel and a --btf FILE ----------------------- */

/* A target BTF with only `struct task_struct { int pid; }` (pid at 100, no
 * tgid), written like tests/test_core.c writes its synthetic BTF files. */
static char *write_btf_without_tgid(void)
{
	static char path[64];
	uint32_t types[64], n = 0;
	char strs[64] = "\0int\0task_struct\0pid";   /* offsets 1, 5, 17 */
	uint32_t str_len = 1 + 4 + 12 + 4;
	struct btf_header h = { .magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(h) };
	int fd;

	/* [1] int */
	types[n++] = 1; types[n++] = BTF_KIND_INT << 24; types[n++] = 4;
	types[n++] = BTF_INT_ENC(BTF_INT_SIGNED, 0, 32);
	/* [2] struct task_struct, size 4096, one member: pid (int) at byte 100 */
	types[n++] = 5; types[n++] = BTF_KIND_STRUCT << 24 | 1; types[n++] = 4096;
	types[n++] = 17; types[n++] = 1; types[n++] = 100 * 8;
	h.type_len = n * 4;
	h.str_off = h.type_len;
	h.str_len = str_len;
	snprintf(path, sizeof(path), "/tmp/warden-doctor-btf-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, &h, sizeof(h)), (ssize_t)sizeof(h));
	assert_int_equal(write(fd, types, h.type_len), (ssize_t)h.type_len);
	assert_int_equal(write(fd, strs, str_len), (ssize_t)str_len);
	close(fd);
	return path;
}

/* Does program `prog` of `obj_name` load on its own (the others not
 * loaded) with CO-RE against `btf` (NULL: this kernel's)? */
static bool prog_loads(const char *obj_name, const char *prog, const char *btf)
{
	struct wd_open_opts o = { .sz = sizeof(o), .btf_path = btf };
	struct wd_object *obj = wd_object_open(wd_test_obj(obj_name), &o);
	struct wd_prog *p;
	bool ok;

	assert_non_null(obj);
	wd_object_for_each_prog(p, obj)
		wd_prog_set_autoload(p, !strcmp(wd_prog_name(p), prog));
	ok = wd_object_load(obj, NULL) == 0;
	wd_object_close(obj);
	return ok;
}

/* `warden doctor [--btf btf] obj`: each program's verdict against a real
 * load of that program with the same BTF, and the exit status against all
 * of them.  *n_ok: programs said ok.  Returns the output. */
static char *core_verdicts_match(const char *obj_name, const char *btf, int *n_ok)
{
	struct wd_object *obj = wd_object_open(wd_test_obj(obj_name), NULL);
	struct wd_prog *p;
	char args[512];
	bool all_ok = true;
	int rc;

	assert_non_null(obj);
	snprintf(args, sizeof(args), "doctor %s%s %s", btf ? "--btf " : "", btf ? btf : "",
		 wd_test_obj(obj_name));
	char *out = cli(NULL, args, &rc);
	*n_ok = 0;
	wd_object_for_each_prog(p, obj) {
		const char *name = wd_prog_name(p);
		/* verified here, or (with --btf for another kernel) not verified */
		bool said_ok = has_line(out, "ok", name, "loads and attaches here") ||
			       has_line(out, "ok", name, "should load and attach");
		bool loads = prog_loads(obj_name, name, btf);
		if (said_ok != loads)
			fail_msg("%s %s (--btf %s): doctor says %s, a real load %s:\n%s", obj_name,
				 name, btf ? btf : "-", said_ok ? "ok" : "fail",
				 loads ? "works" : "fails", out);
		*n_ok += said_ok;
		all_ok = all_ok && said_ok;
	}
	if ((rc == 0) != all_ok)
		fail_msg("%s: exit %d, verdicts %s:\n%s", obj_name, rc, all_ok ? "all ok" : "not", out);
	wd_object_close(obj);
	return out;
}

static void doctor_core_verdicts_match_real_loads(void **state)
{
	static const char *on_host[] = { "core_fields.o", "core_subprogs.o", "core_types.o",
					 "core_poison.o", "preflight_core.o" };
	char *out, *btf;
	int n_ok;
	(void)state;
	if (wd_probe_kern_btf() != 1)
		WD_SKIP("no kernel BTF for CO-RE");
	for (size_t i = 0; i < sizeof(on_host) / sizeof(on_host[0]); i++) {
		out = core_verdicts_match(on_host[i], NULL, &n_ok);
		if (!strcmp(on_host[i], "core_fields.o")) {
			/* (1) an existing CO-RE object passes on this host */
			EXPECT_LINE(out, "ok", "run_fields", "loads and attaches here");
			EXPECT_LINE(out, "ok", "run_fields: co-re", "23 relocations resolved against "
				    "this kernel's BTF");
			EXPECT_LINE(out, "info", "run_fields: co-re",
				    "byte_off struct task_struct___mine.warden_no_such_field");
		}
		if (!strcmp(on_host[i], "core_poison.o")) {
			/* unguarded poison is named; guarded poison is info */
			EXPECT_LINE(out, "wrong", "read_missing", "co-re: byte_off struct "
				    "task_struct___gone.warden_gone_field (read_missing, insn ");
			EXPECT_LINE(out, "info", "guarded: co-re",
				    "byte_off struct task_struct___gone.warden_gone_field");
			assert_int_equal(n_ok, 1);
		}
		if (!strcmp(on_host[i], "preflight_core.o"))
			assert_int_equal(n_ok, 2);
		free(out);
	}
	/* (2) a target BTF without task_struct.tgid: the unguarded read is named
	 * and fails, the guarded one loads; core_fields.o fails there too (its
	 * real_parent, tgid... reads are unguarded) */
	btf = write_btf_without_tgid();
	out = core_verdicts_match("preflight_core.o", btf, &n_ok);
	EXPECT_LINE(out, "missing", "pf_unguarded: co-re",
		    "byte_off struct task_struct___pf.tgid (pf_unguarded, insn ");
	EXPECT_LINE(out, "wrong", "pf_unguarded", "co-re: byte_off struct task_struct___pf.tgid");
	EXPECT_LINE(out, "info", "pf_guarded: co-re", "byte_off struct task_struct___pf.tgid: "
		    "not in the target BTF; poisoned, guarded");
	EXPECT_LINE(out, "ok", "pf_guarded", "should load and attach (not verified)");
	assert_int_equal(n_ok, 1);
	free(out);
	out = core_verdicts_match("core_fields.o", btf, &n_ok);
	assert_int_equal(n_ok, 0);
	free(out);
	/* a --btf file that does not exist: every program fails, as the load */
	out = core_verdicts_match("preflight_core.o", "/nonexistent/vmlinux.btf", &n_ok);
	assert_int_equal(n_ok, 0);
	assert_non_null(strstr(out, "/nonexistent/vmlinux.btf"));
	free(out);
	unlink(btf);
}

static const struct CMUnitTest doctor_tests[] = {
	cmocka_unit_test(doctor_reports_this_kernels_config),
	cmocka_unit_test(doctor_plays_rhel7_line_by_line),
	cmocka_unit_test(doctor_json_is_one_document),
	cmocka_unit_test(verify_names_cause_and_source_line),
	cmocka_unit_test(verify_stack_error_names_the_call_chain),
	cmocka_unit_test(verify_null_check_and_good_program),
	cmocka_unit_test(ps_lists_a_loaded_program_until_close),
	cmocka_unit_test(doctor_object_verdicts_match_real_loads),
	cmocka_unit_test(doctor_core_verdicts_match_real_loads),
};
WD_TEST_SET(doctor_set, "doctor", doctor_tests);
