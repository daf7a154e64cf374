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

enum wd_reloc_kind {
	WD_RELOC_MAP,        /* ld_imm64 of a map: BPF_PSEUDO_MAP_FD */
	WD_RELOC_DATA,       /* ld_imm64 into global data: BPF_PSEUDO_MAP_VALUE */
	WD_RELOC_CALL,       /* bpf-to-bpf call into another section */
	WD_RELOC_FUNC_ADDR,  /* ld_imm64 of a function (bpf_loop callback): BPF_PSEUDO_FUNC */
	WD_RELOC_EXTERN,     /* ld_imm64 or call of an extern (.kconfig, __ksym, kfunc) */
};

struct wd_reloc {
	enum wd_reloc_kind kind;
	uint32_t insn;          /* instruction index in its section */
	int map;                /* WD_RELOC_MAP/DATA: index in spec->maps */
	int target_sec;         /* WD_RELOC_CALL/FUNC_ADDR: section index in spec->secs */
	int ext;                /* WD_RELOC_EXTERN: index in spec->externs */
	uint64_t sym_off;       /* symbol value (bytes) */
	char *sym_name;         /* for messages */
};

/* A section with code: its instructions and relocations. */
struct wd_code_sec {
	char *name;
	size_t elf_idx;
	struct bpf_insn *insns;
	size_t insn_cnt;
	struct wd_reloc *relocs;   /* sorted by insn */
	size_t nr_relocs;
	/* .BTF.ext records for this section, insn_off already in instructions */
	struct bpf_func_info *func_info;   size_t nr_func_info;
	struct bpf_line_info *line_info;   size_t nr_line_info;
	struct bpf_core_relo *core_relos;  size_t nr_core_relos;
};

/* A function symbol in a code section: a program or a subprogram. */
struct wd_func {
	char *name;
	int sec;                /* index in spec->secs */
	uint32_t off, cnt;      /* instruction range in the section */
	bool is_prog;           /* false: .text subprogram */
	bool global;
};

enum wd_map_kind {
	WD_MAP_USER,     /* SEC(".maps") or SEC("maps") */
	WD_MAP_DATA,     /* .data, .data.* */
	WD_MAP_RODATA,   /* .rodata, .rodata.*, .rodata.str1.1 */
	WD_MAP_BSS,      /* .bss */
	WD_MAP_KCONFIG,  /* .kconfig externs */
};

struct wd_map_spec {
	char *name;
	enum wd_map_kind kind;
	uint32_t type, key_size, value_size, max_entries, map_flags, numa_node, pinning;
	uint64_t map_extra;
	uint32_t btf_key_type_id, btf_value_type_id;
	int inner;              /* index of the inner map spec for map-in-map, -1 */
	bool is_inner;          /* a template for another map's values, not created alone */
	size_t elf_sec;         /* ELF section holding it (data maps) or its definition */
	uint64_t sym_off;       /* offset of the definition in .maps / maps */
	void *data;             /* initial value (global data); NULL for .bss/.maps */
	size_t data_size;
	/* initial slots: map-in-map inner maps or prog array programs by name */
	struct { uint32_t slot; char *target; } *init;
	size_t nr_init;
};

enum wd_extern_kind { WD_EXT_KCONFIG, WD_EXT_KSYM };

struct wd_extern {
	char *name;
	enum wd_extern_kind kind;
	uint32_t btf_id;        /* the VAR or FUNC in the object's BTF */
	uint32_t type_id;       /* its type (skipping modifiers) */
	bool weak, is_func;
	uint32_t size;          /* kconfig: bytes */
	uint32_t offset;        /* kconfig: offset in the .kconfig map */
};

struct wd_spec {
	char *name;              /* object name: file name up to the first '.' */
	char license[128];
	uint32_t kern_version;
	struct wd_code_sec *secs;   size_t nr_secs;
	struct wd_func *funcs;      size_t nr_funcs;
	struct wd_map_spec *maps;   size_t nr_maps;
	struct wd_extern *externs;  size_t nr_externs;
	int kconfig_map;            /* index of the .kconfig map, -1 */
	struct wd_btf *btf;         /* NULL if the object has no .BTF */
	uint32_t func_info_rec_size, line_info_rec_size, core_relo_rec_size;
};

/* Parse an ELF object (copied: the caller keeps its buffer). */
int wd_spec_parse(const void *buf, size_t size, const char *name, struct wd_spec **out);
void wd_spec_free(struct wd_spec *spec);
int wd_spec_find_map(const struct wd_spec *spec, const char *name);
const struct wd_func *wd_spec_func_at(const struct wd_spec *spec, int sec, uint32_t insn);
/* The function of section `sec` whose instructions include `insn`, or NULL. */
const struct wd_func *wd_spec_func_containing(const struct wd_spec *spec, int sec, uint32_t insn);
int wd_spec_find_sec(const struct wd_spec *spec, const char *name);
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
