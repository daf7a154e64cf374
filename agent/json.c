// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ECS JSON lines from struct wd_event (agent/json.h, docs/events.md).
 * Everything is appended to one growing buffer; numbers and timestamps are
 * formatted by hand (a printf per field would cost more than the rest of
 * the line at 1 M events/s).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "json.h"

/* ---- the buffer ------------------------------------------------------- */

void wd_jbuf_free(struct wd_jbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

bool wd_jbuf_reserve(struct wd_jbuf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->failed)
		return false;
	if (b->len + n <= b->cap)
		return true;
	cap = b->cap ? b->cap : 1024;
	while (cap < b->len + n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

/* The common case (room left) without a call. */
static inline bool reserve(struct wd_jbuf *b, size_t n)
{
	return b->len + n <= b->cap || wd_jbuf_reserve(b, n);
}

static inline void put(struct wd_jbuf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static inline void putc_(struct wd_jbuf *b, char c)
{
	if (!reserve(b, 1))
		return;
	b->p[b->len++] = c;
}

#define LIT(b, s) put((b), (s), sizeof(s) - 1)

static const char digit_pairs[] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Decimal digits of v ending at `end`, two at a time with 32-bit
 * divisions (a 64-bit division per digit was a quarter of the writer's
 * time); returns the first digit. */
static char *fmt_u32(char *end, uint32_t v)
{
	while (v >= 100) {
		uint32_t r = v % 100;

		v /= 100;
		end -= 2;
		memcpy(end, digit_pairs + 2 * r, 2);
	}
	if (v >= 10) {
		end -= 2;
		memcpy(end, digit_pairs + 2 * v, 2);
	} else {
		*--end = (char)('0' + v);
	}
	return end;
}

static void put_u64(struct wd_jbuf *b, uint64_t v)
{
	char tmp[24], *end = tmp + sizeof(tmp), *p;

	if (v <= UINT32_MAX) {
		p = fmt_u32(end, (uint32_t)v);
	} else {
		/* nine digits at a time: one 64-bit division per 10^9 */
		p = end;
		while (v > UINT32_MAX) {
			uint32_t low = (uint32_t)(v % 1000000000u);
			char *q;

			v /= 1000000000u;
			q = fmt_u32(p, low);
			while (q > p - 9)
				*--q = '0';
			p = q;
		}
		p = fmt_u32(p, (uint32_t)v);
	}
	put(b, p, (size_t)(end - p));
}

static void put_i64(struct wd_jbuf *b, int64_t v)
{
	if (v < 0) {
		putc_(b, '-');
		put_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u64(b, (uint64_t)v);
	}
}

/* A number as a JSON string (ECS ids are keywords: "user.id":"0"). */
static void put_u64_str(struct wd_jbuf *b, uint64_t v)
{
	putc_(b, '"');
	put_u64(b, v);
	putc_(b, '"');
}

/* ---- strings ---------------------------------------------------------- */

/* 0: copy as is; 1: escape; 2: first byte of a multi-byte sequence (or not
 * UTF-8 at all). */
static const uint8_t char_class[256] = {
	[0x00 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x7f] = 1,
	[0x80 ... 0xff] = 2,
};

/* Length of the valid UTF-8 sequence at s (RFC 3629, table 3-7 of the
 * Unicode standard), or 0 when the byte at s does not start one. */
size_t wd_utf8_seq(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > left)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;           /* overlong */
	else if (c == 0xed)
		hi = 0x9f;           /* UTF-16 surrogates */
	else if (c == 0xf0)
		lo = 0x90;           /* overlong */
	else if (c == 0xf4)
		hi = 0x8f;           /* above U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

static const char hex_digits[] = "0123456789abcdef";

bool wd_json_put_str(struct wd_jbuf *b, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	bool valid = true;
	size_t i = 0;
	char *o;

	/* worst case: every byte becomes \u00XX (6 bytes) */
	if (len > (SIZE_MAX - 2) / 6 || !reserve(b, 6 * len + 2))
		return true;
	o = b->p + b->len;
	*o++ = '"';
	while (i < len) {
		size_t start = i;

		while (i < len && !char_class[s[i]])
			i++;
		memcpy(o, s + start, i - start);
		o += i - start;
		if (i >= len)
			break;
		if (char_class[s[i]] == 1) {
			*o++ = '\\';
			switch (s[i]) {
			case '"': *o++ = '"'; break;
			case '\\': *o++ = '\\'; break;
			case '\n': *o++ = 'n'; break;
			case '\t': *o++ = 't'; break;
			case '\r': *o++ = 'r'; break;
			case '\b': *o++ = 'b'; break;
			case '\f': *o++ = 'f'; break;
			default:
				*o++ = 'u';
				*o++ = '0';
				*o++ = '0';
				*o++ = hex_digits[s[i] >> 4];
				*o++ = hex_digits[s[i] & 15];
			}
			i++;
			continue;
		}
		size_t n = wd_utf8_seq(s + i, len - i);
		if (n) {
			memcpy(o, s + i, n);
			o += n;
			i += n;
		} else {
			/* U+FFFD REPLACEMENT CHARACTER; the bytes go to a _b64 field */
			*o++ = (char)0xef;
			*o++ = (char)0xbf;
			*o++ = (char)0xbd;
			valid = false;
			i++;
		}
	}
	*o++ = '"';
	b->len = (size_t)(o - b->p);
	return valid;
}

void wd_json_put_b64(struct wd_jbuf *b, const void *data, size_t len)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = data;
	size_t i = 0;
	char *o;

	if (!reserve(b, (len + 2) / 3 * 4 + 2))
		return;
	o = b->p + b->len;
	*o++ = '"';
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		*o++ = tbl[v >> 18];
		*o++ = tbl[(v >> 12) & 63];
		*o++ = tbl[(v >> 6) & 63];
		*o++ = tbl[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)s[i] << 16;
		*o++ = tbl[v >> 18];
		*o++ = tbl[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
		*o++ = tbl[v >> 18];
		*o++ = tbl[(v >> 12) & 63];
		*o++ = tbl[(v >> 6) & 63];
		*o++ = '=';
	}
	*o++ = '"';
	b->len = (size_t)(o - b->p);
}

/* ---- time ------------------------------------------------------------- */

static void two(char *o, int v)
{
	o[0] = (char)('0' + v / 10);
	o[1] = (char)('0' + v % 10);
}

static void format_date(int64_t sec, char out[21])
{
	time_t t = (time_t)sec;
	struct tm tm;

	gmtime_r(&t, &tm);
	int y = tm.tm_year + 1900;
	out[0] = (char)('0' + y / 1000 % 10);
	out[1] = (char)('0' + y / 100 % 10);
	two(out + 2, y % 100);
	out[4] = '-';
	two(out + 5, tm.tm_mon + 1);
	out[7] = '-';
	two(out + 8, tm.tm_mday);
	out[10] = 'T';
	two(out + 11, tm.tm_hour);
	out[13] = ':';
	two(out + 14, tm.tm_min);
	out[16] = ':';
	two(out + 17, tm.tm_sec);
	out[19] = '.';
	out[20] = '\0';
}

static void format_ns(uint32_t ns, char *o)
{
	for (int i = 8; i >= 0; i--) {
		o[i] = (char)('0' + ns % 10);
		ns /= 10;
	}
	o[9] = 'Z';
}

void wd_json_time(int64_t ns, char buf[32])
{
	int64_t sec = ns / 1000000000, rem = ns % 1000000000;

	if (rem < 0) {
		rem += 1000000000;
		sec--;
	}
	format_date(sec, buf);
	format_ns((uint32_t)rem, buf + 20);
	buf[30] = '\0';
}

static void put_time(struct wd_json_writer *w, uint64_t ns)
{
	int64_t sec = (int64_t)(ns / 1000000000);
	char tail[10];

	if (sec != w->cached_sec || !w->cached_date[0]) {
		format_date(sec, w->cached_date);
		w->cached_sec = sec;
	}
	format_ns((uint32_t)(ns % 1000000000), tail);
	putc_(&w->b, '"');
	put(&w->b, w->cached_date, 20);
	put(&w->b, tail, 10);
	putc_(&w->b, '"');
}

/* ---- host ------------------------------------------------------------- */

static void read_line(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = -1;

	buf[0] = '\0';
	if (fd >= 0) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	if (n <= 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

int wd_json_writer_init(struct wd_json_writer *w, const struct wd_json_host *host)
{
	char name[256] = "", id[128] = "", boot[128] = "";
	struct wd_jbuf h = { 0 };
	size_t j = 0;

	memset(w, 0, sizeof(*w));
	w->cached_sec = -1;
	if (host && host->name)
		snprintf(name, sizeof(name), "%s", host->name);
	else if (gethostname(name, sizeof(name) - 1))
		name[0] = '\0';
	if (host && host->id)
		snprintf(id, sizeof(id), "%s", host->id);
	else
		read_line("/etc/machine-id", id, sizeof(id));
	if (host && host->boot_id)
		snprintf(boot, sizeof(boot), "%s", host->boot_id);
	else
		read_line("/proc/sys/kernel/random/boot_id", boot, sizeof(boot));

	LIT(&h, "\"host\":{\"name\":");
	wd_json_put_str(&h, name, strlen(name));
	if (id[0]) {
		LIT(&h, ",\"id\":");
		wd_json_put_str(&h, id, strlen(id));
	}
	if (boot[0]) {
		LIT(&h, ",\"boot\":{\"id\":");
		wd_json_put_str(&h, boot, strlen(boot));
		putc_(&h, '}');
	}
	putc_(&h, '}');
	if (h.failed) {
		wd_jbuf_free(&h);
		return -ENOMEM;
	}
	w->host_obj = h.p;
	w->host_obj_len = h.len;
	/* entity ids: 16 hex digits of the boot id, dashes dropped */
	for (const char *p = boot; *p && j < 16; p++)
		if (*p != '-')
			w->boot_prefix[j++] = *p;
	while (j < 16)
		w->boot_prefix[j++] = '0';
	w->boot_prefix[16] = '\0';
	return 0;
}

void wd_json_writer_free(struct wd_json_writer *w)
{
	wd_jbuf_free(&w->b);
	free(w->host_obj);
	memset(w, 0, sizeof(*w));
}

/* ---- one event ---------------------------------------------------------- */

#define MAX_NOTES 12

/* What goes into the warden object at the end of the line: fields whose
 * bytes were not valid UTF-8, fields BPF cut. */
struct line {
	struct wd_json_writer *w;
	struct wd_jbuf *b;
	struct { const char *name; const char *s; size_t len; } raw[MAX_NOTES];
	struct { const char *name; size_t true_len; } cut[MAX_NOTES];
	int nraw, ncut;
};

/* A string value; `name` is the field's _b64 / true_len name. */
static void str_value(struct line *l, const char *name, const char *s, size_t len)
{
	if (!wd_json_put_str(l->b, s, len) && l->nraw < MAX_NOTES) {
		l->raw[l->nraw].name = name;
		l->raw[l->nraw].s = s;
		l->raw[l->nraw].len = len;
		l->nraw++;
	}
}

static void cstr_value(struct line *l, const char *name, const char *s)
{
	str_value(l, name, s, strlen(s));
}

static void note_cut(struct line *l, const char *name, const struct wd_event_str *s)
{
	if (s->truncated && l->ncut < MAX_NOTES) {
		l->cut[l->ncut].name = name;
		l->cut[l->ncut].true_len = s->true_len;
		l->ncut++;
	}
}

/* `,"key":"value"` for an event string that is set. */
static void evstr_kv(struct line *l, const char *key, size_t keylen, const char *name,
		     const struct wd_event_str *s)
{
	if (!s->s)
		return;
	put(l->b, key, keylen);
	str_value(l, name, s->s, strnlen(s->s, s->len));
	note_cut(l, name, s);
}
#define EVSTR(l, key, name, s) evstr_kv((l), (key), sizeof(key) - 1, (name), (s))

static size_t comm_len(const char comm[16])
{
	return strnlen(comm, 16);
}

/* ECS event.type per kind (event.category comes from wd_event_kind_category).
 * Values are from the ECS allowed lists of each category. */
const char *wd_json_event_type(const struct wd_event *ev)
{
	switch (ev->kind) {
	case WD_EV_EXEC:
	case WD_EV_FORK:
	case WD_EV_MODULE_LOAD:
		return "[\"start\"]";
	case WD_EV_EXIT:
		return "[\"end\"]";
	case WD_EV_PTRACE:
		return "[\"access\"]";
	case WD_EV_FILE_OPEN:
		/* O_CREAT (0100): the file may be new */
		return ev->file.flags & 0100 ? "[\"creation\"]" : "[\"change\"]";
	case WD_EV_FILE_UNLINK:
		return "[\"deletion\"]";
	case WD_EV_FILE_LINK:
	case WD_EV_FILE_SYMLINK:
		return "[\"creation\"]";
	case WD_EV_NET_CONNECT:
	case WD_EV_NET_ACCEPT:
		return "[\"start\",\"connection\"]";
	case WD_EV_NET_CLOSE:
		return "[\"end\",\"connection\"]";
	case WD_EV_NET_UDP_SEND:
		return ev->net.dns ? "[\"connection\",\"protocol\"]" : "[\"connection\"]";
	case WD_EV_NET_LISTEN:
	case WD_EV_NET_BIND:
	case WD_EV_BPF_PROG:
	case WD_EV_BPF_MAP:
	case WD_EV_MEMFD:          /* category process: no "creation" there */
	case WD_EV_STATS:
		return "[\"info\"]";
	case WD_EV_CRED:
	case WD_EV_NAMESPACE:
	case WD_EV_FILE_RENAME:
	case WD_EV_FILE_CHMOD:
	case WD_EV_FILE_CHOWN:
	case WD_EV_FILE_TRUNCATE:
	case WD_EV_MOUNT:
	case WD_EV_UMOUNT:
	default:
		return "[\"change\"]";
	}
}

static int32_t event_ret(const struct wd_event *ev)
{
	switch (ev->kind) {
	case WD_EV_EXEC:
		return ev->exec.ret;
	case WD_EV_NET_CONNECT: case WD_EV_NET_ACCEPT: case WD_EV_NET_CLOSE:
	case WD_EV_NET_LISTEN: case WD_EV_NET_BIND: case WD_EV_NET_UDP_SEND:
		return ev->net.ret;
	case WD_EV_MODULE_LOAD: case WD_EV_BPF_PROG: case WD_EV_BPF_MAP:
	case WD_EV_MOUNT: case WD_EV_UMOUNT: case WD_EV_MEMFD: case WD_EV_PTRACE:
	case WD_EV_NAMESPACE:
		return ev->other.ret;
	default:
		return 0;
	}
}

static void put_event_obj(struct line *l, const struct wd_event *ev, const char *kind)
{
	const char *name = wd_event_kind_name(ev->kind);
	const char *cat = wd_event_kind_category(ev->kind);
	const char *type = wd_json_event_type(ev);

	LIT(l->b, "\"event\":{\"kind\":\"");
	put(l->b, kind, strlen(kind));
	LIT(l->b, "\",\"category\":[\"");
	if (cat)
		put(l->b, cat, strlen(cat));
	LIT(l->b, "\"],\"type\":");
	put(l->b, type, strlen(type));
	LIT(l->b, ",\"action\":\"");
	if (name)
		put(l->b, name, strlen(name));
	putc_(l->b, '"');
	if (ev->seq) {
		LIT(l->b, ",\"sequence\":");
		put_u64(l->b, ev->seq);
	}
	if (ev->kind == WD_EV_NET_CLOSE && ev->net.duration_ns) {
		LIT(l->b, ",\"duration\":");
		put_u64(l->b, ev->net.duration_ns);
	}
	if (ev->kind != WD_EV_STATS) {
		if (event_ret(ev) < 0)
			LIT(l->b, ",\"outcome\":\"failure\"");
		else
			LIT(l->b, ",\"outcome\":\"success\"");
	}
	putc_(l->b, '}');
}

static void put_entity_id(struct line *l, uint32_t pid, uint64_t start_ns)
{
	putc_(l->b, '"');
	put(l->b, l->w->boot_prefix, 16);
	putc_(l->b, '-');
	put_u64(l->b, pid);
	putc_(l->b, '-');
	put_u64(l->b, start_ns);
	putc_(l->b, '"');
}

/* process.args: the NUL-separated argv as an array. */
static void put_args(struct line *l, const struct wd_event_str *args)
{
	const char *s = args->s, *end = args->s + args->len;

	LIT(l->b, ",\"args\":[");
	for (const char *p = s; p < end;) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		size_t n = z ? (size_t)(z - p) : (size_t)(end - p);

		if (p != s)
			putc_(l->b, ',');
		/* invalid bytes: one _b64 field for the whole argv (below) */
		if (!wd_json_put_str(l->b, p, n) && (l->nraw == 0 || l->raw[l->nraw - 1].s != s) &&
		    l->nraw < MAX_NOTES) {
			l->raw[l->nraw].name = "process_args";
			l->raw[l->nraw].s = s;
			l->raw[l->nraw].len = args->len;
			l->nraw++;
		}
		p += n + 1;
		/* a trailing NUL ends the list, it does not start an empty arg */
	}
	putc_(l->b, ']');
	note_cut(l, "process_args", args);
}

static void put_parent(struct line *l, const struct wd_event *ev)
{
	const struct wd_event_process *pp = &ev->parent;
	uint32_t ppid = ev->proc.ppid ? ev->proc.ppid : pp->pid;

	LIT(l->b, ",\"parent\":{\"pid\":");
	put_u64(l->b, ppid);
	if (pp->comm[0]) {
		LIT(l->b, ",\"name\":");
		str_value(l, "process_parent_name", pp->comm, comm_len(pp->comm));
	}
	if (pp->exe) {
		LIT(l->b, ",\"executable\":");
		cstr_value(l, "process_parent_executable", pp->exe);
	}
	if (pp->pid && pp->start_ns) {
		LIT(l->b, ",\"entity_id\":");
		put_entity_id(l, pp->pid, pp->start_ns);
	}
	putc_(l->b, '}');
}

static void put_process(struct line *l, const struct wd_event *ev)
{
	const struct wd_event_process *p = &ev->proc;

	LIT(l->b, ",\"process\":{\"pid\":");
	put_u64(l->b, p->pid);
	LIT(l->b, ",\"thread\":{\"id\":");
	put_u64(l->b, p->tid ? p->tid : p->pid);
	LIT(l->b, "},\"name\":");
	str_value(l, "process_name", p->comm, comm_len(p->comm));
	if (p->start_ns) {
		LIT(l->b, ",\"entity_id\":");
		put_entity_id(l, p->pid, p->start_ns);
	}
	if (p->exe) {
		LIT(l->b, ",\"executable\":");
		cstr_value(l, "process_executable", p->exe);
	} else if (ev->kind == WD_EV_EXEC && ev->exec.filename.s) {
		EVSTR(l, ",\"executable\":", "process_executable", &ev->exec.filename);
	}
	if (ev->kind == WD_EV_EXEC) {
		if (ev->exec.args.s)
			put_args(l, &ev->exec.args);
		if (ev->exec.argc) {
			LIT(l->b, ",\"args_count\":");
			put_u64(l->b, ev->exec.argc);
		}
		EVSTR(l, ",\"working_directory\":", "process_working_directory", &ev->exec.cwd);
	}
	if (ev->kind == WD_EV_EXIT) {
		LIT(l->b, ",\"exit_code\":");
		put_i64(l->b, ev->other.exit_code);
	}
	put_parent(l, ev);
	putc_(l->b, '}');
}

static void put_user(struct line *l, const struct wd_event_process *p)
{
	LIT(l->b, ",\"user\":{\"id\":");
	put_u64_str(l->b, p->uid);
	LIT(l->b, ",\"effective\":{\"id\":");
	put_u64_str(l->b, p->euid);
	LIT(l->b, ",\"group\":{\"id\":");
	put_u64_str(l->b, p->egid);
	LIT(l->b, "}}},\"group\":{\"id\":");
	put_u64_str(l->b, p->gid);
	putc_(l->b, '}');
}

static void put_octal_str(struct wd_jbuf *b, uint32_t mode)
{
	char tmp[12];
	int n = 0;

	do {
		tmp[sizeof(tmp) - 1 - n++] = (char)('0' + (mode & 7));
		mode >>= 3;
	} while (mode);
	putc_(b, '"');
	if (n < 4) {
		for (int i = n; i < 4; i++)
			putc_(b, '0');
	}
	put(b, tmp + sizeof(tmp) - n, (size_t)n);
	putc_(b, '"');
}

static bool is_file_kind(enum wd_event_kind k)
{
	return k >= WD_EV_FILE_OPEN && k <= WD_EV_FILE_TRUNCATE;
}

static bool is_net_kind(enum wd_event_kind k)
{
	return k >= WD_EV_NET_CONNECT && k <= WD_EV_NET_UDP_SEND;
}

/* file.*: rename/link/symlink name the new file in file.path (ECS: the file
 * the event is about) and the other one in file.target_path (link, symlink)
 * or warden.file.original_path (rename). */
static void put_file(struct line *l, const struct wd_event *ev)
{
	const struct wd_event_file *f = &ev->file;
	bool two = ev->kind == WD_EV_FILE_RENAME || ev->kind == WD_EV_FILE_LINK ||
		   ev->kind == WD_EV_FILE_SYMLINK;

	LIT(l->b, ",\"file\":{");
	size_t mark = l->b->len;
	if (two && f->path2.s) {
		EVSTR(l, "\"path\":", "file_path", &f->path2);
		if (ev->kind != WD_EV_FILE_RENAME)
			EVSTR(l, ",\"target_path\":", "file_target_path", &f->path);
	} else {
		EVSTR(l, "\"path\":", "file_path", &f->path);
	}
	if (f->inode) {
		if (l->b->len != mark)
			putc_(l->b, ',');
		LIT(l->b, "\"inode\":");
		put_u64_str(l->b, f->inode);
	}
	if (ev->kind == WD_EV_FILE_CHMOD || (ev->kind == WD_EV_FILE_OPEN && (f->flags & 0100))) {
		if (l->b->len != mark)
			putc_(l->b, ',');
		LIT(l->b, "\"mode\":");
		put_octal_str(l->b, f->mode & 07777);
	}
	/* chown: the new owner (ECS file.uid/gid are keywords); -1 = unchanged */
	if (ev->kind == WD_EV_FILE_CHOWN && f->uid != UINT32_MAX) {
		if (l->b->len != mark)
			putc_(l->b, ',');
		LIT(l->b, "\"uid\":");
		put_u64_str(l->b, f->uid);
	}
	if (ev->kind == WD_EV_FILE_CHOWN && f->gid != UINT32_MAX) {
		if (l->b->len != mark)
			putc_(l->b, ',');
		LIT(l->b, "\"gid\":");
		put_u64_str(l->b, f->gid);
	}
	putc_(l->b, '}');
}

static void put_ip(struct wd_jbuf *b, uint8_t family, const uint8_t addr[16])
{
	char txt[INET6_ADDRSTRLEN];

	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, txt, sizeof(txt)))
		txt[0] = '\0';
	putc_(b, '"');
	put(b, txt, strlen(txt));
	putc_(b, '"');
}

/* source/destination: the initiator is the source (ECS).  The event's
 * saddr/sport is the local end, daddr/dport the peer; for an accepted
 * connection the peer is the source. */
static void put_endpoint(struct line *l, const char *key, size_t keylen, const struct wd_event_net *n,
			 bool local, uint64_t bytes, bool with_bytes)
{
	put(l->b, key, keylen);
	LIT(l->b, "{\"ip\":");
	put_ip(l->b, n->family, local ? n->saddr : n->daddr);
	LIT(l->b, ",\"port\":");
	put_u64(l->b, local ? n->sport : n->dport);
	if (with_bytes) {
		LIT(l->b, ",\"bytes\":");
		put_u64(l->b, bytes);
	}
	putc_(l->b, '}');
}

static void put_net(struct line *l, const struct wd_event *ev)
{
	const struct wd_event_net *n = &ev->net;
	bool inbound = ev->kind == WD_EV_NET_ACCEPT || ev->kind == WD_EV_NET_LISTEN ||
		       ev->kind == WD_EV_NET_BIND;
	bool bytes = ev->kind == WD_EV_NET_CLOSE;
	uint64_t local_bytes = n->bytes_sent, peer_bytes = n->bytes_received;

	/* the source's bytes are the ones it sent */
	put_endpoint(l, ",\"source\":", sizeof(",\"source\":") - 1, n, !inbound, inbound ? peer_bytes : local_bytes, bytes);
	if (ev->kind != WD_EV_NET_LISTEN && ev->kind != WD_EV_NET_BIND)
		put_endpoint(l, ",\"destination\":", sizeof(",\"destination\":") - 1, n, inbound,
			     inbound ? local_bytes : peer_bytes, bytes);
	LIT(l->b, ",\"network\":{\"transport\":");
	if (n->protocol == 17)
		LIT(l->b, "\"udp\"");
	else
		LIT(l->b, "\"tcp\"");
	if (n->family == AF_INET6)
		LIT(l->b, ",\"type\":\"ipv6\"");
	else
		LIT(l->b, ",\"type\":\"ipv4\"");
	if (ev->kind == WD_EV_NET_CONNECT || ev->kind == WD_EV_NET_UDP_SEND)
		LIT(l->b, ",\"direction\":\"egress\"");
	else if (ev->kind == WD_EV_NET_ACCEPT)
		LIT(l->b, ",\"direction\":\"ingress\"");
	if (n->dns)
		LIT(l->b, ",\"protocol\":\"dns\"");
	if (bytes) {
		LIT(l->b, ",\"bytes\":");
		put_u64(l->b, n->bytes_sent + n->bytes_received);
	}
	putc_(l->b, '}');
}

static void put_ns(struct line *l, const struct wd_event_process *p)
{
	static const char *const names[WD_NS__COUNT] = {
		[WD_NS_PID] = "\"pid\":", [WD_NS_MNT] = ",\"mnt\":", [WD_NS_NET] = ",\"net\":",
		[WD_NS_USER] = ",\"user\":", [WD_NS_UTS] = ",\"uts\":", [WD_NS_CGROUP] = ",\"cgroup\":",
	};

	LIT(l->b, ",\"ns\":{");
	for (int i = 0; i < WD_NS__COUNT; i++) {
		put(l->b, names[i], strlen(names[i]));
		put_u64(l->b, p->ns[i]);
	}
	putc_(l->b, '}');
}

static void put_warden_process(struct line *l, const struct wd_event_process *p)
{
	LIT(l->b, "\"process\":{\"ns_pid\":");
	put_u64(l->b, p->ns_pid);
	LIT(l->b, ",\"ns_tid\":");
	put_u64(l->b, p->ns_tid);
	LIT(l->b, ",\"ns_ppid\":");
	put_u64(l->b, p->ns_ppid);
	LIT(l->b, ",\"auid\":");
	put_u64(l->b, p->auid);
	LIT(l->b, ",\"session_id\":");
	put_u64(l->b, p->sessionid);
	LIT(l->b, ",\"cgroup_id\":");
	put_u64(l->b, p->cgroup_id);
	put_ns(l, p);
	putc_(l->b, '}');
}

static void put_bool(struct wd_jbuf *b, bool v)
{
	if (v)
		LIT(b, "true");
	else
		LIT(b, "false");
}

static void put_cred_set(struct line *l, uint32_t uid, uint32_t gid, uint32_t euid, uint32_t egid,
			 uint64_t capeff, uint64_t capprm)
{
	LIT(l->b, "{\"uid\":");
	put_u64(l->b, uid);
	LIT(l->b, ",\"gid\":");
	put_u64(l->b, gid);
	LIT(l->b, ",\"euid\":");
	put_u64(l->b, euid);
	LIT(l->b, ",\"egid\":");
	put_u64(l->b, egid);
	LIT(l->b, ",\"cap_effective\":");
	put_u64(l->b, capeff);
	LIT(l->b, ",\"cap_permitted\":");
	put_u64(l->b, capprm);
	putc_(l->b, '}');
}

static void put_warden_exec(struct line *l, const struct wd_event_exec *x)
{
	LIT(l->b, ",\"exec\":{\"inode\":");
	put_u64(l->b, x->inode);
	EVSTR(l, ",\"filename\":", "exec_filename", &x->filename);
	if (x->interpreter.s && x->interpreter.len)
		EVSTR(l, ",\"interpreter\":", "exec_interpreter", &x->interpreter);
	LIT(l->b, ",\"dev\":");
	put_u64(l->b, x->dev);
	if (x->ctime_ns) {
		/* a date string: ns since 1970 pass 2^53, where JSON parsers
		 * that read numbers as doubles round them */
		char t[32];

		wd_json_time((int64_t)x->ctime_ns, t);
		LIT(l->b, ",\"ctime\":\"");
		put(l->b, t, 30);
		putc_(l->b, '"');
	}
	LIT(l->b, ",\"memfd\":");
	put_bool(l->b, x->memfd);
	LIT(l->b, ",\"deleted\":");
	put_bool(l->b, x->deleted);
	LIT(l->b, ",\"ret\":");
	put_i64(l->b, x->ret);
	putc_(l->b, '}');
}

static void put_warden_file(struct line *l, const struct wd_event *ev)
{
	const struct wd_event_file *f = &ev->file;

	LIT(l->b, ",\"file\":{\"dev\":");
	put_u64(l->b, f->dev);
	LIT(l->b, ",\"flags\":");
	put_u64(l->b, f->flags);
	LIT(l->b, ",\"mode\":");
	put_u64(l->b, f->mode);
	if (ev->kind == WD_EV_FILE_RENAME && f->path2.s)
		EVSTR(l, ",\"original_path\":", "file_original_path", &f->path);
	putc_(l->b, '}');
}

static void put_warden_net(struct line *l, const struct wd_event_net *n)
{
	LIT(l->b, ",\"net\":{\"bytes_sent\":");
	put_u64(l->b, n->bytes_sent);
	LIT(l->b, ",\"bytes_received\":");
	put_u64(l->b, n->bytes_received);
	LIT(l->b, ",\"duration_ns\":");
	put_u64(l->b, n->duration_ns);
	LIT(l->b, ",\"dns\":");
	put_bool(l->b, n->dns);
	LIT(l->b, ",\"ret\":");
	put_i64(l->b, n->ret);
	putc_(l->b, '}');
}

/* warden.<kind object> for the kinds that use struct wd_event_other. */
static void put_warden_other(struct line *l, const struct wd_event *ev)
{
	const struct wd_event_other *o = &ev->other;

	switch (ev->kind) {
	case WD_EV_FORK:
		LIT(l->b, ",\"fork\":{\"child_pid\":");
		put_u64(l->b, o->target_pid);
		LIT(l->b, ",\"clone_flags\":");
		put_u64(l->b, o->flags);
		putc_(l->b, '}');
		break;
	case WD_EV_EXIT:
		LIT(l->b, ",\"exit\":{\"code\":");
		put_i64(l->b, o->exit_code);
		LIT(l->b, ",\"signal\":");
		put_i64(l->b, o->exit_signal);
		putc_(l->b, '}');
		break;
	case WD_EV_PTRACE:
		LIT(l->b, ",\"ptrace\":{\"target_pid\":");
		put_u64(l->b, o->target_pid);
		LIT(l->b, ",\"request\":");
		put_u64(l->b, o->flags);
		LIT(l->b, ",\"ret\":");
		put_i64(l->b, o->ret);
		putc_(l->b, '}');
		break;
	case WD_EV_NAMESPACE:
		LIT(l->b, ",\"namespace\":{\"flags\":");
		put_u64(l->b, o->flags);
		LIT(l->b, ",\"ret\":");
		put_i64(l->b, o->ret);
		putc_(l->b, '}');
		break;
	case WD_EV_MODULE_LOAD:
		LIT(l->b, ",\"module\":{\"ret\":");
		put_i64(l->b, o->ret);
		EVSTR(l, ",\"name\":", "module_name", &o->name);
		putc_(l->b, '}');
		break;
	case WD_EV_BPF_PROG:
	case WD_EV_BPF_MAP:
		LIT(l->b, ",\"bpf\":{\"type\":");
		put_u64(l->b, o->bpf_type);
		LIT(l->b, ",\"ret\":");
		put_i64(l->b, o->ret);
		EVSTR(l, ",\"name\":", "bpf_name", &o->name);
		putc_(l->b, '}');
		break;
	case WD_EV_MOUNT:
	case WD_EV_UMOUNT:
		LIT(l->b, ",\"mount\":{\"flags\":");
		put_u64(l->b, o->flags);
		LIT(l->b, ",\"ret\":");
		put_i64(l->b, o->ret);
		EVSTR(l, ",\"source\":", "mount_source", &o->name);
		EVSTR(l, ",\"target\":", "mount_target", &o->target);
		EVSTR(l, ",\"fstype\":", "mount_fstype", &o->fstype);
		putc_(l->b, '}');
		break;
	case WD_EV_MEMFD:
		LIT(l->b, ",\"memfd\":{\"flags\":");
		put_u64(l->b, o->flags);
		LIT(l->b, ",\"ret\":");
		put_i64(l->b, o->ret);
		EVSTR(l, ",\"name\":", "memfd_name", &o->name);
		putc_(l->b, '}');
		break;
	default:
		break;
	}
}

static void put_warden_kind(struct line *l, const struct wd_event *ev)
{
	const struct wd_event_cred *c = &ev->cred;

	if (ev->kind == WD_EV_EXEC)
		put_warden_exec(l, &ev->exec);
	else if (is_file_kind(ev->kind))
		put_warden_file(l, ev);
	else if (is_net_kind(ev->kind))
		put_warden_net(l, &ev->net);
	else if (ev->kind == WD_EV_CRED) {
		LIT(l->b, ",\"cred\":{\"syscall\":");
		if (c->syscall)
			cstr_value(l, "cred_syscall", c->syscall);
		else
			LIT(l->b, "null");
		LIT(l->b, ",\"old\":");
		put_cred_set(l, c->old_uid, c->old_gid, c->old_euid, c->old_egid,
			     c->old_cap_effective, c->old_cap_permitted);
		LIT(l->b, ",\"new\":");
		put_cred_set(l, c->new_uid, c->new_gid, c->new_euid, c->new_egid,
			     c->new_cap_effective, c->new_cap_permitted);
		putc_(l->b, '}');
	} else
		put_warden_other(l, ev);
}

/* The closing warden.truncated / true_len / *_b64 fields. */
static void put_notes(struct line *l)
{
	if (l->ncut) {
		LIT(l->b, ",\"truncated\":[");
		for (int i = 0; i < l->ncut; i++) {
			if (i)
				putc_(l->b, ',');
			putc_(l->b, '"');
			put(l->b, l->cut[i].name, strlen(l->cut[i].name));
			putc_(l->b, '"');
		}
		LIT(l->b, "],\"true_len\":{");
		for (int i = 0; i < l->ncut; i++) {
			if (i)
				putc_(l->b, ',');
			putc_(l->b, '"');
			put(l->b, l->cut[i].name, strlen(l->cut[i].name));
			LIT(l->b, "\":");
			put_u64(l->b, l->cut[i].true_len);
		}
		putc_(l->b, '}');
	}
	for (int i = 0; i < l->nraw; i++) {
		putc_(l->b, ',');
		putc_(l->b, '"');
		put(l->b, l->raw[i].name, strlen(l->raw[i].name));
		LIT(l->b, "_b64\":");
		wd_json_put_b64(l->b, l->raw[i].s, l->raw[i].len);
	}
}

static int finish(struct wd_json_writer *w, const char **line, size_t *len)
{
	if (w->b.failed) {
		w->b.failed = false;  /* the next line may fit */
		w->b.len = 0;
		return -ENOMEM;
	}
	*line = w->b.p;
	*len = w->b.len;
	return 0;
}

int wd_json_event(struct wd_json_writer *w, const struct wd_event *ev,
		  const char **line, size_t *len)
{
	struct line l = { .w = w, .b = &w->b };

	if (ev->kind == WD_EV_STATS)
		return wd_json_stats(w, ev, NULL, line, len);
	w->b.len = 0;
	LIT(&w->b, "{\"@timestamp\":");
	put_time(w, ev->time_ns);
	putc_(&w->b, ',');
	put_event_obj(&l, ev, "event");
	put_process(&l, ev);
	put_user(&l, &ev->proc);
	if (is_file_kind(ev->kind))
		put_file(&l, ev);
	else if (is_net_kind(ev->kind))
		put_net(&l, ev);
	if (ev->proc.container_id) {
		LIT(&w->b, ",\"container\":{\"id\":");
		cstr_value(&l, "container_id", ev->proc.container_id);
		putc_(&w->b, '}');
	}
	putc_(&w->b, ',');
	put(&w->b, w->host_obj, w->host_obj_len);
	LIT(&w->b, ",\"warden\":{");
	put_warden_process(&l, &ev->proc);
	put_warden_kind(&l, ev);
	put_notes(&l);
	LIT(&w->b, "}}");
	return finish(w, line, len);
}

static void put_kind_counts(struct wd_jbuf *b, const uint64_t *v)
{
	bool first = true;

	putc_(b, '{');
	for (int k = 0; k < WD_EV__COUNT; k++) {
		const char *name = wd_event_kind_name((enum wd_event_kind)k);

		if (k == WD_EV_STATS || !name)
			continue;
		if (!first)
			putc_(b, ',');
		first = false;
		putc_(b, '"');
		put(b, name, strlen(name));
		LIT(b, "\":");
		put_u64(b, v[k]);
	}
	putc_(b, '}');
}

static uint64_t sum_kinds(const uint64_t *v)
{
	uint64_t s = 0;

	for (int k = 0; k < WD_EV__COUNT; k++)
		s += v[k];
	return s;
}

int wd_json_stats(struct wd_json_writer *w, const struct wd_event *ev, const char *outputs,
		  const char **line, size_t *len)
{
	const struct wd_event_stats *s = &ev->stats;
	struct line l = { .w = w, .b = &w->b };

	w->b.len = 0;
	LIT(&w->b, "{\"@timestamp\":");
	put_time(w, ev->time_ns);
	putc_(&w->b, ',');
	put_event_obj(&l, ev, "metric");
	LIT(&w->b, ",\"process\":{\"pid\":");
	put_u64(&w->b, ev->proc.pid ? ev->proc.pid : (uint64_t)getpid());
	LIT(&w->b, ",\"name\":\"warden\"},");
	put(&w->b, w->host_obj, w->host_obj_len);
	LIT(&w->b, ",\"warden\":{\"stats\":{\"received_total\":");
	put_u64(&w->b, sum_kinds(s->received));
	LIT(&w->b, ",\"dropped_total\":");
	put_u64(&w->b, sum_kinds(s->dropped) + s->lost_ring);
	LIT(&w->b, ",\"received\":");
	put_kind_counts(&w->b, s->received);
	LIT(&w->b, ",\"dropped\":");
	put_kind_counts(&w->b, s->dropped);
	LIT(&w->b, ",\"lost_ring\":");
	put_u64(&w->b, s->lost_ring);
	LIT(&w->b, ",\"truncated\":");
	put_u64(&w->b, s->truncated);
	LIT(&w->b, ",\"tailcall_failed\":");
	put_u64(&w->b, s->tailcall_failed);
	LIT(&w->b, ",\"chunks_incomplete\":");
	put_u64(&w->b, s->chunks_incomplete);
	LIT(&w->b, ",\"filtered_kernel\":");
	put_u64(&w->b, s->filtered_kernel);
	LIT(&w->b, ",\"output_errors\":");
	put_u64(&w->b, s->output_errors);
	putc_(&w->b, '}');
	if (outputs && *outputs) {
		LIT(&w->b, ",\"outputs\":{");
		put(&w->b, outputs, strlen(outputs));
		putc_(&w->b, '}');
	}
	LIT(&w->b, "}}");
	return finish(w, line, len);
}
