// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Module BTF (group "core"): __ksym variables and kfuncs that vmlinux lacks
 * are looked up in the loaded modules' BTF (lib/load/kmod_btf.c).
 *
 *  - every module with BTF (/sys/kernel/btf/<module>): a type of its own,
 *    taken from the sysfs file, is found by the search, with the module's
 *    name and the same id;
 *  - tests/bpf/kmod_kfunc.bpf.c calls nf_conntrack's kfuncs: it loads
 *    wherever the kernel has them, and where nf_conntrack is a module
 *    (the Debian guests load it) the calls go through the fd_array.
 *
 * This host has no modules (CONFIG_MODULES off): the module cases skip and
 * say so; the kfunc case loads from vmlinux (nf_conntrack built in).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "load/kmod_btf.h"
#include "warden/btf.h"
#include "warden/warden.h"

/* The first module listed in /sys/kernel/btf (anything but vmlinux), or "". */
static void first_module(char *name, size_t size, int nth)
{
	DIR *d = opendir("/sys/kernel/btf");
	struct dirent *e;
	name[0] = '\0';
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && strcmp(e->d_name, "vmlinux") && nth-- == 0) {
			snprintf(name, size, "%s", e->d_name);
			break;
		}
	if (d)
		closedir(d);
}

/* A named STRUCT or FUNC of the module itself (not of vmlinux): id, kind. */
static const char *own_type(const struct wd_btf *mod, uint32_t *id, int *kind)
{
	for (uint32_t i = wd_btf_start_id(mod); i < wd_btf_type_cnt(mod); i++) {
		int k = btf_kind_of(wd_btf_type(mod, i));
		const char *n = wd_btf_name(mod, i);
		if ((k == BTF_KIND_STRUCT || k == BTF_KIND_FUNC) && n && *n &&
		    !wd_btf_find(wd_btf_vmlinux(), n, k)) {
			*id = i;
			*kind = k;
			return n;
		}
	}
	return NULL;
}

static void kmod_search_finds_module_types(void **state)
{
	(void)state;
	char mod[64], path[128];
	int checked = 0;
	if (!wd_btf_vmlinux())
		WD_SKIP("no kernel BTF here (/sys/kernel/btf/vmlinux)");
	first_module(mod, sizeof(mod), 0);
	if (!mod[0])
		WD_SKIP("no module BTF on this kernel: /sys/kernel/btf holds only vmlinux "
			"(no module loaded, CONFIG_MODULES or CONFIG_DEBUG_INFO_BTF_MODULES off; "
			"the 6.1 and 6.12 guests have it)");
	for (int nth = 0; nth < 8 && mod[0]; first_module(mod, sizeof(mod), ++nth)) {
		struct wd_kmod_sym sym;
		uint32_t id = 0;
		int kind = 0;
		snprintf(path, sizeof(path), "/sys/kernel/btf/%s", mod);
		struct wd_btf *btf = wd_btf_load_file(path, wd_btf_vmlinux());
		if (!btf)
			fail_msg("%s: %s", path, wd_errmsg());
		const char *name = own_type(btf, &id, &kind);
		if (!name) {
			wd_btf_free(btf);
			continue;
		}
		int found = wd_kmod_find(name, kind, &sym);
		if (found != 1)
			fail_msg("module %s: '%s' (BTF id %u) not found by the module search (%d: %s)",
				 mod, name, id, found, wd_errmsg());
		/* the first module defining that name wins: the same name in two
		 * modules is possible, the id is then the other module's */
		if (!strcmp(sym.module, mod))
			assert_int_equal(sym.id, id);
		assert_true(sym.btf_fd > 0);
		assert_int_equal(sym.fd_idx == 0, kind != BTF_KIND_FUNC);
		printf("module %s: %s '%s' id %u found\n", mod, kind == BTF_KIND_FUNC ? "func" : "struct",
		       name, sym.id);
		checked++;
		wd_btf_free(btf);
	}
	assert_true(checked > 0);
	/* a name nowhere */
	struct wd_kmod_sym none;
	assert_int_equal(wd_kmod_find("wd_no_such_kfunc_anywhere", BTF_KIND_FUNC, &none), 0);
}

static void kmod_kfunc_program_loads(void **state)
{
	(void)state;
	struct wd_object *obj = wd_object_open(wd_test_obj("kmod_kfunc.o"), NULL);
	bool module = access("/sys/kernel/btf/nf_conntrack", F_OK) == 0;
	int err;
	assert_non_null(obj);
	err = wd_object_load(obj, NULL);
	if (err && strstr(wd_errmsg(), "is neither in the kernel BTF nor in a loaded module")) {
		char why[512];
		snprintf(why, sizeof(why), "%s", wd_errmsg());
		wd_object_close(obj);
		WD_SKIP("nf_conntrack's kfuncs are not on this kernel (6.0+, module not loaded?): %s",
			why);
	}
	if (err && !module && !wd_btf_vmlinux()) {
		wd_object_close(obj);
		WD_SKIP("kfuncs need kernel BTF");
	}
	if (err)
		fail_msg("load kmod_kfunc.o (nf_conntrack %s): %s", module ? "a module" : "built in",
			 wd_errmsg());
	/* from a module, the calls named its BTF through the fd_array */
	if (module)
		assert_non_null(wd_kmod_fd_array());
	printf("kmod_kfunc: bpf_xdp_ct_lookup from %s\n", module ? "module nf_conntrack" : "vmlinux");
	wd_object_close(obj);
}

static const struct CMUnitTest kmod_tests[] = {
	cmocka_unit_test(kmod_search_finds_module_types),
	cmocka_unit_test(kmod_kfunc_program_loads),
};
WD_TEST_SET(wd_tests_kmod_btf, "core", kmod_tests);
