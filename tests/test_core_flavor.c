// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CO-RE with a kernel type whose own name carries a flavor (group "core"):
 * struct nf_conn___init next to struct nf_conn in the running kernel's BTF
 * (tests/bpf/core_flavor.bpf.c).  Candidates are chosen by essential name as
 * libbpf does, so both kernel types answer for "nf_conn___init"; where they
 * disagree (the type id) warden takes the type named exactly as the local
 * one, where libbpf stops with "relocation decision ambiguity" (for
 * nf_conn___init and for nf_conn alike).  The
 * synthetic cases are in tests/test_core.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/btf.h>
#include "harness.h"
#include "warden/bpf.h"
#include "warden/btf.h"
#include "warden/warden.h"

struct flavor_res {
	uint64_t init_exists, init_size, init_id;
	uint64_t conn_id, ct_off;
};

static void run_and_read(struct wd_object *obj, struct flavor_res *r)
{
	struct wd_map *bss = wd_object_map(obj, ".bss");
	uint32_t zero = 0, retval = 0;
	char *buf;
	assert_int_equal(wd_sys_prog_test_run(wd_prog_fd(wd_object_prog(obj, "run_flavor")),
					      NULL, 0, NULL, NULL, NULL, 0, 0, &retval, NULL), 0);
	assert_non_null(bss);
	assert_true(wd_map_value_size(bss) >= sizeof(*r));
	buf = calloc(1, wd_map_value_size(bss));
	assert_non_null(buf);
	assert_int_equal(wd_map_lookup(bss, &zero, buf), 0);
	memcpy(r, buf, sizeof(*r));
	free(buf);
}

static void kernel_flavored_type_resolves_to_itself(void **state)
{
	(void)state;
	const struct wd_btf *k = wd_btf_vmlinux();
	struct flavor_res r;
	struct wd_object *obj;
	uint32_t init_id, conn_id;
	if (!k)
		WD_SKIP("no kernel BTF (/sys/kernel/btf/vmlinux)");
	init_id = wd_btf_find(k, "nf_conn___init", BTF_KIND_STRUCT);
	conn_id = wd_btf_find(k, "nf_conn", BTF_KIND_STRUCT);
	if (!init_id || !conn_id)
		WD_SKIP("this kernel's vmlinux BTF has no struct nf_conn___init and nf_conn "
			"(nf_conntrack is a module here, or the kernel predates 6.1)");
	obj = wd_object_open(wd_test_obj("core_flavor.o"), NULL);
	assert_non_null(obj);
	if (wd_object_load(obj, NULL))
		fail_msg("load core_flavor.o: %s", wd_errmsg());
	run_and_read(obj, &r);
	assert_int_equal(r.init_exists, 1);
	assert_int_equal(r.init_size, wd_btf_size(k, init_id));
	assert_int_equal(r.init_id, init_id);
	assert_int_equal(r.conn_id, conn_id);
	assert_int_equal(r.ct_off, 0);
	assert_int_not_equal(r.init_id, r.conn_id);
	wd_object_close(obj);
}

static const struct CMUnitTest core_flavor_tests[] = {
	cmocka_unit_test(kernel_flavored_type_resolves_to_itself),
};

WD_TEST_SET(core_flavor_set, "core", core_flavor_tests);
