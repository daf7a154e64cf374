// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer target: the ELF object -> spec parser (lib/spec/elf.c), which
 * also parses .BTF and .BTF.ext; a failure must name its cause in one line. */
#include <stddef.h>
#include <stdint.h>
#include "fuzz.h"
#include "sys/error.h"
#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wd_spec *spec = NULL;
	wd_err_clear();
	if (wd_spec_parse(data, size, "fuzz.o", &spec)) {
		fuzz_check_errmsg("elf");
		return 0;
	}
	/* the spec's own lookups over what was parsed */
	for (size_t i = 0; i < spec->nr_secs; i++)
		for (uint32_t k = 0; k < spec->secs[i].insn_cnt; k += 7)
			wd_spec_func_containing(spec, i, k);
	for (size_t i = 0; i < spec->nr_maps; i++)
		wd_spec_find_map(spec, spec->maps[i].name);
	wd_spec_free(spec);
	return 0;
}
