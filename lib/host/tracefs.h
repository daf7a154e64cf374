/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tracefs: where the tracing files are (events/<cat>/<name>/id,
 * kprobe_events, uprobe_events), mounting tracefs (or debugfs on kernels
 * without tracefs) when nothing is mounted.
 */
#ifndef WARDEN_TRACEFS_H
#define WARDEN_TRACEFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "warden/features.h"   /* wd_tracefs_dir, wd_tracefs_event_id */

/* Every distinct tracing directory now mounted (tracefs mounts, debugfs
 * mounts + "/tracing"), one per superblock.  Calls fn for each; stops when
 * fn returns non-zero and returns that value. */
int wd_tracefs_for_each(int (*fn)(const char *dir, void *ctx), void *ctx);
/* Append one line to <dir>/<file> (kprobe_events, uprobe_events): never
 * opened with O_TRUNC, which would clear every entry of every process. */
int wd_tracefs_append(const char *dir, const char *file, const char *line);
/* Does <dir>/<file> exist? */
bool wd_tracefs_has(const char *dir, const char *file);
/* Read <dir>/<file> whole (malloc'd, NUL-terminated), or NULL + errno. */
char *wd_tracefs_read(const char *dir, const char *file);

#endif
