// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Object lifecycle: open (spec -> unloaded programs and maps), load (every
 * kernel-dependent step, in order), close.  A failed load closes everything
 * it created: the object is left as it was after open.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core.h"
#include "internal.h"
#include "load_progs.h"

#define OPTS_GET(opts, field, def) \
	((opts) && (opts)->sz > offsetof(typeof(*(opts)), field) ? (opts)->field : (def))

static int init_progs(struct wd_object *obj)
{
	struct wd_spec *s = obj->spec;
	size_t n = 0;
	for (size_t i = 0; i < s->nr_funcs; i++)
		n += s->funcs[i].is_prog;
	obj->progs = calloc(n ? n : 1, sizeof(*obj->progs));
	if (!obj->progs)
		return -ENOMEM;
	for (size_t i = 0; i < s->nr_funcs; i++) {
		const struct wd_func *f = &s->funcs[i];
		struct wd_prog *p;
		if (!f->is_prog)
			continue;
		p = &obj->progs[obj->nr_progs++];
		p->obj = obj;
		p->func = f;
		p->fd = -1;
		p->fail_insn = -1;
		p->autoload = true;
		p->name = strdup(f->name);
		p->sec_name = strdup(s->secs[f->sec].name);
		if (!p->name || !p->sec_name)
			return -ENOMEM;
		p->def = wd_sec_def_find(p->sec_name);
		if (p->def) {
			p->type = p->def->prog_type;
			p->expected_attach_type = p->def->expected_attach_type;
			if (p->def->flags & WD_SEC_SLEEPABLE)
				p->prog_flags |= BPF_F_SLEEPABLE;
			if (p->def->flags & WD_SEC_XDP_FRAGS)
				p->prog_flags |= BPF_F_XDP_HAS_FRAGS;
		}
	}
	return 0;
}

static int init_maps(struct wd_object *obj)
{
	struct wd_spec *s = obj->spec;
	obj->maps = calloc(s->nr_maps ? s->nr_maps : 1, sizeof(*obj->maps));
	if (!obj->maps)
		return -ENOMEM;
	for (size_t i = 0; i < s->nr_maps; i++) {
		struct wd_map *m = &obj->maps[obj->nr_maps++];
		m->obj = obj;
		m->spec = &s->maps[i];
		m->fd = -1;
		m->name = strdup(m->spec->name);
		m->max_entries = m->spec->max_entries;
		m->type = m->spec->type;
		m->key_size = m->spec->key_size;
		m->value_size = m->spec->value_size;
		if (!m->name)
			return -ENOMEM;
		if (m->spec->data_size) {
			m->data = malloc(m->spec->data_size);
			if (!m->data)
				return -ENOMEM;
			memcpy(m->data, m->spec->data, m->spec->data_size);
		}
	}
	return 0;
}

static struct wd_object *object_from_spec(struct wd_spec *spec, const struct wd_open_opts *opts)
{
	struct wd_object *obj = calloc(1, sizeof(*obj));
	const char *btf = OPTS_GET(opts, btf_path, NULL);
	const char *kc = OPTS_GET(opts, kconfig, NULL);
	int err;
	if (!obj) {
		wd_spec_free(spec);
		errno = ENOMEM;
		return NULL;
	}
	obj->spec = spec;
	obj->btf_fd = -1;
	obj->name = strdup(spec->name);
	obj->btf_path = btf ? strdup(btf) : NULL;
	obj->kconfig_path = kc ? strdup(kc) : NULL;
	if (!obj->name || (btf && !obj->btf_path) || (kc && !obj->kconfig_path)) {
		err = -ENOMEM;
		goto err;
	}
	if ((err = init_progs(obj)) || (err = init_maps(obj)))
		goto err;
	return obj;
err:
	wd_object_close(obj);
	errno = -err;
	return NULL;
}

struct wd_object *wd_object_open_mem(const void *buf, size_t size, const struct wd_open_opts *opts)
{
	struct wd_spec *spec;
	const char *name = OPTS_GET(opts, name, NULL);
	int err;
	wd_err_clear();
	if (!buf || !size) {
		errno = EINVAL;
		wd_err(-EINVAL, "open '%s': empty buffer", name ? name : "obj");
		return NULL;
	}
	err = wd_spec_parse(buf, size, name ? name : "obj", &spec);
	if (err) {
		wd_err_prefix("open '%s': ", name ? name : "obj");
		errno = -err;
		return NULL;
	}
	return object_from_spec(spec, opts);
}

struct wd_object *wd_object_open(const char *path, const struct wd_open_opts *opts)
{
	struct wd_open_opts o = { .sz = sizeof(o) };
	struct wd_spec *spec;
	int err;
	wd_opts_copy(&o, sizeof(o), opts);
	o.sz = sizeof(o);
	/* Mapped and parsed in place (no copy of the file); a FIFO, a
	 * directory or an empty file is refused with the file named. */
	err = wd_spec_parse_file(path, o.name ? o.name : path, &spec);
	if (err) {
		wd_err_prefix("open ");
		errno = -err;
		return NULL;
	}
	return object_from_spec(spec, &o);
}

const char *wd_object_name(const struct wd_object *obj)
{
	return obj->name;
}

/* ---- load ---------------------------------------------------------------- */

/* Close every kernel object.  The assembled instructions and line info stay
 * until close or the next load: `warden verify` maps a failed program's
 * log back to source lines with them. */
static void unload(struct wd_object *obj)
{
	for (size_t i = 0; i < obj->nr_progs; i++) {
		struct wd_prog *p = &obj->progs[i];
		if (p->fd >= 0)
			close(p->fd);
		p->fd = -1;
	}
	wd_core_release(obj);
	wd_maps_close(obj);
	if (obj->btf_fd >= 0)
		close(obj->btf_fd);
	obj->btf_fd = -1;
	if (obj->sec_insns) {
		for (size_t i = 0; i < obj->spec->nr_secs; i++)
			free(obj->sec_insns[i]);
		free(obj->sec_insns);
		obj->sec_insns = NULL;
	}
}

static int copy_sections(struct wd_object *obj)
{
	struct wd_spec *s = obj->spec;
	obj->sec_insns = calloc(s->nr_secs ? s->nr_secs : 1, sizeof(*obj->sec_insns));
	if (!obj->sec_insns)
		return -ENOMEM;
	for (size_t i = 0; i < s->nr_secs; i++) {
		size_t bytes = s->secs[i].insn_cnt * sizeof(struct bpf_insn);
		if (!(obj->sec_insns[i] = malloc(bytes)))
			return -ENOMEM;
		memcpy(obj->sec_insns[i], s->secs[i].insns, bytes);
	}
	return 0;
}

/* Initial slots of prog arrays (by program name) and map-in-maps (by map name). */
static int fill_init_slots(struct wd_object *obj)
{
	for (size_t i = 0; i < obj->nr_maps; i++) {
		struct wd_map *m = &obj->maps[i];
		for (size_t k = 0; k < m->spec->nr_init; k++) {
			const char *target = m->spec->init[k].target;
			uint32_t slot = m->spec->init[k].slot;
			int fd = -1, err;
			if (m->type == BPF_MAP_TYPE_PROG_ARRAY) {
				struct wd_prog *p = wd_object_prog(obj, target);
				if (p && !p->autoload) {
					/* left out on purpose (warden verify loads one
					 * program at a time): the slot stays empty */
					wd_debug("map '%s': slot %u names '%s', which is not "
						 "loaded: left empty", m->name, slot, target);
					continue;
				}
				fd = p ? p->fd : -1;
			} else {
				struct wd_map *t = wd_object_map(obj, target);
				fd = t ? t->fd : -1;
			}
			if (fd < 0)
				return wd_err(-ENOENT, "map '%s': slot %u names '%s', which was not loaded",
					      m->name, slot, target);
			err = wd_sys_map_update(m->fd, &slot, &fd, 0);
			if (err)
				return wd_err(err, "map '%s': cannot set slot %u to '%s': %s",
					      m->name, slot, target, strerror(-err));
		}
	}
	return 0;
}

int wd_object_load(struct wd_object *obj, const struct wd_load_opts *opts)
{
	int err;
	if (!obj)
		return -EINVAL;
	if (obj->loaded)
		return wd_err(-EBUSY, "object '%s' is already loaded", obj->name);
	wd_err_clear();
	obj->failed_prog = NULL;
	memset(&obj->lopts, 0, sizeof(obj->lopts));
	wd_opts_copy(&obj->lopts, sizeof(obj->lopts), opts);
	obj->lopts.sz = sizeof(obj->lopts);
	if (!obj->lopts.no_memlock && (err = wd_memlock_raise()))
		goto err;
	if ((err = wd_object_load_btf(obj)) || (err = wd_externs_resolve(obj)) ||
	    (err = wd_maps_create(obj)) || (err = copy_sections(obj)) ||
	    (err = wd_core_relocate(obj)) || (err = wd_load_progs(obj)) ||
	    (err = fill_init_slots(obj)))
		goto err;
	obj->loaded = true;
	return 0;
err:
	wd_err_prefix("load '%s': ", obj->name);
	unload(obj);
	return err;
}

void wd_object_close(struct wd_object *obj)
{
	if (!obj)
		return;
	while (obj->deps)
		obj->deps->release(obj->deps);
	unload(obj);
	for (size_t i = 0; i < obj->nr_progs; i++) {
		free(obj->progs[i].name);
		free(obj->progs[i].sec_name);
		free(obj->progs[i].log);
		wd_asm_free(&obj->progs[i].img);
	}
	for (size_t i = 0; i < obj->nr_maps; i++) {
		free(obj->maps[i].name);
		free(obj->maps[i].data);
	}
	free(obj->progs);
	free(obj->maps);
	free(obj->name);
	free(obj->btf_path);
	free(obj->kconfig_path);
	wd_spec_free(obj->spec);
	free(obj);
}

/* ---- programs ------------------------------------------------------------- */

struct wd_prog *wd_object_prog(const struct wd_object *obj, const char *name)
{
	for (size_t i = 0; i < obj->nr_progs; i++)
		if (!strcmp(obj->progs[i].name, name))
			return &obj->progs[i];
	errno = ENOENT;
	return NULL;
}

struct wd_prog *wd_object_next_prog(const struct wd_object *obj, const struct wd_prog *prev)
{
	size_t i = prev ? (size_t)(prev - obj->progs) + 1 : 0;
	return i < obj->nr_progs ? &obj->progs[i] : NULL;
}

const char *wd_prog_name(const struct wd_prog *p) { return p->name; }
const char *wd_prog_section(const struct wd_prog *p) { return p->sec_name; }
int wd_prog_fd(const struct wd_prog *p) { return p->fd; }
unsigned int wd_prog_type(const struct wd_prog *p) { return p->type; }
unsigned int wd_prog_expected_attach_type(const struct wd_prog *p) { return p->expected_attach_type; }
size_t wd_prog_insn_cnt(const struct wd_prog *p) { return p->img.insn_cnt ? p->img.insn_cnt : p->func->cnt; }
const char *wd_prog_log(const struct wd_prog *p) { return p->log; }
struct wd_prog *wd_object_failed_prog(const struct wd_object *obj) { return obj->failed_prog; }
int wd_prog_fail_insn(const struct wd_prog *p) { return p->fail_insn; }

int wd_prog_set_autoload(struct wd_prog *p, bool autoload)
{
	if (p->obj->loaded)
		return wd_err(-EBUSY, "program '%s': object already loaded", p->name);
	p->autoload = autoload;
	return 0;
}

int wd_prog_set_type(struct wd_prog *p, unsigned int type, unsigned int expected_attach)
{
	if (p->obj->loaded)
		return wd_err(-EBUSY, "program '%s': object already loaded", p->name);
	p->type = type;
	p->expected_attach_type = expected_attach;
	return 0;
}

int wd_prog_test_run(const struct wd_prog *p, const void *data, size_t size,
		     uint32_t *retval, uint32_t *duration_ns)
{
	if (p->fd < 0)
		return wd_err(-EBADF, "program '%s' is not loaded", p->name);
	int err = wd_sys_prog_test_run(p->fd, data, size, NULL, NULL, NULL, 0, 1, retval, duration_ns);
	return err ? wd_err(err, "test run of '%s': %s", p->name, strerror(-err)) : 0;
}

/* ---- maps --------------------------------------------------------------- */

struct wd_map *wd_object_map(const struct wd_object *obj, const char *name)
{
	for (size_t i = 0; i < obj->nr_maps; i++)
		if (!strcmp(obj->maps[i].name, name))
			return &obj->maps[i];
	/* global data by its section name: ".data", ".rodata", ".bss" */
	for (size_t i = 0; name[0] == '.' && i < obj->nr_maps; i++) {
		const char *n = obj->maps[i].name, *dot = strchr(n, '.');
		if (obj->maps[i].spec->kind != WD_MAP_USER && dot && !strcmp(dot, name))
			return &obj->maps[i];
	}
	errno = ENOENT;
	return NULL;
}

struct wd_map *wd_object_next_map(const struct wd_object *obj, const struct wd_map *prev)
{
	size_t i = prev ? (size_t)(prev - obj->maps) + 1 : 0;
	while (i < obj->nr_maps && obj->maps[i].spec->is_inner)
		i++;
	return i < obj->nr_maps ? &obj->maps[i] : NULL;
}

const char *wd_map_name(const struct wd_map *m) { return m->name; }
int wd_map_fd(const struct wd_map *m) { return m->fd; }
unsigned int wd_map_type(const struct wd_map *m) { return m->type; }
uint32_t wd_map_key_size(const struct wd_map *m) { return m->key_size; }
uint32_t wd_map_value_size(const struct wd_map *m) { return m->value_size; }

int wd_map_set_type(struct wd_map *m, unsigned int type, uint32_t key_size, uint32_t value_size)
{
	if (m->obj->loaded)
		return wd_err(-EBUSY, "map '%s': object already loaded", m->name);
	m->type = type;
	m->key_size = key_size;
	m->value_size = value_size;
	m->retyped = true;
	return 0;
}
uint32_t wd_map_max_entries(const struct wd_map *m) { return m->max_entries; }

int wd_map_set_max_entries(struct wd_map *m, uint32_t n)
{
	if (m->obj->loaded)
		return wd_err(-EBUSY, "map '%s': object already loaded", m->name);
	m->max_entries = n;
	return 0;
}

void *wd_map_initial_value(struct wd_map *m, size_t *size)
{
	if (size)
		*size = m->data ? m->spec->data_size : 0;
	return m->obj->loaded ? NULL : m->data;
}

int wd_object_set_global(struct wd_object *obj, const char *var, const void *val, size_t size)
{
	const struct wd_btf *btf = obj->spec->btf;
	if (obj->loaded)
		return wd_err(-EBUSY, "set '%s': object already loaded", var);
	if (!btf)
		return wd_err(-ENOENT, "set '%s': the object has no BTF to find variables by name", var);
	for (size_t i = 0; i < obj->nr_maps; i++) {
		struct wd_map *m = &obj->maps[i];
		const struct btf_type *sec = wd_btf_type(btf, m->spec->btf_value_type_id);
		if (!m->data || m->spec->kind == WD_MAP_KCONFIG || !m->spec->btf_value_type_id)
			continue;
		const struct btf_var_secinfo *vs = btf_extra(sec);
		for (int k = 0; k < btf_vlen_of(sec); k++) {
			if (strcmp(wd_btf_name(btf, vs[k].type), var))
				continue;
			if (size != vs[k].size)
				return wd_err(-EINVAL, "set '%s': variable is %u bytes, not %zu",
					      var, vs[k].size, size);
			memcpy((char *)m->data + vs[k].offset, val, size);
			return 0;
		}
	}
	return wd_err(-ENOENT, "set '%s': no such global variable", var);
}
