/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The link object shared by every attach family (lib/attach_*.c). */
#ifndef WARDEN_LINK_INTERNAL_H
#define WARDEN_LINK_INTERNAL_H

#include "load/internal.h"
#include "warden/link.h"

struct wd_link {
	struct wd_obj_dep dep;         /* in obj->deps: detached at object close */
	struct wd_object *obj;
	int fd;                        /* bpf link fd or perf event fd, -1 */
	/* family-specific undo; called once by wd_link_detach(), then the link is freed */
	int (*detach)(struct wd_link *link);
	void *priv;                    /* family data, freed with free() after detach */
	char desc[160];
};

/* A new link owned by prog's object (freed by wd_link_detach or object close). */
struct wd_link *wd_link_new(struct wd_prog *prog, int fd, int (*detach)(struct wd_link *),
			    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same, owning `priv` (family data, freed with the link).  When the
 * link cannot be allocated the attachment is undone with `detach` at once
 * and priv freed: nothing attached survives without a link.  NULL + errno. */
struct wd_link *wd_link_new_owned(struct wd_prog *prog, int fd, int (*detach)(struct wd_link *),
				  void *priv, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A link owned by the object, not by one program; NULL + errno when it
 * cannot be allocated (the caller undoes the attachment). */
struct wd_link *wd_link_new_obj(struct wd_object *obj, int fd, int (*detach)(struct wd_link *),
				void *priv, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
