/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The agent's JSON lines: one struct wd_event (agent/event.h) as one line of
 * Elastic Common Schema (ECS) JSON, nested objects, no trailing newline.
 * docs/events.md lists every field.
 *
 * Written into a growing buffer, no printf in the path of an event: the
 * writer aims at 1 M events/s on one core.
 *
 * Strings are exact for any byte:
 *   - valid UTF-8 passes as is (except DEL, written \u007f);
 *   - '"', '\\' and the control characters 0x00-0x1f are escaped (\" \\ \n
 *     \t \r \b \f, the others \u00XX);
 *   - each byte that is not part of a valid UTF-8 sequence (RFC 3629: no
 *     overlong forms, no surrogates, nothing above U+10FFFF, no truncated
 *     sequence) becomes U+FFFD, so the line is always valid UTF-8 and valid
 *     JSON; and the field's original bytes are added, base64 (RFC 4648,
 *     padded), as warden.<field with '_' for '.'>_b64 (for example
 *     warden.file_path_b64, warden.process_args_b64 with the arguments
 *     NUL-separated).  A consumer that needs the bytes takes the _b64 field
 *     when present, the plain one otherwise: lossless, and a raw byte is
 *     never confused with a character that was really there.
 */
#ifndef WARDEN_AGENT_JSON_H
#define WARDEN_AGENT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "event.h"

/* A growing byte buffer.  On allocation failure `failed` is set and later
 * writes are dropped (the caller checks once per line). */
struct wd_jbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

void wd_jbuf_free(struct wd_jbuf *b);
/* Make room for n more bytes: true when there is. */
bool wd_jbuf_reserve(struct wd_jbuf *b, size_t n);

/* Append s[0..len) as a JSON string (with the quotes), escaped as above.
 * Returns true when s was valid UTF-8 (no byte replaced). */
bool wd_json_put_str(struct wd_jbuf *b, const char *s, size_t len);
/* Length of the valid UTF-8 sequence at s (at most `left` bytes), 0 if none. */
size_t wd_utf8_seq(const unsigned char *s, size_t left);
/* Append base64 (padded) of s[0..len) as a JSON string. */
void wd_json_put_b64(struct wd_jbuf *b, const void *s, size_t len);

/* The host fields of every line; NULL: read from this host. */
struct wd_json_host {
	const char *name;       /* default: gethostname() */
	const char *id;         /* default: /etc/machine-id */
	const char *boot_id;    /* default: /proc/sys/kernel/random/boot_id */
};

struct wd_json_writer {
	struct wd_jbuf b;
	char *host_obj;         /* "\"host\":{...}" pre-rendered */
	size_t host_obj_len;
	char boot_prefix[17];   /* 16 hex digits of the boot id, for entity ids */
	/* "YYYY-MM-DDTHH:MM:SS." of the last second formatted */
	int64_t cached_sec;
	char cached_date[21];
};

/* 0 or -errno. */
int wd_json_writer_init(struct wd_json_writer *w, const struct wd_json_host *host);
void wd_json_writer_free(struct wd_json_writer *w);

/* The event as one JSON line (no newline) in *line / *len, valid until the
 * next call.  0, or -ENOMEM.  WD_EV_STATS events are written as stats
 * records (event.kind "metric"); `outputs` is then a JSON object body
 * ("\"file\":{...},...", may be NULL) put under warden.outputs. */
int wd_json_event(struct wd_json_writer *w, const struct wd_event *ev,
		  const char **line, size_t *len);
int wd_json_stats(struct wd_json_writer *w, const struct wd_event *ev, const char *outputs,
		  const char **line, size_t *len);

/* RFC 3339 UTC with nanoseconds, "2026-11-29T21:15:36.123456789Z" (31 bytes
 * and a NUL): buf must hold 32. */
void wd_json_time(int64_t ns, char buf[32]);

/* ECS event.type values of a kind, as a JSON array ("[\"start\"]"). */
const char *wd_json_event_type(const struct wd_event *ev);

#endif
