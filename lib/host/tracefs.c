// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Finding (and mounting) the tracing directory.  tracefs came in 4.1 at
 * /sys/kernel/tracing, and a debugfs mount shows it again under
 * /sys/kernel/debug/tracing (an automount).  Before 4.1, and on RHEL 7
 * (3.10), tracing lives only inside debugfs (cilium/ebpf #976).  Nothing is
 * mounted on a fresh machine or in a minimal guest: mount what is missing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <mntent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include "sys/error.h"
#include "tracefs.h"

#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif
#ifndef DEBUGFS_MAGIC
#define DEBUGFS_MAGIC 0x64626720
#endif

#define TRACEFS_DIR "/sys/kernel/tracing"
#define DEBUGFS_DIR "/sys/kernel/debug"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char cached[PATH_MAX];

/* A tracing directory: tracefs itself, or the pre-4.1 "tracing" dir inside
 * debugfs (it has an "events" directory). */
static bool is_tracing_dir(const char *dir)
{
	char p[PATH_MAX + 16];
	struct statfs st;
	if (statfs(dir, &st))
		return false;
	if ((unsigned long)st.f_type == TRACEFS_MAGIC)
		return true;
	if ((unsigned long)st.f_type != DEBUGFS_MAGIC)
		return false;
	snprintf(p, sizeof(p), "%s/events", dir);
	return access(p, F_OK) == 0;
}

static bool is_fs(const char *dir, unsigned long magic)
{
	struct statfs st;
	return statfs(dir, &st) == 0 && (unsigned long)st.f_type == magic;
}

struct find_ctx { char *out; };

static int take_first(const char *dir, void *ctx)
{
	struct find_ctx *f = ctx;
	snprintf(f->out, PATH_MAX, "%s", dir);
	return 1;
}

static int find_mounted(char *out)
{
	static const char *const known[] = { TRACEFS_DIR, DEBUGFS_DIR "/tracing" };
	struct find_ctx f = { out };
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (is_tracing_dir(known[i])) {
			snprintf(out, PATH_MAX, "%s", known[i]);
			return 0;
		}
	return wd_tracefs_for_each(take_first, &f) == 1 ? 0 : -ENOENT;
}

/* Kernels before 4.1 have no tracefs (ENODEV): tracing is in debugfs. */
static int mount_debugfs(char *out)
{
	if (!is_fs(DEBUGFS_DIR, DEBUGFS_MAGIC)) {
		if (mount("debugfs", DEBUGFS_DIR, "debugfs", 0, NULL))
			return wd_err(-errno, "no tracing directory is mounted, and mounting "
				      "debugfs at %s failed: %s (mount -t debugfs debugfs %s)",
				      DEBUGFS_DIR, strerror(errno), DEBUGFS_DIR);
		fprintf(stderr, "warden: mounted debugfs at %s\n", DEBUGFS_DIR);
	}
	if (!is_tracing_dir(DEBUGFS_DIR "/tracing"))
		return wd_err(-ENOENT, "debugfs at %s has no tracing directory: "
			      "this kernel was built without CONFIG_FTRACE", DEBUGFS_DIR);
	snprintf(out, PATH_MAX, "%s", DEBUGFS_DIR "/tracing");
	return 0;
}

static int mount_tracefs(char *out)
{
	if (mount("tracefs", TRACEFS_DIR, "tracefs", 0, NULL) == 0) {
		fprintf(stderr, "warden: mounted tracefs at %s\n", TRACEFS_DIR);
		snprintf(out, PATH_MAX, "%s", TRACEFS_DIR);
		return 0;
	}
	if (errno == ENODEV || errno == ENOENT) {
		wd_debug("tracefs: cannot mount at %s (%s), trying debugfs", TRACEFS_DIR,
			 strerror(errno));
		return mount_debugfs(out);
	}
	return wd_err(-errno, "no tracing directory is mounted, and mounting tracefs at %s "
		      "failed: %s (run as root, or: mount -t tracefs tracefs %s)",
		      TRACEFS_DIR, strerror(errno), TRACEFS_DIR);
}

int wd_tracefs_dir(const char **dir)
{
	int err = 0;
	pthread_mutex_lock(&lock);
	/* revalidate: someone may have unmounted it since */
	if (!cached[0] || !is_tracing_dir(cached)) {
		cached[0] = '\0';
		if (find_mounted(cached))
			err = mount_tracefs(cached);
		if (err)
			cached[0] = '\0';
	}
	pthread_mutex_unlock(&lock);
	*dir = cached;
	return err;
}

static bool seen_dev(dev_t *devs, size_t n, dev_t d)
{
	for (size_t i = 0; i < n; i++)
		if (devs[i] == d)
			return true;
	return false;
}

int wd_tracefs_for_each(int (*fn)(const char *dir, void *ctx), void *ctx)
{
	FILE *f = setmntent("/proc/mounts", "re");
	dev_t devs[32];
	size_t ndev = 0;
	struct mntent me;
	char buf[4096], dir[PATH_MAX];
	int ret = 0;
	if (!f)
		return wd_err(-errno, "cannot read /proc/mounts: %s", strerror(errno));
	while (!ret && getmntent_r(f, &me, buf, sizeof(buf))) {
		struct stat st;
		if (!strcmp(me.mnt_type, "tracefs"))
			snprintf(dir, sizeof(dir), "%s", me.mnt_dir);
		else if (!strcmp(me.mnt_type, "debugfs"))
			snprintf(dir, sizeof(dir), "%s/tracing", me.mnt_dir);
		else
			continue;
		if (!is_tracing_dir(dir) || stat(dir, &st))
			continue;
		/* one tracefs superblock, however many times it is mounted */
		if (seen_dev(devs, ndev, st.st_dev) || ndev == sizeof(devs) / sizeof(devs[0]))
			continue;
		devs[ndev++] = st.st_dev;
		ret = fn(dir, ctx);
	}
	endmntent(f);
	return ret;
}

static int read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	close(fd);
	buf[n] = '\0';
	return 0;
}

int wd_tracefs_event_id(const char *dir, const char *cat, const char *name)
{
	char path[PATH_MAX + 300], buf[32];
	int err;
	snprintf(path, sizeof(path), "%s/events/%s/%s/id", dir, cat, name);
	err = read_small(path, buf, sizeof(buf));
	if (err == -ENOENT)
		return wd_err(err, "tracepoint '%s/%s' not found: %s does not exist", cat, name,
			      path);
	if (err)
		return wd_err(err, "cannot read %s: %s", path, strerror(-err));
	return atoi(buf);
}

/* The kernel's reason for the last refused write (5.4+: error_log). */
static void last_error_log_line(const char *dir, char *out, size_t size)
{
	char *text, *line, *end;
	out[0] = '\0';
	text = wd_tracefs_read(dir, "error_log");
	if (!text)
		return;
	end = text + strlen(text);
	while (end > text && end[-1] == '\n')
		*--end = '\0';
	/* the entry is "[ts] trace_kprobe: error: <why>\n  Command: ...\n   ^" */
	line = strstr(text, "error: ");
	for (char *p = line; p; p = strstr(p + 1, "error: "))
		line = p;
	if (line) {
		line += strlen("error: ");
		line[strcspn(line, "\n")] = '\0';
		snprintf(out, size, " (%s)", line);
	}
	free(text);
}

int wd_tracefs_append(const char *dir, const char *file, const char *line)
{
	char path[PATH_MAX + 64], why[256];
	size_t len = strlen(line);
	int fd, err = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return wd_err(-errno, "cannot open %s: %s", path, strerror(errno));
	if (write(fd, line, len) != (ssize_t)len)
		err = -errno;
	close(fd);
	if (!err)
		return 0;
	last_error_log_line(dir, why, sizeof(why));
	return wd_err(err, "writing '%s' to %s failed: %s%s", line, path, strerror(-err), why);
}

char *wd_tracefs_read(const char *dir, const char *file)
{
	char path[PATH_MAX + 64];
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	int fd;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf)
		goto err;
	for (;;) {
		ssize_t n;
		if (len + 1 == cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				goto err;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0)
			goto err;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
err: {
	int e = errno;
	if (fd >= 0)
		close(fd);
	free(buf);
	errno = e ? e : ENOMEM;
	return NULL;
}
}

bool wd_tracefs_has(const char *dir, const char *file)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}
