// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The object's BTF in the kernel: rewritten for what this kernel accepts
 * (probed, never guessed from a version), and skipped altogether when the
 * kernel has no BTF or refuses it: programs then load without func/line
 * info, maps without key/value types.  Only a map that cannot live without
 * BTF (spin locks, timers, kptrs) fails later, at its creation, by name.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "host/probe.h"
#include "warden/features.h"

static void probe_support(struct wd_btf_support *sup)
{
	sup->func = wd_probe_btf_kind(BTF_KIND_FUNC) == 1;
	sup->func_global = wd_probe_btf_kind(WD_BTF_FUNC_GLOBAL) == 1;
	sup->datasec = wd_probe_btf_kind(BTF_KIND_DATASEC) == 1;
	sup->float_ = wd_probe_btf_kind(BTF_KIND_FLOAT) == 1;
	sup->decl_tag = wd_probe_btf_kind(BTF_KIND_DECL_TAG) == 1;
	sup->type_tag = wd_probe_btf_kind(BTF_KIND_TYPE_TAG) == 1;
	sup->enum64 = wd_probe_btf_kind(BTF_KIND_ENUM64) == 1;
}

int wd_object_load_btf(struct wd_object *obj)
{
	struct wd_btf_support sup;
	size_t size;
	void *raw;
	int fd;
	if (!obj->spec->btf)
		return 0;
	if (wd_probe_btf() != 1) {
		wd_debug("object '%s': kernel has no BTF support, loading without BTF", obj->name);
		return 0;
	}
	probe_support(&sup);
	if (!sup.func) {
		/* 4.18-4.20: BTF without FUNC is of no use for programs. */
		wd_debug("object '%s': kernel BTF lacks FUNC, loading without BTF", obj->name);
		return 0;
	}
	raw = wd_btf_sanitized(obj->spec->btf, &sup, &size);
	if (!raw)
		return -ENOMEM;
	fd = wd_sys_btf_load(raw, size, NULL, 0, 0);
	if (fd < 0) {
		char *log = malloc(1 << 16);
		if (log) {
			log[0] = '\0';
			wd_sys_btf_load(raw, size, log, 1 << 16, 1);
			char *last = log[0] ? strrchr(log, '\n') : NULL;
			while (last && last > log && last[1] == '\0') {
				*last = '\0';
				last = strrchr(log, '\n');
			}
			wd_debug("object '%s': kernel rejected its BTF (%s): %s; loading without BTF",
				 obj->name, strerror(-fd), last ? last + 1 : log);
			free(log);
		}
		fd = -1;
	}
	free(raw);
	obj->btf_fd = fd;
	return 0;
}
