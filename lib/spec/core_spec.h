/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * CO-RE internals: resolve one bpf_core_relo of a local (object) BTF against
 * a set of target BTFs (kernel + modules, or a file), and patch the
 * instruction.  The algorithm follows the one clang's relocations were
 * designed for (libbpf's relo_core.c): access strings "0:1:2" name a root
 * type and a path of member/array indices; a target candidate is a type of
 * the same kind whose name equals the local name without its "___flavor"
 * suffix; it matches when the same path exists in it with compatible types.
 */
#ifndef WARDEN_SPEC_CORE_SPEC_H
#define WARDEN_SPEC_CORE_SPEC_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "btf.h"

#define WD_CORE_SPEC_MAX 64
#define WD_CORE_POISON_IMM 195896080 /* 0xbad2310: "bad relo", an invalid helper id */

struct wd_core_acc {
	uint32_t type_id;       /* struct/union/enum for named accessors, array elem else */
	uint32_t idx;
	const char *name;       /* member or enumerator name; NULL for array accessors */
};

struct wd_core_spec {
	const struct wd_btf *btf;
	uint32_t root_type_id;
	uint32_t kind;
	struct wd_core_acc acc[WD_CORE_SPEC_MAX];
	int len;
	uint32_t raw[WD_CORE_SPEC_MAX];
	int raw_len;
	uint32_t bit_offset;
};

/* Target BTFs: one base (kernel or file) and kernel modules, loaded lazily. */
struct wd_core_res {
	uint64_t orig_val, new_val;
	uint32_t orig_sz, new_sz;
	uint32_t orig_type_id, new_type_id;
	bool poison, validate, fail_memsz;
	const struct wd_btf *targ_btf;   /* the matched candidate's BTF, NULL: none */
	uint32_t targ_id;
	const char *targ_mod;            /* module name of the candidate, NULL: base */
	int nr_cands;                    /* candidates that matched */
};

const char *wd_core_kind_name(uint32_t kind);
bool wd_core_kind_field(uint32_t kind);
bool wd_core_kind_type(uint32_t kind);
bool wd_core_kind_enumval(uint32_t kind);
size_t wd_core_essential_len(const char *name);

/* core_spec.c */
int wd_core_parse_spec(const struct wd_btf *btf, const struct bpf_core_relo *relo,
		       struct wd_core_spec *spec);
/* 1: candidate matches (targ filled), 0: it does not, <0: error */
int wd_core_spec_match(const struct wd_core_spec *local, const struct wd_btf *targ_btf,
		       uint32_t targ_id, struct wd_core_spec *targ);
int wd_core_calc(const struct bpf_core_relo *relo, const struct wd_core_spec *local,
		 const struct wd_core_spec *targ, struct wd_core_res *res);
int wd_core_types_compat(const struct wd_btf *lb, uint32_t lid, const struct wd_btf *tb,
			 uint32_t tid, int level);
int wd_core_types_match(const struct wd_btf *lb, uint32_t lid, const struct wd_btf *tb,
			uint32_t tid, bool behind_ptr, int level);
/* "struct task_struct___old.pid" / "enum foo::BAR" / "[3] struct x" */
void wd_core_spec_str(const struct wd_core_spec *spec, char *buf, size_t size);

#endif
