// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `warden doctor FILE.o` asks the kernel's own verifier: its verdicts are
 * those of real loads, with the verifier's cause and source line, and the
 * tracing family is judged per attach type (tp_btf loads on kernels that
 * refuse fentry, as this host and RHEL 8-era policies do).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "warden/warden.h"

/* The line of `out` that starts with `status` and holds prog and text. */
static bool line_has(const char *out, const char *status, const char *prog, const char *text)
{
	for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		size_t len = strcspn(l, "\n");
		char line[1024];
		snprintf(line, sizeof(line), "%.*s", (int)len, l);
		if (!strncmp(line, status, strlen(status)) && strstr(line, prog) && strstr(line, text))
			return true;
	}
	return false;
}

static bool loads_alone(const char *obj_name, const char *prog)
{
	struct wd_object *obj = wd_object_open(wd_test_obj(obj_name), NULL);
	struct wd_prog *p;
	bool ok;
	assert_non_null(obj);
	wd_object_for_each_prog(p, obj)
		wd_prog_set_autoload(p, !strcmp(wd_prog_name(p), prog));
	ok = wd_object_load(obj, NULL) == 0;
	wd_object_close(obj);
	return ok;
}

static char *doctor(const char *obj_name, int want_rc)
{
	char cmd[1024], *out = NULL;
	snprintf(cmd, sizeof(cmd), "%s doctor %s", wd_test_cli(), wd_test_obj(obj_name));
	int rc = wd_test_run(cmd, &out);
	if (want_rc >= 0 && rc != want_rc)
		fail_msg("'%s' exited %d, not %d:\n%s", cmd, rc, want_rc, out ? out : "");
	return out;
}

/* tp_btf: the verdict follows a real load, whatever fentry does here. */
static void doctor_tp_btf_verdict_is_a_real_load(void **state)
{
	(void)state;
	WD_REQUIRE(wd_probe_kern_btf(), "kernel BTF");
	bool loads = loads_alone("attach_trace.o", "btf_getpid");
	char *out = doctor("attach_trace.o", -1);   /* 0 or 1: lsm/fentry load on some kernels only */
	if (loads) {
		assert_true(line_has(out, "ok", "btf_getpid: verifier", "accepted"));
		assert_true(line_has(out, "ok", "btf_getpid", "loads and attaches here"));
	} else {
		assert_true(line_has(out, "wrong", "btf_getpid", ""));
	}
	free(out);
}

/* A program the verifier rejects: the preflight names the verifier's cause
 * and the source line, as `warden verify` does. */
static void doctor_names_the_verifier_cause_and_line(void **state)
{
	(void)state;
	char *out = doctor("verify_mem.o", 1);
	assert_false(loads_alone("verify_mem.o", "bad_pointer"));
	assert_true(line_has(out, "wrong", "bad_pointer: verifier", "invalid mem access"));
	if (wd_probe_btf() == 1)   /* the source line comes from BTF line info */
		assert_true(line_has(out, "wrong", "bad_pointer: verifier", "verify_mem.bpf.c:"));
	assert_true(line_has(out, "wrong", "bad_pointer", "verifier:"));
	free(out);
}

/* The host report probes tp_btf apart from fentry, and its hints fit the
 * host: no "use kprobes" where there are none. */
static void doctor_host_probes_tp_btf_apart_and_hints_fit(void **state)
{
	char cmd[512], *out = NULL;
	(void)state;
	snprintf(cmd, sizeof(cmd), "%s doctor", wd_test_cli());
	wd_test_run(cmd, &out);
	assert_non_null(out);
	assert_non_null(strstr(out, "tp_btf: "));
	assert_non_null(strstr(out, "fentry: "));
	if (access("/sys/bus/event_source/devices/kprobe/type", F_OK) &&
	    access("/sys/kernel/tracing/kprobe_events", F_OK) &&
	    access("/sys/kernel/debug/tracing/kprobe_events", F_OK))
		assert_null(strstr(out, "use kprobes"));
	free(out);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* A map the kernel refuses: one line naming it, not one rejection per program. */
static void verify_says_a_refused_map_once(void **state)
{
	char cmd[1024], *out = NULL;
	(void)state;
	snprintf(cmd, sizeof(cmd), "%s verify %s", wd_test_cli(), wd_test_obj("verify_badmap.o"));
	assert_int_equal(wd_test_run(cmd, &out), 1);
	assert_int_equal(count(out, "map 'empty'"), 1);
	assert_int_equal(count(out, "REJECTED"), 0);
	free(out);
}

/* --prog with a name the object lacks: the names it has, exit 2. */
static void verify_unknown_prog_lists_the_names(void **state)
{
	char cmd[1024], *out = NULL;
	(void)state;
	snprintf(cmd, sizeof(cmd), "%s verify --prog nope %s", wd_test_cli(),
		 wd_test_obj("verify_badmap.o"));
	assert_int_equal(wd_test_run(cmd, &out), 2);
	assert_non_null(strstr(out, "no program 'nope'"));
	assert_non_null(strstr(out, "first, second, third"));
	free(out);
}

/* The verdict is the kernel's own words, with its instruction. */
static void verify_quotes_an_infinite_loop_as_the_kernel_says_it(void **state)
{
	char cmd[1024], *out = NULL;
	(void)state;
	snprintf(cmd, sizeof(cmd), "%s verify %s", wd_test_cli(), wd_test_obj("verify_loop.o"));
	assert_int_equal(wd_test_run(cmd, &out), 1);
	if (!strstr(out, "infinite loop detected") && strstr(out, "back-edge"))
		WD_SKIP("this kernel refuses every backward jump (before 5.3): %s", "back-edge");
	assert_non_null(strstr(out, "rejected: "));
	assert_null(strstr(strstr(out, "rejected: "), "old state"));
	assert_non_null(strstr(out, "infinite loop detected at insn "));
	assert_null(strstr(out, "at insn 3 at insn"));
	free(out);
}

/* Without securityfs the lockdown level comes from the kernel config, and a
 * helper lockdown takes away says so. */
static void doctor_lockdown_from_config_and_tied_helpers(void **state)
{
	char cmd[512], *out = NULL;
	(void)state;
	snprintf(cmd, sizeof(cmd), "%s doctor", wd_test_cli());
	wd_test_run(cmd, &out);
	assert_non_null(out);
	const char *ld = strstr(out, "lockdown: ");
	assert_non_null(ld);
	if (access("/proc/config.gz", R_OK) == 0 || !strstr(ld, "cannot read"))
		assert_null(strstr(ld, "cannot read"));
	const char *pwu = strstr(out, "bpf_probe_write_user (");
	if (pwu && (strstr(ld, "integrity") == ld + 10 || strstr(ld, "confidentiality") == ld + 10))
		assert_true(strncmp(strchr(pwu, ':'), ": no: lockdown=", 15) == 0);
	free(out);
}

/* verify loads one program at a time: a prog array slot that names another
 * program of the object stays empty instead of failing the load. */
static void verify_loads_one_program_of_an_object_with_filled_slots(void **state)
{
	char cmd[1024], *out = NULL;
	(void)state;
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_XDP), "XDP programs");
	snprintf(cmd, sizeof(cmd), "%s verify --prog tail_filled %s", wd_test_cli(),
		 wd_test_obj("lint_tail.o"));
	int rc = wd_test_run(cmd, &out);
	if (rc)
		fail_msg("%s exited %d:\n%s", cmd, rc, out);
	assert_non_null(strstr(out, "tail_filled: ok"));
	free(out);
}

static const struct CMUnitTest preflight_tests[] = {
	cmocka_unit_test(verify_loads_one_program_of_an_object_with_filled_slots),
	cmocka_unit_test(doctor_lockdown_from_config_and_tied_helpers),
	cmocka_unit_test(verify_says_a_refused_map_once),
	cmocka_unit_test(verify_unknown_prog_lists_the_names),
	cmocka_unit_test(verify_quotes_an_infinite_loop_as_the_kernel_says_it),
	cmocka_unit_test(doctor_tp_btf_verdict_is_a_real_load),
	cmocka_unit_test(doctor_names_the_verifier_cause_and_line),
	cmocka_unit_test(doctor_host_probes_tp_btf_apart_and_hints_fit),
};
WD_TEST_SET(preflight_set, "doctor", preflight_tests);
