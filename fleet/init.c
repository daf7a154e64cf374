// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* wd_fleet_init: run dist/clickhouse/schema.sql (built into the binary) with
 * the URL's database and table.  The file names warden.events,
 * warden.events_all and the cluster warden_cluster: whole identifiers are
 * replaced, never text inside strings or comments. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* The schema file, NUL-terminated (fleet/fleet.mk makes init.o depend on it;
 * the path is relative to the top of the tree, where make runs). */
__asm__(".pushsection .rodata\n"
	".global fleet_schema_sql\n"
	".type fleet_schema_sql, @object\n"
	"fleet_schema_sql:\n"
	".incbin \"dist/clickhouse/schema.sql\"\n"
	".byte 0\n"
	".popsection\n");
extern const char fleet_schema_sql[];

struct subst {
	const char *from;
	char to[FLEET_NAME_MAX + 8];
};

static bool ident_start(int c)
{
	return isalpha(c) || c == '_';
}

static bool ident_char(int c)
{
	return isalnum(c) || c == '_';
}

/* The statements of sql, comments dropped, identifiers replaced; each
 * statement is NUL-terminated in out, the list ends with an empty one. */
static int rewrite(const char *sql, const struct subst *subs, size_t nsubs, struct fbuf *out)
{
	const char *p = sql;
	int e = 0;
	while (*p && !e) {
		if (p[0] == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
		} else if (*p == '\'') {
			const char *q = p + 1;
			while (*q && *q != '\'')
				q += (*q == '\\' && q[1]) ? 2 : 1;
			if (*q)
				q++;
			e = fbuf_add(out, p, (size_t)(q - p));
			p = q;
		} else if (ident_start((unsigned char)*p)) {
			const char *q = p;
			size_t i;
			while (ident_char((unsigned char)*q))
				q++;
			for (i = 0; i < nsubs; i++)
				if (strlen(subs[i].from) == (size_t)(q - p) && !strncmp(p, subs[i].from, (size_t)(q - p)))
					break;
			e = i < nsubs ? fbuf_add(out, subs[i].to, strlen(subs[i].to)) : fbuf_add(out, p, (size_t)(q - p));
			p = q;
		} else if (*p == ';') {
			e = fbuf_add(out, "", 1);   /* the statement's NUL */
			p++;
		} else {
			e = fbuf_add(out, p, 1);
			p++;
		}
	}
	return e ?: fbuf_add(out, "\0", 2);
}

static bool blank(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return !*s;
}

static bool cluster_exists(struct fleet_http *h, const char *cluster, char *err, size_t errlen)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT count() FROM system.clusters WHERE cluster = '%s' FORMAT TSV", cluster);
	return !fleet_http_query(h, sql, err, errlen) && h->body.p && atoi(h->body.p) > 0;
}

static void add_note(char *note, size_t notelen, const char *fmt, const char *a, const char *b)
{
	size_t n;
	if (!note || !notelen)
		return;
	n = strlen(note);
	snprintf(note + n, notelen - n, fmt, a, b);
}

int wd_fleet_init_note(const char *url, const struct wd_fleet_opts *opts, char *note, size_t notelen,
		       char *err, size_t errlen)
{
	struct fleet_conf c;
	struct fleet_http h;
	struct fbuf stmts = { 0 };
	char dummy[8], all[FLEET_NAME_MAX + 8];
	int r;
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = 0;
	if (note && notelen)
		note[0] = 0;
	r = fleet_conf_load(&c, url, opts, false, err, errlen);
	if (r)
		return r;
	if (strlen(c.table) + 4 > FLEET_NAME_MAX) {
		snprintf(err, errlen, "table name '%s' is too long for its Distributed table '%s_all'", c.table, c.table);
		fleet_conf_free(&c);
		return -EINVAL;
	}
	snprintf(all, sizeof(all), "%s_all", c.table);
	struct subst subs[] = {
		{ "warden" }, { "events" }, { "events_all" }, { "warden_cluster" },
	};
	snprintf(subs[0].to, sizeof(subs[0].to), "%s", c.database);
	snprintf(subs[1].to, sizeof(subs[1].to), "%s", c.table);
	snprintf(subs[2].to, sizeof(subs[2].to), "%s", all);
	snprintf(subs[3].to, sizeof(subs[3].to), "%s", c.cluster);
	r = rewrite(fleet_schema_sql, subs, sizeof(subs) / sizeof(subs[0]), &stmts);
	if (!r)
		r = fleet_http_init(&h, &c);
	if (r) {
		snprintf(err, errlen, "out of memory");
		fbuf_free(&stmts);
		fleet_conf_free(&c);
		return r;
	}
	for (const char *s = stmts.p; *s || s[1]; s += strlen(s) + 1) {
		if (blank(s))
			continue;
		if (strstr(s, "ENGINE = Distributed(")) {
			if (!cluster_exists(&h, c.cluster, err, errlen)) {
				if (err[0])
					break;  /* the query itself failed */
				add_note(note, notelen, "%s.%s: ", c.database, all);
				add_note(note, notelen,
					 "distributed table skipped: no cluster '%s' in system.clusters (remote_servers in config.xml)%s",
					 c.cluster, "; ");
				continue;
			}
			add_note(note, notelen, "%s.%s created (Distributed); ", c.database, all);
		}
		r = fleet_http_query(&h, s, err, errlen);
		if (r)
			break;
	}
	if (!r && !err[0])
		add_note(note, notelen, "%s.%s ready", c.database, c.table);
	if (!r && err[0])
		r = -EIO;
	fleet_http_free(&h);
	fbuf_free(&stmts);
	fleet_conf_free(&c);
	return r;
}

int wd_fleet_init(const char *url, const struct wd_fleet_opts *opts, char *err, size_t errlen)
{
	return wd_fleet_init_note(url, opts, NULL, 0, err, errlen);
}
