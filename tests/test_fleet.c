// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The fleet sink against a real clickhouse-server that each test starts on
 * 127.0.0.1 (free ports for HTTP, TCP and interserver, a temporary data
 * directory, a generated config.xml/users.xml) and removes at the end.  The
 * server is checked with libcurl directly, not through the sink's code.
 * Without clickhouse-server (the QEMU guests) those tests skip; the URL and
 * unreachable-server tests run everywhere.
 */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "fleet/fleet.h"
#include "agent/event.h"
#include "fleet/agent_rows.h"

#define PASSWORD "s3cret-pw"

struct chsrv {
	pid_t pid;
	int http_port, tcp_port, inter_port;
};

struct world {
	char dir[128];              /* everything of the test: server data, configs, spool */
	char spool[192];
	char url[256];              /* clickhouse://127.0.0.1:<http>/warden_test.events */
	struct chsrv srv;
	struct wd_fleet *sink;
	pid_t child;
};

/* ---- the server ------------------------------------------------------------ */

static const char *server_binary(void)
{
	static const char *const paths[] = { "/usr/bin/clickhouse-server", "/usr/sbin/clickhouse-server",
					     "/usr/local/bin/clickhouse-server" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!access(paths[i], X_OK))
			return paths[i];
	return NULL;
}

/* A port on 127.0.0.1 nobody listens on, or -1 without a usable loopback
 * (a guest whose lo is down). */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;
	if (fd < 0)
		return -1;
	if (!bind(fd, (struct sockaddr *)&a, sizeof(a)) && !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void write_configs(struct world *w)
{
	char path[256], *text;
	/* a cluster of one shard (this server) for the Distributed table */
	assert_true(asprintf(&text,
		"<?xml version=\"1.0\"?>\n<yandex>\n"
		"  <logger><level>warning</level><log>%1$s/server.log</log><errorlog>%1$s/server.err.log</errorlog></logger>\n"
		"  <http_port>%2$d</http_port>\n  <tcp_port>%3$d</tcp_port>\n"
		"  <interserver_http_port>%4$d</interserver_http_port>\n"
		"  <listen_host>127.0.0.1</listen_host>\n"
		"  <path>%1$s/data/</path>\n  <tmp_path>%1$s/data/tmp/</tmp_path>\n"
		"  <user_files_path>%1$s/data/user_files/</user_files_path>\n"
		"  <format_schema_path>%1$s/data/format_schemas/</format_schema_path>\n"
		"  <users_config>%1$s/users.xml</users_config>\n"
		"  <default_profile>default</default_profile>\n  <default_database>default</default_database>\n"
		"  <mark_cache_size>67108864</mark_cache_size>\n  <uncompressed_cache_size>67108864</uncompressed_cache_size>\n"
		"  <timezone>UTC</timezone>\n"
		"  <remote_servers><warden_cluster><shard><replica><host>127.0.0.1</host><port>%3$d</port></replica></shard></warden_cluster></remote_servers>\n"
		"</yandex>\n", w->dir, w->srv.http_port, w->srv.tcp_port, w->srv.inter_port) > 0);
	snprintf(path, sizeof(path), "%s/config.xml", w->dir);
	write_file(path, text);
	free(text);
	snprintf(path, sizeof(path), "%s/users.xml", w->dir);
	write_file(path,
		"<?xml version=\"1.0\"?>\n<yandex>\n"
		"  <profiles><default></default></profiles>\n"
		"  <users>\n"
		"    <default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default>\n"
		"    <warden><password>" PASSWORD "</password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></warden>\n"
		"  </users>\n"
		"  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>"
		"<result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>\n"
		"</yandex>\n");
}

struct reply {
	char text[16384];
	size_t len;
};

static size_t on_reply(char *p, size_t size, size_t n, void *ctx)
{
	struct reply *r = ctx;
	size_t len = size * n, keep = len;
	if (r->len + keep >= sizeof(r->text))
		keep = sizeof(r->text) - 1 - r->len;
	memcpy(r->text + r->len, p, keep);
	r->len += keep;
	r->text[r->len] = 0;
	return len;
}

/* One statement as the default user; the HTTP status (0: no answer). */
static long chq(const struct world *w, const char *sql, struct reply *out)
{
	static struct reply scratch;
	char url[96];
	long status = 0;
	CURL *c = curl_easy_init();
	if (!out)
		out = &scratch;
	out->len = 0;
	out->text[0] = 0;
	assert_non_null(c);
	/* an OPTIMIZE that merges nothing says why */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/?optimize_throw_if_noop=1", w->srv.http_port);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, sql);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_reply);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return status;
}

/* A number from a one-value SELECT. */
static uint64_t chnum(const struct world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static uint64_t chnum(const struct world *w, const char *fmt, ...)
{
	struct reply r;
	char *sql;
	va_list ap;
	va_start(ap, fmt);
	assert_true(vasprintf(&sql, fmt, ap) > 0);
	va_end(ap);
	long st = chq(w, sql, &r);
	if (st != 200)
		fail_msg("%s: HTTP %ld: %s", sql, st, r.text);
	free(sql);
	return strtoull(r.text, NULL, 10);
}

/* The end of the server's error log, for a failure message. */
static void log_tail(const struct world *w, char *out, size_t len)
{
	char path[192];
	out[0] = 0;
	snprintf(path, sizeof(path), "%s/server.err.log", w->dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	long end = ftell(f);
	fseek(f, end > (long)len - 1 ? end - (long)len + 1 : 0, SEEK_SET);
	size_t n = fread(out, 1, len - 1, f);
	out[n] = 0;
	fclose(f);
}

/* 0 once SELECT 1 answers, -1 when the server exited (a port taken between
 * free_port() and its bind, say). */
static int srv_try_start(struct world *w)
{
	const char *bin = server_binary();
	char cfg[192], log[192];
	snprintf(cfg, sizeof(cfg), "--config-file=%s/config.xml", w->dir);
	snprintf(log, sizeof(log), "%s/stdout.log", w->dir);
	w->srv.pid = fork();
	assert_true(w->srv.pid >= 0);
	if (w->srv.pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		setpgid(0, 0);
		execl(bin, "clickhouse-server", cfg, (char *)NULL);
		_exit(127);
	}
	/* up when SELECT 1 answers (18.16 here: well under a second) */
	for (int i = 0; i < 300; i++) {
		struct reply r;
		int st;
		if (chq(w, "SELECT 1", &r) == 200)
			return 0;
		if (waitpid(w->srv.pid, &st, WNOHANG) == w->srv.pid) {
			w->srv.pid = 0;
			return -1;
		}
		usleep(100000);
	}
	fail_msg("clickhouse-server did not answer SELECT 1 within 30 s (see %s)", log);
	return -1;
}

static void srv_start(struct world *w)
{
	char tail[600];
	if (srv_try_start(w) == 0)
		return;
	log_tail(w, tail, sizeof(tail));
	fail_msg("clickhouse-server exited at start: %s", tail);
}

static void srv_kill(struct world *w, int sig)
{
	int st;
	if (w->srv.pid <= 0)
		return;
	kill(w->srv.pid, sig);
	for (int i = 0; i < 200 && waitpid(w->srv.pid, &st, WNOHANG) == 0; i++)
		usleep(50000);
	if (waitpid(w->srv.pid, &st, WNOHANG) == 0) {
		kill(w->srv.pid, SIGKILL);
		waitpid(w->srv.pid, &st, 0);
	}
	w->srv.pid = 0;
}

/* A server of the test's own, with the table made by wd_fleet_init. */
static void srv_up(struct world *w, bool with_table)
{
	char err[512];
	if (!server_binary())
		WD_SKIP("clickhouse-server is not installed (host-only test: apt-get install clickhouse-server)");
	for (int attempt = 0;; attempt++) {
		w->srv.http_port = free_port();
		w->srv.tcp_port = free_port();
		w->srv.inter_port = free_port();
		assert_true(w->srv.http_port > 0 && w->srv.tcp_port > 0 && w->srv.inter_port > 0);
		write_configs(w);
		if (srv_try_start(w) == 0)
			break;
		if (attempt == 2) {
			char tail[600];
			log_tail(w, tail, sizeof(tail));
			fail_msg("clickhouse-server exited at start, 3 times: %s", tail);
		}
	}
	snprintf(w->url, sizeof(w->url), "clickhouse://127.0.0.1:%d/warden_test.events", w->srv.http_port);
	if (with_table && wd_fleet_init(w->url, NULL, err, sizeof(err)))
		fail_msg("wd_fleet_init: %s", err);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	if (!w)
		return -1;
	snprintf(w->dir, sizeof(w->dir), "/tmp/warden-fleet-XXXXXX");
	if (!mkdtemp(w->dir)) {
		free(w);
		return -1;
	}
	snprintf(w->spool, sizeof(w->spool), "%s/spool", w->dir);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	if (w->child > 0) {
		kill(w->child, SIGKILL);
		waitpid(w->child, NULL, 0);
	}
	if (w->sink)
		wd_fleet_close(w->sink);
	if (w->srv.pid > 0)
		kill(w->srv.pid, SIGCONT);     /* a test may have stopped it */
	srv_kill(w, SIGTERM);
	nftw(w->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(w);
	return 0;
}

/* ---- rows ------------------------------------------------------------------ */

static struct wd_fleet_opts test_opts(const struct world *w)
{
	return (struct wd_fleet_opts){
		.sz = sizeof(struct wd_fleet_opts), .host_id = "host-a", .host_name = "a.example",
		.boot_id = "boot-1", .spool_dir = w->spool, .batch_ms = 100, .timeout_ms = 2000,
		.retry_min_ms = 100, .retry_max_ms = 500,
	};
}

/* A plain process row whose JSON names its sequence number. */
static int push_row(struct wd_fleet *f, uint64_t seq)
{
	char json[400];
	int n = snprintf(json, sizeof(json), "{\"event\":{\"action\":\"exit\",\"sequence\":%" PRIu64 "},"
			 "\"padding\":\"%0300d\"}", seq, 0);
	struct wd_fleet_row r = {
		.time_ns = 1764400000000000000ull + seq * 1000, .seq = seq, .kind = "exit",
		.category = "process", .pid = (uint32_t)seq, .comm = "worker", .json = json, .json_len = (size_t)n,
	};
	return wd_fleet_push(f, &r);
}

static void push_plain(struct wd_fleet *f, uint64_t seq, int expect)
{
	assert_int_equal(push_row(f, seq), expect);
}

static struct wd_fleet *open_url(struct world *w, const char *url, const struct wd_fleet_opts *o)
{
	char err[512];
	struct wd_fleet *f = wd_fleet_open(url, o, err, sizeof(err));
	if (!f)
		fail_msg("wd_fleet_open: %s", err);
	w->sink = f;
	return f;
}

static struct wd_fleet *open_ok(struct world *w, const struct wd_fleet_opts *o)
{
	return open_url(w, w->url, o);
}

static void close_sink(struct world *w, struct wd_fleet_stats *st)
{
	wd_fleet_close_stats(w->sink, st);
	w->sink = NULL;
}

/* Wait (bounded) until everything queued has been inserted. */
static void wait_drained(struct world *w, uint64_t rows, int max_ms)
{
	struct wd_fleet_stats st;
	for (int t = 0; t < max_ms; t += 50) {
		wd_fleet_get_stats(w->sink, &st);
		if (st.rows_sent >= rows && !st.rows_pending)
			return;
		usleep(50000);
	}
	wd_fleet_get_stats(w->sink, &st);
	fail_msg("not drained after %d ms: queued %" PRIu64 ", raw bytes %" PRIu64 ", batches %" PRIu64 " sent %" PRIu64 " failed, "
		 "sent %" PRIu64 " of %" PRIu64 ", pending %" PRIu64 ", dropped %" PRIu64
		 " (queue %" PRIu64 ", spool full %" PRIu64 ", spool error %" PRIu64 ", rejected %" PRIu64 "), last error: %s",
		 max_ms, st.rows_queued, st.raw_bytes, st.batches_sent, st.batches_failed, st.rows_sent, rows,
		 st.rows_pending, wd_fleet_stats_dropped(&st), st.dropped_queue_full,
		 st.dropped_spool_full, st.dropped_spool_error, st.dropped_rejected, st.last_error);
}

static size_t count_spool_files(const char *dir, bool check_mode)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char path[512];
		struct stat st;
		if (de->d_name[0] != 'b')
			continue;
		n++;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_int_equal(stat(path, &st), 0);
		if (check_mode)
			assert_int_equal(st.st_mode & 0777, 0600);
	}
	closedir(d);
	return n;
}

/* ---- URL and start-up errors ------------------------------------------------ */

static void expect_open_error(struct world *w, const char *url, const struct wd_fleet_opts *o, const char *needle)
{
	char err[512] = "";
	struct wd_fleet *f = wd_fleet_open(url, o, err, sizeof(err));
	if (f) {
		w->sink = f;
		fail_msg("wd_fleet_open(%s) succeeded; expected an error with '%s'", url, needle);
	}
	if (!strstr(err, needle))
		fail_msg("wd_fleet_open(%s): '%s' does not say '%s'", url, err, needle);
	assert_null(strchr(err, '\n'));         /* one line */
}

static void bad_urls_give_one_clear_error(void **state)
{
	struct world *w = *state;
	struct wd_fleet_opts o = test_opts(w);
	static const char *const bad[] = {
		"http://127.0.0.1:8123/db.t",           /* scheme */
		"clickhouse://127.0.0.1:8123",          /* no path */
		"clickhouse://127.0.0.1:8123/db",       /* no table */
		"clickhouse://127.0.0.1:99999/db.t",    /* port */
		"clickhouse://127.0.0.1:12a/db.t",
		"clickhouse://:8123/db.t",              /* host */
		"clickhouse://127.0.0.1:8123/db.t;DROP", /* not an identifier */
		"clickhouse://u:p%zz@127.0.0.1:8123/db.t",
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_open_error(w, bad[i], &o, "bad URL");
	/* the password in the URL and in a file: which one? */
	char pw[256];
	snprintf(pw, sizeof(pw), "%s/pw", w->dir);
	write_file(pw, "x\n");
	o.password_file = pw;
	expect_open_error(w, "clickhouse://u:p@127.0.0.1:1/db.t", &o, "password given twice");
	snprintf(pw, sizeof(pw), "%s/missing", w->dir);
	o.password_file = pw;
	expect_open_error(w, "clickhouse://u@127.0.0.1:1/db.t", &o, "cannot read the password file");
	/* a shape that parses: user, percent-encoded password, IPv6 host */
	char err[512];
	assert_int_equal(wd_fleet_init("clickhouse://u:p%40ss@[::1]:1/db.t", NULL, err, sizeof(err)) < 0, 1);
	assert_non_null(strstr(err, "cannot reach ClickHouse at [::1]:1"));
}

/* No server on the port: an error at start; with allow_offline_start the
 * rows go to the spool (files 0600) and wait there. */
static void unreachable_server_is_an_error_or_spools(void **state)
{
	struct world *w = *state;
	struct wd_fleet_opts o = test_opts(w);
	struct wd_fleet_stats st;
	int port = free_port();
	if (port < 0)
		WD_SKIP("no usable 127.0.0.1 here (loopback down): cannot pick a port nobody listens on");
	snprintf(w->url, sizeof(w->url), "clickhouse://127.0.0.1:%d/db.t", port);
	expect_open_error(w, w->url, &o, "cannot reach ClickHouse");
	o.allow_offline_start = true;
	struct wd_fleet *f = open_ok(w, &o);
	for (uint64_t s = 1; s <= 100; s++)
		push_plain(f, s, 0);
	close_sink(w, &st);
	assert_int_equal(st.rows_queued, 100);
	assert_int_equal(st.rows_sent, 0);
	assert_int_equal(wd_fleet_stats_dropped(&st), 0);
	assert_int_equal(st.rows_pending, 100);
	assert_true(count_spool_files(w->spool, true) >= 1);
	/* the spool belongs to one sink at a time */
	f = open_ok(w, &o);
	expect_open_error(w, w->url, &o, "in use by another warden process");
	close_sink(w, NULL);
}

static void wrong_password_and_unknown_table_fail_at_open(void **state)
{
	struct world *w = *state;
	struct wd_fleet_opts o = test_opts(w);
	char url[256], pw[256];
	srv_up(w, true);
	snprintf(pw, sizeof(pw), "%s/pw", w->dir);
	write_file(pw, "not-the-password\n");
	o.password_file = pw;
	snprintf(url, sizeof(url), "clickhouse://warden@127.0.0.1:%d/warden_test.events", w->srv.http_port);
	expect_open_error(w, url, &o, "refused user 'warden'");
	/* the right one, from the file (trailing newline cut) */
	write_file(pw, PASSWORD "\n");
	struct wd_fleet *f = open_url(w, url, &o);
	push_plain(f, 1, 0);
	/* inserted before the close, whose bounded wait may leave it spooled
	 * on a loaded machine (as the column tests wait) */
	wait_drained(w, 1, 60000);
	close_sink(w, NULL);
	assert_int_equal(chnum(w, "SELECT count() FROM warden_test.events FINAL"), 1);

	o.password_file = NULL;
	snprintf(url, sizeof(url), "clickhouse://127.0.0.1:%d/warden_test.nosuch", w->srv.http_port);
	expect_open_error(w, url, &o, "table warden_test.nosuch does not exist");
	snprintf(url, sizeof(url), "clickhouse://127.0.0.1:%d/nodb.events", w->srv.http_port);
	expect_open_error(w, url, &o, "warden fleet init");
	/* a table that is not ours */
	assert_int_equal(chq(w, "CREATE TABLE warden_test.other (x UInt8) ENGINE = Memory", NULL), 200);
	snprintf(url, sizeof(url), "clickhouse://127.0.0.1:%d/warden_test.other", w->srv.http_port);
	expect_open_error(w, url, &o, "has no column");
}

/* ---- schema ------------------------------------------------------------------ */

static void init_creates_the_schema_and_is_idempotent(void **state)
{
	struct world *w = *state;
	struct wd_fleet_opts o = { .sz = sizeof(o) };
	struct reply r;
	char url[256], note[512], err[512], sql[512];
	srv_up(w, false);
	snprintf(url, sizeof(url), "clickhouse://127.0.0.1:%d/sec.ev", w->srv.http_port);
	for (int pass = 0; pass < 2; pass++) {
		if (wd_fleet_init_note(url, &o, note, sizeof(note), err, sizeof(err)))
			fail_msg("init pass %d: %s", pass, err);
		assert_non_null(strstr(note, "sec.ev_all created"));
	}
	snprintf(sql, sizeof(sql), "SELECT engine, partition_key, sorting_key FROM system.tables "
		 "WHERE database = 'sec' ORDER BY name FORMAT TSV");
	assert_int_equal(chq(w, sql, &r), 200);
	assert_string_equal(r.text,
		"ReplacingMergeTree\ttoYYYYMMDD(time)\tkind, host_id, time, boot_id, seq\n"
		"Distributed\t\t\n");
	/* no other table appeared (the names of schema.sql were all replaced) */
	assert_int_equal(chnum(w, "SELECT count() FROM system.tables WHERE database IN ('warden')"), 0);
	/* a cluster the server does not know: the Distributed table is skipped, said so */
	o.cluster = "nosuch";
	snprintf(url, sizeof(url), "clickhouse://127.0.0.1:%d/sec2.ev", w->srv.http_port);
	assert_int_equal(wd_fleet_init_note(url, &o, note, sizeof(note), err, sizeof(err)), 0);
	assert_non_null(strstr(note, "distributed table skipped: no cluster 'nosuch'"));
	assert_int_equal(chnum(w, "SELECT count() FROM system.tables WHERE database = 'sec2'"), 1);
	/* the command line */
	char *cmd, *out = NULL;
	if (access(wd_test_cli(), X_OK) == 0) {
		assert_true(asprintf(&cmd, "%s fleet init clickhouse://127.0.0.1:%d/cli.ev", wd_test_cli(),
				     w->srv.http_port) > 0);
		int rc = wd_test_run(cmd, &out);
		free(cmd);
		if (rc)
			fail_msg("warden fleet init: exit %d: %s", rc, out);
		assert_non_null(strstr(out, "cli.ev ready"));
		free(out);
		assert_true(asprintf(&cmd, "%s fleet init clickhouse://127.0.0.1:1/cli.ev", wd_test_cli()) > 0);
		assert_int_equal(wd_test_run(cmd, &out), 1);
		free(cmd);
		assert_non_null(strstr(out, "warden: fleet: init: query: cannot reach ClickHouse at 127.0.0.1:1"));
		free(out);
	}
}

/* ---- columns ------------------------------------------------------------------ */

static void rows_of_each_kind_arrive_with_their_columns(void **state)
{
	struct world *w = *state;
	struct wd_fleet_opts o = test_opts(w);
	struct reply r;
	srv_up(w, true);
	struct wd_fleet *f = open_ok(w, &o);
	/* a JSON line with every byte class the escaper handles */
	static const char tricky[] = "{\"process\":{\"executable\":\"/tmp/a \\\"b\\\"\\\\c\",\"title\":\"caf\xc3\xa9\ttab\"},"
				     "\"ctl\":\"\x01\x1f\x7f\",\"nl\":\"x\ny\"}";
	struct wd_fleet_row rows[] = {
		{ .time_ns = 1764400000123456789ull, .seq = 1, .kind = "exec", .category = "process",
		  .pid = 100, .tid = 100, .ppid = 1, .uid = 1000, .gid = 1001, .euid = 0, .auid = 4294967295u,
		  .comm = "x", .exe = "memfd:payload (deleted)", .args = "x -c 'a b'", .path = "/proc/self/fd/3",
		  .container_id = "c0ffee", .cgroup_id = 77, .ns_pid = 4026531836u, .ns_mnt = 4026531840u,
		  .ns_net = 4026531992u, .ns_user = 4026531837u, .ns_uts = 4026531838u, .ns_cgroup = 4026531835u,
		  .memfd = true, .deleted = true, .json = tricky, .json_len = sizeof(tricky) - 1 },
		{ .time_ns = 1764400001000000000ull, .seq = 2, .kind = "connect", .category = "network",
		  .pid = 101, .src_ip = "10.0.0.2", .dst_ip = "93.184.216.34", .src_port = 40000, .dst_port = 443,
		  .transport = "tcp", .json = "{}", .json_len = 2 },
		{ .time_ns = 1764400002000000000ull, .seq = 3, .kind = "udp_send", .category = "network",
		  .src_ip = "fe80::1", .dst_ip = "2001:db8::53", .src_port = 5353, .dst_port = 53, .transport = "udp",
		  .json = "{}", .json_len = 2 },
		{ .time_ns = 1764400003000000000ull, .seq = 4, .kind = "rename", .category = "file",
		  .path = "/etc/passwd+", .path2 = "/etc/passwd", .ret = -13, .json = "{}", .json_len = 2 },
		{ .time_ns = 1764400004000000000ull, .seq = 5, .kind = "stats", .category = "host",
		  .dropped = 12345, .json = "{}", .json_len = 2 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(wd_fleet_push(f, &rows[i]), 0);
	wait_drained(w, sizeof(rows) / sizeof(rows[0]), 60000);
	close_sink(w, NULL);

	assert_int_equal(chq(w, "SELECT toUnixTimestamp(time), nsec, host_id, host_name, boot_id, seq, kind, category, "
			     "pid, tid, ppid, uid, gid, euid, auid, comm, exe, args, path, container_id, cgroup_id, "
			     "ns_pid, ns_mnt, ns_net, ns_user, ns_uts, ns_cgroup, memfd, deleted "
			     "FROM warden_test.events FINAL WHERE seq = 1 FORMAT TSV", &r), 200);
	assert_string_equal(r.text, "1764400000\t123456789\thost-a\ta.example\tboot-1\t1\texec\tprocess\t"
			    "100\t100\t1\t1000\t1001\t0\t4294967295\tx\tmemfd:payload (deleted)\tx -c \\'a b\\'\t"
			    "/proc/self/fd/3\tc0ffee\t77\t4026531836\t4026531840\t4026531992\t4026531837\t4026531838\t"
			    "4026531835\t1\t1\n");
	/* the event JSON byte for byte */
	char sql[256], hex[2 * sizeof(tricky) + 2];
	for (size_t i = 0; i < sizeof(tricky) - 1; i++)
		sprintf(hex + 2 * i, "%02X", (unsigned char)tricky[i]);
	snprintf(sql, sizeof(sql), "SELECT hex(event) FROM warden_test.events FINAL WHERE seq = 1 FORMAT TSV");
	assert_int_equal(chq(w, sql, &r), 200);
	r.text[strcspn(r.text, "\n")] = 0;
	assert_string_equal(r.text, hex);
	assert_int_equal(chq(w, "SELECT seq, src_ip, dst_ip, src_port, dst_port, transport FROM warden_test.events "
			     "FINAL WHERE category = 'network' ORDER BY seq FORMAT TSV", &r), 200);
	assert_string_equal(r.text, "2\t10.0.0.2\t93.184.216.34\t40000\t443\ttcp\n"
			    "3\tfe80::1\t2001:db8::53\t5353\t53\tudp\n");
	assert_int_equal(chq(w, "SELECT path, path2, ret FROM warden_test.events FINAL WHERE kind = 'rename' FORMAT TSV", &r), 200);
	assert_string_equal(r.text, "/etc/passwd+\t/etc/passwd\t-13\n");
	assert_int_equal(chnum(w, "SELECT dropped FROM warden_test.events FINAL WHERE kind = 'stats'"), 12345);
	/* the shipped queries parse and run on 18.16 against this table */
	assert_int_equal(chnum(w, "SELECT count() FROM warden_test.events FINAL WHERE memfd = 1 AND deleted = 1"), 1);
}

/* The agent's events of every kind through its adapter (fleet/agent_rows.c,
 * what warden run pushes): each arrives with its kind and category, and the
 * columns that kind fills. */
static void every_agent_kind_arrives_through_the_adapter(void **state)
{
	struct world *w = *state;
	struct wd_fleet_opts o = test_opts(w);
	struct reply r;
	srv_up(w, true);
	struct wd_fleet *f = open_ok(w, &o);
	for (int k = 0; k < WD_EV__COUNT; k++) {
		static const char argv_[] = "sh\0-c\0id\0";
		struct wd_event ev;
		struct wd_fleet_row_buf rb;
		struct wd_fleet_row row;
		char json[128];
		memset(&ev, 0, sizeof(ev));
		ev.kind = (enum wd_event_kind)k;
		ev.seq = (uint64_t)k + 1;
		ev.time_ns = 1764400000000000000ull + (uint64_t)k;
		ev.proc.pid = 4000 + (uint32_t)k;
		ev.proc.ppid = 1;
		ev.proc.uid = 1000;
		snprintf(ev.proc.comm, sizeof(ev.proc.comm), "k%d", k);
		ev.proc.exe = "/usr/bin/k";
		ev.proc.container_id = "ctr";
		ev.proc.ns[WD_NS_NET] = 4026531992u;
		if (k == WD_EV_EXEC) {
			ev.exec.filename = (struct wd_event_str){ .s = "/memfd:x (deleted)", .len = 18, .true_len = 18 };
			ev.exec.args = (struct wd_event_str){ .s = argv_, .len = sizeof(argv_) - 1, .true_len = sizeof(argv_) - 1 };
			ev.exec.argc = 3;
			ev.exec.memfd = true;
			ev.exec.deleted = true;
		} else if (k >= WD_EV_FILE_OPEN && k <= WD_EV_FILE_TRUNCATE) {
			ev.file.path = (struct wd_event_str){ .s = "/etc/shadow", .len = 11, .true_len = 11 };
		} else if (k >= WD_EV_NET_CONNECT && k <= WD_EV_NET_UDP_SEND) {
			ev.net.family = 2;      /* AF_INET */
			ev.net.protocol = k == WD_EV_NET_UDP_SEND ? 17 : 6;
			memcpy(ev.net.saddr, "\x0a\x00\x00\x02", 4);
			memcpy(ev.net.daddr, "\xcb\x00\x71\x09", 4);
			ev.net.sport = 40000;
			ev.net.dport = 443;
		} else if (k == WD_EV_STATS) {
			ev.stats.dropped[WD_EV_EXEC] = 3;
			ev.stats.lost_ring = 4;
		}
		int n = snprintf(json, sizeof(json), "{\"event\":{\"action\":\"%s\"}}", wd_event_kind_name(ev.kind));
		wd_fleet_row_from_event(&ev, json, (size_t)n, &rb, &row);
		assert_int_equal(wd_fleet_push(f, &row), 0);
	}
	wait_drained(w, WD_EV__COUNT, 60000);
	close_sink(w, NULL);
	assert_int_equal(chnum(w, "SELECT count() FROM warden_test.events FINAL"), WD_EV__COUNT);
	for (int k = 0; k < WD_EV__COUNT; k++) {
		char sql[256], want[128];
		snprintf(sql, sizeof(sql), "SELECT kind, category, pid, comm, container_id, ns_net FROM warden_test.events FINAL "
			 "WHERE seq = %d FORMAT TSV", k + 1);
		assert_int_equal(chq(w, sql, &r), 200);
		snprintf(want, sizeof(want), "%s\t%s\t%d\tk%d\tctr\t4026531992\n", wd_event_kind_name((enum wd_event_kind)k),
			 wd_event_kind_category((enum wd_event_kind)k), 4000 + k, k);
		assert_string_equal(r.text, want);
	}
	assert_int_equal(chq(w, "SELECT exe, args, path, memfd, deleted FROM warden_test.events FINAL WHERE kind = 'exec' FORMAT TSV", &r), 200);
	assert_string_equal(r.text, "/usr/bin/k\tsh -c id\t/memfd:x (deleted)\t1\t1\n");
	assert_int_equal(chq(w, "SELECT src_ip, dst_ip, src_port, dst_port, transport FROM warden_test.events FINAL WHERE kind = 'connect' FORMAT TSV", &r), 200);
	assert_string_equal(r.text, "10.0.0.2\t203.0.113.9\t40000\t443\ttcp\n");
	assert_int_equal(chnum(w, "SELECT count() FROM warden_test.events FINAL WHERE category = 'file' AND path = '/etc/shadow'"),
			 WD_EV_FILE_TRUNCATE - WD_EV_FILE_OPEN + 1);
	assert_int_equal(chnum(w, "SELECT dropped FROM warden_test.events FINAL WHERE kind = 'stats'"), 7);
}

/* ---- failures --------------------------------------------------------------- */

struct stream {
	struct wd_fleet *f;
	uint64_t next_seq;
};

/* Push for ms milliseconds at about rate rows/s.  A row refused (queue full)
 * is pushed again a little later, so that seq 1..next_seq-1 were all taken. */
static void stream_for(struct stream *s, int ms, int rate)
{
	for (int t = 0; t < ms; t += 10) {
		for (int i = 0; i < rate / 100; i++) {
			while (push_row(s->f, s->next_seq))
				usleep(500);
			s->next_seq++;
		}
		usleep(10000);
	}
}

/* The server dies (SIGKILL) for 10 s under a steady stream and comes back:
 * every row is there exactly once after FINAL. */
static void server_killed_for_10s_loses_nothing(void **state)
{
	struct world *w = *state;
	struct wd_fleet_opts o = test_opts(w);
	struct wd_fleet_stats st;
	srv_up(w, true);
	struct stream s = { .f = open_ok(w, &o), .next_seq = 1 };
	stream_for(&s, 1500, 2000);
	srv_kill(w, SIGKILL);
	stream_for(&s, 10000, 2000);
	wd_fleet_get_stats(s.f, &st);
	assert_true(st.batches_failed > 0);
	assert_true(st.rows_pending > 0);
	srv_start(w);
	stream_for(&s, 1500, 2000);
	uint64_t pushed = s.next_seq - 1;
	wait_drained(w, pushed, 15000);
	close_sink(w, &st);
	assert_int_equal(st.rows_queued, pushed);
	assert_int_equal(st.dropped_spool_full + st.dropped_spool_error + st.dropped_rejected, 0);
	assert_true(st.rows_spooled > 0);
	assert_true(st.rows_replayed >= st.rows_spooled);
	assert_int_equal(chnum(w, "SELECT count() FROM warden_test.events FINAL"), pushed);
	assert_int_equal(chnum(w, "SELECT uniqExact(seq) FROM warden_test.events"), pushed);
	assert_int_equal(chnum(w, "SELECT max(seq) FROM warden_test.events"), pushed);
	assert_int_equal(count_spool_files(w->spool, false), 0);
}

/* Copy every spool file into dst. */
static void copy_spool(const char *src, const char *dst)
{
	char *cmd;
	assert_true(asprintf(&cmd, "mkdir -p %s && cp -p %s/b* %s/", dst, src, dst) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* A replayed batch (the same files inserted twice) counts once with FINAL. */
static void replayed_batches_count_once(void **state)
{
	struct world *w = *state;
	struct wd_fleet_opts o = test_opts(w);
	struct wd_fleet_stats st;
	char saved[256];
	srv_up(w, true);
	struct wd_fleet *f = open_ok(w, &o);
	srv_kill(w, SIGKILL);
	for (uint64_t s = 1; s <= 3000; s++)
		while (push_row(f, s))
			usleep(500);      /* queue full: the writer is behind */
	close_sink(w, &st);
	assert_int_equal(st.rows_pending, 3000);
	snprintf(saved, sizeof(saved), "%s/saved", w->dir);
	copy_spool(w->spool, saved);
	srv_start(w);
	/* the next run replays what the last one left */
	f = open_ok(w, &o);
	wait_drained(w, 3000, 10000);
	close_sink(w, &st);
	assert_int_equal(st.rows_replayed, 3000);
	assert_int_equal(chnum(w, "SELECT count() FROM warden_test.events FINAL"), 3000);
	/* once more: the same batches, as after an insert whose answer was lost */
	copy_spool(saved, w->spool);
	f = open_ok(w, &o);
	wait_drained(w, 3000, 10000);
	close_sink(w, &st);
	assert_int_equal(st.rows_replayed, 3000);
	assert_true(chnum(w, "SELECT count() FROM warden_test.events") >= 3000);
	assert_int_equal(chnum(w, "SELECT count() FROM warden_test.events FINAL"), 3000);
	/* merged for good: one row each (an OPTIMIZE refused while a background
	 * merge holds the parts, "Can't OPTIMIZE by some reason", is retried) */
	struct reply r;
	long st_opt = 0;
	for (int i = 0; i < 40 && (st_opt = chq(w, "OPTIMIZE TABLE warden_test.events FINAL", &r)) != 200; i++)
		usleep(250000);
	if (st_opt != 200)
		fail_msg("OPTIMIZE: %s", r.text);
	assert_int_equal(chnum(w, "SELECT count() FROM warden_test.events"), 3000);
}

/* A small spool while the server is down: what does not fit is counted as
 * dropped (spool full), and exactly that is missing once all is replayed. */
static void full_spool_counts_exactly_what_is_missing(void **state)
{
	struct world *w = *state;
	struct wd_fleet_opts o = test_opts(w);
	struct wd_fleet_stats st;
	o.spool_max_bytes = 24 << 10;
	o.batch_bytes = 8 << 10;
	srv_up(w, true);
	struct wd_fleet *f = open_ok(w, &o);
	srv_kill(w, SIGKILL);
	struct stream s = { .f = f, .next_seq = 1 };
	stream_for(&s, 1500, 4000);
	uint64_t pushed = s.next_seq - 1;
	close_sink(w, &st);
	assert_int_equal(st.rows_queued, pushed);
	assert_true(st.dropped_spool_full > 0);
	assert_int_equal(st.dropped_spool_error + st.dropped_rejected, 0);
	assert_true(st.spool_bytes <= o.spool_max_bytes);
	assert_int_equal(st.rows_pending + st.dropped_spool_full, pushed);
	srv_start(w);
	f = open_ok(w, &o);
	wait_drained(w, st.rows_pending, 10000);
	close_sink(w, NULL);
	assert_int_equal(chnum(w, "SELECT count() FROM warden_test.events FINAL"), pushed - st.dropped_spool_full);
}

/* ---- SIGKILL of the pushing process ----------------------------------------- */

struct shared {
	volatile uint64_t accepted;     /* rows wd_fleet_push took (seq 1..accepted, no gaps) */
	volatile uint64_t refused;
	volatile int opened;
};

static void child_pushes_forever(struct world *w, struct shared *sh, const struct wd_fleet_opts *o)
{
	char err[512];
	struct wd_fleet *f = wd_fleet_open(w->url, o, err, sizeof(err));
	if (!f)
		_exit(3);
	sh->opened = 1;
	for (uint64_t seq = 1;; seq++) {
		char json[400];
		int n = snprintf(json, sizeof(json), "{\"sequence\":%" PRIu64 ",\"padding\":\"%0300d\"}", seq, 0);
		struct wd_fleet_row r = { .time_ns = 1764400000000000000ull + seq, .seq = seq, .kind = "exit",
					  .json = json, .json_len = (size_t)n };
		/* a refused row is retried: accepted stays the length of a prefix */
		while (wd_fleet_push(f, &r)) {
			sh->refused++;
			usleep(1000);
		}
		sh->accepted = seq;
		if (seq % 50 == 0)
			usleep(2000);
	}
}

static void sigkill_loses_at_most_what_was_in_memory(void **state)
{
	struct world *w = *state;
	struct wd_fleet_opts o = test_opts(w);
	struct wd_fleet_stats st;
	/* big enough that ClickHouse does not throttle the replay for too many
	 * parts (parts_to_delay_insert), small enough to fill in the 1.5 s */
	o.batch_bytes = 256 << 10;
	o.queue_max_bytes = 256 << 10;  /* one sealed batch may wait for the writer */
	o.batch_ms = 300;
	srv_up(w, true);
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(sh != MAP_FAILED);
	fflush(NULL);
	w->child = fork();
	assert_true(w->child >= 0);
	if (w->child == 0)
		child_pushes_forever(w, sh, &o);
	for (int i = 0; i < 100 && !sh->opened; i++)
		usleep(50000);
	assert_true(sh->opened);
	usleep(1500000);
	kill(w->child, SIGKILL);
	waitpid(w->child, NULL, 0);
	w->child = 0;
	uint64_t accepted = sh->accepted;
	/* the next run replays the spool */
	open_ok(w, &o);
	usleep(200000);
	wait_drained(w, 0, 20000);
	close_sink(w, &st);
	uint64_t present = chnum(w, "SELECT count() FROM warden_test.events FINAL");
	uint64_t max_seq = chnum(w, "SELECT max(seq) FROM warden_test.events");
	/* a prefix arrived: seq 1..present, nothing from the middle missing */
	assert_int_equal(max_seq, present);
	/* +1: the row pushed just before the child could write accepted */
	assert_true(present <= accepted + 1);
	if (present > accepted)
		accepted = present;
	/* lost: the open batch (batch_bytes) and the sealed ones not yet written
	 * (queue_max_bytes), and each row is longer than its 300-byte JSON */
	uint64_t bound = (o.batch_bytes + o.queue_max_bytes) / 300 + 2;
	if (accepted - present > bound)
		fail_msg("SIGKILL lost %" PRIu64 " rows of %" PRIu64 " (bound %" PRIu64 ")", accepted - present,
			 accepted, bound);
	printf("# sigkill: %" PRIu64 " rows accepted, %" PRIu64 " arrived, %" PRIu64 " lost (bound %" PRIu64
	       "), %" PRIu64 " replayed from the spool\n", accepted, present, accepted - present, bound, st.rows_replayed);
	munmap(sh, sizeof(*sh));
}


/* ---- the shipped queries ------------------------------------------------------ */

/* dist/clickhouse/queries/<name> with CONTAINER_ID replaced, run, TSV back. */
static void run_query_file(struct world *w, const char *name, struct reply *r)
{
	char path[256], *sql = NULL, *p;
	size_t cap = 0;
	snprintf(path, sizeof(path), "%s/dist/clickhouse/queries/%s",
		 getenv("WARDEN_SRC_DIR") ? getenv("WARDEN_SRC_DIR") : ".", name);
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("%s: %s (run from the top of the tree or set WARDEN_SRC_DIR)", path, strerror(errno));
	ssize_t n = getdelim(&sql, &cap, 0, f);
	fclose(f);
	assert_true(n > 0);
	/* CONTAINER_ID -> c1 (shorter: shift the rest left) */
	while ((p = strstr(sql, "CONTAINER_ID"))) {
		memcpy(p, "c1", 2);
		memmove(p + 2, p + 12, strlen(p + 12) + 1);
	}
	char *full;
	assert_true(asprintf(&full, "%s FORMAT TSV", sql) > 0);
	long st = chq(w, full, r);
	free(full);
	free(sql);
	if (st != 200)
		fail_msg("%s: HTTP %ld: %s", name, st, r->text);
}

struct qrow {
	const char *host, *kind;
	int64_t ago_s;
	uint32_t pid, ppid;
	uint64_t start_ns, parent_start_ns;
	const char *exe, *container, *dst;
	uint16_t port;
	bool memfd, deleted;
	uint64_t dropped;
	const char *json;
};

static void queries_answer_the_fleet_questions(void **state)
{
	struct world *w = *state;
	struct reply r;
	char err[512];
	uint64_t now = (uint64_t)time(NULL) * 1000000000ull;
	static const struct qrow rows[] = {
		/* exec from a memfd, from a deleted file, and an ordinary one */
		{ "host-a", "exec", 60, 500, 1, 5, 1, "memfd:x (deleted)", "", NULL, 0, true, false, 0, NULL },
		{ "host-a", "exec", 50, 501, 1, 6, 1, "/tmp/dropper (deleted)", "", NULL, 0, false, true, 0, NULL },
		{ "host-a", "exec", 40, 502, 1, 7, 1, "/usr/bin/ls", "", NULL, 0, false, false, 0, NULL },
		/* destinations: one known for days, one new, loopback */
		{ "host-a", "connect", 2 * 86400, 600, 1, 8, 1, "/usr/bin/curl", "", "93.184.216.34", 443, false, false, 0, NULL },
		{ "host-a", "connect", 120, 601, 1, 9, 1, "/usr/bin/curl", "", "93.184.216.34", 443, false, false, 0, NULL },
		{ "host-a", "connect", 100, 602, 1, 10, 1, "/tmp/implant", "", "203.0.113.9", 4444, false, false, 0, NULL },
		{ "host-a", "connect", 90, 603, 1, 11, 1, "/usr/bin/psql", "", "127.0.0.1", 5432, false, false, 0, NULL },
		/* agents' stats: none dropped on a, 5 then 12 on b */
		{ "host-a", "stats", 300, 700, 1, 12, 1, "warden", "", NULL, 0, false, false, 0, "{}" },
		{ "host-b", "stats", 300, 800, 1, 13, 1, "warden", "", NULL, 0, false, false, 5, "{}" },
		{ "host-b", "stats", 30, 800, 1, 13, 1, "warden", "", NULL, 0, false, false, 12,
		  "{\"warden\":{\"stats\":{\"dropped_total\":10,\"lost_ring\":3},\"outputs\":{\"clickhouse\":{\"dropped_queue_full\":0,\"dropped_spool_full\":2}}}}" },
		/* container c1: shim (outside) -> sh -> curl */
		{ "host-b", "exec", 3000, 900, 1, 100, 1, "/usr/bin/containerd-shim", "", NULL, 0, false, false, 0, NULL },
		{ "host-b", "exec", 200, 901, 900, 101, 100, "/bin/sh", "c1", NULL, 0, false, false, 0, NULL },
		{ "host-b", "exec", 190, 902, 901, 102, 101, "/usr/bin/curl", "c1", NULL, 0, false, false, 0, NULL },
	};
	srv_up(w, false);
	snprintf(w->url, sizeof(w->url), "clickhouse://127.0.0.1:%d/warden.events", w->srv.http_port);
	if (wd_fleet_init(w->url, NULL, err, sizeof(err)))
		fail_msg("wd_fleet_init: %s", err);
	for (int pass = 0; pass < 2; pass++) {
		struct wd_fleet_opts o = test_opts(w);
		o.host_id = o.host_name = pass ? "host-b" : "host-a";
		struct wd_fleet *f = open_ok(w, &o);
		uint64_t pushed = 0;
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			const struct qrow *q = &rows[i];
			if (strcmp(q->host, o.host_id))
				continue;
			struct wd_fleet_row row = {
				.time_ns = now - (uint64_t)q->ago_s * 1000000000ull, .seq = i + 1, .kind = q->kind,
				.pid = q->pid, .ppid = q->ppid, .start_ns = q->start_ns, .parent_start_ns = q->parent_start_ns,
				.exe = q->exe, .args = q->exe, .container_id = q->container, .dst_ip = q->dst,
				.dst_port = q->port, .transport = q->dst ? "tcp" : NULL, .memfd = q->memfd,
				.deleted = q->deleted, .dropped = q->dropped, .json = q->json ? q->json : "{}",
				.json_len = strlen(q->json ? q->json : "{}"),
			};
			assert_int_equal(wd_fleet_push(f, &row), 0);
			pushed++;
		}
		wait_drained(w, pushed, 60000);
		close_sink(w, NULL);
	}
	run_query_file(w, "exec_memfd_or_deleted.sql", &r);
	assert_non_null(strstr(r.text, "\thost-a\t\t501\t1\t0\t0\t/tmp/dropper (deleted)\t/tmp/dropper (deleted)\t0\t1\n"));
	assert_non_null(strstr(r.text, "\thost-a\t\t500\t1\t0\t0\tmemfd:x (deleted)\tmemfd:x (deleted)\t1\t0\n"));
	assert_null(strstr(r.text, "/usr/bin/ls"));

	run_query_file(w, "new_outbound_destinations.sql", &r);
	char *tab = strchr(r.text, '\t');
	assert_non_null(tab);
	assert_int_equal(strncmp(r.text, "host-a\t203.0.113.9\t4444\ttcp\t", 28), 0);
	assert_non_null(strstr(r.text, "\t1\t['/tmp/implant']\n"));
	assert_int_equal(strchr(r.text, '\n')[1], 0);       /* one row */

	run_query_file(w, "hosts_with_drops.sql", &r);
	assert_int_equal(strncmp(r.text, "host-b\thost-b\tboot-1\t800\t12\t7\t3\t0\t2\t", 34), 0);
	assert_int_equal(strchr(r.text, '\n')[1], 0);

	run_query_file(w, "container_exec_tree.sql", &r);
	/* host, time, ppid, pid, parent_exe, exe, args, uid */
	char *sh = strstr(r.text, "\t900\t901\t/usr/bin/containerd-shim\t/bin/sh\t/bin/sh\t0\n");
	char *curl = strstr(r.text, "\t901\t902\t/bin/sh\t/usr/bin/curl\t/usr/bin/curl\t0\n");
	if (!sh || !curl || curl < sh)
		fail_msg("container_exec_tree.sql:\n%s", r.text);
	assert_null(strstr(r.text, "\t1\t900\t"));        /* the shim is not in the container */
}

/* Batches ClickHouse refuses (not gzip; gzip of rows it cannot parse) are
 * set aside in rejected/ and counted, and the good batches around them,
 * coalesced into one insert with them at first, all arrive. */
static void rejected_batches_are_set_aside_and_counted(void **state)
{
	struct world *w = *state;
	struct wd_fleet_opts o = test_opts(w);
	struct wd_fleet_stats st;
	char path[512], *cmd;
	struct stat sb;
	srv_up(w, true);
	struct wd_fleet *f = open_ok(w, &o);
	srv_kill(w, SIGKILL);
	for (uint64_t s = 1; s <= 500; s++)
		while (push_row(f, s))
			usleep(500);
	close_sink(w, &st);
	assert_int_equal(st.rows_pending, 500);
	/* the oldest names: first in the next insert */
	snprintf(path, sizeof(path), "%s/b00000000000000000001-1-0-7r.gz", w->spool);
	write_file(path, "this is not gzip");
	assert_true(asprintf(&cmd, "printf '{\"seq\":\"not a number\"}\\n' | gzip > %s/b00000000000000000002-1-1-5r.gz",
			     w->spool) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	srv_start(w);
	f = open_ok(w, &o);
	wait_drained(w, 500, 10000);
	close_sink(w, &st);
	assert_int_equal(st.dropped_rejected, 12);
	assert_int_equal(st.rows_sent, 500);
	assert_non_null(strstr(st.last_error, "insert: ClickHouse at 127.0.0.1"));
	assert_int_equal(chnum(w, "SELECT count() FROM warden_test.events FINAL"), 500);
	snprintf(path, sizeof(path), "%s/rejected/b00000000000000000001-1-0-7r.gz", w->spool);
	assert_int_equal(stat(path, &sb), 0);
	snprintf(path, sizeof(path), "%s/rejected/b00000000000000000002-1-1-5r.gz", w->spool);
	assert_int_equal(stat(path, &sb), 0);
	/* rejected files stay in the spool's bound until someone removes them */
	assert_true(st.spool_bytes >= 16);
}

/* A server that accepts connections and never answers (SIGSTOP): inserts
 * time out, pushing never waits on them, and the inserts the server finishes
 * after SIGCONT, on top of their retries, count once with FINAL. */
static void hung_server_never_blocks_push(void **state)
{
	struct world *w = *state;
	struct wd_fleet_opts o = test_opts(w);
	struct wd_fleet_stats st;
	uint64_t worst_ns = 0, seq = 1;
	o.timeout_ms = 700;
	srv_up(w, true);
	struct wd_fleet *f = open_ok(w, &o);
	for (int tick = 0; tick < 400; tick++) {       /* 4 s, 10 rows every 10 ms */
		if (tick == 50)
			kill(w->srv.pid, SIGSTOP);
		if (tick == 300)
			kill(w->srv.pid, SIGCONT);
		for (int i = 0; i < 10; i++, seq++) {
			struct timespec a, b;
			clock_gettime(CLOCK_MONOTONIC, &a);
			while (push_row(f, seq))
				usleep(500);
			clock_gettime(CLOCK_MONOTONIC, &b);
			uint64_t ns = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000ull + (uint64_t)b.tv_nsec - (uint64_t)a.tv_nsec;
			if (ns > worst_ns)
				worst_ns = ns;
		}
		usleep(10000);
	}
	uint64_t pushed = seq - 1;
	wait_drained(w, pushed, 15000);
	close_sink(w, &st);
	assert_true(st.batches_failed > 0);             /* the timeouts happened */
	assert_non_null(strstr(st.last_error, "did not answer in time"));
	assert_int_equal(st.dropped_queue_full + st.dropped_spool_full, 0);
	/* far below one insert timeout: push never waited on the network */
	if (worst_ns > 100000000ull)
		fail_msg("a push took %" PRIu64 " ms while inserts timed out", worst_ns / 1000000);
	assert_int_equal(chnum(w, "SELECT count() FROM warden_test.events FINAL"), pushed);
	printf("# hung server: %" PRIu64 " rows, %" PRIu64 " failed inserts, %" PRIu64 " rows in ClickHouse before FINAL, "
	       "slowest push %" PRIu64 " us\n", pushed, st.batches_failed,
	       chnum(w, "SELECT count() FROM warden_test.events"), worst_ns / 1000);
}

static const struct CMUnitTest fleet_tests[] = {
	cmocka_unit_test_setup_teardown(bad_urls_give_one_clear_error, setup, teardown),
	cmocka_unit_test_setup_teardown(unreachable_server_is_an_error_or_spools, setup, teardown),
	cmocka_unit_test_setup_teardown(wrong_password_and_unknown_table_fail_at_open, setup, teardown),
	cmocka_unit_test_setup_teardown(init_creates_the_schema_and_is_idempotent, setup, teardown),
	cmocka_unit_test_setup_teardown(rows_of_each_kind_arrive_with_their_columns, setup, teardown),
	cmocka_unit_test_setup_teardown(every_agent_kind_arrives_through_the_adapter, setup, teardown),
	cmocka_unit_test_setup_teardown(queries_answer_the_fleet_questions, setup, teardown),
	cmocka_unit_test_setup_teardown(replayed_batches_count_once, setup, teardown),
	cmocka_unit_test_setup_teardown(full_spool_counts_exactly_what_is_missing, setup, teardown),
	cmocka_unit_test_setup_teardown(rejected_batches_are_set_aside_and_counted, setup, teardown),
	cmocka_unit_test_setup_teardown(sigkill_loses_at_most_what_was_in_memory, setup, teardown),
	cmocka_unit_test_setup_teardown(hung_server_never_blocks_push, setup, teardown),
	cmocka_unit_test_setup_teardown(server_killed_for_10s_loses_nothing, setup, teardown),
};

WD_TEST_SET(fleet_set, "fleet", fleet_tests);
