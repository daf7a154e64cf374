// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The sink: wd_fleet_push appends a JSONEachRow line to the open batch under
 * a mutex and never touches the network or the disk.  Two threads of its own:
 *
 *   writer  seals the open batch (batch_bytes reached, batch_ms passed, or
 *           close), gzips it and writes it to the spool;
 *   sender  inserts the spool's files oldest first (a backlog coalesced into
 *           one insert) and removes them once ClickHouse answered 200; on a
 *           failure it fsyncs what waits, backs off (retry_min_ms doubling to
 *           retry_max_ms) and retries the same oldest files.
 *
 * So the spool is the queue between them: a crash (SIGKILL) loses only the
 * rows in memory, the open batch and the sealed batches waiting for the
 * writer (queue_max_bytes: at a steady rate none, in a burst up to that);
 * push drops (dropped_queue_full) when they would pass it.  Replays may
 * insert a batch twice (the insert landed but the answer was lost): the
 * table is a ReplacingMergeTree keyed on (host_id, boot_id, seq), so FINAL
 * counts once. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "internal.h"

struct sealed {
	struct fbuf buf;
	uint64_t rows;
};

struct wd_fleet {
	struct fleet_conf conf;
	struct fleet_spool spool;

	pthread_mutex_t mu;             /* open, sealed, closing, stats */
	pthread_cond_t writer_cv, sender_cv;
	struct fbuf open;               /* rows not yet sealed */
	uint64_t open_rows, open_since; /* monotonic ns of the first row */
	struct sealed *q;               /* sealed batches for the writer, oldest first */
	size_t q_len, q_cap;
	size_t q_bytes;                 /* their bytes, bounded by queue_max_bytes */
	struct fbuf spare;              /* a written batch's buffer, for the next open one */
	bool closing, writer_done;
	bool close_failed;              /* an insert failed after close began: leave the rest spooled */
	uint64_t close_deadline;        /* monotonic ns: close sends until then, the rest waits on disk */
	uint64_t backoff_until;         /* monotonic ns; 0 = server believed up */
	unsigned int backoff_ms;
	struct wd_fleet_stats st;

	pthread_mutex_t spool_mu;       /* the spool's list and byte count */
	pthread_t writer, sender;
	bool writer_started, sender_started;
};

static uint64_t ms_ns(unsigned int ms)
{
	return (uint64_t)ms * 1000000ull;
}

/* pthread_cond_timedwait until the monotonic deadline (conds are set to
 * CLOCK_MONOTONIC: a wall-clock step must not stall a batch). */
static void wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, uint64_t deadline_ns)
{
	struct timespec ts = { .tv_sec = (time_t)(deadline_ns / 1000000000ull),
			       .tv_nsec = (long)(deadline_ns % 1000000000ull) };
	pthread_cond_timedwait(cv, mu, &ts);
}

static int cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t a;
	int r = pthread_condattr_init(&a);
	if (!r)
		r = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	if (!r)
		r = pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
	return -r;
}

/* ---- push: the caller's thread ---- */

/* Move the open batch to the writer's queue; mu held.  false when the
 * queue has no room for it (queue_max_bytes). */
static bool seal_open(struct wd_fleet *f)
{
	if (!f->open_rows)
		return false;
	if (f->q_len && f->q_bytes + f->open.len > f->conf.queue_max_bytes)
		return false;
	if (f->q_len == f->q_cap) {
		size_t cap = f->q_cap ? 2 * f->q_cap : 8;
		struct sealed *q = realloc(f->q, cap * sizeof(*q));
		if (!q)
			return false;
		f->q = q;
		f->q_cap = cap;
	}
	f->q[f->q_len++] = (struct sealed){ .buf = f->open, .rows = f->open_rows };
	f->q_bytes += f->open.len;
	f->open = f->spare;
	f->spare = (struct fbuf){ 0 };
	f->open.len = 0;
	f->open_rows = 0;
	pthread_cond_signal(&f->writer_cv);
	return true;
}

int wd_fleet_push(struct wd_fleet *f, const struct wd_fleet_row *row)
{
	size_t before;
	int r;
	if (!f || !row)
		return -EINVAL;
	pthread_mutex_lock(&f->mu);
	if (f->closing) {
		pthread_mutex_unlock(&f->mu);
		return -EPIPE;
	}
	if (f->open.len >= f->conf.batch_bytes && !seal_open(f)) {
		f->st.dropped_queue_full++;
		pthread_mutex_unlock(&f->mu);
		return -ENOBUFS;
	}
	before = f->open.len;
	r = fleet_row_append(&f->open, &f->conf, row);
	if (r) {
		f->st.dropped_queue_full++;     /* out of memory: the queue is full too */
		pthread_mutex_unlock(&f->mu);
		return -ENOBUFS;
	}
	if (!f->open_rows) {
		/* the writer sleeps without a deadline while nothing is open */
		f->open_since = fleet_now_ns();
		pthread_cond_signal(&f->writer_cv);
	}
	f->open_rows++;
	f->st.rows_queued++;
	f->st.raw_bytes += f->open.len - before;
	if (f->open.len >= f->conf.batch_bytes)
		seal_open(f);
	pthread_mutex_unlock(&f->mu);
	return 0;
}

/* ---- writer thread ---- */

static void spool_batch(struct wd_fleet *f, const struct fbuf *batch, uint64_t rows, struct fbuf *gz)
{
	struct spool_file sf;
	int r = fleet_gzip(batch->p, batch->len, f->conf.level, gz);
	bool sync;
	/* fsync now only when the server is down: the batch will wait on disk.
	 * A backlog behind a slow server is synced by the sender, which waits
	 * on the network anyway (see spool.c) */
	pthread_mutex_lock(&f->mu);
	sync = f->backoff_until != 0;
	pthread_mutex_unlock(&f->mu);
	if (!r) {
		pthread_mutex_lock(&f->spool_mu);
		r = fleet_spool_write(&f->spool, gz->p, gz->len, rows, sync, &sf);
		if (!r)
			r = fleet_spool_add(&f->spool, &sf);
		pthread_mutex_unlock(&f->spool_mu);
	}
	pthread_mutex_lock(&f->mu);
	if (r == -ENOSPC)
		f->st.dropped_spool_full += rows;
	else if (r)
		f->st.dropped_spool_error += rows;
	if (r && r != -ENOSPC)
		snprintf(f->st.last_error, sizeof(f->st.last_error), "spool %s: cannot write a batch: %s",
			 f->conf.spool_dir, strerror(-r));
	pthread_cond_signal(&f->sender_cv);
	pthread_mutex_unlock(&f->mu);
}

static void *writer_main(void *arg)
{
	struct wd_fleet *f = arg;
	struct fbuf gz = { 0 };
	pthread_mutex_lock(&f->mu);
	for (;;) {
		if (f->open_rows && (f->closing || fleet_now_ns() >= f->open_since + ms_ns(f->conf.batch_ms)))
			seal_open(f);
		if (f->q_len) {
			/* the batch stays queued (and counted) while written: push
			 * sees the bound */
			struct sealed b = f->q[0];
			pthread_mutex_unlock(&f->mu);
			spool_batch(f, &b.buf, b.rows, &gz);
			pthread_mutex_lock(&f->mu);
			memmove(f->q, f->q + 1, (f->q_len - 1) * sizeof(*f->q));
			f->q_len--;
			f->q_bytes -= b.buf.len;
			if (!f->spare.p)
				f->spare = b.buf;
			else
				fbuf_free(&b.buf);
			continue;
		}
		if (f->closing && !f->open_rows)
			break;
		if (f->open_rows)
			wait_until(&f->writer_cv, &f->mu, f->open_since + ms_ns(f->conf.batch_ms));
		else
			pthread_cond_wait(&f->writer_cv, &f->mu);
	}
	f->writer_done = true;
	pthread_cond_broadcast(&f->sender_cv);
	pthread_mutex_unlock(&f->mu);
	fbuf_free(&gz);
	return NULL;
}

/* ---- sender thread ---- */

/* A backlog (server back, or inserts slower than batches come) goes out as
 * one insert of several spool files: gzip members concatenated are one gzip
 * stream (RFC 1952 2.2; ClickHouse 18.16 reads them), and ClickHouse makes
 * one part of it instead of one per batch.  Bounds of one insert: */
#define COALESCE_FILES 64
#define COALESCE_GZ_BYTES (8u << 20)
#define COALESCE_ROWS 200000

/* The oldest files for the next insert (at most max); 0 when the spool is empty. */
static size_t spool_heads(struct wd_fleet *f, struct spool_file *heads, size_t max)
{
	size_t n = 0;
	uint64_t bytes = 0, rows = 0;
	pthread_mutex_lock(&f->spool_mu);
	while (n < max && n < f->spool.nfiles) {
		const struct spool_file *sf = &f->spool.files[n];
		if (n && (bytes + sf->bytes > COALESCE_GZ_BYTES || rows + sf->rows > COALESCE_ROWS))
			break;
		bytes += sf->bytes;
		rows += sf->rows;
		heads[n++] = *sf;
	}
	pthread_mutex_unlock(&f->spool_mu);
	return n;
}

/* An insert failed: what waits in the spool must survive a power loss too.
 * Files are synced outside the lock (only the sender removes files, so the
 * names stay valid). */
static void sync_spool_from(struct wd_fleet *f, size_t first)
{
	char name[sizeof(((struct spool_file *)0)->name)];
	bool any = false;
	for (size_t i = first;; i++) {
		pthread_mutex_lock(&f->spool_mu);
		bool more = i < f->spool.nfiles, todo = more && !f->spool.files[i].synced;
		if (todo)
			memcpy(name, f->spool.files[i].name, sizeof(name));
		pthread_mutex_unlock(&f->spool_mu);
		if (!more)
			break;
		if (!todo || fleet_spool_sync(&f->spool, name))
			continue;
		any = true;
		pthread_mutex_lock(&f->spool_mu);
		/* the list only grows at its end meanwhile: index i is still this file */
		if (i < f->spool.nfiles && !strcmp(f->spool.files[i].name, name))
			f->spool.files[i].synced = true;
		pthread_mutex_unlock(&f->spool_mu);
	}
	if (any)
		fleet_spool_sync_dir(&f->spool);
}

static void sync_spool(struct wd_fleet *f)
{
	sync_spool_from(f, 0);
}

static void account(struct wd_fleet *f, const struct spool_file *h, size_t n, enum fleet_verdict v,
		    const struct fleet_http *http, const char *err)
{
	uint64_t rows = 0, bytes = 0, replayed = 0, first_failure = 0;
	for (size_t i = 0; i < n; i++) {
		rows += h[i].rows;
		bytes += h[i].bytes;
		if (h[i].attempts || h[i].from_earlier_run)
			replayed += h[i].rows;
		else
			first_failure += h[i].rows;
	}
	if (v == FLEET_RETRY)
		sync_spool(f);
	pthread_mutex_lock(&f->spool_mu);
	for (size_t i = 0; i < n && f->spool.nfiles; i++) {
		if (v == FLEET_OK)
			fleet_spool_remove_head(&f->spool);
		else if (v == FLEET_REJECTED)
			fleet_spool_reject_head(&f->spool);
		else
			f->spool.files[i].attempts++;
	}
	pthread_mutex_unlock(&f->spool_mu);

	pthread_mutex_lock(&f->mu);
	if (v == FLEET_OK) {
		f->st.rows_sent += rows;
		f->st.batches_sent++;
		f->st.bytes_sent += http->request_bytes;
		f->st.body_bytes_sent += bytes;
		f->st.rows_replayed += replayed;
		f->backoff_until = 0;
		f->backoff_ms = 0;
	} else {
		f->st.batches_failed++;
		if (f->writer_done)
			f->close_failed = true;
		snprintf(f->st.last_error, sizeof(f->st.last_error), "%s", err);
		if (v == FLEET_REJECTED) {
			f->st.dropped_rejected += rows;
		} else {
			f->st.rows_spooled += first_failure;
			f->backoff_ms = f->backoff_ms ? f->backoff_ms * 2 : f->conf.retry_min_ms;
			if (f->backoff_ms > f->conf.retry_max_ms)
				f->backoff_ms = f->conf.retry_max_ms;
			f->backoff_until = fleet_now_ns() + ms_ns(f->backoff_ms);
		}
	}
	pthread_mutex_unlock(&f->mu);
}

/* The sender's state, mu held: true to stop, *wait_ns the deadline to sleep
 * until (0 = until signalled), or neither: send the head now. */
static bool sender_should_stop(struct wd_fleet *f, bool have_file, uint64_t *wait_ns)
{
	*wait_ns = 0;
	if (f->writer_done) {
		/* closing: one pass over what is left while the server answers;
		 * the rest stays in the spool for the next run */
		return !have_file || f->close_failed ||
		       (f->close_deadline && fleet_now_ns() >= f->close_deadline);
	}
	if (!have_file)
		return (*wait_ns = UINT64_MAX), false;
	if (f->backoff_until > fleet_now_ns())
		*wait_ns = f->backoff_until;
	return false;
}

/* The files' contents, one after the other, in body. */
static int read_files(struct wd_fleet *f, const struct spool_file *h, size_t n, struct fbuf *body,
		      struct fbuf *one, char *err, size_t errlen)
{
	body->len = 0;
	for (size_t i = 0; i < n; i++) {
		int r = fleet_spool_read(&f->spool, h[i].name, n == 1 ? body : one);
		if (!r && n > 1)
			r = fbuf_add(body, one->p, one->len);
		if (r) {
			snprintf(err, errlen, "spool %s: cannot read %s: %s", f->conf.spool_dir, h[i].name,
				 strerror(-r));
			return r;
		}
	}
	return 0;
}

static void *sender_main(void *arg)
{
	struct wd_fleet *f = arg;
	struct spool_file heads[COALESCE_FILES];
	struct fleet_http http;
	struct fbuf body = { 0 }, one = { 0 };
	char err[256];
	bool have_http = fleet_http_init(&http, &f->conf) == 0;
	size_t singly = 0;              /* after a rejected multi-file insert: files to try alone */
	for (;;) {
		uint64_t wait_ns;
		size_t n = spool_heads(f, heads, singly ? 1 : COALESCE_FILES);
		pthread_mutex_lock(&f->mu);
		if (sender_should_stop(f, n > 0, &wait_ns)) {
			pthread_mutex_unlock(&f->mu);
			break;
		}
		if (wait_ns) {
			if (wait_ns == UINT64_MAX)
				pthread_cond_wait(&f->sender_cv, &f->mu);
			else
				wait_until(&f->sender_cv, &f->mu, wait_ns);
			pthread_mutex_unlock(&f->mu);
			continue;
		}
		pthread_mutex_unlock(&f->mu);

		/* what waits behind this insert must survive a power loss too */
		sync_spool_from(f, n);
		enum fleet_verdict v = FLEET_RETRY;
		if (read_files(f, heads, n, &body, &one, err, sizeof(err)))
			v = FLEET_REJECTED;     /* a file that cannot be read never will */
		else if (!have_http)
			snprintf(err, sizeof(err), "insert: libcurl could not be initialised");
		else
			v = fleet_http_insert(&http, body.p, body.len, err, sizeof(err));
		if (v == FLEET_REJECTED && n > 1) {
			/* which file?  each of them alone: only the bad one is set aside */
			singly = n;
			continue;
		}
		if (singly && v != FLEET_RETRY)
			singly--;
		account(f, heads, n, v, &http, err);
	}
	if (have_http)
		fleet_http_free(&http);
	fbuf_free(&body);
	fbuf_free(&one);
	return NULL;
}

/* ---- open / close ---- */

/* The server answers, takes these credentials and has the table with the
 * columns this sink writes. */
static int check_server(const struct fleet_conf *c, char *err, size_t errlen)
{
	static const char *const needed[] = { "host_id", "boot_id", "seq", "time", "kind", "event" };
	struct fleet_http h;
	char sql[512];
	int r = fleet_http_init(&h, c);
	if (r) {
		snprintf(err, errlen, "libcurl could not be initialised");
		return r;
	}
	snprintf(sql, sizeof(sql),
		 "SELECT name FROM system.columns WHERE database = '%s' AND table = '%s' FORMAT TSV",
		 c->database, c->table);
	r = fleet_http_query(&h, sql, err, errlen);
	if (!r && (!h.body.p || !h.body.len)) {
		snprintf(err, errlen, "table %s.%s does not exist on ClickHouse at %s:%u: create it with 'warden fleet init URL'",
			 c->database, c->table, c->host, c->port);
		r = -ENOENT;
	}
	for (size_t i = 0; !r && i < sizeof(needed) / sizeof(needed[0]); i++) {
		/* TSV: one name a line */
		const char *p = h.body.p;
		size_t n = strlen(needed[i]);
		bool found = false;
		while (p && *p && !found) {
			found = !strncmp(p, needed[i], n) && (p[n] == '\n' || !p[n]);
			p = strchr(p, '\n');
			p = p ? p + 1 : NULL;
		}
		if (!found) {
			snprintf(err, errlen, "table %s.%s on %s:%u has no column '%s': it was not made by 'warden fleet init' (dist/clickhouse/schema.sql)",
				 c->database, c->table, c->host, c->port, needed[i]);
			r = -EINVAL;
		}
	}
	fleet_http_free(&h);
	return r;
}

static void free_fleet(struct wd_fleet *f)
{
	fleet_spool_close(&f->spool);
	fleet_conf_free(&f->conf);
	fbuf_free(&f->open);
	for (size_t i = 0; i < f->q_len; i++)
		fbuf_free(&f->q[i].buf);
	free(f->q);
	fbuf_free(&f->spare);
	pthread_mutex_destroy(&f->mu);
	pthread_mutex_destroy(&f->spool_mu);
	pthread_cond_destroy(&f->writer_cv);
	pthread_cond_destroy(&f->sender_cv);
	free(f);
}

static void stop_threads(struct wd_fleet *f)
{
	pthread_mutex_lock(&f->mu);
	f->closing = true;
	/* a large backlog is the next run's: close stays within ~2 timeouts */
	f->close_deadline = fleet_now_ns() + ms_ns(f->conf.timeout_ms);
	pthread_cond_broadcast(&f->writer_cv);
	pthread_mutex_unlock(&f->mu);
	if (f->writer_started)
		pthread_join(f->writer, NULL);
	pthread_mutex_lock(&f->mu);
	f->writer_done = true;
	f->backoff_until = 0;   /* one last try of what is spooled, back-off or not */
	pthread_cond_broadcast(&f->sender_cv);
	pthread_mutex_unlock(&f->mu);
	if (f->sender_started)
		pthread_join(f->sender, NULL);
}

struct wd_fleet *wd_fleet_open(const char *url, const struct wd_fleet_opts *opts, char *err, size_t errlen)
{
	struct wd_fleet *f = calloc(1, sizeof(*f));
	char dummy[8];
	int r;
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = 0;
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->spool.dir_fd = f->spool.lock_fd = -1;
	pthread_mutex_init(&f->mu, NULL);
	pthread_mutex_init(&f->spool_mu, NULL);
	if (cond_init(&f->writer_cv) || cond_init(&f->sender_cv)) {
		snprintf(err, errlen, "cannot create condition variables");
		free(f);
		return NULL;
	}
	r = fleet_conf_load(&f->conf, url, opts, true, err, errlen);
	if (!r && f->conf.batch_bytes > (256u << 20)) {
		snprintf(err, errlen, "batch_bytes %zu is over 256 MiB: a batch is one HTTP body in memory",
			 f->conf.batch_bytes);
		r = -EINVAL;
	}
	if (!r) {
		r = check_server(&f->conf, err, errlen);
		/* an unreachable server may be tolerated; a wrong password or table never */
		if ((r == -ECONNREFUSED || r == -ETIMEDOUT) && f->conf.allow_offline_start)
			r = 0, err[0] = 0;
	}
	if (!r)
		r = fleet_spool_open(&f->spool, f->conf.spool_dir, f->conf.spool_max_bytes, err, errlen);
	if (!r) {
		r = -pthread_create(&f->writer, NULL, writer_main, f);
		f->writer_started = !r;
	}
	if (!r) {
		r = -pthread_create(&f->sender, NULL, sender_main, f);
		f->sender_started = !r;
	}
	if (r) {
		if (!err[0])
			snprintf(err, errlen, "cannot start the sink's threads: %s", strerror(-r));
		stop_threads(f);
		free_fleet(f);
		return NULL;
	}
	return f;
}

void wd_fleet_close_stats(struct wd_fleet *f, struct wd_fleet_stats *st)
{
	if (!f)
		return;
	stop_threads(f);
	if (st)
		wd_fleet_get_stats(f, st);
	free_fleet(f);
}

void wd_fleet_close(struct wd_fleet *f)
{
	wd_fleet_close_stats(f, NULL);
}

void wd_fleet_get_stats(struct wd_fleet *f, struct wd_fleet_stats *st)
{
	if (!f || !st)
		return;
	pthread_mutex_lock(&f->mu);
	*st = f->st;
	pthread_mutex_unlock(&f->mu);
	pthread_mutex_lock(&f->spool_mu);
	st->spool_bytes = f->spool.bytes;
	st->rows_pending = fleet_spool_pending_rows(&f->spool);
	pthread_mutex_unlock(&f->spool_mu);
}

uint64_t wd_fleet_stats_dropped(const struct wd_fleet_stats *st)
{
	return st->dropped_queue_full + st->dropped_spool_full + st->dropped_spool_error + st->dropped_rejected;
}
