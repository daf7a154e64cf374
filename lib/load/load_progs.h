/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The programs of an object into the kernel (load_progs.c). */
#ifndef WARDEN_LOAD_PROGS_H
#define WARDEN_LOAD_PROGS_H

struct wd_object;

/* Load every autoload program after the object's BTF and maps: in
 * parallel (obj->lopts.load_threads, $WARDEN_LOAD_THREADS, one worker per
 * possible CPU) or one after another, with the same result.  On failure:
 * the first failing program in object order gives the error (in the
 * calling thread) and obj->failed_prog; the programs before it stay
 * loaded for the caller to unload. */
int wd_load_progs(struct wd_object *obj);

#endif
