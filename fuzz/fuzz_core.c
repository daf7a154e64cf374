// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer target: CO-RE resolution.  The input is an object; every
 * relocation of its .BTF.ext is resolved against one fixed kernel BTF
 * ($WARDEN_FUZZ_BTF, default /sys/kernel/btf/vmlinux, no modules). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "fuzz.h"
#include "sys/error.h"
#include "spec/spec.h"
#include "load/core.h"

static struct wd_core_targets targets;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("WARDEN_FUZZ_BTF");
	(void)argc;
	(void)argv;
	if (wd_core_targets_init(&targets, path ? path : "/sys/kernel/btf/vmlinux")) {
		fprintf(stderr, "fuzz_core: %s (set WARDEN_FUZZ_BTF to a BTF file)\n", wd_errmsg());
		exit(1);
	}
	targets.modules = false;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wd_spec *spec = NULL;
	char desc[512];
	if (wd_spec_parse(data, size, "fuzz.o", &spec))
		return 0;
	for (size_t i = 0; spec->btf && i < spec->nr_secs; i++)
		for (size_t k = 0; k < spec->secs[i].nr_core_relos; k++) {
			struct wd_core_res res;
			wd_err_clear();
			int err = wd_core_resolve(spec->btf, &spec->secs[i].core_relos[k], &targets,
						  &res, desc, sizeof(desc));
			if (err < 0) {
				fprintf(stderr, "core: %s: %d\n", desc, err);
				fuzz_check_errmsg("core");
			}
		}
	wd_spec_free(spec);
	return 0;
}
