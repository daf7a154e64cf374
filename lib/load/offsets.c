// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Runtime offsets computed from BTF and published in a map: see
 * include/warden/offsets.h and bpf/include/warden_offsets.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "host/probe.h"
#include "warden/offsets.h"

struct entry {
	char *spec;
	struct wd_offset val;
};

struct wd_offsets {
	const struct wd_btf *btf;
	struct wd_btf *owned;
	struct entry *v;
	size_t n;
};

uint64_t wd_offsets_key(const char *spec)
{
	uint64_t h = 14695981039346656037ULL;
	while (*spec)
		h = (h ^ (uint8_t)*spec++) * 1099511628211ULL;
	return h;
}

struct wd_offsets *wd_offsets_new(const char *btf_path)
{
	struct wd_offsets *o = calloc(1, sizeof(*o));
	if (!o) {
		errno = ENOMEM;
		return NULL;
	}
	if (btf_path) {
		o->owned = wd_btf_load_file(btf_path, NULL);
		o->btf = o->owned;
	} else if (wd_probe_kern_btf() == 1) {
		o->btf = wd_btf_vmlinux();
	} else {
		wd_err(-ENOENT, "runtime offsets: no kernel BTF (/sys/kernel/btf/vmlinux); give "
		       "a BTF file of this kernel");
	}
	if (!o->btf) {
		free(o);
		errno = ENOENT;
		return NULL;
	}
	return o;
}

void wd_offsets_free(struct wd_offsets *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++)
		free(o->v[i].spec);
	free(o->v);
	wd_btf_free(o->owned);
	free(o);
}

/* Member `name` of composite `id`, through anonymous members; bit offset
 * accumulated in *bits.  0 and the member's type in *type, or -ENOENT. */
static int find_member(const struct wd_btf *btf, uint32_t id, const char *name, size_t len,
		       uint32_t *bits, uint32_t *type, bool *bitfield, int depth)
{
	const struct btf_type *t = wd_btf_type(btf, wd_btf_skip_mods(btf, id, true));
	const struct btf_member *m;
	if (!t || !btf_is_composite(t) || depth > 16)
		return -ENOENT;
	m = btf_extra(t);
	for (int i = 0; i < btf_vlen_of(t); i++) {
		const char *mn = wd_btf_str(btf, m[i].name_off);
		uint32_t off = btf_member_bit_off(t, &m[i]);
		if (mn && !*mn && !find_member(btf, m[i].type, name, len, bits, type, bitfield, depth + 1)) {
			*bits += off;
			return 0;
		}
		if (mn && strlen(mn) == len && !strncmp(mn, name, len)) {
			*bits += off;
			*type = m[i].type;
			*bitfield = btf_member_bitfield_size(t, &m[i]) != 0;
			return 0;
		}
	}
	return -ENOENT;
}

static int resolve(const struct wd_btf *btf, const char *spec, struct wd_offset *out)
{
	const char *arrow = strstr(spec, "->"), *p;
	char sname[256];
	uint32_t id, bits = 0;
	int64_t size;
	if (!arrow || arrow == spec || (size_t)(arrow - spec) >= sizeof(sname))
		return wd_err(-EINVAL, "runtime offset '%s': expected \"struct->member\"", spec);
	memcpy(sname, spec, arrow - spec);
	sname[arrow - spec] = '\0';
	if (!(id = wd_btf_find(btf, sname, BTF_KIND_STRUCT)) &&
	    !(id = wd_btf_find(btf, sname, BTF_KIND_UNION)))
		return wd_err(-ENOENT, "runtime offset '%s': no struct %s in this BTF", spec, sname);
	for (p = arrow + 2; *p;) {
		size_t len = strcspn(p, ".");
		bool bitfield = false;
		if (!len || find_member(btf, id, p, len, &bits, &id, &bitfield, 0))
			return wd_err(-ENOENT, "runtime offset '%s': no member '%.*s' in this kernel",
				      spec, (int)len, p);
		if (bitfield || bits % 8)
			return wd_err(-EINVAL, "runtime offset '%s': a bitfield has no byte offset", spec);
		p += len + (p[len] == '.');
	}
	if ((size = wd_btf_size(btf, id)) < 0)
		return wd_err(-EINVAL, "runtime offset '%s': member has no size", spec);
	out->offset = bits / 8;
	out->size = size;
	return 0;
}

int wd_offsets_add(struct wd_offsets *o, const char *spec)
{
	struct wd_offset val;
	struct entry *v;
	int err = resolve(o->btf, spec, &val);
	if (err)
		return err;
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->v[i].spec, spec))
			return 0;
	if (!(v = realloc(o->v, (o->n + 1) * sizeof(*v))))
		return -ENOMEM;
	o->v = v;
	if (!(v[o->n].spec = strdup(spec)))
		return -ENOMEM;
	v[o->n++].val = val;
	return 0;
}

int wd_offsets_get(const struct wd_offsets *o, const char *spec, struct wd_offset *out)
{
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->v[i].spec, spec)) {
			*out = o->v[i].val;
			return 0;
		}
	return resolve(o->btf, spec, out);
}

int wd_offsets_publish(const struct wd_offsets *o, int map_fd)
{
	for (size_t i = 0; i < o->n; i++) {
		uint64_t key = wd_offsets_key(o->v[i].spec);
		int err = wd_sys_map_update(map_fd, &key, &o->v[i].val, 0);
		if (err)
			return wd_err(err, "runtime offsets: cannot publish '%s': %s", o->v[i].spec,
				      strerror(-err));
	}
	return 0;
}
