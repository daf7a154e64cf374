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
 * A name vmlinux lacks is looked up in the loaded modules' BTF
 * (kmod_btf.c): a typed variable then carries the module's BTF fd, a kfunc
 * call its fd_array slot.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"
#include "internal.h"
#include "host/probe.h"
#include "kmod_btf.h"

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

/* `name` in vmlinux, else in a module: *btf and *id where it is, *btf_fd
 * and *fd_idx 0 for vmlinux.  0, or -ENOENT with *id 0. */
static int kernel_sym(const char *name, int kind, const struct wd_btf **btf, uint32_t *id,
		      int *btf_fd, int *fd_idx)
{
	struct wd_kmod_sym ms;
	int found;
	*btf = kernel_btf();
	*id = *btf ? wd_btf_find(*btf, name, kind) : 0;
	*btf_fd = *fd_idx = 0;
	if (*id)
		return 0;
	if (!*btf || (found = wd_kmod_find(name, kind, &ms)) <= 0)
		return -ENOENT;
	wd_debug("%s '%s' is in module %s (BTF id %u)", kind == BTF_KIND_FUNC ? "kfunc" : "ksym",
		 name, ms.module, ms.id);
	*btf = ms.btf;
	*id = ms.id;
	*btf_fd = ms.btf_fd;
	*fd_idx = ms.fd_idx;
	return 0;
}

static int ksym_typed(const struct wd_btf *local, const struct wd_extern *e, struct bpf_insn *insn,
		      const char *prog)
{
	const struct wd_btf *k;
	uint32_t id;
	int btf_fd, fd_idx, compat;
	kernel_sym(e->name, BTF_KIND_VAR, &k, &id, &btf_fd, &fd_idx);
	if (!id) {
		if (e->weak) {
			insn[0].src_reg = 0;
			insn[0].imm = insn[1].imm = 0;
			return 0;
		}
		return wd_err(-ENOENT, "program '%s': typed __ksym '%s' %s", prog, e->name,
			      k ? "is not a variable in the kernel BTF (vmlinux or a loaded module)" :
			      "needs kernel BTF, and this kernel has none (/sys/kernel/btf/vmlinux)");
	}
	compat = wd_core_types_compat(local, e->type_id, k, wd_btf_type(k, id)->type, 32);
	if (compat <= 0)
		return wd_err(-EINVAL, "program '%s': __ksym '%s': its type '%s' does not match the "
			      "kernel's '%s'", prog, e->name, wd_btf_name(local, e->type_id),
			      wd_btf_name(k, wd_btf_type(k, id)->type));
	insn[0].src_reg = BPF_PSEUDO_BTF_ID;
	insn[0].imm = id;
	insn[1].imm = btf_fd; /* BTF object fd: 0 is vmlinux */
	return 0;
}

static int ksym_func(const struct wd_btf *local, const struct wd_extern *e, struct bpf_insn *insn,
		     const char *prog)
{
	const struct wd_btf *k;
	uint32_t id, lproto = wd_btf_type(local, e->btf_id)->type;
	int btf_fd, fd_idx;
	kernel_sym(e->name, BTF_KIND_FUNC, &k, &id, &btf_fd, &fd_idx);
	if (!id) {
		if (!e->weak)
			return wd_err(-ENOENT, "program '%s': kfunc '%s' %s", prog, e->name,
				      k ? "is neither in the kernel BTF nor in a loaded module's "
				      "(missing, or its module is not loaded)" :
				      "needs kernel BTF, and this kernel has none");
		id = 0; /* weak: a call the verifier drops when it is unreachable */
	} else if (wd_core_types_compat(local, lproto, k, wd_btf_type(k, id)->type, 32) <= 0) {
		return wd_err(-EINVAL, "program '%s': kfunc '%s': its prototype does not match the "
			      "kernel's", prog, e->name);
	}
	if (!insn_is_ld_imm64(insn)) {
		insn->src_reg = BPF_PSEUDO_KFUNC_CALL;
		insn->imm = id;
		insn->off = fd_idx; /* fd_array slot of the module's BTF; 0: vmlinux */
		return 0;
	}
	/* &kfunc, e.g. bpf_ksym_exists(): its BTF id, or 0 when missing */
	insn[0].src_reg = id ? BPF_PSEUDO_BTF_ID : 0;
	insn[0].imm = id;
	insn[1].imm = btf_fd;
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
