// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The object's BTF in the kernel: rewritten for what this kernel accepts
 * (probed, never guessed from a version).  Skipped when the kernel has no
 * BTF at all; when the kernel refuses the object's BTF, the load goes on
 * without it but never silently: a warning with the kernel's reason goes to
 * the debug callback and to wd_object_note(), and a map or program that
 * then fails says that it may need the refused BTF.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"
#include "host/probe.h"
#include "warden/features.h"

static void probe_support(struct wd_btf_support *sup)
{
	sup->func = wd_probe_btf_kind(BTF_KIND_FUNC) == 1;
	sup->func_global = wd_probe_btf_kind(WD_BTF_FUNC_GLOBAL) == 1;
	sup->datasec = wd_probe_btf_kind(BTF_KIND_DATASEC) == 1;
	sup->float_ = wd_probe_btf_kind(BTF_KIND_FLOAT) == 1;
	sup->decl_tag = wd_probe_btf_kind(BTF_KIND_DECL_TAG) == 1;
	sup->type_tag = wd_probe_btf_kind(BTF_KIND_TYPE_TAG) == 1;
	sup->enum64 = wd_probe_btf_kind(BTF_KIND_ENUM64) == 1;
}

/* ---- externs: rewritten as libbpf 1.x does (bpf_object__collect_externs) ---- */

/* Bytes after struct btf_type for each kind (raw BTF, sanitized). */
static size_t type_extra(const struct btf_type *t)
{
	int vlen = btf_vlen_of(t);
	switch (btf_kind_of(t)) {
	case BTF_KIND_INT: case BTF_KIND_VAR: case BTF_KIND_DECL_TAG: return 4;
	case BTF_KIND_ARRAY: return 12;
	case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_DATASEC:
	case BTF_KIND_ENUM64: return vlen * 12;
	case BTF_KIND_ENUM: case BTF_KIND_FUNC_PROTO: return vlen * 8;
	default: return 0;
	}
}

struct raw_btf {
	uint8_t *buf;
	size_t size;
	struct btf_header *hdr;
	struct btf_type **types;   /* by id; [0] unused */
	uint32_t nr;               /* ids 1..nr */
};

static int raw_index(struct raw_btf *r)
{
	uint8_t *p = r->buf + r->hdr->hdr_len + r->hdr->type_off;
	uint8_t *end = p + r->hdr->type_len;
	size_t cap = 64;
	r->nr = 0;
	r->types = malloc(cap * sizeof(*r->types));
	if (!r->types)
		return -ENOMEM;
	while (p + sizeof(struct btf_type) <= end) {
		if (r->nr + 2 > cap) {
			struct btf_type **n = realloc(r->types, (cap *= 2) * sizeof(*n));
			if (!n)
				return -ENOMEM;
			r->types = n;
		}
		r->types[++r->nr] = (struct btf_type *)p;
		p += sizeof(struct btf_type) + type_extra((struct btf_type *)p);
	}
	return 0;
}

static const char *raw_name(const struct raw_btf *r, uint32_t off)
{
	return off < r->hdr->str_len ? (const char *)r->buf + r->hdr->hdr_len + r->hdr->str_off + off : "";
}

static uint32_t find_int4(const struct raw_btf *r)
{
	for (uint32_t id = 1; id <= r->nr; id++)
		if (btf_kind_of(r->types[id]) == BTF_KIND_INT && r->types[id]->size == 4)
			return id;
	return 0;
}

static int cmp_secinfo_offset(const void *a, const void *b)
{
	const struct btf_var_secinfo *x = a, *y = b;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* The kernel wants a DATASEC's variables in ascending offsets
 * (btf_datasec_resolve(): "Invalid offset"); .kconfig is laid out by size
 * and alignment, not in declaration order.  libbpf sorts them as well
 * (btf_fixup_datasec()). */
static void sort_datasecs(struct raw_btf *r)
{
	for (uint32_t id = 1; id <= r->nr; id++) {
		struct btf_type *t = r->types[id];
		if (btf_kind_of(t) == BTF_KIND_DATASEC && btf_vlen_of(t) > 1)
			qsort(btf_extra(t), btf_vlen_of(t), sizeof(struct btf_var_secinfo),
			      cmp_secinfo_offset);
	}
}

/*
 * The kernel refuses FUNCs with extern linkage ("Invalid func linkage",
 * btf_func_check_meta()) and .ksyms variables laid out by clang ("Invalid
 * offset"/"Invalid size" in btf_datasec_resolve()).  As libbpf: an extern
 * func becomes global (static where global funcs are unknown, before 5.6),
 * its unnamed parameters get a name (the kernel wants one per argument),
 * and every .ksyms entry becomes a 4-byte int variable "dummy_ksym" (funcs)
 * or of its own name (vars), one after another.  Types appended at the end
 * keep every existing id.  Returns the new buffer (old freed) or NULL.
 */
/* A global subprogram with hidden visibility (__hidden, as in usdt.bpf.h)
 * cannot be called from outside the object: libbpf marks its BTF FUNC static
 * (bpf_object__sanitize_and_load_btf(), "mark_btf_static"), so the verifier
 * checks it with its callers' context instead of as a global function
 * (whose pointer arguments are "mem_or_null"). */
static void mark_hidden_subprogs_static(struct raw_btf *r, const struct wd_spec *s)
{
	for (size_t i = 0; i < s->nr_funcs; i++) {
		const struct wd_func *f = &s->funcs[i];
		if (f->is_prog || !f->global || !f->hidden)
			continue;
		for (uint32_t id = 1; id <= r->nr; id++) {
			struct btf_type *t = r->types[id];
			if (btf_kind_of(t) == BTF_KIND_FUNC && !strcmp(raw_name(r, t->name_off), f->name)) {
				t->info = BTF_INFO_ENC(BTF_KIND_FUNC, 0, BTF_FUNC_STATIC);
				break;
			}
		}
	}
}

static uint8_t *rewrite_externs(uint8_t *buf, size_t *size, const struct wd_btf_support *sup,
				const struct wd_spec *spec)
{
	static const char dummy[] = "dummy_ksym";
	struct raw_btf r = { .buf = buf, .size = *size, .hdr = (struct btf_header *)buf };
	uint32_t int_id, var_id, extra_types = 0, dummy_off = r.hdr->str_len;
	bool changed = false;
	uint8_t *out = NULL;
	if (raw_index(&r)) {
		free(r.types);
		return buf;
	}
	int_id = find_int4(&r);
	if (!int_id)
		int_id = r.nr + ++extra_types;
	var_id = r.nr + ++extra_types;
	for (uint32_t id = 1; id <= r.nr; id++) {
		struct btf_type *t = r.types[id];
		if (btf_kind_of(t) == BTF_KIND_FUNC && btf_vlen_of(t) == BTF_FUNC_EXTERN) {
			t->info = BTF_INFO_ENC(BTF_KIND_FUNC, 0, sup->func_global ? BTF_FUNC_GLOBAL
									: BTF_FUNC_STATIC);
			if (t->type && t->type <= r.nr &&
			    btf_kind_of(r.types[t->type]) == BTF_KIND_FUNC_PROTO) {
				struct btf_type *proto = r.types[t->type];
				struct btf_param *p = btf_extra(proto);
				for (int i = 0; i < btf_vlen_of(proto); i++)
					if (p[i].type && !p[i].name_off)
						p[i].name_off = dummy_off;
			}
			changed = true;
		}
		if (btf_kind_of(t) == BTF_KIND_DATASEC && !strcmp(raw_name(&r, t->name_off), ".ksyms")) {
			struct btf_var_secinfo *vs = btf_extra(t);
			for (int i = 0; i < btf_vlen_of(t); i++) {
				struct btf_type *v = vs[i].type <= r.nr ? r.types[vs[i].type] : NULL;
				if (v && btf_kind_of(v) == BTF_KIND_FUNC) {
					vs[i].type = var_id;
				} else if (v && btf_kind_of(v) == BTF_KIND_VAR) {
					((struct btf_var *)btf_extra(v))->linkage = BTF_VAR_GLOBAL_ALLOCATED;
					v->type = int_id;
				}
				vs[i].offset = i * 4;
				vs[i].size = 4;
			}
			t->size = btf_vlen_of(t) * 4;
			changed = true;
		}
	}
	sort_datasecs(&r);
	mark_hidden_subprogs_static(&r, spec);
	free(r.types);
	if (!changed)
		return buf;
	/* header, types, [int], dummy var, strings + "dummy_ksym" */
	size_t add_types = (extra_types == 2 ? sizeof(struct btf_type) + 4 : 0) + sizeof(struct btf_type) + 4;
	size_t hl = r.hdr->hdr_len, tl = r.hdr->type_len, sl = r.hdr->str_len;
	out = malloc(hl + tl + add_types + sl + sizeof(dummy));
	if (!out)
		return buf;
	memcpy(out, buf, hl);
	memcpy(out + hl, buf + hl + r.hdr->type_off, tl);
	uint8_t *p = out + hl + tl;
	if (extra_types == 2) {
		struct btf_type it = { .name_off = 0, .info = BTF_INFO_ENC(BTF_KIND_INT, 0, 0), .size = 4 };
		uint32_t enc = BTF_INT_ENC(BTF_INT_SIGNED, 0, 32);
		memcpy(p, &it, sizeof(it));
		memcpy(p + sizeof(it), &enc, 4);
		p += sizeof(it) + 4;
	}
	struct btf_type vt = { .name_off = dummy_off, .info = BTF_INFO_ENC(BTF_KIND_VAR, 0, 0), .type = int_id };
	uint32_t linkage = BTF_VAR_GLOBAL_ALLOCATED;
	memcpy(p, &vt, sizeof(vt));
	memcpy(p + sizeof(vt), &linkage, 4);
	p += sizeof(vt) + 4;
	memcpy(p, buf + hl + r.hdr->str_off, sl);
	memcpy(p + sl, dummy, sizeof(dummy));
	struct btf_header *oh = (struct btf_header *)out;
	oh->type_off = 0;
	oh->type_len = tl + add_types;
	oh->str_off = oh->type_len;
	oh->str_len = sl + sizeof(dummy);
	*size = hl + oh->type_len + oh->str_len;
	free(buf);
	return out;
}

/* ---- load -------------------------------------------------------------------- */

/* The kernel's last log line: the reason it gives. */
static void kernel_reason(const void *raw, size_t size, char *out, size_t out_size)
{
	char *log = malloc(1 << 16), *last;
	snprintf(out, out_size, "no reason given");
	if (!log)
		return;
	memset(log, 0, 1 << 16); /* filled by a failing bpf(2): see prog_load.c */
	/* The kernel may accept the BTF this time (a transient failure, or an
	 * injected one): the run is for the log only, so close what it made. */
	int fd = wd_sys_btf_load(raw, size, log, 1 << 16, 1);
	if (fd >= 0)
		close(fd);
	last = log[0] ? strrchr(log, '\n') : NULL;
	while (last && last > log && last[1] == '\0') {
		*last = '\0';
		last = strrchr(log, '\n');
	}
	if (log[0])
		snprintf(out, out_size, "%s", last ? last + 1 : log);
	free(log);
}

int wd_object_load_btf(struct wd_object *obj)
{
	struct wd_btf_support sup;
	char reason[200];
	size_t size;
	uint8_t *raw;
	int fd;
	obj->btf_note[0] = '\0';
	if (!obj->spec->btf)
		return 0;
	if (wd_probe_btf() != 1) {
		wd_debug("object '%s': kernel has no BTF support, loading without BTF", obj->name);
		return 0;
	}
	probe_support(&sup);
	if (!sup.func) {
		/* 4.18-4.20: BTF without FUNC is of no use for programs. */
		wd_debug("object '%s': kernel BTF lacks FUNC, loading without BTF", obj->name);
		return 0;
	}
	raw = wd_btf_sanitized(obj->spec->btf, &sup, &size);
	if (!raw)
		return -ENOMEM;
	raw = rewrite_externs(raw, &size, &sup, obj->spec);
	fd = wd_sys_btf_load(raw, size, NULL, 0, 0);
	if (fd < 0) {
		kernel_reason(raw, size, reason, sizeof(reason));
		snprintf(obj->btf_note, sizeof(obj->btf_note),
			 "object '%s': the kernel refused its BTF (%s: %s); programs load without "
			 "source lines (func_info/line_info)", obj->name, strerror(-fd), reason);
		wd_debug("warning: %s", obj->btf_note);
		fd = -1;
	}
	free(raw);
	obj->btf_fd = fd;
	return 0;
}

const char *wd_object_note(const struct wd_object *obj)
{
	return obj && obj->btf_note[0] ? obj->btf_note : NULL;
}
