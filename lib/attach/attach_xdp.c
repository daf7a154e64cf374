// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * XDP: a BPF link (BPF_LINK_CREATE, attach type BPF_XDP, 5.9+) where the
 * kernel has one, else RTM_SETLINK with IFLA_XDP over netlink (4.8+).
 *
 * A link goes away with its fd, so a crash leaves nothing behind.  A netlink
 * attachment outlives the process; warden always asks for
 * XDP_FLAGS_UPDATE_IF_NOEXIST so it never replaces someone else's program,
 * and detaches with XDP_FLAGS_REPLACE + IFLA_XDP_EXPECTED_FD (5.7+) so it
 * only ever removes its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "link.h"
#include "host/netlink.h"
#include "warden/features.h"

#define XDP_KNOWN_FLAGS (XDP_FLAGS_MODES | XDP_FLAGS_UPDATE_IF_NOEXIST)

struct xdp_nl_priv {
	struct wd_nl nl;        /* opened in the attach-time netns: detach lands there too */
	int ifindex;
	int prog_fd;            /* dup: IFLA_XDP_EXPECTED_FD at detach */
	uint32_t mode;          /* XDP_FLAGS_SKB_MODE / DRV_MODE / 0 */
};

static const char *mode_name(uint32_t flags)
{
	if (flags & XDP_FLAGS_SKB_MODE)
		return "generic";
	if (flags & XDP_FLAGS_DRV_MODE)
		return "native";
	if (flags & XDP_FLAGS_HW_MODE)
		return "offload";
	return "auto";
}

static int xdp_setlink(struct wd_nl *nl, int ifindex, int fd, uint32_t flags, int expected_fd)
{
	struct wd_nl_msg m;
	struct ifinfomsg *ifi = wd_nl_msg_init(&m, RTM_SETLINK, 0, sizeof(*ifi));
	struct nlattr *nest;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	nest = wd_nl_nest_begin(&m, IFLA_XDP);
	wd_nl_put(&m, IFLA_XDP_FD, &fd, sizeof(fd));
	if (flags)
		wd_nl_put_u32(&m, IFLA_XDP_FLAGS, flags);
	if (flags & XDP_FLAGS_REPLACE)
		wd_nl_put(&m, IFLA_XDP_EXPECTED_FD, &expected_fd, sizeof(expected_fd));
	wd_nl_nest_end(&m, nest);
	return wd_nl_talk(nl, &m, NULL, NULL);
}

static int xdp_nl_detach(struct wd_link *link)
{
	struct xdp_nl_priv *p = link->priv;
	char ext[300];
	int err = xdp_setlink(&p->nl, p->ifindex, -1, p->mode | XDP_FLAGS_REPLACE, p->prog_fd);
	if (err == -EINVAL && !p->nl.extack[0]) {
		/* before 5.7 there is no XDP_FLAGS_REPLACE: remove what is there */
		wd_debug("detach %s: kernel without XDP_FLAGS_REPLACE, plain detach", link->desc);
		err = xdp_setlink(&p->nl, p->ifindex, -1, p->mode, -1);
	}
	if (err == -ENODEV)
		err = 0; /* the interface is gone, and the program with it */
	if (err == -EEXIST)
		err = wd_err(err, "detach %s: another program replaced it; left in place", link->desc);
	else if (err)
		err = wd_err(err, "detach %s: %s%s", link->desc, strerror(-err),
			     wd_nl_extack_suffix(&p->nl, ext, sizeof(ext)));
	close(p->prog_fd);
	wd_nl_close(&p->nl);
	return err;
}

static struct wd_link *attach_netlink(struct wd_prog *prog, int ifindex, uint32_t flags,
				      const char *ifd)
{
	struct xdp_nl_priv *p = calloc(1, sizeof(*p));
	char ext[300];
	int err = p ? wd_nl_open(&p->nl) : -ENOMEM;
	if (err)
		goto fail;
	err = xdp_setlink(&p->nl, ifindex, prog->fd, flags | XDP_FLAGS_UPDATE_IF_NOEXIST, -1);
	if (err) {
		const char *hint = err == -EBUSY || err == -EEXIST
			? "; the interface already has an XDP program" : "";
		err = wd_err(err, "attach xdp '%s' to %s (netlink, %s): %s%s%s", prog->name, ifd,
			     mode_name(flags), strerror(-err),
			     wd_nl_extack_suffix(&p->nl, ext, sizeof(ext)), hint);
		wd_nl_close(&p->nl);
		goto fail;
	}
	p->ifindex = ifindex;
	p->mode = flags & XDP_FLAGS_MODES;
	p->prog_fd = fcntl(prog->fd, F_DUPFD_CLOEXEC, 3);
	return wd_link_new_owned(prog, -1, xdp_nl_detach, p, "xdp %s (netlink, %s)", ifd,
				 mode_name(flags));
fail:
	free(p);
	errno = -err;
	return NULL;
}

/* 0 + *link, or -errno; -EOPNOTSUPP means "no XDP links here, use netlink". */
static int attach_link(struct wd_prog *prog, int ifindex, uint32_t flags, const char *ifd,
		       struct wd_link **out)
{
	struct wd_link_create_args a = {
		.prog_fd = prog->fd, .target_fd = ifindex, .attach_type = BPF_XDP,
		.flags = flags & XDP_FLAGS_MODES, /* links are exclusive: no UPDATE_IF_NOEXIST */
	};
	int fd = wd_sys_link_create(&a);
	if (fd == -EINVAL || fd == -EOPNOTSUPP || fd == -524 /* ENOTSUPP */) {
		/* before 5.9 BPF_XDP is an unknown attach type (EINVAL); a driver
		 * refusing a mode says why only over netlink (extack) */
		wd_debug("xdp '%s' on %s: BPF_LINK_CREATE: %s, trying netlink", prog->name, ifd,
			 strerror(-fd));
		return -EOPNOTSUPP;
	}
	if (fd < 0) {
		const char *hint = fd == -EBUSY || fd == -EEXIST
			? "; the interface already has an XDP program" : "";
		return wd_err(fd, "attach xdp '%s' to %s (link, %s): %s%s", prog->name, ifd,
			      mode_name(flags), strerror(-fd), hint);
	}
	*out = wd_link_new(prog, fd, NULL, "xdp %s (link, %s)", ifd, mode_name(flags));
	if (!*out) {
		close(fd);
		return wd_err(-ENOMEM, "attach xdp '%s': out of memory", prog->name);
	}
	return 0;
}

static int xdp_check(struct wd_prog *prog, uint32_t flags, const char *ifd)
{
	if (prog->fd < 0)
		return wd_err(-EINVAL, "attach xdp '%s' to %s: program is not loaded", prog->name, ifd);
	if (prog->type != BPF_PROG_TYPE_XDP)
		return wd_err(-EINVAL, "attach xdp '%s' to %s: it is a %s program (section '%s'), "
			      "XDP needs SEC(\"xdp\")", prog->name, ifd,
			      wd_prog_type_name(prog->type), prog->sec_name);
	if (flags & ~XDP_KNOWN_FLAGS)
		return wd_err(-EINVAL, "attach xdp '%s' to %s: unknown flags 0x%x", prog->name, ifd,
			      flags & ~XDP_KNOWN_FLAGS);
	if (__builtin_popcount(flags & XDP_FLAGS_MODES) > 1)
		return wd_err(-EINVAL, "attach xdp '%s' to %s: pick one of SKB/DRV/HW mode",
			      prog->name, ifd);
	return 0;
}

struct wd_link *wd_prog_attach_xdp(struct wd_prog *prog, int ifindex, const struct wd_xdp_opts *opts)
{
	uint32_t flags = WD_OPTS_GET(opts, flags, 0);
	struct wd_link *link = NULL;
	char ifd[WD_IFDESC_LEN], what[128];
	int err;
	snprintf(what, sizeof(what), "attach xdp '%s'", prog->name);
	err = wd_ifindex_check(ifindex, what);
	if (!err)
		err = xdp_check(prog, flags, wd_ifdesc(ifindex, ifd));
	if (!err)
		err = attach_link(prog, ifindex, flags, ifd, &link);
	if (err == -EOPNOTSUPP)
		return attach_netlink(prog, ifindex, flags, ifd);
	if (err) {
		errno = -err;
		return NULL;
	}
	return link;
}
