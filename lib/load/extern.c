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
#include <unistd.h>
#include "internal.h"
#include "host/kconfig.h"
#include "warden/features.h"

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

/* libbpf (FEAT_SYSCALL_WRAPPER) answers by opening a kprobe on
 * __x64_sys_bpf: where the kernel has no kprobes (CONFIG_KPROBES=n) it says 0
 * although x86-64 has had the wrappers since 4.17.  BPF_KSYSCALL programs
 * are kprobes, so the answer matters only where kprobes work; answer as
 * libbpf does: kprobes (PMU or kprobe_events) and the wrapper in kernel BTF. */
static bool has_kprobes(void)
{
	return access("/sys/bus/event_source/devices/kprobe/type", F_OK) == 0 ||
	       access("/sys/kernel/tracing/kprobe_events", F_OK) == 0 ||
	       access("/sys/kernel/debug/tracing/kprobe_events", F_OK) == 0;
}

static bool has_syscall_wrapper(void)
{
	const struct wd_btf *v = wd_btf_vmlinux();
	return has_kprobes() && v && wd_btf_find(v, "__x64_sys_bpf", BTF_KIND_FUNC);
}

/*
 * libbpf 1.x's virtual externs (bpf_object__resolve_externs, src/libbpf.c):
 * values of the running kernel, not of its config.  1 and the value when
 * `name` is one, 0 when it is not a LINUX_ name, -EINVAL for an unknown one.
 */
static int virtual_extern(const char *name, uint64_t *val)
{
	if (strncmp(name, "LINUX_", 6))
		return 0;
	if (!strcmp(name, "LINUX_KERNEL_VERSION"))
		*val = wd_kernel_version_code();
	else if (!strcmp(name, "LINUX_HAS_SYSCALL_WRAPPER"))
		*val = has_syscall_wrapper();
	else if (!strcmp(name, "LINUX_HAS_BPF_COOKIE"))
		/* as libbpf's FEAT_BPF_COOKIE: bpf_get_attach_cookie() in a
		 * tracepoint program (5.15) */
		*val = wd_probe_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_get_attach_cookie) == 1;
	else
		return -EINVAL;
	return 1;
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
		uint64_t v = 0;
		int virt = virtual_extern(e->name, &v);
		if (virt < 0 && e->weak) {
			/* libbpf: an unknown LINUX_ extern that is __weak reads as 0 */
			wd_debug("kconfig extern '%s': unknown virtual extern, __weak: 0", e->name);
			continue;
		}
		if (virt < 0) {
			err = wd_err(-EINVAL, "kconfig extern '%s': unknown LINUX_ name (known: "
				     "LINUX_KERNEL_VERSION, LINUX_HAS_SYSCALL_WRAPPER, "
				     "LINUX_HAS_BPF_COOKIE, as libbpf 1.x)", e->name);
			break;
		}
		if (virt) {
			if (set_int(dst, e->size, v))
				err = wd_err(-EINVAL, "kconfig extern '%s': %u bytes is no integer size",
					     e->name, e->size);
			continue;
		}
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
