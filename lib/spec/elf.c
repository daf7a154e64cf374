// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ELF object -> spec.  No syscall happens here: the result is the same on
 * every machine.  Every size, offset and index read from the file is checked
 * before use; a broken file gives an error naming the section and the fix.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sys/error.h"
#include "spec.h"

/* A bound on one global-data section, checked before any allocation (a
 * .bss has no file bytes to check its size against).  Not the kernel's
 * limit, which it answers itself: array_map_alloc_check() refuses values
 * above KMALLOC_MAX_SIZE (4 MiB with MAX_PAGE_ORDER 10) on some kernels and
 * takes a 16 MiB .bss on others (libbpf's test_skeleton.c has one, 6.18). */
#define WD_DATA_MAP_MAX (1u << 30)

struct elf_ctx {
	Elf *elf;
	struct wd_spec *spec;
	size_t shstrndx;
	Elf_Data *symtab;
	size_t symtab_idx, strtab_idx, nr_syms;
	size_t maps_idx, legacy_maps_idx, btf_ext_idx;   /* 0: absent */
	int *sec_of_elf;       /* ELF section index -> code section index, -1 */
	int *map_of_elf;       /* ELF section index -> data map index, -1 */
	size_t nr_elf_secs;
	Elf_Data *btf_ext_data;
	size_t file_size;
};

static int nomem(const char *what)
{
	return wd_err(-ENOMEM, "out of memory (%s)", what);
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static const char *sec_name(struct elf_ctx *c, size_t idx, GElf_Shdr *sh)
{
	Elf_Scn *scn = elf_getscn(c->elf, idx);
	if (!scn || !gelf_getshdr(scn, sh))
		return NULL;
	return elf_strptr(c->elf, c->shstrndx, sh->sh_name);
}

static Elf_Data *sec_data(struct elf_ctx *c, size_t idx)
{
	Elf_Scn *scn = elf_getscn(c->elf, idx);
	return scn ? elf_getdata(scn, NULL) : NULL;
}

static bool get_sym(struct elf_ctx *c, size_t i, GElf_Sym *sym)
{
	return i < c->nr_syms && gelf_getsym(c->symtab, i, sym) != NULL;
}

static const char *sym_name(struct elf_ctx *c, const GElf_Sym *sym)
{
	return elf_strptr(c->elf, c->strtab_idx, sym->st_name);
}

static void *grow(void *arr, size_t n, size_t elem)
{
	/* Grow by powers of two: reallocate when n reaches one. */
	if (n && (n & (n - 1)))
		return arr;
	return realloc(arr, (n ? n * 2 : 1) * elem);
}

#define PUSH(arr, n) ({                                                 \
	void *__p = grow((arr), (n), sizeof(*(arr)));                   \
	__p ? ((arr) = __p, memset(&(arr)[(n)], 0, sizeof(*(arr))), &(arr)[(n)++]) : NULL; \
})

/* ---- header and section walk ---------------------------------------------- */

static int check_elf_header(struct elf_ctx *c)
{
	GElf_Ehdr eh;
	if (elf_kind(c->elf) != ELF_K_ELF || !gelf_getehdr(c->elf, &eh))
		return wd_err(-EINVAL, "not an ELF file (or truncated header)");
	if (eh.e_ident[EI_CLASS] != ELFCLASS64)
		return wd_err(-EINVAL, "32-bit ELF: BPF objects are ELF64 (build with clang -target bpf)");
	if (eh.e_machine != EM_BPF)
		return wd_err(-EINVAL, "ELF machine is %u, not BPF (%u): build with clang -target bpf",
			      eh.e_machine, EM_BPF);
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return wd_err(-EINVAL, "big-endian BPF object on a little-endian host: build with -target bpfel");
	if (eh.e_type != ET_REL)
		return wd_err(-EINVAL, "ELF type %u is not a relocatable object (ET_REL)", eh.e_type);
	if (elf_getshdrstrndx(c->elf, &c->shstrndx))
		return wd_err(-EINVAL, "ELF has no section name table");
	if (elf_getshdrnum(c->elf, &c->nr_elf_secs))
		return wd_err(-EINVAL, "cannot count ELF sections: %s", elf_errmsg(-1));
	return 0;
}

static bool is_data_sec(const char *name)
{
	return !strcmp(name, ".data") || !strncmp(name, ".data.", 6) ||
	       !strcmp(name, ".rodata") || !strncmp(name, ".rodata.", 8) ||
	       !strcmp(name, ".bss") || !strncmp(name, ".bss.", 5);
}

/* libbpf's naming for global data maps, so both loaders agree on names:
 * "<obj prefix>.data", or the section name itself for ".data.custom". */
static char *data_map_name(const char *obj, const char *sec)
{
	char buf[BPF_OBJ_NAME_LEN];
	size_t sfx = strlen(sec) < 7 ? 7 : strlen(sec), pfx;
	if (sfx >= BPF_OBJ_NAME_LEN)
		sfx = BPF_OBJ_NAME_LEN - 1;
	pfx = strchr(sec + 1, '.') ? 0 : BPF_OBJ_NAME_LEN - sfx - 1;
	if (pfx > strlen(obj))
		pfx = strlen(obj);
	snprintf(buf, sizeof(buf), "%.*s%.*s", (int)pfx, obj, (int)sfx, sec);
	for (char *p = buf; *p; p++)
		if (!(*p == '_' || *p == '.' || (*p >= '0' && *p <= '9') ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			*p = '_';
	return strdup(buf);
}

static int add_data_map(struct elf_ctx *c, size_t idx, const char *name, const GElf_Shdr *sh)
{
	struct wd_spec *s = c->spec;
	struct wd_map_spec *m;
	Elf_Data *d;
	if (sh->sh_size > WD_DATA_MAP_MAX)
		return wd_err(-E2BIG, "section '%s': %llu bytes of global data, more than %u: "
			      "a corrupt header, or move the array to a map", name,
			      (unsigned long long)sh->sh_size, WD_DATA_MAP_MAX);
	if (!(m = PUSH(s->maps, s->nr_maps)))
		return nomem("map list");
	m->name = data_map_name(s->name, name);
	m->kind = !strncmp(name, ".rodata", 7) ? WD_MAP_RODATA :
		  !strncmp(name, ".bss", 4) ? WD_MAP_BSS : WD_MAP_DATA;
	m->type = BPF_MAP_TYPE_ARRAY;
	m->key_size = 4;
	m->value_size = sh->sh_size;
	m->max_entries = 1;
	m->map_flags = m->kind == WD_MAP_RODATA ? BPF_F_RDONLY_PROG : 0;
	m->inner = -1;
	m->elf_sec = idx;
	m->data_size = sh->sh_size;
	m->data = calloc(1, sh->sh_size ? sh->sh_size : 1);
	if (!m->name || !m->data)
		return nomem("global data");
	if (sh->sh_type != SHT_NOBITS) {
		if (!(d = sec_data(c, idx)) || !d->d_buf || d->d_size != sh->sh_size)
			return wd_err(-EINVAL, "section '%s': cannot read its %llu bytes: %s", name,
				      (unsigned long long)sh->sh_size, elf_errmsg(-1));
		memcpy(m->data, d->d_buf, sh->sh_size);
	}
	if (s->btf)
		m->btf_value_type_id = wd_btf_find(s->btf, name, BTF_KIND_DATASEC);
	c->map_of_elf[idx] = s->nr_maps - 1;
	return 0;
}

/* SEC(".struct_ops") and SEC(".struct_ops.link") (BPF_F_LINK: registered
 * through a link, kernel 6.4+): every variable is one kernel ops table, a
 * BPF_MAP_TYPE_STRUCT_OPS map named after the variable, as libbpf makes
 * them.  The value here is the object's layout; lib/load/struct_ops.c lays
 * it out as the kernel's struct at load. */
static bool sym_by_name_in(struct elf_ctx *c, const char *name, size_t shndx, GElf_Sym *out);

static bool is_struct_ops_sec(const char *name)
{
	return !strcmp(name, ".struct_ops") || !strcmp(name, ".struct_ops.link");
}

static int add_struct_ops_map(struct elf_ctx *c, size_t idx, const char *sec,
			      const struct btf_var_secinfo *vs, const Elf_Data *d)
{
	struct wd_spec *s = c->spec;
	const struct btf_type *var = wd_btf_type(s->btf, vs->type), *t;
	const char *vname = wd_btf_name(s->btf, vs->type);
	struct wd_map_spec *m;
	uint32_t tid, off = vs->offset;
	GElf_Sym sym;
	if (!var || btf_kind_of(var) != BTF_KIND_VAR)
		return wd_err(-EINVAL, "section '%s': member %u of its BTF is not a variable", sec,
			      vs->type);
	tid = wd_btf_skip_mods(s->btf, var->type, true);
	t = wd_btf_type(s->btf, tid);
	if (!t || btf_kind_of(t) != BTF_KIND_STRUCT || !*wd_btf_name(s->btf, tid))
		return wd_err(-EINVAL, "section '%s': '%s' is not a named struct (a kernel ops "
			      "table such as 'struct tcp_congestion_ops')", sec, vname);
	/* the symbol says where (clang leaves DATASEC offsets to the linker:
	 * fixup_datasecs() fills them in later) */
	if (sym_by_name_in(c, vname, idx, &sym))
		off = sym.st_value;
	if (off > d->d_size || t->size > d->d_size - off)
		return wd_err(-EINVAL, "section '%s': '%s' (%u bytes at %u) lies past its end (%zu)",
			      sec, vname, t->size, off, d->d_size);
	if (!(m = PUSH(s->maps, s->nr_maps)))
		return nomem("map list");
	m->name = strdup(vname);
	m->kind = WD_MAP_STRUCT_OPS;
	m->type = BPF_MAP_TYPE_STRUCT_OPS;
	m->key_size = 4;
	m->value_size = t->size;     /* the kernel's size replaces it at load */
	m->max_entries = 1;
	m->map_flags = !strcmp(sec, ".struct_ops.link") ? WD_BPF_F_LINK : 0;
	m->inner = -1;
	m->elf_sec = idx;
	m->sym_off = off;
	m->st_ops_type_id = tid;
	m->data_size = t->size;
	m->data = malloc(t->size ? t->size : 1);
	if (!m->name || !m->data)
		return nomem("struct_ops map");
	memcpy(m->data, (const char *)d->d_buf + off, t->size);
	return 0;
}

static int add_struct_ops_maps(struct elf_ctx *c, size_t idx, const char *name, const GElf_Shdr *sh)
{
	const struct wd_btf *btf = c->spec->btf;
	Elf_Data *d = sec_data(c, idx);
	uint32_t sec_id = btf ? wd_btf_find(btf, name, BTF_KIND_DATASEC) : 0;
	if (!sec_id)
		return wd_err(-EINVAL, "section '%s' needs BTF to name its ops tables: build with "
			      "clang -g", name);
	if (!d || !d->d_buf || d->d_size != sh->sh_size)
		return wd_err(-EINVAL, "section '%s': cannot read its %llu bytes", name,
			      (unsigned long long)sh->sh_size);
	const struct btf_type *ds = wd_btf_type(btf, sec_id);
	const struct btf_var_secinfo *vs = btf_extra(ds);
	for (int i = 0; i < btf_vlen_of(ds); i++) {
		int err = add_struct_ops_map(c, idx, name, &vs[i], d);
		if (err)
			return err;
	}
	return 0;
}

static int add_code_sec(struct elf_ctx *c, size_t idx, const char *name, const GElf_Shdr *sh)
{
	struct wd_spec *s = c->spec;
	Elf_Data *d = sec_data(c, idx);
	struct wd_code_sec *cs;
	if (!d || !d->d_buf || d->d_size != sh->sh_size)
		return wd_err(-EINVAL, "section '%s': cannot read its instructions", name);
	if (sh->sh_size % sizeof(struct bpf_insn))
		return wd_err(-EINVAL, "section '%s': size %lu is not a multiple of 8",
			      name, (unsigned long)sh->sh_size);
	cs = PUSH(s->secs, s->nr_secs);
	if (!cs)
		return nomem("section list");
	cs->name = strdup(name);
	cs->elf_idx = idx;
	cs->insn_cnt = sh->sh_size / sizeof(struct bpf_insn);
	cs->insns = malloc(sh->sh_size);
	if (!cs->name || !cs->insns)
		return nomem("instructions");
	memcpy(cs->insns, d->d_buf, sh->sh_size);
	c->sec_of_elf[idx] = s->nr_secs - 1;
	return 0;
}

static int read_small_sec(struct elf_ctx *c, size_t idx, const char *name)
{
	Elf_Data *d = sec_data(c, idx);
	struct wd_spec *s = c->spec;
	if (!d || !d->d_buf)
		return wd_err(-EINVAL, "section '%s' is empty", name);
	if (!strcmp(name, "license")) {
		size_t n = d->d_size < sizeof(s->license) - 1 ? d->d_size : sizeof(s->license) - 1;
		memcpy(s->license, d->d_buf, n);
		if (strnlen(s->license, n) == 0)
			return wd_err(-EINVAL, "section 'license' holds an empty string");
	} else {
		if (d->d_size != 4)
			return wd_err(-EINVAL, "section 'version' is %zu bytes, not 4", d->d_size);
		memcpy(&s->kern_version, d->d_buf, 4);
	}
	return 0;
}

static int check_symtab(struct elf_ctx *c, size_t idx, const char *name, const GElf_Shdr *sh)
{
	GElf_Shdr strsh;
	if (c->symtab)
		return wd_err(-EINVAL, "ELF has more than one symbol table");
	if (sh->sh_entsize != sizeof(Elf64_Sym) || sh->sh_size % sizeof(Elf64_Sym))
		return wd_err(-EINVAL, "section '%s': entry size %llu and size %llu, expected "
			      "%zu-byte symbols", name, (unsigned long long)sh->sh_entsize,
			      (unsigned long long)sh->sh_size, sizeof(Elf64_Sym));
	if (sh->sh_link == 0 || sh->sh_link >= c->nr_elf_secs || !sec_name(c, sh->sh_link, &strsh) ||
	    strsh.sh_type != SHT_STRTAB)
		return wd_err(-EINVAL, "section '%s': its string table (sh_link %u) is not a "
			      "string table section", name, sh->sh_link);
	c->symtab = sec_data(c, idx);
	c->symtab_idx = idx;
	c->strtab_idx = sh->sh_link;
	if (!c->symtab || c->symtab->d_size != sh->sh_size)
		return wd_err(-EINVAL, "section '%s': cannot read the symbols: %s", name, elf_errmsg(-1));
	c->nr_syms = sh->sh_size / sizeof(Elf64_Sym);
	return 0;
}

struct extent { uint64_t off, end; size_t idx; };

static int cmp_extent(const void *a, const void *b)
{
	const struct extent *x = a, *y = b;
	return (x->off > y->off) - (x->off < y->off);
}

/* Every section's bytes lie inside the file, after the ELF header, and no
 * two sections share a byte: checked before any size is trusted. */
static int check_extents(struct elf_ctx *c)
{
	struct extent *ext = calloc(c->nr_elf_secs ? c->nr_elf_secs : 1, sizeof(*ext));
	size_t n = 0;
	int err = 0;
	if (!ext)
		return nomem("section table");
	for (size_t idx = 1; idx < c->nr_elf_secs && !err; idx++) {
		GElf_Shdr sh;
		const char *name = sec_name(c, idx, &sh);
		if (!name)
			err = wd_err(-EINVAL, "ELF section %zu: bad header or name offset", idx);
		else if (sh.sh_type == SHT_NOBITS || sh.sh_size == 0)
			continue;
		else if (sh.sh_offset > c->file_size || sh.sh_size > c->file_size - sh.sh_offset)
			err = wd_err(-EINVAL, "section '%s': %llu bytes at offset %llu, past the end of "
				     "the file (%zu bytes): truncated or corrupt", name,
				     (unsigned long long)sh.sh_size, (unsigned long long)sh.sh_offset,
				     c->file_size);
		else if (sh.sh_offset < sizeof(Elf64_Ehdr))
			err = wd_err(-EINVAL, "section '%s' overlaps the ELF header", name);
		else
			ext[n++] = (struct extent){ sh.sh_offset, sh.sh_offset + sh.sh_size, idx };
	}
	if (!err && n > 1)
		qsort(ext, n, sizeof(*ext), cmp_extent);
	for (size_t i = 1; !err && i < n; i++) {
		GElf_Shdr a, b;
		if (ext[i].off >= ext[i - 1].end)
			continue;
		err = wd_err(-EINVAL, "sections '%s' and '%s' overlap (bytes %llu-%llu)",
			     sec_name(c, ext[i - 1].idx, &a), sec_name(c, ext[i].idx, &b),
			     (unsigned long long)ext[i].off, (unsigned long long)ext[i - 1].end - 1);
	}
	free(ext);
	return err;
}

/* First pass: classify every section. */
static int walk_sections(struct elf_ctx *c)
{
	Elf_Data *btf = NULL;
	int err;
	if ((err = check_extents(c)))
		return err;
	for (size_t idx = 1; idx < c->nr_elf_secs; idx++) {
		GElf_Shdr sh;
		const char *name = sec_name(c, idx, &sh);
		if (!name)
			return wd_err(-EINVAL, "ELF section %zu: bad header or name", idx);
		if (sh.sh_type == SHT_SYMTAB) {
			if ((err = check_symtab(c, idx, name, &sh)))
				return err;
		} else if (!strcmp(name, "license") || !strcmp(name, "version")) {
			if ((err = read_small_sec(c, idx, name)))
				return err;
		} else if (!strcmp(name, ".BTF")) {
			btf = sec_data(c, idx);
		} else if (!strcmp(name, ".BTF.ext")) {
			c->btf_ext_data = sec_data(c, idx);
		} else if (!strcmp(name, ".maps")) {
			c->maps_idx = idx;
		} else if (!strcmp(name, "maps")) {
			c->legacy_maps_idx = idx;
		}
	}
	if (!c->symtab)
		return wd_err(-EINVAL, "ELF has no symbol table (was it stripped?)");
	if (btf && btf->d_buf) {
		c->spec->btf = wd_btf_parse(btf->d_buf, btf->d_size, NULL);
		if (!c->spec->btf) {
			err = -(errno ? errno : EINVAL);
			wd_err_default(err);
			wd_err_prefix("section .BTF: ");
			return err;
		}
	}
	/* Second part: code and data, now that BTF is known. */
	for (size_t idx = 1; idx < c->nr_elf_secs; idx++) {
		GElf_Shdr sh;
		const char *name = sec_name(c, idx, &sh);
		if (sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_EXECINSTR) && sh.sh_size) {
			if ((err = add_code_sec(c, idx, name, &sh)))
				return err;
		} else if ((sh.sh_type == SHT_PROGBITS || sh.sh_type == SHT_NOBITS) &&
			   (sh.sh_flags & SHF_ALLOC) && is_data_sec(name) && sh.sh_size) {
			if ((err = add_data_map(c, idx, name, &sh)))
				return err;
		} else if (sh.sh_type == SHT_PROGBITS && is_struct_ops_sec(name) && sh.sh_size) {
			if ((err = add_struct_ops_maps(c, idx, name, &sh)))
				return err;
		}
	}
	return 0;
}

/* ---- functions ---------------------------------------------------------- */

static int cmp_func(const void *a, const void *b)
{
	const struct wd_func *x = a, *y = b;
	if (x->sec != y->sec)
		return x->sec - y->sec;
	return (x->off > y->off) - (x->off < y->off);
}

/* The code section a FUNC symbol lies in, or an error naming the symbol. */
static int func_section(struct elf_ctx *c, size_t i, const GElf_Sym *sym, const char *name)
{
	GElf_Shdr sh;
	const char *sn;
	if (!name || !*name)
		return wd_err(-EINVAL, "function symbol %zu has no name (string offset %u): "
			      "a corrupt symbol table", i, sym->st_name);
	if (sym->st_shndx >= c->nr_elf_secs)
		return wd_err(-EINVAL, "function '%s': section index %u is not a section of this file",
			      name, sym->st_shndx);
	if (c->sec_of_elf[sym->st_shndx] < 0) {
		sn = sec_name(c, sym->st_shndx, &sh);
		return wd_err(-EINVAL, "function '%s': its section '%s' holds no instructions "
			      "(type %u, flags 0x%llx, %llu bytes)", name, sn ? sn : "?", sh.sh_type,
			      (unsigned long long)sh.sh_flags, (unsigned long long)sh.sh_size);
	}
	return c->sec_of_elf[sym->st_shndx];
}

static int add_func(struct elf_ctx *c, size_t i, const GElf_Sym *sym)
{
	struct wd_spec *s = c->spec;
	const char *name = sym_name(c, sym);
	int sec = func_section(c, i, sym, name);
	struct wd_func *f;
	if (sec < 0)
		return sec;
	const struct wd_code_sec *cs = &s->secs[sec];
	if (sym->st_value % 8 || sym->st_size % 8 || sym->st_value / 8 > cs->insn_cnt ||
	    sym->st_size / 8 > cs->insn_cnt - sym->st_value / 8)
		return wd_err(-EINVAL, "function '%s' lies outside section '%s'", name, cs->name);
	if (!(f = PUSH(s->funcs, s->nr_funcs)))
		return nomem("function list");
	f->name = strdup(name);
	f->sec = sec;
	f->off = sym->st_value / 8;
	f->cnt = sym->st_size / 8;
	f->global = GELF_ST_BIND(sym->st_info) != STB_LOCAL;
	f->hidden = GELF_ST_VISIBILITY(sym->st_other) == STV_HIDDEN ||
		    GELF_ST_VISIBILITY(sym->st_other) == STV_INTERNAL;
	f->is_prog = strcmp(cs->name, ".text") != 0;
	return f->name ? 0 : nomem("function name");
}

static int collect_funcs(struct elf_ctx *c)
{
	struct wd_spec *s = c->spec;
	int err;
	for (size_t i = 1; i < c->nr_syms; i++) {
		GElf_Sym sym;
		if (!get_sym(c, i, &sym))
			return wd_err(-EINVAL, "symbol %zu unreadable: %s", i, elf_errmsg(-1));
		/* an undefined FUNC is an extern (kfunc), collected with the externs */
		if (GELF_ST_TYPE(sym.st_info) == STT_FUNC && sym.st_shndx != SHN_UNDEF &&
		    (err = add_func(c, i, &sym)))
			return err;
	}
	if (s->nr_funcs > 1)
		qsort(s->funcs, s->nr_funcs, sizeof(*s->funcs), cmp_func);
	/* Functions without a size (hand-written asm) run to the next one. */
	for (size_t i = 0; i < s->nr_funcs; i++) {
		struct wd_func *f = &s->funcs[i];
		bool last = i + 1 == s->nr_funcs || s->funcs[i + 1].sec != f->sec;
		if (!last && s->funcs[i + 1].off < f->off + (f->cnt ? f->cnt : 1))
			return wd_err(-EINVAL, "functions '%s' and '%s' overlap in section '%s'",
				      f->name, s->funcs[i + 1].name, s->secs[f->sec].name);
		if (!f->cnt)
			f->cnt = (last ? s->secs[f->sec].insn_cnt : s->funcs[i + 1].off) - f->off;
		if (!f->cnt)
			return wd_err(-EINVAL, "function '%s' in section '%s' has no instructions",
				      f->name, s->secs[f->sec].name);
	}
	return 0;
}

/* ---- maps --------------------------------------------------------------- */

static bool sym_by_name_in(struct elf_ctx *c, const char *name, size_t shndx, GElf_Sym *out)
{
	for (size_t i = 1; i < c->nr_syms; i++) {
		GElf_Sym sym;
		const char *n;
		if (!get_sym(c, i, &sym) || sym.st_shndx != shndx)
			continue;
		if ((n = sym_name(c, &sym)) && !strcmp(n, name)) {
			*out = sym;
			return true;
		}
	}
	return false;
}

/* `__uint(name, val)` is `int (*name)[val]`: the value is the array size. */
static int btf_uint_member(const struct wd_btf *btf, uint32_t type, uint32_t *val)
{
	const struct btf_type *t = wd_btf_type(btf, type), *arr;
	if (!t || btf_kind_of(t) != BTF_KIND_PTR)
		return -EINVAL;
	arr = wd_btf_type(btf, t->type);
	if (!arr || btf_kind_of(arr) != BTF_KIND_ARRAY)
		return -EINVAL;
	*val = ((const struct btf_array *)btf_extra(arr))->nelems;
	return 0;
}

static int parse_btf_map_def(struct elf_ctx *c, struct wd_map_spec *m, uint32_t def_id);

/* `__array(values, struct inner)` / `__array(values, int (void *))`. */
static int parse_map_values(struct elf_ctx *c, struct wd_map_spec *m, uint32_t type)
{
	const struct wd_btf *btf = c->spec->btf;
	const struct btf_type *t = wd_btf_type(btf, type), *p, *inner;
	if (!t || btf_kind_of(t) != BTF_KIND_ARRAY)
		return wd_err(-EINVAL, "map '%s': 'values' must be an array", m->name);
	p = wd_btf_type(btf, wd_btf_skip_mods(btf, ((const struct btf_array *)btf_extra(t))->type, true));
	if (!p || btf_kind_of(p) != BTF_KIND_PTR)
		return wd_err(-EINVAL, "map '%s': 'values' must be an array of pointers", m->name);
	uint32_t inner_id = wd_btf_skip_mods(btf, p->type, true);
	inner = wd_btf_type(btf, inner_id);
	if (inner && btf_kind_of(inner) == BTF_KIND_FUNC_PROTO) {
		if (m->type != BPF_MAP_TYPE_PROG_ARRAY)
			return wd_err(-EINVAL, "map '%s': program values need BPF_MAP_TYPE_PROG_ARRAY", m->name);
		m->value_size = m->key_size = 4;
		return 0;
	}
	if (!inner || btf_kind_of(inner) != BTF_KIND_STRUCT)
		return wd_err(-EINVAL, "map '%s': inner map definition is not a struct", m->name);
	if (m->type != BPF_MAP_TYPE_ARRAY_OF_MAPS && m->type != BPF_MAP_TYPE_HASH_OF_MAPS)
		return wd_err(-EINVAL, "map '%s': inner maps need an *_OF_MAPS map type", m->name);
	/* The kernel refuses a map-in-map as an inner map (bpf_map_meta_alloc:
	 * EINVAL); refusing it here also ends a definition that holds itself. */
	if (m->is_inner)
		return wd_err(-EINVAL, "map '%s': an inner map cannot hold maps itself", m->name);
	struct wd_spec *s = c->spec;
	int outer = m - s->maps;
	struct wd_map_spec *im = PUSH(s->maps, s->nr_maps);
	if (!im)
		return -ENOMEM;
	m = &s->maps[outer]; /* PUSH may have moved the array */
	if (asprintf(&im->name, "%s.inner", m->name) < 0)
		return -ENOMEM;
	im->is_inner = true;
	im->inner = -1;
	m->inner = s->nr_maps - 1;
	m->value_size = 4;
	return parse_btf_map_def(c, im, inner_id);
}

static int parse_btf_map_def(struct elf_ctx *c, struct wd_map_spec *m, uint32_t def_id)
{
	struct wd_spec *s = c->spec;
	const struct wd_btf *btf = s->btf;
	const struct btf_type *def = wd_btf_type(btf, def_id);
	const struct btf_member *mem = btf_extra(def);
	int idx = m - s->maps, err;
	for (int i = 0; i < btf_vlen_of(def); i++) {
		const char *f = wd_btf_str(btf, mem[i].name_off);
		uint32_t v = 0;
		m = &s->maps[idx];
		if (!strcmp(f, "key") || !strcmp(f, "value")) {
			const struct btf_type *p = wd_btf_type(btf, mem[i].type);
			int64_t sz;
			if (btf_kind_of(p) != BTF_KIND_PTR || (sz = wd_btf_size(btf, p->type)) < 0)
				return wd_err(-EINVAL, "map '%s': '%s' type has no size", m->name, f);
			if (sz > UINT32_MAX)
				return wd_err(-E2BIG, "map '%s': '%s' is %lld bytes, more than a map "
					      "can hold", m->name, f, (long long)sz);
			if (!strcmp(f, "key"))
				m->key_size = sz, m->btf_key_type_id = p->type;
			else
				m->value_size = sz, m->btf_value_type_id = p->type;
			continue;
		}
		if (!strcmp(f, "values")) {
			if ((err = parse_map_values(c, m, mem[i].type)))
				return err;
			continue;
		}
		if (btf_uint_member(btf, mem[i].type, &v))
			return wd_err(-EINVAL, "map '%s': field '%s' is not __uint()", m->name, f);
		if (!strcmp(f, "type")) m->type = v;
		else if (!strcmp(f, "max_entries")) m->max_entries = v;
		else if (!strcmp(f, "map_flags")) m->map_flags = v;
		else if (!strcmp(f, "numa_node")) m->numa_node = v;
		else if (!strcmp(f, "key_size")) m->key_size = v;
		else if (!strcmp(f, "value_size")) m->value_size = v;
		else if (!strcmp(f, "pinning")) m->pinning = v;
		else if (!strcmp(f, "map_extra")) m->map_extra = v;
		else
			return wd_err(-EINVAL, "map '%s': unknown field '%s'", m->name, f);
	}
	m = &s->maps[idx];
	if (m->pinning > 1)
		return wd_err(-EINVAL, "map '%s': pinning %u unsupported (0 none, 1 by name)",
			      m->name, m->pinning);
	return 0;
}

static int collect_btf_maps(struct elf_ctx *c)
{
	struct wd_spec *s = c->spec;
	uint32_t sec_id;
	const struct btf_type *sec;
	if (!c->maps_idx)
		return 0;
	if (!s->btf || !(sec_id = wd_btf_find(s->btf, ".maps", BTF_KIND_DATASEC)))
		return wd_err(-EINVAL, "section .maps needs BTF: build with clang -g");
	sec = wd_btf_type(s->btf, sec_id);
	for (int i = 0; i < btf_vlen_of(sec); i++) {
		const struct btf_var_secinfo *vs = (const struct btf_var_secinfo *)btf_extra(sec) + i;
		const struct btf_type *var = wd_btf_type(s->btf, vs->type);
		const char *name = wd_btf_name(s->btf, vs->type);
		uint32_t def_id;
		GElf_Sym sym;
		struct wd_map_spec *m;
		int err;
		if (btf_kind_of(var) != BTF_KIND_VAR)
			return wd_err(-EINVAL, ".maps: member %d is not a variable", i);
		def_id = wd_btf_skip_mods(s->btf, var->type, true);
		if (!def_id || btf_kind_of(wd_btf_type(s->btf, def_id)) != BTF_KIND_STRUCT)
			return wd_err(-EINVAL, "map '%s': definition is not a struct", name);
		if (!sym_by_name_in(c, name, c->maps_idx, &sym))
			return wd_err(-EINVAL, "map '%s': no symbol in .maps", name);
		if (!(m = PUSH(s->maps, s->nr_maps)))
			return -ENOMEM;
		m->name = strdup(name);
		m->inner = -1;
		m->elf_sec = c->maps_idx;
		m->sym_off = sym.st_value;
		if (!m->name)
			return -ENOMEM;
		if ((err = parse_btf_map_def(c, m, def_id)))
			return err;
	}
	return 0;
}

/* struct bpf_map_def: type, key_size, value_size, max_entries, map_flags. */
#define LEGACY_MAP_DEF_SIZE 20

static int collect_legacy_maps(struct elf_ctx *c)
{
	struct wd_spec *s = c->spec;
	Elf_Data *d;
	size_t nr = 0, rec;
	if (!c->legacy_maps_idx)
		return 0;
	d = sec_data(c, c->legacy_maps_idx);
	for (size_t i = 1; i < c->nr_syms; i++) {
		GElf_Sym sym;
		if (get_sym(c, i, &sym) && sym.st_shndx == c->legacy_maps_idx &&
		    GELF_ST_TYPE(sym.st_info) != STT_SECTION)
			nr++;
	}
	if (!nr || !d || !d->d_buf || d->d_size % nr)
		return wd_err(-EINVAL, "section 'maps': %zu bytes for %zu map symbols", d ? d->d_size : 0, nr);
	rec = d->d_size / nr;
	if (rec < LEGACY_MAP_DEF_SIZE)
		return wd_err(-EINVAL, "section 'maps': map definition is %zu bytes, at least %d needed "
			      "(struct bpf_map_def)", rec, LEGACY_MAP_DEF_SIZE);
	for (size_t i = 1; i < c->nr_syms; i++) {
		GElf_Sym sym;
		struct wd_map_spec *m;
		const uint8_t *def;
		if (!get_sym(c, i, &sym) || sym.st_shndx != c->legacy_maps_idx ||
		    GELF_ST_TYPE(sym.st_info) == STT_SECTION)
			continue;
		if (!sym_name(c, &sym) || !*sym_name(c, &sym))
			return wd_err(-EINVAL, "section 'maps': map symbol %zu has no name", i);
		if (sym.st_value % rec || sym.st_value > d->d_size - rec)
			return wd_err(-EINVAL, "legacy map '%s': definition at offset %llu is not one of "
				      "the %zu-byte records of section 'maps'", sym_name(c, &sym),
				      (unsigned long long)sym.st_value, rec);
		def = (const uint8_t *)d->d_buf + sym.st_value;
		for (size_t b = LEGACY_MAP_DEF_SIZE; b < rec; b++)
			if (def[b])
				return wd_err(-EINVAL, "legacy map '%s': unknown non-zero fields past "
					      "struct bpf_map_def (%zu-byte records)", sym_name(c, &sym), rec);
		if (!(m = PUSH(s->maps, s->nr_maps)))
			return -ENOMEM;
		m->name = xstrdup(sym_name(c, &sym));
		m->inner = -1;
		m->elf_sec = c->legacy_maps_idx;
		m->sym_off = sym.st_value;
		memcpy(&m->type, def, 4);
		memcpy(&m->key_size, def + 4, 4);
		memcpy(&m->value_size, def + 8, 4);
		memcpy(&m->max_entries, def + 12, 4);
		memcpy(&m->map_flags, def + 16, 4);
		if (!m->name)
			return -ENOMEM;
	}
	return 0;
}

static int map_by_def_offset(struct elf_ctx *c, size_t shndx, uint64_t off)
{
	for (size_t i = 0; i < c->spec->nr_maps; i++) {
		const struct wd_map_spec *m = &c->spec->maps[i];
		if (!m->is_inner && m->kind == WD_MAP_USER && m->elf_sec == shndx && m->sym_off == off)
			return i;
	}
	return -1;
}

/* ---- externs ------------------------------------------------------------ */

static int find_extern_var(const struct wd_btf *btf, const char *name, enum wd_extern_kind *kind)
{
	static const char *const secs[] = { ".kconfig", ".ksyms" };
	for (int k = 0; k < 2; k++) {
		uint32_t id = wd_btf_find(btf, secs[k], BTF_KIND_DATASEC);
		const struct btf_type *sec = id ? wd_btf_type(btf, id) : NULL;
		for (int i = 0; sec && i < btf_vlen_of(sec); i++) {
			const struct btf_var_secinfo *vs = (const struct btf_var_secinfo *)btf_extra(sec) + i;
			if (!strcmp(wd_btf_name(btf, vs->type), name)) {
				*kind = k ? WD_EXT_KSYM : WD_EXT_KCONFIG;
				return vs->type;
			}
		}
	}
	return 0;
}

static int add_extern(struct elf_ctx *c, const char *name, const GElf_Sym *sym)
{
	struct wd_spec *s = c->spec;
	struct wd_extern *e;
	enum wd_extern_kind kind = WD_EXT_KSYM;
	int id = 0;
	if (!s->btf)
		return wd_err(-EINVAL, "extern '%s' needs BTF: build with clang -g", name);
	id = find_extern_var(s->btf, name, &kind);
	if (!id) {
		/* kfuncs: a BTF FUNC with extern linkage, no datasec */
		id = wd_btf_find(s->btf, name, BTF_KIND_FUNC);
		if (!id)
			return wd_err(-EINVAL, "extern '%s' is neither in .kconfig nor in .ksyms", name);
	}
	if (!(e = PUSH(s->externs, s->nr_externs)))
		return -ENOMEM;
	e->name = strdup(name);
	e->kind = kind;
	e->btf_id = id;
	e->weak = GELF_ST_BIND(sym->st_info) == STB_WEAK;
	e->is_func = btf_kind_of(wd_btf_type(s->btf, id)) == BTF_KIND_FUNC;
	e->type_id = wd_btf_skip_mods(s->btf, wd_btf_type(s->btf, id)->type, true);
	if (!e->name)
		return -ENOMEM;
	if (kind == WD_EXT_KCONFIG) {
		int64_t sz = wd_btf_size(s->btf, e->type_id);
		if (sz <= 0)
			return wd_err(-EINVAL, "kconfig extern '%s' has no size", name);
		if (sz > 256)
			return wd_err(-E2BIG, "kconfig extern '%s' is %lld bytes: kconfig values are "
				      "at most 256-byte strings", name, (long long)sz);
		e->size = sz;
	}
	return 0;
}

/* Natural alignment of a kconfig value: arrays align as their element. */
static uint32_t kconfig_align(const struct wd_btf *btf, const struct wd_extern *e)
{
	uint32_t id = e->type_id;
	const struct btf_type *t = wd_btf_type(btf, id);
	/* bounded: an array of itself is a loop (its size was refused already) */
	for (int depth = 0; t && btf_kind_of(t) == BTF_KIND_ARRAY && depth < 32; depth++) {
		id = wd_btf_skip_mods(btf, ((const struct btf_array *)btf_extra(t))->type, true);
		t = wd_btf_type(btf, id);
	}
	int64_t sz = wd_btf_size(btf, id);
	return sz >= 8 ? 8 : sz >= 4 ? 4 : sz >= 2 ? 2 : 1;
}

static const struct wd_spec *sort_spec;

/* libbpf's order, so both loaders agree on the layout: larger alignment
 * first, then smaller size, then name. */
static int cmp_kconfig(const void *a, const void *b)
{
	const struct wd_extern *x = &sort_spec->externs[*(const size_t *)a];
	const struct wd_extern *y = &sort_spec->externs[*(const size_t *)b];
	uint32_t ax = kconfig_align(sort_spec->btf, x), ay = kconfig_align(sort_spec->btf, y);
	if (ax != ay)
		return ax > ay ? -1 : 1;
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Lay .kconfig externs out in one read-only map. */
static int layout_kconfig(struct wd_spec *s)
{
	uint32_t off = 0;
	size_t n = 0, *order = malloc((s->nr_externs + 1) * sizeof(*order));
	struct wd_map_spec *m;
	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < s->nr_externs; i++)
		if (s->externs[i].kind == WD_EXT_KCONFIG)
			order[n++] = i;
	sort_spec = s;
	qsort(order, n, sizeof(*order), cmp_kconfig);
	for (size_t k = 0; k < n; k++) {
		struct wd_extern *e = &s->externs[order[k]];
		uint32_t align = kconfig_align(s->btf, e);
		off = (off + align - 1) & ~(align - 1);
		e->offset = off;
		off += e->size;
	}
	free(order);
	if (!off)
		return 0;
	if (!(m = PUSH(s->maps, s->nr_maps)))
		return -ENOMEM;
	m->name = data_map_name(s->name, ".kconfig");
	m->kind = WD_MAP_KCONFIG;
	m->type = BPF_MAP_TYPE_ARRAY;
	m->key_size = 4;
	m->value_size = off;
	m->max_entries = 1;
	m->map_flags = BPF_F_RDONLY_PROG;
	m->inner = -1;
	m->data = calloc(1, off);
	m->data_size = off;
	m->btf_value_type_id = wd_btf_find(s->btf, ".kconfig", BTF_KIND_DATASEC);
	s->kconfig_map = s->nr_maps - 1;
	return m->name && m->data ? 0 : -ENOMEM;
}

static int collect_externs(struct elf_ctx *c)
{
	for (size_t i = 1; i < c->nr_syms; i++) {
		GElf_Sym sym;
		const char *name;
		int err;
		if (!get_sym(c, i, &sym) || sym.st_shndx != SHN_UNDEF ||
		    GELF_ST_BIND(sym.st_info) == STB_LOCAL)
			continue;
		if (!(name = sym_name(c, &sym)) || !*name)
			continue;
		if ((err = add_extern(c, name, &sym)))
			return err;
	}
	return layout_kconfig(c->spec);
}

static int find_extern(const struct wd_spec *s, const char *name)
{
	for (size_t i = 0; i < s->nr_externs; i++)
		if (!strcmp(s->externs[i].name, name))
			return i;
	return -1;
}

/* ---- relocations -------------------------------------------------------- */

static int classify_reloc(struct elf_ctx *c, struct wd_code_sec *cs, struct wd_reloc *r,
			  const GElf_Sym *sym, const char *name)
{
	const struct bpf_insn *insn = &cs->insns[r->insn];
	size_t shndx = sym->st_shndx;
	r->sym_off = sym->st_value;
	if (!(r->sym_name = strdup(name)))
		return -ENOMEM;
	if (insn->code == (BPF_JMP | BPF_CALL)) {
		if (shndx == SHN_UNDEF) {
			r->kind = WD_RELOC_EXTERN;
			r->ext = find_extern(c->spec, name);
			return r->ext < 0 ? wd_err(-EINVAL, "call to unknown extern '%s'", name) : 0;
		}
		if (insn->src_reg != BPF_PSEUDO_CALL || shndx >= c->nr_elf_secs ||
		    c->sec_of_elf[shndx] < 0)
			return wd_err(-EINVAL, "call relocation against '%s', which is not code", name);
		r->kind = WD_RELOC_CALL;
		r->target_sec = c->sec_of_elf[shndx];
		return 0;
	}
	if (!insn_is_ld_imm64(insn) || r->insn + 1 >= cs->insn_cnt)
		return wd_err(-EINVAL, "relocation against '%s' at insn %u: not a 64-bit load or call",
			      name, r->insn);
	if (shndx == SHN_UNDEF) {
		r->kind = WD_RELOC_EXTERN;
		r->ext = find_extern(c->spec, name);
		return r->ext < 0 ? wd_err(-EINVAL, "reference to unknown extern '%s'", name) : 0;
	}
	if (shndx < c->nr_elf_secs && c->sec_of_elf[shndx] >= 0) {
		r->kind = WD_RELOC_FUNC_ADDR;
		r->target_sec = c->sec_of_elf[shndx];
		return 0;
	}
	if (shndx == c->maps_idx || (shndx == c->legacy_maps_idx && shndx)) {
		r->kind = WD_RELOC_MAP;
		r->map = map_by_def_offset(c, shndx, sym->st_value);
		return r->map < 0 ? wd_err(-EINVAL, "reference to '%s': no map defined there", name) : 0;
	}
	if (shndx < c->nr_elf_secs && c->map_of_elf[shndx] >= 0) {
		r->kind = WD_RELOC_DATA;
		r->map = c->map_of_elf[shndx];
		return 0;
	}
	GElf_Shdr sh;
	const char *sn = sec_name(c, shndx, &sh);
	return wd_err(-EINVAL, "relocation against '%s' in section '%s', which is not a map, "
		      "global data or code", name, sn ? sn : "?");
}

static int cmp_reloc(const void *a, const void *b)
{
	const struct wd_reloc *x = a, *y = b;
	return (x->insn > y->insn) - (x->insn < y->insn);
}

/* A relocation section's data, checked: entry size, size, readable. */
static Elf_Data *rel_data(struct elf_ctx *c, size_t rel_idx, size_t *nr)
{
	GElf_Shdr sh;
	const char *name = sec_name(c, rel_idx, &sh);
	Elf_Data *d;
	if (sh.sh_entsize != sizeof(Elf64_Rel) || sh.sh_size % sizeof(Elf64_Rel)) {
		wd_err(-EINVAL, "section '%s': entry size %llu and size %llu, expected %zu-byte "
		       "relocations", name, (unsigned long long)sh.sh_entsize,
		       (unsigned long long)sh.sh_size, sizeof(Elf64_Rel));
		return NULL;
	}
	if (!(d = sec_data(c, rel_idx)) || d->d_size != sh.sh_size) {
		wd_err(-EINVAL, "section '%s': cannot read its relocations: %s", name, elf_errmsg(-1));
		return NULL;
	}
	*nr = sh.sh_size / sizeof(Elf64_Rel);
	return d;
}

static int bad_rel_sym(struct elf_ctx *c, size_t i, const char *what, const GElf_Rel *rel)
{
	return wd_err(-EINVAL, "relocation %zu of '%s': symbol index %llu past the symbol table "
		      "(%zu symbols)", i, what, (unsigned long long)GELF_R_SYM(rel->r_info), c->nr_syms);
}

static int collect_code_relocs(struct elf_ctx *c, size_t rel_idx, struct wd_code_sec *cs)
{
	size_t nr = 0;
	Elf_Data *d = rel_data(c, rel_idx, &nr);
	if (!d)
		return -EINVAL;
	for (size_t i = 0; i < nr; i++) {
		GElf_Rel rel;
		GElf_Sym sym;
		struct wd_reloc *r;
		const char *name;
		int err;
		if (!gelf_getrel(d, i, &rel))
			return wd_err(-EINVAL, "relocation %zu of '%s' unreadable: %s", i, cs->name,
				      elf_errmsg(-1));
		if (!get_sym(c, GELF_R_SYM(rel.r_info), &sym))
			return bad_rel_sym(c, i, cs->name, &rel);
		if (rel.r_offset % 8 || rel.r_offset / 8 >= cs->insn_cnt)
			return wd_err(-EINVAL, "relocation %zu of '%s': offset %lu out of range",
				      i, cs->name, (unsigned long)rel.r_offset);
		name = sym_name(c, &sym);
		if (!(r = PUSH(cs->relocs, cs->nr_relocs)))
			return -ENOMEM;
		r->insn = rel.r_offset / 8;
		if ((err = classify_reloc(c, cs, r, &sym, name ? name : "?"))) {
			wd_err_prefix("section '%s': ", cs->name);
			return err;
		}
	}
	if (cs->nr_relocs > 1)
		qsort(cs->relocs, cs->nr_relocs, sizeof(*cs->relocs), cmp_reloc);
	return 0;
}

/* .rel.maps: initial slots of prog arrays and map-in-maps. */
static int collect_map_init_relocs(struct elf_ctx *c, size_t rel_idx)
{
	struct wd_spec *s = c->spec;
	size_t nr = 0;
	Elf_Data *d = rel_data(c, rel_idx, &nr);
	if (!d)
		return -EINVAL;
	for (size_t i = 0; i < nr; i++) {
		GElf_Rel rel;
		GElf_Sym sym;
		struct wd_map_spec *m = NULL;
		if (!gelf_getrel(d, i, &rel))
			return wd_err(-EINVAL, ".rel.maps: relocation %zu unreadable", i);
		if (!get_sym(c, GELF_R_SYM(rel.r_info), &sym))
			return bad_rel_sym(c, i, ".maps", &rel);
		/* The map whose definition holds r_offset: the last one at or before it. */
		for (size_t k = 0; k < s->nr_maps; k++) {
			struct wd_map_spec *cand = &s->maps[k];
			if (cand->kind == WD_MAP_USER && !cand->is_inner && cand->elf_sec == c->maps_idx &&
			    cand->sym_off <= rel.r_offset && (!m || cand->sym_off > m->sym_off))
				m = cand;
		}
		if (!m || !s->btf)
			return wd_err(-EINVAL, ".rel.maps: relocation outside any map");
		uint32_t var = wd_btf_find(s->btf, m->name, BTF_KIND_VAR);
		uint32_t def = wd_btf_skip_mods(s->btf, wd_btf_type(s->btf, var)->type, true);
		const struct btf_type *dt = wd_btf_type(s->btf, def);
		const struct btf_member *mem = btf_extra(dt);
		int vi = -1;
		if (!var || btf_kind_of(dt) != BTF_KIND_STRUCT)
			return wd_err(-EINVAL, "map '%s': initial values without a BTF definition", m->name);
		for (int k = 0; k < btf_vlen_of(dt); k++)
			if (!strcmp(wd_btf_str(s->btf, mem[k].name_off), "values"))
				vi = k;
		if (vi < 0)
			return wd_err(-EINVAL, "map '%s': initial values without a 'values' field", m->name);
		uint64_t base = m->sym_off + btf_member_bit_off(dt, &mem[vi]) / 8;
		if (rel.r_offset < base || (rel.r_offset - base) % 8)
			return wd_err(-EINVAL, "map '%s': misplaced initial value", m->name);
		void *p = grow(m->init, m->nr_init, sizeof(*m->init));
		if (!p)
			return -ENOMEM;
		m->init = p;
		m->init[m->nr_init].slot = (rel.r_offset - base) / 8;
		if (!sym_name(c, &sym))
			return wd_err(-EINVAL, "map '%s': initial value %zu names no symbol", m->name, i);
		m->init[m->nr_init].target = xstrdup(sym_name(c, &sym));
		if (!m->init[m->nr_init++].target)
			return -ENOMEM;
		if (m->init[m->nr_init - 1].slot >= m->max_entries)
			return wd_err(-EINVAL, "map '%s': initial value at slot %u past max_entries %u",
				      m->name, m->init[m->nr_init - 1].slot, m->max_entries);
	}
	return 0;
}

/* .rel.struct_ops(.link): a function pointer member names a program. */
static int collect_st_ops_relocs(struct elf_ctx *c, size_t rel_idx, size_t sec_idx, const char *sec)
{
	struct wd_spec *s = c->spec;
	size_t nr = 0;
	Elf_Data *d = rel_data(c, rel_idx, &nr);
	if (!d)
		return -EINVAL;
	for (size_t i = 0; i < nr; i++) {
		GElf_Rel rel;
		GElf_Sym sym;
		struct wd_map_spec *m = NULL;
		const struct wd_func *f = NULL;
		if (!gelf_getrel(d, i, &rel))
			return wd_err(-EINVAL, "relocation %zu of '%s' unreadable", i, sec);
		if (!get_sym(c, GELF_R_SYM(rel.r_info), &sym))
			return bad_rel_sym(c, i, sec, &rel);
		for (size_t k = 0; k < s->nr_maps && !m; k++) {
			struct wd_map_spec *cand = &s->maps[k];
			if (cand->kind == WD_MAP_STRUCT_OPS && cand->elf_sec == sec_idx &&
			    rel.r_offset >= cand->sym_off && rel.r_offset - cand->sym_off < cand->data_size)
				m = cand;
		}
		if (!m)
			return wd_err(-EINVAL, "section '%s': relocation at %llu lies in no ops table",
				      sec, (unsigned long long)rel.r_offset);
		if (sym.st_shndx < c->nr_elf_secs && c->sec_of_elf[sym.st_shndx] >= 0 &&
		    sym.st_value % 8 == 0)
			f = wd_spec_func_at(s, c->sec_of_elf[sym.st_shndx], sym.st_value / 8);
		const char *sn = sym_name(c, &sym);
		if (!f || !f->is_prog)
			return wd_err(-EINVAL, "map '%s': member at offset %llu names '%s', which is not "
				      "a program (put the function in SEC(\"struct_ops/...\"))", m->name,
				      (unsigned long long)(rel.r_offset - m->sym_off), sn ? sn : "?");
		void *p = grow(m->st_ops_funcs, m->nr_st_ops_funcs, sizeof(*m->st_ops_funcs));
		if (!p)
			return -ENOMEM;
		m->st_ops_funcs = p;
		m->st_ops_funcs[m->nr_st_ops_funcs].off = rel.r_offset - m->sym_off;
		if (!(m->st_ops_funcs[m->nr_st_ops_funcs++].prog = xstrdup(f->name)))
			return -ENOMEM;
	}
	return 0;
}

static int collect_relocs(struct elf_ctx *c)
{
	for (size_t idx = 1; idx < c->nr_elf_secs; idx++) {
		GElf_Shdr sh, tsh;
		int err = 0;
		const char *name = sec_name(c, idx, &sh), *sn;
		if (!name || sh.sh_type != SHT_REL)
			continue;
		if (sh.sh_link != c->symtab_idx)
			return wd_err(-EINVAL, "section '%s': relocations against section %u, not the "
				      "symbol table (%zu)", name, sh.sh_link, c->symtab_idx);
		if (sh.sh_info < c->nr_elf_secs && c->sec_of_elf[sh.sh_info] >= 0)
			err = collect_code_relocs(c, idx, &c->spec->secs[c->sec_of_elf[sh.sh_info]]);
		else if (sh.sh_info == c->maps_idx && c->maps_idx)
			err = collect_map_init_relocs(c, idx);
		else if (sh.sh_info < c->nr_elf_secs && (sn = sec_name(c, sh.sh_info, &tsh)) &&
			 is_struct_ops_sec(sn))
			err = collect_st_ops_relocs(c, idx, sh.sh_info, sn);
		if (err)
			return err;
	}
	return 0;
}

/* ---- BTF fixups -------------------------------------------------------- */

/* clang leaves DATASEC sizes (and, for some versions, var offsets) for the
 * linker; fill them from the ELF sections and symbols so the kernel accepts
 * the BTF.  .kconfig gets the layout chosen by layout_kconfig(). */
static int fixup_datasecs(struct elf_ctx *c)
{
	struct wd_btf *btf = c->spec->btf;
	for (uint32_t id = 1; btf && id < wd_btf_type_cnt(btf); id++) {
		struct btf_type *t = wd_btf_type_mut(btf, id);
		const char *name = wd_btf_name(btf, id);
		size_t shndx = 0;
		if (btf_kind_of(t) != BTF_KIND_DATASEC)
			continue;
		if (!strcmp(name, ".kconfig") || !strcmp(name, ".ksyms")) {
			struct btf_var_secinfo *vs = btf_extra(t);
			bool ksyms = name[1] == 'k' && name[2] == 's';
			uint32_t size = 0;
			for (int i = 0; i < btf_vlen_of(t); i++) {
				int e = find_extern(c->spec, wd_btf_name(btf, vs[i].type));
				struct btf_type *var = wd_btf_type_mut(btf, vs[i].type);
				if (e < 0 || btf_kind_of(var) != BTF_KIND_VAR)
					continue;
				/* .ksyms has no memory of its own: lay vars out one after another */
				vs[i].offset = ksyms ? size : c->spec->externs[e].offset;
				/* The kernel rejects extern linkage (only static/global). */
				((struct btf_var *)btf_extra(var))->linkage = BTF_VAR_GLOBAL_ALLOCATED;
				if (vs[i].offset + vs[i].size > size)
					size = vs[i].offset + vs[i].size;
			}
			t->size = size;
			continue;
		}
		for (size_t i = 1; i < c->nr_elf_secs; i++) {
			GElf_Shdr sh;
			const char *sn = sec_name(c, i, &sh);
			if (sn && !strcmp(sn, name)) {
				shndx = i;
				t->size = sh.sh_size;
				break;
			}
		}
		if (!shndx)
			continue;
		struct btf_var_secinfo *vs = btf_extra(t);
		for (int i = 0; i < btf_vlen_of(t); i++) {
			GElf_Sym sym;
			if (sym_by_name_in(c, wd_btf_name(btf, vs[i].type), shndx, &sym))
				vs[i].offset = sym.st_value;
		}
	}
	return 0;
}

/* ---- entry -------------------------------------------------------------- */

static void object_name(const char *name, char *out, size_t size)
{
	const char *base = strrchr(name, '/');
	snprintf(out, size, "%s", base ? base + 1 : name);
	char *dot = strchr(out, '.');
	if (dot)
		*dot = '\0';
}

static int parse(struct elf_ctx *c)
{
	int err;
	if ((err = check_elf_header(c)))
		return err;
	c->sec_of_elf = malloc(c->nr_elf_secs * sizeof(int));
	c->map_of_elf = malloc(c->nr_elf_secs * sizeof(int));
	if (!c->sec_of_elf || !c->map_of_elf)
		return -ENOMEM;
	memset(c->sec_of_elf, 0xff, c->nr_elf_secs * sizeof(int));
	memset(c->map_of_elf, 0xff, c->nr_elf_secs * sizeof(int));
	if ((err = walk_sections(c)) || (err = collect_funcs(c)) ||
	    (err = collect_btf_maps(c)) || (err = collect_legacy_maps(c)) ||
	    (err = collect_externs(c)) || (err = collect_relocs(c)) ||
	    (err = fixup_datasecs(c)))
		return err;
	/* As libbpf: no license section is the license "" (not GPL-compatible);
	 * the kernel then refuses GPL-only helpers, and the load error says why. */
	if (!c->spec->license[0])
		wd_debug("no 'license' section: programs load as non-GPL");
	if (c->btf_ext_data && c->btf_ext_data->d_buf && c->spec->btf)
		return wd_btf_ext_parse(c->spec, c->btf_ext_data->d_buf, c->btf_ext_data->d_size);
	return 0;
}

int wd_spec_parse(const void *buf, size_t size, const char *name, struct wd_spec **out)
{
	struct elf_ctx c = { .file_size = size };
	char oname[64];
	int err;
	*out = NULL;
	if (!(c.spec = calloc(1, sizeof(*c.spec))))
		return nomem("spec");
	object_name(name ? name : "obj", oname, sizeof(oname));
	c.spec->name = strdup(oname);
	c.spec->kconfig_map = -1;
	elf_version(EV_CURRENT);
	/* Read in place: libelf reads `buf` (ELF_C_READ_MMAP) and never writes
	 * it; what the spec keeps (instructions, data, BTF) it copies once. */
	c.elf = elf_memory((char *)buf, size);
	err = !c.spec->name ? nomem("name") : c.elf ? parse(&c) :
	      wd_err(-EINVAL, "not an ELF file: %s", elf_errmsg(-1));
	if (c.elf)
		elf_end(c.elf);
	free(c.sec_of_elf);
	free(c.map_of_elf);
	if (err) {
		wd_err_default(err);
		wd_spec_free(c.spec);
		return err;
	}
	*out = c.spec;
	return 0;
}

/* Open without blocking (a FIFO would wait for a writer forever), then
 * refuse what is not a regular file before reading a byte of it. */
static int open_regular(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY), err;
	if (fd < 0)
		return wd_err(-errno, "%s", strerror(errno));
	if (fstat(fd, st)) {
		err = -errno;
		close(fd);
		return wd_err(err, "fstat: %s", strerror(-err));
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return wd_err(-EINVAL, "not a regular file (%s): give the path of a BPF object (.o)",
			      S_ISFIFO(st->st_mode) ? "a FIFO" : S_ISDIR(st->st_mode) ? "a directory" :
			      S_ISCHR(st->st_mode) ? "a character device" : S_ISSOCK(st->st_mode) ?
			      "a socket" : S_ISBLK(st->st_mode) ? "a block device" : "special");
	}
	if (st->st_size == 0) {
		close(fd);
		return wd_err(-EINVAL, "empty file");
	}
	return fd;
}

int wd_spec_parse_file(const char *path, const char *name, struct wd_spec **out)
{
	struct stat st;
	void *map;
	int fd, err;
	*out = NULL;
	wd_err_clear();
	if ((fd = open_regular(path, &st)) < 0) {
		wd_err_prefix("'%s': ", path);
		return fd;
	}
	/* Mapped, not read: a sparse 2 GB file costs the pages parsed, and
	 * the sizes in it are checked against st_size before they are used. */
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	err = map == MAP_FAILED ? -errno : 0;
	close(fd);
	if (err) {
		wd_err(err, "'%s': mmap of %lld bytes: %s", path, (long long)st.st_size, strerror(-err));
		return err;
	}
	err = wd_spec_parse(map, st.st_size, name ? name : path, out);
	munmap(map, st.st_size);
	if (err)
		wd_err_prefix("'%s': ", path);
	return err;
}
