/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The fleet sink's parts: URL and identity (config.c), ClickHouse over HTTP
 * with libcurl (http.c), rows as JSONEachRow (row.c), the on-disk spool
 * (spool.c), the queue and its two threads (sink.c), the schema (init.c). */
#ifndef WARDEN_FLEET_INTERNAL_H
#define WARDEN_FLEET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fleet.h"

#define FLEET_NAME_MAX 64

/* A growable byte buffer. */
struct fbuf {
	char *p;
	size_t len, cap;
};
int fbuf_reserve(struct fbuf *b, size_t extra);
int fbuf_add(struct fbuf *b, const void *s, size_t n);
void fbuf_free(struct fbuf *b);

/* Where and as whom: the parsed URL, the password and this host's identity. */
struct fleet_conf {
	char host[256];             /* as in the URL ("[::1]" keeps its brackets) */
	unsigned int port;
	char user[FLEET_NAME_MAX + 1];
	char *password;             /* malloc'd, may be NULL */
	char database[FLEET_NAME_MAX + 1];
	char table[FLEET_NAME_MAX + 1];
	char cluster[FLEET_NAME_MAX + 1];
	char host_id[128], host_name[256], boot_id[128];
	char spool_dir[512];
	uint64_t spool_max_bytes;
	unsigned int batch_ms, timeout_ms, retry_min_ms, retry_max_ms;
	size_t batch_bytes, queue_max_bytes;
	int level;
	bool allow_offline_start;
};
/* Parse url and opts (defaults filled in, password file read).  0 or -errno
 * with one line in err. */
int fleet_conf_load(struct fleet_conf *c, const char *url, const struct wd_fleet_opts *opts,
		    bool need_identity, char *err, size_t errlen);
void fleet_conf_free(struct fleet_conf *c);
/* [A-Za-z_][A-Za-z0-9_]*, at most FLEET_NAME_MAX. */
bool fleet_ident_ok(const char *s);

/* One HTTP exchange with ClickHouse. */
struct fleet_http {
	void *curl;                 /* CURL *, reused: keep-alive */
	const struct fleet_conf *conf;
	long status;                /* HTTP status, 0 when no answer */
	int curl_code;              /* CURLcode */
	struct fbuf body;           /* the answer (cut at 64 KiB) */
	uint64_t request_bytes;     /* headers + body sent by the last request */
};
enum fleet_verdict {
	FLEET_OK,
	FLEET_RETRY,                /* server down, timeout, 5xx, auth or table gone: keep and retry */
	FLEET_REJECTED,             /* HTTP 400: the data itself is refused, retrying cannot help */
};
int fleet_http_init(struct fleet_http *h, const struct fleet_conf *c);
void fleet_http_free(struct fleet_http *h);
/* Run a statement (POST body), answer in h->body.  0 on HTTP 200, else
 * -errno with one line in err. */
int fleet_http_query(struct fleet_http *h, const char *sql, char *err, size_t errlen);
/* INSERT a gzip'd JSONEachRow body into the table. */
enum fleet_verdict fleet_http_insert(struct fleet_http *h, const void *gz, size_t len, char *err, size_t errlen);
/* Make err one line from a failed exchange. */
void fleet_http_explain(const struct fleet_http *h, const char *what, char *err, size_t errlen);

/* A row as one JSONEachRow line (with '\n') appended to b. */
int fleet_row_append(struct fbuf *b, const struct fleet_conf *c, const struct wd_fleet_row *r);
/* gzip (RFC 1952) of in. */
int fleet_gzip(const void *in, size_t len, int level, struct fbuf *out);

/* The spool: one file per batch, named so that a sort is oldest first. */
struct spool_file {
	char name[96];
	uint64_t rows, bytes;
	unsigned int attempts;      /* failed inserts so far (this run) */
	bool from_earlier_run;
	bool synced;                /* fdatasync'd, and the directory with its name */
};
struct fleet_spool {
	int dir_fd, lock_fd;
	char dir[512];
	struct spool_file *files;   /* sorted, oldest first */
	size_t nfiles, cap;
	uint64_t bytes;             /* pending files + rejected/ */
	uint64_t max_bytes;
	uint64_t last_stamp;        /* keeps names increasing when the clock steps back */
	unsigned int counter;
};
int fleet_spool_open(struct fleet_spool *s, const char *dir, uint64_t max_bytes, char *err, size_t errlen);
void fleet_spool_close(struct fleet_spool *s);
/* Write a batch, 0600, fsync'd when sync.  -ENOSPC when the spool bound
 * would be passed, other -errno on a write error.  *out gets the entry (not
 * added). */
int fleet_spool_write(struct fleet_spool *s, const void *gz, size_t len, uint64_t rows, bool sync,
		      struct spool_file *out);
/* fdatasync a file written without, then the directory. */
int fleet_spool_sync(struct fleet_spool *s, const char *name);
int fleet_spool_sync_dir(struct fleet_spool *s);
int fleet_spool_add(struct fleet_spool *s, const struct spool_file *f);
int fleet_spool_read(struct fleet_spool *s, const char *name, struct fbuf *out);
/* Remove the oldest file (sent), or move it to rejected/. */
void fleet_spool_remove_head(struct fleet_spool *s);
void fleet_spool_reject_head(struct fleet_spool *s);
uint64_t fleet_spool_pending_rows(const struct fleet_spool *s);

uint64_t fleet_now_ns(void);    /* CLOCK_MONOTONIC */

#endif
