// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A row as one line of ClickHouse's JSONEachRow format (the column names of
 * dist/clickhouse/schema.sql), and gzip for the batch. */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include "internal.h"

/* Bytes that JSON strings must escape: '"', '\\', controls, DEL. */
static bool must_escape(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\' || c == 0x7f;
}

/* Append s as a JSON string body (no quotes).  Bytes >= 0x80 pass as they
 * are: ClickHouse's String is bytes, and JSONEachRow keeps them.  Runs of
 * plain bytes are copied at once (most of an event's JSON line). */
static void put_escaped(struct fbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *o = b->p + b->len;
	size_t i = 0;
	while (i < n) {
		size_t run = i;
		while (run < n && !must_escape((unsigned char)s[run]))
			run++;
		memcpy(o, s + i, run - i);
		o += run - i;
		if (run == n)
			break;
		unsigned char c = (unsigned char)s[run];
		*o++ = '\\';
		if (c == '"' || c == '\\') {
			*o++ = (char)c;
		} else if (c == '\n') {
			*o++ = 'n';
		} else if (c == '\t') {
			*o++ = 't';
		} else {
			memcpy(o, "u00", 3);
			o[3] = hex[c >> 4];
			o[4] = hex[c & 15];
			o += 5;
		}
		i = run + 1;
	}
	b->len = (size_t)(o - b->p);
}

/* ,"key":"value" with room reserved by the caller (6 bytes per input byte) */
static int put_str(struct fbuf *b, const char *key, const char *s, size_t n)
{
	size_t klen = strlen(key);
	if (fbuf_reserve(b, klen + 6 + 6 * n))
		return -ENOMEM;
	b->p[b->len++] = ',';
	b->p[b->len++] = '"';
	memcpy(b->p + b->len, key, klen);
	b->len += klen;
	memcpy(b->p + b->len, "\":\"", 3);
	b->len += 3;
	put_escaped(b, s, n);
	b->p[b->len++] = '"';
	b->p[b->len] = 0;
	return 0;
}

static int put_cstr(struct fbuf *b, const char *key, const char *s)
{
	return put_str(b, key, s ? s : "", s ? strlen(s) : 0);
}

/* ,"key":digits -- without snprintf: 40 numbers a row were most of the
 * row's cost. */
static int put_num(struct fbuf *b, const char *key, uint64_t v, bool neg)
{
	char digits[24];
	size_t klen = strlen(key), n = 0;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (fbuf_reserve(b, klen + 5 + n))
		return -ENOMEM;
	char *o = b->p + b->len;
	*o++ = ',';
	*o++ = '"';
	memcpy(o, key, klen);
	o += klen;
	*o++ = '"';
	*o++ = ':';
	if (neg)
		*o++ = '-';
	while (n)
		*o++ = digits[--n];
	*o = 0;
	b->len = (size_t)(o - b->p);
	return 0;
}

static int put_u64(struct fbuf *b, const char *key, uint64_t v)
{
	return put_num(b, key, v, false);
}

static int put_i64(struct fbuf *b, const char *key, int64_t v)
{
	return v < 0 ? put_num(b, key, (uint64_t)0 - (uint64_t)v, true) : put_num(b, key, (uint64_t)v, false);
}

int fleet_row_append(struct fbuf *b, const struct fleet_conf *c, const struct wd_fleet_row *r)
{
	size_t start = b->len;
	char head[64];
	int n = snprintf(head, sizeof(head), "{\"time\":%" PRIu64 ",\"nsec\":%u",
			 (uint64_t)(r->time_ns / 1000000000u), (unsigned int)(r->time_ns % 1000000000ull));
	int e = fbuf_add(b, head, (size_t)n);
	e = e ?: put_cstr(b, "host_id", c->host_id);
	e = e ?: put_cstr(b, "host_name", c->host_name);
	e = e ?: put_cstr(b, "boot_id", c->boot_id);
	e = e ?: put_u64(b, "seq", r->seq);
	e = e ?: put_cstr(b, "kind", r->kind);
	e = e ?: put_cstr(b, "category", r->category);
	e = e ?: put_u64(b, "pid", r->pid);
	e = e ?: put_u64(b, "tid", r->tid);
	e = e ?: put_u64(b, "ppid", r->ppid);
	e = e ?: put_u64(b, "uid", r->uid);
	e = e ?: put_u64(b, "gid", r->gid);
	e = e ?: put_u64(b, "euid", r->euid);
	e = e ?: put_u64(b, "auid", r->auid);
	e = e ?: put_cstr(b, "comm", r->comm);
	e = e ?: put_cstr(b, "exe", r->exe);
	e = e ?: put_cstr(b, "args", r->args);
	e = e ?: put_cstr(b, "path", r->path);
	e = e ?: put_cstr(b, "path2", r->path2);
	e = e ?: put_cstr(b, "container_id", r->container_id);
	e = e ?: put_u64(b, "cgroup_id", r->cgroup_id);
	e = e ?: put_u64(b, "ns_pid", r->ns_pid);
	e = e ?: put_u64(b, "ns_mnt", r->ns_mnt);
	e = e ?: put_u64(b, "ns_net", r->ns_net);
	e = e ?: put_u64(b, "ns_user", r->ns_user);
	e = e ?: put_u64(b, "ns_uts", r->ns_uts);
	e = e ?: put_u64(b, "ns_cgroup", r->ns_cgroup);
	e = e ?: put_cstr(b, "src_ip", r->src_ip);
	e = e ?: put_cstr(b, "dst_ip", r->dst_ip);
	e = e ?: put_u64(b, "src_port", r->src_port);
	e = e ?: put_u64(b, "dst_port", r->dst_port);
	e = e ?: put_cstr(b, "transport", r->transport);
	e = e ?: put_u64(b, "memfd", r->memfd);
	e = e ?: put_u64(b, "deleted", r->deleted);
	e = e ?: put_u64(b, "dropped", r->dropped);
	e = e ?: put_i64(b, "ret", r->ret);
	e = e ?: put_u64(b, "start_ns", r->start_ns);
	e = e ?: put_u64(b, "parent_start_ns", r->parent_start_ns);
	e = e ?: put_str(b, "event", r->json ? r->json : "", r->json ? r->json_len : 0);
	e = e ?: fbuf_add(b, "}\n", 2);
	if (e) {
		b->len = start;     /* never half a row */
		if (b->p)
			b->p[start] = 0;
	}
	return e;
}

int fleet_gzip(const void *in, size_t len, int level, struct fbuf *out)
{
	z_stream z = { 0 };
	int r;
	out->len = 0;
	/* windowBits 15 + 16: a gzip header and trailer (RFC 1952) */
	if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	if (fbuf_reserve(out, deflateBound(&z, len))) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out->p;
	z.avail_out = (uInt)(out->cap - 1);
	r = deflate(&z, Z_FINISH);
	out->len = z.total_out;
	deflateEnd(&z);
	return r == Z_STREAM_END ? 0 : -EIO;
}
