// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `warden ps` and `warden prog` on programs this test attaches: a
 * tracepoint link and a uprobe link (on this binary) named by kind and
 * attach point, whole program names, owners as comm(pid), JSON pids as a
 * list, programs with tag, load time and map ids, filters.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include "harness.h"
#include "warden/bpf.h"
#include "warden/features.h"
#include "warden/link.h"
#include "warden/testing.h"
#include "warden/warden.h"

/* The uprobe's target in this binary. */
__attribute__((noinline, used)) int wd_ps_uprobe_target(int x)
{
	__asm__ volatile("" ::: "memory");
	return x + 1;
}

struct attached {
	struct wd_object *obj;
	struct wd_link *tp, *up;
	char exe[PATH_MAX];
	uint32_t tp_prog, up_prog;
};

static uint32_t prog_id_of(struct wd_prog *p)
{
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);
	assert_int_equal(wd_sys_obj_info(wd_prog_fd(p), &info, &len), 0);
	return info.id;
}

static void attach_both(struct attached *a)
{
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_TRACEPOINT), "tracepoint programs");
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_KPROBE), "kprobe/uprobe programs");
	WD_REQUIRE(wd_probe_ringbuf(), "ring buffers");
	memset(a, 0, sizeof(*a));
	ssize_t n = readlink("/proc/self/exe", a->exe, sizeof(a->exe) - 1);
	assert_true(n > 0);
	a->exe[n] = '\0';
	a->obj = wd_object_open(wd_test_obj("map_dump.o"), NULL);
	assert_non_null(a->obj);
	if (wd_object_load(a->obj, NULL))
		fail_msg("load map_dump.o: %s", wd_errmsg());
	struct wd_prog *tp = wd_object_prog(a->obj, "map_dump_program_with_long_name");
	struct wd_prog *up = wd_object_prog(a->obj, "map_dump_uprobe");
	a->tp = wd_prog_attach_tracepoint(tp, "syscalls", "sys_enter_getppid");
	if (!a->tp) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", wd_errmsg());
		wd_object_close(a->obj);
		WD_SKIP("cannot attach the tracepoint here: %s", msg);
	}
	struct wd_uprobe_opts uo = { .sz = sizeof(uo), .func = "wd_ps_uprobe_target", .pid = -1 };
	a->up = wd_prog_attach_uprobe(up, a->exe, &uo);
	if (!a->up) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", wd_errmsg());
		wd_link_detach(a->tp);
		wd_object_close(a->obj);
		WD_SKIP("cannot attach a uprobe here: %s", msg);
	}
	a->tp_prog = prog_id_of(tp);
	a->up_prog = prog_id_of(up);
	assert_int_equal(wd_ps_uprobe_target(1), 2);
}

static void detach_both(struct attached *a)
{
	wd_link_detach(a->up);
	wd_link_detach(a->tp);
	wd_object_close(a->obj);
}


static void ps_names_tracepoint_and_uprobe_links(void **state)
{
	(void)state;
	struct attached a;
	char want[PATH_MAX + 64];
	attach_both(&a);
	char *out = wd_test_cli_expect(0, "ps --owner %d", getpid());
	/* where each program is attached: from its link (6.6+ names perf links)
	 * or from the perf event this process holds (older kernels) */
	wd_test_expect_in(out, "tracepoint syscalls:sys_enter_getppid (");
	snprintf(want, sizeof(want), "uprobe %s+0x", a.exe);
	wd_test_expect_in(out, want);
	/* the whole name, not the kernel's 15 characters */
	wd_test_expect_in(out, "map_dump_program_with_long_name");
	snprintf(want, sizeof(want), "warden-test(%d)", getpid());
	wd_test_expect_in(out, want);
	if (wd_probe_bpf_link(WD_LINK_PERF_EVENT) == 1) {
		/* link rows named by kind and attach point (from the link on 6.6+,
		 * from the perf event under it on 5.15-6.5) */
		wd_test_expect_in(out, "link ");
		wd_test_expect_in(out, "  tracepoint  ");
		snprintf(want, sizeof(want), "syscalls:sys_enter_getppid (prog %u)", a.tp_prog);
		wd_test_expect_in(out, want);
		snprintf(want, sizeof(want), "uprobe  ");
		wd_test_expect_in(out, want);
	}
	free(out);
	detach_both(&a);
}

static void ps_json_has_pid_lists_tags_and_map_ids(void **state)
{
	(void)state;
	struct attached a;
	char want[256];
	attach_both(&a);
	char *out = wd_test_cli_expect(0, "ps prog --id %u --json", a.tp_prog);
	snprintf(want, sizeof(want), "\"progs\":[{\"id\":%u,\"type\":\"tracepoint\","
		 "\"name\":\"map_dump_program_with_long_name\",\"tag\":\"", a.tp_prog);
	wd_test_expect_in(out, want);
	wd_test_expect_in(out, "\"loaded_at\":\"20");
	wd_test_expect_in(out, "\"map_ids\":[");
	assert_null(strstr(out, "\"map_ids\":[]"));
	snprintf(want, sizeof(want), "\"pids\":[{\"pid\":%d,\"comm\":\"warden-test\"}]", getpid());
	wd_test_expect_in(out, want);
	wd_test_expect_in(out, "\"attached\":[\"tracepoint syscalls:sys_enter_getppid (");
	wd_test_expect_in(out, "\"maps\":[],\"links\":[]}");
	free(out);
	if (wd_probe_bpf_link(WD_LINK_PERF_EVENT) == 1) {
		out = wd_test_cli_expect(0, "ps link --type uprobe -j");
		snprintf(want, sizeof(want), "\"type\":\"uprobe\",\"name\":\"map_dump_uprobe\",\"attach\":\"%s+0x",
			 a.exe);
		wd_test_expect_in(out, want);
		free(out);
	}
	detach_both(&a);
}

static void ps_filters_and_usage_errors(void **state)
{
	(void)state;
	struct attached a;
	char want[64];
	attach_both(&a);
	char *out = wd_test_cli_expect(0, "ps --name map_dump_uprobe");
	snprintf(want, sizeof(want), "prog  %7u  kprobe", a.up_prog);
	wd_test_expect_in(out, want);
	assert_null(strstr(out, "map_dump_program_with_long_name"));
	free(out);
	out = wd_test_cli_expect(0, "ps map --owner warden-test --type ringbuf");
	wd_test_expect_in(out, "ringbuf");
	wd_test_expect_in(out, "events");
	assert_null(strstr(out, "flows"));
	free(out);
	out = wd_test_cli_expect(2, "ps --id twelve");
	wd_test_expect_in(out, "--id takes a number");
	free(out);
	out = wd_test_cli_expect(2, "ps --frobnicate");
	wd_test_expect_in(out, "unknown option");
	free(out);
	out = wd_test_cli_expect(2, "ps gadgets");
	wd_test_expect_in(out, "'gadgets' is not prog, map or link");
	free(out);
	detach_both(&a);
}


static uint32_t map_id_of(struct wd_object *obj, const char *name)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	assert_int_equal(wd_sys_obj_info(wd_map_fd(wd_object_map(obj, name)), &info, &len), 0);
	return info.id;
}

static struct wd_object *load_map_dump(void)
{
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_TRACEPOINT), "tracepoint programs");
	WD_REQUIRE(wd_probe_ringbuf(), "ring buffers");
	struct wd_object *obj = wd_object_open(wd_test_obj("map_dump.o"), NULL);
	assert_non_null(obj);
	if (wd_object_load(obj, NULL))
		fail_msg("load map_dump.o: %s", wd_errmsg());
	return obj;
}

static void prog_show_and_dump_xlated_with_source_lines(void **state)
{
	(void)state;
	struct wd_object *obj = load_map_dump();
	char want[160];
	uint32_t id = prog_id_of(wd_object_prog(obj, "map_dump_program_with_long_name"));
	char *out = wd_test_cli_expect(0, "prog show id %u -j", id);
	snprintf(want, sizeof(want), "{\"progs\":[{\"id\":%u,\"type\":\"tracepoint\","
		 "\"name\":\"map_dump_program_with_long_name\",\"tag\":\"", id);
	wd_test_expect_in(out, want);
	snprintf(want, sizeof(want), "%u", map_id_of(obj, "flows"));
	wd_test_expect_in(out, want);
	snprintf(want, sizeof(want), "\"pids\":[{\"pid\":%d,\"comm\":\"warden-test\"}]", getpid());
	wd_test_expect_in(out, want);
	free(out);

	out = wd_test_cli_expect(0, "prog dump xlated id %u", id);
	wd_test_expect_in(out, "map_dump_program_with_long_name:\n");
	if (wd_probe_btf() == 1)
		wd_test_expect_in(out, "; bpf_tail_call(ctx, &jumps, 2); (map_dump.bpf.c:");
	wd_test_expect_in(out, "call bpf_tail_call\n");
	snprintf(want, sizeof(want), "r2 = map[id:%u]\n", map_id_of(obj, "jumps"));
	wd_test_expect_in(out, want);
	wd_test_expect_in(out, "exit\n");
	free(out);
	out = wd_test_cli_expect(0, "prog dump xlated id %u -j", id);
	wd_test_expect_in(out, "\"insns\":[{\"pc\":0,\"func\":\"map_dump_program_with_long_name\"");
	wd_test_expect_in(out, "\"insn\":\"exit\"}]}");
	free(out);
	wd_object_close(obj);
}

static void prog_dump_xlated_without_line_info_says_so(void **state)
{
	(void)state;
	assert_int_equal(wd_emulate("no-btf"), 0);
	struct wd_object *obj = load_map_dump();
	uint32_t id = prog_id_of(wd_object_prog(obj, "jump_target"));
	char *out = wd_test_cli_expect(0, "prog dump xlated %u", id);
	wd_test_expect_in(out, "    0: r0 = 0\n    1: exit\n");
	wd_test_expect_in(out, "(no source lines: the program was loaded without BTF line info)");
	free(out);
	wd_object_close(obj);
}

static void prog_dump_jited_hex_per_function(void **state)
{
	(void)state;
	struct wd_object *obj = load_map_dump();
	uint32_t id = prog_id_of(wd_object_prog(obj, "jump_target"));
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);
	assert_int_equal(wd_sys_obj_info(wd_prog_fd(wd_object_prog(obj, "jump_target")), &info, &len), 0);
	if (!info.jited_prog_len) {
		char *out = wd_test_cli_expect(1, "prog dump jited %u", id);
		wd_test_expect_in(out, "not JIT-compiled");
		free(out);
		wd_object_close(obj);
		WD_SKIP("this kernel runs BPF in the interpreter (bpf_jit_enable=0)");
	}
	char want[64];
	char *out = wd_test_cli_expect(0, "prog dump jited %u", id);
	snprintf(want, sizeof(want), " (%u bytes):\n  ", info.jited_prog_len);
	wd_test_expect_in(out, want);
	free(out);
	out = wd_test_cli_expect(0, "prog dump jited %u -j", id);
	snprintf(want, sizeof(want), "\"offset\":0,\"size\":%u,\"hex\":\"", info.jited_prog_len);
	wd_test_expect_in(out, want);
	free(out);
	wd_object_close(obj);
}

static void prog_bad_input_exits_2(void **state)
{
	(void)state;
	char *out = wd_test_cli_expect(2, "prog dump xlated id 4000000000");
	wd_test_expect_in(out, "no program with id 4000000000");
	free(out);
	out = wd_test_cli_expect(2, "prog dump disasm 1");
	wd_test_expect_in(out, "say 'xlated' or 'jited'");
	free(out);
	out = wd_test_cli_expect(2, "prog show name no_such_program_here");
	wd_test_expect_in(out, "no program named 'no_such_program_here'");
	free(out);
	out = wd_test_cli_expect(2, "prog frob");
	wd_test_expect_in(out, "unknown subcommand 'frob'");
	free(out);
}


/* Every --option that `warden ps|map|prog --help` shows is in the man page
 * (written \-\-name there), and so is each subcommand. */
static void man_page_covers_ps_map_prog(void **state)
{
	(void)state;
	static const char *const cmds[] = { "ps", "map", "prog" };
	static const char *const words[] = { ".SS \"map dump MAP", ".SS \"map lookup MAP KEY",
		".SS \"map update MAP KEY VALUE", ".SS \"map delete MAP KEY", ".SS \"map pin MAP PATH",
		".SS \"map unpin PATH", ".SS \"prog dump xlated PROG", ".SS \"prog dump jited PROG",
		"\\-\\-no\\-batch", "key\\-json", "value\\-json", "noexist" };
	char *man = NULL;
	if (wd_test_run("cat docs/man/warden.1", &man) != 0) {
		free(man);
		WD_SKIP("docs/man/warden.1 not here (run from the source tree)");
	}
	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
		if (!strstr(man, words[w]))
			fail_msg("'%s' is not in docs/man/warden.1", words[w]);
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		char *help = wd_test_cli_expect(0, "%s --help", cmds[c]);
		int found = 0;
		for (char *p = strstr(help, "--"); p; p = strstr(p + 2, "--")) {
			char name[64], roff[160];
			size_t n = 0, r;
			while (n < sizeof(name) - 1 && (p[2 + n] == '-' || (p[2 + n] >= 'a' && p[2 + n] <= 'z')))
				name[n] = p[2 + n], n++;
			name[n] = '\0';
			if (!n)
				continue;
			r = (size_t)snprintf(roff, sizeof(roff), "\\-\\-");
			for (size_t i = 0; i < n && r < sizeof(roff) - 3; i++) {
				if (name[i] == '-')
					roff[r++] = '\\';
				roff[r++] = name[i];
			}
			roff[r] = '\0';
			if (!strstr(man, roff))
				fail_msg("warden %s --%s is not in docs/man/warden.1 (as %s)", cmds[c], name, roff);
			found++;
		}
		assert_true(found >= 2);
		free(help);
	}
	free(man);
}


/* bpf-to-bpf calls name the function they call (xlated keeps the offset in
 * off after the JIT, in imm before). */
static void prog_dump_xlated_names_called_functions(void **state)
{
	(void)state;
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_XDP), "XDP programs");
	WD_REQUIRE(wd_probe_btf_kind(WD_BTF_FUNC_GLOBAL), "global functions in BTF");
	struct wd_object *obj = wd_object_open(wd_test_obj("calls.o"), NULL);
	assert_non_null(obj);
	/* only call_one: call_two needs bpf_loop (5.17) */
	wd_prog_set_autoload(wd_object_prog(obj, "call_two"), false);
	if (wd_object_load(obj, NULL))
		fail_msg("load calls.o: %s", wd_errmsg());
	char *out = wd_test_cli_expect(0, "prog dump xlated id %u", prog_id_of(wd_object_prog(obj, "call_one")));
	wd_test_expect_in(out, "call_one:\n");
	wd_test_expect_in(out, " <twice>\n");
	wd_test_expect_in(out, "\ntwice:\n");
	wd_test_expect_in(out, " <add>\n");
	free(out);
	wd_object_close(obj);
}

static const struct CMUnitTest ps_tests[] = {
	cmocka_unit_test(ps_names_tracepoint_and_uprobe_links),
	cmocka_unit_test(ps_json_has_pid_lists_tags_and_map_ids),
	cmocka_unit_test(ps_filters_and_usage_errors),
	cmocka_unit_test(prog_show_and_dump_xlated_with_source_lines),
	cmocka_unit_test_teardown(prog_dump_xlated_without_line_info_says_so, wd_test_restore_emulation),
	cmocka_unit_test(prog_dump_jited_hex_per_function),
	cmocka_unit_test(prog_dump_xlated_names_called_functions),
	cmocka_unit_test(prog_bad_input_exits_2),
	cmocka_unit_test(man_page_covers_ps_map_prog),
};
WD_TEST_SET(wd_tests_ps, "doctor", ps_tests);
