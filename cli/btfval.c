// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Values through BTF (cli/btfval.h).  One walker prints through an emitter
 * that is either the JSON writer or a text writer with the same nesting
 * rules.  Bit layout: little-endian (x86_64, arm64), as the kernel's own BTF
 * printer (kernel/bpf/btf.c, btf_bitfield_show) reads it there.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "btfval.h"

#define MAX_DEPTH 24

struct out {
	struct json *j;         /* JSON mode when set */
	FILE *f;                /* text mode */
	int depth;
	bool need_sep[MAX_DEPTH + 2];
	bool after_key;
};

static void t_sep(struct out *o)
{
	if (o->after_key) {
		o->after_key = false;
		return;
	}
	if (o->need_sep[o->depth])
		fputs(", ", o->f);
	o->need_sep[o->depth] = true;
}

static void o_key(struct out *o, const char *k)
{
	if (o->j)
		return json_key(o->j, k);
	t_sep(o);
	fprintf(o->f, "%s: ", k);
	o->after_key = true;
}

static void o_open(struct out *o, bool obj)
{
	if (o->j)
		return obj ? json_obj_open(o->j) : json_arr_open(o->j);
	t_sep(o);
	fputc(obj ? '{' : '[', o->f);
	if (o->depth <= MAX_DEPTH)
		o->depth++;
	o->need_sep[o->depth] = false;
}

static void o_close(struct out *o, bool obj)
{
	if (o->j)
		return obj ? json_obj_close(o->j) : json_arr_close(o->j);
	if (o->depth > 0)
		o->depth--;
	fputc(obj ? '}' : ']', o->f);
}

static void o_u64(struct out *o, uint64_t v)
{
	if (o->j)
		return json_u64(o->j, v);
	t_sep(o);
	fprintf(o->f, "%" PRIu64, v);
}

static void o_i64(struct out *o, int64_t v)
{
	if (o->j)
		return json_i64(o->j, v);
	t_sep(o);
	fprintf(o->f, "%" PRId64, v);
}

static void o_f64(struct out *o, double v)
{
	if (o->j)
		return json_f64(o->j, v);
	t_sep(o);
	fprintf(o->f, "%g", v);
}

/* An identifier (enum name) or a hex literal: bare in text, a string in JSON. */
static void o_word(struct out *o, const char *s)
{
	if (o->j)
		return json_str(o->j, s);
	t_sep(o);
	fputs(s, o->f);
}

static void o_bool(struct out *o, bool v)
{
	if (o->j)
		return json_bool(o->j, v);
	t_sep(o);
	fputs(v ? "true" : "false", o->f);
}

/* A C string of at most n bytes: JSON gets bytes >= 0x80 as the code points
 * U+0080..U+00FF (the document stays valid UTF-8), text quotes it with C
 * escapes. */
static void o_cstr(struct out *o, const char *s, size_t n)
{
	size_t len = strnlen(s, n), w = 0;

	if (o->j) {
		char *buf = malloc(2 * len + 1);
		if (!buf)
			return json_str(o->j, "");
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c >= 0x80) {
				buf[w++] = (char)(0xc0 | (c >> 6));
				buf[w++] = (char)(0x80 | (c & 0x3f));
			} else {
				buf[w++] = (char)c;
			}
		}
		buf[w] = '\0';
		json_str(o->j, buf);
		free(buf);
		return;
	}
	t_sep(o);
	fputc('"', o->f);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(o->f, "\\%c", c);
		else if (isprint(c))
			fputc(c, o->f);
		else
			fprintf(o->f, "\\x%02x", c);
	}
	fputc('"', o->f);
}

/* ---- bits ------------------------------------------------------------ */

static uint64_t get_bits(const uint8_t *p, uint32_t bit_off, uint32_t nbits)
{
	uint64_t v = 0;
	for (uint32_t i = 0; i < nbits && i < 64; i++) {
		uint32_t b = bit_off + i;
		if (p[b / 8] & (1u << (b % 8)))
			v |= 1ull << i;
	}
	return v;
}

static void set_bits(uint8_t *p, uint32_t bit_off, uint32_t nbits, uint64_t v)
{
	for (uint32_t i = 0; i < nbits && i < 64; i++) {
		uint32_t b = bit_off + i;
		if (v & (1ull << i))
			p[b / 8] |= (uint8_t)(1u << (b % 8));
		else
			p[b / 8] &= (uint8_t)~(1u << (b % 8));
	}
}

static int64_t sign_extend(uint64_t v, uint32_t bits)
{
	if (bits >= 64 || !bits)
		return (int64_t)v;
	uint64_t m = 1ull << (bits - 1);
	return (int64_t)((v ^ m) - m);
}

/* ---- printing ---------------------------------------------------------- */

static void show(struct out *o, const struct wd_btf *btf, uint32_t id, const uint8_t *p,
		 uint32_t bit_off, uint32_t bitfield, int depth);

static void show_hex_word(struct out *o, const uint8_t *p, size_t size)
{
	char buf[2 + 2 * 16 + 1] = "0x";
	size_t w = 2;
	for (size_t i = size; i-- > 0 && w + 2 < sizeof(buf);)
		w += snprintf(buf + w, sizeof(buf) - w, "%02x", p[i]);
	o_word(o, buf);
}

static void show_int(struct out *o, const struct btf_type *t, const uint8_t *p,
		     uint32_t bit_off, uint32_t bitfield)
{
	uint32_t enc = *(const uint32_t *)btf_extra(t);
	uint32_t bits = bitfield ? bitfield : BTF_INT_BITS(enc);
	bool is_signed = BTF_INT_ENCODING(enc) & BTF_INT_SIGNED;

	bit_off += BTF_INT_OFFSET(enc);
	if (bits > 64) {
		show_hex_word(o, p + bit_off / 8, t->size);
		return;
	}
	uint64_t v = get_bits(p, bit_off, bits);
	if (BTF_INT_ENCODING(enc) & BTF_INT_BOOL)
		o_bool(o, v != 0);
	else if (is_signed)
		o_i64(o, sign_extend(v, bits));
	else
		o_u64(o, v);
}

static void show_enum(struct out *o, const struct wd_btf *btf, const struct btf_type *t,
		      const uint8_t *p, uint32_t bit_off, uint32_t bitfield)
{
	uint32_t bits = bitfield ? bitfield : t->size * 8;
	uint64_t v = get_bits(p, bit_off, bits);
	bool is_signed = btf_kflag_of(t);
	int n = btf_vlen_of(t);

	if (btf_kind_of(t) == BTF_KIND_ENUM) {
		const struct btf_enum *e = btf_extra(t);
		for (int i = 0; i < n; i++)
			if ((uint32_t)e[i].val == (uint32_t)v)
				return o_word(o, wd_btf_str(btf, e[i].name_off));
	} else {
		const struct btf_enum64 *e = btf_extra(t);
		for (int i = 0; i < n; i++)
			if ((((uint64_t)e[i].val_hi32 << 32) | e[i].val_lo32) == v)
				return o_word(o, wd_btf_str(btf, e[i].name_off));
	}
	/* A value with no name: the number itself. */
	if (is_signed)
		o_i64(o, sign_extend(v, bits));
	else
		o_u64(o, v);
}

static bool is_char_type(const struct wd_btf *btf, uint32_t id)
{
	const struct btf_type *t = wd_btf_type(btf, wd_btf_skip_mods(btf, id, true));
	if (!t || btf_kind_of(t) != BTF_KIND_INT || t->size != 1)
		return false;
	uint32_t enc = *(const uint32_t *)btf_extra(t);
	const char *name = wd_btf_str(btf, t->name_off);
	return (BTF_INT_ENCODING(enc) & BTF_INT_CHAR) ||
	       (name && (!strcmp(name, "char") || !strcmp(name, "signed char") ||
			 !strcmp(name, "unsigned char")));
}

/* A char array holding text: printable bytes up to a NUL, only NULs after. */
static bool looks_like_string(const uint8_t *p, uint32_t n)
{
	uint32_t i = 0;
	for (; i < n && p[i]; i++)
		if (!isprint(p[i]) && p[i] != '\t' && p[i] < 0x80)
			return false;
	for (; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void show_array(struct out *o, const struct wd_btf *btf, const struct btf_type *t,
		       const uint8_t *p, int depth)
{
	const struct btf_array *a = btf_extra(t);
	int64_t esz = wd_btf_size(btf, a->type);

	if (is_char_type(btf, a->type) && looks_like_string(p, a->nelems))
		return o_cstr(o, (const char *)p, a->nelems);
	o_open(o, false);
	for (uint32_t i = 0; esz > 0 && i < a->nelems; i++)
		show(o, btf, a->type, p + i * esz, 0, 0, depth + 1);
	o_close(o, false);
}

static void show_composite(struct out *o, const struct wd_btf *btf, const struct btf_type *t,
			   const uint8_t *p, int depth)
{
	const struct btf_member *m = btf_extra(t);
	char anon[32];

	o_open(o, true);
	for (int i = 0; i < btf_vlen_of(t); i++) {
		uint32_t off = btf_member_bit_off(t, &m[i]);
		uint32_t bf = btf_member_bitfield_size(t, &m[i]);
		const char *name = wd_btf_str(btf, m[i].name_off);
		if (!name || !*name) {
			snprintf(anon, sizeof(anon), "_anon%d", i);
			name = anon;
		}
		o_key(o, name);
		if (bf || off % 8)
			show(o, btf, m[i].type, p, off, bf, depth + 1);
		else
			show(o, btf, m[i].type, p + off / 8, 0, 0, depth + 1);
	}
	o_close(o, true);
}

static void show_datasec(struct out *o, const struct wd_btf *btf, const struct btf_type *t,
			 const uint8_t *p, int depth)
{
	const struct btf_var_secinfo *v = btf_extra(t);

	o_open(o, true);
	for (int i = 0; i < btf_vlen_of(t); i++) {
		const struct btf_type *var = wd_btf_type(btf, v[i].type);
		if (!var)
			continue;
		o_key(o, wd_btf_str(btf, var->name_off));
		show(o, btf, var->type, p + v[i].offset, 0, 0, depth + 1);
	}
	o_close(o, true);
}

static void show(struct out *o, const struct wd_btf *btf, uint32_t id, const uint8_t *p,
		 uint32_t bit_off, uint32_t bitfield, int depth)
{
	const struct btf_type *t = wd_btf_type(btf, wd_btf_skip_mods(btf, id, true));
	int64_t size;

	if (!t || depth > MAX_DEPTH)
		return o_word(o, "?");
	switch (btf_kind_of(t)) {
	case BTF_KIND_INT:
		return show_int(o, t, p, bit_off, bitfield);
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		return show_enum(o, btf, t, p, bit_off, bitfield);
	case BTF_KIND_PTR:
		return show_hex_word(o, p + bit_off / 8, sizeof(void *));
	case BTF_KIND_FLOAT:
		if (t->size == 4) {
			float f;
			memcpy(&f, p + bit_off / 8, 4);
			return o_f64(o, f);
		}
		if (t->size == 8) {
			double d;
			memcpy(&d, p + bit_off / 8, 8);
			return o_f64(o, d);
		}
		return show_hex_word(o, p + bit_off / 8, t->size);
	case BTF_KIND_ARRAY:
		return show_array(o, btf, t, p + bit_off / 8, depth);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return show_composite(o, btf, t, p + bit_off / 8, depth);
	case BTF_KIND_DATASEC:
		return show_datasec(o, btf, t, p + bit_off / 8, depth);
	case BTF_KIND_VAR:
		return show(o, btf, t->type, p, bit_off, bitfield, depth + 1);
	default:
		size = wd_btf_size(btf, id);
		return show_hex_word(o, p + bit_off / 8, size > 0 && size <= 16 ? (size_t)size : 0);
	}
}

void btfval_text(FILE *f, const struct wd_btf *btf, uint32_t type_id, const void *data)
{
	struct out o = { .f = f };
	show(&o, btf, type_id, data, 0, 0, 0);
}

void btfval_json(struct json *j, const struct wd_btf *btf, uint32_t type_id, const void *data)
{
	struct out o = { .j = j };
	show(&o, btf, type_id, data, 0, 0, 0);
}

void hex_text(FILE *f, const void *data, size_t size)
{
	for (size_t i = 0; i < size; i++)
		fprintf(f, "%s%02x", i ? " " : "", ((const uint8_t *)data)[i]);
}

void hex_json(struct json *j, const void *data, size_t size)
{
	char b[8];
	json_arr_open(j);
	for (size_t i = 0; i < size; i++) {
		snprintf(b, sizeof(b), "0x%02x", ((const uint8_t *)data)[i]);
		json_str(j, b);
	}
	json_arr_close(j);
}

int btfval_is_int(const struct wd_btf *btf, uint32_t type_id, size_t size)
{
	const struct btf_type *t;
	if (!btf || !type_id)
		return 0;
	t = wd_btf_type(btf, wd_btf_skip_mods(btf, type_id, true));
	if (!t)
		return 0;
	int k = btf_kind_of(t);
	return (k == BTF_KIND_INT || k == BTF_KIND_ENUM || k == BTF_KIND_ENUM64) && t->size == size;
}

/* ---- parsing: JSON text straight into bytes, guided by the type ---------- */

struct in {
	const struct wd_btf *btf;
	const char *s, *p;
	char *err;
	size_t err_size;
	bool failed;
};

static int perr(struct in *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct in *in, const char *fmt, ...)
{
	va_list ap;
	if (in->failed)
		return -EINVAL;
	in->failed = true;
	va_start(ap, fmt);
	int n = vsnprintf(in->err, in->err_size, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < in->err_size)
		snprintf(in->err + n, in->err_size - n, " (at offset %td of the JSON text)",
			 in->p - in->s);
	return -EINVAL;
}

static void ws(struct in *in)
{
	while (isspace((unsigned char)*in->p))
		in->p++;
}

static bool eat(struct in *in, char c)
{
	ws(in);
	if (*in->p != c)
		return false;
	in->p++;
	return true;
}

/* A JSON string into buf (NUL-terminated, at most size-1 bytes kept). */
static int parse_string(struct in *in, char *buf, size_t size, size_t *len)
{
	size_t n = 0;
	if (!eat(in, '"'))
		return perr(in, "expected a string");
	while (*in->p && *in->p != '"') {
		char c = *in->p++;
		if (c == '\\') {
			c = *in->p++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'u': {
				unsigned v;
				if (sscanf(in->p, "%4x", &v) != 1 || v > 0xff)
					return perr(in, "only \\u0000-\\u00ff escapes are supported");
				in->p += 4;
				c = (char)v;
				break;
			}
			case '"': case '\\': case '/': break;
			default: return perr(in, "bad escape '\\%c' in a string", c ? c : '0');
			}
		}
		if (n + 1 < size)
			buf[n] = c;
		n++;
	}
	if (!eat(in, '"'))
		return perr(in, "unterminated string");
	if (size)
		buf[n < size ? n : size - 1] = '\0';
	*len = n;
	return 0;
}

/* A number token: decimal, 0x hex, negative, or a float. */
static int parse_number_tok(struct in *in, char *tok, size_t size)
{
	size_t n = 0;
	ws(in);
	while ((isalnum((unsigned char)*in->p) || strchr("+-.", *in->p)) && *in->p) {
		if (n + 1 < size)
			tok[n++] = *in->p;
		in->p++;
	}
	tok[n] = '\0';
	if (!n)
		return perr(in, "expected a number");
	return 0;
}

static int parse_value(struct in *in, uint32_t id, uint8_t *p, uint32_t bit_off,
		       uint32_t bitfield, int depth);

static int parse_int_into(struct in *in, const struct btf_type *t, uint8_t *p, uint32_t bit_off,
			  uint32_t bits, bool is_signed, bool is_bool)
{
	char tok[64], *end;
	ws(in);
	if (is_bool && (!strncmp(in->p, "true", 4) || !strncmp(in->p, "false", 5))) {
		bool v = *in->p == 't';
		in->p += v ? 4 : 5;
		set_bits(p, bit_off, bits, v);
		return 0;
	}
	if (parse_number_tok(in, tok, sizeof(tok)))
		return -EINVAL;
	errno = 0;
	if (is_signed && tok[0] == '-') {
		long long v = strtoll(tok, &end, 0);
		int64_t min = bits >= 64 ? INT64_MIN : -(int64_t)(1ull << (bits - 1));
		if (*end || errno)
			return perr(in, "'%s' is not an integer", tok);
		if (v < min)
			return perr(in, "%s does not fit in %u bits (signed)", tok, bits);
		set_bits(p, bit_off, bits, (uint64_t)v);
		return 0;
	}
	if (tok[0] == '-')
		return perr(in, "%s is negative, the type is unsigned", tok);
	unsigned long long v = strtoull(tok, &end, 0);
	uint64_t max = bits >= 64 ? UINT64_MAX : (1ull << (bits - (is_signed ? 1 : 0))) - 1;
	if (*end || errno)
		return perr(in, "'%s' is not an integer", tok);
	if (v > max)
		return perr(in, "%s does not fit in %u bits%s", tok, bits, is_signed ? " (signed)" : "");
	(void)t;
	set_bits(p, bit_off, bits, v);
	return 0;
}

static int parse_enum(struct in *in, const struct btf_type *t, uint8_t *p, uint32_t bit_off,
		      uint32_t bits)
{
	char name[256];
	size_t len;
	ws(in);
	if (*in->p != '"')
		return parse_int_into(in, t, p, bit_off, bits, btf_kflag_of(t), false);
	if (parse_string(in, name, sizeof(name), &len))
		return -EINVAL;
	for (int i = 0; i < btf_vlen_of(t); i++) {
		if (btf_kind_of(t) == BTF_KIND_ENUM) {
			const struct btf_enum *e = (const struct btf_enum *)btf_extra(t) + i;
			if (!strcmp(wd_btf_str(in->btf, e->name_off), name)) {
				set_bits(p, bit_off, bits, (uint64_t)(int64_t)e->val);
				return 0;
			}
		} else {
			const struct btf_enum64 *e = (const struct btf_enum64 *)btf_extra(t) + i;
			if (!strcmp(wd_btf_str(in->btf, e->name_off), name)) {
				set_bits(p, bit_off, bits, ((uint64_t)e->val_hi32 << 32) | e->val_lo32);
				return 0;
			}
		}
	}
	const char *tn = wd_btf_str(in->btf, t->name_off);
	return perr(in, "'%s' is not a value of enum %s", name, tn && *tn ? tn : "(anonymous)");
}

static int parse_array(struct in *in, const struct btf_type *t, uint8_t *p, int depth)
{
	const struct btf_array *a = btf_extra(t);
	int64_t esz = wd_btf_size(in->btf, a->type);
	uint32_t i = 0;

	ws(in);
	if (*in->p == '"' && is_char_type(in->btf, a->type)) {
		char buf[4096];
		size_t len;
		if (parse_string(in, buf, sizeof(buf), &len))
			return -EINVAL;
		if (len > a->nelems)
			return perr(in, "string of %zu bytes does not fit in char[%u]", len, a->nelems);
		memcpy(p, buf, len < a->nelems ? len : a->nelems);
		return 0;
	}
	if (!eat(in, '['))
		return perr(in, "expected an array of %u elements", a->nelems);
	if (eat(in, ']'))
		return 0;
	do {
		if (i >= a->nelems)
			return perr(in, "more than %u elements for an array of %u", a->nelems, a->nelems);
		if (esz <= 0 || parse_value(in, a->type, p + i * esz, 0, 0, depth + 1))
			return perr(in, "bad element %u", i);
		i++;
	} while (eat(in, ','));
	if (!eat(in, ']'))
		return perr(in, "expected ',' or ']' in an array");
	return 0;
}

static const struct btf_member *find_member(const struct wd_btf *btf, const struct btf_type *t,
					    const char *name)
{
	const struct btf_member *m = btf_extra(t);
	char anon[32];
	for (int i = 0; i < btf_vlen_of(t); i++) {
		const char *n = wd_btf_str(btf, m[i].name_off);
		if (!n || !*n) {
			snprintf(anon, sizeof(anon), "_anon%d", i);
			n = anon;
		}
		if (!strcmp(n, name))
			return &m[i];
	}
	return NULL;
}

static int parse_composite(struct in *in, const struct btf_type *t, uint8_t *p, int depth)
{
	char name[256];
	size_t len;

	if (!eat(in, '{'))
		return perr(in, "expected an object for %s %s",
			    btf_kind_of(t) == BTF_KIND_UNION ? "union" : "struct",
			    wd_btf_str(in->btf, t->name_off));
	if (eat(in, '}'))
		return 0;
	do {
		const struct btf_member *m;
		if (parse_string(in, name, sizeof(name), &len))
			return -EINVAL;
		if (!eat(in, ':'))
			return perr(in, "expected ':' after \"%s\"", name);
		if (!(m = find_member(in->btf, t, name)))
			return perr(in, "%s %s has no member '%s'",
				    btf_kind_of(t) == BTF_KIND_UNION ? "union" : "struct",
				    wd_btf_str(in->btf, t->name_off), name);
		uint32_t off = btf_member_bit_off(t, m), bf = btf_member_bitfield_size(t, m);
		int err = bf || off % 8 ? parse_value(in, m->type, p, off, bf, depth + 1)
					: parse_value(in, m->type, p + off / 8, 0, 0, depth + 1);
		if (err)
			return perr(in, "bad value for member '%s'", name);
	} while (eat(in, ','));
	if (!eat(in, '}'))
		return perr(in, "expected ',' or '}' in an object");
	return 0;
}

static int parse_value(struct in *in, uint32_t id, uint8_t *p, uint32_t bit_off,
		       uint32_t bitfield, int depth)
{
	const struct btf_type *t = wd_btf_type(in->btf, wd_btf_skip_mods(in->btf, id, true));
	char tok[64], *end;

	if (!t || depth > MAX_DEPTH)
		return perr(in, "type %u cannot be parsed", id);
	switch (btf_kind_of(t)) {
	case BTF_KIND_INT: {
		uint32_t enc = *(const uint32_t *)btf_extra(t);
		uint32_t bits = bitfield ? bitfield : BTF_INT_BITS(enc);
		if (bits > 64)
			return perr(in, "%u-bit integers are given as bytes (key/value BYTES)", bits);
		return parse_int_into(in, t, p, bit_off + BTF_INT_OFFSET(enc), bits,
				      BTF_INT_ENCODING(enc) & BTF_INT_SIGNED,
				      BTF_INT_ENCODING(enc) & BTF_INT_BOOL);
	}
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		return parse_enum(in, t, p, bit_off, bitfield ? bitfield : t->size * 8);
	case BTF_KIND_PTR:
		return parse_int_into(in, t, p, bit_off, 64, false, false);
	case BTF_KIND_FLOAT:
		if (parse_number_tok(in, tok, sizeof(tok)))
			return -EINVAL;
		double d = strtod(tok, &end);
		if (*end)
			return perr(in, "'%s' is not a number", tok);
		if (t->size == 4) {
			float f = (float)d;
			memcpy(p + bit_off / 8, &f, 4);
		} else if (t->size == 8) {
			memcpy(p + bit_off / 8, &d, 8);
		} else {
			return perr(in, "%u-byte floats are given as bytes", t->size);
		}
		return 0;
	case BTF_KIND_ARRAY:
		return parse_array(in, t, p + bit_off / 8, depth);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return parse_composite(in, t, p + bit_off / 8, depth);
	default:
		return perr(in, "a %s cannot be given as JSON: use bytes", wd_btf_kind_name(btf_kind_of(t)));
	}
}

int btfval_parse_json(const struct wd_btf *btf, uint32_t type_id, const char *s, void *buf,
		      size_t size, char *err, size_t err_size)
{
	struct in in = { .btf = btf, .s = s, .p = s, .err = err, .err_size = err_size };
	int64_t tsize = wd_btf_size(btf, type_id);

	err[0] = '\0';
	if (tsize < 0 || (size_t)tsize != size) {
		snprintf(err, err_size, "the BTF type is %lld bytes, the map wants %zu",
			 (long long)tsize, size);
		return -EINVAL;
	}
	memset(buf, 0, size);
	if (parse_value(&in, type_id, buf, 0, 0, 0))
		return -EINVAL;
	ws(&in);
	if (*in.p)
		return perr(&in, "unexpected text after the value");
	return 0;
}
