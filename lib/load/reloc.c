// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Program assembly: copy the program's instructions, append every
 * subprogram it reaches (bpf-to-bpf calls, callbacks), fix call offsets,
 * resolve map, global-data and extern references, and carry func/line info
 * along.  wd_asm_build() is pure: it reads the section instructions it is
 * given (after CO-RE for a load, as parsed for diagnostics) and writes only
 * its output, so `warden load` and `warden verify` assemble the same way.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"
#include "internal.h"

struct asm_ctx {
	const struct wd_prog *prog;
	struct wd_object *obj;
	const struct bpf_insn *const *secs;
	struct bpf_insn *out;
	size_t cnt, cap;
	struct wd_placed *placed;
	size_t nr_placed, cap_placed;
	struct wd_asm *res;
};

static const struct wd_reloc *find_reloc(const struct wd_code_sec *cs, uint32_t insn)
{
	size_t lo = 0, hi = cs->nr_relocs;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cs->relocs[mid].insn < insn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < cs->nr_relocs && cs->relocs[lo].insn == insn ? &cs->relocs[lo] : NULL;
}


/* Place a function in the program (once) and return its start. */
static long place(struct asm_ctx *c, const struct wd_func *f)
{
	for (size_t i = 0; i < c->nr_placed; i++)
		if (c->placed[i].func == f)
			return c->placed[i].start;
	if (c->cnt + f->cnt > c->cap) {
		size_t cap = (c->cnt + f->cnt) * 2;
		struct bpf_insn *n = realloc(c->out, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		c->out = n;
		c->cap = cap;
	}
	if (c->nr_placed == c->cap_placed) {
		size_t cap = c->cap_placed ? c->cap_placed * 2 : 8;
		struct wd_placed *n = realloc(c->placed, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		c->placed = n;
		c->cap_placed = cap;
	}
	if (f->cnt) /* the spec has no empty function; c->out may still be NULL */
		memcpy(c->out + c->cnt, c->secs[f->sec] + f->off, f->cnt * sizeof(struct bpf_insn));
	c->placed[c->nr_placed++] = (struct wd_placed){ f, c->cnt };
	c->cnt += f->cnt;
	return c->placed[c->nr_placed - 1].start;
}

static int relocate_func(struct asm_ctx *c, size_t idx);

/* Point the jump/ld_imm64 at `at` to section `sec` instruction `target`.
 * A function placed for the first time is relocated at once (depth first,
 * the order libbpf uses, so both loaders produce the same program). */
static int link_to(struct asm_ctx *c, size_t at, int sec, long target, const char *what)
{
	const struct wd_func *f;
	size_t before = c->nr_placed;
	long start;
	if (target < 0 || !(f = wd_spec_func_containing(c->obj->spec, sec, target)))
		return wd_err(-EINVAL, "program '%s': %s at insn %zu points outside any function",
			      c->prog->name, what, at);
	if ((start = place(c, f)) < 0)
		return start;
	c->out[at].imm = start + (target - f->off) - (long)(at + 1);
	if (c->nr_placed > before)
		return relocate_func(c, c->nr_placed - 1);
	return 0;
}

static int resolve_extern(struct asm_ctx *c, size_t at, const struct wd_reloc *r)
{
	const struct wd_spec *s = c->obj->spec;
	const struct wd_extern *e = &s->externs[r->ext];
	struct bpf_insn *insn = &c->out[at];
	if (e->kind == WD_EXT_KCONFIG) {
		insn[0].src_reg = BPF_PSEUDO_MAP_VALUE;
		insn[0].imm = c->obj->maps[s->kconfig_map].fd;
		insn[1].imm = e->offset;
		return 0;
	}
	/* __ksym variables and kfuncs: lib/ksym.c */
	return wd_ksym_resolve(c->obj, e, insn, c->prog->name);
}

static int apply_reloc(struct asm_ctx *c, size_t at, const struct wd_func *f,
		       const struct wd_reloc *r)
{
	struct bpf_insn *insn = &c->out[at];
	const struct wd_map *m;
	switch (r->kind) {
	case WD_RELOC_MAP:
		m = &c->obj->maps[r->map];
		insn[0].src_reg = BPF_PSEUDO_MAP_FD;
		insn[0].imm = m->fd;
		insn[1].imm = 0;
		return 0;
	case WD_RELOC_DATA:
		m = &c->obj->maps[r->map];
		/* Offset: the symbol's value plus clang's addend in imm. */
		insn[1].imm = r->sym_off + (uint32_t)insn[0].imm;
		insn[0].src_reg = BPF_PSEUDO_MAP_VALUE;
		insn[0].imm = m->fd;
		return 0;
	case WD_RELOC_CALL:
		return link_to(c, at, r->target_sec, r->sym_off / 8 + insn->imm + 1, "call");
	case WD_RELOC_FUNC_ADDR:
		insn[0].src_reg = BPF_PSEUDO_FUNC;
		insn[1].imm = 0;
		return link_to(c, at, r->target_sec, (r->sym_off + insn->imm) / 8, "callback");
	case WD_RELOC_EXTERN:
		return resolve_extern(c, at, r);
	}
	(void)f;
	return -EINVAL;
}

static int relocate_func(struct asm_ctx *c, size_t idx)
{
	const struct wd_func *f = c->placed[idx].func;
	const struct wd_code_sec *cs = &c->obj->spec->secs[f->sec];
	for (uint32_t k = 0; k < f->cnt; k++) {
		size_t at = c->placed[idx].start + k;
		uint32_t sec_insn = f->off + k;
		const struct wd_reloc *r = find_reloc(cs, sec_insn);
		int err = 0;
		if (r) {
			err = apply_reloc(c, at, f, r);
		} else if (insn_is_pseudo_call(&c->out[at])) {
			/* call inside the same section: imm is already relative */
			err = link_to(c, at, f->sec, (long)sec_insn + c->out[at].imm + 1, "call");
		} else if (insn_is_ld_imm64(&c->out[at]) && c->out[at].src_reg == BPF_PSEUDO_FUNC) {
			err = link_to(c, at, f->sec, (long)sec_insn + c->out[at].imm + 1, "callback");
		}
		if (err) {
			if (err != -ENOMEM && r && r->sym_name)
				wd_err_prefix("relocation against '%s': ", r->sym_name);
			return err;
		}
		if (insn_is_ld_imm64(&c->out[at]))
			k++; /* second half of a 16-byte load */
	}
	return 0;
}

/* func_info and line_info of each placed function, shifted to its start. */
static int collect_btf_info(struct asm_ctx *c)
{
	struct wd_asm *a = c->res;
	size_t nf = 0, nl = 0;
	for (size_t i = 0; i < c->nr_placed; i++) {
		const struct wd_code_sec *cs = &c->obj->spec->secs[c->placed[i].func->sec];
		nf += cs->nr_func_info;
		nl += cs->nr_line_info;
	}
	a->func_info = calloc(nf ? nf : 1, sizeof(*a->func_info));
	a->line_info = calloc(nl ? nl : 1, sizeof(*a->line_info));
	if (!a->func_info || !a->line_info)
		return -ENOMEM;
	for (size_t i = 0; i < c->nr_placed; i++) {
		const struct wd_func *f = c->placed[i].func;
		const struct wd_code_sec *cs = &c->obj->spec->secs[f->sec];
		for (size_t k = 0; k < cs->nr_func_info; k++) {
			struct bpf_func_info fi = cs->func_info[k];
			if (fi.insn_off < f->off || fi.insn_off >= f->off + f->cnt)
				continue;
			fi.insn_off = fi.insn_off - f->off + c->placed[i].start;
			a->func_info[a->nr_func_info++] = fi;
		}
		for (size_t k = 0; k < cs->nr_line_info; k++) {
			struct bpf_line_info li = cs->line_info[k];
			if (li.insn_off < f->off || li.insn_off >= f->off + f->cnt)
				continue;
			li.insn_off = li.insn_off - f->off + c->placed[i].start;
			a->line_info[a->nr_line_info++] = li;
		}
	}
	return 0;
}

void wd_asm_free(struct wd_asm *a)
{
	free(a->insns);
	free(a->func_info);
	free(a->line_info);
	free(a->placed);
	memset(a, 0, sizeof(*a));
}

int wd_asm_build(const struct wd_prog *prog, const struct bpf_insn *const *secs, bool btf_info,
		 struct wd_asm *out)
{
	struct asm_ctx c = { .prog = prog, .obj = prog->obj, .secs = secs, .res = out };
	long err;

	memset(out, 0, sizeof(*out));
	err = place(&c, prog->func);
	if (err >= 0)
		err = relocate_func(&c, 0);
	if (err >= 0 && btf_info)
		err = collect_btf_info(&c);
	out->insns = c.out;
	out->insn_cnt = c.cnt;
	out->placed = c.placed;
	out->nr_placed = c.nr_placed;
	if (err < 0) {
		wd_asm_free(out);
		if (err != -ENOMEM)
			wd_err_prefix("program '%s': ", prog->name);
		return err;
	}
	return 0;
}

/* The load path: the sections after CO-RE; line and func info only when
 * the object's BTF is in the kernel (it rejects them without). */
int wd_prog_assemble(struct wd_prog *prog)
{
	struct wd_asm a;
	int err = wd_asm_build(prog, (const struct bpf_insn *const *)prog->obj->sec_insns,
			       prog->obj->btf_fd >= 0, &a);
	if (err)
		return err;
	wd_asm_free(&prog->img);
	prog->img = a;
	return 0;
}
