// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* ClickHouse's HTTP interface through libcurl: statements as POST bodies,
 * inserts as gzip'd JSONEachRow (ClickHouse decompresses a request body sent
 * with "Content-Encoding: gzip"; 18.16 does so without enable_http_compression,
 * which governs only the answer). */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define BODY_MAX (64u << 10)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_code;

/* curl_global_init is not thread-safe before 7.84 (CURL_VERSION_THREADSAFE):
 * once per process. */
static void curl_init_once(void)
{
	curl_init_code = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct fleet_http *h = ctx;
	size_t len = size * n, keep = len;
	if (h->body.len + keep > BODY_MAX)
		keep = h->body.len < BODY_MAX ? BODY_MAX - h->body.len : 0;
	if (keep && fbuf_add(&h->body, data, keep))
		return 0;
	return len;
}

/* Bytes on the wire, counted as curl sends them: CURLINFO_REQUEST_SIZE
 * includes a POSTFIELDS body only when curl sent it with the headers (small
 * bodies), so it cannot say what went out. */
static int on_debug(CURL *c, curl_infotype type, char *data, size_t size, void *ctx)
{
	struct fleet_http *h = ctx;
	(void)c, (void)data;
	if (type == CURLINFO_HEADER_OUT || type == CURLINFO_DATA_OUT)
		h->request_bytes += size;
	return 0;
}

int fleet_http_init(struct fleet_http *h, const struct fleet_conf *c)
{
	*h = (struct fleet_http){ .conf = c };
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_code != CURLE_OK)
		return -ENOMEM;
	h->curl = curl_easy_init();
	return h->curl ? 0 : -ENOMEM;
}

void fleet_http_free(struct fleet_http *h)
{
	if (h->curl)
		curl_easy_cleanup(h->curl);
	fbuf_free(&h->body);
	h->curl = NULL;
}

/* http://host:port/?query=<escaped>&<extra> */
static char *make_url(struct fleet_http *h, const char *query, const char *extra)
{
	char *q = curl_easy_escape(h->curl, query, 0), *url;
	if (!q)
		return NULL;
	if (asprintf(&url, "http://%s:%u/?query=%s%s", h->conf->host, h->conf->port, q, extra ? extra : "") < 0)
		url = NULL;
	curl_free(q);
	return url;
}

/* One POST; status and body in h.  Returns the CURLcode. */
static int post(struct fleet_http *h, const char *url, const void *data, size_t len, bool gzip)
{
	struct curl_slist *hdrs = NULL;
	CURL *c = h->curl;
	long status = 0;

	h->body.len = 0;
	if (h->body.p)
		h->body.p[0] = 0;
	h->status = 0;
	h->request_bytes = 0;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(c, CURLOPT_DEBUGDATA, h);
	curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	/* no signals from a thread (the resolver's alarm otherwise) */
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, data);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)h->conf->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(h->conf->timeout_ms < 3000 ? h->conf->timeout_ms : 3000));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(c, CURLOPT_USERNAME, h->conf->user);
	curl_easy_setopt(c, CURLOPT_PASSWORD, h->conf->password ? h->conf->password : "");
	/* curl waits up to 1 s for "100 Continue" on bodies over 1 MiB */
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (gzip)
		hdrs = curl_slist_append(hdrs, "Content-Encoding: gzip");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	h->curl_code = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	h->status = status;
	/* the options point at hdrs: clear them before freeing */
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	return h->curl_code;
}

/* ClickHouse's message without the "e.what() = DB::Exception" tail. */
static void server_message(const struct fleet_http *h, char *out, size_t outlen)
{
	const char *b = h->body.p ? h->body.p : "";
	const char *dt = strstr(b, "e.displayText() = ");
	size_t n;
	if (dt)
		b = dt + strlen("e.displayText() = ");
	n = strcspn(b, "\n");
	const char *tail = strstr(b, ", e.what()");
	if (tail && (size_t)(tail - b) < n)
		n = (size_t)(tail - b);
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, b, n);
	out[n] = 0;
}

void fleet_http_explain(const struct fleet_http *h, const char *what, char *err, size_t errlen)
{
	const struct fleet_conf *c = h->conf;
	char msg[256];
	if (h->curl_code != CURLE_OK) {
		const char *hint = "";
		if (h->curl_code == CURLE_COULDNT_CONNECT)
			hint = ": is clickhouse-server running and listening there (http_port)?";
		else if (h->curl_code == CURLE_COULDNT_RESOLVE_HOST)
			hint = ": check the host name in the URL";
		else if (h->curl_code == CURLE_OPERATION_TIMEDOUT)
			hint = ": the server did not answer in time (timeout_ms)";
		snprintf(err, errlen, "%s: cannot reach ClickHouse at %s:%u: %s%s", what, c->host, c->port,
			 curl_easy_strerror((CURLcode)h->curl_code), hint);
		return;
	}
	server_message(h, msg, sizeof(msg));
	if (h->status == 401 || h->status == 403)
		snprintf(err, errlen, "%s: ClickHouse at %s:%u refused user '%s' (HTTP %ld: %s): check the user and the password file",
			 what, c->host, c->port, c->user, h->status, msg);
	else
		snprintf(err, errlen, "%s: ClickHouse at %s:%u answered HTTP %ld: %s", what, c->host, c->port,
			 h->status, msg[0] ? msg : "(no message)");
}

int fleet_http_query(struct fleet_http *h, const char *sql, char *err, size_t errlen)
{
	char *url;
	if (asprintf(&url, "http://%s:%u/", h->conf->host, h->conf->port) < 0)
		return -ENOMEM;
	post(h, url, sql, strlen(sql), false);
	free(url);
	if (h->curl_code == CURLE_OK && h->status == 200)
		return 0;
	fleet_http_explain(h, "query", err, errlen);
	if (h->curl_code != CURLE_OK)
		return h->curl_code == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -ECONNREFUSED;
	return h->status == 401 || h->status == 403 ? -EACCES : -EIO;
}

/* "Code: 27, e.displayText() = ..." -> 27; -1 without one. */
static int server_code(const struct fleet_http *h)
{
	const char *b = h->body.p;
	return b && !strncmp(b, "Code: ", 6) ? atoi(b + 6) : -1;
}

/* ClickHouse's error codes (dbms/src/Common/ErrorCodes.cpp) that say the
 * rows themselves cannot be read: the same bytes fail forever.  18.16
 * answers most of them with HTTP 500, not 400, so the code decides. */
static bool data_error(int code)
{
	static const int codes[] = {
		6,   /* CANNOT_PARSE_TEXT */
		25,  /* CANNOT_PARSE_ESCAPE_SEQUENCE */
		26,  /* CANNOT_PARSE_QUOTED_STRING */
		27,  /* CANNOT_PARSE_INPUT_ASSERTION_FAILED */
		38,  /* CANNOT_PARSE_DATE */
		41,  /* CANNOT_PARSE_DATETIME */
		53,  /* TYPE_MISMATCH */
		69,  /* ARGUMENT_OUT_OF_BOUND */
		70,  /* CANNOT_CONVERT_TYPE */
		72,  /* CANNOT_PARSE_NUMBER */
		117, /* INCORRECT_DATA */
		131, /* TOO_LARGE_STRING_SIZE */
		354, /* ZLIB_INFLATE_FAILED: a damaged spool file */
	};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (code == codes[i])
			return true;
	return false;
}

enum fleet_verdict fleet_http_insert(struct fleet_http *h, const void *gz, size_t len, char *err, size_t errlen)
{
	char sql[2 * FLEET_NAME_MAX + 64], *url;
	snprintf(sql, sizeof(sql), "INSERT INTO %s.%s FORMAT JSONEachRow", h->conf->database, h->conf->table);
	/* a newer agent's extra fields must not stop an older table */
	url = make_url(h, sql, "&input_format_skip_unknown_fields=1");
	if (!url) {
		snprintf(err, errlen, "insert: out of memory");
		return FLEET_RETRY;
	}
	post(h, url, gz, len, true);
	free(url);
	if (h->curl_code == CURLE_OK && h->status == 200)
		return FLEET_OK;
	fleet_http_explain(h, "insert", err, errlen);
	/* 400 or a data error: the rows are refused for what they are.  401,
	 * 403, 404 (user or table gone), 5xx (memory, too many parts) can be
	 * repaired by an operator or time: keep and retry. */
	if (h->curl_code != CURLE_OK)
		return FLEET_RETRY;
	return h->status == 400 || data_error(server_code(h)) ? FLEET_REJECTED : FLEET_RETRY;
}
