// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Values of `extern ... __kconfig` variables, written into the .kconfig map
 * image before it is created.  Types follow libbpf: bool and tristate
 * (enum libbpf_tristate: no=0, yes=1, module=2), char arrays for strings,
 * integers for numbers.  A missing CONFIG_ is an error unless the extern is
 * __weak (then it reads as zero).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include "internal.h"
#include "host/kconfig.h"

static int set_int(void *dst, uint32_t size, uint64_t v)
{
	switch (size) {
	case 1: *(uint8_t *)dst = v; return 0;
	case 2: *(uint16_t *)dst = v; return 0;
	case 4: *(uint32_t *)dst = v; return 0;
	case 8: *(uint64_t *)dst = v; return 0;
	}
	return -EINVAL;
}

static int set_value(const struct wd_spec *s, const struct wd_extern *e, void *dst, const char *val)
{
	const struct btf_type *t = wd_btf_type(s->btf, e->type_id);
	int kind = btf_kind_of(t);
	if (kind == BTF_KIND_ARRAY) {
		/* char arrays take the quoted string */
		size_t n = strlen(val);
		if (n < 2 || val[0] != '"' || val[n - 1] != '"')
			return -EINVAL;
		n -= 2;
		if (n >= e->size)
			n = e->size - 1;
		memcpy(dst, val + 1, n);
		return 0;
	}
	if (!strcmp(val, "y") || !strcmp(val, "m")) {
		bool tristate = kind == BTF_KIND_ENUM;
		return set_int(dst, e->size, tristate && val[0] == 'm' ? 2 : 1);
	}
	if (val[0] == '"')
		return -EINVAL;
	char *end;
	uint64_t v = strtoull(val, &end, 0);
	if (*end)
		return -EINVAL;
	return set_int(dst, e->size, v);
}

static bool has_syscall_wrapper(void)
{
	/* x86-64 since 4.17: syscalls go through __x64_sys_* wrappers */
	const struct wd_btf *v = wd_btf_vmlinux();
	return v && wd_btf_find(v, "__x64_sys_close", BTF_KIND_FUNC);
}

int wd_externs_resolve(struct wd_object *obj)
{
	struct wd_spec *s = obj->spec;
	struct wd_kconfig *kc = NULL;
	struct wd_map *m;
	int err = 0;
	if (s->kconfig_map < 0)
		return 0;
	m = &obj->maps[s->kconfig_map];
	memset(m->data, 0, m->spec->data_size);
	for (size_t i = 0; i < s->nr_externs && !err; i++) {
		const struct wd_extern *e = &s->externs[i];
		void *dst = (char *)m->data + e->offset;
		const char *val;
		if (e->kind != WD_EXT_KCONFIG)
			continue;
		if (!strcmp(e->name, "LINUX_KERNEL_VERSION")) {
			err = set_int(dst, e->size, wd_kernel_version_code());
			continue;
		}
		if (!strcmp(e->name, "LINUX_HAS_SYSCALL_WRAPPER")) {
			err = set_int(dst, e->size, has_syscall_wrapper());
			continue;
		}
		if (strncmp(e->name, "CONFIG_", 7))
			return wd_err(-EINVAL, "kconfig extern '%s': unknown name (CONFIG_* or "
				      "LINUX_KERNEL_VERSION expected)", e->name);
		if (!kc && !(kc = wd_kconfig_load(obj->kconfig_path))) {
			if (e->weak)
				continue;
			return wd_err(-ENOENT, "kconfig extern '%s': no kernel config found "
				      "(/proc/config.gz, /boot/config-*): mark it __weak or pass one",
				      e->name);
		}
		val = wd_kconfig_get(kc, e->name);
		if (!val) {
			if (!e->weak)
				err = wd_err(-ENOENT, "kconfig extern '%s' is not set in %s; mark it __weak "
					     "to read it as 0", e->name, wd_kconfig_path(kc));
			continue;
		}
		if (set_value(s, e, dst, val))
			err = wd_err(-EINVAL, "kconfig extern '%s': value '%s' does not fit its type",
				     e->name, val);
	}
	wd_kconfig_free(kc);
	return err;
}
