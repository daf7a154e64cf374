// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * warden map show|dump|lookup|update|delete|pin|unpin: the maps loaded on
 * this host, read and changed through their BTF (bpftool's `map` family).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "btfval.h"
#include "cli.h"
#include "json.h"
#include "objinfo.h"
#include "warden/bpf.h"
#include "warden/btf.h"
#include "warden/features.h"
#include "warden/warden.h"

static const char map_usage[] =
	"usage: warden map show [MAP | name NAME] [-j]\n"
	"       warden map dump MAP [-j] [--no-batch]\n"
	"       warden map lookup MAP KEY [-j]\n"
	"       warden map update MAP KEY VALUE [any|noexist|exist]\n"
	"       warden map delete MAP KEY\n"
	"       warden map pin MAP PATH\n"
	"       warden map unpin PATH\n"
	"\n"
	"MAP   ID | id ID | pinned PATH | name NAME (a name must match one map)\n"
	"KEY   key [hex] BYTE... | key-json JSON\n"
	"VALUE value [hex] BYTE... | value-json JSON\n"
	"\n"
	"BYTEs are decimal or 0x hex (all hex after 'hex'), as bpftool takes them, and\n"
	"must give exactly key_size (value_size) bytes.  Where the map's BTF says the\n"
	"key (value) is an integer or an enum, one number is that integer: 'key 7'.\n"
	"JSON follows the BTF type: {\"member\": ...} for structs and unions, [...]\n"
	"for arrays, \"text\" for char arrays, enum values by name or number; members\n"
	"left out are zero.  A per-CPU map's value is set to the same value on every\n"
	"CPU.  Keys and values print through the map's BTF (enums by name, char\n"
	"arrays as strings, per-CPU values per CPU), as hex bytes without BTF.\n"
	"\n"
	"  -j, --json    typed JSON: numbers as numbers, structs as objects\n"
	"  --no-batch    dump one key at a time even where BPF_MAP_LOOKUP_BATCH exists\n"
	"  -h, --help    this text\n"
	"\n"
	"show adds the types of key and value, owners as comm(pid) and pin paths.\n"
	"Prog arrays and map-in-map print the program / map ids they hold; ring\n"
	"buffers, perf event arrays and other maps without entries say what they\n"
	"are.  Exit 0 on success, 1 when the kernel refuses, 2 on bad input (unknown\n"
	"map, a key of the wrong size, a value that does not parse).\n";

/* The kernel's internal ENOTSUPP (include/linux/errno.h), which some
 * kernels leak from BPF_MAP_LOOKUP_BATCH on map types without batch ops. */
#define ENOTSUPP_KERNEL 524

static bool opt_json, opt_no_batch;

/* One line on stderr: exit status 2 for bad input, 1 when the kernel refuses. */
#define bad(...) cli_bad_input("map", __VA_ARGS__)
#define fail(...) cli_fail("map", __VA_ARGS__)

/* ---- CPUs --------------------------------------------------------------- */

/* Per-CPU values come as one slot per possible CPU (a count, not the
 * highest id: "0,2-5" gives five). */
static int possible_cpus(void)
{
	int n = wd_cpu_possible_count();

	return n > 0 ? n : 1;
}

/* ---- one map ------------------------------------------------------------ */

struct map {
	int fd;
	struct bpf_map_info info;
	struct wd_btf *btf;         /* NULL: hex */
	uint32_t key_type, value_type;
	bool percpu;
	uint32_t slot;              /* per-CPU: value_size rounded up to 8 */
	size_t value_buf;           /* bytes a lookup writes */
};

static bool is_percpu(uint32_t type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

static bool holds_prog_ids(uint32_t t) { return t == BPF_MAP_TYPE_PROG_ARRAY; }
static bool holds_map_ids(uint32_t t)
{
	return t == BPF_MAP_TYPE_ARRAY_OF_MAPS || t == BPF_MAP_TYPE_HASH_OF_MAPS;
}

/* Maps whose entries cannot be read as key/value pairs: what they are. */
static const char *no_entries_note(uint32_t type)
{
	switch (type) {
	case BPF_MAP_TYPE_RINGBUF:
		return "a ring buffer: it carries events to a consumer, it has no entries to read "
		       "(consume it with the program's reader, e.g. warden trace-exec)";
	case 31: /* BPF_MAP_TYPE_USER_RINGBUF, 6.1 */
		return "a user ring buffer: user space writes events into it, it has no entries";
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
		return "a perf event array: one perf buffer per CPU carries events to a consumer, "
		       "it has no entries to read";
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK:
		return "a queue/stack: it has no keys (elements are popped by the program)";
	case BPF_MAP_TYPE_BLOOM_FILTER:
		return "a bloom filter: it answers membership, it has no entries to list";
	case BPF_MAP_TYPE_STRUCT_OPS:
		return "a struct_ops map: it holds a kernel ops table, not entries";
	case BPF_MAP_TYPE_SK_STORAGE:
	case 28: /* BPF_MAP_TYPE_INODE_STORAGE */
	case 29: /* BPF_MAP_TYPE_TASK_STORAGE */
	case 32: /* BPF_MAP_TYPE_CGRP_STORAGE */
		return "a local storage map: its entries live with their sockets, inodes, tasks or "
		       "cgroups and cannot be listed from user space";
	default:
		return NULL;
	}
}

static const char *map_type_str(uint32_t type)
{
	const char *t = wd_map_type_name(type);
	return t ? t : "unknown";
}

static void map_close(struct map *m)
{
	if (m->fd >= 0)
		close(m->fd);
	wd_btf_free(m->btf);
	m->fd = -1;
	m->btf = NULL;
}

/* Info and BTF of an open map fd; takes the fd. */
static int map_from_fd(int fd, struct map *m)
{
	uint32_t len = sizeof(m->info);
	int err;

	memset(m, 0, sizeof(*m));
	m->fd = fd;
	if ((err = wd_sys_obj_info(fd, &m->info, &len)))
		return err;
	m->percpu = is_percpu(m->info.type);
	m->slot = (m->info.value_size + 7) & ~7u;
	m->value_buf = m->percpu ? (size_t)m->slot * possible_cpus() : m->info.value_size;
	if (m->info.btf_id && (m->info.btf_key_type_id || m->info.btf_value_type_id)) {
		/* A map whose BTF cannot be read is still shown, in hex. */
		m->btf = wd_btf_load_id(m->info.btf_id);
		m->key_type = m->info.btf_key_type_id;
		m->value_type = m->info.btf_value_type_id;
		if (m->btf && ((m->value_type &&
				wd_btf_size(m->btf, m->value_type) != m->info.value_size) ||
			       (m->key_type && wd_btf_size(m->btf, m->key_type) != m->info.key_size))) {
			wd_btf_free(m->btf);
			m->btf = NULL;
		}
	}
	return 0;
}

static int map_by_id(uint32_t id, struct map *m)
{
	int fd = wd_sys_get_fd_by_id(BPF_MAP_GET_FD_BY_ID, id);
	if (fd == -ENOENT)
		return bad("no map with id %u (list them with 'warden map show')", id);
	if (fd < 0)
		return fail("map %u: %s%s", id, strerror(-fd),
			    fd == -EPERM ? " (needs CAP_SYS_ADMIN)" : "");
	if (map_from_fd(fd, m)) {
		map_close(m);
		return fail("map %u: cannot read its info: %s", id, strerror(errno));
	}
	return 0;
}

/* Every map id whose name is `name` (the kernel keeps 15 characters). */
static int ids_by_name(const char *name, uint32_t *ids, int cap)
{
	uint32_t id = 0;
	int n = 0;

	while (!wd_sys_get_next_id(BPF_MAP_GET_NEXT_ID, id, &id)) {
		struct bpf_map_info info = { 0 };
		uint32_t len = sizeof(info);
		int fd = wd_sys_get_fd_by_id(BPF_MAP_GET_FD_BY_ID, id);
		if (fd < 0)
			continue;
		if (!wd_sys_obj_info(fd, &info, &len) &&
		    !strncmp(info.name, name, sizeof(info.name) - 1) &&
		    (strlen(name) >= sizeof(info.name) - 1 || !strcmp(info.name, name)) && n < cap)
			ids[n++] = id;
		close(fd);
	}
	return n;
}

/* MAP at argv[*i]: ID | id ID | pinned PATH | name NAME.  0, or an exit code. */
static int map_ref(int argc, char **argv, int *i, struct map *m)
{
	enum obj_ref how;
	const char *arg;
	uint32_t id;
	int rc;

	m->fd = -1;
	m->btf = NULL;
	if ((rc = obj_ref_parse("map", "map", argc, argv, i, &how, &arg, &id)))
		return rc;
	if (how == OBJ_REF_PINNED) {
		int fd = wd_sys_obj_get(arg, 0);
		if (fd < 0)
			return bad("cannot open pinned map '%s': %s", arg, strerror(-fd));
		if (map_from_fd(fd, m)) {
			map_close(m);
			return bad("'%s' is not a BPF map", arg);
		}
		if (!m->info.id) {
			map_close(m);
			return bad("'%s' is not a BPF map", arg);
		}
		return 0;
	}
	if (how == OBJ_REF_NAME) {
		uint32_t ids[8];
		int n = ids_by_name(arg, ids, 8);
		if (n == 0)
			return bad("no map named '%s' (list them with 'warden map show')", arg);
		if (n > 1)
			return bad("%d maps are named '%s' (ids %u, %u%s): give the id", n, arg,
				   ids[0], ids[1], n > 2 ? ", ..." : "");
		return map_by_id(ids[0], m);
	}
	return map_by_id(id, m);
}

static const char *map_label(const struct map *m, char *buf, size_t size)
{
	snprintf(buf, size, "map %u '%s'", m->info.id, m->info.name);
	return buf;
}

/* ---- keys and values from the command line ------------------------------ */

static int parse_byte(const char *s, bool hex, uint8_t *b)
{
	char *end;
	unsigned long v;
	errno = 0;
	v = strtoul(s, &end, hex ? 16 : 0);
	if (!*s || *end || errno || v > 255 || s[0] == '-')
		return -EINVAL;
	*b = (uint8_t)v;
	return 0;
}

static bool is_keyword(const char *s)
{
	return !strcmp(s, "key") || !strcmp(s, "key-json") || !strcmp(s, "value") ||
	       !strcmp(s, "value-json") || !strcmp(s, "any") || !strcmp(s, "noexist") ||
	       !strcmp(s, "exist");
}

/* One integer for an integer/enum type of `size` bytes. */
static int parse_int_arg(const struct wd_btf *btf, uint32_t type, const char *s, uint8_t *buf,
			 size_t size, char *err, size_t err_size)
{
	return btfval_parse_json(btf, type, s, buf, size, err, err_size);
}

/*
 * `what` (key|value) at argv[*i]: "WHAT [hex] BYTE..." or "WHAT-json JSON".
 * Fills buf (size bytes).  0, or exit code 2 with one line.
 */
static int read_blob(const struct map *m, const char *what, uint32_t type, int argc, char **argv,
		     int *i, uint8_t *buf, size_t size)
{
	char jname[32], label[64], err[256];
	bool hex = false;
	size_t n = 0;
	int first;

	snprintf(jname, sizeof(jname), "%s-json", what);
	map_label(m, label, sizeof(label));
	if (*i >= argc)
		return bad("%s: missing %s (%s BYTE... or %s JSON)", label, what, what, jname);
	if (!strcmp(argv[*i], jname)) {
		if (*i + 1 >= argc)
			return bad("%s needs a JSON text", jname);
		if (!m->btf || !type)
			return bad("%s has no BTF: give the %s as bytes (%s BYTE...)", label, what, what);
		if (btfval_parse_json(m->btf, type, argv[*i + 1], buf, size, err, sizeof(err)))
			return bad("%s: %s '%s' does not parse: %s", label, what, argv[*i + 1], err);
		*i += 2;
		return 0;
	}
	if (strcmp(argv[*i], what))
		return bad("%s: expected '%s' or '%s', not '%s'", label, what, jname, argv[*i]);
	(*i)++;
	if (*i < argc && !strcmp(argv[*i], "hex")) {
		hex = true;
		(*i)++;
	}
	first = *i;
	while (*i < argc && !is_keyword(argv[*i]))
		(*i)++;
	if (*i == first)
		return bad("%s: '%s' needs %zu bytes", label, what, size);
	/* One number where BTF says integer: the integer itself. */
	if (*i - first == 1 && !hex && size > 1 && btfval_is_int(m->btf, type, size)) {
		if (parse_int_arg(m->btf, type, argv[first], buf, size, err, sizeof(err)))
			return bad("%s: %s '%s' does not parse: %s", label, what, argv[first], err);
		return 0;
	}
	if ((size_t)(*i - first) != size)
		return bad("%s: %s has %d byte%s, the map's %s_size is %zu", label, what, *i - first,
			   *i - first == 1 ? "" : "s", what, size);
	for (int a = first; a < *i; a++, n++)
		if (parse_byte(argv[a], hex, &buf[n]))
			return bad("%s: %s byte '%s' is not a number from 0 to 255%s", label, what,
				   argv[a], hex ? " in hex" : " (decimal, or 0x hex)");
	return 0;
}

/* ---- printing entries ---------------------------------------------------- */

static void print_id_ref(const struct map *m, uint32_t id, struct json *j)
{
	bool prog = holds_prog_ids(m->info.type);
	char name[BPF_OBJ_NAME_LEN] = "";
	int fd = wd_sys_get_fd_by_id(prog ? BPF_PROG_GET_FD_BY_ID : BPF_MAP_GET_FD_BY_ID, id);

	if (fd >= 0) {
		if (prog) {
			struct bpf_prog_info info = { 0 };
			uint32_t len = sizeof(info);
			if (!wd_sys_obj_info(fd, &info, &len))
				memcpy(name, info.name, sizeof(name));
		} else {
			struct bpf_map_info info = { 0 };
			uint32_t len = sizeof(info);
			if (!wd_sys_obj_info(fd, &info, &len))
				memcpy(name, info.name, sizeof(name));
		}
		close(fd);
	}
	name[sizeof(name) - 1] = '\0';
	if (j) {
		json_obj_open(j);
		json_kv_u64(j, prog ? "prog_id" : "map_id", id);
		json_kv_str(j, "name", name);
		json_obj_close(j);
	} else {
		printf("%s %u '%s'", prog ? "prog" : "map", id, name);
	}
}

static void print_part(const struct map *m, uint32_t type, const void *data, size_t size,
		       struct json *j)
{
	if (m->btf && type)
		j ? btfval_json(j, m->btf, type, data) : btfval_text(stdout, m->btf, type, data);
	else
		j ? hex_json(j, data, size) : hex_text(stdout, data, size);
}

static void print_value(const struct map *m, const uint8_t *v, struct json *j)
{
	if (holds_prog_ids(m->info.type) || holds_map_ids(m->info.type)) {
		uint32_t id;
		memcpy(&id, v, sizeof(id));
		return print_id_ref(m, id, j);
	}
	print_part(m, m->value_type, v, m->info.value_size, j);
}

static void print_entry(const struct map *m, const uint8_t *key, const uint8_t *val, struct json *j)
{
	int cpus = possible_cpus();

	if (j) {
		json_obj_open(j);
		json_key(j, "key");
		print_part(m, m->key_type, key, m->info.key_size, j);
		if (m->percpu) {
			json_key(j, "values");
			json_arr_open(j);
			for (int c = 0; c < cpus; c++) {
				json_obj_open(j);
				json_kv_u64(j, "cpu", (uint64_t)c);
				json_key(j, "value");
				print_value(m, val + (size_t)c * m->slot, j);
				json_obj_close(j);
			}
			json_arr_close(j);
		} else {
			json_key(j, "value");
			print_value(m, val, j);
		}
		json_obj_close(j);
		return;
	}
	fputs("key: ", stdout);
	print_part(m, m->key_type, key, m->info.key_size, NULL);
	if (!m->percpu) {
		fputs("  value: ", stdout);
		print_value(m, val, NULL);
		fputc('\n', stdout);
		return;
	}
	fputc('\n', stdout);
	for (int c = 0; c < cpus; c++) {
		printf("  cpu %d: ", c);
		print_value(m, val + (size_t)c * m->slot, NULL);
		fputc('\n', stdout);
	}
}

static void json_map_header(struct json *j, const struct map *m)
{
	json_kv_u64(j, "id", m->info.id);
	json_kv_str(j, "name", m->info.name);
	json_kv_str(j, "type", map_type_str(m->info.type));
	json_kv_u64(j, "key_size", m->info.key_size);
	json_kv_u64(j, "value_size", m->info.value_size);
	json_kv_u64(j, "max_entries", m->info.max_entries);
	json_kv_u64(j, "flags", m->info.map_flags);
	json_kv_bool(j, "btf", m->btf != NULL);
}

/* ---- dump ------------------------------------------------------------------ */

struct dump {
	struct map *m;
	struct json *j;
	uint64_t count;
};

static bool batch_type(uint32_t t)
{
	return t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_LRU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH || t == BPF_MAP_TYPE_ARRAY ||
	       t == BPF_MAP_TYPE_PERCPU_ARRAY;
}

/* Entries in chunks of up to 256 (1 MiB of values at most): the map is never
 * held whole.  -EOPNOTSUPP/-EINVAL before the first chunk: no batch here. */
static int dump_batch(struct dump *d)
{
	struct map *m = d->m;
	uint32_t cap = 256, ks = m->info.key_size ? m->info.key_size : 1;
	uint8_t in_tok[64], out_tok[64];
	bool first = true;
	int err = 0;

	if (m->value_buf * cap > (1u << 20))
		cap = (uint32_t)((1u << 20) / m->value_buf) ? (uint32_t)((1u << 20) / m->value_buf) : 1;
	/* The batch token is a key for arrays, a bucket index for hash maps. */
	if (ks > sizeof(in_tok))
		return -EOPNOTSUPP;
	uint8_t *keys = malloc((size_t)cap * ks), *vals = malloc(cap * m->value_buf);
	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (;;) {
		uint32_t count = cap;
		err = wd_sys_map_lookup_batch(m->fd, first ? NULL : in_tok, out_tok, keys, vals, &count);
		if (err == -ENOSPC && count == 0 && cap < (1u << 16)) {
			/* A hash bucket holds more entries than fit: bigger chunks. */
			uint8_t *k2 = realloc(keys, (size_t)cap * 2 * ks);
			if (k2)
				keys = k2;
			uint8_t *v2 = realloc(vals, (size_t)cap * 2 * m->value_buf);
			if (v2)
				vals = v2;
			if (!k2 || !v2) {
				err = -ENOMEM;
				break;
			}
			cap *= 2;
			continue;
		}
		if (err && err != -ENOENT) {
			if (!first)
				break;
			break; /* caller falls back */
		}
		for (uint32_t i = 0; i < count; i++, d->count++)
			print_entry(m, keys + (size_t)i * ks, vals + (size_t)i * m->value_buf, d->j);
		first = false;
		if (err == -ENOENT) {
			err = 0;
			break;
		}
		memcpy(in_tok, out_tok, sizeof(in_tok));
	}
	free(keys);
	free(vals);
	if (err && first)
		return err == -EINVAL || err == -EOPNOTSUPP || err == -ENOTSUPP_KERNEL ? -EOPNOTSUPP : err;
	return err;
}

static int dump_keys(struct dump *d)
{
	struct map *m = d->m;
	size_t ks = m->info.key_size ? m->info.key_size : 1;
	uint8_t *key = calloc(1, ks), *next = calloc(1, ks), *val = calloc(1, m->value_buf);
	bool first = true;
	int err = 0;

	if (!key || !next || !val) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		err = wd_sys_map_next_key(m->fd, first ? NULL : key, next);
		if (err == -ENOENT) {
			err = 0;
			break;
		}
		if (err)
			break;
		first = false;
		memcpy(key, next, ks);
		err = wd_sys_map_lookup(m->fd, key, val, 0);
		if (err == -ENOENT) /* deleted meanwhile, or an empty prog array slot */
			continue;
		if (err)
			break;
		print_entry(m, key, val, d->j);
		d->count++;
	}
out:
	free(key);
	free(next);
	free(val);
	return err;
}

static int cmd_dump(int argc, char **argv)
{
	struct map m;
	struct json j;
	struct dump d = { .m = &m, .j = opt_json ? &j : NULL };
	const char *note;
	char label[64];
	int i = 0, rc, err = -EOPNOTSUPP;

	if ((rc = map_ref(argc, argv, &i, &m)))
		return rc;
	if (i != argc) {
		map_close(&m);
		return bad("dump: unexpected '%s'", argv[i]);
	}
	map_label(&m, label, sizeof(label));
	if (opt_json) {
		json_begin(&j, stdout);
		json_key(&j, "map");
		json_obj_open(&j);
		json_map_header(&j, &m);
		json_obj_close(&j);
	}
	if ((note = no_entries_note(m.info.type)) || !m.info.key_size) {
		if (!note)
			note = "a map without keys: nothing to dump";
		if (opt_json) {
			json_kv_str(&j, "note", note);
			json_end(&j);
		} else {
			printf("%s is %s\n", label, note);
		}
		map_close(&m);
		return 0;
	}
	if (opt_json) {
		json_key(&j, "entries");
		json_arr_open(&j);
	}
	if (!opt_no_batch && batch_type(m.info.type) && wd_probe_batch_ops() == 1)
		err = dump_batch(&d);
	if (err == -EOPNOTSUPP && d.count == 0)
		err = dump_keys(&d);
	if (opt_json) {
		json_arr_close(&j);
		json_kv_u64(&j, "count", d.count);
		if (err)
			json_kv_str(&j, "error", strerror(-err));
		json_end(&j);
	} else {
		printf("%llu entr%s\n", (unsigned long long)d.count, d.count == 1 ? "y" : "ies");
	}
	map_close(&m);
	if (err)
		return fail("%s: reading entries failed after %llu: %s", label,
			    (unsigned long long)d.count, strerror(-err));
	return 0;
}

/* ---- lookup / update / delete ------------------------------------------- */

static int entries_only(const struct map *m)
{
	char label[64];
	const char *note = no_entries_note(m->info.type);
	if (!note && m->info.key_size)
		return 0;
	return bad("%s is %s", map_label(m, label, sizeof(label)),
		   note ? note : "a map without keys");
}

/* The map named on the command line, for commands on its entries, with a
 * key buffer and (val non-NULL) a value buffer: 0, or the exit status with
 * nothing left open. */
static int open_entries(int argc, char **argv, int *i, struct map *m, uint8_t **key,
			uint8_t **val)
{
	int rc = map_ref(argc, argv, i, m);
	if (rc)
		return rc;
	if ((rc = entries_only(m))) {
		map_close(m);
		return rc;
	}
	*key = calloc(1, m->info.key_size);
	if (val)
		*val = calloc(1, m->value_buf);
	if (!*key || (val && !*val)) {
		free(*key);
		if (val)
			free(*val);
		map_close(m);
		return fail("out of memory");
	}
	return 0;
}

static int cmd_lookup(int argc, char **argv)
{
	struct map m;
	int i = 0, rc, err;
	char label[64];

	uint8_t *key = NULL, *val = NULL;
	if ((rc = open_entries(argc, argv, &i, &m, &key, &val)))
		return rc;
	if ((rc = read_blob(&m, "key", m.key_type, argc, argv, &i, key, m.info.key_size)))
		goto out;
	if (i != argc) {
		rc = bad("lookup: unexpected '%s'", argv[i]);
		goto out;
	}
	map_label(&m, label, sizeof(label));
	err = wd_sys_map_lookup(m.fd, key, val, 0);
	if (err == -ENOENT) {
		rc = fail("%s: no entry with this key", label);
		goto out;
	}
	if (err) {
		rc = fail("%s: lookup failed: %s", label, strerror(-err));
		goto out;
	}
	if (opt_json) {
		struct json j;
		json_begin(&j, stdout);
		json_key(&j, "entry");
		print_entry(&m, key, val, &j);
		json_end(&j);
	} else {
		print_entry(&m, key, val, NULL);
	}
out:
	free(key);
	free(val);
	map_close(&m);
	return rc;
}

static int cmd_update(int argc, char **argv)
{
	struct map m;
	uint64_t flags = BPF_ANY;
	int i = 0, rc, err;
	char label[64];

	uint8_t *key = NULL, *val = NULL;
	if ((rc = open_entries(argc, argv, &i, &m, &key, &val)))
		return rc;
	map_label(&m, label, sizeof(label));
	if ((rc = read_blob(&m, "key", m.key_type, argc, argv, &i, key, m.info.key_size)))
		goto out;
	if (holds_prog_ids(m.info.type) || holds_map_ids(m.info.type)) {
		rc = bad("%s: its values are %s file descriptors; set them from the loader, not "
			 "from the command line", label, holds_prog_ids(m.info.type) ? "program" : "map");
		goto out;
	}
	if ((rc = read_blob(&m, "value", m.value_type, argc, argv, &i, val, m.info.value_size)))
		goto out;
	if (i < argc) {
		if (!strcmp(argv[i], "any"))
			flags = BPF_ANY;
		else if (!strcmp(argv[i], "noexist"))
			flags = BPF_NOEXIST;
		else if (!strcmp(argv[i], "exist"))
			flags = BPF_EXIST;
		else {
			rc = bad("update: unexpected '%s' (flags: any, noexist, exist)", argv[i]);
			goto out;
		}
		i++;
	}
	if (i != argc) {
		rc = bad("update: unexpected '%s'", argv[i]);
		goto out;
	}
	/* Per-CPU: the same value on every CPU. */
	if (m.percpu) {
		for (int c = possible_cpus() - 1; c >= 0; c--)
			memmove(val + (size_t)c * m.slot, val, m.info.value_size);
	}
	err = wd_sys_map_update(m.fd, key, val, flags);
	if (err)
		rc = fail("%s: update failed: %s%s", label, strerror(-err),
			  err == -EEXIST ? " (the key exists and 'noexist' was given)" :
			  err == -ENOENT ? " (no such key and 'exist' was given)" :
			  err == -E2BIG ? " (the map is full: max_entries)" :
			  err == -EPERM ? " (a frozen or read-only map, or no CAP_BPF)" : "");
out:
	free(key);
	free(val);
	map_close(&m);
	return rc;
}

static int cmd_delete(int argc, char **argv)
{
	struct map m;
	int i = 0, rc, err;
	char label[64];

	uint8_t *key = NULL;
	if ((rc = open_entries(argc, argv, &i, &m, &key, NULL)))
		return rc;
	map_label(&m, label, sizeof(label));
	if ((rc = read_blob(&m, "key", m.key_type, argc, argv, &i, key, m.info.key_size)))
		goto out;
	if (i != argc) {
		rc = bad("delete: unexpected '%s'", argv[i]);
		goto out;
	}
	err = wd_sys_map_delete(m.fd, key);
	if (err == -ENOENT)
		rc = fail("%s: no entry with this key", label);
	else if (err == -EINVAL && (m.info.type == BPF_MAP_TYPE_ARRAY ||
				    m.info.type == BPF_MAP_TYPE_PERCPU_ARRAY))
		rc = fail("%s: array entries cannot be deleted (set them to zero with update)", label);
	else if (err)
		rc = fail("%s: delete failed: %s", label, strerror(-err));
out:
	free(key);
	map_close(&m);
	return rc;
}

/* ---- show ------------------------------------------------------------------ */

/* Ids a prog array / map-in-map holds: "2:prog 45 'x'" per filled slot. */
static void show_held_ids(const struct map *m, struct json *j)
{
	uint32_t ks = m->info.key_size, n = 0, filled = 0;
	uint8_t key[64], next[64];
	uint32_t val;
	bool first = true;

	if (ks > sizeof(key) || m->info.value_size != sizeof(val))
		return;
	if (j) {
		json_key(j, "holds");
		json_arr_open(j);
	} else {
		printf("\tholds:");
	}
	while (!wd_sys_map_next_key(m->fd, first ? NULL : key, next) && n < 4096) {
		first = false;
		memcpy(key, next, ks);
		n++;
		if (wd_sys_map_lookup(m->fd, key, &val, 0))
			continue;
		filled++;
		if (j) {
			json_obj_open(j);
			json_key(j, "key");
			print_part(m, m->key_type, key, ks, j);
			json_key(j, holds_prog_ids(m->info.type) ? "prog_id" : "map_id");
			json_u64(j, val);
			json_obj_close(j);
		} else {
			fputs(" [", stdout);
			print_part(m, m->key_type, key, ks, NULL);
			fputs("]=", stdout);
			print_id_ref(m, val, NULL);
		}
	}
	if (j)
		json_arr_close(j);
	else
		fputs(filled ? "\n" : " nothing (every slot empty)\n", stdout);
}

static const char *type_name_of(const struct map *m, uint32_t id, char *buf, size_t size)
{
	const struct btf_type *t;
	if (!m->btf || !id || !(t = wd_btf_type(m->btf, id)))
		return NULL;
	const char *name = wd_btf_name(m->btf, id);
	int k = btf_kind_of(t);
	snprintf(buf, size, "%s%s", k == BTF_KIND_STRUCT ? "struct " : k == BTF_KIND_UNION ? "union " :
		 k == BTF_KIND_ENUM || k == BTF_KIND_ENUM64 ? "enum " : "",
		 name && *name ? name : wd_btf_kind_name(k));
	return buf;
}

static void show_one(const struct map *m, const struct host_objs *h, struct json *j)
{
	char kt[128], vt[128];
	const char *kn = type_name_of(m, m->key_type, kt, sizeof(kt));
	const char *vn = type_name_of(m, m->value_type, vt, sizeof(vt));
	bool ids = holds_prog_ids(m->info.type) || holds_map_ids(m->info.type);

	if (j) {
		json_obj_open(j);
		json_map_header(j, m);
		if (m->info.btf_id)
			json_kv_u64(j, "btf_id", m->info.btf_id);
		if (kn)
			json_kv_str(j, "key_type", kn);
		if (vn)
			json_kv_str(j, "value_type", vn);
		if (no_entries_note(m->info.type))
			json_kv_str(j, "note", no_entries_note(m->info.type));
		if (ids)
			show_held_ids(m, j);
		host_objs_print_owners(h, OBJ_MAP, m->info.id, j);
		json_obj_close(j);
		return;
	}
	printf("%u: %s  name %s  flags 0x%x\n", m->info.id, map_type_str(m->info.type), m->info.name,
	       m->info.map_flags);
	printf("\tkey %uB  value %uB  max_entries %u", m->info.key_size, m->info.value_size,
	       m->info.max_entries);
	if (m->info.btf_id)
		printf("  btf_id %u", m->info.btf_id);
	fputc('\n', stdout);
	if (kn || vn)
		printf("\tkey type %s  value type %s\n", kn ? kn : "-", vn ? vn : "-");
	if (no_entries_note(m->info.type))
		printf("\t%s\n", no_entries_note(m->info.type));
	if (ids)
		show_held_ids(m, NULL);
	host_objs_print_owners(h, OBJ_MAP, m->info.id, NULL);
}

static int cmd_show(int argc, char **argv)
{
	struct json j;
	struct map m;
	struct host_objs h;
	uint32_t id = 0;
	int i = 0, rc, shown = 0;

	if (argc > 0 && strcmp(argv[0], "name")) {
		if ((rc = map_ref(argc, argv, &i, &m)))
			return rc;
		if (i != argc) {
			map_close(&m);
			return bad("show: unexpected '%s'", argv[i]);
		}
		host_objs_scan(&h, true);
		if (opt_json) {
			json_begin(&j, stdout);
			json_key(&j, "maps");
			json_arr_open(&j);
		}
		show_one(&m, &h, opt_json ? &j : NULL);
		if (opt_json) {
			json_arr_close(&j);
			json_end(&j);
		}
		map_close(&m);
		host_objs_free(&h);
		return 0;
	}
	const char *name = argc >= 2 ? argv[1] : NULL;
	if (argc == 1)
		return bad("'name' needs an argument");
	if (argc > 2)
		return bad("show: unexpected '%s'", argv[2]);
	host_objs_scan(&h, true);
	if (opt_json) {
		json_begin(&j, stdout);
		json_key(&j, "maps");
		json_arr_open(&j);
	}
	while ((rc = wd_sys_get_next_id(BPF_MAP_GET_NEXT_ID, id, &id)) == 0) {
		int fd = wd_sys_get_fd_by_id(BPF_MAP_GET_FD_BY_ID, id);
		if (fd < 0)
			continue;
		if (map_from_fd(fd, &m) == 0 &&
		    (!name || !strncmp(m.info.name, name, sizeof(m.info.name) - 1))) {
			show_one(&m, &h, opt_json ? &j : NULL);
			shown++;
		}
		map_close(&m);
	}
	if (opt_json) {
		json_arr_close(&j);
		json_end(&j);
	}
	host_objs_free(&h);
	if (rc != -ENOENT)
		return fail("cannot list maps: %s%s", strerror(-rc),
			    rc == -EPERM ? " (needs CAP_SYS_ADMIN)" : "");
	if (name && !shown)
		return bad("no map named '%s'", name);
	return 0;
}

/* ---- pin / unpin ----------------------------------------------------------- */

static int cmd_pin(int argc, char **argv)
{
	struct map m;
	int i = 0, rc, err;
	char label[64];

	if ((rc = map_ref(argc, argv, &i, &m)))
		return rc;
	if (i + 1 != argc) {
		map_close(&m);
		return bad("pin: expected MAP PATH");
	}
	map_label(&m, label, sizeof(label));
	err = wd_sys_obj_pin(m.fd, argv[i]);
	map_close(&m);
	if (err)
		return fail("%s: cannot pin at '%s': %s%s", label, argv[i], strerror(-err),
			    err == -EEXIST ? " (something is pinned there already)" :
			    err == -EPERM || err == -EINVAL ? " (the path must be on a bpffs, e.g. /sys/fs/bpf)" : "");
	return 0;
}

static int cmd_unpin(int argc, char **argv)
{
	int fd;

	if (argc != 1)
		return bad("unpin: expected PATH");
	fd = wd_sys_obj_get(argv[0], 0);
	if (fd < 0)
		return bad("'%s' is not a pinned BPF object: %s", argv[0], strerror(-fd));
	close(fd);
	if (unlink(argv[0]))
		return fail("cannot unpin '%s': %s", argv[0], strerror(errno));
	return 0;
}

/* ---- dispatch ------------------------------------------------------------ */

/* The first is what `warden map` alone runs. */
static const struct cli_sub subcommands[] = {
	{ "show", cmd_show },     { "list", cmd_show },     { "dump", cmd_dump },
	{ "lookup", cmd_lookup }, { "update", cmd_update }, { "delete", cmd_delete },
	{ "pin", cmd_pin },       { "unpin", cmd_unpin },
};

/* Options may stand anywhere: take them out, keep the words in order. */
static int strip_options(int argc, char **argv, bool *help)
{
	int n = 0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			opt_json = true;
		else if (!strcmp(argv[i], "--no-batch"))
			opt_no_batch = true;
		else if (cli_is_help(argv[i]))
			*help = true;
		else if (argv[i][0] == '-' && argv[i][1] == '-')
			return -1 - i;
		else
			argv[n++] = argv[i];
	}
	return n;
}

static int cmd_map(int argc, char **argv)
{
	bool help = false;
	int n = strip_options(argc - 1, argv + 1, &help);

	if (n < 0)
		return cli_usage_error("map", "unknown option '%s'", argv[-n]);
	if (help) {
		fputs(map_usage, stdout);
		return 0;
	}
	return cli_run_sub("map", subcommands, sizeof(subcommands) / sizeof(subcommands[0]), n,
			   argv + 1);
}

WD_CLI_COMMAND("map", cmd_map, "show, dump, look up, update, delete and pin BPF maps");
