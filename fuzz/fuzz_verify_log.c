// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer target: the verifier-log reader of `warden verify`
 * (diag/verify.c, wd_verify_explain): any text, any length. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "warden/doctor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *log = malloc(size + 1);
	if (!log)
		return 0;
	memcpy(log, data, size);
	log[size] = '\0';
	const char *why = wd_verify_explain(log, -EACCES, "GPL");
	if (why)
		(void)strlen(why);
	free(log);
	return 0;
}
