// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Kernel config reader and LINUX_KERNEL_VERSION. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>
#include "harness.h"
#include "host/kconfig.h"

static const char sample[] =
	"#\n"
	"# Automatically generated file; DO NOT EDIT.\n"
	"#\n"
	"CONFIG_BPF=y\n"
	"CONFIG_BPF_SYSCALL=y\n"
	"CONFIG_NET_CLS_BPF=m\n"
	"CONFIG_LOCALVERSION=\"-warden test\"\n"
	"CONFIG_HZ=250\n"
	"CONFIG_ILLEGAL_POINTER_VALUE=0xdead000000000000\n"
	"# CONFIG_KPROBES is not set\n"
	"\n"
	"this line is garbage\n"
	"CONFIG_=y\n"
	"CONFIG_BAD NAME=y\n"
	"=y\n"
	"CONFIG_EMPTY=\n"
	"CONFIG_NO=n\n"
	"CONFIG_UNTERMINATED=\"abc\n"
	"CONFIG_CRLF=y\r\n"
	"CONFIG_LAST=y"; /* no final newline */

static char *tmp_path(const char *suffix)
{
	static char buf[2][64];
	static int i;
	char *p = buf[i++ % 2];
	int fd;

	snprintf(p, sizeof(buf[0]), "/tmp/warden-kconfig-XXXXXX%s", suffix);
	fd = mkstemps(p, (int)strlen(suffix));
	assert_true(fd >= 0);
	close(fd);
	return p;
}

static void write_plain(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void write_gz(const char *path, const char *text)
{
	gzFile f = gzopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(gzputs(f, text), (int)strlen(text));
	assert_int_equal(gzclose(f), Z_OK);
}

static void check_sample(const struct wd_kconfig *kc)
{
	assert_string_equal(wd_kconfig_get(kc, "CONFIG_BPF"), "y");
	assert_string_equal(wd_kconfig_get(kc, "BPF_SYSCALL"), "y");
	assert_string_equal(wd_kconfig_get(kc, "CONFIG_NET_CLS_BPF"), "m");
	assert_string_equal(wd_kconfig_get(kc, "CONFIG_LOCALVERSION"), "\"-warden test\"");
	assert_string_equal(wd_kconfig_get(kc, "CONFIG_HZ"), "250");
	assert_string_equal(wd_kconfig_get(kc, "ILLEGAL_POINTER_VALUE"), "0xdead000000000000");
	assert_string_equal(wd_kconfig_get(kc, "CONFIG_CRLF"), "y");
	assert_string_equal(wd_kconfig_get(kc, "CONFIG_LAST"), "y");
	assert_null(wd_kconfig_get(kc, "CONFIG_KPROBES"));
	assert_null(wd_kconfig_get(kc, "CONFIG_EMPTY"));
	assert_null(wd_kconfig_get(kc, "CONFIG_NO"));
	assert_null(wd_kconfig_get(kc, "CONFIG_UNTERMINATED"));
	assert_null(wd_kconfig_get(kc, "CONFIG_BAD"));
	assert_null(wd_kconfig_get(kc, "CONFIG_NOT_THERE"));
	assert_null(wd_kconfig_get(kc, NULL));
	assert_int_equal(wd_kconfig_count(kc), 8);
	assert_int_equal(wd_kconfig_source(kc), WD_KCONFIG_SRC_PATH);
}

static void kconfig_parses_plain_file_and_skips_malformed_lines(void **state)
{
	(void)state;
	char *path = tmp_path("");
	write_plain(path, sample);
	struct wd_kconfig *kc = wd_kconfig_load(path);
	assert_non_null(kc);
	check_sample(kc);
	assert_string_equal(wd_kconfig_path(kc), path);
	wd_kconfig_free(kc);
	unlink(path);
}

static void kconfig_parses_gzip_file(void **state)
{
	(void)state;
	char *path = tmp_path(".gz");
	write_gz(path, sample);
	struct wd_kconfig *kc = wd_kconfig_load(path);
	assert_non_null(kc);
	check_sample(kc);
	wd_kconfig_free(kc);
	unlink(path);
}

static void kconfig_missing_file_gives_null_and_enoent(void **state)
{
	(void)state;
	errno = 0;
	assert_null(wd_kconfig_load("/nonexistent/warden/config"));
	assert_int_equal(errno, ENOENT);
	wd_kconfig_free(NULL);
	assert_null(wd_kconfig_get(NULL, "CONFIG_BPF"));
}

static void kconfig_truncated_gzip_is_an_error(void **state)
{
	(void)state;
	char *path = tmp_path(".gz"), *big = malloc(200000);
	assert_non_null(big);
	/* Enough distinct lines that the compressed stream is long. */
	size_t off = 0;
	for (int i = 0; off < 190000; i++)
		off += (size_t)snprintf(big + off, 200000 - off, "CONFIG_OPT_%d=%d\n", i, i * 7919);
	write_gz(path, big);
	free(big);
	FILE *f = fopen(path, "r+");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fclose(f);
	assert_int_equal(truncate(path, size / 2), 0);
	errno = 0;
	assert_null(wd_kconfig_load(path));
	assert_int_equal(errno, EIO);
	unlink(path);
}

/* What `zcat /proc/config.gz | grep ^CONFIG_NAME=` says, or NULL. */
static char *zcat_value(const char *name)
{
	char cmd[256], line[512], *val = NULL;
	size_t n = strlen(name);
	FILE *p;

	if (!name || n > 100)
		return NULL;
	snprintf(cmd, sizeof(cmd), "zcat /proc/config.gz | grep '^%s='", name);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (fgets(line, sizeof(line), p) && strncmp(line, name, n) == 0 && line[n] == '=') {
		line[strcspn(line, "\n")] = '\0';
		val = strdup(line + n + 1);
	}
	pclose(p);
	return val;
}

static void kconfig_reads_running_kernel_config(void **state)
{
	(void)state;
	if (access("/proc/config.gz", R_OK) != 0)
		WD_SKIP("no /proc/config.gz (CONFIG_IKCONFIG_PROC off)");
	if (system("command -v zcat >/dev/null 2>&1") != 0)
		WD_SKIP("no zcat to check against");
	struct wd_kconfig *kc = wd_kconfig_load(NULL);
	assert_non_null(kc);
	assert_int_equal(wd_kconfig_source(kc), WD_KCONFIG_SRC_PROC);
	assert_string_equal(wd_kconfig_path(kc), "/proc/config.gz");
	assert_string_equal(wd_kconfig_get(kc, "CONFIG_BPF"), "y");
	static const char *const names[] = { "CONFIG_KPROBES", "CONFIG_BPF_SYSCALL", "CONFIG_HZ" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *want = zcat_value(names[i]);
		const char *got = wd_kconfig_get(kc, names[i]);
		if (want)
			assert_string_equal(got, want);
		else
			assert_null(got);
		free(want);
	}
	assert_true(wd_kconfig_count(kc) > 500);
	wd_kconfig_free(kc);
}

static void kernel_version_code_follows_libbpf(void **state)
{
	(void)state;
	assert_int_equal(wd_kernel_version_parse("6.18.44-fc-v669", NULL), (6 << 16) | (18 << 8) | 44);
	/* Ubuntu: the signature's upstream version wins over uname's 5.4.0. */
	assert_int_equal(wd_kernel_version_parse("5.4.0-12-generic", "Ubuntu 5.4.0-12.15-generic 5.4.8\n"),
			 (5 << 16) | (4 << 8) | 8);
	/* Patch levels above 255 clamp (4.9.256+, 4.14.256+). */
	assert_int_equal(wd_kernel_version_parse("4.9.337", NULL), (4 << 16) | (9 << 8) | 255);
	/* Debian: uname -v is not read, as libbpf; 6.1.0, not 6.1.76. */
	assert_int_equal(wd_kernel_version_parse("6.1.0-18-amd64", NULL), (6 << 16) | (1 << 8));
	/* A malformed signature falls back to the release. */
	assert_int_equal(wd_kernel_version_parse("5.15.0-91-generic", "garbage"), (5 << 16) | (15 << 8));
	assert_int_equal(wd_kernel_version_parse("garbage", NULL), 0);
	assert_int_equal(wd_kernel_version_parse(NULL, NULL), 0);

	struct utsname u;
	unsigned int a, b, c;
	assert_int_equal(uname(&u), 0);
	if (access("/proc/version_signature", F_OK) == 0)
		return;
	assert_int_equal(sscanf(u.release, "%u.%u.%u", &a, &b, &c), 3);
	assert_int_equal(wd_kernel_version_code(), (a << 16) + (b << 8) + (c > 255 ? 255 : c));
}

static const struct CMUnitTest kconfig_tests[] = {
	cmocka_unit_test(kconfig_parses_plain_file_and_skips_malformed_lines),
	cmocka_unit_test(kconfig_parses_gzip_file),
	cmocka_unit_test(kconfig_missing_file_gives_null_and_enoent),
	cmocka_unit_test(kconfig_truncated_gzip_is_an_error),
	cmocka_unit_test(kconfig_reads_running_kernel_config),
	cmocka_unit_test(kernel_version_code_follows_libbpf),
};
WD_TEST_SET(wd_tests_kconfig, "loader", kconfig_tests);
