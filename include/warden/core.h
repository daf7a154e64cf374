/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * CO-RE relocations of an object and what each resolves to on the target
 * kernel (the object's wd_open_opts.btf_path, or the running kernel's BTF).
 * Used by `warden inspect --resolve`; the loader applies them at load.
 */
#ifndef WARDEN_CORE_H_PUBLIC
#define WARDEN_CORE_H_PUBLIC

#include <stdbool.h>
#include <stdint.h>
#include "warden/warden.h"

#ifdef __cplusplus
extern "C" {
#endif

struct wd_core_relo_info {
	const char *section;
	const char *program;      /* function holding the instruction */
	unsigned int insn;        /* instruction index in its section */
	unsigned int kind;        /* enum bpf_core_relo_kind */
	const char *kind_name;    /* "byte_off", "field_exists", "enumval_value" ... */
	char access[64];          /* clang's access string, "0:1:3" */
	char path[256];           /* "struct task_struct___old.thread_info.flags" */
	/* with resolve: */
	bool resolved;
	int error;                /* negative errno: the relocation cannot be applied */
	char message[256];        /* the reason when error != 0 */
	bool poisoned;            /* not satisfiable: the instruction is poisoned */
	uint64_t local_value;     /* the compiler's value (local BTF) */
	uint64_t target_value;    /* the value on the target */
	int candidates;           /* target types that matched */
	char target[256];         /* "[1234] task_struct" (+ " in <module>") */
};

/* Call cb for each CO-RE relocation of obj (a non-zero return stops the
 * walk and is returned).  resolve: also compute each against the target
 * BTF; fails with a clear message when there is none. */
int wd_object_core_relos(const struct wd_object *obj, bool resolve,
			 int (*cb)(const struct wd_core_relo_info *info, void *ctx), void *ctx);

#ifdef __cplusplus
}
#endif
#endif
