/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A tiny JSON writer for --json output (no library dependency). */
#ifndef WARDEN_CLI_JSON_H
#define WARDEN_CLI_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json {
	FILE *f;
	int depth;
	bool need_comma[32];
	bool after_key;         /* the next value belongs to a key just written */
};

void json_begin(struct json *j, FILE *f);       /* top-level object */
void json_end(struct json *j);                  /* closes it, newline */
void json_key(struct json *j, const char *key);  /* before a value inside an object */
void json_obj_open(struct json *j);
void json_obj_close(struct json *j);
void json_arr_open(struct json *j);
void json_arr_close(struct json *j);
void json_str(struct json *j, const char *s);   /* NULL: null */
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
void json_bool(struct json *j, bool v);
void json_f64(struct json *j, double v);        /* NaN/inf: null */
/* "key": value shorthands inside an object. */
void json_kv_str(struct json *j, const char *key, const char *s);
void json_kv_u64(struct json *j, const char *key, uint64_t v);
void json_kv_i64(struct json *j, const char *key, int64_t v);
void json_kv_bool(struct json *j, const char *key, bool v);

#endif
