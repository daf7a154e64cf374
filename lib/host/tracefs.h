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

/* The tracing directory ("/sys/kernel/tracing" or "/sys/kernel/debug/tracing"),
 * mounting tracefs when none is found (one line on stderr when it does).
 * 0 and *dir set, or -errno with the cause in wd_errmsg(). */
int wd_tracefs_dir(const char **dir);
/* Every distinct tracing directory now mounted (tracefs mounts, debugfs
 * mounts + "/tracing"), one per superblock.  Calls fn for each; stops when
 * fn returns non-zero and returns that value. */
int wd_tracefs_for_each(int (*fn)(const char *dir, void *ctx), void *ctx);
/* The id of tracepoint <cat>/<name> in `dir`, or -errno (-ENOENT: no such
 * event) with a message naming the path. */
int wd_tracefs_event_id(const char *dir, const char *cat, const char *name);
/* Append one line to <dir>/<file> (kprobe_events, uprobe_events): never
 * opened with O_TRUNC, which would clear every entry of every process. */
int wd_tracefs_append(const char *dir, const char *file, const char *line);
/* Does <dir>/<file> exist? */
bool wd_tracefs_has(const char *dir, const char *file);
/* Read <dir>/<file> whole (malloc'd, NUL-terminated), or NULL + errno. */
char *wd_tracefs_read(const char *dir, const char *file);

#endif
