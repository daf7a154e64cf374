// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "warden/warden.h"
#include "error.h"

#define ERRMSG_MAX 1024

static __thread char errmsg[ERRMSG_MAX];
static wd_log_fn debug_fn;
static void *debug_ctx;

const char *wd_errmsg(void)
{
	return errmsg[0] ? errmsg : "no error";
}

int wd_err(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	va_end(ap);
	return err;
}

void wd_err_prefix(const char *fmt, ...)
{
	char pre[ERRMSG_MAX], old[ERRMSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	size_t n = strlen(pre);
	memcpy(old, errmsg, sizeof(old));
	if (n >= sizeof(errmsg))
		n = sizeof(errmsg) - 1;
	memcpy(errmsg, pre, n);
	size_t rest = strnlen(old, sizeof(old) - 1);
	if (rest > sizeof(errmsg) - 1 - n)
		rest = sizeof(errmsg) - 1 - n;
	memcpy(errmsg + n, old, rest);
	errmsg[n + rest] = '\0';
}

void wd_err_clear(void)
{
	errmsg[0] = '\0';
}

void wd_set_debug(wd_log_fn fn, void *ctx)
{
	debug_fn = fn;
	debug_ctx = ctx;
}

void wd_debug(const char *fmt, ...)
{
	char buf[ERRMSG_MAX];
	va_list ap;
	if (!debug_fn && !getenv("WARDEN_DEBUG"))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (debug_fn)
		debug_fn(buf, debug_ctx);
	else
		fprintf(stderr, "warden: debug: %s\n", buf);
}
