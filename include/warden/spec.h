/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The spec: what an ELF object says, as plain data, the same on every
 * machine.  wd_object_open() builds it without a syscall; nothing changes it
 * afterwards (every load-time choice lives in the kernel objects), so it is
 * handed out read-only.  `warden inspect` and `warden doctor` read it here.
 *
 *   const struct wd_spec *s = wd_object_spec(obj);
 *   for (size_t i = 0; i < s->nr_maps; i++) puts(s->maps[i].name);
 *
 * Also the section table (section name -> program type and attach kind) and
 * a program's image: its instructions as the loader would hand them to the
 * kernel, for diagnostics.
 */
#ifndef WARDEN_PUBLIC_SPEC_H
#define WARDEN_PUBLIC_SPEC_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "warden/btf.h"

#ifdef __cplusplus
extern "C" {
#endif

struct wd_object;
struct wd_prog;
struct wd_map;

/* ---- sections ---------------------------------------------------------- */

enum wd_attach_kind {
	WD_ATTACH_NONE,        /* not auto-attachable (socket filters, tail calls, ...) */
	WD_ATTACH_KPROBE, WD_ATTACH_KRETPROBE, WD_ATTACH_KPROBE_MULTI, WD_ATTACH_KRETPROBE_MULTI,
	WD_ATTACH_UPROBE, WD_ATTACH_URETPROBE,
	WD_ATTACH_TRACEPOINT, WD_ATTACH_RAW_TP, WD_ATTACH_TRACING, WD_ATTACH_LSM,
	WD_ATTACH_XDP, WD_ATTACH_TC, WD_ATTACH_TCX, WD_ATTACH_CGROUP, WD_ATTACH_ITER,
	WD_ATTACH_PERF_EVENT, WD_ATTACH_USDT,
	WD_ATTACH__COUNT,
};

enum wd_sec_flags {
	WD_SEC_EXACT = 1,        /* the name must match exactly, no "/target" */
	WD_SEC_ATTACH_BTF = 2,   /* needs attach_btf_id from kernel BTF at load */
	WD_SEC_SLEEPABLE = 4,    /* BPF_F_SLEEPABLE */
	WD_SEC_XDP_FRAGS = 8,    /* BPF_F_XDP_HAS_FRAGS */
	WD_SEC_MULTI = 16,       /* multi-attach (BPF_TRACE_KPROBE_MULTI, ...) */
};

struct wd_sec_def {
	const char *prefix;      /* "kprobe", "tp", "cgroup/connect4" */
	uint32_t prog_type;
	uint32_t expected_attach_type;
	enum wd_attach_kind attach;
	unsigned int flags;
	const char *attach_prefix; /* BTF name prefix for tp_btf/fentry/lsm targets */
};

/* The definition matching a section name, or NULL. */
const struct wd_sec_def *wd_sec_def_find(const char *sec_name);
/* Text after "prefix/" (the attach target), or "" if none. */
const char *wd_sec_target(const struct wd_sec_def *def, const char *sec_name);
/* The whole table, for docs and `warden inspect --sections`. */
const struct wd_sec_def *wd_sec_defs(unsigned int *count);

/* ---- what the file says ------------------------------------------------- */

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
	bool hidden;            /* STV_HIDDEN/INTERNAL (__hidden): static to the verifier */
};

enum wd_map_kind {
	WD_MAP_USER,     /* SEC(".maps") or SEC("maps") */
	WD_MAP_DATA,     /* .data, .data.* */
	WD_MAP_RODATA,   /* .rodata, .rodata.*, .rodata.str1.1 */
	WD_MAP_BSS,      /* .bss */
	WD_MAP_KCONFIG,  /* .kconfig externs */
	WD_MAP_STRUCT_OPS, /* a variable of .struct_ops / .struct_ops.link: a kernel ops table */
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
	/* WD_MAP_STRUCT_OPS: the struct (tcp_congestion_ops) in the object's
	 * BTF, `data` holding the variable as compiled (the object's layout),
	 * and its function pointer members set to programs: the member's byte
	 * offset in `data` and the program's name */
	uint32_t st_ops_type_id;
	struct { uint32_t off; char *prog; } *st_ops_funcs;
	size_t nr_st_ops_funcs;
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

const struct wd_spec *wd_object_spec(const struct wd_object *obj);
/* A program's function in the spec, and its section definition (NULL: a
 * section name warden does not know). */
const struct wd_func *wd_prog_func(const struct wd_prog *prog);
const struct wd_sec_def *wd_prog_sec_def(const struct wd_prog *prog);
const struct wd_map_spec *wd_map_spec(const struct wd_map *map);

int wd_spec_find_map(const struct wd_spec *spec, const char *name);
const struct wd_func *wd_spec_func_at(const struct wd_spec *spec, int sec, uint32_t insn);
/* The function of section `sec` whose instructions include `insn`, or NULL. */
const struct wd_func *wd_spec_func_containing(const struct wd_spec *spec, int sec, uint32_t insn);
int wd_spec_find_sec(const struct wd_spec *spec, const char *name);

/* ---- a program as the kernel gets it (diagnostics) --------------------- */

/* Where one function landed in an assembled program. */
struct wd_placed {
	const struct wd_func *func;
	size_t start;           /* its first instruction in the program */
};

/* The program assembled as wd_object_load() would (subprograms appended,
 * relocations applied, line info shifted), from the sections as parsed;
 * nothing is made in the kernel.  Works before load and after a failed
 * load.  Map fds in the instructions are those of the object (-1 before
 * load).  Free with wd_prog_image_free(). */
struct wd_prog_image {
	struct bpf_insn *insns;
	size_t insn_cnt;
	struct bpf_line_info *line_info;
	size_t nr_line_info;
	struct wd_placed *placed;       /* the program at 0, then each subprogram */
	size_t nr_placed;
};
int wd_prog_image(const struct wd_prog *prog, struct wd_prog_image *img);
void wd_prog_image_free(struct wd_prog_image *img);
/* "file.c:87" of instruction `insn` of img (NULL: of the program as last
 * loaded), or NULL without line info.  The same mapping as load errors use:
 * line-0 entries (compiler-made code) are skipped. */
const char *wd_prog_image_src_line(const struct wd_prog *prog, const struct wd_prog_image *img,
				   int insn, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
