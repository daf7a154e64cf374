// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * .BTF.ext: per-section func_info, line_info and CO-RE relocation records.
 * Offsets in the file are bytes; they are stored in instructions, the unit
 * the kernel expects in BPF_PROG_LOAD.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "sys/error.h"
#include "spec.h"

struct btf_ext_header {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len;
	uint32_t func_info_off, func_info_len;
	uint32_t line_info_off, line_info_len;
	uint32_t core_relo_off, core_relo_len;   /* present when hdr_len >= 32 */
};

enum ext_kind { EXT_FUNC, EXT_LINE, EXT_CORE };

static const char *const ext_names[] = { "func_info", "line_info", "core_relo" };
static const uint32_t ext_min_rec[] = {
	sizeof(struct bpf_func_info), sizeof(struct bpf_line_info), sizeof(struct bpf_core_relo),
};

/* Store `n` records of `rec` bytes for section `cs`, copying the known part
 * of each record (newer compilers may append fields). */
static int store_records(struct wd_code_sec *cs, enum ext_kind kind, const uint8_t *recs,
			 uint32_t n, uint32_t rec)
{
	size_t known = ext_min_rec[kind];
	uint8_t *out = calloc(n ? n : 1, known);
	if (!out)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t *first = (uint32_t *)(out + i * known);
		memcpy(out + i * known, recs + (size_t)i * rec, known);
		/* insn_off is the first field of all three record kinds */
		if (*first % 8 || *first / 8 >= cs->insn_cnt) {
			uint32_t bad = *first;
			free(out);
			return wd_err(-EINVAL, ".BTF.ext %s of '%s': insn offset %u out of range",
				      ext_names[kind], cs->name, bad);
		}
		*first /= 8;
	}
	switch (kind) {
	case EXT_FUNC: free(cs->func_info); cs->func_info = (void *)out; cs->nr_func_info = n; break;
	case EXT_LINE: free(cs->line_info); cs->line_info = (void *)out; cs->nr_line_info = n; break;
	case EXT_CORE: free(cs->core_relos); cs->core_relos = (void *)out; cs->nr_core_relos = n; break;
	}
	return 0;
}

static int parse_info(struct wd_spec *spec, enum ext_kind kind, const uint8_t *p, uint32_t len)
{
	uint32_t rec, off = 4;
	if (len == 0)
		return 0;
	if (len < 4)
		return wd_err(-EINVAL, ".BTF.ext %s: truncated", ext_names[kind]);
	memcpy(&rec, p, 4);
	if (rec < ext_min_rec[kind] || rec % 4)
		return wd_err(-EINVAL, ".BTF.ext %s: record size %u invalid", ext_names[kind], rec);
	switch (kind) {
	case EXT_FUNC: spec->func_info_rec_size = ext_min_rec[kind]; break;
	case EXT_LINE: spec->line_info_rec_size = ext_min_rec[kind]; break;
	case EXT_CORE: spec->core_relo_rec_size = ext_min_rec[kind]; break;
	}
	while (off < len) {
		uint32_t name_off, n;
		const char *name;
		int sec, err;
		if (len - off < 8)
			return wd_err(-EINVAL, ".BTF.ext %s: truncated section header", ext_names[kind]);
		memcpy(&name_off, p + off, 4);
		memcpy(&n, p + off + 4, 4);
		off += 8;
		if (!(name = wd_btf_str(spec->btf, name_off)))
			return wd_err(-EINVAL, ".BTF.ext %s: section name offset %u past the strings",
				      ext_names[kind], name_off);
		if (n == 0 || (uint64_t)n * rec > len - off)
			return wd_err(-EINVAL, ".BTF.ext %s of '%s': %u records overrun the section",
				      ext_names[kind], name, n);
		sec = wd_spec_find_sec(spec, name);
		if (sec >= 0 && (err = store_records(&spec->secs[sec], kind, p + off, n, rec)))
			return err;
		off += n * rec;
	}
	return 0;
}

int wd_btf_ext_parse(struct wd_spec *spec, const void *data, size_t size)
{
	struct btf_ext_header h = { 0 };
	const uint8_t *base;
	int err;
	if (size < 24)
		return wd_err(-EINVAL, ".BTF.ext: %zu bytes, too short", size);
	memcpy(&h, data, 24);
	if (h.magic != 0xeB9F || h.version != 1)
		return wd_err(-EINVAL, ".BTF.ext: bad magic or version");
	if (h.hdr_len < 24 || h.hdr_len > size)
		return wd_err(-EINVAL, ".BTF.ext: header length %u out of range", h.hdr_len);
	if (h.hdr_len >= 32)
		memcpy(&h.core_relo_off, (const uint8_t *)data + 24, 8);
	base = (const uint8_t *)data + h.hdr_len;
	uint64_t avail = size - h.hdr_len;
	const uint32_t offs[] = { h.func_info_off, h.line_info_off, h.core_relo_off };
	const uint32_t lens[] = { h.func_info_len, h.line_info_len, h.core_relo_len };
	for (int k = EXT_FUNC; k <= EXT_CORE; k++) {
		if ((uint64_t)offs[k] + lens[k] > avail)
			return wd_err(-EINVAL, ".BTF.ext %s: past the end of the section", ext_names[k]);
		if ((err = parse_info(spec, k, base + offs[k], lens[k])))
			return err;
	}
	return 0;
}
