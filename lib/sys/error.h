/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The error context: one thread-local line per failure, built step by step. */
#ifndef WARDEN_ERROR_H
#define WARDEN_ERROR_H

#include "warden/warden.h"   /* wd_err, wd_err_prefix, wd_debug, wd_errmsg */

void wd_err_clear(void);
/* When no cause was recorded since the last wd_err_clear(), record
 * strerror(-err); returns err.  For the end of a path with many -ENOMEM exits. */
int wd_err_default(int err);

#endif
