// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Registering a struct_ops map (lib/load/struct_ops.c made its value): the
 * value, with program fds in the function pointers, is written into the
 * map, and the kernel calls the subsystem's reg() (a TCP congestion control
 * appears in /proc/sys/net/ipv4/tcp_available_congestion_control).
 *
 *  - SEC(".struct_ops"): the update registers.  The registration holds a
 *    reference on the map (bpf_struct_ops_map_update_elem(), 5.6), so
 *    closing the map fd does not undo it: detach deletes the element,
 *    which unregisters (as libbpf's bpf_link__detach_struct_ops()).  Such a
 *    map registers once: after the delete its state is no longer INIT and
 *    another update is EBUSY (bpf_struct_ops_map_update_elem()).
 *  - SEC(".struct_ops.link") (BPF_F_LINK, 6.4+, commit 68b04864ca42): the
 *    update only stores the value; BPF_LINK_CREATE with attach type
 *    BPF_STRUCT_OPS registers, and closing the link unregisters.  EBUSY
 *    from the update means the value is already stored (a second attach):
 *    the kernel never changes a stored value, so it is kept.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "attach.h"

struct st_ops_reg {
	int map_fd;          /* borrowed from the map: the object outlives its links */
};

static int unregister(struct wd_link *l)
{
	struct st_ops_reg *r = l->priv;
	uint32_t zero = 0;
	int err = r ? wd_sys_map_delete(r->map_fd, &zero) : 0;
	/* ENOENT: the kernel already dropped it (nothing registered) */
	if (err && err != -ENOENT)
		return wd_err(err, "detach %s: %s", l->desc, strerror(-err));
	return 0;
}

static struct wd_link *register_by_link(struct wd_map *m)
{
	struct wd_link_create_args a = { .prog_fd = m->fd, .attach_type = WD_BPF_STRUCT_OPS };
	int fd = wd_sys_link_create(&a);
	struct wd_link *l;
	if (fd < 0)
		return wd_attach_fail(wd_err(fd, "attach struct_ops '%s': link create failed: %s%s",
					     m->name, strerror(-fd), fd == -EINVAL ?
					     " (the subsystem refused the table: a required member "
					     "missing, or a name already registered?)" : ""));
	l = wd_link_new_obj(m->obj, fd, NULL, NULL, "struct_ops %s (link)", m->name);
	if (!l) {
		close(fd);
		return wd_attach_fail(wd_err(-ENOMEM, "attach struct_ops '%s': out of memory", m->name));
	}
	return l;
}

struct wd_link *wd_map_attach_struct_ops(struct wd_map *m)
{
	const void *value;
	uint32_t zero = 0;
	struct st_ops_reg *r;
	struct wd_link *l;
	int err;
	if (!m || m->spec->kind != WD_MAP_STRUCT_OPS)
		return wd_attach_fail(wd_err(-EINVAL, "attach struct_ops '%s': not a struct_ops map "
					     "(a variable of SEC(\".struct_ops\"))", m ? m->name : "(null)"));
	if ((err = wd_struct_ops_value(m, &value))) {
		wd_err_prefix("attach struct_ops: ");
		return wd_attach_fail(err);
	}
	err = wd_sys_map_update(m->fd, &zero, value, 0);
	bool linked = m->spec->map_flags & WD_BPF_F_LINK;
	if (err && !(linked && err == -EBUSY))
		return wd_attach_fail(wd_err(err, "attach struct_ops '%s': the kernel refused the "
					     "table: %s%s", m->name, strerror(-err), err == -EEXIST ?
					     " (a table of that name is already registered)" :
					     err == -EINVAL ? " (a required member missing, a name already "
					     "in use, or a data member the kernel does not let BPF set)" :
					     err == -EBUSY ? " (this map was registered before: the kernel "
					     "registers a plain struct_ops map once, even after detach; load "
					     "the object again, or use SEC(\".struct_ops.link\"))" : ""));
	if (linked)
		return register_by_link(m);
	if (!(r = calloc(1, sizeof(*r)))) {
		wd_sys_map_delete(m->fd, &zero);
		return wd_attach_fail(wd_err(-ENOMEM, "attach struct_ops '%s': out of memory", m->name));
	}
	r->map_fd = m->fd;
	l = wd_link_new_obj(m->obj, -1, unregister, r, "struct_ops %s", m->name);
	if (!l) {
		wd_sys_map_delete(m->fd, &zero);
		free(r);
		return wd_attach_fail(wd_err(-ENOMEM, "attach struct_ops '%s': out of memory", m->name));
	}
	return l;
}
