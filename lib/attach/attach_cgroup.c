// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cgroup programs (skb, sock, sock_addr, sysctl, sockopt, device, sock_ops):
 * a BPF link (BPF_LINK_CREATE on the cgroup fd, 5.7+), else BPF_PROG_ATTACH
 * with BPF_F_ALLOW_MULTI (4.15+) so warden shares the hook with others.
 *
 * A link dies with its fd.  A BPF_PROG_ATTACH attachment lives as long as
 * the cgroup, crash or not; the program is freed only when the cgroup goes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "link.h"
#include "host/netlink.h"
#include "warden/features.h"

struct cg_priv {
	int cg_fd, prog_fd;     /* dups, for BPF_PROG_DETACH */
	uint32_t type;
};

static bool is_cgroup_type(uint32_t t)
{
	switch (t) {
	case BPF_PROG_TYPE_CGROUP_SKB:
	case BPF_PROG_TYPE_CGROUP_SOCK:
	case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
	case BPF_PROG_TYPE_CGROUP_SYSCTL:
	case BPF_PROG_TYPE_CGROUP_SOCKOPT:
	case BPF_PROG_TYPE_CGROUP_DEVICE:
	case BPF_PROG_TYPE_SOCK_OPS:
		return true;
	default:
		return false;
	}
}

/* "/sys/fs/cgroup/unified/x" from the fd, or "cgroup fd N". */
static const char *cg_desc(int fd, char *buf, size_t size)
{
	char proc[64];
	ssize_t n;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, buf, size - 1);
	if (n <= 0) {
		snprintf(buf, size, "cgroup fd %d", fd);
		return buf;
	}
	buf[n] = '\0';
	return buf;
}

static const char *attach_name(uint32_t type)
{
	const char *n = wd_attach_type_name(type);
	return n ? n : "?";
}

static int cg_detach(struct wd_link *link)
{
	struct cg_priv *p = link->priv;
	int err = wd_sys_prog_detach(p->prog_fd, p->cg_fd, p->type);
	if (err == -ENOENT)
		err = 0; /* already gone (cgroup removed, or detached by someone) */
	else if (err)
		err = wd_err(err, "detach %s: %s", link->desc, strerror(-err));
	close(p->prog_fd);
	close(p->cg_fd);
	return err;
}

static struct wd_link *attach_legacy(struct wd_prog *prog, int cg_fd, const char *cgd)
{
	struct cg_priv *p = calloc(1, sizeof(*p));
	int err = p ? wd_sys_prog_attach(prog->fd, cg_fd, prog->expected_attach_type,
					 BPF_F_ALLOW_MULTI) : -ENOMEM;
	if (err) {
		free(p);
		errno = -err;
		wd_err(err, "attach cgroup '%s' (%s) to %s (BPF_PROG_ATTACH): %s", prog->name,
		       attach_name(prog->expected_attach_type), cgd, strerror(-err));
		return NULL;
	}
	p->cg_fd = fcntl(cg_fd, F_DUPFD_CLOEXEC, 3);
	p->prog_fd = fcntl(prog->fd, F_DUPFD_CLOEXEC, 3);
	p->type = prog->expected_attach_type;
	return wd_link_new_owned(prog, -1, cg_detach, p, "cgroup %s %s (prog_attach)",
				 attach_name(p->type), cgd);
}

static int cg_check(struct wd_prog *prog, int cg_fd)
{
	if (prog->fd < 0)
		return wd_err(-EINVAL, "attach cgroup '%s': program is not loaded", prog->name);
	if (!is_cgroup_type(prog->type))
		return wd_err(-EINVAL, "attach cgroup '%s': it is a %s program (section '%s'), "
			      "not a cgroup program", prog->name, wd_prog_type_name(prog->type),
			      prog->sec_name);
	if (cg_fd < 0 || fcntl(cg_fd, F_GETFD) < 0)
		return wd_err(-EBADF, "attach cgroup '%s': bad cgroup fd %d", prog->name, cg_fd);
	return 0;
}

struct wd_link *wd_prog_attach_cgroup(struct wd_prog *prog, int cgroup_fd)
{
	struct wd_link_create_args a = {
		.prog_fd = prog->fd, .target_fd = cgroup_fd,
		.attach_type = prog->expected_attach_type,
	};
	struct wd_link *link;
	char cgd[256];
	int fd, err = cg_check(prog, cgroup_fd);
	if (err) {
		errno = -err;
		return NULL;
	}
	cg_desc(cgroup_fd, cgd, sizeof(cgd));
	fd = wd_sys_link_create(&a);
	if (fd == -EINVAL) {
		/* before 5.7 no cgroup links */
		wd_debug("cgroup '%s': BPF_LINK_CREATE: EINVAL, using BPF_PROG_ATTACH", prog->name);
		return attach_legacy(prog, cgroup_fd, cgd);
	}
	if (fd < 0) {
		errno = -fd;
		wd_err(fd, "attach cgroup '%s' (%s) to %s: %s", prog->name,
		       attach_name(prog->expected_attach_type), cgd, strerror(-fd));
		return NULL;
	}
	link = wd_link_new(prog, fd, NULL, "cgroup %s %s (link)",
			   attach_name(prog->expected_attach_type), cgd);
	if (!link) {
		close(fd);
		errno = ENOMEM;
		wd_err(-ENOMEM, "attach cgroup '%s': out of memory", prog->name);
	}
	return link;
}
