/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Kernel module BTF (5.11+), for __ksym variables and kfuncs that vmlinux lacks. */
#ifndef WARDEN_LOAD_KMOD_BTF_H
#define WARDEN_LOAD_KMOD_BTF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "spec/btf.h"

/* Where a module defines `name` (BTF kind `kind`). */
struct wd_kmod_sym {
	const struct wd_btf *btf;   /* the module's BTF (split on vmlinux), for type checks */
	uint32_t id;                /* type id in it */
	int btf_fd;                 /* its BTF object fd: ld_imm64 insn[1].imm of a typed ksym */
	int fd_idx;                 /* its slot in wd_kmod_fd_array(): a kfunc call's insn->off */
	const char *module;
};
/* Search the BTF of every loaded module (a module loaded since the last
 * search is seen).  1 found, 0 not found (also when the kernel cannot list
 * its BTF objects: debug log).  Thread-safe; the fds stay open for the
 * life of the process. */
int wd_kmod_find(const char *name, int kind, struct wd_kmod_sym *out);
/* The fd_array of BPF_PROG_LOAD for module kfunc calls (slot 0 unused: an
 * insn->off of 0 means vmlinux), or NULL while no module kfunc was found. */
const int *wd_kmod_fd_array(void);

#endif
