// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Kernel config reader and LINUX_KERNEL_VERSION; see kconfig.h. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>
#include "kconfig.h"
#include "sys/error.h"

struct kc_entry {
	char *name;   /* "CONFIG_BPF" */
	char *value;  /* "y" */
};

struct wd_kconfig {
	char *path;
	int source;
	struct kc_entry *e;
	size_t n, cap;
};

void wd_kconfig_free(struct wd_kconfig *kc)
{
	if (!kc)
		return;
	for (size_t i = 0; i < kc->n; i++) {
		free(kc->e[i].name);
		free(kc->e[i].value);
	}
	free(kc->e);
	free(kc->path);
	free(kc);
}

static bool valid_name(const char *s, size_t len)
{
	if (len <= 7 || strncmp(s, "CONFIG_", 7) != 0)
		return false;
	for (size_t i = 7; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

static int add_entry(struct wd_kconfig *kc, const char *name, size_t nlen, const char *val)
{
	if (kc->n == kc->cap) {
		size_t cap = kc->cap ? kc->cap * 2 : 256;
		struct kc_entry *e = realloc(kc->e, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		kc->e = e;
		kc->cap = cap;
	}
	char *n = strndup(name, nlen), *v = strdup(val);
	if (!n || !v) {
		free(n);
		free(v);
		return -ENOMEM;
	}
	kc->e[kc->n++] = (struct kc_entry){ n, v };
	return 0;
}

/* One line: "CONFIG_X=value".  Comments ("# CONFIG_X is not set"), blank
 * and malformed lines are skipped; "=n" counts as not set. */
static int parse_line(struct wd_kconfig *kc, char *line)
{
	size_t len = strcspn(line, "\r\n");
	line[len] = '\0';
	char *eq = strchr(line, '=');
	if (!eq || !valid_name(line, (size_t)(eq - line)))
		return 0;
	const char *val = eq + 1;
	if (!*val || strcmp(val, "n") == 0)
		return 0;
	if (*val == '"' && (strlen(val) < 2 || val[strlen(val) - 1] != '"'))
		return 0; /* unterminated string */
	return add_entry(kc, line, (size_t)(eq - line), val);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct kc_entry *)a)->name, ((const struct kc_entry *)b)->name);
}

/* gzopen reads plain files too (transparent mode), so one path serves both. */
static int parse_file(struct wd_kconfig *kc, const char *path)
{
	char line[4096];
	int err = 0, zerr;
	gzFile f = gzopen(path, "rb");

	if (!f)
		return errno ? -errno : -ENOMEM;
	while (!err && gzgets(f, line, sizeof(line)))
		err = parse_line(kc, line);
	if (!err) {
		/* A truncated stream ends gzgets() like EOF: ask gzerror()
		 * (Z_BUF_ERROR "unexpected end of file"). */
		const char *msg = gzerror(f, &zerr);
		if (zerr != Z_OK && zerr != Z_STREAM_END) {
			wd_debug("kconfig: %s: %s", path, msg);
			err = zerr == Z_ERRNO ? -errno : -EIO;
		}
	}
	gzclose(f);
	if (!err && kc->n > 1)
		qsort(kc->e, kc->n, sizeof(*kc->e), cmp_entry);
	return err;
}

static struct wd_kconfig *load_one(const char *path, int source)
{
	struct wd_kconfig *kc = calloc(1, sizeof(*kc));
	int err;

	if (!kc || !(kc->path = strdup(path))) {
		free(kc);
		errno = ENOMEM;
		return NULL;
	}
	kc->source = source;
	err = parse_file(kc, path);
	if (err) {
		wd_kconfig_free(kc);
		errno = -err;
		return NULL;
	}
	wd_debug("kconfig: %zu options from %s", kc->n, path);
	return kc;
}

struct wd_kconfig *wd_kconfig_load(const char *path)
{
	struct utsname u;
	char boot[sizeof(u.release) + 16];

	if (path)
		return load_one(path, WD_KCONFIG_SRC_PATH);
	if (access("/proc/config.gz", R_OK) == 0)
		return load_one("/proc/config.gz", WD_KCONFIG_SRC_PROC);
	if (uname(&u) < 0)
		return NULL;
	snprintf(boot, sizeof(boot), "/boot/config-%s", u.release);
	if (access(boot, R_OK) == 0)
		return load_one(boot, WD_KCONFIG_SRC_BOOT);
	wd_debug("kconfig: neither /proc/config.gz nor %s", boot);
	errno = ENOENT;
	return NULL;
}

const char *wd_kconfig_get(const struct wd_kconfig *kc, const char *name)
{
	char buf[256];
	struct kc_entry key = { .name = buf }, *hit;

	if (!kc || !name)
		return NULL;
	if (strncmp(name, "CONFIG_", 7) == 0)
		snprintf(buf, sizeof(buf), "%s", name);
	else
		snprintf(buf, sizeof(buf), "CONFIG_%s", name);
	hit = bsearch(&key, kc->e, kc->n, sizeof(*kc->e), cmp_entry);
	return hit ? hit->value : NULL;
}

int wd_kconfig_source(const struct wd_kconfig *kc)
{
	return kc ? kc->source : -EINVAL;
}

const char *wd_kconfig_path(const struct wd_kconfig *kc)
{
	return kc ? kc->path : NULL;
}

size_t wd_kconfig_count(const struct wd_kconfig *kc)
{
	return kc ? kc->n : 0;
}

/* ---- LINUX_KERNEL_VERSION ---------------------------------------------------- */

static uint32_t kversion(unsigned int a, unsigned int b, unsigned int c)
{
	/* Patch levels above 255 would spill into the minor (4.9.256 broke
	 * this, kernel commit 9b82f13e7ef3 clamps it the same way). */
	return (a << 16) + (b << 8) + (c > 255 ? 255 : c);
}

uint32_t wd_kernel_version_parse(const char *release, const char *signature)
{
	unsigned int a, b, c;

	/* Ubuntu: "Ubuntu 5.4.0-12.15-generic 5.4.8"; the last field is the
	 * upstream version the kernel was built as, uname says 5.4.0. */
	if (signature && sscanf(signature, "%*s %*s %u.%u.%u", &a, &b, &c) == 3)
		return kversion(a, b, c);
	if (release && sscanf(release, "%u.%u.%u", &a, &b, &c) == 3)
		return kversion(a, b, c);
	return 0;
}

uint32_t wd_kernel_version_code(void)
{
	static uint32_t cached;
	struct utsname u;
	char sig[256];
	const char *sigp = NULL;
	uint32_t v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	FILE *f;

	if (v)
		return v;
	/* As libbpf: only Ubuntu's file; Debian's uname -v is not read. */
	f = fopen("/proc/version_signature", "re");
	if (f) {
		if (fgets(sig, sizeof(sig), f))
			sigp = sig;
		fclose(f);
	}
	if (uname(&u) < 0)
		return 0;
	v = wd_kernel_version_parse(u.release, sigp);
	__atomic_store_n(&cached, v, __ATOMIC_RELAXED);
	return v;
}
