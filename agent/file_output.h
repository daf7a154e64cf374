/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The agent's local outputs (struct wd_output_ops of agent/output.h):
 * JSON lines or text lines (text.h) to stdout or to a file.
 */
#ifndef WARDEN_AGENT_FILE_OUTPUT_H
#define WARDEN_AGENT_FILE_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include "json.h"
#include "output.h"
#include "text.h"   /* wd_text_event: the text lines it writes */

struct wd_file_output_opts {
	const char *path;           /* NULL or "-": standard output */
	bool text;                  /* --format text: wd_text_event lines, else the JSON line */
	uint64_t rotate_size;       /* rotate before the file passes this size; 0: never */
	unsigned int rotate_keep;   /* PATH.1 .. PATH.N are kept (0: the old file is removed) */
};

/* A file is opened O_APPEND, created 0600.  NULL with *err set on failure. */
struct wd_output *wd_file_output_open(const struct wd_file_output_opts *o, char *err, size_t errlen);
/* Lines are buffered (64 KiB) so that a burst costs one write(2): the agent
 * flushes after each batch it drains.  0 or -errno. */
int wd_file_output_flush(struct wd_output *out);
/* The file output's ops (to tell a struct wd_output apart). */
extern const struct wd_output_ops wd_file_output_ops;

#endif
