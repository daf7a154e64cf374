/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared checks of the libFuzzer targets (fuzz/fuzz_*.c, `make fuzz`). */
#ifndef WARDEN_FUZZ_H
#define WARDEN_FUZZ_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "warden/warden.h"

/* A failure must leave one non-empty line: abort (a finding) otherwise. */
static inline void fuzz_check_errmsg(const char *what)
{
	const char *m = wd_errmsg();
	size_t n = strlen(m);
	if (!n || m[n - 1] == ' ' || m[n - 1] == ':' || !strcmp(m, "no error")) {
		fprintf(stderr, "%s: empty or unfinished error message: '%s'\n", what, m);
		abort();
	}
	for (const unsigned char *p = (const unsigned char *)m; *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			fprintf(stderr, "%s: control character 0x%02x in the error message\n", what, *p);
			abort();
		}
}

#endif
