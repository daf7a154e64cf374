// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `__ksym` externs, resolved against the running kernel:
 *   typed variables (extern const struct rq runqueues __ksym): the kernel
 *     BTF id of the VAR -> ld_imm64 with src_reg BPF_PSEUDO_BTF_ID (5.10);
 *   untyped (extern const void sym __ksym): the address from /proc/kallsyms
 *     as a plain 64-bit constant;
 *   kfunc calls (extern void bpf_rcu_read_lock(void) __ksym): the kernel
 *     BTF id of the FUNC -> call with src_reg BPF_PSEUDO_KFUNC_CALL (5.13);
 *   __weak and missing: 0 (variables), a kfunc call with id 0 that the
 *     verifier removes as dead code when guarded.
 * Only vmlinux symbols: module ksyms need a BTF object fd (typed) or an
 * fd_array slot (kfuncs), which the program load does not pass yet.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"
#include "internal.h"
#include "host/probe.h"

/* Address of `name` in /proc/kallsyms (vmlinux symbols), 0 when absent. */
static int kallsyms_addr(const char *name, uint64_t *addr, bool *zeroed)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[512], sym[256], type;
	uint64_t a;
	*addr = 0;
	*zeroed = false;
	if (!f)
		return wd_err(-errno, "cannot read /proc/kallsyms: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNx64 " %c %255s", &a, &type, sym) != 3 || strcmp(sym, name))
			continue;
		if (strchr(line, '[')) /* "[module]": not vmlinux */
			continue;
		*addr = a;
		*zeroed = a == 0;
		break;
	}
	fclose(f);
	return 0;
}

static const struct wd_btf *kernel_btf(void)
{
	return wd_probe_kern_btf() == 1 ? wd_btf_vmlinux() : NULL;
}

static int ksym_untyped(const struct wd_extern *e, struct bpf_insn *insn, const char *prog)
{
	uint64_t addr;
	bool zeroed;
	int err = kallsyms_addr(e->name, &addr, &zeroed);
	if (err)
		return err;
	if (zeroed)
		return wd_err(-EPERM, "program '%s': /proc/kallsyms shows '%s' at address 0 "
			      "(kptr_restrict: run as root)", prog, e->name);
	if (!addr && !e->weak)
		return wd_err(-ENOENT, "program '%s': kernel symbol '%s' not found in /proc/kallsyms "
			      "(mark it __weak to read it as 0)", prog, e->name);
	insn[0].imm = (uint32_t)addr;
	insn[1].imm = addr >> 32;
	return 0;
}

static int ksym_typed(const struct wd_btf *local, const struct wd_extern *e, struct bpf_insn *insn,
		      const char *prog)
{
	const struct wd_btf *k = kernel_btf();
	uint32_t id = k ? wd_btf_find(k, e->name, BTF_KIND_VAR) : 0;
	int compat;
	if (!id) {
		if (e->weak) {
			insn[0].src_reg = 0;
			insn[0].imm = insn[1].imm = 0;
			return 0;
		}
		return wd_err(-ENOENT, "program '%s': typed __ksym '%s' %s", prog, e->name,
			      k ? "is not a variable in the kernel BTF" :
			      "needs kernel BTF, and this kernel has none (/sys/kernel/btf/vmlinux)");
	}
	compat = wd_core_types_compat(local, e->type_id, k, wd_btf_type(k, id)->type, 32);
	if (compat <= 0)
		return wd_err(-EINVAL, "program '%s': __ksym '%s': its type '%s' does not match the "
			      "kernel's '%s'", prog, e->name, wd_btf_name(local, e->type_id),
			      wd_btf_name(k, wd_btf_type(k, id)->type));
	insn[0].src_reg = BPF_PSEUDO_BTF_ID;
	insn[0].imm = id;
	insn[1].imm = 0; /* BTF object fd: 0 is vmlinux */
	return 0;
}

static int ksym_func(const struct wd_btf *local, const struct wd_extern *e, struct bpf_insn *insn,
		     const char *prog)
{
	const struct wd_btf *k = kernel_btf();
	uint32_t id = k ? wd_btf_find(k, e->name, BTF_KIND_FUNC) : 0;
	uint32_t lproto = wd_btf_type(local, e->btf_id)->type;
	if (!id) {
		if (!e->weak)
			return wd_err(-ENOENT, "program '%s': kfunc '%s' %s", prog, e->name,
				      k ? "is not in the kernel BTF (missing, or in a module: not "
				      "supported yet)" : "needs kernel BTF, and this kernel has none");
		id = 0; /* weak: a call the verifier drops when it is unreachable */
	} else if (wd_core_types_compat(local, lproto, k, wd_btf_type(k, id)->type, 32) <= 0) {
		return wd_err(-EINVAL, "program '%s': kfunc '%s': its prototype does not match the "
			      "kernel's", prog, e->name);
	}
	if (!insn_is_ld_imm64(insn)) {
		insn->src_reg = BPF_PSEUDO_KFUNC_CALL;
		insn->imm = id;
		insn->off = 0;
		return 0;
	}
	/* &kfunc, e.g. bpf_ksym_exists(): its BTF id, or 0 when missing */
	insn[0].src_reg = id ? BPF_PSEUDO_BTF_ID : 0;
	insn[0].imm = id;
	insn[1].imm = 0;
	return 0;
}

int wd_ksym_resolve(struct wd_object *obj, const struct wd_extern *e, struct bpf_insn *insn,
		    const char *prog)
{
	const struct wd_btf *local = obj->spec->btf;
	if (e->is_func)
		return ksym_func(local, e, insn, prog);
	if (!insn_is_ld_imm64(insn))
		return wd_err(-EINVAL, "program '%s': __ksym '%s' used by a non-64-bit load", prog, e->name);
	if (!e->type_id || btf_kind_of(wd_btf_type(local, e->type_id)) == BTF_KIND_UNKN)
		return ksym_untyped(e, insn, prog);
	return ksym_typed(local, e, insn, prog);
}
