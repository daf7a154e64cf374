// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The agent's outputs (group "agent"): the ECS JSON writer (every byte
 * 0..255 and invalid UTF-8 parsed back by jq, each kind's required fields),
 * the text line, the file output (0600, rotation, reopen), the config file
 * and `warden run`'s refusals.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "agent/config.h"
#include "agent/file_output.h"
#include "fleet/agent_rows.h"
#include "agent/json.h"

/* ---- helpers ------------------------------------------------------------ */

static bool have_jq(void)
{
	return wd_test_run("command -v jq >/dev/null", NULL) == 0;
}

#define REQUIRE_JQ()                                                            \
	do {                                                                    \
		if (!have_jq())                                                 \
			WD_SKIP("jq is not installed (apt-get install jq)");    \
	} while (0)

static char *tmp_dir(void)
{
	char *d = strdup("/tmp/wd-agent-out-XXXXXX");

	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

static void rm_tree(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(wd_test_run(cmd, NULL), 0);
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* jq FILTER over FILE: 0 and its output (malloc'd), or jq's exit status. */
static int jq(const char *file, const char *filter, char **out)
{
	char *cmd;
	int st;

	assert_true(asprintf(&cmd, "jq -r '%s' '%s'", filter, file) > 0);
	st = wd_test_run(cmd, out);
	free(cmd);
	return st;
}

/* Strict UTF-8 check (the line itself, before any parser forgives it). */
static bool valid_utf8(const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		size_t n;

		if (c < 0x80) {
			i++;
			continue;
		}
		n = wd_utf8_seq((const unsigned char *)s + i, len - i);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

static char *b64(const void *data, size_t len)
{
	struct wd_jbuf b = { 0 };
	char *s;

	wd_json_put_b64(&b, data, len);
	assert_false(b.failed);
	/* without the quotes */
	s = strndup(b.p + 1, b.len - 2);
	wd_jbuf_free(&b);
	return s;
}

/* ---- escaping ----------------------------------------------------------- */

static void test_b64_vectors(void **state)
{
	/* RFC 4648 section 10 */
	static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const out[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	(void)state;

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char *s = b64(in[i], strlen(in[i]));
		assert_string_equal(s, out[i]);
		free(s);
	}
}

/* Each byte 0..255 between two letters, one JSON line each; jq gives back
 * the decoded string as base64 of its UTF-8 bytes. */
static void test_escape_every_byte(void **state)
{
	struct wd_jbuf b = { 0 };
	char *dir, path[256], *out = NULL, *line;
	(void)state;

	REQUIRE_JQ();
	dir = tmp_dir();
	snprintf(path, sizeof(path), "%s/bytes.json", dir);
	for (int c = 0; c < 256; c++) {
		char in[3] = { 'a', (char)c, 'b' };
		size_t before = b.len;
		bool valid;

		assert_true(wd_jbuf_reserve(&b, 8));
		memcpy(b.p + b.len, "{\"s\":", 5);
		b.len += 5;
		valid = wd_json_put_str(&b, in, 3);
		assert_true(wd_jbuf_reserve(&b, 2));
		b.p[b.len++] = '}';
		/* a lone byte >= 0x80 is never UTF-8 */
		assert_int_equal(valid, c < 0x80);
		assert_true(valid_utf8(b.p + before, b.len - before));
		/* nothing raw below 0x20 and no DEL in the line */
		for (size_t i = before; i < b.len; i++)
			assert_true((unsigned char)b.p[i] >= 0x20 && b.p[i] != 0x7f);
		b.p[b.len++] = '\n';
	}
	assert_false(b.failed);
	write_file(path, b.p, b.len);
	assert_int_equal(jq(path, ".s | @base64", &out), 0);
	line = out;
	for (int c = 0; c < 256; c++) {
		char expect_raw[5] = { 'a', (char)c, 'b' };
		size_t n = 3;
		char *nl = strchr(line, '\n'), *expect;

		assert_non_null(nl);
		*nl = '\0';
		if (c >= 0x80) {
			memcpy(expect_raw, "a\xef\xbf\xbd" "b", 5);
			n = 5;
		}
		expect = b64(expect_raw, n);
		if (strcmp(line, expect))
			fail_msg("byte 0x%02x: jq read %s, expected %s", c, line, expect);
		free(expect);
		line = nl + 1;
	}
	free(out);
	wd_jbuf_free(&b);
	rm_tree(dir);
	free(dir);
}

struct utf8_case {
	const char *in;
	const char *expect;     /* after decoding: invalid bytes are U+FFFD each */
	bool valid;
};

#define R "\xef\xbf\xbd"
static const struct utf8_case utf8_cases[] = {
	{ "caf\xc3\xa9", "caf\xc3\xa9", true },                  /* 2 bytes */
	{ "\xe2\x82\xac", "\xe2\x82\xac", true },                /* euro, 3 bytes */
	{ "\xf0\x9d\x84\x9e", "\xf0\x9d\x84\x9e", true },        /* U+1D11E, 4 bytes */
	{ "\xef\xbf\xbd", "\xef\xbf\xbd", true },                /* a real U+FFFD stays valid */
	{ "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf", true },        /* U+10FFFF */
	{ "\xc0\xaf", R R, false },                              /* overlong '/' */
	{ "\xe0\x80\xaf", R R R, false },                        /* overlong, 3 bytes */
	{ "\xed\xa0\x80", R R R, false },                        /* UTF-16 surrogate D800 */
	{ "\xf4\x90\x80\x80", R R R R, false },                  /* above U+10FFFF */
	{ "\xf5\x80\x80\x80", R R R R, false },                  /* F5: never UTF-8 */
	{ "\xe2\x82x", R R "x", false },                         /* cut sequence */
	{ "x\xe2\x82", "x" R R, false },                         /* cut at the end */
	{ "\x80" "a", R "a", false },                            /* lone continuation */
	{ "\xff\xfe", R R, false },
	{ "ok\xc3\xa9\xc3(", "ok\xc3\xa9" R "(", false },        /* valid then broken */
};

static void test_escape_invalid_utf8(void **state)
{
	struct wd_jbuf b = { 0 };
	size_t n = sizeof(utf8_cases) / sizeof(utf8_cases[0]);
	char *dir, path[256], *out = NULL, *line;
	(void)state;

	REQUIRE_JQ();
	dir = tmp_dir();
	snprintf(path, sizeof(path), "%s/utf8.json", dir);
	for (size_t i = 0; i < n; i++) {
		size_t before = b.len;
		assert_int_equal(wd_json_put_str(&b, utf8_cases[i].in, strlen(utf8_cases[i].in)),
				 utf8_cases[i].valid);
		assert_true(valid_utf8(b.p + before, b.len - before));
		assert_true(wd_jbuf_reserve(&b, 1));
		b.p[b.len++] = '\n';
	}
	write_file(path, b.p, b.len);
	assert_int_equal(jq(path, "@base64", &out), 0);
	line = out;
	for (size_t i = 0; i < n; i++) {
		char *nl = strchr(line, '\n'), *expect = b64(utf8_cases[i].expect, strlen(utf8_cases[i].expect));

		assert_non_null(nl);
		*nl = '\0';
		if (strcmp(line, expect))
			fail_msg("case %zu: jq read %s, expected %s", i, line, expect);
		free(expect);
		line = nl + 1;
	}
	free(out);
	wd_jbuf_free(&b);
	rm_tree(dir);
	free(dir);
}

static void test_escape_control_forms(void **state)
{
	struct wd_jbuf b = { 0 };
	(void)state;

	wd_json_put_str(&b, "\"\\\n\t\r\b\f\x01\x1f\x7f/", 11);
	assert_int_equal(b.len, strlen("\"\\\"\\\\\\n\\t\\r\\b\\f\\u0001\\u001f\\u007f/\""));
	assert_memory_equal(b.p, "\"\\\"\\\\\\n\\t\\r\\b\\f\\u0001\\u001f\\u007f/\"", b.len);
	b.len = 0;
	/* an embedded NUL is data, not the end */
	wd_json_put_str(&b, "a\0b", 3);
	assert_memory_equal(b.p, "\"a\\u0000b\"", b.len);
	wd_jbuf_free(&b);
}

static void test_timestamp(void **state)
{
	char buf[32];
	(void)state;

	wd_json_time(1700000000123456789ll, buf);
	assert_string_equal(buf, "2023-11-14T22:13:20.123456789Z");
	wd_json_time(0, buf);
	assert_string_equal(buf, "1970-01-01T00:00:00.000000000Z");
	wd_json_time(951782400000000007ll, buf);    /* 2000-02-29, leap day */
	assert_string_equal(buf, "2000-02-29T00:00:00.000000007Z");
}

/* ---- events: every kind ------------------------------------------------- */

static void fill_proc(struct wd_event_process *p, uint32_t pid)
{
	p->pid = pid;
	p->tid = pid + 1;
	p->ppid = 1;
	p->ns_pid = 7;
	p->ns_tid = 8;
	p->ns_ppid = 0;
	p->uid = 1000;
	p->gid = 1001;
	p->euid = 0;
	p->egid = 0;
	p->auid = 1000;
	p->sessionid = 3;
	strcpy(p->comm, "bash");
	p->exe = "/usr/bin/bash";
	p->cgroup_id = 4242;
	p->container_id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	for (int i = 0; i < WD_NS__COUNT; i++)
		p->ns[i] = 4026531835u + (uint32_t)i;
	p->start_ns = 123456789;
}

static struct wd_event_str evstr(const char *s, size_t len)
{
	return (struct wd_event_str){ .s = s, .len = len, .true_len = len };
}

/* One event of kind k with the fields of that kind set. */
static void make_event(struct wd_event *ev, enum wd_event_kind k)
{
	static const char args[] = "ls\0-l\0/tmp";

	memset(ev, 0, sizeof(*ev));
	ev->kind = k;
	ev->seq = 100 + (uint64_t)k;
	ev->time_ns = 1700000000123456789ull;
	fill_proc(&ev->proc, 1234);
	ev->parent.pid = 1;
	strcpy(ev->parent.comm, "systemd");
	if (k == WD_EV_EXEC) {
		ev->exec.filename = evstr("/usr/bin/ls", 11);
		ev->exec.args = evstr(args, sizeof(args));
		ev->exec.argc = 3;
		ev->exec.cwd = evstr("/tmp", 4);
		ev->exec.inode = 77;
		ev->exec.dev = 2049;
		ev->exec.ctime_ns = 1663687649147483648ull;   /* above 2^53 */
	} else if (k >= WD_EV_FILE_OPEN && k <= WD_EV_FILE_TRUNCATE) {
		ev->file.path = evstr("/tmp/a", 6);
		if (k == WD_EV_FILE_RENAME || k == WD_EV_FILE_LINK || k == WD_EV_FILE_SYMLINK)
			ev->file.path2 = evstr("/tmp/b", 6);
		ev->file.inode = 99;
		ev->file.flags = 0101;
		ev->file.mode = 0644;
		ev->file.uid = 5;
		ev->file.gid = (uint32_t)-1;
	} else if (k >= WD_EV_NET_CONNECT && k <= WD_EV_NET_UDP_SEND) {
		ev->net.family = 2;
		ev->net.protocol = k == WD_EV_NET_UDP_SEND ? 17 : 6;
		memcpy(ev->net.saddr, "\x7f\x00\x00\x01", 4);
		memcpy(ev->net.daddr, "\x0a\x00\x00\x02", 4);
		ev->net.sport = 40000;
		ev->net.dport = 53;
		ev->net.bytes_sent = 10;
		ev->net.bytes_received = 20;
		ev->net.duration_ns = 5000;
		ev->net.dns = k == WD_EV_NET_UDP_SEND;
	} else if (k == WD_EV_CRED) {
		ev->cred.old_uid = 1000;
		ev->cred.new_uid = 0;
		ev->cred.new_cap_effective = 0x1ffffffffffull;
		ev->cred.syscall = "setuid";
	} else {
		ev->other.target_pid = 4321;
		ev->other.flags = 0x11;
		ev->other.exit_code = 3;
		ev->other.name = evstr("name0", 5);
		ev->other.target = evstr("/mnt", 4);
		ev->other.fstype = evstr("tmpfs", 5);
		ev->other.bpf_type = 26;
	}
}

/* The fields every event line has, and those of its kind (jq -e). */
static const char common_check[] =
	"(.[\"@timestamp\"] == \"2023-11-14T22:13:20.123456789Z\") and .event.kind == \"event\" and "
	"(.event.category | type) == \"array\" and (.event.type | type) == \"array\" and "
	".event.sequence >= 100 and .process.pid == 1234 and .process.thread.id == 1235 and "
	".process.parent.pid == 1 and .process.parent.name == \"systemd\" and "
	".process.name == \"bash\" and (.process.entity_id | type) == \"string\" and "
	".user.id == \"1000\" and .user.effective.id == \"0\" and .group.id == \"1001\" and "
	"(.container.id | length) == 64 and .host.name == \"h1\" and .host.id == \"m1\" and "
	".host.boot.id == \"b1\" and .warden.process.ns_pid == 7 and "
	".warden.process.cgroup_id == 4242 and .warden.process.ns.mnt == 4026531836 and "
	".warden.process.auid == 1000";

static const char *kind_check(enum wd_event_kind k)
{
	switch (k) {
	case WD_EV_EXEC:
		return ".process.args == [\"ls\",\"-l\",\"/tmp\"] and .process.args_count == 3 and "
		       ".process.working_directory == \"/tmp\" and .process.executable == \"/usr/bin/bash\" and "
		       ".warden.exec.filename == \"/usr/bin/ls\" and .warden.exec.inode == 77 and "
		       ".warden.exec.ctime == \"2022-09-20T15:27:29.147483648Z\" and "
		       ".event.type == [\"start\"] and .event.category == [\"process\"]";
	case WD_EV_EXIT:
		return ".process.exit_code == 3 and .event.type == [\"end\"]";
	case WD_EV_FORK:
		return ".warden.fork.child_pid == 4321 and .warden.fork.clone_flags == 17";
	case WD_EV_CRED:
		return ".warden.cred.old.uid == 1000 and .warden.cred.new.uid == 0 and "
		       ".warden.cred.new.cap_effective == 2199023255551 and .warden.cred.syscall == \"setuid\"";
	case WD_EV_FILE_RENAME:
		return ".file.path == \"/tmp/b\" and .warden.file.original_path == \"/tmp/a\" and .file.inode == \"99\"";
	case WD_EV_FILE_LINK:
	case WD_EV_FILE_SYMLINK:
		return ".file.path == \"/tmp/b\" and .file.target_path == \"/tmp/a\"";
	case WD_EV_FILE_OPEN:
		return ".file.path == \"/tmp/a\" and .file.mode == \"0644\" and .event.type == [\"creation\"]";
	case WD_EV_FILE_CHOWN:
		return ".file.path == \"/tmp/a\" and .file.uid == \"5\" and (.file | has(\"gid\") | not)";
	case WD_EV_NET_CONNECT:
		return ".source.ip == \"127.0.0.1\" and .source.port == 40000 and .destination.ip == \"10.0.0.2\" and "
		       ".destination.port == 53 and .network.transport == \"tcp\" and .network.type == \"ipv4\" and "
		       ".network.direction == \"egress\" and .event.category == [\"network\"]";
	case WD_EV_NET_ACCEPT:
		return ".source.ip == \"10.0.0.2\" and .destination.ip == \"127.0.0.1\" and "
		       ".destination.port == 40000 and .network.direction == \"ingress\"";
	case WD_EV_NET_CLOSE:
		return ".source.bytes == 10 and .destination.bytes == 20 and .event.duration == 5000 and "
		       ".network.bytes == 30";
	case WD_EV_NET_UDP_SEND:
		return ".network.transport == \"udp\" and .network.protocol == \"dns\" and .warden.net.dns == true";
	case WD_EV_MOUNT:
		return ".warden.mount.source == \"name0\" and .warden.mount.target == \"/mnt\" and "
		       ".warden.mount.fstype == \"tmpfs\"";
	case WD_EV_BPF_PROG:
		return ".warden.bpf.name == \"name0\" and .warden.bpf.type == 26";
	case WD_EV_MODULE_LOAD:
		return ".warden.module.name == \"name0\"";
	case WD_EV_MEMFD:
		return ".warden.memfd.name == \"name0\"";
	default:
		return k >= WD_EV_FILE_OPEN && k <= WD_EV_FILE_TRUNCATE ? ".file.path == \"/tmp/a\"" : "true";
	}
}

static void init_writer(struct wd_json_writer *w)
{
	struct wd_json_host h = { .name = "h1", .id = "m1", .boot_id = "b1" };

	assert_int_equal(wd_json_writer_init(w, &h), 0);
}

static void test_json_every_kind(void **state)
{
	struct wd_json_writer w;
	char *dir, path[256];
	(void)state;

	REQUIRE_JQ();
	init_writer(&w);
	dir = tmp_dir();
	snprintf(path, sizeof(path), "%s/ev.json", dir);
	for (int k = 0; k < WD_EV_STATS; k++) {
		struct wd_event ev;
		const char *line;
		size_t len;
		char *filter, *out = NULL;

		make_event(&ev, (enum wd_event_kind)k);
		assert_int_equal(wd_json_event(&w, &ev, &line, &len), 0);
		assert_null(memchr(line, '\n', len));
		assert_true(valid_utf8(line, len));
		write_file(path, line, len);
		assert_true(asprintf(&filter, "(%s) and (%s) and .event.action == \"%s\"", common_check,
				     kind_check((enum wd_event_kind)k),
				     wd_event_kind_name((enum wd_event_kind)k)) > 0);
		char *cmd;
		assert_true(asprintf(&cmd, "jq -e '%s' '%s'", filter, path) > 0);
		if (wd_test_run(cmd, &out) != 0)
			fail_msg("kind %s: %s\nline: %.*s", wd_event_kind_name((enum wd_event_kind)k), out,
				 (int)len, line);
		free(cmd);
		free(filter);
		free(out);
	}
	wd_json_writer_free(&w);
	rm_tree(dir);
	free(dir);
}

/* Invalid UTF-8 and a truncated argv: U+FFFD in the field, the bytes in
 * warden.*_b64, the cut named with its true length. */
static void test_json_raw_and_truncated(void **state)
{
	static const char args[] = "a\xff\0b";
	static const char bad_path[] = "/tmp/\xc0\xaf\x01x";
	struct wd_json_writer w;
	struct wd_event ev;
	const char *line;
	size_t len;
	char *dir, path[256], *out = NULL, *expect_args, *expect_path;
	(void)state;

	REQUIRE_JQ();
	init_writer(&w);
	dir = tmp_dir();
	snprintf(path, sizeof(path), "%s/raw.json", dir);

	make_event(&ev, WD_EV_EXEC);
	ev.exec.args = evstr(args, sizeof(args) - 1);
	ev.exec.args.truncated = true;
	ev.exec.args.true_len = 102400;
	ev.exec.cwd = evstr(bad_path, sizeof(bad_path) - 1);
	assert_int_equal(wd_json_event(&w, &ev, &line, &len), 0);
	assert_true(valid_utf8(line, len));
	write_file(path, line, len);
	expect_args = b64(args, sizeof(args) - 1);
	expect_path = b64(bad_path, sizeof(bad_path) - 1);
	char *filter;
	assert_true(asprintf(&filter,
			     "[.process.args == [\"a\\ufffd\",\"b\"], "
			     ".warden.process_args_b64 == \"%s\", "
			     ".process.working_directory == \"/tmp/\\ufffd\\ufffd\\u0001x\", "
			     ".warden.process_working_directory_b64 == \"%s\", "
			     ".warden.truncated == [\"process_args\"], "
			     ".warden.true_len.process_args == 102400] | all",
			     expect_args, expect_path) > 0);
	assert_int_equal(jq(path, filter, &out), 0);
	if (strcmp(out, "true\n"))
		fail_msg("jq: %s\nline: %.*s", out, (int)len, line);
	free(out);
	free(filter);
	free(expect_args);
	free(expect_path);
	wd_json_writer_free(&w);
	rm_tree(dir);
	free(dir);
}

static void test_json_stats_record(void **state)
{
	struct wd_json_writer w;
	struct wd_event ev = { .kind = WD_EV_STATS, .time_ns = 1700000000000000000ull };
	const char *line;
	size_t len;
	char *dir, path[256], *out = NULL;
	(void)state;

	REQUIRE_JQ();
	init_writer(&w);
	dir = tmp_dir();
	snprintf(path, sizeof(path), "%s/stats.json", dir);
	ev.stats.received[WD_EV_EXEC] = 5;
	ev.stats.received[WD_EV_NET_CONNECT] = 2;
	ev.stats.dropped[WD_EV_EXEC] = 1;
	ev.stats.lost_ring = 4;
	assert_int_equal(wd_json_stats(&w, &ev, "\"file\":{\"lines\":3}", &line, &len), 0);
	write_file(path, line, len);
	assert_int_equal(jq(path, "[.event.kind == \"metric\", .event.action == \"stats\", "
				  ".warden.stats.received.exec == 5, .warden.stats.received.connect == 2, "
				  ".warden.stats.dropped.exec == 1, .warden.stats.received_total == 7, "
				  ".warden.stats.dropped_total == 5, .warden.stats.lost_ring == 4, "
				  ".warden.outputs.file.lines == 3, .host.name == \"h1\"] | all", &out), 0);
	if (strcmp(out, "true\n"))
		fail_msg("jq: %s\nline: %.*s", out, (int)len, line);
	free(out);
	wd_json_writer_free(&w);
	rm_tree(dir);
	free(dir);
}

/* Integers at the edges of the writer's digit loops, read back as text
 * (jq would round what passes 2^53). */
static void test_json_numbers(void **state)
{
	static const struct { uint64_t v; const char *text; } cases[] = {
		{ 0, "0" }, { 9, "9" }, { 10, "10" }, { 99, "99" }, { 100, "100" },
		{ 4294967295u, "4294967295" }, { 4294967296ull, "4294967296" },
		{ 1000000000ull, "1000000000" }, { 1000000000000000000ull, "1000000000000000000" },
		{ 1000000007000000000ull, "1000000007000000000" },
		{ 18446744073709551615ull, "18446744073709551615" },
	};
	struct wd_json_writer w;
	struct wd_event ev = { .kind = WD_EV_STATS };
	const char *line;
	size_t len;
	char want[64], *copy;
	(void)state;

	init_writer(&w);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ev.stats.lost_ring = cases[i].v;
		assert_int_equal(wd_json_stats(&w, &ev, NULL, &line, &len), 0);
		copy = strndup(line, len);
		snprintf(want, sizeof(want), "\"lost_ring\":%s,", cases[i].text);
		if (!strstr(copy, want))
			fail_msg("%s not in %s", want, copy);
		free(copy);
	}
	wd_json_writer_free(&w);
}

/* ---- text ---------------------------------------------------------------- */

static void test_text_line(void **state)
{
	struct wd_jbuf b = { 0 };
	struct wd_event ev;
	static const char args[] = "ls\0-l\0\x1b[31mred\xff";
	(void)state;

	make_event(&ev, WD_EV_EXEC);
	ev.exec.args = evstr(args, sizeof(args) - 1);
	wd_text_event(&b, &ev);
	assert_true(wd_jbuf_reserve(&b, 1));
	b.p[b.len] = '\0';
	assert_non_null(strstr(b.p, "exec"));
	assert_non_null(strstr(b.p, "bash(1234)"));
	assert_non_null(strstr(b.p, "/usr/bin/bash ls -l \\x1b[31mred\\xff"));
	assert_int_equal(b.p[b.len - 1], '\n');
	assert_null(memchr(b.p, 0x1b, b.len));
	wd_jbuf_free(&b);

	make_event(&ev, WD_EV_NET_CONNECT);
	wd_text_event(&b, &ev);
	assert_true(wd_jbuf_reserve(&b, 1));
	b.p[b.len] = '\0';
	assert_non_null(strstr(b.p, "tcp 127.0.0.1:40000 -> 10.0.0.2:53"));
	wd_jbuf_free(&b);
}

/* ---- file output ---------------------------------------------------------- */

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

/* "{"n":N,"pad":"xxx..."}" lines of about `size` bytes. */
static int write_lines(struct wd_output *out, int from, int count, size_t size)
{
	struct wd_event ev = { .kind = WD_EV_EXEC };
	char line[512];

	for (int i = from; i < from + count; i++) {
		int n = snprintf(line, sizeof(line), "{\"n\":%d,\"pad\":\"%0*d\"}", i,
				 (int)(size > 30 ? size - 30 : 1), 0);
		if (out->ops->write(out, &ev, line, (size_t)n))
			return -1;
	}
	return wd_file_output_flush(out);
}

static int count_lines(const char *buf)
{
	int n = 0;

	for (const char *p = buf; *p; p++)
		n += *p == '\n';
	return n;
}

static void test_file_output_0600(void **state)
{
	struct wd_file_output_opts o = { 0 };
	struct wd_output *out;
	char *dir = tmp_dir(), path[256], err[256], *buf;
	mode_t old = umask(0);
	struct stat st;
	(void)state;

	snprintf(path, sizeof(path), "%s/events.json", dir);
	o.path = path;
	out = wd_file_output_open(&o, err, sizeof(err));
	umask(old);
	assert_non_null(out);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(write_lines(out, 0, 3, 60), 0);
	buf = read_file(path, NULL);
	assert_int_equal(count_lines(buf), 3);
	assert_true(!strncmp(buf, "{\"n\":0,", 7));
	free(buf);
	out->ops->close(out);

	/* appended to, never truncated */
	out = wd_file_output_open(&o, err, sizeof(err));
	assert_non_null(out);
	assert_int_equal(write_lines(out, 3, 2, 60), 0);
	out->ops->close(out);
	buf = read_file(path, NULL);
	assert_int_equal(count_lines(buf), 5);
	free(buf);

	/* a path that cannot be opened: NULL and the path named */
	o.path = "/nonexistent-warden-dir/x.json";
	assert_null(wd_file_output_open(&o, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent-warden-dir/x.json"));
	rm_tree(dir);
	free(dir);
}

static void test_file_output_rotation(void **state)
{
	struct wd_file_output_opts o = { .rotate_size = 4096, .rotate_keep = 2 };
	struct wd_output *out;
	char *dir = tmp_dir(), path[256], name[300], err[256];
	int next = -1;
	(void)state;

	snprintf(path, sizeof(path), "%s/ev.json", dir);
	o.path = path;
	out = wd_file_output_open(&o, err, sizeof(err));
	assert_non_null(out);
	/* 200 lines of 100 bytes: 20 KB through 4 KB files, 3 kept */
	for (int i = 0; i < 200; i += 10)
		assert_int_equal(write_lines(out, i, 10, 100), 0);
	out->ops->close(out);
	snprintf(name, sizeof(name), "%s.3", path);
	assert_int_equal(access(name, F_OK), -1);
	/* oldest to newest: PATH.2, PATH.1, PATH; whole lines, numbers in order */
	for (int k = 2; k >= 0; k--) {
		size_t len;
		char *buf, *p;
		struct stat st;

		if (k)
			snprintf(name, sizeof(name), "%s.%d", path, k);
		else
			snprintf(name, sizeof(name), "%s", path);
		buf = read_file(name, &len);
		assert_non_null(buf);
		assert_true(len <= 4096);
		assert_true(len > 0 && buf[len - 1] == '\n');
		assert_int_equal(stat(name, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		for (p = buf; *p; p = strchr(p, '\n') + 1) {
			int n = atoi(p + 5);
			assert_true(!strncmp(p, "{\"n\":", 5));
			if (next >= 0)
				assert_int_equal(n, next);
			next = n + 1;
		}
		free(buf);
	}
	assert_int_equal(next, 200);
	rm_tree(dir);
	free(dir);
}

/* logrotate's way: the file is renamed, then SIGHUP (ops->reopen). */
static void test_file_output_reopen(void **state)
{
	struct wd_file_output_opts o = { 0 };
	struct wd_output *out;
	char *dir = tmp_dir(), path[256], moved[300], err[256], *buf;
	struct stat st;
	(void)state;

	snprintf(path, sizeof(path), "%s/ev.json", dir);
	snprintf(moved, sizeof(moved), "%s/ev.json.old", dir);
	o.path = path;
	out = wd_file_output_open(&o, err, sizeof(err));
	assert_non_null(out);
	assert_int_equal(write_lines(out, 0, 2, 50), 0);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(write_lines(out, 2, 1, 50), 0);   /* still the old file */
	assert_int_equal(out->ops->reopen(out), 0);
	assert_int_equal(write_lines(out, 3, 4, 50), 0);
	out->ops->close(out);
	buf = read_file(moved, NULL);
	assert_int_equal(count_lines(buf), 3);
	free(buf);
	buf = read_file(path, NULL);
	assert_int_equal(count_lines(buf), 4);
	assert_true(!strncmp(buf, "{\"n\":3,", 7));
	free(buf);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	rm_tree(dir);
	free(dir);
}

static void test_file_output_text(void **state)
{
	struct wd_file_output_opts o = { .text = true };
	struct wd_output *out;
	struct wd_event ev;
	char *dir = tmp_dir(), path[256], err[256], *buf;
	(void)state;

	snprintf(path, sizeof(path), "%s/ev.txt", dir);
	o.path = path;
	out = wd_file_output_open(&o, err, sizeof(err));
	assert_non_null(out);
	make_event(&ev, WD_EV_EXEC);
	assert_int_equal(out->ops->write(out, &ev, "{}", 2), 0);
	out->ops->close(out);
	buf = read_file(path, NULL);
	assert_non_null(strstr(buf, "bash(1234)"));
	assert_null(strchr(buf, '{'));
	free(buf);
	rm_tree(dir);
	free(dir);
}

/* ---- config ---------------------------------------------------------------- */

static int load_text(struct wd_agent_config *c, const char *text, char *err, size_t errlen)
{
	char *dir = tmp_dir(), path[256];
	int rc;

	snprintf(path, sizeof(path), "%s/warden.conf", dir);
	write_file(path, text, strlen(text));
	wd_config_init(c);
	rc = wd_config_load(c, path, true, err, errlen);
	rm_tree(dir);
	free(dir);
	return rc;
}

static void test_config_values(void **state)
{
	struct wd_agent_config c;
	char err[512];
	(void)state;

	assert_int_equal(load_text(&c,
		"# comment\n"
		"[output]\npath = /var/log/x.json\nstdout = yes\nformat = text\nrotate_size = 100M\nrotate_keep = 3\n"
		"[clickhouse]\nurl = clickhouse://u@h:8123/db.t\npassword_file = /etc/pw\nspool_max = 1G\n"
		"[filter]\nkinds = exec,network\nuid = 0\ncomm = bash\npath_prefix = /etc\npid_tree = 42\n"
		"container = abcdef012345\n"
		"; another comment\n"
		"[agent]\nlatency_ms = 20\nstats_interval = 0\nring_size = 16M\ntransport = perfbuf\n",
		err, sizeof(err)), 0);
	assert_string_equal(c.out_file, "/var/log/x.json");
	assert_true(c.out_stdout);
	assert_true(c.format_text);
	assert_int_equal(c.rotate_size, 100ull << 20);
	assert_int_equal(c.rotate_keep, 3);
	assert_string_equal(c.clickhouse_url, "clickhouse://u@h:8123/db.t");
	assert_string_equal(c.password_file, "/etc/pw");
	assert_int_equal(c.spool_max_bytes, 1ull << 30);
	assert_int_equal(c.kinds, (1ull << WD_EV_EXEC) | (1ull << WD_EV_NET_CONNECT) |
			 (1ull << WD_EV_NET_ACCEPT) | (1ull << WD_EV_NET_CLOSE) | (1ull << WD_EV_NET_LISTEN) |
			 (1ull << WD_EV_NET_BIND) | (1ull << WD_EV_NET_UDP_SEND));
	assert_int_equal(c.uid, 0);
	assert_string_equal(c.comm, "bash");
	/* a user name, where the passwd database has one (QEMU guests may not) */
	if (getpwnam("daemon")) {
		assert_int_equal(wd_config_set(&c, "filter", "uid", "daemon", err, sizeof(err)), 0);
		assert_int_equal(c.uid, (int32_t)getpwnam("daemon")->pw_uid);
	}
	assert_string_equal(c.path_prefix, "/etc");
	assert_int_equal(c.pid_tree, 42);
	assert_string_equal(c.container_id, "abcdef012345");
	assert_int_equal(c.latency_ms, 20);
	assert_int_equal(c.stats_interval, 0);
	assert_int_equal(c.ring_bytes, 16u << 20);
	assert_int_equal(c.transport, 2);
	/* a flag overrides the file through the same setter */
	assert_int_equal(wd_config_set(&c, "agent", "latency_ms", "5", err, sizeof(err)), 0);
	assert_int_equal(c.latency_ms, 5);
	/* --output replaces the file's outputs */
	assert_int_equal(wd_config_add_output(&c, "-", true, err, sizeof(err)), 0);
	assert_null(c.out_file);
	assert_null(c.clickhouse_url);
	assert_true(c.out_stdout);
	wd_config_free(&c);

	/* defaults, and stdout when nothing else */
	assert_int_equal(load_text(&c, "", err, sizeof(err)), 0);
	assert_int_equal(wd_config_finish(&c, err, sizeof(err)), 0);
	assert_true(c.out_stdout);
	assert_int_equal(c.latency_ms, 100);
	assert_int_equal(c.stats_interval, 60);
	assert_int_equal(c.uid, -1);
	assert_int_equal(c.kinds, 0);
	wd_config_free(&c);
}

/* dist/warden.conf as shipped, then with every key uncommented. */
static void test_config_dist_file(void **state)
{
	struct wd_agent_config c;
	char err[512], *text, *out, *o;
	size_t len;
	(void)state;

	text = read_file("dist/warden.conf", &len);
	if (!text)
		WD_SKIP("dist/warden.conf not here (run from the source tree)");
	assert_int_equal(load_text(&c, text, err, sizeof(err)), 0);
	wd_config_free(&c);
	out = o = malloc(len + 1);
	assert_non_null(out);
	for (char *line = text; *line;) {
		char *nl = strchrnul(line, '\n');
		size_t n = (size_t)(nl - line) + (*nl ? 1 : 0);
		size_t k = 1;

		while (line[0] == '#' && k < n && (line[k] == '_' || (line[k] >= 'a' && line[k] <= 'z')))
			k++;
		if (line[0] == '#' && k > 1 && !strncmp(line + k, " =", 2)) {
			memcpy(o, line + 1, n - 1);
			o += n - 1;
		} else {
			memcpy(o, line, n);
			o += n;
		}
		line += n;
	}
	*o = '\0';
	if (load_text(&c, out, err, sizeof(err)))
		fail_msg("dist/warden.conf uncommented: %s", err);
	assert_string_equal(c.out_file, "/var/log/warden/events.json");
	assert_non_null(c.clickhouse_url);
	assert_int_equal(c.latency_ms, 100);
	assert_int_equal(c.rotate_keep, 5);
	wd_config_free(&c);
	free(out);
	free(text);
}

static void test_config_errors(void **state)
{
	static const struct { const char *text, *expect; } cases[] = {
		{ "[filter]\nuid = nosuchuser_wd\n", ":2: [filter] uid: 'nosuchuser_wd' is neither a uid nor a user name" },
		{ "[filtr]\nuid = 0\n", ":2: [filtr] uid: unknown section [filtr]" },
		{ "[agent]\nlatency = 5\n", ":2: [agent] latency: unknown key 'latency'" },
		{ "garbage\n", ":1: not 'key = value'" },
		{ "[filter]\n\nkinds = exec,bogus\n", ":3: [filter] kinds: unknown event kind 'bogus'" },
		{ "[agent]\nring_size = 3000\n", "not a power of two" },
		{ "[agent]\nlatency_ms = 0\n", "not milliseconds" },
		{ "[output]\nformat = xml\n", "json or text" },
		{ "[clickhouse]\nurl = http://x\n", "starts with clickhouse://" },
		{ "uid = 0\n", "outside a section" },
		{ "[filter]\ncomm = averyveryverylongname\n", "at most 15" },
	};
	struct wd_agent_config c;
	char err[512];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_int_equal(load_text(&c, cases[i].text, err, sizeof(err)), -EINVAL);
		if (!strstr(err, cases[i].expect))
			fail_msg("case %zu: '%s' does not contain '%s'", i, err, cases[i].expect);
		assert_null(strchr(err, '\n'));
		wd_config_free(&c);
	}
	/* a config file given explicitly must exist */
	wd_config_init(&c);
	assert_int_equal(wd_config_load(&c, "/nonexistent/warden.conf", true, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/warden.conf"));
	assert_int_equal(wd_config_load(&c, "/nonexistent/warden.conf", false, err, sizeof(err)), 0);
	wd_config_free(&c);
}

static void test_config_sizes_kinds(void **state)
{
	uint64_t v;
	char err[512];
	(void)state;

	assert_int_equal(wd_config_parse_size("64K", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(wd_config_parse_size("100MiB", &v), 0);
	assert_int_equal(v, 100ull << 20);
	assert_int_equal(wd_config_parse_size("2G", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(wd_config_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(wd_config_parse_size("12x", &v), -EINVAL);
	assert_int_equal(wd_config_parse_size("-1", &v), -EINVAL);
	assert_int_equal(wd_config_parse_size("99999999999999999999G", &v), -EINVAL);
	assert_int_equal(wd_config_parse_kinds("file", &v, err, sizeof(err)), 0);
	for (int k = 0; k < WD_EV__COUNT; k++)
		assert_int_equal(!!(v & (1ull << k)), !strcmp(wd_event_kind_category((enum wd_event_kind)k), "file"));
	assert_int_equal(wd_config_parse_kinds("all", &v, err, sizeof(err)), 0);
	assert_int_equal(v, ((1ull << WD_EV__COUNT) - 1) & ~(1ull << WD_EV_STATS));
	assert_int_equal(wd_config_parse_kinds("stats", &v, err, sizeof(err)), -EINVAL);
}

static void test_config_cgroup_id(void **state)
{
	char root_dir[256], dir[320];
	struct stat st;
	uint64_t id = 0, root = 0;
	(void)state;

	if (wd_cgroup2_mount(root_dir, sizeof(root_dir)))
		WD_SKIP("no cgroup2 mount in /proc/mounts");
	assert_int_equal(wd_cgroup_path_to_id(root_dir, &root), 0);
	assert_int_equal(root, 1);      /* the root cgroup's id (kernfs) */
	snprintf(dir, sizeof(dir), "%s/wd-agent-test-%d", root_dir, (int)getpid());
	if (mkdir(dir, 0755))
		WD_SKIP("cannot create a cgroup under %s (%s)", root_dir, strerror(errno));
	assert_int_equal(wd_cgroup_path_to_id(dir + strlen(root_dir), &id), 0);   /* relative form */
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(id, st.st_ino);
	assert_true(id > 1);
	id = 0;
	assert_int_equal(wd_cgroup_path_to_id(dir, &id), 0);                      /* absolute */
	assert_int_equal(id, st.st_ino);
	rmdir(dir);
	assert_int_equal(wd_cgroup_path_to_id(dir, &id), -ENOENT);
}

/* ---- warden run: refusals ---------------------------------------------------- */

/* Run `warden ARGS` in a child whose capability bounding set lacks `drop`
 * (so that exec gives it none of them, even as root); exit status and
 * stderr. */
static int run_cli_without(const uint64_t drop, const char *const *args, char **err_out)
{
	int pipefd[2];
	pid_t pid;
	int st;
	char buf[4096];
	ssize_t n, len = 0;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *argv[32] = { wd_test_cli() };
		int i = 1;

		for (int cap = 0; cap < 64; cap++)
			if (drop & (1ull << cap))
				prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
		for (; args[i - 1] && i < 31; i++)
			argv[i] = args[i - 1];
		dup2(pipefd[1], 2);
		dup2(open("/dev/null", O_WRONLY), 1);
		close(pipefd[0]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], buf + len, sizeof(buf) - 1 - (size_t)len)) > 0)
		len += n;
	buf[len] = '\0';
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	*err_out = strdup(buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void test_run_refuses_without_caps(void **state)
{
	const char *args[] = { "run", "--config", "/dev/null", "--duration", "1", NULL };
	uint64_t all = (1ull << 21) | (1ull << 38) | (1ull << 39);
	char *err = NULL;
	int rc;
	(void)state;

	if (access(wd_test_cli(), X_OK))
		WD_SKIP("%s not built", wd_test_cli());
	rc = run_cli_without(all, args, &err);
	if (rc != 1 || !strstr(err, "CAP_BPF") || !strstr(err, "CAP_PERFMON") ||
	    !strstr(err, "CAP_SYS_ADMIN") || !strstr(err, "missing capabilities"))
		fail_msg("exit %d, stderr: %s", rc, err);
	/* one line */
	assert_non_null(strchr(err, '\n'));
	assert_null(strchr(strchr(err, '\n') + 1, '\n'));
	free(err);
	/* CAP_BPF without CAP_PERFMON is not enough either */
	rc = run_cli_without((1ull << 21) | (1ull << 38), args, &err);
	if (rc != 1 || !strstr(err, "missing capabilities") || !strstr(err, "this process has CAP_BPF"))
		fail_msg("exit %d, stderr: %s", rc, err);
	free(err);
}

static void test_run_usage_errors(void **state)
{
	static const struct { const char *args, *expect; int rc; } cases[] = {
		{ "run --kinds bogus", "unknown event kind 'bogus'", 2 },
		{ "run --format xml", "json or text", 2 },
		{ "run --latency-ms x", "--latency-ms", 2 },
		{ "run --duration -1", "--duration", 2 },
		{ "run --config /nonexistent/warden.conf", "/nonexistent/warden.conf", 2 },
		{ "run --bogus", "unknown option", 2 },
		{ "run --output", "needs a value", 2 },
		{ "run --output http://x", "clickhouse://", 2 },
		{ "run -c /dev/null --cgroup /nonexistent-cg", "cgroup '/nonexistent-cg'", 2 },
		{ "stats --file /nonexistent/stats.json", "cannot read /nonexistent/stats.json", 1 },
	};
	char *dir, conf[256], cmd[512], *out = NULL;
	int rc;
	(void)state;

	if (access(wd_test_cli(), X_OK))
		WD_SKIP("%s not built", wd_test_cli());
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(cmd, sizeof(cmd), "%s %s", wd_test_cli(), cases[i].args);
		rc = wd_test_run(cmd, &out);
		if (rc != cases[i].rc || !strstr(out, cases[i].expect) || strchr(out, '\n') != out + strlen(out) - 1)
			fail_msg("'%s': exit %d (want %d), output: %s", cmd, rc, cases[i].rc, out);
		free(out);
	}
	/* a bad config file: one line naming the file and line, exit 2 */
	dir = tmp_dir();
	snprintf(conf, sizeof(conf), "%s/bad.conf", dir);
	write_file(conf, "[filter]\n# c\nuid = nosuchuser_wd\n", 34);
	snprintf(cmd, sizeof(cmd), "%s run --config %s", wd_test_cli(), conf);
	rc = wd_test_run(cmd, &out);
	if (rc != 2 || !strstr(out, "bad.conf:3: [filter] uid:") || strchr(out, '\n') != out + strlen(out) - 1)
		fail_msg("exit %d, output: %s", rc, out);
	free(out);
	rm_tree(dir);
	free(dir);
}

/* ---- the fleet sink's rows ------------------------------------------------------ */

static void test_fleet_rows(void **state)
{
	struct wd_fleet_row_buf rb;
	struct wd_fleet_row row;
	struct wd_event ev;
	(void)state;

	make_event(&ev, WD_EV_EXEC);
	wd_fleet_row_from_event(&ev, "{}", 2, &rb, &row);
	assert_string_equal(row.kind, "exec");
	assert_string_equal(row.category, "process");
	assert_int_equal(row.pid, 1234);
	assert_int_equal(row.tid, 1235);
	assert_int_equal(row.seq, ev.seq);
	assert_string_equal(row.comm, "bash");
	assert_string_equal(row.exe, "/usr/bin/bash");
	assert_string_equal(row.args, "ls -l /tmp");        /* NULs as spaces, trailing NUL dropped */
	assert_string_equal(row.path, "/usr/bin/ls");
	assert_int_equal(row.ns_mnt, ev.proc.ns[WD_NS_MNT]);
	assert_string_equal(row.container_id, ev.proc.container_id);
	assert_int_equal(row.json_len, 2);

	make_event(&ev, WD_EV_NET_CONNECT);
	wd_fleet_row_from_event(&ev, "{}", 2, &rb, &row);
	assert_string_equal(row.src_ip, "127.0.0.1");        /* the local end starts it */
	assert_int_equal(row.src_port, 40000);
	assert_string_equal(row.dst_ip, "10.0.0.2");
	assert_int_equal(row.dst_port, 53);
	assert_string_equal(row.transport, "tcp");

	make_event(&ev, WD_EV_NET_ACCEPT);
	wd_fleet_row_from_event(&ev, "{}", 2, &rb, &row);
	assert_string_equal(row.src_ip, "10.0.0.2");         /* the peer starts it */
	assert_int_equal(row.src_port, 53);
	assert_string_equal(row.dst_ip, "127.0.0.1");
	assert_int_equal(row.dst_port, 40000);

	make_event(&ev, WD_EV_FILE_RENAME);
	wd_fleet_row_from_event(&ev, "{}", 2, &rb, &row);
	assert_string_equal(row.path, "/tmp/a");
	assert_string_equal(row.path2, "/tmp/b");

	memset(&ev, 0, sizeof(ev));
	ev.kind = WD_EV_STATS;
	ev.stats.dropped[WD_EV_EXEC] = 2;
	ev.stats.dropped[WD_EV_FILE_OPEN] = 3;
	ev.stats.lost_ring = 4;
	wd_fleet_row_from_event(&ev, "{}", 2, &rb, &row);
	assert_int_equal(row.dropped, 9);
}

/* A ClickHouse output that cannot be reached: one line, before any BPF. */
static void test_run_clickhouse_unreachable(void **state)
{
	char cmd[512], *out = NULL;
	int rc;
	(void)state;

	if (access(wd_test_cli(), X_OK))
		WD_SKIP("%s not built", wd_test_cli());
	if (geteuid() != 0)
		WD_SKIP("needs root (the capability check comes first)");
	snprintf(cmd, sizeof(cmd), "%s run --config /dev/null --output clickhouse://127.0.0.1:1/db.events "
		 "--stats-file none --duration 1", wd_test_cli());
	rc = wd_test_run(cmd, &out);
	if (rc != 1 || !strstr(out, "ClickHouse output:") || strchr(out, '\n') != out + strlen(out) - 1)
		fail_msg("exit %d: %s", rc, out);
	free(out);
}

/* ---- warden run, for real ---------------------------------------------------- */

static bool file_has(const char *path, const char *needle)
{
	char *buf = read_file(path, NULL);
	bool found = buf && strstr(buf, needle);

	free(buf);
	return found;
}

/* Poll for cond(path, needle) for up to `ms`. */
static bool wait_for(const char *path, const char *needle, int ms)
{
	for (int waited = 0; waited < ms; waited += 50) {
		if (needle ? file_has(path, needle) : access(path, F_OK) == 0)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The sysctls a BPF agent is tempted to change: their values, joined. */
static void sysctl_snapshot(char *buf, size_t len)
{
	static const char *const knobs[] = {
		"/proc/sys/kernel/perf_event_paranoid", "/proc/sys/kernel/unprivileged_bpf_disabled",
		"/proc/sys/kernel/bpf_stats_enabled", "/proc/sys/net/core/bpf_jit_enable",
		"/proc/sys/net/core/bpf_jit_harden", "/proc/sys/kernel/kptr_restrict",
		"/proc/sys/kernel/perf_event_max_sample_rate", "/proc/sys/kernel/ftrace_enabled",
	};
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]) && n < len; i++) {
		char *v = read_file(knobs[i], NULL);

		n += (size_t)snprintf(buf + n, len - n, "%s=%s;", knobs[i], v ? v : "-");
		free(v);
	}
}

/* A real agent on this test's process tree: its JSON lines all parse and
 * carry the ECS fields; the output file renamed then SIGHUP goes on in a new
 * file (0600); SIGTERM stops it with a summary. */
static void test_run_json_sighup_sigterm(void **state)
{
	char *dir, out[256], moved[300], stats[256], errf[256], pid_s[16], cmd[1024];
	char *res = NULL, msg[256], sysctls[2048], sysctls_after[2048];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pollfd pfd;
	struct stat st;
	if (wd_test_emulating())
		WD_SKIP("WARDEN_EMULATE=%s runs the legacy exec/fork/exit agent: no file "
			"events to write", wd_emulate_current());
	ssize_t n;
	pid_t pid;
	int status, nfd;
	double t;
	(void)state;

	if (geteuid() != 0)
		WD_SKIP("needs root (BPF)");
	if (access(wd_test_cli(), X_OK) || access(wd_test_obj("agent.o"), R_OK))
		WD_SKIP("%s or %s not built", wd_test_cli(), wd_test_obj("agent.o"));
	REQUIRE_JQ();
	dir = tmp_dir();
	snprintf(out, sizeof(out), "%s/events.json", dir);
	snprintf(moved, sizeof(moved), "%s/events.json.1", dir);
	snprintf(stats, sizeof(stats), "%s/stats.json", dir);
	snprintf(errf, sizeof(errf), "%s/stderr.txt", dir);
	snprintf(pid_s, sizeof(pid_s), "%d", (int)getpid());
	sysctl_snapshot(sysctls, sizeof(sysctls));
	/* systemd's readiness protocol: a datagram socket in NOTIFY_SOCKET */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", dir);
	nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(nfd >= 0);
	assert_int_equal(bind(nfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char bpf_dir[256];
		int fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		setenv("NOTIFY_SOCKET", sa.sun_path, 1);
		snprintf(bpf_dir, sizeof(bpf_dir), "%s", wd_test_obj("agent.o"));
		*strrchr(bpf_dir, '/') = '\0';
		dup2(fd, 2);
		dup2(fd, 1);
		execl(wd_test_cli(), wd_test_cli(), "run", "--config", "/dev/null", "--pid-tree", pid_s,
		      "--output", out, "--stats-interval", "1", "--stats-file", stats, "--duration", "60",
		      "--bpf-dir", bpf_dir, (char *)NULL);
		_exit(127);
	}
	/* READY=1 once attached (sd_notify), within a minute on a loaded host */
	pfd.fd = nfd;
	pfd.events = POLLIN;
	for (int i = 0; i < 600 && poll(&pfd, 1, 100) == 0; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			char *err = read_file(errf, NULL);

			fail_msg("warden run exited early (status 0x%x): %s", status, err);
		}
	}
	n = recv(nfd, msg, sizeof(msg) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	msg[n] = '\0';
	if (!strstr(msg, "READY=1"))
		fail_msg("sd_notify sent '%s', not READY=1", msg);
	if (!wait_for(stats, NULL, 5000))
		fail_msg("no stats file %s", stats);

	snprintf(cmd, sizeof(cmd), "/bin/echo first > %s/a.txt", dir);
	assert_int_equal(system(cmd), 0);
	if (!wait_for(out, "a.txt", 10000))
		fail_msg("no event for a.txt in %s", out);
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* logrotate: rename, then SIGHUP */
	assert_int_equal(rename(out, moved), 0);
	assert_int_equal(kill(pid, SIGHUP), 0);
	if (!wait_for(out, NULL, 5000))
		fail_msg("SIGHUP did not reopen %s", out);
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(cmd, sizeof(cmd), "/bin/echo second > %s/b.txt", dir);
	assert_int_equal(system(cmd), 0);
	if (!wait_for(out, "b.txt", 10000))
		fail_msg("no event for b.txt in the reopened %s", out);
	assert_false(file_has(moved, "b.txt"));
	assert_false(file_has(out, "a.txt"));

	/* warden stats reads the running agent's counters (rewritten every
	 * second: the execs above show within two) */
	snprintf(cmd, sizeof(cmd), "%s stats --file %s", wd_test_cli(), stats);
	for (int i = 0; i < 40; i++) {
		if (wd_test_run(cmd, &res) || !strstr(res, "(running)"))
			fail_msg("warden stats: %s", res);
		if (strstr(res, "exec "))
			break;
		free(res);
		res = NULL;
		usleep(100 * 1000);
	}
	if (!res)
		fail_msg("warden stats never showed the exec counter");
	free(res);
	snprintf(cmd, sizeof(cmd), "%s stats --json --file %s | jq -e '.warden.stats.received.exec > 0'",
		 wd_test_cli(), stats);
	if (wd_test_run(cmd, &res))
		fail_msg("warden stats --json: %s", res);
	free(res);

	t = mono_s();
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	t = mono_s() - t;
	printf("warden run: exit %.0f ms after SIGTERM\n", t * 1000);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(t < 5.0);
	assert_true(file_has(errf, "events received"));
	/* it never writes a sysctl */
	sysctl_snapshot(sysctls_after, sizeof(sysctls_after));
	assert_string_equal(sysctls, sysctls_after);
	/* the agent is gone: warden stats says so, exit 1 */
	snprintf(cmd, sizeof(cmd), "%s stats --file %s", wd_test_cli(), stats);
	if (wd_test_run(cmd, &res) != 1 || !strstr(res, "not running"))
		fail_msg("warden stats after the agent stopped: %s", res);
	free(res);
	n = recv(nfd, msg, sizeof(msg) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	msg[n] = '\0';
	assert_non_null(strstr(msg, "STOPPING=1"));
	close(nfd);

	/* every line of both files: JSON with the ECS fields of its kind,
	 * sequence numbers increasing across the rotation */
	snprintf(cmd, sizeof(cmd),
		 "cat %s %s | jq -e -s '"
		 "length > 4 and all(.[]; has(\"@timestamp\") and .host.name != null and "
		 "(.event.kind == \"metric\" or (.process.pid > 0 and (.process.name | type) == \"string\" and "
		 ".event.sequence > 0 and (.user.id | type) == \"string\" and "
		 "(.event.category | type) == \"array\" and (.warden.process.ns.mnt > 0)))) and "
		 "all(.[] | select(.event.action == \"exec\"); (.process.args | length) > 0 and "
		 "(.process.executable | type) == \"string\" and (.process.working_directory | type) == \"string\") and "
		 "all(.[] | select(.event.category == [\"file\"]); (.file.path | type) == \"string\") and "
		 "any(.[]; .event.action == \"exec\" and .process.args == [\"/bin/echo\", \"second\"]) and "
		 "any(.[]; .event.action == \"stats\" and .warden.stats.received_total > 0) and "
		 "([.[] | select(.event.sequence) | .event.sequence] as $s | $s == ($s | sort) and ($s | unique | length) == ($s | length))'",
		 moved, out);
	if (wd_test_run(cmd, &res))
		fail_msg("the agent's lines do not match the schema: %s", res);
	free(res);
	rm_tree(dir);
	free(dir);
}

/* `warden run | head -n 1`: the agent stops when its reader goes away. */
static void test_run_stops_on_epipe(void **state)
{
	char cmd[1024], *out = NULL;
	int rc;
	if (wd_test_emulating())
		WD_SKIP("WARDEN_EMULATE=%s runs the legacy agent: not the events this test "
			"reads", wd_emulate_current());
	(void)state;

	if (geteuid() != 0)
		WD_SKIP("needs root (BPF)");
	if (access(wd_test_cli(), X_OK) || access(wd_test_obj("agent.o"), R_OK))
		WD_SKIP("%s or %s not built", wd_test_cli(), wd_test_obj("agent.o"));
	if (wd_test_run("command -v bash >/dev/null", &out) != 0) {
		free(out);
		WD_SKIP("no bash for PIPESTATUS (the guests have dash)");
	}
	free(out);
	out = NULL;
	/* every process of the host (pid tree 1): a line comes at once */
	snprintf(cmd, sizeof(cmd), "bash -c 'd=%s; timeout 120 %s run --config /dev/null --pid-tree 1 "
		 "--stats-file none --bpf-dir ${d%%/*} 2>/dev/null | head -n 1; "
		 "echo \"status ${PIPESTATUS[0]}\"'", wd_test_obj("agent.o"), wd_test_cli());
	rc = wd_test_run(cmd, &out);
	if (rc || !strstr(out, "{\"@timestamp\":") || !strstr(out, "status 0\n"))
		fail_msg("exit %d: %s", rc, out);
	free(out);
}

/* ---- warden run into ClickHouse ----------------------------------------------- */

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* A query through clickhouse-client: its output (malloc'd) or NULL. */
static char *ch_query(int tcp_port, const char *sql)
{
	char cmd[1024], *out = NULL;

	snprintf(cmd, sizeof(cmd), "clickhouse-client --host 127.0.0.1 --port %d --user warden "
		 "--password s3cret --query \"%s\"", tcp_port, sql);
	if (wd_test_run(cmd, &out)) {
		free(out);
		return NULL;
	}
	return out;
}

/* A clickhouse-server of the test's own (loopback, temporary directory). */
static pid_t ch_start(const char *dir, int http, int tcp)
{
	char path[512], *text, *up;
	pid_t pid;

	assert_true(asprintf(&text,
		"<?xml version=\"1.0\"?>\n<yandex>\n"
		"<logger><level>warning</level><log>%1$s/server.log</log><errorlog>%1$s/server.err.log</errorlog></logger>\n"
		"<http_port>%2$d</http_port><tcp_port>%3$d</tcp_port><interserver_http_port>%4$d</interserver_http_port>\n"
		"<listen_host>127.0.0.1</listen_host><path>%1$s/data/</path><tmp_path>%1$s/data/tmp/</tmp_path>\n"
		"<user_files_path>%1$s/data/user_files/</user_files_path><users_config>%1$s/users.xml</users_config>\n"
		"<default_profile>default</default_profile><default_database>default</default_database>\n"
		"<mark_cache_size>67108864</mark_cache_size><timezone>UTC</timezone>\n</yandex>\n",
		dir, http, tcp, free_port()) > 0);
	snprintf(path, sizeof(path), "%s/config.xml", dir);
	write_file(path, text, strlen(text));
	free(text);
	text = "<?xml version=\"1.0\"?>\n<yandex><profiles><default></default></profiles><users>"
	       "<warden><password>s3cret</password><networks><ip>127.0.0.1</ip></networks>"
	       "<profile>default</profile><quota>default</quota></warden></users>"
	       "<quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>"
	       "<result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>"
	       "</interval></default></quotas></yandex>\n";
	snprintf(path, sizeof(path), "%s/users.xml", dir);
	write_file(path, text, strlen(text));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char cfg[600], log[512];
		int fd;

		snprintf(cfg, sizeof(cfg), "--config-file=%s/config.xml", dir);
		snprintf(log, sizeof(log), "%s/stdout.log", dir);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		setpgid(0, 0);
		execlp("clickhouse-server", "clickhouse-server", cfg, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 300; i++) {
		int st;

		if ((up = ch_query(tcp, "SELECT 1"))) {
			free(up);
			return pid;
		}
		if (waitpid(pid, &st, WNOHANG) == pid)
			fail_msg("clickhouse-server exited at start (see %s/stdout.log)", dir);
		usleep(100 * 1000);
	}
	kill(-pid, SIGKILL);
	fail_msg("clickhouse-server did not answer within 30 s");
	return -1;
}

static void ch_stop(pid_t pid)
{
	int st;

	kill(-pid, SIGTERM);
	for (int i = 0; i < 100 && waitpid(pid, &st, WNOHANG) == 0; i++)
		usleep(100 * 1000);
	kill(-pid, SIGKILL);
	waitpid(pid, &st, 0);
}

/* Events of a real agent reach a ClickHouse table through the fleet sink
 * (cli/run.c -> fleet/agent_rows.c -> fleet/), with their columns. */
static void test_run_into_clickhouse(void **state)
{
	char *dir, conf[256], stats[256], errf[256], url[128], cmd[1024], pid_s[16], bpf_dir[256];
	char prefix[300], *out = NULL, *res;
	int http, tcp, status;
	pid_t srv, pid;
	if (wd_test_emulating())
		WD_SKIP("WARDEN_EMULATE=%s runs the legacy exec/fork/exit agent: no file "
			"events to ship", wd_emulate_current());
	(void)state;

	if (geteuid() != 0)
		WD_SKIP("needs root (BPF)");
	if (wd_test_run("command -v clickhouse-server && command -v clickhouse-client", NULL))
		WD_SKIP("clickhouse-server or clickhouse-client not installed (host-only test)");
	if (access(wd_test_cli(), X_OK) || access(wd_test_obj("agent.o"), R_OK))
		WD_SKIP("%s or %s not built", wd_test_cli(), wd_test_obj("agent.o"));
	dir = tmp_dir();
	http = free_port();
	tcp = free_port();
	srv = ch_start(dir, http, tcp);
	snprintf(url, sizeof(url), "clickhouse://warden@127.0.0.1:%d/warden.events", http);
	snprintf(conf, sizeof(conf), "%s/pw", dir);
	write_file(conf, "s3cret", 6);
	snprintf(cmd, sizeof(cmd), "%s fleet init %s --password-file %s", wd_test_cli(), url, conf);
	if (wd_test_run(cmd, &out)) {
		ch_stop(srv);
		fail_msg("warden fleet init: %s", out);
	}
	free(out);
	snprintf(cmd, sizeof(cmd), "[clickhouse]\npassword_file = %s/pw\nspool_dir = %s/spool\nbatch_ms = 200\n",
		 dir, dir);
	snprintf(conf, sizeof(conf), "%s/warden.conf", dir);
	write_file(conf, cmd, strlen(cmd));
	snprintf(stats, sizeof(stats), "%s/stats.json", dir);
	snprintf(errf, sizeof(errf), "%s/stderr.txt", dir);
	snprintf(pid_s, sizeof(pid_s), "%d", (int)getpid());
	snprintf(bpf_dir, sizeof(bpf_dir), "%s", wd_test_obj("agent.o"));
	*strrchr(bpf_dir, '/') = '\0';
	/* the server is in this test's process tree too: its own writes
	 * (inserting the agent's rows) are kept out with a path prefix */
	snprintf(prefix, sizeof(prefix), "%s/c", dir);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 1);
		dup2(fd, 2);
		execl(wd_test_cli(), wd_test_cli(), "run", "--config", conf, "--output", url, "--pid-tree", pid_s,
		      "--kinds", "exec,open", "--path-prefix", prefix, "--stats-file", stats,
		      "--stats-interval", "1", "--duration", "60", "--bpf-dir", bpf_dir, (char *)NULL);
		_exit(127);
	}
	if (!wait_for(stats, NULL, 60000) || waitpid(pid, &status, WNOHANG) == pid) {
		char *err = read_file(errf, NULL);
		kill(pid, SIGKILL);
		ch_stop(srv);
		fail_msg("warden run did not start: %s", err);
	}
	snprintf(cmd, sizeof(cmd), "/bin/echo ch-marker > %s/c.txt", dir);
	if (system(cmd)) {
		kill(pid, SIGKILL);
		ch_stop(srv);
		fail_msg("%s failed", cmd);
	}
	usleep(1500 * 1000);
	kill(pid, SIGTERM);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		ch_stop(srv);
		fail_msg("warden run did not exit 0: %s", read_file(errf, NULL));
	}

	/* one query with every check, the server stopped before any verdict */
	res = ch_query(tcp, "SELECT countIf(kind = 'exec' AND args = '/bin/echo ch-marker' AND "
			    "exe LIKE '%/echo' AND comm = 'echo' AND pid > 0 AND ppid > 0), "
			    "countIf(kind = 'open' AND path LIKE '%/c.txt' AND comm = 'sh'), "
			    "countIf(kind = 'stats') > 0, countIf(kind = 'open' AND path NOT LIKE '%/c.txt') "
			    "FROM warden.events FORMAT TSV");
	ch_stop(srv);
	if (!res || strcmp(res, "1\t1\t1\t0\n"))
		fail_msg("ClickHouse has (exec, open of c.txt, stats, other opens) = %s, want 1 1 1 0",
			 res ? res : "(query failed)");
	free(res);
	rm_tree(dir);
	free(dir);
}

/* Every --option of `warden run --help` and `warden stats --help` is in
 * docs/man/warden.1 (written \-\-name there). */
static void test_man_page_covers_options(void **state)
{
	static const char *const cmds[] = { "run", "stats" };
	char *man, cmd[256], *help = NULL;
	(void)state;

	if (access(wd_test_cli(), X_OK))
		WD_SKIP("%s not built", wd_test_cli());
	man = read_file("docs/man/warden.1", NULL);
	if (!man)
		WD_SKIP("docs/man/warden.1 not here (run from the source tree)");
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		int found = 0;

		snprintf(cmd, sizeof(cmd), "%s %s --help", wd_test_cli(), cmds[c]);
		assert_int_equal(wd_test_run(cmd, &help), 0);
		for (char *p = strstr(help, "--"); p; p = strstr(p + 2, "--")) {
			char name[64], roff[160];
			size_t n = 0, r = 0;

			while (n < sizeof(name) - 1 && (p[2 + n] == '-' || (p[2 + n] >= 'a' && p[2 + n] <= 'z')))
				name[n] = p[2 + n], n++;
			name[n] = '\0';
			if (!n)
				continue;
			r += (size_t)snprintf(roff, sizeof(roff), "\\-\\-");
			for (size_t i = 0; i < n && r < sizeof(roff) - 3; i++) {
				if (name[i] == '-')
					roff[r++] = '\\';
				roff[r++] = name[i];
			}
			roff[r] = '\0';
			if (!strstr(man, roff))
				fail_msg("warden %s --%s is not in docs/man/warden.1 (as %s)", cmds[c], name, roff);
			found++;
		}
		assert_true(found >= 2);
		free(help);
	}
	free(man);
}

static const struct CMUnitTest agent_output_tests[] = {
	cmocka_unit_test(test_b64_vectors),
	cmocka_unit_test(test_escape_every_byte),
	cmocka_unit_test(test_escape_invalid_utf8),
	cmocka_unit_test(test_escape_control_forms),
	cmocka_unit_test(test_timestamp),
	cmocka_unit_test(test_json_every_kind),
	cmocka_unit_test(test_json_raw_and_truncated),
	cmocka_unit_test(test_json_stats_record),
	cmocka_unit_test(test_json_numbers),
	cmocka_unit_test(test_text_line),
	cmocka_unit_test(test_file_output_0600),
	cmocka_unit_test(test_file_output_rotation),
	cmocka_unit_test(test_file_output_reopen),
	cmocka_unit_test(test_file_output_text),
	cmocka_unit_test(test_config_values),
	cmocka_unit_test(test_config_dist_file),
	cmocka_unit_test(test_config_errors),
	cmocka_unit_test(test_config_sizes_kinds),
	cmocka_unit_test(test_config_cgroup_id),
	cmocka_unit_test(test_run_refuses_without_caps),
	cmocka_unit_test(test_run_usage_errors),
	cmocka_unit_test(test_man_page_covers_options),
	cmocka_unit_test(test_fleet_rows),
	cmocka_unit_test(test_run_clickhouse_unreachable),
	cmocka_unit_test(test_run_json_sighup_sigterm),
	cmocka_unit_test(test_run_into_clickhouse),
	cmocka_unit_test(test_run_stops_on_epipe),
};
WD_TEST_SET(agent_output_set, "agent", agent_output_tests);
