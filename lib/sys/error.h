/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The error context: one thread-local line per failure, built step by step. */
#ifndef WARDEN_ERROR_H
#define WARDEN_ERROR_H

/* Record `fmt` as the current error and return err (a negative errno). */
int wd_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Put context in front of the current error: "load 'prog': " + old message. */
void wd_err_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wd_err_clear(void);
/* Debug line through the callback set with wd_set_debug() (or $WARDEN_DEBUG). */
void wd_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
