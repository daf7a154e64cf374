/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* CO-RE on the kernel side: target BTF (vmlinux and modules), resolution and
 * instruction patching.  The pure matching is spec/core_spec.h. */
#ifndef WARDEN_LOAD_CORE_H
#define WARDEN_LOAD_CORE_H

#include "spec/core_spec.h"

/* The types of one target BTF whose own name carries a ___flavor
 * ("nf_conn___init"): found by essential name, which the name index cannot. */
struct wd_core_flavored {
	const struct wd_btf *btf;
	uint32_t *ids;
	size_t n;
};

struct wd_core_targets {
	const struct wd_btf *base;
	struct wd_btf *owned;         /* base when loaded from a file */
	bool modules;                 /* look in /sys/kernel/btf/<module> too */
	bool mods_loaded;
	struct wd_btf **mods;
	char **mod_names;
	size_t nr_mods;
	struct wd_core_flavored *flavored;  /* built on first search of each BTF */
	size_t nr_flavored;
};

int wd_core_targets_init(struct wd_core_targets *t, const char *btf_path);
void wd_core_targets_free(struct wd_core_targets *t);
/* Resolve one relocation; desc gets "<kind> of <path>" for messages. */
int wd_core_resolve(const struct wd_btf *local, const struct bpf_core_relo *relo,
		    struct wd_core_targets *t, struct wd_core_res *res,
		    char *desc, size_t desc_size);
/* Patch insns[idx] (of cnt) with a resolved relocation: 0, 1 when the
 * instruction was poisoned, or a negative errno. */
int wd_core_patch(struct bpf_insn *insns, size_t cnt, uint32_t idx,
		  const struct wd_core_res *res);

struct wd_object;
struct wd_prog;
/* When insn of the loaded/assembled program p is a poisoned CO-RE
 * instruction, write which relocation it was into buf and return true.
 * For prog_load.c's report_failure(): the verifier's "invalid func
 * unknown#195896080" becomes the relocation, its field path and program. */
bool wd_core_explain(const struct wd_prog *p, int insn, char *buf, size_t size);
/* ksym.c: resolve a __ksym extern (variable or kfunc) at insn (reloc.c). */
struct wd_extern;
int wd_ksym_resolve(struct wd_object *obj, const struct wd_extern *e, struct bpf_insn *insn,
		    const char *prog);
/* Forget the poisoned-instruction records of obj (object unload/close). */
void wd_core_release(struct wd_object *obj);

#endif
