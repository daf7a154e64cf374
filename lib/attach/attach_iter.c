// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * BPF iterators (SEC("iter/<target>"), 5.8, kernel commit ac51d99bf81c
 * "bpf: Create anonymous bpf iterator"): the program is attached with
 * BPF_LINK_CREATE (BPF_TRACE_ITER), and every BPF_ITER_CREATE on that link
 * starts a new walk: an fd whose read() returns what the program wrote with
 * bpf_seq_printf()/bpf_seq_write(), 0 at the end.
 * Documentation/bpf/bpf_iterators.rst describes the protocol.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include "attach.h"
#include "warden/features.h"

struct wd_link *wd_prog_attach_iter(struct wd_prog *prog, const struct wd_iter_opts *opts)
{
	union bpf_iter_link_info info;
	struct wd_link_create_args a = { .prog_fd = -1, .attach_type = BPF_TRACE_ITER };
	const char *target;
	struct wd_link *l;
	int err, fd;
	if ((err = wd_attach_check(prog, "iter")))
		return wd_attach_fail(err);
	if (prog->type != BPF_PROG_TYPE_TRACING || prog->expected_attach_type != BPF_TRACE_ITER)
		return wd_attach_fail(wd_err(-EINVAL, "attach '%s': section '%s' is not an "
					     "iterator (iter/<target>)", prog->name,
					     prog->sec_name));
	target = prog->def ? wd_sec_target(prog->def, prog->sec_name) : "";
	a.prog_fd = prog->fd;
	memset(&info, 0, sizeof(info));
	if (WD_OPTS_HAS(opts, map_fd) && opts->map_fd > 0) {
		info.map.map_fd = (uint32_t)opts->map_fd;
		a.iter_info = &info;
		a.iter_info_len = sizeof(info);
	}
	fd = wd_sys_link_create(&a);
	if (fd < 0) {
		/* bpf_map_elem and friends refuse a missing map with EBADF (5.9,
		 * kernel commit a5cbe05a6673 "bpf: Implement bpf iterator for map
		 * elements"). */
		wd_err(fd, "attach '%s' (iter %s): %s%s", prog->name, target, strerror(-fd),
		       (fd == -EBADF || fd == -EINVAL) && !a.iter_info &&
		       strstr(target, "map") ? " (this iterator needs a map: "
		       "wd_prog_attach_iter() with opts.map_fd)" : "");
		return wd_attach_fail(fd);
	}
	l = wd_link_new(prog, fd, NULL, "iter %s", target);
	if (!l) {
		close(fd);
		return wd_attach_fail(wd_err(-ENOMEM, "out of memory"));
	}
	return l;
}

int wd_iter_create(const struct wd_link *link)
{
	int fd;
	if (!link || link->fd < 0)
		return wd_err(-EINVAL, "iter: the link has no fd (not an iterator link)");
	fd = wd_sys_iter_create(link->fd);
	if (fd == -EINVAL)
		return wd_err(fd, "iter create on %s: Invalid argument (not an iterator "
			      "link: attach an iter/<target> program)", link->desc);
	if (fd < 0)
		return wd_err(fd, "iter create on %s: %s", link->desc, strerror(-fd));
	return fd;
}

/* EAGAIN from read(): the program returned 1 for an object, or the walk
 * stopped after MAX_ITER_OBJECTS (1000000) objects in one read
 * (kernel/bpf/bpf_iter.c, bpf_seq_read); reading again continues.  A walk
 * that makes no progress for this many reads in a row is given up. */
#define ITER_MAX_STALLS 64

static int grow(char **buf, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 4096;
	char *p;
	while (n < need)
		n *= 2;
	if (n == *cap)
		return 0;
	p = realloc(*buf, n);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = n;
	return 0;
}

static int read_walk(int fd, const char *desc, char **buf, size_t *cap, size_t *len)
{
	int stalls = 0;
	for (;;) {
		ssize_t n;
		if (grow(buf, cap, *len + 4096 + 1))
			return wd_err(-ENOMEM, "iter read %s: out of memory after %zu bytes",
				      desc, *len);
		n = read(fd, *buf + *len, *cap - *len - 1);
		if (n > 0) {
			*len += (size_t)n;
			stalls = 0;
			continue;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && ++stalls < ITER_MAX_STALLS)
			continue;
		return wd_err(-errno, "iter read %s after %zu bytes: %s%s", desc, *len,
			      strerror(errno),
			      errno == EAGAIN ? " (the program keeps returning 1: "
			      "an iterator program returns 0 to go on)" :
			      errno == E2BIG ? " (one object wrote more than the kernel's "
			      "seq buffer holds, 8 pages)" : "");
	}
}

int wd_iter_read_all(const struct wd_link *link, char **out, size_t *out_len)
{
	char *buf = NULL;
	size_t cap = 0, len = 0;
	int fd, err;
	if (!out)
		return wd_err(-EINVAL, "iter read: no output pointer");
	*out = NULL;
	if (out_len)
		*out_len = 0;
	fd = wd_iter_create(link);
	if (fd < 0)
		return fd;
	err = read_walk(fd, link->desc, &buf, &cap, &len);
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	if (!buf && !(buf = malloc(1)))
		return wd_err(-ENOMEM, "iter read %s: out of memory", link->desc);
	buf[len] = '\0';
	*out = buf;
	if (out_len)
		*out_len = len;
	return 0;
}
