/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Map keys and values through BTF, for `warden map`: print bytes as their
 * type (text or typed JSON), and parse a JSON text or a plain number back
 * into bytes.  Without BTF: hex bytes both ways.
 */
#ifndef WARDEN_CLI_BTFVAL_H
#define WARDEN_CLI_BTFVAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "json.h"
#include "warden/btf.h"

/* Text: `{pid: 1, comm: "sh", state: RUNNING, bits: [1, 2]}` (enums by
 * name, char arrays as strings, bitfields as numbers).  JSON: the same as
 * typed JSON (integers as numbers, 128-bit integers and pointers as "0x.."
 * strings, structs as objects, unions with every member). */
void btfval_text(FILE *f, const struct wd_btf *btf, uint32_t type_id, const void *data);
void btfval_json(struct json *j, const struct wd_btf *btf, uint32_t type_id, const void *data);
/* Hex bytes: "01 00 00 00" / ["0x01","0x00","0x00","0x00"] (bpftool's form). */
void hex_text(FILE *f, const void *data, size_t size);
void hex_json(struct json *j, const void *data, size_t size);

/* Parse JSON text `s` as type_id into buf (`size` bytes, zeroed first).
 * 0, or -EINVAL with one line in err naming what did not fit. */
int btfval_parse_json(const struct wd_btf *btf, uint32_t type_id, const char *s, void *buf,
		      size_t size, char *err, size_t err_size);
/* Is type_id an integer or enum (after typedefs) of exactly `size` bytes? */
int btfval_is_int(const struct wd_btf *btf, uint32_t type_id, size_t size);

#endif
