/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by the diagnostics files (lib/doctor_*.c, lib/verify.c); not public. */
#ifndef WARDEN_DIAG_H
#define WARDEN_DIAG_H

#include "load/internal.h"

/* A program assembled as wd_object_load() would (subprograms appended,
 * line info shifted), without creating anything in the kernel; works
 * before load and after a failed load (which frees the assembled copy).
 * Map fds in the instructions are -1.  Free with wd_diag_prog_free(). */
struct wd_diag_prog {
	struct bpf_insn *insns;
	size_t insn_cnt;
	struct bpf_line_info *line_info;
	size_t nr_line_info;
};
int wd_diag_assemble(struct wd_prog *prog, struct wd_diag_prog *out);
void wd_diag_prog_free(struct wd_diag_prog *d);
/* "file.c:87" of instruction `insn` (line 0 entries skipped), or NULL. */
const char *wd_diag_src_line(const struct wd_prog *prog, const struct wd_diag_prog *d,
			     int insn, char *buf, size_t size);

#endif
