/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The text line of an event, for a terminal (--format text). */
#ifndef WARDEN_AGENT_TEXT_H
#define WARDEN_AGENT_TEXT_H

#include <stddef.h>
#include "event.h"
#include "json.h"

/* One text line for a terminal, with '\n', appended to b:
 * "21:15:36.123 exec         bash(1234) ppid 1200 uid 0  /usr/bin/ls ls -l".
 * Control characters, backslashes and bytes that are not UTF-8 are written
 * \xNN, so a hostile file name cannot drive the terminal. */
void wd_text_event(struct wd_jbuf *b, const struct wd_event *ev);
/* The text form of a string (as above), appended to b. */
void wd_text_put_str(struct wd_jbuf *b, const char *s, size_t len);

#endif
