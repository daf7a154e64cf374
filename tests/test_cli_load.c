// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden load` and `warden inspect` as a user runs them: output, exit codes. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/bpf.h>
#include "harness.h"
#include "sys/sys.h"

/* Run `warden ARGS`; on an unexpected exit status show what it printed. */
static void expect_cli(const char *args, int want, char **out)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "%s %s", wd_test_cli(), args);
	int rc = wd_test_run(cmd, out);
	if (rc != want)
		fail_msg("'warden %s' exited %d, not %d:\n%s", args, rc, want, *out);
}

static void load_prints_one_line_per_program(void **state)
{
	(void)state;
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_XDP), "XDP programs");
	char args[512], *out;
	snprintf(args, sizeof(args), "load %s", wd_test_obj("legacy_maps.o"));
	expect_cli(args, 0, &out);
	assert_non_null(strstr(out, "legacy_count"));
	assert_non_null(strstr(out, "xdp"));
	free(out);
}

static void load_failure_shows_log_and_one_line_cause(void **state)
{
	(void)state;
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_XDP), "XDP programs");
	char args[512], *out;
	snprintf(args, sizeof(args), "load %s", wd_test_obj("bad_access.o"));
	expect_cli(args, 1, &out);
	assert_non_null(strstr(out, "--- verifier log of 'null_deref' ---"));
	assert_non_null(strstr(out, "warden: load: load 'bad_access': program 'null_deref':"));
	free(out);
}

static void load_usage_errors_exit_2(void **state)
{
	(void)state;
	char *out;
	expect_cli("load", 2, &out);
	assert_non_null(strstr(out, "expected one object file"));
	free(out);
	expect_cli("load --log-level 7 x.o", 2, &out);
	assert_non_null(strstr(out, "--log-level"));
	free(out);
	expect_cli("frobnicate", 2, &out);
	assert_non_null(strstr(out, "unknown command"));
	free(out);
	expect_cli("load --help", 0, &out);
	assert_non_null(strstr(out, "usage: warden load"));
	free(out);
}

static void load_pin_outlives_the_command(void **state)
{
	(void)state;
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_XDP), "XDP programs");
	char args[512], path[256], *out;
	struct stat st;
	snprintf(path, sizeof(path), "/sys/fs/bpf/warden-cli-%d", getpid());
	snprintf(args, sizeof(args), "load --pin %s %s", path, wd_test_obj("maps.o"));
	expect_cli(args, 0, &out);
	free(out);
	snprintf(args, sizeof(args), "%s/use_maps", path);
	assert_int_equal(stat(args, &st), 0);
	snprintf(args, sizeof(args), "%s/maps/hash_map", path);
	assert_int_equal(stat(args, &st), 0);
	snprintf(args, sizeof(args), "rm -rf %s", path);
	assert_int_equal(wd_test_run(args, NULL), 0);
}

static void inspect_lists_maps_relocations_and_btf(void **state)
{
	(void)state;
	char args[512], *out;
	snprintf(args, sizeof(args), "inspect %s", wd_test_obj("maps.o"));
	expect_cli(args, 0, &out);
	assert_non_null(strstr(out, "outer_map"));
	assert_non_null(strstr(out, "[2] = tail_target"));
	assert_non_null(strstr(out, "map    jump_table"));
	assert_non_null(strstr(out, "BTF: "));
	free(out);
	snprintf(args, sizeof(args), "inspect %s", wd_test_obj("nolicense.o"));
	expect_cli(args, 0, &out);   /* no license: non-GPL, as libbpf */
	assert_non_null(strstr(out, "license: "));
	free(out);
}

static void emulated_rhel7_refuses_socket_filter_by_name(void **state)
{
	(void)state;
	char cmd[1024], *out;
	snprintf(cmd, sizeof(cmd), "WARDEN_EMULATE=rhel7 %s load %s", wd_test_cli(), wd_test_obj("minimal.o"));
	int rc = wd_test_run(cmd, &out);
	if (rc != 1)
		fail_msg("%s exited %d:\n%s", cmd, rc, out);
	assert_non_null(strstr(out, "minimal_sock"));
	free(out);
}

static const struct CMUnitTest cli_load_tests[] = {
	cmocka_unit_test(load_prints_one_line_per_program),
	cmocka_unit_test(load_failure_shows_log_and_one_line_cause),
	cmocka_unit_test(load_usage_errors_exit_2),
	cmocka_unit_test(load_pin_outlives_the_command),
	cmocka_unit_test(inspect_lists_maps_relocations_and_btf),
	cmocka_unit_test(emulated_rhel7_refuses_socket_filter_by_name),
};
WD_TEST_SET(wd_tests_cli_load, "loader", cli_load_tests);

/* bpf links on the host, by id walk (none may be left behind): only the
 * test's own, of minimal_tp (other processes, such as an agent a previous
 * test stopped whose links a child is still releasing, change the host's
 * total). */
static int is_minimal_tp(const char *name)
{
	return !strcmp(name, "minimal_tp");
}

/* load --attach attaches what its section names, says what it cannot, and
 * detaches everything when the duration ends. */
static void load_attach_attaches_by_section_and_detaches(void **state)
{
	(void)state;
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_TRACEPOINT), "tracepoint programs");
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_SOCKET_FILTER), "socket filters");
	char args[512], *out;
	int before = wd_test_count_links(is_minimal_tp);
	snprintf(args, sizeof(args), "load --attach --duration 1 %s", wd_test_obj("minimal.o"));
	expect_cli(args, 0, &out);
	assert_non_null(strstr(out, "attached minimal_tp"));
	assert_non_null(strstr(out, "syscalls/sys_enter_getpid"));
	assert_non_null(strstr(out, "not attached minimal_sock"));
	free(out);
	assert_int_equal(wd_test_count_links(is_minimal_tp), before);
}

/* docs/sections.md is the output of `warden inspect --sections`. */
static void sections_doc_matches_the_table(void **state)
{
	(void)state;
	char *out, *doc;
	expect_cli("inspect --sections", 0, &out);
	if (wd_test_run("cat docs/sections.md", &doc) != 0)
		WD_SKIP("docs/ not shipped here (kernel-matrix guest)");
	if (!strstr(doc, out))
		fail_msg("docs/sections.md is stale: regenerate it with 'warden inspect --sections'");
	assert_non_null(strstr(out, "kprobe"));
	assert_non_null(strstr(out, "cgroup/connect4"));
	free(out);
	free(doc);
}

static const struct CMUnitTest cli_doc_tests[] = {
	cmocka_unit_test(load_attach_attaches_by_section_and_detaches),
	cmocka_unit_test(sections_doc_matches_the_table),
};
WD_TEST_SET(wd_tests_cli_doc, "loader", cli_doc_tests);
