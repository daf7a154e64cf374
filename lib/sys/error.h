/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The error context: one thread-local line per failure, built step by step. */
#ifndef WARDEN_ERROR_H
#define WARDEN_ERROR_H

#include <stddef.h>
#include "warden/warden.h"   /* wd_err, wd_err_prefix, wd_debug, wd_errmsg */

void wd_err_clear(void);
/* When no cause was recorded since the last wd_err_clear(), record
 * strerror(-err); returns err.  For the end of a path with many -ENOMEM exits. */
int wd_err_default(int err);
/* Set this thread's error line to `line` as it is (a line another thread
 * recorded, already escaped): a parallel load hands the failing program's
 * error to the caller's thread with it. */
void wd_err_set_line(const char *line);

/* Debug lines a thread keeps instead of printing (NULL: print again), so
 * that a parallel load prints its workers' lines in object order, from the
 * caller's thread, as a sequential load would.  Replay prints them through
 * wd_set_debug()'s function (or stderr) and frees the buffer. */
struct wd_debug_buf {
	char *text;          /* lines, each ended by '\n' */
	size_t len, cap;
};
void wd_debug_capture(struct wd_debug_buf *buf);
void wd_debug_replay(struct wd_debug_buf *buf);
void wd_debug_buf_free(struct wd_debug_buf *buf);

#endif
