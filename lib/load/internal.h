/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Kernel objects made from a spec: the layer where every syscall happens. */
#ifndef WARDEN_INTERNAL_H
#define WARDEN_INTERNAL_H

#include "warden/warden.h"
#include "spec/btf.h"
#include "sys/error.h"
#include "spec/section.h"
#include "spec/spec.h"
#include "sys/sys.h"

/* An assembled program (reloc.c). */
struct wd_asm {
	struct bpf_insn *insns;            size_t insn_cnt;
	struct bpf_func_info *func_info;   size_t nr_func_info;
	struct bpf_line_info *line_info;   size_t nr_line_info;
	struct wd_placed *placed;          size_t nr_placed;
};

struct wd_prog {
	struct wd_object *obj;
	const struct wd_func *func;        /* in obj->spec */
	char *name, *sec_name;
	const struct wd_sec_def *def;      /* NULL: unknown section name */
	uint32_t type, expected_attach_type, prog_flags;
	uint32_t attach_btf_id, attach_btf_obj_fd;
	bool autoload;
	int fd;
	/* assembled at load: the program, then each subprogram it calls */
	struct wd_asm img;
	char *log;
	int fail_insn;
};

struct wd_map {
	struct wd_object *obj;
	const struct wd_map_spec *spec;
	char *name;
	uint32_t type, key_size, value_size, max_entries;   /* as created (spec's, or retyped) */
	bool retyped;        /* wd_map_set_type(): the spec's BTF key/value types do not apply */
	void *data;          /* initial value of global data (a copy, writable before load) */
	int fd;
	bool reused;         /* fd came from an existing pin */
	struct wd_st_ops *st_ops; /* struct_ops maps at load: the kernel's value (struct_ops.c) */
};

/* An instruction CO-RE poisoned: section, instruction in it, and why. */
struct wd_poison {
	int sec;
	uint32_t insn;
	char *what;
};

/* Something made from an object by a higher layer (a link) that must go
 * before the object does.  The object only calls release(), which also takes
 * the entry off obj->deps; it never knows what the entry is. */
struct wd_obj_dep {
	struct wd_obj_dep *next;
	void (*release)(struct wd_obj_dep *dep);
};

struct wd_object {
	struct wd_spec *spec;
	char *name;
	struct wd_prog *progs;  size_t nr_progs;
	struct wd_map *maps;    size_t nr_maps;
	char *btf_path;         /* target BTF for CO-RE, or NULL */
	char *kconfig_path;
	int btf_fd;             /* the object's BTF in the kernel, -1 */
	char btf_note[400];     /* why the kernel refused the BTF ("" if not) */
	bool loaded;
	struct wd_prog *failed_prog;  /* where the last failed load stopped, or NULL */
	/* section instructions after CO-RE (per spec section), made at load */
	struct bpf_insn **sec_insns;
	struct wd_load_opts lopts;
	/* instructions CO-RE poisoned (core.c), named when the verifier reaches one */
	struct wd_poison *poisons; size_t nr_poisons;
	struct wd_obj_dep *deps; /* released first at close (links: attach/link.c) */
};

/* lib/host/memlock.c: after an EPERM, "the memlock limit: ..." with the
 * numbers when the kernel charges memlock and the limit is finite, else "". */
void wd_memlock_explain_eperm(char *buf, size_t size);

/* maps.c */
int wd_maps_create(struct wd_object *obj);
void wd_maps_close(struct wd_object *obj);

/* struct_ops.c: each struct_ops map's value in the kernel's layout, and
 * its programs' attach_btf_id and member index (before maps and programs
 * load); the value with program fds filled in (-ENOENT when a program is
 * not loaded); the kernel value type (bpf_struct_ops_<name>) id. */
int wd_struct_ops_prepare(struct wd_object *obj);
int wd_struct_ops_value(struct wd_map *m, const void **value);
uint32_t wd_struct_ops_vtype_id(const struct wd_map *m);
void wd_struct_ops_release(struct wd_map *m);

/* extern.c: values of .kconfig externs into the .kconfig map image */
int wd_externs_resolve(struct wd_object *obj);

/* obj_btf.c: load the object's BTF into the kernel (sanitized), or not */
int wd_object_load_btf(struct wd_object *obj);

/* reloc.c: one program assembled from the section instructions `secs`
 * (after CO-RE for a load, as parsed for diagnostics): the program, then
 * each subprogram it reaches, relocations applied (map fds as they are, -1
 * before load), func/line info shifted when `btf_info`.  Pure: neither the
 * program nor its object changes.  Free with wd_asm_free(). */
int wd_asm_build(const struct wd_prog *prog, const struct bpf_insn *const *secs, bool btf_info,
		 struct wd_asm *out);
void wd_asm_free(struct wd_asm *a);
/* The load path: wd_asm_build() on obj->sec_insns into prog->img. */
int wd_prog_assemble(struct wd_prog *prog);

/* prog_load.c */
int wd_prog_load(struct wd_prog *prog);
/* The one instruction -> source line mapping: "file.c:87" of instruction
 * `insn` from line info `li` (n entries, sorted by insn_off), or NULL.
 * Entries of line 0 mark compiler-made code and are skipped: the line
 * before them is the one meant. */
const char *wd_src_line(const struct wd_btf *btf, const struct bpf_line_info *li, size_t n,
			int insn, char *buf, size_t size);

/* core.c (CO-RE): relocate the sections of an object in obj->sec_insns */
int wd_core_relocate(struct wd_object *obj);

#endif
