/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The spec: what an ELF object says, as plain data.  elf.c builds it without
 * a single syscall; it is the same on every machine and is tested without a
 * kernel.  object.c turns it into kernel objects.
 */
#ifndef WARDEN_SPEC_H
#define WARDEN_SPEC_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "btf.h"
#include "section.h"

#include "warden/spec.h"

/* Parse an ELF object in place: the spec copies what it keeps, the caller
 * keeps its buffer.  Every size and offset is checked against `size`. */
int wd_spec_parse(const void *buf, size_t size, const char *name, struct wd_spec **out);
/* The same for a file, mapped: refuses what is not a non-empty regular file
 * (a FIFO does not block); every error names the file. */
int wd_spec_parse_file(const char *path, const char *name, struct wd_spec **out);
void wd_spec_free(struct wd_spec *spec);
/* Parse .BTF.ext into the sections of the spec (elf.c calls it). */
int wd_btf_ext_parse(struct wd_spec *spec, const void *data, size_t size);

static inline bool insn_is_ld_imm64(const struct bpf_insn *i)
{
	return i->code == (BPF_LD | BPF_IMM | BPF_DW);
}
static inline bool insn_is_pseudo_call(const struct bpf_insn *i)
{
	return i->code == (BPF_JMP | BPF_CALL) && i->src_reg == BPF_PSEUDO_CALL;
}

#endif
