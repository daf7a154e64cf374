// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Differential test: every test object that libbpf 1.x accepts is loaded by
 * libbpf (oracle only, never a dependency of libwarden) and by libwarden;
 * the kernel's translated instructions must be identical, program by
 * program, and so must the func_info/line_info counts the kernel kept.  Map
 * references are compared by map name (ids differ).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "harness.h"
#include "warden/warden.h"
#include "sys/sys.h"

struct xlated {
	struct bpf_insn *insns;
	uint32_t cnt;
	uint32_t nr_func_info, nr_line_info;   /* what the kernel kept of the BTF info */
};

static int xlated_of(int prog_fd, struct xlated *out)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	memset(&info, 0, sizeof(info));
	if (wd_sys_obj_info(prog_fd, &info, &len))
		return -1;
	out->nr_func_info = info.nr_func_info;
	out->nr_line_info = info.nr_line_info;
	out->cnt = info.xlated_prog_len / sizeof(struct bpf_insn);
	out->insns = calloc(out->cnt ? out->cnt : 1, sizeof(struct bpf_insn));
	memset(&info, 0, sizeof(info));
	info.xlated_prog_len = out->cnt * sizeof(struct bpf_insn);
	info.xlated_prog_insns = ptr_to_u64(out->insns);
	len = sizeof(info);
	return wd_sys_obj_info(prog_fd, &info, &len);
}

static void map_name_by_id(uint32_t id, char *name, size_t size)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	int fd = wd_sys_get_fd_by_id(BPF_MAP_GET_FD_BY_ID, id);
	memset(&info, 0, sizeof(info));
	snprintf(name, size, "?id%u", id);
	if (fd >= 0 && wd_sys_obj_info(fd, &info, &len) == 0)
		snprintf(name, size, "%s", info.name);
	if (fd >= 0)
		close(fd);
}

/* Returns the index of the first difference, or -1 if identical. */
static long compare_xlated(const struct xlated *a, const struct xlated *b, char *why, size_t size)
{
	if (a->cnt != b->cnt) {
		snprintf(why, size, "%u vs %u instructions", a->cnt, b->cnt);
		return 0;
	}
	for (uint32_t i = 0; i < a->cnt; i++) {
		const struct bpf_insn *x = &a->insns[i], *y = &b->insns[i];
		bool ld64 = x->code == (BPF_LD | BPF_IMM | BPF_DW);
		if (ld64 && (x->src_reg == BPF_PSEUDO_MAP_FD || x->src_reg == BPF_PSEUDO_MAP_VALUE)) {
			char n1[32], n2[32];
			map_name_by_id(x->imm, n1, sizeof(n1));
			map_name_by_id(y->imm, n2, sizeof(n2));
			if (x->src_reg != y->src_reg || strcmp(n1, n2) || x[1].imm != y[1].imm) {
				snprintf(why, size, "insn %u: map %s+%d vs %s+%d", i, n1, x[1].imm, n2, y[1].imm);
				return i;
			}
			i++;
			continue;
		}
		if (ld64 && x->src_reg == BPF_PSEUDO_FUNC && y->src_reg == BPF_PSEUDO_FUNC) {
			i++; /* a JITed callback address: differs per load by nature */
			continue;
		}
		if (memcmp(x, y, sizeof(*x))) {
			snprintf(why, size, "insn %u: code 0x%02x/0x%02x imm %d/%d off %d/%d", i,
				 x->code, y->code, x->imm, y->imm, x->off, y->off);
			return i;
		}
	}
	return -1;
}

static void diff_object(const char *file)
{
	if (wd_test_emulating())
		WD_SKIP("WARDEN_EMULATE plays an old kernel for libwarden only; libbpf sees the real one");
	struct bpf_object *lobj = bpf_object__open_file(wd_test_obj(file), NULL);
	struct wd_object *wobj = wd_object_open(wd_test_obj(file), NULL);
	struct bpf_program *lp;
	int compared = 0;
	assert_non_null(wobj);
	assert_true(libbpf_get_error(lobj) == 0);
	if (wd_probe_helper(BPF_PROG_TYPE_XDP, BPF_FUNC_loop) != 1 && !strcmp(file, "calls.o")) {
		/* bpf_loop callbacks need 5.17: both loaders skip call_two */
		bpf_program__set_autoload(bpf_object__find_program_by_name(lobj, "call_two"), false);
		wd_prog_set_autoload(wd_object_prog(wobj, "call_two"), false);
	}
	if (!strcmp(file, "externs.o")) {
		/* read_ksym needs kallsyms data symbols; call_kfunc kfuncs of 6.2+ */
		static const char *const off[] = { "read_ksym", "call_kfunc" };
		for (size_t i = 0; i < 2; i++) {
			bpf_program__set_autoload(bpf_object__find_program_by_name(lobj, off[i]), false);
			wd_prog_set_autoload(wd_object_prog(wobj, off[i]), false);
		}
	}
	if (!strcmp(file, "minimal.o") && wd_probe_prog_type(BPF_PROG_TYPE_SOCKET_FILTER) != 1) {
		bpf_program__set_autoload(bpf_object__find_program_by_name(lobj, "minimal_sock"), false);
		wd_prog_set_autoload(wd_object_prog(wobj, "minimal_sock"), false);
	}
	assert_int_equal(bpf_object__load(lobj), 0);
	if (wd_object_load(wobj, NULL))
		fail_msg("%s: %s", file, wd_errmsg());
	bpf_object__for_each_program(lp, lobj) {
		if (!bpf_program__autoload(lp))
			continue;
		struct wd_prog *wp = wd_object_prog(wobj, bpf_program__name(lp));
		struct xlated a = { 0 }, b = { 0 };
		char why[160];
		assert_non_null(wp);
		assert_int_equal(xlated_of(bpf_program__fd(lp), &a), 0);
		assert_int_equal(xlated_of(wd_prog_fd(wp), &b), 0);
		assert_true(a.cnt > 0);
		if (compare_xlated(&a, &b, why, sizeof(why)) >= 0)
			fail_msg("%s: program '%s' differs from libbpf's: %s", file,
				 bpf_program__name(lp), why);
		if (a.nr_func_info != b.nr_func_info || a.nr_line_info != b.nr_line_info)
			fail_msg("%s: program '%s': func_info/line_info %u/%u under libbpf, %u/%u "
				 "under warden%s%s", file, bpf_program__name(lp), a.nr_func_info,
				 a.nr_line_info, b.nr_func_info, b.nr_line_info,
				 wd_object_note(wobj) ? ": " : "", wd_object_note(wobj) ? wd_object_note(wobj) : "");
		free(a.insns);
		free(b.insns);
		compared++;
	}
	assert_true(compared > 0);
	bpf_object__close(lobj);
	wd_object_close(wobj);
}

static void same_instructions_as_libbpf_minimal(void **s) { (void)s; diff_object("minimal.o"); }
static void same_instructions_as_libbpf_globals(void **s) { (void)s; diff_object("globals.o"); }
static void same_instructions_as_libbpf_maps(void **s) { (void)s; diff_object("maps.o"); }
static void same_instructions_as_libbpf_calls(void **s) { (void)s; diff_object("calls.o"); }
static void same_instructions_as_libbpf_kconfig(void **s) { (void)s; diff_object("kconfig.o"); }
static void same_instructions_as_libbpf_externs(void **s) { (void)s; diff_object("externs.o"); }

/* libbpf 1.x refuses the legacy maps section that warden still loads. */
static void libbpf_refuses_legacy_maps_that_warden_loads(void **s)
{
	(void)s;
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_XDP), "XDP programs");
	libbpf_print_fn_t old = libbpf_set_print(NULL);
	struct bpf_object *lobj = bpf_object__open_file(wd_test_obj("legacy_maps.o"), NULL);
	libbpf_set_print(old);
	assert_true(libbpf_get_error(lobj) != 0);
	struct wd_object *wobj = wd_object_open(wd_test_obj("legacy_maps.o"), NULL);
	assert_non_null(wobj);
	assert_int_equal(wd_object_load(wobj, NULL), 0);
	wd_object_close(wobj);
}

static const struct CMUnitTest diff_tests[] = {
	cmocka_unit_test(same_instructions_as_libbpf_minimal),
	cmocka_unit_test(same_instructions_as_libbpf_globals),
	cmocka_unit_test(same_instructions_as_libbpf_maps),
	cmocka_unit_test(same_instructions_as_libbpf_calls),
	cmocka_unit_test(same_instructions_as_libbpf_kconfig),
	cmocka_unit_test(same_instructions_as_libbpf_externs),
	cmocka_unit_test(libbpf_refuses_legacy_maps_that_warden_loads),
};
WD_TEST_SET(wd_tests_diff, "loader", diff_tests);
