// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The sink's configuration: clickhouse://[user[:password]@]host[:port]/database.table,
 * the password file, this host's identity and the defaults of the options. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"

#define URL_SHAPE "clickhouse://[user[:password]@]host:port/database.table"

int fbuf_reserve(struct fbuf *b, size_t extra)
{
	size_t want = b->len + extra + 1, cap = b->cap ? b->cap : 4096;
	char *p;
	if (want <= b->cap)
		return 0;
	while (cap < want)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int fbuf_add(struct fbuf *b, const void *s, size_t n)
{
	if (fbuf_reserve(b, n))
		return -ENOMEM;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

void fbuf_free(struct fbuf *b)
{
	free(b->p);
	*b = (struct fbuf){ 0 };
}

uint64_t fleet_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool fleet_ident_ok(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > FLEET_NAME_MAX || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return false;
	return true;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode [s, s+n) into out (user names and passwords with ':' '@' '/'). */
static int pct_decode(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
				return -EINVAL;
			c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
			i += 2;
		}
		if (o + 1 >= outlen || c == 0)
			return -EINVAL;
		out[o++] = (char)c;
	}
	out[o] = 0;
	return 0;
}

static int bad_url(char *err, size_t errlen, const char *url, const char *why)
{
	snprintf(err, errlen, "bad URL '%s': %s (expected " URL_SHAPE ")", url, why);
	return -EINVAL;
}

/* The authority: [user[:password]@]host[:port]. */
static int parse_authority(struct fleet_conf *c, const char *url, const char *a, size_t n,
			   char *err, size_t errlen)
{
	const char *at = memrchr(a, '@', n), *h = a, *colon, *end = a + n;
	char portbuf[8];
	if (at) {
		const char *pc = memchr(a, ':', (size_t)(at - a));
		size_t ulen = (size_t)((pc ? pc : at) - a);
		if (pct_decode(a, ulen, c->user, sizeof(c->user)) || !c->user[0])
			return bad_url(err, errlen, url, "empty or malformed user name");
		if (pc) {
			size_t plen = (size_t)(at - pc - 1);
			c->password = calloc(1, plen + 1);
			if (!c->password)
				return -ENOMEM;
			if (pct_decode(pc + 1, plen, c->password, plen + 1))
				return bad_url(err, errlen, url, "malformed password (percent-encode ':', '@' and '/')");
		}
		h = at + 1;
	}
	if (h < end && *h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));
		if (!rb)
			return bad_url(err, errlen, url, "unclosed '[' in the host");
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
		if (rb + 1 < end && !colon)
			return bad_url(err, errlen, url, "junk after ']'");
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
	}
	size_t hlen = (size_t)((colon ? colon : end) - h);
	if (!hlen || hlen >= sizeof(c->host))
		return bad_url(err, errlen, url, "no host");
	memcpy(c->host, h, hlen);
	c->host[hlen] = 0;
	for (size_t i = 0; i < hlen; i++)
		if (isspace((unsigned char)c->host[i]) || c->host[i] == '/' || c->host[i] == '?' || c->host[i] == '#')
			return bad_url(err, errlen, url, "invalid character in the host");
	c->port = 8123;     /* ClickHouse's HTTP port */
	if (colon) {
		size_t plen = (size_t)(end - colon - 1);
		char *e;
		unsigned long p;
		if (!plen || plen >= sizeof(portbuf))
			return bad_url(err, errlen, url, "empty or too long port");
		memcpy(portbuf, colon + 1, plen);
		portbuf[plen] = 0;
		errno = 0;
		p = strtoul(portbuf, &e, 10);
		if (*e || !isdigit((unsigned char)portbuf[0]) || p == 0 || p > 65535)
			return bad_url(err, errlen, url, "port is not a number in 1..65535");
		c->port = (unsigned int)p;
	}
	return 0;
}

static int parse_url(struct fleet_conf *c, const char *url, char *err, size_t errlen)
{
	static const char scheme[] = "clickhouse://";
	const char *a, *slash, *dot;
	if (!url || !*url)
		return bad_url(err, errlen, "", "empty");
	if (strncmp(url, scheme, sizeof(scheme) - 1))
		return bad_url(err, errlen, url, "the scheme must be clickhouse://");
	a = url + sizeof(scheme) - 1;
	slash = strchr(a, '/');
	if (!slash)
		return bad_url(err, errlen, url, "no /database.table");
	int r = parse_authority(c, url, a, (size_t)(slash - a), err, errlen);
	if (r)
		return r;
	dot = strchr(slash + 1, '.');
	if (!dot)
		return bad_url(err, errlen, url, "no table: the path must be /database.table");
	size_t dlen = (size_t)(dot - slash - 1);
	if (dlen > FLEET_NAME_MAX || strlen(dot + 1) > FLEET_NAME_MAX)
		return bad_url(err, errlen, url, "database or table name longer than 64 characters");
	memcpy(c->database, slash + 1, dlen);
	c->database[dlen] = 0;
	strcpy(c->table, dot + 1);
	if (!fleet_ident_ok(c->database) || !fleet_ident_ok(c->table))
		return bad_url(err, errlen, url, "database and table must be identifiers ([A-Za-z_][A-Za-z0-9_]*)");
	return 0;
}

/* The first line of a small file, trailing whitespace cut. */
static int read_line(const char *path, char *out, size_t outlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	if (fd < 0)
		return -errno;
	n = read(fd, out, outlen - 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	out[n] = 0;
	out[strcspn(out, "\n")] = 0;
	while (n > 0 && out[0] && isspace((unsigned char)out[strlen(out) - 1]))
		out[strlen(out) - 1] = 0;
	return out[0] ? 0 : -ENODATA;
}

static int read_password(struct fleet_conf *c, const char *path, char *err, size_t errlen)
{
	char buf[1024];
	int r;
	if (c->password) {
		snprintf(err, errlen, "password given twice (URL and --password-file %s): keep only the file", path);
		return -EINVAL;
	}
	r = read_line(path, buf, sizeof(buf));
	if (r == -ENODATA) {
		buf[0] = 0;        /* an empty file: the empty password */
	} else if (r) {
		snprintf(err, errlen, "cannot read the password file %s: %s", path, strerror(-r));
		return r;
	}
	c->password = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return c->password ? 0 : -ENOMEM;
}

static int identity(struct fleet_conf *c, const struct wd_fleet_opts *o, char *err, size_t errlen)
{
	int r;
	if (o->host_id) {
		snprintf(c->host_id, sizeof(c->host_id), "%s", o->host_id);
	} else if ((r = read_line("/etc/machine-id", c->host_id, sizeof(c->host_id))) &&
		   read_line("/var/lib/dbus/machine-id", c->host_id, sizeof(c->host_id))) {
		snprintf(err, errlen, "cannot read /etc/machine-id (%s): give the host id (host_id option)",
			 strerror(-r));
		return r;
	}
	if (o->boot_id) {
		snprintf(c->boot_id, sizeof(c->boot_id), "%s", o->boot_id);
	} else if ((r = read_line("/proc/sys/kernel/random/boot_id", c->boot_id, sizeof(c->boot_id)))) {
		snprintf(err, errlen, "cannot read /proc/sys/kernel/random/boot_id (%s): give the boot id",
			 strerror(-r));
		return r;
	}
	if (o->host_name)
		snprintf(c->host_name, sizeof(c->host_name), "%s", o->host_name);
	else if (gethostname(c->host_name, sizeof(c->host_name) - 1))
		snprintf(c->host_name, sizeof(c->host_name), "unknown");
	return 0;
}

int fleet_conf_load(struct fleet_conf *c, const char *url, const struct wd_fleet_opts *opts,
		    bool need_identity, char *err, size_t errlen)
{
	struct wd_fleet_opts o = { 0 };
	int r;
	*c = (struct fleet_conf){ 0 };
	if (opts) {
		size_t n = opts->sz && opts->sz < sizeof(o) ? opts->sz : sizeof(o);
		memcpy(&o, opts, n);
	}
	snprintf(c->user, sizeof(c->user), "default");
	r = parse_url(c, url, err, errlen);
	if (!r && o.password_file)
		r = read_password(c, o.password_file, err, errlen);
	if (!r && need_identity)
		r = identity(c, &o, err, errlen);
	if (r) {
		fleet_conf_free(c);
		return r;
	}
	snprintf(c->cluster, sizeof(c->cluster), "%s", o.cluster ? o.cluster : "warden_cluster");
	if (!fleet_ident_ok(c->cluster)) {
		snprintf(err, errlen, "cluster name '%s' is not an identifier ([A-Za-z_][A-Za-z0-9_]*)", o.cluster);
		fleet_conf_free(c);
		return -EINVAL;
	}
	snprintf(c->spool_dir, sizeof(c->spool_dir), "%s", o.spool_dir ? o.spool_dir : "/var/lib/warden/spool");
	c->spool_max_bytes = o.spool_max_bytes ? o.spool_max_bytes : 256ull << 20;
	c->batch_ms = o.batch_ms ? o.batch_ms : 1000;
	c->batch_bytes = o.batch_bytes ? o.batch_bytes : 1u << 20;
	c->queue_max_bytes = o.queue_max_bytes ? o.queue_max_bytes : 32u << 20;
	c->timeout_ms = o.timeout_ms ? o.timeout_ms : 5000;
	c->retry_min_ms = o.retry_min_ms ? o.retry_min_ms : 250;
	c->retry_max_ms = o.retry_max_ms ? o.retry_max_ms : 10000;
	if (c->retry_max_ms < c->retry_min_ms)
		c->retry_max_ms = c->retry_min_ms;
	c->level = o.compression_level >= 1 && o.compression_level <= 9 ? o.compression_level : 1;
	c->allow_offline_start = o.allow_offline_start;
	return 0;
}

void fleet_conf_free(struct fleet_conf *c)
{
	if (c->password) {
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
		c->password = NULL;
	}
}
