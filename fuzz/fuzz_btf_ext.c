// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer target: .BTF.ext (lib/spec/btf_ext.c) against the spec of a
 * fixed object ($WARDEN_FUZZ_OBJ, default build/bpf/core_fields.o): the
 * records are checked against its sections and strings. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "fuzz.h"
#include "sys/error.h"
#include "spec/spec.h"

static struct wd_spec *spec;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("WARDEN_FUZZ_OBJ");
	(void)argc;
	(void)argv;
	if (wd_spec_parse_file(path ? path : "build/bpf/core_fields.o", NULL, &spec) || !spec->btf) {
		fprintf(stderr, "fuzz_btf_ext: %s (set WARDEN_FUZZ_OBJ to an object with BTF)\n",
			wd_errmsg());
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wd_err_clear();
	if (wd_btf_ext_parse(spec, data, size))
		fuzz_check_errmsg("btf_ext");
	return 0;
}
