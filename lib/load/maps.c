// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Map creation (with inner maps, global data, pinning) and map operations. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "host/cpus.h"
#include "internal.h"
#include "map_explain.h"

#define BPF_FS_MAGIC 0xcafe4a11
#define DEFAULT_PIN_ROOT "/sys/fs/bpf"

static uint32_t ringbuf_size(uint32_t want)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), sz;
	if (!want)
		return 0; /* the kernel's error, as the user wrote it */
	for (sz = page; sz <= UINT32_MAX; sz <<= 1)
		if (sz >= want)
			return (uint32_t)sz;
	return want;
}

/* Map types whose kernel side refuses BTF key/value types (map_check_btf is
 * map_check_no_btf: ENOTSUPP).  Created without them from the start, as
 * libbpf does: the refused create is not free (a SOCKMAP refused for its
 * BTF took 25 ms on a 6.18 host, 9 times what the whole corpus object
 * st_test_sk_lookup.o takes to load without it). */
static bool refuses_btf(uint32_t type)
{
	switch (type) {
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY: case BPF_MAP_TYPE_CGROUP_ARRAY:
	case BPF_MAP_TYPE_STACK_TRACE: case BPF_MAP_TYPE_ARRAY_OF_MAPS:
	case BPF_MAP_TYPE_HASH_OF_MAPS: case BPF_MAP_TYPE_DEVMAP:
	case BPF_MAP_TYPE_DEVMAP_HASH: case BPF_MAP_TYPE_CPUMAP:
	case BPF_MAP_TYPE_XSKMAP: case BPF_MAP_TYPE_SOCKMAP:
	case BPF_MAP_TYPE_SOCKHASH: case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK:
		return true;
	}
	return false;
}

static void fill_create_args(const struct wd_map *m, struct wd_map_create_args *a, int btf_fd)
{
	const struct wd_map_spec *s = m->spec;
	memset(a, 0, sizeof(*a));
	a->type = m->type;                 /* the object's, set from the spec or by */
	a->key_size = m->key_size;         /* wd_map_set_type() */
	a->value_size = m->value_size;
	a->max_entries = m->max_entries;
	a->flags = s->map_flags;
	a->numa_node = s->numa_node;
	a->map_extra = s->map_extra;
	a->name = m->name;
	/* Kernel 4.x perf event arrays want one slot per CPU: 0 means "all". */
	if (a->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY && !a->max_entries)
		a->max_entries = wd_cpu_possible_bound();   /* indexed by CPU id */
	/* Ring buffers keep no key/value (the kernel rejects both), and their
	 * size must be a power-of-2 multiple of the page size: rounded up, as
	 * libbpf does (adjust_ringbuf_sz()), so "256 * 1024" and "1000" work. */
	if (a->type == BPF_MAP_TYPE_RINGBUF || a->type == BPF_MAP_TYPE_USER_RINGBUF) {
		a->key_size = a->value_size = 0;
		a->max_entries = ringbuf_size(a->max_entries);
	}
	if (btf_fd >= 0 && s->btf_value_type_id && !m->retyped && !refuses_btf(a->type)) {
		a->btf_fd = btf_fd;
		a->btf_key_type_id = s->btf_key_type_id;
		a->btf_value_type_id = s->btf_value_type_id;
	}
	/* struct_ops: the value is a kernel type, named by id in vmlinux; the
	 * kernel still wants the object's BTF fd (map_create(), since 5.6) */
	if (s->kind == WD_MAP_STRUCT_OPS && !m->retyped) {
		a->btf_fd = btf_fd >= 0 ? btf_fd : 0;
		a->btf_vmlinux_value_type_id = wd_struct_ops_vtype_id(m);
	}
}

/* A struct_ops map: no retry without BTF (the kernel needs it). */
static int create_struct_ops(struct wd_map *m, const struct wd_map_create_args *a)
{
	int fd;
	if (!a->btf_fd)
		return wd_err(-EINVAL, "map '%s': a struct_ops map needs the object's BTF in the "
			      "kernel, and %s", m->name, !m->obj->spec->btf ?
			      "the object has none (build with clang -g)" : m->obj->btf_note[0] ?
			      "the kernel refused it (see the warning)" :
			      "this kernel takes no BTF (BPF_BTF_LOAD)");
	fd = wd_sys_map_create(a);
	if (fd == -EINVAL && (a->flags & WD_BPF_F_LINK))
		return wd_err(fd, "map '%s': create failed: %s; it is in SEC(\".struct_ops.link\"), "
			      "which needs kernel 6.4 or later (BPF_F_LINK): use SEC(\".struct_ops\") "
			      "here", m->name, strerror(-fd));
	return fd < 0 ? wd_map_create_failed(m->name, a, fd) : fd;
}

static int create_one(struct wd_map *m, int inner_fd)
{
	struct wd_map_create_args a;
	int fd;
	fill_create_args(m, &a, m->obj->btf_fd);
	a.inner_map_fd = inner_fd > 0 ? inner_fd : 0;
	if (a.btf_vmlinux_value_type_id)
		return create_struct_ops(m, &a);
	fd = wd_sys_map_create(&a);
	if (fd < 0 && a.btf_fd && fd != -EPERM) {
		/* BTF the kernel rejects for this map (older kernels know fewer
		 * value types): a map without BTF still works. */
		wd_debug("map '%s': creation with BTF failed (%s), retrying without BTF",
			 m->name, strerror(-fd));
		a.btf_fd = a.btf_key_type_id = a.btf_value_type_id = 0;
		fd = wd_sys_map_create(&a);
	}
	if (fd == -EINVAL && m->name) {
		/* Map names arrived in 4.15: retry anonymous. */
		a.name = NULL;
		int fd2 = wd_sys_map_create(&a);
		if (fd2 >= 0) {
			wd_debug("map '%s': kernel refused the map name, created without it", m->name);
			fd = fd2;
		}
	}
	if (fd < 0 && fd != -EPERM && m->obj->btf_note[0] && m->spec->btf_value_type_id)
		return wd_err(fd, "map '%s': create failed: %s; it may need the object's BTF, "
			      "which the kernel refused (see the warning)", m->name, strerror(-fd));
	if (fd < 0) /* ENOMEM, E2BIG, EPERM, EINVAL explained: map_explain.c */
		return wd_map_create_failed(m->name, &a, fd);
	return fd;
}

static struct wd_map *map_by_spec(struct wd_object *obj, int idx)
{
	return idx >= 0 && (size_t)idx < obj->nr_maps ? &obj->maps[idx] : NULL;
}

static int map_compatible(const struct wd_map *m, int fd)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	memset(&info, 0, sizeof(info));
	if (wd_sys_obj_info(fd, &info, &len))
		return 0;
	struct wd_map_create_args want;
	fill_create_args(m, &want, -1);   /* sizes as created (ring buffers rounded) */
	return info.type == want.type && info.key_size == want.key_size &&
	       info.value_size == want.value_size && info.max_entries == want.max_entries &&
	       info.map_flags == want.flags;
}

static void pin_name(const char *name, char *out, size_t size);

static int pin_path(const struct wd_map *m, char *buf, size_t size)
{
	const char *dir = m->obj->lopts.pin_dir ? m->obj->lopts.pin_dir : DEFAULT_PIN_ROOT;
	char base[256];
	pin_name(m->name, base, sizeof(base));
	int n = snprintf(buf, size, "%s/%s", dir, base);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* LIBBPF_PIN_BY_NAME: reuse a compatible pinned map, or pin the new one. */
static int reuse_pinned(struct wd_map *m)
{
	char path[4096];
	int fd, err;
	if (m->spec->pinning != 1)
		return 0;
	if ((err = pin_path(m, path, sizeof(path))))
		return wd_err(err, "map '%s': pin path too long", m->name);
	fd = wd_sys_obj_get(path, 0);
	if (fd < 0)
		return 0;
	if (!map_compatible(m, fd)) {
		close(fd);
		return wd_err(-EEXIST, "map '%s': pinned map %s has another type, size or flags; "
			      "remove the pin or rename the map", m->name, path);
	}
	m->fd = fd;
	m->reused = true;
	wd_debug("map '%s': reusing pinned %s", m->name, path);
	return 0;
}

static int pin_new(struct wd_map *m)
{
	char path[4096];
	int err;
	if (m->spec->pinning != 1 || m->reused)
		return 0;
	if ((err = pin_path(m, path, sizeof(path))))
		return err;
	if (!m->obj->lopts.pin_dir && (err = wd_bpffs_ensure(DEFAULT_PIN_ROOT)) < 0)
		return err;
	return wd_map_pin(m, path);
}

static int init_data(struct wd_map *m)
{
	uint32_t zero = 0;
	int err;
	/* a struct_ops map's data is the object's layout; its value is written
	 * when it is registered (attach) */
	if (!m->data || m->reused || m->spec->kind == WD_MAP_STRUCT_OPS)
		return 0;
	err = wd_sys_map_update(m->fd, &zero, m->data, 0);
	if (err)
		return wd_err(err, "map '%s': cannot write initial data: %s", m->name, strerror(-err));
	if (m->spec->kind == WD_MAP_RODATA || m->spec->kind == WD_MAP_KCONFIG) {
		/* BPF_MAP_FREEZE arrived in 5.2; before it read-only data is
		 * only read-only for programs, which is what matters. */
		err = wd_sys_map_freeze(m->fd);
		if (err && err != -EINVAL)
			return wd_err(err, "map '%s': freeze failed: %s", m->name, strerror(-err));
	}
	return 0;
}

int wd_maps_create(struct wd_object *obj)
{
	int st_err = wd_struct_ops_prepare(obj);
	if (st_err)
		return st_err;
	for (size_t i = 0; i < obj->nr_maps; i++) {
		struct wd_map *m = &obj->maps[i], *inner;
		int inner_fd = -1, err;
		if (m->spec->is_inner)
			continue;
		if ((err = reuse_pinned(m)))
			return err;
		if (m->fd < 0) {
			if ((inner = map_by_spec(obj, m->spec->inner))) {
				inner_fd = create_one(inner, -1);
				if (inner_fd < 0)
					return inner_fd;
			}
			m->fd = create_one(m, inner_fd);
			if (inner_fd >= 0)
				close(inner_fd);
			if (m->fd < 0) {
				int e = m->fd;
				m->fd = -1;
				return e;
			}
		}
		if ((err = init_data(m)) || (err = pin_new(m)))
			return err;
	}
	return 0;
}

void wd_maps_close(struct wd_object *obj)
{
	for (size_t i = 0; i < obj->nr_maps; i++) {
		if (obj->maps[i].fd >= 0)
			close(obj->maps[i].fd);
		obj->maps[i].fd = -1;
		obj->maps[i].reused = false;
		wd_struct_ops_release(&obj->maps[i]);
	}
}

/* ---- operations ----------------------------------------------------------- */

static int map_op_err(const struct wd_map *m, const char *op, int err)
{
	if (err == -ENOENT)
		return err; /* "no such key" is an answer, not a failure to report */
	return wd_err(err, "map '%s': %s: %s", m->name, op, strerror(-err));
}

int wd_map_lookup(const struct wd_map *m, const void *key, void *value)
{
	int err = wd_sys_map_lookup(m->fd, key, value, 0);
	return err ? map_op_err(m, "lookup", err) : 0;
}

int wd_map_update(const struct wd_map *m, const void *key, const void *value, uint64_t flags)
{
	int err = wd_sys_map_update(m->fd, key, value, flags);
	return err ? map_op_err(m, "update", err) : 0;
}

int wd_map_delete(const struct wd_map *m, const void *key)
{
	int err = wd_sys_map_delete(m->fd, key);
	return err ? map_op_err(m, "delete", err) : 0;
}

int wd_map_next_key(const struct wd_map *m, const void *key, void *next_key)
{
	int err = wd_sys_map_next_key(m->fd, key, next_key);
	return err ? map_op_err(m, "next key", err) : 0;
}

/* Fallback for kernels without BPF_MAP_LOOKUP_BATCH (before 5.6): walk the
 * keys one by one.  Not atomic against concurrent updates, like the batch. */
static int lookup_by_iteration(const struct wd_map *m, void *keys, void *values, uint32_t *count)
{
	uint32_t ks = m->key_size, vs = m->value_size, n = 0, cap = *count;
	const void *prev = NULL;
	while (n < cap) {
		char *k = (char *)keys + (size_t)n * ks;
		int err = wd_sys_map_next_key(m->fd, prev, k);
		if (err == -ENOENT)
			break;
		if (err)
			return map_op_err(m, "next key", err);
		err = wd_sys_map_lookup(m->fd, k, (char *)values + (size_t)n * vs, 0);
		if (err == -ENOENT)
			continue; /* deleted meanwhile */
		if (err)
			return map_op_err(m, "lookup", err);
		prev = k;
		n++;
	}
	*count = n;
	return 0;
}

int wd_map_lookup_batch(const struct wd_map *m, void *keys, void *values, uint32_t *count)
{
	uint64_t out_batch = 0;
	uint32_t n = *count;
	int err = wd_sys_map_lookup_batch(m->fd, NULL, &out_batch, keys, values, &n);
	if (err == -EINVAL || err == -EOPNOTSUPP || err == -524) {
		wd_debug("map '%s': batch lookup unsupported (%d), iterating keys", m->name, err);
		return lookup_by_iteration(m, keys, values, count);
	}
	if (err && err != -ENOENT)
		return map_op_err(m, "batch lookup", err);
	*count = n;
	return 0;
}

/* ---- pinning -------------------------------------------------------------- */

int wd_bpffs_ensure(const char *dir)
{
	struct statfs st;
	if (statfs(dir, &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return wd_err(-errno, "cannot create %s: %s", dir, strerror(errno));
	if (mount("bpf", dir, "bpf", 0, "mode=0700"))
		return wd_err(-errno, "bpffs is not mounted at %s and mounting it failed: %s "
			      "(run as root, or: mount -t bpf bpf %s)", dir, strerror(errno), dir);
	fprintf(stderr, "warden: mounted bpffs at %s\n", dir);
	return 1;
}

static bool on_bpffs(const char *path)
{
	char dir[4096];
	struct statfs st;
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = '\0';
	return statfs(dir, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

static int pin_fd(int fd, const char *what, const char *path)
{
	int err;
	if (fd < 0)
		return wd_err(-EBADF, "pin %s: not loaded", what);
	if (!on_bpffs(path))
		return wd_err(-EINVAL, "pin %s: %s is not on a bpffs mount (mount -t bpf bpf DIR)",
			      what, path);
	err = wd_sys_obj_pin(fd, path);
	return err ? wd_err(err, "pin %s at %s: %s", what, path, strerror(-err)) : 0;
}

int wd_map_pin(const struct wd_map *m, const char *path)
{
	return pin_fd(m->fd, m->name, path);
}

int wd_prog_pin(const struct wd_prog *p, const char *path)
{
	return pin_fd(p->fd, p->name, path);
}

int wd_map_unpin(const char *path)
{
	if (unlink(path))
		return wd_err(-errno, "unpin %s: %s", path, strerror(errno));
	return 0;
}

int wd_obj_get(const char *path)
{
	int fd = wd_sys_obj_get(path, 0);
	return fd < 0 ? wd_err(fd, "open pinned %s: %s", path, strerror(-fd)) : fd;
}

/* bpffs refuses names with '.' (bpf_lookup() in kernel/bpf/inode.c, "don't
 * allow '.' in names", since 4.4): internal maps (obj.rodata, obj.bss) are
 * pinned with '_' in their place, as libbpf's pin paths do. */
static void pin_name(const char *name, char *out, size_t size)
{
	snprintf(out, size, "%s", name);
	for (char *c = out; *c; c++)
		if (*c == '.')
			*c = '_';
}

/* What sits at `path`, for "... is in the way" messages. */
static void describe_existing(const char *path, char *out, size_t size)
{
	char link[64], fdpath[64];
	struct stat st;
	int fd;
	ssize_t n;
	if (lstat(path, &st)) {
		snprintf(out, size, "something");
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(out, size, S_ISDIR(st.st_mode) ? "a directory" : "a file");
		return;
	}
	fd = wd_sys_obj_get(path, 0);
	if (fd < 0) {
		snprintf(out, size, "a file");
		return;
	}
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	n = readlink(fdpath, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	/* anon_inode:bpf-map, anon_inode:bpf-prog, anon_inode:bpf_link */
	snprintf(out, size, strstr(link, "map") ? "a pinned map" : strstr(link, "prog") ?
		 "a pinned program" : strstr(link, "link") ? "a pinned link" : "a pinned BPF object");
	close(fd);
}

struct pin_undo {
	char **paths;
	size_t n;
	bool made_dir, made_maps_dir;
};

static int pin_one(struct pin_undo *u, int fd, const char *what, const char *dir,
		   const char *sub, const char *name)
{
	char path[4096], base[256], in_way[64];
	char **grown;
	int err, n;
	pin_name(name, base, sizeof(base));
	n = snprintf(path, sizeof(path), "%s%s/%s", dir, sub, base);
	if (n < 0 || (size_t)n >= sizeof(path))
		return wd_err(-ENAMETOOLONG, "pin %s: path too long under %s", what, dir);
	if ((err = pin_fd(fd, what, path))) {
		if (err == -EEXIST) {
			describe_existing(path, in_way, sizeof(in_way));
			return wd_err(err, "pin %s: %s is in the way at %s: remove it "
				      "(rm %s) or pin into another directory", what, in_way, path, path);
		}
		return err;
	}
	grown = realloc(u->paths, (u->n + 1) * sizeof(*u->paths));
	if (!grown || !(grown[u->n] = strdup(path))) {
		if (grown)
			u->paths = grown;
		unlink(path);
		return wd_err(-ENOMEM, "pin %s: out of memory", what);
	}
	u->paths = grown;
	u->n++;
	return 0;
}

/* Remove what this pin made, newest first; keep it when `keep`. */
static void pin_undo_finish(struct pin_undo *u, const char *dir, bool keep)
{
	char path[4096];
	for (size_t i = u->n; i-- > 0;) {
		if (!keep)
			unlink(u->paths[i]);
		free(u->paths[i]);
	}
	free(u->paths);
	if (keep)
		return;
	snprintf(path, sizeof(path), "%s/maps", dir);
	if (u->made_maps_dir)
		rmdir(path);
	if (u->made_dir)
		rmdir(dir);
}

static int mkdir_on_bpffs(const char *dir, bool *made)
{
	*made = false;
	if (mkdir(dir, 0700) == 0) {
		*made = true;
		return 0;
	}
	if (errno != EEXIST)
		return wd_err(-errno, "cannot create %s: %s", dir, strerror(errno));
	return 0;
}

static int pin_all(const struct wd_object *obj, const char *dir, struct pin_undo *u)
{
	char path[4096];
	int err;
	if ((err = mkdir_on_bpffs(dir, &u->made_dir)))
		return err;
	snprintf(path, sizeof(path), "%s/maps", dir);
	if ((err = mkdir_on_bpffs(path, &u->made_maps_dir)))
		return err;
	for (size_t i = 0; i < obj->nr_progs; i++) {
		const struct wd_prog *p = &obj->progs[i];
		if (p->fd >= 0 && (err = pin_one(u, p->fd, p->name, dir, "", p->name)))
			return err;
	}
	for (size_t i = 0; i < obj->nr_maps; i++) {
		const struct wd_map *m = &obj->maps[i];
		if (m->fd >= 0 && (err = pin_one(u, m->fd, m->name, dir, "/maps", m->name)))
			return err;
	}
	return 0;
}

/* DIR/<prog> and DIR/maps/<map>, as `bpftool prog loadall ... pinmaps` does.
 * DIR must be on bpffs; /sys/fs/bpf is mounted when missing.  All or
 * nothing: a pin that fails part-way removes the pins (and directories) it
 * made. */
int wd_object_pin(const struct wd_object *obj, const char *dir)
{
	struct pin_undo u = { 0 };
	int err;
	if (!strncmp(dir, DEFAULT_PIN_ROOT, strlen(DEFAULT_PIN_ROOT)) &&
	    (err = wd_bpffs_ensure(DEFAULT_PIN_ROOT)) < 0)
		return err;
	err = pin_all(obj, dir, &u);
	pin_undo_finish(&u, dir, err == 0);
	return err;
}
