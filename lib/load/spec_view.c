// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The spec as the layers above see it (include/warden/spec.h): read-only
 * views of an object's spec, and a program as wd_object_load() would hand
 * it to the kernel, for
 * diagnostics: `warden verify` maps every instruction of a verifier log back
 * to a source line, `warden doctor FILE.o` reads the helper calls of a
 * program that was never loaded.  The same assembly as the load path
 * (reloc.c wd_asm_build), on the sections as parsed (before CO-RE), and the
 * same instruction -> line mapping (prog_load.c wd_src_line).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

const struct wd_spec *wd_object_spec(const struct wd_object *obj) { return obj->spec; }
const struct wd_func *wd_prog_func(const struct wd_prog *prog) { return prog->func; }
const struct wd_sec_def *wd_prog_sec_def(const struct wd_prog *prog) { return prog->def; }
const struct wd_map_spec *wd_map_spec(const struct wd_map *map) { return map->spec; }

int wd_prog_image(const struct wd_prog *prog, struct wd_prog_image *img)
{
	const struct wd_spec *s = prog->obj->spec;
	const struct bpf_insn **secs = calloc(s->nr_secs ? s->nr_secs : 1, sizeof(*secs));
	struct wd_asm a;
	int err;

	memset(img, 0, sizeof(*img));
	if (!secs)
		return wd_err(-ENOMEM, "program '%s': out of memory", prog->name);
	for (size_t i = 0; i < s->nr_secs; i++)
		secs[i] = s->secs[i].insns;
	err = wd_asm_build(prog, secs, s->btf != NULL, &a);
	free(secs);
	if (err)
		return err;
	img->insns = a.insns;
	img->insn_cnt = a.insn_cnt;
	img->line_info = a.line_info;
	img->nr_line_info = a.nr_line_info;
	img->placed = a.placed;
	img->nr_placed = a.nr_placed;
	free(a.func_info);
	return 0;
}

void wd_prog_image_free(struct wd_prog_image *img)
{
	free(img->insns);
	free(img->line_info);
	free(img->placed);
	memset(img, 0, sizeof(*img));
}

const char *wd_prog_image_src_line(const struct wd_prog *prog, const struct wd_prog_image *img,
				   int insn, char *buf, size_t size)
{
	const struct bpf_line_info *li = img ? img->line_info : prog->img.line_info;
	size_t n = img ? img->nr_line_info : prog->img.nr_line_info;
	return wd_src_line(prog->obj->spec->btf, li, n, insn, buf, size);
}
