// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The on-disk spool: one file per batch, the gzip'd body of its insert, named
 *   b<20-digit wall-clock ns>-<pid>-<counter>-<rows>r.gz
 * so that a name sort is oldest first and the row count needs no reading.
 * Written as .tmp-<name> (0600) and renamed: a crash of the process leaves a
 * whole batch or a .tmp- file (removed at the next open: its rows never
 * reached the spool).  Power loss is another matter: a batch is fdatasync'd
 * (and the directory fsync'd for its name) at once while the server is down,
 * by the sender as soon as it waits behind another insert or its own insert
 * failed; a batch inserted at its first try never pays for an fsync.  One process per spool: flock on .lock. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"

#define REJECTED "rejected"

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[512];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static bool parse_name(const char *name, uint64_t *rows)
{
	uint64_t stamp;
	unsigned int pid, counter;
	char tail[4];
	if (name[0] != 'b')
		return false;
	return sscanf(name, "b%20" SCNu64 "-%u-%u-%" SCNu64 "%3s", &stamp, &pid, &counter, rows, tail) == 5 &&
	       !strcmp(tail, "r.g") && !strcmp(name + strlen(name) - 4, "r.gz");
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct spool_file *)a)->name, ((const struct spool_file *)b)->name);
}

static int push_file(struct fleet_spool *s, const struct spool_file *f)
{
	if (s->nfiles == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct spool_file *n = realloc(s->files, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->files = n;
		s->cap = cap;
	}
	s->files[s->nfiles++] = *f;
	return 0;
}

static uint64_t dir_bytes(int dfd)
{
	uint64_t sum = 0;
	struct dirent *de;
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct stat st;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && !fstatat(dfd, de->d_name, &st, 0) && S_ISREG(st.st_mode))
			sum += (uint64_t)st.st_size;
	closedir(d);
	return sum;
}

/* What an earlier run left: its batches (replayed oldest first), its rejected
 * batches (counted in the bound), its half-written .tmp- files (removed). */
static int scan(struct fleet_spool *s)
{
	int fd = dup(s->dir_fd), r = 0;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	struct stat st;
	if (!d) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		return r;
	}
	while ((de = readdir(d))) {
		struct spool_file f = { .from_earlier_run = true, .synced = true };
		if (!strncmp(de->d_name, ".tmp-", 5)) {
			unlinkat(s->dir_fd, de->d_name, 0);
			continue;
		}
		if (strlen(de->d_name) >= sizeof(f.name) || !parse_name(de->d_name, &f.rows) ||
		    fstatat(s->dir_fd, de->d_name, &st, 0) || !S_ISREG(st.st_mode))
			continue;
		snprintf(f.name, sizeof(f.name), "%s", de->d_name);
		f.bytes = (uint64_t)st.st_size;
		if ((r = push_file(s, &f)))
			break;
		s->bytes += f.bytes;
	}
	closedir(d);
	if (s->nfiles)
		qsort(s->files, s->nfiles, sizeof(*s->files), cmp_file);
	int rfd = openat(s->dir_fd, REJECTED, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd >= 0) {
		s->bytes += dir_bytes(rfd);
		close(rfd);
	}
	return r;
}

int fleet_spool_open(struct fleet_spool *s, const char *dir, uint64_t max_bytes, char *err, size_t errlen)
{
	int r;
	*s = (struct fleet_spool){ .dir_fd = -1, .lock_fd = -1, .max_bytes = max_bytes };
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	if ((r = mkdir_p(dir, 0700))) {
		snprintf(err, errlen, "cannot create the spool directory %s: %s", dir, strerror(-r));
		return r;
	}
	s->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dir_fd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot open the spool directory %s: %s", dir, strerror(-r));
		return r;
	}
	s->lock_fd = openat(s->dir_fd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0 || flock(s->lock_fd, LOCK_EX | LOCK_NB)) {
		r = -errno;
		snprintf(err, errlen, "spool directory %s: %s", dir,
			 r == -EWOULDBLOCK ? "in use by another warden process (one spool per sink: give each its own spool_dir)"
					   : strerror(-r));
		fleet_spool_close(s);
		return r == -EWOULDBLOCK ? -EBUSY : r;
	}
	if ((r = scan(s))) {
		snprintf(err, errlen, "cannot read the spool directory %s: %s", dir, strerror(-r));
		fleet_spool_close(s);
		return r;
	}
	return 0;
}

void fleet_spool_close(struct fleet_spool *s)
{
	if (s->lock_fd >= 0)
		close(s->lock_fd);  /* releases the flock */
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	free(s->files);
	s->files = NULL;
	s->nfiles = s->cap = 0;
	s->dir_fd = s->lock_fd = -1;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fleet_spool_write(struct fleet_spool *s, const void *gz, size_t len, uint64_t rows, bool sync,
		      struct spool_file *out)
{
	struct timespec ts;
	char tmp[128];
	uint64_t stamp;
	int fd, r;
	if (s->bytes + len > s->max_bytes)
		return -ENOSPC;
	clock_gettime(CLOCK_REALTIME, &ts);
	stamp = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (stamp <= s->last_stamp)
		stamp = s->last_stamp + 1;
	s->last_stamp = stamp;
	*out = (struct spool_file){ .rows = rows, .bytes = len, .synced = sync };
	snprintf(out->name, sizeof(out->name), "b%020" PRIu64 "-%u-%u-%" PRIu64 "r.gz", stamp,
		 (unsigned int)getpid(), s->counter++ % 1000000, rows);
	snprintf(tmp, sizeof(tmp), ".tmp-%s", out->name);
	fd = openat(s->dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	r = write_all(fd, gz, len);
	if (!r && sync && fdatasync(fd))
		r = -errno;
	close(fd);
	if (!r && renameat(s->dir_fd, tmp, s->dir_fd, out->name))
		r = -errno;
	/* the rename is durable once the directory is */
	if (!r && sync && fsync(s->dir_fd))
		r = -errno;
	if (r) {
		unlinkat(s->dir_fd, tmp, 0);
		unlinkat(s->dir_fd, out->name, 0);
		return r;
	}
	s->bytes += len;
	return 0;
}

int fleet_spool_sync(struct fleet_spool *s, const char *name)
{
	int fd = openat(s->dir_fd, name, O_RDONLY | O_CLOEXEC), r = 0;
	if (fd < 0)
		return -errno;
	if (fdatasync(fd))
		r = -errno;
	close(fd);
	return r;
}

int fleet_spool_sync_dir(struct fleet_spool *s)
{
	return fsync(s->dir_fd) ? -errno : 0;
}

int fleet_spool_add(struct fleet_spool *s, const struct spool_file *f)
{
	return push_file(s, f);
}

int fleet_spool_read(struct fleet_spool *s, const char *name, struct fbuf *out)
{
	int fd = openat(s->dir_fd, name, O_RDONLY | O_CLOEXEC), r = 0;
	struct stat st;
	out->len = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || fbuf_reserve(out, (size_t)st.st_size)) {
		close(fd);
		return -ENOMEM;
	}
	while (out->len < (size_t)st.st_size) {
		ssize_t n = read(fd, out->p + out->len, (size_t)st.st_size - out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
		out->len += (size_t)n;
	}
	close(fd);
	return r;
}

static void drop_head(struct fleet_spool *s)
{
	memmove(s->files, s->files + 1, (s->nfiles - 1) * sizeof(*s->files));
	s->nfiles--;
}

void fleet_spool_remove_head(struct fleet_spool *s)
{
	if (!s->nfiles)
		return;
	unlinkat(s->dir_fd, s->files[0].name, 0);
	s->bytes -= s->files[0].bytes < s->bytes ? s->files[0].bytes : s->bytes;
	drop_head(s);
}

/* Kept for an operator (and counted in the bound until removed). */
void fleet_spool_reject_head(struct fleet_spool *s)
{
	char to[160];
	if (!s->nfiles)
		return;
	mkdirat(s->dir_fd, REJECTED, 0700);
	snprintf(to, sizeof(to), REJECTED "/%s", s->files[0].name);
	if (renameat(s->dir_fd, s->files[0].name, s->dir_fd, to)) {
		fleet_spool_remove_head(s);
		return;
	}
	drop_head(s);
}

uint64_t fleet_spool_pending_rows(const struct fleet_spool *s)
{
	uint64_t n = 0;
	for (size_t i = 0; i < s->nfiles; i++)
		n += s->files[i].rows;
	return n;
}
