// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A tiny JSON writer (cli/json.h): strings escaped per RFC 8259. */
#include <inttypes.h>
#include "json.h"

static void sep(struct json *j)
{
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = true;
}

void json_begin(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->need_comma[0] = false;
	j->after_key = false;
	json_obj_open(j);
}

void json_end(struct json *j)
{
	json_obj_close(j);
	fputc('\n', j->f);
}

static void esc(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

void json_key(struct json *j, const char *key)
{
	sep(j);
	esc(j->f, key);
	fputc(':', j->f);
	j->after_key = true;
}

static void value_sep(struct json *j)
{
	if (j->after_key)
		j->after_key = false;
	else
		sep(j);
}

static void open(struct json *j, char c)
{
	value_sep(j);
	fputc(c, j->f);
	if (j->depth < 30)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_(struct json *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	fputc(c, j->f);
}

void json_obj_open(struct json *j) { open(j, '{'); }
void json_obj_close(struct json *j) { close_(j, '}'); }
void json_arr_open(struct json *j) { open(j, '['); }
void json_arr_close(struct json *j) { close_(j, ']'); }

void json_str(struct json *j, const char *s)
{
	value_sep(j);
	if (s)
		esc(j->f, s);
	else
		fputs("null", j->f);
}

void json_u64(struct json *j, uint64_t v) { value_sep(j); fprintf(j->f, "%" PRIu64, v); }
void json_i64(struct json *j, int64_t v) { value_sep(j); fprintf(j->f, "%" PRId64, v); }
void json_bool(struct json *j, bool v) { value_sep(j); fputs(v ? "true" : "false", j->f); }
/* JSON has no NaN or infinity: those become null. */
void json_f64(struct json *j, double v)
{
	value_sep(j);
	if (v != v || v > 1.7976931348623157e308 || v < -1.7976931348623157e308)
		fputs("null", j->f);
	else
		fprintf(j->f, "%.17g", v);
}

void json_kv_str(struct json *j, const char *k, const char *s) { json_key(j, k); json_str(j, s); }
void json_kv_u64(struct json *j, const char *k, uint64_t v) { json_key(j, k); json_u64(j, v); }
void json_kv_i64(struct json *j, const char *k, int64_t v) { json_key(j, k); json_i64(j, v); }
void json_kv_bool(struct json *j, const char *k, bool v) { json_key(j, k); json_bool(j, v); }
