// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CO-RE specs: parse an access string against the local BTF, match it in a
 * target type, compute the relocated value.  See core.h.  Every walk is
 * bounded (access strings by WD_CORE_SPEC_MAX, type recursion by a level),
 * so looping or hostile BTF ends in an error, never a hang.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core_spec.h"
#include "sys/error.h"

#define COMPAT_LEVEL 32

static const char *const kind_names[] = {
	[BPF_CORE_FIELD_BYTE_OFFSET] = "byte_off", [BPF_CORE_FIELD_BYTE_SIZE] = "byte_sz",
	[BPF_CORE_FIELD_EXISTS] = "field_exists", [BPF_CORE_FIELD_SIGNED] = "signed",
	[BPF_CORE_FIELD_LSHIFT_U64] = "lshift_u64", [BPF_CORE_FIELD_RSHIFT_U64] = "rshift_u64",
	[BPF_CORE_TYPE_ID_LOCAL] = "local_type_id", [BPF_CORE_TYPE_ID_TARGET] = "target_type_id",
	[BPF_CORE_TYPE_EXISTS] = "type_exists", [BPF_CORE_TYPE_SIZE] = "type_size",
	[BPF_CORE_ENUMVAL_EXISTS] = "enumval_exists", [BPF_CORE_ENUMVAL_VALUE] = "enumval_value",
	[12] = "type_matches",
};

const char *wd_core_kind_name(uint32_t kind)
{
	return kind < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[kind] : "unknown";
}

bool wd_core_kind_field(uint32_t kind)
{
	return kind <= BPF_CORE_FIELD_RSHIFT_U64;
}

bool wd_core_kind_type(uint32_t kind)
{
	return (kind >= BPF_CORE_TYPE_ID_LOCAL && kind <= BPF_CORE_TYPE_SIZE) || kind == 12;
}

bool wd_core_kind_enumval(uint32_t kind)
{
	return kind == BPF_CORE_ENUMVAL_EXISTS || kind == BPF_CORE_ENUMVAL_VALUE;
}

/* "task_struct___old" -> 11: the name up to the last "X___Y" separator. */
size_t wd_core_essential_len(const char *name)
{
	size_t n = strlen(name);
	for (long i = (long)n - 5; i >= 0; i--) {
		const char *s = name + i;
		if (s[0] != '_' && s[1] == '_' && s[2] == '_' && s[3] == '_' && s[4] != '_')
			return i + 1;
	}
	return n;
}

static bool essential_eq(const char *a, const char *b)
{
	size_t la = wd_core_essential_len(a), lb = wd_core_essential_len(b);
	return la == lb && !strncmp(a, b, la);
}

/* Skip typedefs and modifiers; NULL for a bad id or a loop.  void (id 0)
 * is a type here: wd_btf_skip_mods() returns 0 for both void and a loop. */
static const struct btf_type *skip(const struct wd_btf *btf, uint32_t id, uint32_t *out)
{
	for (int depth = 0; depth < COMPAT_LEVEL; depth++) {
		const struct btf_type *t = wd_btf_type(btf, id);
		if (!t)
			return NULL;
		switch (btf_kind_of(t)) {
		case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE: case BTF_KIND_CONST:
		case BTF_KIND_RESTRICT: case BTF_KIND_TYPE_TAG:
			id = t->type;
			continue;
		}
		if (out)
			*out = id;
		return t;
	}
	return NULL;
}

static bool is_any_enum(const struct btf_type *t)
{
	return btf_kind_of(t) == BTF_KIND_ENUM || btf_kind_of(t) == BTF_KIND_ENUM64;
}

static bool kinds_compat(const struct btf_type *a, const struct btf_type *b)
{
	return btf_kind_of(a) == btf_kind_of(b) || (is_any_enum(a) && is_any_enum(b));
}

static uint32_t int_enc(const struct btf_type *t) { return *(const uint32_t *)btf_extra(t); }

static bool int_plain(const struct btf_type *t)
{
	return BTF_INT_OFFSET(int_enc(t)) == 0;
}

/* Name of enumerator i of an enum or enum64. */
static const char *enumerator_name(const struct wd_btf *btf, const struct btf_type *t, int i)
{
	const uint32_t *e = btf_extra(t);
	uint32_t off = btf_kind_of(t) == BTF_KIND_ENUM ? e[i * 2] : e[i * 3];
	const char *s = wd_btf_str(btf, off);
	return s ? s : "";
}

static uint64_t enumerator_val(const struct btf_type *t, int i)
{
	const uint32_t *e = btf_extra(t);
	if (btf_kind_of(t) == BTF_KIND_ENUM)
		return (uint64_t)(int64_t)(int32_t)e[i * 2 + 1]; /* sign-extended, as libbpf */
	return (uint64_t)e[i * 3 + 2] << 32 | e[i * 3 + 1];
}

/* ---- compatibility ------------------------------------------------------ */

/* Both anonymous-tolerant (fields) and flavor-insensitive. */
static bool names_compat(const struct wd_btf *lb, uint32_t loff, const struct wd_btf *tb, uint32_t toff)
{
	const char *l = wd_btf_str(lb, loff), *t = wd_btf_str(tb, toff);
	l = l ? l : "";
	t = t ? t : "";
	return !*l || !*t || essential_eq(l, t);
}

/* Strict: an anonymous target only matches an anonymous local. */
static bool names_match(const struct wd_btf *lb, uint32_t loff, const struct wd_btf *tb, uint32_t toff)
{
	const char *l = wd_btf_str(lb, loff), *t = wd_btf_str(tb, toff);
	l = l ? l : "";
	t = t ? t : "";
	if (!*t)
		return !*l;
	return essential_eq(l, t);
}

/* Types of a local field and its target namesake: same shape where it matters. */
static int fields_compat(const struct wd_btf *lb, uint32_t lid, const struct wd_btf *tb, uint32_t tid)
{
	for (int depth = 0; depth < COMPAT_LEVEL; depth++) {
		const struct btf_type *l = skip(lb, lid, &lid), *t = skip(tb, tid, &tid);
		if (!l || !t)
			return wd_err(-EINVAL, "CO-RE: type loop or bad id under [%u]/[%u]", lid, tid);
		if (btf_is_composite(l) && btf_is_composite(t))
			return 1;
		if (!kinds_compat(l, t))
			return 0;
		switch (btf_kind_of(l)) {
		case BTF_KIND_PTR: case BTF_KIND_FLOAT:
			return 1;
		case BTF_KIND_FWD: case BTF_KIND_ENUM: case BTF_KIND_ENUM64:
			return names_compat(lb, l->name_off, tb, t->name_off);
		case BTF_KIND_INT:
			return int_plain(l) && int_plain(t);
		case BTF_KIND_ARRAY:
			lid = ((const struct btf_array *)btf_extra(l))->type;
			tid = ((const struct btf_array *)btf_extra(t))->type;
			continue;
		default:
			return 0;
		}
	}
	return wd_err(-ELOOP, "CO-RE: field types nest too deep");
}

int wd_core_types_compat(const struct wd_btf *lb, uint32_t lid, const struct wd_btf *tb,
			 uint32_t tid, int level)
{
	for (; level > 0; level--) {
		const struct btf_type *l = skip(lb, lid, &lid), *t = skip(tb, tid, &tid);
		if (!l || !t)
			return wd_err(-EINVAL, "CO-RE: type loop or bad id under [%u]/[%u]", lid, tid);
		if (!kinds_compat(l, t))
			return 0;
		switch (btf_kind_of(l)) {
		case BTF_KIND_UNKN: case BTF_KIND_STRUCT: case BTF_KIND_UNION:
		case BTF_KIND_ENUM: case BTF_KIND_ENUM64: case BTF_KIND_FWD: case BTF_KIND_FLOAT:
			return 1;
		case BTF_KIND_INT:
			return int_plain(l) && int_plain(t);
		case BTF_KIND_PTR:
			lid = l->type;
			tid = t->type;
			continue;
		case BTF_KIND_ARRAY:
			lid = ((const struct btf_array *)btf_extra(l))->type;
			tid = ((const struct btf_array *)btf_extra(t))->type;
			continue;
		case BTF_KIND_FUNC_PROTO: {
			const struct btf_param *lp = btf_extra(l), *tp = btf_extra(t);
			if (btf_vlen_of(l) != btf_vlen_of(t))
				return 0;
			for (int i = 0; i < btf_vlen_of(l); i++) {
				int r = wd_core_types_compat(lb, lp[i].type, tb, tp[i].type, level - 1);
				if (r <= 0)
					return r;
			}
			lid = l->type;
			tid = t->type;
			continue;
		}
		default:
			return 0;
		}
	}
	return wd_err(-ELOOP, "CO-RE: types nest too deep to compare");
}

static int enums_match(const struct wd_btf *lb, const struct btf_type *l, const struct wd_btf *tb,
		       const struct btf_type *t)
{
	if (l->size != t->size)
		return 0;
	for (int i = 0; i < btf_vlen_of(l); i++) {
		const char *ln = enumerator_name(lb, l, i);
		bool found = false;
		for (int k = 0; k < btf_vlen_of(t) && !found; k++) {
			if (!essential_eq(ln, enumerator_name(tb, t, k)))
				continue;
			if (enumerator_val(l, i) != enumerator_val(t, k))
				return 0;
			found = true;
		}
		if (!found)
			return 0;
	}
	return 1;
}

static int composites_match(const struct wd_btf *lb, const struct btf_type *l,
			    const struct wd_btf *tb, const struct btf_type *t, bool behind_ptr, int level)
{
	const struct btf_member *lm = btf_extra(l), *tm = btf_extra(t);
	if (btf_kind_of(l) != btf_kind_of(t))
		return 0;
	for (int i = 0; i < btf_vlen_of(l); i++) {
		bool found = false;
		for (int k = 0; k < btf_vlen_of(t) && !found; k++) {
			int r;
			if (!names_match(lb, lm[i].name_off, tb, tm[k].name_off))
				continue;
			if (btf_member_bitfield_size(l, &lm[i]) != btf_member_bitfield_size(t, &tm[k]))
				continue;
			r = wd_core_types_match(lb, lm[i].type, tb, tm[k].type, behind_ptr, level - 1);
			if (r < 0)
				return r;
			found = r > 0;
		}
		if (!found)
			return 0;
	}
	return 1;
}

/* Forward declarations vs. composites: kflag says union (1) or struct (0). */
static int fwd_match(const struct btf_type *l, const struct btf_type *t, bool behind_ptr)
{
	bool lf = btf_kflag_of(l);
	if (btf_kind_of(t) == BTF_KIND_FWD)
		return lf == btf_kflag_of(t);
	if (!behind_ptr)
		return 0;
	return (btf_kind_of(t) == BTF_KIND_STRUCT && !lf) || (btf_kind_of(t) == BTF_KIND_UNION && lf);
}

int wd_core_types_match(const struct wd_btf *lb, uint32_t lid, const struct wd_btf *tb,
			uint32_t tid, bool behind_ptr, int level)
{
	for (; level > 0; level--) {
		const struct btf_type *l = skip(lb, lid, &lid), *t = skip(tb, tid, &tid);
		int lk, tk;
		if (!l || !t)
			return wd_err(-EINVAL, "CO-RE: type loop or bad id under [%u]/[%u]", lid, tid);
		if (!names_match(lb, l->name_off, tb, t->name_off))
			return 0;
		lk = btf_kind_of(l);
		tk = btf_kind_of(t);
		switch (lk) {
		case BTF_KIND_UNKN:
			return lk == tk;
		case BTF_KIND_FWD:
			return fwd_match(l, t, behind_ptr);
		case BTF_KIND_ENUM: case BTF_KIND_ENUM64:
			return is_any_enum(t) && enums_match(lb, l, tb, t);
		case BTF_KIND_STRUCT: case BTF_KIND_UNION:
			if (behind_ptr) {
				if (lk == tk)
					return 1;
				return tk == BTF_KIND_FWD && (lk == BTF_KIND_UNION) == btf_kflag_of(t);
			}
			return composites_match(lb, l, tb, t, behind_ptr, level);
		case BTF_KIND_INT:
			return lk == tk && l->size == t->size &&
			       (BTF_INT_ENCODING(int_enc(l)) & BTF_INT_SIGNED) ==
			       (BTF_INT_ENCODING(int_enc(t)) & BTF_INT_SIGNED);
		case BTF_KIND_PTR:
			if (lk != tk)
				return 0;
			behind_ptr = true;
			lid = l->type;
			tid = t->type;
			continue;
		case BTF_KIND_ARRAY: {
			const struct btf_array *la = btf_extra(l), *ta = btf_extra(t);
			if (lk != tk || la->nelems != ta->nelems)
				return 0;
			lid = la->type;
			tid = ta->type;
			continue;
		}
		case BTF_KIND_FUNC_PROTO: {
			const struct btf_param *lp = btf_extra(l), *tp = btf_extra(t);
			if (lk != tk || btf_vlen_of(l) != btf_vlen_of(t))
				return 0;
			for (int i = 0; i < btf_vlen_of(l); i++) {
				int r = wd_core_types_match(lb, lp[i].type, tb, tp[i].type, behind_ptr, level - 1);
				if (r <= 0)
					return r;
			}
			lid = l->type;
			tid = t->type;
			continue;
		}
		default:
			return 0;
		}
	}
	return wd_err(-ELOOP, "CO-RE: types nest too deep to match");
}

/* ---- local spec ------------------------------------------------------------ */

static int parse_access(const char *s, struct wd_core_spec *spec)
{
	while (*s) {
		char *end;
		unsigned long v;
		if (*s == ':')
			s++;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = strtoul(s, &end, 10);
		if (v > INT32_MAX || spec->raw_len == WD_CORE_SPEC_MAX)
			return -E2BIG;
		spec->raw[spec->raw_len++] = v;
		s = end;
		if (*s && *s != ':')
			return -EINVAL;
	}
	return spec->raw_len ? 0 : -EINVAL;
}

/* A zero-length array as the last member: accessible past its size. */
static bool is_flex_arr(const struct wd_btf *btf, const struct wd_core_acc *acc,
			const struct btf_array *a)
{
	if (!acc->name || a->nelems > 0)
		return false;
	return acc->idx == (uint32_t)btf_vlen_of(wd_btf_type(btf, acc->type_id)) - 1;
}

static int add_bits(uint32_t *bit_off, uint64_t idx, int64_t sz)
{
	uint64_t v = idx * (uint64_t)sz * 8 + *bit_off;
	if (sz < 0)
		return (int)sz;
	if (v > UINT32_MAX)
		return -E2BIG;
	*bit_off = v;
	return 0;
}

static int parse_step(const struct wd_btf *btf, struct wd_core_spec *spec, uint32_t *id, uint32_t idx)
{
	const struct btf_type *t = skip(btf, *id, id);
	struct wd_core_acc *acc = &spec->acc[spec->len];
	if (!t)
		return -EINVAL;
	if (btf_is_composite(t)) {
		const struct btf_member *m = btf_extra(t);
		if (idx >= (uint32_t)btf_vlen_of(t))
			return -EINVAL;
		spec->bit_offset += btf_member_bit_off(t, &m[idx]);
		if (m[idx].name_off) {
			const char *name = wd_btf_str(btf, m[idx].name_off);
			if (!name || !*name)
				return -EINVAL;
			*acc = (struct wd_core_acc){ *id, idx, name };
			spec->len++;
		}
		*id = m[idx].type;
		return 0;
	}
	if (btf_kind_of(t) == BTF_KIND_ARRAY) {
		const struct btf_array *a = btf_extra(t);
		bool flex = spec->len > 0 && is_flex_arr(btf, acc - 1, a);
		if (!skip(btf, a->type, id))
			return -EINVAL;
		if (!flex && idx >= a->nelems)
			return -EINVAL;
		*acc = (struct wd_core_acc){ *id, idx, NULL };
		spec->len++;
		return add_bits(&spec->bit_offset, idx, wd_btf_size(btf, *id));
	}
	return -EINVAL;
}

int wd_core_parse_spec(const struct wd_btf *btf, const struct bpf_core_relo *relo,
		       struct wd_core_spec *spec)
{
	const char *s = wd_btf_str(btf, relo->access_str_off);
	const struct btf_type *t;
	uint32_t id;
	int err;
	memset(spec, 0, sizeof(*spec));
	spec->btf = btf;
	spec->root_type_id = relo->type_id;
	spec->kind = relo->kind;
	if (!s || (err = parse_access(s, spec)))
		return wd_err(-EINVAL, "CO-RE: bad access string '%s'", s ? s : "(offset out of range)");
	if (wd_core_kind_type(relo->kind))
		return strcmp(s, "0") ? wd_err(-EINVAL, "CO-RE: type relocation with access '%s'", s) : 0;
	if (!(t = skip(btf, relo->type_id, &id)))
		return wd_err(-EINVAL, "CO-RE: type id %u out of range or a loop", relo->type_id);
	spec->acc[0] = (struct wd_core_acc){ id, spec->raw[0], NULL };
	spec->len = 1;
	if (wd_core_kind_enumval(relo->kind)) {
		if (!is_any_enum(t) || spec->raw_len > 1 || spec->raw[0] >= (uint32_t)btf_vlen_of(t))
			return wd_err(-EINVAL, "CO-RE: enum relocation '%s' on [%u], not an enumerator",
				      s, relo->type_id);
		spec->acc[0].name = enumerator_name(btf, t, spec->raw[0]);
		return 0;
	}
	if (!wd_core_kind_field(relo->kind))
		return wd_err(-EINVAL, "CO-RE: unknown relocation kind %u", relo->kind);
	if ((err = add_bits(&spec->bit_offset, spec->raw[0], wd_btf_size(btf, id))))
		return wd_err(err, "CO-RE: root type [%u] has no size", id);
	for (int i = 1; i < spec->raw_len; i++)
		if ((err = parse_step(btf, spec, &id, spec->raw[i])))
			return wd_err(err, "CO-RE: access '%s' does not fit type [%u] (step %d)",
				      s, relo->type_id, i);
	return 0;
}

void wd_core_spec_str(const struct wd_core_spec *spec, char *buf, size_t size)
{
	const struct btf_type *t = wd_btf_type(spec->btf, spec->root_type_id);
	size_t n;
	int kind = t ? btf_kind_of(t) : 0;
	n = snprintf(buf, size, "%s%s%s", kind == BTF_KIND_STRUCT ? "struct " :
		     kind == BTF_KIND_UNION ? "union " : is_any_enum(t ? t : &(struct btf_type){0}) ?
		     "enum " : "", wd_btf_name(spec->btf, spec->root_type_id),
		     wd_btf_name(spec->btf, spec->root_type_id)[0] ? "" : "(anon)");
	if (wd_core_kind_type(spec->kind) || n >= size)
		return;
	if (wd_core_kind_enumval(spec->kind)) {
		snprintf(buf + n, size - n, "::%s", spec->acc[0].name ? spec->acc[0].name : "?");
		return;
	}
	if (spec->len > 0 && spec->acc[0].idx)
		n += snprintf(buf + n, size - n, "[%u]", spec->acc[0].idx);
	for (int i = 1; i < spec->len && n < size; i++)
		n += spec->acc[i].name ? snprintf(buf + n, size - n, ".%s", spec->acc[i].name)
				       : snprintf(buf + n, size - n, "[%u]", spec->acc[i].idx);
}

/* ---- target match ------------------------------------------------------------ */

static int push_raw(struct wd_core_spec *spec, uint32_t idx)
{
	if (spec->raw_len == WD_CORE_SPEC_MAX)
		return -E2BIG;
	spec->raw[spec->raw_len++] = idx;
	return 0;
}

/* Find the local member (acc) by name in target composite tid, descending
 * into anonymous members; fills the target accessor and *next. */
static int match_member(const struct wd_btf *lb, const struct wd_core_acc *lacc,
			const struct wd_btf *tb, uint32_t tid, struct wd_core_spec *spec,
			uint32_t *next, int depth)
{
	const struct btf_type *lt = wd_btf_type(lb, lacc->type_id), *t = skip(tb, tid, &tid);
	const struct btf_member *lm = (const struct btf_member *)btf_extra(lt) + lacc->idx;
	const struct btf_member *m;
	if (!t || !btf_is_composite(t))
		return 0;
	if (depth > WD_CORE_SPEC_MAX)
		return -ELOOP;
	m = btf_extra(t);
	for (int i = 0; i < btf_vlen_of(t); i++) {
		uint32_t bits = btf_member_bit_off(t, &m[i]);
		const char *name = wd_btf_str(tb, m[i].name_off);
		int found;
		if (push_raw(spec, i))
			return -E2BIG;
		spec->bit_offset += bits;
		if (!name || !*name) {
			found = match_member(lb, lacc, tb, m[i].type, spec, next, depth + 1);
			if (found)
				return found;
		} else if (essential_eq(lacc->name, name)) {
			if (spec->len == WD_CORE_SPEC_MAX)
				return -E2BIG;
			spec->acc[spec->len++] = (struct wd_core_acc){ tid, i, name };
			*next = m[i].type;
			found = fields_compat(lb, lm->type, tb, m[i].type);
			if (found <= 0)
				spec->len--;
			return found;
		}
		spec->bit_offset -= bits;
		spec->raw_len--;
	}
	return 0;
}

static int match_enumval(const struct wd_core_spec *local, const struct wd_btf *tb,
			 uint32_t tid, struct wd_core_spec *targ)
{
	const struct btf_type *t = skip(tb, tid, &tid);
	if (!t || !is_any_enum(t))
		return 0;
	for (int i = 0; i < btf_vlen_of(t); i++) {
		const char *name = enumerator_name(tb, t, i);
		if (!essential_eq(local->acc[0].name, name))
			continue;
		targ->acc[0] = (struct wd_core_acc){ tid, i, name };
		targ->len = 1;
		targ->raw[targ->raw_len++] = i;
		return 1;
	}
	return 0;
}

int wd_core_spec_match(const struct wd_core_spec *local, const struct wd_btf *tb,
		       uint32_t tid, struct wd_core_spec *targ)
{
	memset(targ, 0, sizeof(*targ));
	targ->btf = tb;
	targ->root_type_id = tid;
	targ->kind = local->kind;
	if (wd_core_kind_type(local->kind)) {
		if (local->kind == 12)
			return wd_core_types_match(local->btf, local->root_type_id, tb, tid, false, COMPAT_LEVEL);
		return wd_core_types_compat(local->btf, local->root_type_id, tb, tid, COMPAT_LEVEL);
	}
	if (wd_core_kind_enumval(local->kind))
		return match_enumval(local, tb, tid, targ);
	for (int i = 0; i < local->len; i++) {
		const struct wd_core_acc *la = &local->acc[i];
		int err;
		if (i > 0 && la->name) {
			int r = match_member(local->btf, la, tb, tid, targ, &tid, 0);
			if (r <= 0)
				return r;
			continue;
		}
		if (i > 0) {
			/* an array step: the target must be an array here too */
			const struct btf_type *t = skip(tb, tid, &tid);
			const struct btf_array *a;
			if (!t || btf_kind_of(t) != BTF_KIND_ARRAY)
				return 0;
			a = btf_extra(t);
			if (!is_flex_arr(tb, &targ->acc[targ->len - 1], a) && la->idx >= a->nelems)
				return 0;
			if (!skip(tb, a->type, &tid))
				return -EINVAL;
		}
		if (targ->len == WD_CORE_SPEC_MAX || push_raw(targ, la->idx))
			return -E2BIG;
		targ->acc[targ->len++] = (struct wd_core_acc){ tid, la->idx, NULL };
		if ((err = add_bits(&targ->bit_offset, la->idx, wd_btf_size(tb, tid))))
			return err;
	}
	return 1;
}

/* ---- values ------------------------------------------------------------------ */

static int array_field(const struct bpf_core_relo *relo, const struct wd_core_spec *spec,
		       const struct wd_core_acc *acc, uint64_t *val, uint32_t *sz, uint32_t *type_id)
{
	int64_t size = wd_btf_size(spec->btf, acc->type_id);
	if (size < 0)
		return -EINVAL;
	if (relo->kind == BPF_CORE_FIELD_BYTE_OFFSET) {
		*val = spec->bit_offset / 8;
		*sz = size;
		*type_id = acc->type_id;
	} else if (relo->kind == BPF_CORE_FIELD_BYTE_SIZE) {
		*val = size;
	} else {
		return wd_err(-EINVAL, "CO-RE: %s cannot be applied to an array element",
			      wd_core_kind_name(relo->kind));
	}
	return 0;
}

/* Byte offset/size of a bitfield: the smallest power-of-2 load holding it. */
static int bitfield_load(uint32_t bit_off, uint32_t bit_sz, uint32_t *byte_off, uint32_t *byte_sz)
{
	while (bit_off + bit_sz - *byte_off * 8 > *byte_sz * 8) {
		if (*byte_sz >= 8)
			return wd_err(-E2BIG, "CO-RE: bitfield at bit %u (%u bits) cannot be read "
				      "with a 64-bit load", bit_off, bit_sz);
		*byte_sz *= 2;
		*byte_off = bit_off / 8 / *byte_sz * *byte_sz;
	}
	return 0;
}

static int calc_field(const struct bpf_core_relo *relo, const struct wd_core_spec *spec,
		      uint64_t *val, uint32_t *sz, uint32_t *type_id, bool *validate)
{
	const struct wd_core_acc *acc;
	const struct btf_type *t, *mt;
	const struct btf_member *m;
	uint32_t bit_off, bit_sz, byte_off, byte_sz, field_id;
	bool bitfield;
	if (relo->kind == BPF_CORE_FIELD_EXISTS) {
		*val = spec != NULL;
		return 0;
	}
	if (!spec)
		return -EUCLEAN; /* poison */
	acc = &spec->acc[spec->len - 1];
	if (validate)
		*validate = true;
	if (!acc->name)
		return array_field(relo, spec, acc, val, sz, type_id);
	t = wd_btf_type(spec->btf, acc->type_id);
	m = (const struct btf_member *)btf_extra(t) + acc->idx;
	if (!(mt = skip(spec->btf, m->type, &field_id)))
		return -EINVAL;
	bit_off = spec->bit_offset;
	bit_sz = btf_member_bitfield_size(t, m);
	bitfield = bit_sz > 0;
	if (bitfield) {
		if (btf_kind_of(mt) != BTF_KIND_INT && !is_any_enum(mt))
			return wd_err(-EINVAL, "CO-RE: bitfield of a non-integer type");
		byte_sz = mt->size ? mt->size : 1;
		byte_off = bit_off / 8 / byte_sz * byte_sz;
		if (bitfield_load(bit_off, bit_sz, &byte_off, &byte_sz))
			return -E2BIG;
	} else {
		int64_t s = wd_btf_size(spec->btf, field_id);
		if (s < 0)
			return -EINVAL;
		byte_sz = s;
		byte_off = bit_off / 8;
		bit_sz = byte_sz * 8;
	}
	/* The compiler's value for a bitfield may differ from ours: don't check it. */
	if (validate)
		*validate = !bitfield;
	switch (relo->kind) {
	case BPF_CORE_FIELD_BYTE_OFFSET:
		*val = byte_off;
		if (!bitfield) {
			*sz = byte_sz;
			*type_id = field_id;
		}
		break;
	case BPF_CORE_FIELD_BYTE_SIZE:
		*val = byte_sz;
		break;
	case BPF_CORE_FIELD_SIGNED:
		*val = (is_any_enum(mt) && btf_kflag_of(mt)) ||
		       (btf_kind_of(mt) == BTF_KIND_INT && (BTF_INT_ENCODING(int_enc(mt)) & BTF_INT_SIGNED));
		if (validate)
			*validate = true;
		break;
	case BPF_CORE_FIELD_LSHIFT_U64:
		*val = 64 - (bit_off + bit_sz - byte_off * 8); /* little endian */
		break;
	case BPF_CORE_FIELD_RSHIFT_U64:
		*val = 64 - bit_sz;
		if (validate)
			*validate = true;
		break;
	default:
		return -EOPNOTSUPP;
	}
	return 0;
}

static int calc_type(const struct bpf_core_relo *relo, const struct wd_core_spec *spec, uint64_t *val)
{
	int64_t sz;
	if (!spec) {
		*val = 0; /* type-based relocations read 0 when the type is absent */
		return 0;
	}
	switch ((uint32_t)relo->kind) {
	case BPF_CORE_TYPE_ID_TARGET: *val = spec->root_type_id; return 0;
	case BPF_CORE_TYPE_EXISTS: case 12: *val = 1; return 0;
	case BPF_CORE_TYPE_SIZE:
		if ((sz = wd_btf_size(spec->btf, spec->root_type_id)) < 0)
			return -EINVAL;
		*val = sz;
		return 0;
	}
	return -EOPNOTSUPP;
}

static int calc_enumval(const struct bpf_core_relo *relo, const struct wd_core_spec *spec, uint64_t *val)
{
	if (relo->kind == BPF_CORE_ENUMVAL_EXISTS) {
		*val = spec != NULL;
		return 0;
	}
	if (!spec)
		return -EUCLEAN;
	*val = enumerator_val(wd_btf_type(spec->btf, spec->acc[0].type_id), spec->acc[0].idx);
	return 0;
}

/* Loads and stores may change width only where zero extension keeps the value. */
static bool memsz_adjust_ok(const struct wd_core_spec *local, const struct wd_core_spec *targ,
			    const struct wd_core_res *res)
{
	const struct btf_type *o = wd_btf_type(local->btf, res->orig_type_id);
	const struct btf_type *n = wd_btf_type(targ->btf, res->new_type_id);
	if (!o || !n)
		return false;
	if (btf_kind_of(o) == BTF_KIND_PTR && btf_kind_of(n) == BTF_KIND_PTR)
		return true;
	return btf_kind_of(o) == BTF_KIND_INT && btf_kind_of(n) == BTF_KIND_INT &&
	       !(BTF_INT_ENCODING(int_enc(o)) & BTF_INT_SIGNED) &&
	       !(BTF_INT_ENCODING(int_enc(n)) & BTF_INT_SIGNED);
}

int wd_core_calc(const struct bpf_core_relo *relo, const struct wd_core_spec *local,
		 const struct wd_core_spec *targ, struct wd_core_res *res)
{
	int err = -EOPNOTSUPP;
	res->orig_val = res->new_val = 0;
	res->orig_sz = res->new_sz = res->orig_type_id = res->new_type_id = 0;
	res->poison = res->fail_memsz = false;
	res->validate = true;
	if (wd_core_kind_field(relo->kind)) {
		err = calc_field(relo, local, &res->orig_val, &res->orig_sz, &res->orig_type_id,
				 &res->validate);
		if (!err)
			err = calc_field(relo, targ, &res->new_val, &res->new_sz, &res->new_type_id, NULL);
		if (!err && res->orig_sz != res->new_sz)
			res->fail_memsz = !memsz_adjust_ok(local, targ, res);
	} else if (wd_core_kind_type(relo->kind)) {
		err = calc_type(relo, local, &res->orig_val);
		if (!err)
			err = calc_type(relo, targ, &res->new_val);
	} else if (wd_core_kind_enumval(relo->kind)) {
		err = calc_enumval(relo, local, &res->orig_val);
		if (!err)
			err = calc_enumval(relo, targ, &res->new_val);
	}
	if (err == -EUCLEAN) {
		res->poison = true;
		err = 0;
	} else if (err == -EOPNOTSUPP) {
		err = wd_err(err, "CO-RE: unsupported relocation kind %u", relo->kind);
	}
	return err;
}
