// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CO-RE against the running kernel, with libbpf as the oracle: the test
 * objects (tests/bpf/core_*.bpf.c) load with libwarden, run, and each
 * relocated value they store in .bss is compared with the kernel BTF read
 * through libbpf's btf API; then the same objects are loaded with libbpf
 * and the kernel's translated instructions compared program by program.
 * Only the public warden API here: libbpf's headers clash with lib/btf.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "harness.h"
#include "warden/warden.h"

struct fields_res {
	uint64_t pid, tgid, ppid;
	uint64_t pid_off, pid_sz, pid_signed, flags_signed;
	uint64_t comm_off, comm1_off, comm_sz;
	uint64_t missing_exists, pid_exists, missing_val;
	uint64_t bf_off, bf_sz, bf_lshift, bf_rshift, bf_val, iowait_lshift;
	char comm0;
};

struct types_res {
	uint64_t task_exists, nope_exists, task_size, nope_size;
	uint64_t task_local_id, task_target_id, nope_target_id;
	uint64_t hash_val, ringbuf_val, nope_enum_exists, ringbuf_exists, nope_enum_val;
	uint64_t prog_type_netfilter_exists, typedef_exists;
};

static struct btf *kernel_btf(void)
{
	struct btf *b = btf__load_vmlinux_btf();
	if (!b)
		return NULL;
	return b;
}

/* Bit offset (from the start of the struct), bitfield size and byte size of
 * the type of member `name` of type `id`, looking through anonymous struct and
 * union members as CO-RE does. */
static int find_member(struct btf *b, int id, uint32_t base, const char *name, uint32_t *bits,
		       uint32_t *bsz, uint32_t *tsz)
{
	const struct btf_type *t = btf__type_by_id(b, id);
	for (int i = 0; t && (btf_is_struct(t) || btf_is_union(t)) && i < btf_vlen(t); i++) {
		const struct btf_member *m = &btf_members(t)[i];
		const char *mn = btf__name_by_offset(b, m->name_off);
		uint32_t off = base + btf_member_bit_offset(t, i);
		if (mn && *mn) {
			if (strcmp(mn, name))
				continue;
			*bits = off;
			*bsz = btf_member_bitfield_size(t, i);
			*tsz = btf__resolve_size(b, m->type);
			return 0;
		}
		if (!find_member(b, btf__resolve_type(b, m->type), off, name, bits, bsz, tsz))
			return 0;
	}
	return -ENOENT;
}

static int member_bits(struct btf *b, const char *sname, const char *name, uint32_t *bits,
		       uint32_t *bsz, uint32_t *tsz)
{
	int id = btf__find_by_name_kind(b, sname, BTF_KIND_STRUCT);
	return id > 0 ? find_member(b, id, 0, name, bits, bsz, tsz) : -ENOENT;
}

/* The load a CO-RE bitfield read does (libbpf's rule): the member type's
 * size, widened until the aligned load covers every bit. */
static void bitfield_load(uint32_t bits, uint32_t bsz, uint32_t tsz, uint32_t *byte_off,
			  uint32_t *byte_sz)
{
	assert_true(tsz > 0 && tsz <= 8);
	*byte_sz = tsz;
	*byte_off = bits / 8 / tsz * tsz;
	while (bits + bsz - *byte_off * 8 > *byte_sz * 8 && *byte_sz < 8) {
		*byte_sz *= 2;
		*byte_off = bits / 8 / *byte_sz * *byte_sz;
	}
}

/* Does kernel enum `ename` have `value`? */
static int enum_has(struct btf *b, const char *ename, const char *value)
{
	int id = btf__find_by_name_kind(b, ename, BTF_KIND_ENUM);
	const struct btf_type *t = id > 0 ? btf__type_by_id(b, id) : NULL;
	for (int i = 0; t && i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(b, btf_enum(t)[i].name_off), value))
			return 1;
	return 0;
}

static struct wd_object *load_warden(const char *name, const char *skip_prog)
{
	struct wd_object *obj = wd_object_open(wd_test_obj(name), NULL);
	assert_non_null(obj);
	if (skip_prog)
		assert_int_equal(wd_prog_set_autoload(wd_object_prog(obj, skip_prog), false), 0);
	if (wd_object_load(obj, NULL))
		fail_msg("load %s: %s", name, wd_errmsg());
	return obj;
}

/* raw_tp programs run with BPF_PROG_TEST_RUN (5.10+) in the caller's task. */
static void run_raw_tp(struct wd_object *obj, const char *prog)
{
	LIBBPF_OPTS(bpf_test_run_opts, o);
	struct wd_prog *p = wd_object_prog(obj, prog);
	assert_non_null(p);
	assert_int_equal(bpf_prog_test_run_opts(wd_prog_fd(p), &o), 0);
}

static void read_sec(struct wd_object *obj, const char *sec, void *out, size_t size)
{
	struct wd_map *m = wd_object_map(obj, sec);
	uint32_t zero = 0;
	char *buf;
	assert_non_null(m);
	assert_true(wd_map_value_size(m) >= size);
	buf = calloc(1, wd_map_value_size(m));
	assert_int_equal(wd_map_lookup(m, &zero, buf), 0);
	memcpy(out, buf, size);
	free(buf);
}

static void read_bss(struct wd_object *obj, void *out, size_t size)
{
	read_sec(obj, ".bss", out, size);
}

static void field_relocations_give_kernel_layout(void **state)
{
	(void)state;
	struct btf *kb = kernel_btf();
	struct fields_res r;
	uint32_t pid_bits, comm_bits, bf_bits, bf_size, bf_tsz, io_bits, io_size, io_tsz, dummy;
	uint32_t bf_byte_off, bf_byte_sz, io_byte_off, io_byte_sz;
	if (!kb)
		WD_SKIP("no kernel BTF");
	assert_int_equal(member_bits(kb, "task_struct", "pid", &pid_bits, &dummy, &dummy), 0);
	assert_int_equal(member_bits(kb, "task_struct", "comm", &comm_bits, &dummy, &dummy), 0);
	assert_int_equal(member_bits(kb, "sk_buff", "pkt_type", &bf_bits, &bf_size, &bf_tsz), 0);
	assert_int_equal(member_bits(kb, "task_struct", "in_iowait", &io_bits, &io_size, &io_tsz), 0);
	bitfield_load(bf_bits, bf_size, bf_tsz, &bf_byte_off, &bf_byte_sz);
	bitfield_load(io_bits, io_size, io_tsz, &io_byte_off, &io_byte_sz);
	struct wd_object *obj = load_warden("core_fields.o", NULL);
	run_raw_tp(obj, "run_fields");
	read_bss(obj, &r, sizeof(r));
	/* values read through relocated offsets are the real ones */
	assert_int_equal(r.pid, gettid());
	assert_int_equal(r.tgid, getpid());
	assert_int_equal(r.ppid, getppid());
	assert_int_equal(r.comm0, 'w'); /* "warden-test" */
	assert_int_equal(r.pid_off, pid_bits / 8);
	assert_int_equal(r.pid_sz, 4);
	assert_int_equal(r.pid_signed, 1);
	assert_int_equal(r.flags_signed, 0);
	assert_int_equal(r.comm_off, comm_bits / 8);
	assert_int_equal(r.comm1_off, comm_bits / 8 + 1);
	assert_int_equal(r.comm_sz, 16);
	assert_int_equal(r.pid_exists, 1);
	assert_int_equal(r.missing_exists, 0);
	assert_int_equal(r.missing_val, 77);
	/* bitfields: local 2 bits at bit 5 of a u32, kernel 3 bits of a u8
	 * elsewhere; local in_iowait at bit 0, the kernel's elsewhere */
	assert_int_equal(bf_size, 3);
	assert_int_equal(io_size, 1);
	assert_int_equal(r.bf_off, bf_byte_off);
	assert_int_equal(r.bf_sz, bf_byte_sz);
	assert_int_equal(r.bf_lshift, 64 - (bf_bits + bf_size - bf_byte_off * 8));
	assert_int_equal(r.bf_rshift, 64 - bf_size);
	assert_int_equal(r.iowait_lshift, 64 - (io_bits + io_size - io_byte_off * 8));
	assert_true(r.bf_val < 8);
	wd_object_close(obj);
	btf__free(kb);
}

static void type_and_enum_relocations_give_kernel_values(void **state)
{
	(void)state;
	struct btf *kb = kernel_btf(), *ob;
	struct types_res r;
	int task_id, local_id;
	if (!kb)
		WD_SKIP("no kernel BTF");
	task_id = btf__find_by_name_kind(kb, "task_struct", BTF_KIND_STRUCT);
	ob = btf__parse(wd_test_obj("core_types.o"), NULL);
	assert_non_null(ob);
	local_id = btf__find_by_name_kind(ob, "task_struct", BTF_KIND_STRUCT);
	struct wd_object *obj = load_warden("core_types.o", NULL);
	run_raw_tp(obj, "run_types");
	read_bss(obj, &r, sizeof(r));
	assert_int_equal(r.task_exists, 1);
	assert_int_equal(r.nope_exists, 0);
	assert_int_equal(r.task_size, btf__type_by_id(kb, task_id)->size);
	assert_int_equal(r.nope_size, 0);
	assert_int_equal(r.task_local_id, local_id);
	assert_int_equal(r.task_target_id, task_id);
	assert_int_equal(r.nope_target_id, 0);
	assert_int_equal(r.hash_val, 1);      /* BPF_MAP_TYPE_HASH, local 100 */
	assert_int_equal(r.ringbuf_val, 27);  /* BPF_MAP_TYPE_RINGBUF, local 101 */
	assert_int_equal(r.ringbuf_exists, 1);
	assert_int_equal(r.nope_enum_exists, 0);
	assert_int_equal(r.nope_enum_val, 55);
	/* BPF_PROG_TYPE_NETFILTER exists since 6.4: ask the kernel's BTF */
	assert_int_equal(r.prog_type_netfilter_exists, enum_has(kb, "bpf_prog_type", "BPF_PROG_TYPE_NETFILTER"));
	assert_int_equal(r.typedef_exists, 0); /* the kernel has no typedef task_t */
	wd_object_close(obj);
	btf__free(ob);
	btf__free(kb);
}

/* ---- differential: libbpf vs libwarden, translated instructions ---------- */

static int xlated(int fd, struct bpf_insn **out, uint32_t *cnt)
{
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);
	int err = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (err)
		return err;
	*cnt = info.xlated_prog_len / sizeof(struct bpf_insn);
	*out = calloc(*cnt ? *cnt : 1, sizeof(struct bpf_insn));
	uint32_t n = info.xlated_prog_len;
	memset(&info, 0, sizeof(info));
	info.xlated_prog_len = n;
	info.xlated_prog_insns = (uint64_t)(uintptr_t)*out;
	len = sizeof(info);
	return bpf_obj_get_info_by_fd(fd, &info, &len);
}

static void map_name_by_id(uint32_t id, char *name, size_t size)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	int fd = bpf_map_get_fd_by_id(id);
	snprintf(name, size, "?");
	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
		snprintf(name, size, "%s", info.name);
	if (fd >= 0)
		close(fd);
}

/* Map references hold map ids: compare them by map name, then zero them. */
static void normalize_maps(struct bpf_insn *a, struct bpf_insn *b, uint32_t cnt, const char *prog)
{
	for (uint32_t i = 0; i + 1 < cnt; i++) {
		char na[32], nb[32];
		if (a[i].code != (BPF_LD | BPF_IMM | BPF_DW))
			continue;
		if (a[i].src_reg == BPF_PSEUDO_MAP_FD || a[i].src_reg == BPF_PSEUDO_MAP_VALUE) {
			map_name_by_id(a[i].imm, na, sizeof(na));
			map_name_by_id(b[i].imm, nb, sizeof(nb));
			if (strcmp(na, nb))
				fail_msg("%s insn %u: map '%s' (libbpf) vs '%s' (warden)", prog, i, na, nb);
			a[i].imm = b[i].imm = 0;
		}
		i++;
	}
}

static void compare_prog(int lfd, int wfd, const char *prog)
{
	struct bpf_insn *a = NULL, *b = NULL;
	uint32_t na = 0, nb = 0;
	assert_int_equal(xlated(lfd, &a, &na), 0);
	assert_int_equal(xlated(wfd, &b, &nb), 0);
	if (na != nb)
		fail_msg("%s: %u translated insns with libbpf, %u with warden", prog, na, nb);
	normalize_maps(a, b, na, prog);
	for (uint32_t i = 0; i < na; i++)
		if (memcmp(&a[i], &b[i], sizeof(a[i])))
			fail_msg("%s insn %u: libbpf code 0x%02x off %d imm %d, warden code 0x%02x off %d imm %d",
				 prog, i, a[i].code, a[i].off, a[i].imm, b[i].code, b[i].off, b[i].imm);
	free(a);
	free(b);
}

static void differential(const char *name, const char *skip_prog)
{
	struct bpf_object *lo = bpf_object__open_file(wd_test_obj(name), NULL);
	struct bpf_program *lp;
	int n = 0;
	assert_non_null(lo);
	if (skip_prog)
		bpf_program__set_autoload(bpf_object__find_program_by_name(lo, skip_prog), false);
	if (bpf_object__load(lo))
		fail_msg("libbpf cannot load %s", name);
	struct wd_object *wo = load_warden(name, skip_prog);
	bpf_object__for_each_program(lp, lo) {
		struct wd_prog *wp = wd_object_prog(wo, bpf_program__name(lp));
		if (!bpf_program__autoload(lp))
			continue;
		assert_non_null(wp);
		compare_prog(bpf_program__fd(lp), wd_prog_fd(wp), bpf_program__name(lp));
		n++;
	}
	assert_true(n > 0);
	wd_object_close(wo);
	bpf_object__close(lo);
}

static void same_xlated_as_libbpf_core_fields(void **state)
{
	(void)state;
	differential("core_fields.o", NULL);
}

static void same_xlated_as_libbpf_core_types(void **state)
{
	(void)state;
	differential("core_types.o", NULL);
}

static void same_xlated_as_libbpf_core_poison_guarded(void **state)
{
	(void)state;
	differential("core_poison.o", "read_missing");
}

static void same_xlated_as_libbpf_core_subprogs(void **state)
{
	(void)state;
	differential("core_subprogs.o", NULL);
}

static uint64_t kallsyms(const char *name)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512], sym[256], type;
	unsigned long long a;
	uint64_t found = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &a, &type, sym) == 3 && !strcmp(sym, name) &&
		    !strchr(line, '[')) {
			found = a;
			break;
		}
	if (f)
		fclose(f);
	return found;
}

static void ksym_externs_resolve(void **state)
{
	(void)state;
	struct { uint64_t stext, missing, ran; } r;
	struct wd_object *obj = load_warden("core_ksym.o", NULL);
	run_raw_tp(obj, "run_ksym");
	read_bss(obj, &r, sizeof(r));
	assert_int_equal(r.ran, 1);
	assert_true(r.stext == kallsyms("_stext"));
	assert_true(r.stext != 0);
	assert_int_equal(r.missing, 1);             /* weak and missing: address 0, +1 */
	wd_object_close(obj);
}

/* Skip unless the kernel's BTF has `kind` `name` (kfuncs, per-CPU vars). */
#define REQUIRE_KERNEL_BTF(name, kind, why)                                         \
	do {                                                                        \
		struct btf *__kb = kernel_btf();                                    \
		int __id = __kb ? btf__find_by_name_kind(__kb, name, kind) : -1;    \
		btf__free(__kb);                                                    \
		if (__id <= 0)                                                      \
			WD_SKIP("the kernel BTF has no %s '%s': %s", #kind, name, why); \
	} while (0)

static void kfunc_calls_resolve(void **state)
{
	(void)state;
	struct { uint64_t ran; } r;
	REQUIRE_KERNEL_BTF("bpf_rcu_read_lock", BTF_KIND_FUNC, "kfunc added in 6.2");
	struct wd_object *obj = load_warden("core_kfunc.o", NULL);
	run_raw_tp(obj, "run_kfunc");
	read_bss(obj, &r, sizeof(r));
	assert_int_equal(r.ran, 1);                 /* the kfunc calls loaded and ran */
	wd_object_close(obj);
}

static void typed_ksym_resolves_by_btf_id(void **state)
{
	(void)state;
	struct wd_object *obj;
	uint64_t cpu = 999;
	REQUIRE_KERNEL_BTF("runqueues", BTF_KIND_VAR,
			   "per-CPU variables not encoded (pahole without them, e.g. Debian 5.10)");
	obj = wd_object_open(wd_test_obj("core_ksym_typed.o"), NULL);
	assert_non_null(obj);
	if (wd_object_load(obj, NULL)) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", wd_errmsg());
		wd_object_close(obj);
		if (!kallsyms("runqueues") && strstr(msg, "runqueues"))
			WD_SKIP("kernel cannot place typed ksyms without CONFIG_KALLSYMS_ALL: %s", msg);
		fail_msg("%s", msg);
	}
	run_raw_tp(obj, "run_ksym_typed");
	read_sec(obj, ".data", &cpu, sizeof(cpu));  /* rq_cpu = 999 lives in .data */
	assert_true(cpu < 4096);
	wd_object_close(obj);
}

static void same_xlated_as_libbpf_core_ksym(void **state)
{
	(void)state;
	differential("core_ksym.o", NULL);
}

static void same_xlated_as_libbpf_core_kfunc(void **state)
{
	(void)state;
	REQUIRE_KERNEL_BTF("bpf_rcu_read_lock", BTF_KIND_FUNC, "kfunc added in 6.2");
	differential("core_kfunc.o", NULL);
}

static const struct CMUnitTest core_libbpf_tests[] = {
	cmocka_unit_test(ksym_externs_resolve),
	cmocka_unit_test(kfunc_calls_resolve),
	cmocka_unit_test(typed_ksym_resolves_by_btf_id),
	cmocka_unit_test(same_xlated_as_libbpf_core_ksym),
	cmocka_unit_test(same_xlated_as_libbpf_core_kfunc),
	cmocka_unit_test(field_relocations_give_kernel_layout),
	cmocka_unit_test(type_and_enum_relocations_give_kernel_values),
	cmocka_unit_test(same_xlated_as_libbpf_core_fields),
	cmocka_unit_test(same_xlated_as_libbpf_core_types),
	cmocka_unit_test(same_xlated_as_libbpf_core_poison_guarded),
	cmocka_unit_test(same_xlated_as_libbpf_core_subprogs),
};

WD_TEST_SET(core_libbpf_set, "core", core_libbpf_tests);
