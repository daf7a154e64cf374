// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * JSON or text lines to stdout or a file (agent/file_output.h): created
 * 0600, O_APPEND (several writers and logrotate's copytruncate stay safe),
 * rotated by size (PATH -> PATH.1 -> ... PATH.N), reopened on SIGHUP.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "file_output.h"
#include "text.h"

#define FLUSH_BYTES (64 * 1024)

struct file_out {
	struct wd_output out;
	char *path;             /* NULL: stdout */
	int fd;
	bool text;
	uint64_t rotate_size;
	unsigned int rotate_keep;
	uint64_t size;          /* bytes in the file (written, not buffered) */
	struct wd_jbuf buf;     /* lines not yet written */
	uint64_t lines, bytes, errors, rotations, reopens;
	int last_errno;
};

static int open_path(const char *path)
{
	/* 0600: events name users, commands and files of the whole host */
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int flush(struct file_out *f)
{
	int err;

	if (!f->buf.len)
		return 0;
	err = write_all(f->fd, f->buf.p, f->buf.len);
	if (err) {
		/* the lines are lost: counted, and the next flush starts clean */
		f->errors++;
		f->last_errno = -err;
	} else {
		f->size += f->buf.len;
		f->bytes += f->buf.len;
	}
	f->buf.len = 0;
	return err;
}

int wd_file_output_flush(struct wd_output *out)
{
	if (!out || out->ops != &wd_file_output_ops)
		return 0;
	return flush(out->priv);
}

/* A writer killed in the middle of a write (SIGKILL, OOM, power) leaves a
 * line without its end: the kernel may stop a write to a regular file part
 * way when a fatal signal is pending (generic_perform_write()).  Appended
 * to, that fragment would swallow the first line of this run; end it, so
 * that only the cut line is lost. */
static int end_cut_line(const char *path, int fd, const struct stat *st)
{
	char last = '\n';
	int rfd;
	if (!S_ISREG(st->st_mode) || st->st_size == 0)
		return 0;
	rfd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);   /* the output fd is write-only */
	if (rfd < 0)
		return 0;
	if (pread(rfd, &last, 1, st->st_size - 1) != 1)
		last = '\n';
	close(rfd);
	return last != '\n' && write_all(fd, "\n", 1) == 0;
}

static int reopen_file(struct file_out *f)
{
	struct stat st;
	int fd;

	if (!f->path)
		return 0;
	fd = open_path(f->path);
	if (fd < 0)
		return -errno;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = fd;
	if (fstat(fd, &st) == 0) {
		f->size = (uint64_t)st.st_size;
		f->size += (uint64_t)end_cut_line(f->path, fd, &st);
	} else {
		f->size = 0;
	}
	return 0;
}

/* PATH.(N-1) -> PATH.N ... PATH -> PATH.1, then a new PATH. */
static int rotate(struct file_out *f)
{
	size_t n = strlen(f->path) + 16;
	char *from = malloc(n), *to = malloc(n);
	int err = 0;

	if (!from || !to) {
		free(from);
		free(to);
		return -ENOMEM;
	}
	if (f->rotate_keep == 0) {
		if (unlink(f->path) && errno != ENOENT)
			err = -errno;
	} else {
		for (unsigned int k = f->rotate_keep; k > 1; k--) {
			snprintf(from, n, "%s.%u", f->path, k - 1);
			snprintf(to, n, "%s.%u", f->path, k);
			if (rename(from, to) && errno != ENOENT)
				err = -errno;
		}
		snprintf(to, n, "%s.1", f->path);
		if (rename(f->path, to) && errno != ENOENT)
			err = -errno;
	}
	free(from);
	free(to);
	if (!err)
		err = reopen_file(f);
	if (!err)
		f->rotations++;
	return err;
}

static int file_write(struct wd_output *out, const struct wd_event *ev, const char *json,
		      size_t json_len)
{
	struct file_out *f = out->priv;
	size_t before = f->buf.len, n;

	if (f->text) {
		wd_text_event(&f->buf, ev);
	} else if (wd_jbuf_reserve(&f->buf, json_len + 1)) {
		memcpy(f->buf.p + f->buf.len, json, json_len);
		f->buf.p[f->buf.len + json_len] = '\n';
		f->buf.len += json_len + 1;
	}
	if (f->buf.failed) {
		f->buf.failed = false;
		f->buf.len = before;
		f->errors++;
		return -ENOMEM;
	}
	n = f->buf.len - before;
	f->lines++;
	/* rotate before the file would pass the size, never cutting a line */
	if (f->path && f->rotate_size && f->size + f->buf.len > f->rotate_size &&
	    f->size + before > 0) {
		struct wd_jbuf line = { 0 };
		int err;

		/* the old lines close the old file, the new one starts the next */
		if (wd_jbuf_reserve(&line, n)) {
			memcpy(line.p, f->buf.p + before, n);
			line.len = n;
		}
		f->buf.len = before;
		err = flush(f);
		if (!err)
			err = rotate(f);
		if (err) {
			f->errors++;
			f->last_errno = -err;
		}
		if (line.len && wd_jbuf_reserve(&f->buf, n)) {
			memcpy(f->buf.p, line.p, n);
			f->buf.len = n;
		}
		wd_jbuf_free(&line);
	}
	if (f->buf.len >= FLUSH_BYTES)
		return flush(f);
	return 0;
}

static int file_reopen(struct wd_output *out)
{
	struct file_out *f = out->priv;
	int err = flush(f);
	int err2 = reopen_file(f);

	if (!err2 && f->path)
		f->reopens++;
	return err2 ? err2 : err;
}

static void file_close(struct wd_output *out)
{
	struct file_out *f = out->priv;

	flush(f);
	if (f->path && f->fd >= 0) {
		fsync(f->fd);
		close(f->fd);
	}
	wd_jbuf_free(&f->buf);
	free(f->path);
	free(f);
}

static void file_stats(struct wd_output *out, char *buf, size_t len)
{
	struct file_out *f = out->priv;

	snprintf(buf, len,
		 "\"%s\":{\"lines\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"errors\":%" PRIu64
		 ",\"rotations\":%" PRIu64 ",\"reopens\":%" PRIu64 ",\"size\":%" PRIu64 "}",
		 f->path ? "file" : "stdout", f->lines, f->bytes, f->errors, f->rotations,
		 f->reopens, f->size);
}

const struct wd_output_ops wd_file_output_ops = {
	.name = "file",
	.write = file_write,
	.reopen = file_reopen,
	.close = file_close,
	.stats = file_stats,
};

struct wd_output *wd_file_output_open(const struct wd_file_output_opts *o, char *err, size_t errlen)
{
	struct file_out *f = calloc(1, sizeof(*f));
	int e = -ENOMEM;

	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->fd = -1;
	f->text = o->text;
	f->rotate_size = o->rotate_size;
	f->rotate_keep = o->rotate_keep;
	f->out.ops = &wd_file_output_ops;
	f->out.priv = f;
	if (!o->path || !strcmp(o->path, "-")) {
		f->fd = STDOUT_FILENO;
		return &f->out;
	}
	f->path = strdup(o->path);
	if (!f->path || (e = reopen_file(f)) < 0) {
		e = f->path ? e : -ENOMEM;
		snprintf(err, errlen, "cannot open output file %s: %s (check the directory exists and is writable)",
			 o->path, strerror(-e));
		free(f->path);
		free(f);
		return NULL;
	}
	return &f->out;
}
