// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* BTF sanitizing for older kernels, and loading without BTF. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "warden/warden.h"
#include "warden/testing.h"
#include "spec/btf.h"
#include "sys/sys.h"

/* A hand-made BTF blob: int, float, enum64, a global func, a var in a datasec,
 * a decl_tag and a type_tag: every kind an old kernel may refuse. */
struct blob { uint8_t buf[1024]; size_t types, strs; };

static void put(struct blob *b, const void *p, size_t n)
{
	memcpy(b->buf + sizeof(struct btf_header) + b->types, p, n);
	b->types += n;
}

static size_t build_blob(struct blob *b)
{
	static const char strs[] = "\0int\0f\0e\0A\0fn\0v\0.data\0tag\0ttag";
	/* offsets: int=1 f=5 e=7 A=9 fn=11 v=14 .data=16 tag=22 ttag=26 */
	uint32_t t[4];
	memset(b, 0, sizeof(*b));
	/* [1] int */
	t[0] = 1; t[1] = BTF_INFO_ENC(BTF_KIND_INT, 0, 0); t[2] = 4; t[3] = BTF_INT_ENC(1, 0, 32);
	put(b, t, 16);
	/* [2] float */
	t[0] = 5; t[1] = BTF_INFO_ENC(BTF_KIND_FLOAT, 0, 0); t[2] = 8;
	put(b, t, 12);
	/* [3] enum64 with one value */
	uint32_t e64[6] = { 7, BTF_INFO_ENC(BTF_KIND_ENUM64, 0, 1), 8, 9, 5, 1 };
	put(b, e64, 24);
	/* [4] func_proto int(void)  [5] global func fn */
	t[0] = 0; t[1] = BTF_INFO_ENC(BTF_KIND_FUNC_PROTO, 0, 0); t[2] = 1;
	put(b, t, 12);
	t[0] = 11; t[1] = BTF_INFO_ENC(BTF_KIND_FUNC, 0, BTF_FUNC_GLOBAL); t[2] = 4;
	put(b, t, 12);
	/* [6] var v: int  [7] datasec .data { v } */
	uint32_t var[4] = { 14, BTF_INFO_ENC(BTF_KIND_VAR, 0, 0), 1, BTF_VAR_GLOBAL_ALLOCATED };
	put(b, var, 16);
	uint32_t sec[6] = { 16, BTF_INFO_ENC(BTF_KIND_DATASEC, 0, 1), 4, 6, 0, 4 };
	put(b, sec, 24);
	/* [8] decl_tag "tag" on v  [9] type_tag "ttag" -> int */
	uint32_t dt[4] = { 22, BTF_INFO_ENC(BTF_KIND_DECL_TAG, 0, 0), 6, (uint32_t)-1 };
	put(b, dt, 16);
	t[0] = 26; t[1] = BTF_INFO_ENC(BTF_KIND_TYPE_TAG, 0, 0); t[2] = 1;
	put(b, t, 12);
	struct btf_header *h = (struct btf_header *)b->buf;
	h->magic = BTF_MAGIC;
	h->version = BTF_VERSION;
	h->hdr_len = sizeof(*h);
	h->type_off = 0;
	h->type_len = b->types;
	h->str_off = b->types;
	h->str_len = sizeof(strs);
	memcpy(b->buf + sizeof(*h) + b->types, strs, sizeof(strs));
	return sizeof(*h) + b->types + sizeof(strs);
}

static void sanitize_rewrites_every_new_kind_and_keeps_ids(void **state)
{
	(void)state;
	struct blob b;
	size_t size = build_blob(&b), out_size;
	struct wd_btf *btf = wd_btf_parse(b.buf, size, NULL);
	assert_non_null(btf);
	assert_int_equal(wd_btf_type_cnt(btf), 10);
	assert_int_equal(wd_btf_find(btf, "fn", BTF_KIND_FUNC), 5);
	assert_int_equal(wd_btf_size(btf, 7), 4);
	struct wd_btf_support none = { .func = true };
	void *raw = wd_btf_sanitized(btf, &none, &out_size);
	struct wd_btf *s = wd_btf_parse(raw, out_size, NULL);
	assert_non_null(s);
	assert_int_equal(wd_btf_type_cnt(s), 10);
	assert_int_equal(btf_kind_of(wd_btf_type(s, 2)), BTF_KIND_STRUCT);  /* float */
	assert_int_equal(wd_btf_type(s, 2)->size, 8);
	assert_int_equal(btf_kind_of(wd_btf_type(s, 3)), BTF_KIND_ENUM);    /* enum64 */
	assert_int_equal(btf_vlen_of(wd_btf_type(s, 5)), BTF_FUNC_STATIC);  /* global func */
	assert_int_equal(btf_kind_of(wd_btf_type(s, 6)), BTF_KIND_INT);     /* var */
	assert_int_equal(btf_kind_of(wd_btf_type(s, 7)), BTF_KIND_STRUCT);  /* datasec */
	assert_int_equal(btf_kind_of(wd_btf_type(s, 8)), BTF_KIND_INT);     /* decl_tag */
	assert_int_equal(btf_kind_of(wd_btf_type(s, 9)), BTF_KIND_CONST);   /* type_tag */
	/* with full support the blob is unchanged */
	struct wd_btf_support all = { true, true, true, true, true, true, true };
	size_t same_size;
	void *same = wd_btf_sanitized(btf, &all, &same_size);
	assert_int_equal(same_size, size);
	assert_memory_equal(same, b.buf, size);
	free(same);
	/* what the loader sends, sanitized for the kinds this kernel's probes
	 * accept, loads; the original loads only where every kind is known */
	if (wd_test_emulating()) {
		printf("note: emulating a kernel without BTF: kernel acceptance not checked\n");
		goto out;
	}
	struct wd_btf_support probed = {
		.func = wd_probe_btf_kind(BTF_KIND_FUNC) == 1,
		.func_global = wd_probe_btf_kind(WD_BTF_FUNC_GLOBAL) == 1,
		.datasec = wd_probe_btf_kind(BTF_KIND_DATASEC) == 1,
		.float_ = wd_probe_btf_kind(BTF_KIND_FLOAT) == 1,
		.decl_tag = wd_probe_btf_kind(BTF_KIND_DECL_TAG) == 1,
		.type_tag = wd_probe_btf_kind(BTF_KIND_TYPE_TAG) == 1,
		.enum64 = wd_probe_btf_kind(BTF_KIND_ENUM64) == 1,
	};
	size_t fit_size;
	void *fit = wd_btf_sanitized(btf, &probed, &fit_size);
	int fd = wd_sys_btf_load(fit, fit_size, NULL, 0, 0);
	free(fit);
	assert_true(fd >= 0);
	close(fd);
	fd = wd_sys_btf_load(b.buf, size, NULL, 0, 0);
	bool knows_all = probed.func_global && probed.datasec && probed.float_ && probed.decl_tag &&
			 probed.type_tag && probed.enum64;
	assert_int_equal(fd >= 0, knows_all);
	if (fd >= 0)
		close(fd);
	fd = wd_sys_btf_load(raw, out_size, NULL, 0, 0);
	assert_true(fd >= 0); /* the fully rewritten blob: any BTF kernel with FUNC */
	close(fd);
out:
	free(raw);
	wd_btf_free(s);
	wd_btf_free(btf);
}

static void malformed_btf_gives_errors_not_crashes(void **state)
{
	(void)state;
	struct blob b;
	size_t size = build_blob(&b);
	struct btf_header *h = (struct btf_header *)b.buf;
	/* every truncation */
	for (size_t n = 0; n < size; n++)
		assert_null(wd_btf_parse(b.buf, n, NULL));
	/* a type referring past the last id */
	build_blob(&b);
	((uint32_t *)(b.buf + sizeof(*h) + 16 + 12 + 24))[2] = 999; /* func_proto ret type */
	assert_null(wd_btf_parse(b.buf, size, NULL));
	assert_non_null(strstr(wd_errmsg(), "out of range"));
	/* a name offset past the strings */
	build_blob(&b);
	((uint32_t *)(b.buf + sizeof(*h)))[0] = 5000;
	assert_null(wd_btf_parse(b.buf, size, NULL));
	assert_non_null(strstr(wd_errmsg(), "string"));
	/* an unknown kind */
	build_blob(&b);
	((uint32_t *)(b.buf + sizeof(*h)))[1] = BTF_INFO_ENC(31, 0, 0);
	assert_null(wd_btf_parse(b.buf, size, NULL));
	assert_non_null(strstr(wd_errmsg(), "unknown kind"));
	/* a typedef loop: size and modifier walks stop */
	build_blob(&b);
	uint32_t loop[3] = { 0, BTF_INFO_ENC(BTF_KIND_TYPEDEF, 0, 0), 9 };
	memcpy(b.buf + sizeof(*h) + b.types - 12, loop, 12); /* [9] typedef -> [9] */
	struct wd_btf *btf = wd_btf_parse(b.buf, size, NULL);
	assert_non_null(btf);
	assert_true(wd_btf_size(btf, 9) < 0);
	assert_int_equal(wd_btf_skip_mods(btf, 9, true), 0);
	wd_btf_free(btf);
	/* header lies about lengths */
	build_blob(&b);
	h->str_len = 100000;
	assert_null(wd_btf_parse(b.buf, size, NULL));
}

static void kernel_btf_is_parsed_and_indexed(void **state)
{
	(void)state;
	const struct wd_btf *v = wd_btf_vmlinux();
	if (!v)
		WD_SKIP("this kernel has no /sys/kernel/btf/vmlinux");
	uint32_t id = wd_btf_find(v, "task_struct", BTF_KIND_STRUCT);
	assert_true(id > 0);
	assert_true(wd_btf_size(v, id) > 1000);
	assert_true(wd_btf_find(v, "bpf_prog_load", BTF_KIND_FUNC) > 0);
	assert_int_equal(wd_btf_find(v, "warden_no_such_type", 0), 0);
}

static void object_loads_without_btf_when_kernel_refuses_it(void **state)
{
	(void)state;
	assert_int_equal(wd_emulate("no-btf"), 0);
	struct wd_object *obj = wd_object_open(wd_test_obj("globals.o"), NULL);
	assert_non_null(obj);
	assert_int_equal(wd_object_load(obj, NULL), 0);
	char pkt[64] = { 0 };
	uint32_t ret = 0;
	assert_int_equal(wd_prog_test_run(wd_object_prog(obj, "run_globals"), pkt, sizeof(pkt), &ret, NULL), 0);
	assert_int_equal(ret, XDP_PASS);
	wd_object_close(obj);
}

static const struct CMUnitTest btf_tests[] = {
	cmocka_unit_test(sanitize_rewrites_every_new_kind_and_keeps_ids),
	cmocka_unit_test(malformed_btf_gives_errors_not_crashes),
	cmocka_unit_test(kernel_btf_is_parsed_and_indexed),
	cmocka_unit_test_teardown(object_loads_without_btf_when_kernel_refuses_it, wd_test_restore_emulation),
};
WD_TEST_SET(wd_tests_btf_sanitize, "loader", btf_tests);
