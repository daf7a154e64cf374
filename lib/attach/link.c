// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Link bookkeeping: every attachment is a wd_link on its object's list. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "link.h"

/* The object's view of a link: detach it at object close. */
static void release_dep(struct wd_obj_dep *dep)
{
	wd_link_detach((struct wd_link *)((char *)dep - offsetof(struct wd_link, dep)));
}

static struct wd_link *link_alloc(struct wd_object *obj, int fd, int (*detach)(struct wd_link *),
				  void *priv, const char *fmt, va_list ap)
{
	struct wd_link *l = calloc(1, sizeof(*l));
	if (!l) {
		errno = ENOMEM;
		return NULL;
	}
	l->obj = obj;
	l->fd = fd;
	l->detach = detach;
	l->priv = priv;
	vsnprintf(l->desc, sizeof(l->desc), fmt, ap);
	l->dep.release = release_dep;
	l->dep.next = obj->deps;
	obj->deps = &l->dep;
	return l;
}

struct wd_link *wd_link_new(struct wd_prog *prog, int fd, int (*detach)(struct wd_link *),
			    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct wd_link *l = link_alloc(prog->obj, fd, detach, NULL, fmt, ap);
	va_end(ap);
	return l;
}

struct wd_link *wd_link_new_owned(struct wd_prog *prog, int fd, int (*detach)(struct wd_link *),
				  void *priv, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct wd_link *l = link_alloc(prog->obj, fd, detach, priv, fmt, ap);
	va_end(ap);
	if (l)
		return l;
	/* No link to hold the attachment: undo it now, as a detach would. */
	struct wd_link tmp = { .fd = fd, .priv = priv };
	va_start(ap, fmt);
	vsnprintf(tmp.desc, sizeof(tmp.desc), fmt, ap);
	va_end(ap);
	if (detach)
		detach(&tmp);
	if (fd >= 0)
		close(fd);
	free(priv);
	wd_err(-ENOMEM, "attach %s: out of memory", tmp.desc);
	errno = ENOMEM;
	return NULL;
}

/* A link of the object itself (a struct_ops map has no program of its own). */
struct wd_link *wd_link_new_obj(struct wd_object *obj, int fd, int (*detach)(struct wd_link *),
				void *priv, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct wd_link *l = link_alloc(obj, fd, detach, priv, fmt, ap);
	va_end(ap);
	return l;
}

int wd_link_fd(const struct wd_link *l) { return l->fd; }
const char *wd_link_describe(const struct wd_link *l) { return l->desc; }

static void unlist(struct wd_link *l)
{
	for (struct wd_obj_dep **pp = &l->obj->deps; *pp; pp = &(*pp)->next)
		if (*pp == &l->dep) {
			*pp = l->dep.next;
			return;
		}
}

int wd_link_detach(struct wd_link *l)
{
	int err = 0;
	if (!l)
		return 0;
	unlist(l);
	if (l->detach)
		err = l->detach(l);
	if (l->fd >= 0)
		close(l->fd);
	free(l->priv);
	free(l);
	return err;
}

int wd_link_pin(struct wd_link *l, const char *path)
{
	if (l->fd < 0)
		return wd_err(-EINVAL, "pin %s: this link has no fd to pin", l->desc);
	int err = wd_sys_obj_pin(l->fd, path);
	return err ? wd_err(err, "pin %s at %s: %s", l->desc, path, strerror(-err)) : 0;
}
