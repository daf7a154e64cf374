// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Spec accessors: lookups over a parsed spec (lib/spec/spec.h) and its
 * release.  Pure data, no syscall; elf.c builds the spec, btf_ext.c and the
 * layers above read it through these.
 */
#include <stdlib.h>
#include <string.h>
#include "spec.h"

const struct wd_func *wd_spec_func_at(const struct wd_spec *spec, int sec, uint32_t insn)
{
	for (size_t i = 0; i < spec->nr_funcs; i++)
		if (spec->funcs[i].sec == sec && spec->funcs[i].off == insn)
			return &spec->funcs[i];
	return NULL;
}

const struct wd_func *wd_spec_func_containing(const struct wd_spec *spec, int sec, uint32_t insn)
{
	for (size_t i = 0; i < spec->nr_funcs; i++) {
		const struct wd_func *f = &spec->funcs[i];
		if (f->sec == sec && insn >= f->off && insn < f->off + f->cnt)
			return f;
	}
	return NULL;
}

int wd_spec_find_map(const struct wd_spec *spec, const char *name)
{
	for (size_t i = 0; i < spec->nr_maps; i++)
		if (!strcmp(spec->maps[i].name, name))
			return i;
	return -1;
}

int wd_spec_find_sec(const struct wd_spec *spec, const char *name)
{
	for (size_t i = 0; i < spec->nr_secs; i++)
		if (!strcmp(spec->secs[i].name, name))
			return i;
	return -1;
}

void wd_spec_free(struct wd_spec *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nr_secs; i++) {
		struct wd_code_sec *cs = &s->secs[i];
		free(cs->name);
		free(cs->insns);
		for (size_t k = 0; k < cs->nr_relocs; k++)
			free(cs->relocs[k].sym_name);
		free(cs->relocs);
		free(cs->func_info);
		free(cs->line_info);
		free(cs->core_relos);
	}
	for (size_t i = 0; i < s->nr_funcs; i++)
		free(s->funcs[i].name);
	for (size_t i = 0; i < s->nr_maps; i++) {
		for (size_t k = 0; k < s->maps[i].nr_init; k++)
			free(s->maps[i].init[k].target);
		free(s->maps[i].init);
		for (size_t k = 0; k < s->maps[i].nr_st_ops_funcs; k++)
			free(s->maps[i].st_ops_funcs[k].prog);
		free(s->maps[i].st_ops_funcs);
		free(s->maps[i].name);
		free(s->maps[i].data);
	}
	for (size_t i = 0; i < s->nr_externs; i++)
		free(s->externs[i].name);
	free(s->secs);
	free(s->funcs);
	free(s->maps);
	free(s->externs);
	free(s->name);
	wd_btf_free(s->btf);
	free(s);
}
