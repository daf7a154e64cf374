// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "warden/warden.h"
#include "error.h"

#define ERRMSG_MAX 1024

static __thread char errmsg[ERRMSG_MAX];
static __thread struct wd_debug_buf *debug_capture;
static wd_log_fn debug_fn;
static void *debug_ctx;

const char *wd_errmsg(void)
{
	return errmsg[0] ? errmsg : "no error";
}

/* Length of the valid UTF-8 sequence at s (1-4), 0 if invalid or a C1
 * control (U+0080-U+009F: some terminals act on them like ESC). */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
	if (s[0] >= 0xf8)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0)
		return 0;
	return n;
}

/* Names read from a file (sections, symbols, maps, paths) reach messages
 * as they are: control characters, a newline that splits the one-line
 * error, invalid UTF-8.  Rewrite them as \n, \t, \xNN in place. */
static void escape_line(char *buf, size_t size)
{
	char tmp[ERRMSG_MAX];
	size_t o = 0;
	for (const unsigned char *s = (const unsigned char *)buf; *s && o + 5 < sizeof(tmp);) {
		size_t n = *s < 0x80 ? 1 : utf8_len(s);
		if (*s >= 0x20 && *s != 0x7f && n) {
			memcpy(tmp + o, s, n);
			o += n;
			s += n;
			continue;
		}
		o += *s == '\n' ? (size_t)snprintf(tmp + o, 3, "\\n") :
		     *s == '\t' ? (size_t)snprintf(tmp + o, 3, "\\t") :
		     (size_t)snprintf(tmp + o, 5, "\\x%02x", *s);
		s++;
	}
	tmp[o] = '\0';
	snprintf(buf, size, "%s", tmp);
}

int wd_err(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	va_end(ap);
	escape_line(errmsg, sizeof(errmsg));
	return err;
}

int wd_err_default(int err)
{
	if (!errmsg[0] && err < 0)
		wd_err(err, "%s", strerror(-err));
	return err;
}

void wd_err_prefix(const char *fmt, ...)
{
	char pre[ERRMSG_MAX], old[ERRMSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	escape_line(pre, sizeof(pre));
	size_t n = strlen(pre);
	memcpy(old, errmsg, sizeof(old));
	/* A path that set no cause must not end the line with "...: ". */
	if (!old[0])
		snprintf(old, sizeof(old), "no cause recorded (a warden bug: please report it)");
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

void wd_err_set_line(const char *line)
{
	snprintf(errmsg, sizeof(errmsg), "%s", line);
}

void wd_set_debug(wd_log_fn fn, void *ctx)
{
	debug_fn = fn;
	debug_ctx = ctx;
}

static void emit_debug(const char *line)
{
	if (debug_fn)
		debug_fn(line, debug_ctx);
	else
		fprintf(stderr, "warden: debug: %s\n", line);
}

/* One line (escaped: no newline inside) onto a capture; dropped when out
 * of memory, as a debug line that cannot be printed is. */
static void keep_line(struct wd_debug_buf *b, const char *line)
{
	size_t n = strlen(line) + 1;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *t = realloc(b->text, cap);
		if (!t)
			return;
		b->text = t;
		b->cap = cap;
	}
	memcpy(b->text + b->len, line, n - 1);
	b->text[b->len + n - 1] = '\n';
	b->len += n;
	b->text[b->len] = '\0';
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
	escape_line(buf, sizeof(buf));
	if (debug_capture)
		keep_line(debug_capture, buf);
	else
		emit_debug(buf);
}

void wd_debug_capture(struct wd_debug_buf *buf)
{
	debug_capture = buf;
}

void wd_debug_replay(struct wd_debug_buf *buf)
{
	for (char *line = buf->text, *end; line && line < buf->text + buf->len; line = end + 1) {
		end = strchr(line, '\n');
		*end = '\0';
		emit_debug(line);
	}
	wd_debug_buf_free(buf);
}

void wd_debug_buf_free(struct wd_debug_buf *buf)
{
	free(buf->text);
	memset(buf, 0, sizeof(*buf));
}
