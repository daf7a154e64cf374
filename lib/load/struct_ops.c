// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * struct_ops: kernel ops tables written in BPF (a TCP congestion control is
 * a `struct tcp_congestion_ops` whose function pointers are BPF programs).
 *
 * The object declares the table as a variable of SEC(".struct_ops") (or
 * ".struct_ops.link"), in its own layout of the struct (elf.c: one
 * BPF_MAP_TYPE_STRUCT_OPS map per variable, the function pointers as
 * relocations naming programs).  At load, as libbpf does
 * (bpf_map__init_kern_struct_ops() in libbpf.c):
 *   - the kernel's struct T and its map value type bpf_struct_ops_T are
 *     found in vmlinux BTF; the map is created with
 *     btf_vmlinux_value_type_id = bpf_struct_ops_T and that type's size;
 *   - each member is matched by name in the kernel's T: data members are
 *     copied into the kernel's layout (sizes must agree); a function pointer
 *     member makes its program load with attach_btf_id = T and
 *     expected_attach_type = the member's index in the kernel's T (the
 *     verifier checks the program against that member's prototype);
 *   - members the kernel lacks are allowed when the object leaves them zero
 *     (an ops table written for a newer kernel).
 * Registering (the kernel's T.reg(), e.g. tcp_register_congestion_control)
 * happens when the value, with program fds in the function pointers, is
 * written into the map: lib/attach/attach_struct_ops.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define ST_OPS_VALUE_PREFIX "bpf_struct_ops_"

/* A function pointer member of the kernel's value, and its program. */
struct wd_st_func {
	uint32_t off;               /* in the kernel's map value */
	struct wd_prog *prog;
	const char *member;         /* in the object's BTF */
};

struct wd_st_ops {
	uint32_t kern_type_id;      /* T in vmlinux */
	uint32_t vtype_id;          /* bpf_struct_ops_T in vmlinux */
	void *kdata;                /* the map value in the kernel's layout */
	uint32_t size;
	struct wd_st_func *funcs;
	size_t nr_funcs;
};

void wd_struct_ops_release(struct wd_map *m)
{
	if (!m->st_ops)
		return;
	free(m->st_ops->kdata);
	free(m->st_ops->funcs);
	free(m->st_ops);
	m->st_ops = NULL;
}

uint32_t wd_struct_ops_vtype_id(const struct wd_map *m)
{
	return m->st_ops ? m->st_ops->vtype_id : 0;
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

static const struct btf_member *member_by_name(const struct wd_btf *btf, const struct btf_type *t,
					       const char *name)
{
	const struct btf_member *m = btf_extra(t);
	for (int i = 0; i < btf_vlen_of(t); i++)
		if (!strcmp(wd_btf_str(btf, m[i].name_off), name))
			return &m[i];
	return NULL;
}

/* The program a relocation put at byte `off` of the object's value, or NULL. */
static const char *prog_at(const struct wd_map *m, uint32_t off)
{
	for (size_t i = 0; i < m->spec->nr_st_ops_funcs; i++)
		if (m->spec->st_ops_funcs[i].off == off)
			return m->spec->st_ops_funcs[i].prog;
	return NULL;
}

/* T and bpf_struct_ops_T in vmlinux, and where T sits in the value. */
static int find_kern_types(struct wd_map *m, const char *tname, uint32_t *data_off)
{
	const struct wd_btf *vml = wd_btf_vmlinux();
	struct wd_st_ops *st = m->st_ops;
	char name[192], vname[256];
	const struct btf_type *vt;
	/* "tcp_congestion_ops___v2": the flavor suffix is the object's alone */
	const char *flavor = strstr(tname, "___");
	snprintf(name, sizeof(name), "%.*s", flavor ? (int)(flavor - tname) : (int)strlen(tname), tname);
	if (!vml)
		return wd_err(-ENOTSUP, "map '%s': struct_ops needs kernel BTF "
			      "(/sys/kernel/btf/vmlinux), which this kernel lacks", m->name);
	snprintf(vname, sizeof(vname), ST_OPS_VALUE_PREFIX "%s", name);
	st->kern_type_id = wd_btf_find(vml, name, BTF_KIND_STRUCT);
	st->vtype_id = wd_btf_find(vml, vname, BTF_KIND_STRUCT);
	if (!st->kern_type_id || !st->vtype_id)
		return wd_err(-ENOTSUP, "map '%s': this kernel has no struct_ops '%s' (struct %s "
			      "is not in its BTF: the subsystem is not built in)", m->name, name,
			      st->kern_type_id ? vname : name);
	vt = wd_btf_type(vml, st->vtype_id);
	const struct btf_member *vm = btf_extra(vt);
	for (int i = 0; i < btf_vlen_of(vt); i++)
		if (vm[i].type == st->kern_type_id) {
			*data_off = btf_member_bit_off(vt, &vm[i]) / 8;
			st->size = vt->size;
			return 0;
		}
	return wd_err(-EINVAL, "map '%s': kernel struct %s holds no struct %s", m->name, vname, name);
}

static struct wd_prog *prog_by_name(struct wd_object *obj, const char *name)
{
	for (size_t i = 0; i < obj->nr_progs; i++)
		if (!strcmp(obj->progs[i].name, name))
			return &obj->progs[i];
	return NULL;
}

/* A function pointer member: its program loads against the kernel member. */
static int bind_prog(struct wd_map *m, const char *mname, const char *pname, uint32_t kidx,
		     const struct btf_type *kmt, uint32_t koff)
{
	const struct wd_btf *vml = wd_btf_vmlinux();
	struct wd_st_ops *st = m->st_ops;
	struct wd_prog *p = prog_by_name(m->obj, pname);
	const struct btf_type *proto;
	if (!p)
		return wd_err(-ENOENT, "map '%s': member '%s' names program '%s', which the object "
			      "does not have", m->name, mname, pname);
	proto = btf_kind_of(kmt) == BTF_KIND_PTR ? wd_btf_type(vml, wd_btf_skip_mods(vml, kmt->type, true)) : NULL;
	if (!proto || btf_kind_of(proto) != BTF_KIND_FUNC_PROTO)
		return wd_err(-EINVAL, "map '%s': kernel member '%s' is not a function pointer",
			      m->name, mname);
	if (p->type != BPF_PROG_TYPE_STRUCT_OPS)
		return wd_err(-EINVAL, "map '%s': member '%s' names program '%s' of section '%s', "
			      "not a struct_ops program: put it in SEC(\"struct_ops/%s\")",
			      m->name, mname, p->name, p->sec_name, p->name);
	/* One program may fill the same member of several tables (two
	 * tcp_congestion_ops sharing an init), never two different members. */
	if (p->attach_btf_id && (p->attach_btf_id != st->kern_type_id || p->expected_attach_type != kidx))
		return wd_err(-EINVAL, "map '%s': program '%s' fills member '%s' here and another "
			      "member or struct elsewhere: one program per kernel member",
			      m->name, p->name, mname);
	p->attach_btf_id = st->kern_type_id;
	p->expected_attach_type = kidx;
	void *grown = realloc(st->funcs, (st->nr_funcs + 1) * sizeof(*st->funcs));
	if (!grown)
		return -ENOMEM;
	st->funcs = grown;
	st->funcs[st->nr_funcs++] = (struct wd_st_func){ .off = koff, .prog = p, .member = mname };
	return 0;
}

/* One member of the object's struct into the kernel's value: from m->data,
 * the initial value the user may have changed since open
 * (wd_map_initial_value(), e.g. the name of a congestion control). */
static int place_member(struct wd_map *m, const struct btf_type *t, const struct btf_member *mem,
			const struct btf_type *kt, uint32_t data_off)
{
	const struct wd_btf *btf = m->obj->spec->btf, *vml = wd_btf_vmlinux();
	const char *mname = wd_btf_str(btf, mem->name_off);
	uint32_t moff = btf_member_bit_off(t, mem) / 8;
	int64_t msize = wd_btf_size(btf, mem->type);
	const char *pname = prog_at(m, moff);
	const struct btf_member *km;
	if (msize < 0 || moff + (uint64_t)msize > m->spec->data_size)
		return wd_err(-EINVAL, "map '%s': member '%s' has no size", m->name, mname);
	km = member_by_name(vml, kt, mname);
	if (!km) {
		/* written for a newer kernel: fine while the object leaves it empty */
		if (!all_zero((char *)m->data + moff, msize) || pname)
			return wd_err(-ENOTSUP, "map '%s': this kernel's struct %s has no member '%s', "
				      "which the object sets", m->name, wd_btf_name(btf, m->spec->st_ops_type_id),
				      mname);
		wd_debug("map '%s': member '%s' is not in this kernel's struct and left empty",
			 m->name, mname);
		return 0;
	}
	uint32_t kidx = (uint32_t)(km - (const struct btf_member *)btf_extra(kt));
	uint32_t koff = data_off + btf_member_bit_off(kt, km) / 8;
	if (btf_member_bitfield_size(t, mem) || btf_member_bitfield_size(kt, km))
		return wd_err(-ENOTSUP, "map '%s': member '%s' is a bitfield (struct_ops tables "
			      "cannot set bitfields)", m->name, mname);
	const struct btf_type *mt = wd_btf_type(btf, wd_btf_skip_mods(btf, mem->type, true));
	const struct btf_type *kmt = wd_btf_type(vml, wd_btf_skip_mods(vml, km->type, true));
	if (!mt || !kmt || btf_kind_of(mt) != btf_kind_of(kmt))
		return wd_err(-ENOTSUP, "map '%s': member '%s' is a %s here and a %s in the kernel",
			      m->name, mname, mt ? wd_btf_kind_name(btf_kind_of(mt)) : "?",
			      kmt ? wd_btf_kind_name(btf_kind_of(kmt)) : "?");
	if (btf_kind_of(mt) == BTF_KIND_PTR)
		return pname ? bind_prog(m, mname, pname, kidx, kmt, koff) : 0;
	int64_t ksize = wd_btf_size(vml, km->type);
	if (ksize != msize)
		return wd_err(-ENOTSUP, "map '%s': member '%s' is %lld bytes here and %lld in the kernel",
			      m->name, mname, (long long)msize, (long long)ksize);
	if (koff + (uint64_t)msize > m->st_ops->size)
		return wd_err(-EINVAL, "map '%s': kernel member '%s' lies past the value", m->name, mname);
	memcpy((char *)m->st_ops->kdata + koff, (char *)m->data + moff, msize);
	return 0;
}

static int prepare_map(struct wd_map *m)
{
	const struct wd_btf *btf = m->obj->spec->btf, *vml;
	const struct btf_type *t = wd_btf_type(btf, m->spec->st_ops_type_id), *kt;
	uint32_t data_off = 0;
	int err;
	if (!(m->st_ops = calloc(1, sizeof(*m->st_ops))))
		return -ENOMEM;
	if ((err = find_kern_types(m, wd_btf_name(btf, m->spec->st_ops_type_id), &data_off)))
		return err;
	vml = wd_btf_vmlinux();
	kt = wd_btf_type(vml, m->st_ops->kern_type_id);
	if (!(m->st_ops->kdata = calloc(1, m->st_ops->size)))
		return -ENOMEM;
	const struct btf_member *mem = btf_extra(t);
	for (int i = 0; i < btf_vlen_of(t); i++)
		if ((err = place_member(m, t, &mem[i], kt, data_off)))
			return err;
	m->value_size = m->st_ops->size;
	return 0;
}

int wd_struct_ops_prepare(struct wd_object *obj)
{
	int err;
	/* attach_btf_id and the member index of struct_ops programs come from
	 * the tables alone: set afresh on every load */
	for (size_t i = 0; i < obj->nr_progs; i++)
		if (obj->progs[i].type == BPF_PROG_TYPE_STRUCT_OPS) {
			obj->progs[i].attach_btf_id = 0;
			obj->progs[i].expected_attach_type = 0;
		}
	for (size_t i = 0; i < obj->nr_maps; i++) {
		struct wd_map *m = &obj->maps[i];
		if (m->spec->kind != WD_MAP_STRUCT_OPS)
			continue;
		wd_struct_ops_release(m);
		if ((err = prepare_map(m)))
			return err;
	}
	for (size_t i = 0; i < obj->nr_progs; i++) {
		const struct wd_prog *p = &obj->progs[i];
		if (p->type == BPF_PROG_TYPE_STRUCT_OPS && p->autoload && !p->attach_btf_id)
			return wd_err(-EINVAL, "program '%s' (section '%s'): no struct_ops table of the "
				      "object uses it, so the kernel cannot tell which member it "
				      "implements: set it in a SEC(\".struct_ops\") variable, or turn its "
				      "autoload off", p->name, p->sec_name);
	}
	return 0;
}

int wd_struct_ops_value(struct wd_map *m, const void **value)
{
	struct wd_st_ops *st = m->st_ops;
	if (!st || m->fd < 0)
		return wd_err(-EINVAL, "map '%s' is not a loaded struct_ops map", m->name);
	for (size_t i = 0; i < st->nr_funcs; i++) {
		const struct wd_st_func *f = &st->funcs[i];
		/* the kernel reads a function pointer member as a program fd */
		uint64_t fd = (uint64_t)(int64_t)f->prog->fd;
		if (f->prog->fd < 0)
			return wd_err(-ENOENT, "map '%s': member '%s' names program '%s', which is "
				      "not loaded (autoload off?)", m->name, f->member, f->prog->name);
		memcpy((char *)st->kdata + f->off, &fd, sizeof(fd));
	}
	*value = st->kdata;
	return 0;
}
