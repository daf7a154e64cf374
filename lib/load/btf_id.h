/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A kernel BTF object read back by fd (btf_id.c). */
#ifndef WARDEN_LOAD_BTF_ID_H
#define WARDEN_LOAD_BTF_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "spec/btf.h"

/* The BTF behind a BTF object fd (read with BPF_OBJ_GET_INFO_BY_FD), split
 * on vmlinux when it is a module's; its name ("vmlinux", "nf_conntrack")
 * and whether it is kernel BTF.  NULL + errno, the cause in wd_errmsg(). */
struct wd_btf *wd_btf_load_fd(int fd, uint32_t id, char *name, size_t name_size, bool *kernel);
/* Only the name and kernel_btf of the BTF object behind fd (no types read):
 * "" and false before 5.11, which lists no module BTF.  0 or -errno. */
int wd_btf_obj_name(int fd, char *name, size_t name_size, bool *kernel);

#endif
