// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer target: raw BTF (lib/spec/btf.c): parse, then every lookup and
 * the sanitized copy for the oldest kernel (nothing supported). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "fuzz.h"
#include "sys/error.h"
#include "spec/btf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wd_btf_support none = { 0 };
	struct wd_btf *btf;
	size_t out_size;
	wd_err_clear();
	if (!(btf = wd_btf_parse(data, size, NULL))) {
		fuzz_check_errmsg("btf");
		return 0;
	}
	for (uint32_t id = 1; id < wd_btf_type_cnt(btf); id++) {
		const char *name = wd_btf_name(btf, id);
		wd_btf_size(btf, id);
		wd_btf_skip_mods(btf, id, true);
		if (*name)
			wd_btf_find(btf, name, 0);
	}
	wd_btf_find(btf, ".maps", BTF_KIND_DATASEC);
	free(wd_btf_sanitized(btf, &none, &out_size));
	wd_btf_free(btf);
	return 0;
}
