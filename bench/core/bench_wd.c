// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libwarden side of bench/core (lib/ internals: no libbpf headers here). */
#include <stdio.h>
#include "load/internal.h"
#include "warden/core.h"

int wd_side_parse(const char *path)
{
	struct wd_btf *b = wd_btf_load_file(path, NULL);
	if (!b)
		return -1;
	/* index by name, as a relocation needs it */
	int ok = wd_btf_find(b, "task_struct", BTF_KIND_STRUCT) != 0;
	wd_btf_free(b);
	return ok ? 0 : -1;
}

static int noop(const struct wd_core_relo_info *i, void *ctx)
{
	(*(int *)ctx) += !i->error;
	return 0;
}

/* Open and resolve every CO-RE relocation (no kernel objects created). */
int wd_side_relocate(const char *obj_path, int *n)
{
	struct wd_object *obj = wd_object_open(obj_path, NULL);
	int err;
	if (!obj)
		return -1;
	err = wd_object_core_relos(obj, true, noop, n);
	wd_object_close(obj);
	return err;
}

int wd_side_load(const char *obj_path)
{
	struct wd_object *obj = wd_object_open(obj_path, NULL);
	int err = obj ? wd_object_load(obj, NULL) : -1;
	if (err)
		fprintf(stderr, "warden: %s\n", wd_errmsg());
	wd_object_close(obj);
	return err;
}
