// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Assemble one program for diagnostics (lib/diag.h).  wd_object_load() frees
 * the assembled instructions and line info when a load fails; `warden
 * verify` needs them to map every instruction of the verifier log back to a
 * source line, and `warden doctor FILE.o` needs the helper calls of a
 * program that was never loaded.  This runs the same assembly (reloc.c) on
 * a private copy of the sections.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diag.h"

static void free_sections(struct wd_object *obj, struct bpf_insn **secs)
{
	for (size_t i = 0; secs && i < obj->spec->nr_secs; i++)
		free(secs[i]);
	free(secs);
}

static struct bpf_insn **copy_sections(const struct wd_object *obj)
{
	const struct wd_spec *s = obj->spec;
	struct bpf_insn **secs = calloc(s->nr_secs ? s->nr_secs : 1, sizeof(*secs));

	for (size_t i = 0; secs && i < s->nr_secs; i++) {
		size_t bytes = s->secs[i].insn_cnt * sizeof(struct bpf_insn);
		if (!(secs[i] = malloc(bytes ? bytes : 1))) {
			for (size_t k = 0; k < i; k++)
				free(secs[k]);
			free(secs);
			return NULL;
		}
		memcpy(secs[i], s->secs[i].insns, bytes);
	}
	return secs;
}

int wd_diag_assemble(struct wd_prog *p, struct wd_diag_prog *out)
{
	struct wd_object *obj = p->obj;
	struct bpf_insn **secs;
	int btf_fd = obj->btf_fd, err;

	memset(out, 0, sizeof(*out));
	if (obj->loaded)
		return wd_err(-EBUSY, "program '%s': object is loaded", p->name);
	if (!(secs = copy_sections(obj)))
		return -ENOMEM;
	obj->sec_insns = secs;
	/* reloc.c collects line info only when the object's BTF is in the
	 * kernel; nothing is loaded here, any non-negative value will do. */
	if (obj->spec->btf && btf_fd < 0)
		obj->btf_fd = INT_MAX;
	err = wd_prog_assemble(p);
	obj->btf_fd = btf_fd;
	obj->sec_insns = NULL;
	free_sections(obj, secs);
	if (err)
		return err;
	out->insns = p->insns;
	out->insn_cnt = p->insn_cnt;
	out->line_info = p->line_info;
	out->nr_line_info = p->nr_line_info;
	free(p->func_info);
	p->insns = NULL;
	p->line_info = NULL;
	p->func_info = NULL;
	p->insn_cnt = p->nr_line_info = p->nr_func_info = 0;
	return 0;
}

void wd_diag_prog_free(struct wd_diag_prog *d)
{
	free(d->insns);
	free(d->line_info);
	memset(d, 0, sizeof(*d));
}

const char *wd_diag_src_line(const struct wd_prog *p, const struct wd_diag_prog *d,
			     int insn, char *buf, size_t size)
{
	const struct bpf_line_info *best = NULL;
	const struct wd_btf *btf = p->obj->spec->btf;
	const char *file, *slash;

	if (!btf || insn < 0)
		return NULL;
	/* Line 0 marks compiler-made code: the line before it is the one meant. */
	for (size_t i = 0; i < d->nr_line_info; i++) {
		const struct bpf_line_info *li = &d->line_info[i];
		if (li->insn_off <= (uint32_t)insn && BPF_LINE_INFO_LINE_NUM(li->line_col) &&
		    (!best || li->insn_off >= best->insn_off))
			best = li;
	}
	if (!best)
		return NULL;
	file = wd_btf_str(btf, best->file_name_off);
	slash = file ? strrchr(file, '/') : NULL;
	snprintf(buf, size, "%s:%u", slash ? slash + 1 : file ? file : "?",
		 BPF_LINE_INFO_LINE_NUM(best->line_col));
	return buf;
}
