// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * warden inspect FILE.o: what the object says, without touching the kernel.
 * It reads the spec through the public read-only API (warden/spec.h).
 */
#include <getopt.h>
#include <string.h>
#include "cli.h"
#include "warden/spec.h"
#include "warden/warden.h"
#include "warden/core.h"
#include "warden/features.h"

static const char inspect_usage[] =
	"usage: warden inspect [--resolve] [--btf FILE] FILE.o\n"
	"       warden inspect --sections\n"
	"\n"
	"Show the programs (section, type, instructions), maps, global data,\n"
	"relocations, CO-RE relocations and BTF of FILE.o.  Nothing is loaded.\n"
	"--resolve shows what each CO-RE relocation resolves to on this kernel,\n"
	"or on the kernel whose BTF is FILE with --btf (raw BTF, or an ELF file\n"
	"with .BTF: a vmlinux, a BTFHub file).  --sections prints the section\n"
	"names warden accepts and the program type of each.\n";

static const char *const reloc_kind_names[] = {
	[WD_RELOC_MAP] = "map", [WD_RELOC_DATA] = "data", [WD_RELOC_CALL] = "call",
	[WD_RELOC_FUNC_ADDR] = "func", [WD_RELOC_EXTERN] = "extern",
};

static const char *map_kind_name(enum wd_map_kind k)
{
	static const char *const n[] = { "map", ".data", ".rodata", ".bss", ".kconfig", ".struct_ops" };
	return (size_t)k < sizeof(n) / sizeof(n[0]) ? n[k] : "?";
}

static void print_sections_table(void)
{
	unsigned int n;
	const struct wd_sec_def *d = wd_sec_defs(&n);
	printf("%-26s %-24s %s\n", "SECTION", "PROGRAM TYPE", "TARGET");
	for (unsigned int i = 0; i < n; i++)
		printf("%-26s %-24s %s\n", d[i].prefix, wd_prog_type_name(d[i].prog_type),
		       d[i].flags & WD_SEC_EXACT ? "-" : "/<target>");
}

static void print_progs(const struct wd_object *obj)
{
	const struct wd_spec *s = wd_object_spec(obj);
	const struct wd_prog *p;
	int wn = 24, ws = 28;

	/* columns as wide as the longest name (names past 24 characters are common) */
	for (size_t i = 0; i < s->nr_funcs; i++)
		wn = (int)strlen(s->funcs[i].name) > wn ? (int)strlen(s->funcs[i].name) : wn;
	wd_object_for_each_prog(p, obj)
		ws = (int)strlen(wd_prog_section(p)) > ws ? (int)strlen(wd_prog_section(p)) : ws;
	if (s->nr_funcs)
		printf("programs:\n");
	wd_object_for_each_prog(p, obj)
		printf("  %-*s %-*s %-16s %5u insns\n", wn, wd_prog_name(p), ws, wd_prog_section(p),
		       wd_prog_type(p) ? wd_prog_type_name(wd_prog_type(p)) : "unknown-section",
		       wd_prog_func(p)->cnt);
	for (size_t i = 0; i < s->nr_funcs; i++) {
		const struct wd_func *f = &s->funcs[i];
		if (!f->is_prog)
			printf("  %-*s %-*s %-16s %5u insns\n", wn, f->name, ws, ".text",
			       f->global ? "subprog (global)" : "subprog", f->cnt);
	}
}

static void print_maps(const struct wd_object *obj)
{
	const struct wd_spec *s = wd_object_spec(obj);
	int w = 24;

	for (size_t i = 0; i < s->nr_maps; i++)
		w = (int)strlen(s->maps[i].name) > w ? (int)strlen(s->maps[i].name) : w;
	if (s->nr_maps)
		printf("maps:\n");
	for (size_t i = 0; i < s->nr_maps; i++) {
		const struct wd_map_spec *m = &s->maps[i];
		printf("  %-*s %-16s key %-4u value %-6u max %-6u flags 0x%x%s%s\n", w, m->name,
		       wd_map_type_name(m->type), m->key_size, m->value_size, m->max_entries,
		       m->map_flags, m->kind ? "  " : "", m->kind ? map_kind_name(m->kind) : "");
		for (size_t k = 0; k < m->nr_init; k++)
			printf("    [%u] = %s\n", m->init[k].slot, m->init[k].target);
		for (size_t k = 0; k < m->nr_st_ops_funcs; k++)
			printf("    +%u = %s\n", m->st_ops_funcs[k].off, m->st_ops_funcs[k].prog);
	}
}

static void print_globals(const struct wd_object *obj)
{
	const struct wd_spec *s = wd_object_spec(obj);
	const struct wd_btf *btf = s->btf;
	bool header = false;
	for (size_t i = 0; i < s->nr_maps; i++) {
		const struct wd_map_spec *m = &s->maps[i];
		if (m->kind == WD_MAP_USER || !btf || !m->btf_value_type_id)
			continue;
		if (!header)
			printf("global data:\n");
		header = true;
		const struct btf_type *sec = wd_btf_type(btf, m->btf_value_type_id);
		const struct btf_var_secinfo *vs = btf_extra(sec);
		for (int k = 0; k < btf_vlen_of(sec); k++)
			printf("  %-24s %-16s offset %-5u size %u\n", wd_btf_name(btf, vs[k].type),
			       m->name, vs[k].offset, vs[k].size);
	}
}

/* What a call or callback relocation reaches: the function at its target. */
static const char *reloc_target(const struct wd_spec *s, const struct wd_code_sec *cs,
				const struct wd_reloc *r)
{
	const struct bpf_insn *in = &cs->insns[r->insn];
	const struct wd_func *f = NULL;
	long target = -1;

	if (r->kind == WD_RELOC_CALL)
		target = (long)(r->sym_off / 8) + in->imm + 1;
	else if (r->kind == WD_RELOC_FUNC_ADDR)
		target = (long)(r->sym_off + (uint64_t)(int64_t)in->imm) / 8;
	if (target >= 0)
		f = wd_spec_func_containing(s, r->target_sec, (uint32_t)target);
	if (f)
		return f->name;
	return r->sym_name && r->sym_name[0] ? r->sym_name : "?";
}

static void print_relocs(const struct wd_object *obj)
{
	const struct wd_spec *s = wd_object_spec(obj);
	int w = 12;
	bool header = false;

	for (size_t i = 0; i < s->nr_secs; i++)
		if (s->secs[i].nr_relocs && (int)strlen(s->secs[i].name) > w)
			w = (int)strlen(s->secs[i].name);
	for (size_t i = 0; i < s->nr_secs; i++) {
		const struct wd_code_sec *cs = &s->secs[i];
		for (size_t k = 0; k < cs->nr_relocs; k++) {
			const struct wd_reloc *r = &cs->relocs[k];
			if (!header)
				printf("relocations:\n");
			header = true;
			printf("  %-*s insn %-5u %-6s %s\n", w, cs->name, r->insn,
			       reloc_kind_names[r->kind], reloc_target(s, cs, r));
		}
	}
}

static int print_core_relo(const struct wd_core_relo_info *i, void *ctx)
{
	bool *header = ctx;
	if (!*header)
		printf("CO-RE relocations:\n");
	*header = true;
	printf("  %-20s insn %-5u %-15s %-44s \"%s\"", i->program, i->insn, i->kind_name,
	       i->path, i->access);
	if (!i->resolved)
		printf("\n");
	else if (i->error)
		printf("\n      error: %s\n", i->message);
	else if (i->poisoned)
		printf("\n      -> not found on target: instruction poisoned (local %llu)\n",
		       (unsigned long long)i->local_value);
	else
		printf("\n      -> %llu (local %llu)%s%s\n", (unsigned long long)i->target_value,
		       (unsigned long long)i->local_value, i->target[0] ? " in " : "", i->target);
	return 0;
}

static int print_core(const struct wd_object *obj, bool resolve)
{
	bool header = false;
	int err = wd_object_core_relos(obj, resolve, print_core_relo, &header);
	if (err)
		return cli_fail("inspect", "%s", wd_errmsg());
	return 0;
}

static void print_btf(const struct wd_object *obj)
{
	const struct wd_spec *s = wd_object_spec(obj);
	size_t fi = 0, li = 0, cr = 0;
	for (size_t i = 0; i < s->nr_secs; i++) {
		fi += s->secs[i].nr_func_info;
		li += s->secs[i].nr_line_info;
		cr += s->secs[i].nr_core_relos;
	}
	if (!s->btf) {
		printf("BTF: none (built without -g)\n");
		return;
	}
	printf("BTF: %u types; .BTF.ext: %zu func_info, %zu line_info, %zu CO-RE relocations\n",
	       wd_btf_type_cnt(s->btf) - 1, fi, li, cr);
}

static int cmd_inspect(int argc, char **argv)
{
	struct wd_open_opts o = { .sz = sizeof(o) };
	struct wd_object *obj;
	const char *path = NULL;
	bool resolve = false;
	int err;
	if (argc == 2 && cli_is_help(argv[1])) {
		fputs(inspect_usage, stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--sections")) {
		print_sections_table();
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--resolve"))
			resolve = true;
		else if (!strcmp(argv[i], "--btf") && i + 1 < argc)
			o.btf_path = argv[++i];
		else if (argv[i][0] == '-' || path)
			return cli_usage_error("inspect", "unexpected argument '%s'", argv[i]);
		else
			path = argv[i];
	}
	if (!path)
		return cli_usage_error("inspect", "expected one object file");
	if (o.btf_path && !resolve)
		return cli_usage_error("inspect", "--btf FILE is the target of --resolve: give both");
	obj = wd_object_open(path, &o);
	if (!obj)
		return cli_fail("inspect", "%s", wd_errmsg());
	printf("object: %s  license: %s  kern_version: 0x%x\n", wd_object_name(obj),
	       wd_object_spec(obj)->license, wd_object_spec(obj)->kern_version);
	print_progs(obj);
	print_maps(obj);
	print_globals(obj);
	print_relocs(obj);
	err = print_core(obj, resolve);
	print_btf(obj);
	wd_object_close(obj);
	return err;
}

WD_CLI_COMMAND("inspect", cmd_inspect, "show the programs, maps, relocations and BTF of an object");
