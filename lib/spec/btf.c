// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* BTF parsing, lookup and sanitizing; see btf.h. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "btf.h"
#include "sys/error.h"

#define BTF_MAX_CHAIN 32   /* typedef/modifier chains longer than this are loops */

struct wd_btf {
	const struct wd_btf *base;
	uint8_t *data;          /* header + types + strings, owned */
	size_t size;
	struct btf_header *hdr;
	uint8_t *types;
	char *strs;
	uint32_t str_len;
	uint32_t start_id;      /* 1 for base BTF, base's count for split BTF */
	uint32_t start_str;     /* base's string length for split BTF */
	uint32_t nr;            /* types in this BTF (not counting base) */
	uint32_t *offs;         /* offset of each type in `types` */
	uint32_t *hash;         /* name hash buckets (lazy), ids; 0 = empty */
	uint32_t *hash_next;    /* chain per local index */
	uint32_t hash_mask;
	uint32_t name_lookups;  /* lookups by name so far: the index comes late */
	bool mapped;            /* data is a read-only mapping of sysfs (munmap) */
	size_t strs_cap;        /* >0 when strs was moved to its own buffer */
};

static const char *const kind_names[] = {
	[BTF_KIND_UNKN] = "unknown", [BTF_KIND_INT] = "int", [BTF_KIND_PTR] = "ptr",
	[BTF_KIND_ARRAY] = "array", [BTF_KIND_STRUCT] = "struct", [BTF_KIND_UNION] = "union",
	[BTF_KIND_ENUM] = "enum", [BTF_KIND_FWD] = "fwd", [BTF_KIND_TYPEDEF] = "typedef",
	[BTF_KIND_VOLATILE] = "volatile", [BTF_KIND_CONST] = "const",
	[BTF_KIND_RESTRICT] = "restrict", [BTF_KIND_FUNC] = "func",
	[BTF_KIND_FUNC_PROTO] = "func_proto", [BTF_KIND_VAR] = "var",
	[BTF_KIND_DATASEC] = "datasec", [BTF_KIND_FLOAT] = "float",
	[BTF_KIND_DECL_TAG] = "decl_tag", [BTF_KIND_TYPE_TAG] = "type_tag",
	[BTF_KIND_ENUM64] = "enum64",
};

const char *wd_btf_kind_name(int kind)
{
	if (kind < 0 || kind >= (int)(sizeof(kind_names) / sizeof(kind_names[0])))
		return "?";
	return kind_names[kind];
}

/* Bytes that follow struct btf_type for this kind, -1 for an unknown kind. */
static long extra_size(const struct btf_type *t)
{
	long vlen = btf_vlen_of(t);
	switch (btf_kind_of(t)) {
	case BTF_KIND_INT: return 4;
	case BTF_KIND_PTR: case BTF_KIND_FWD: case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE: case BTF_KIND_CONST: case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC: case BTF_KIND_FLOAT: case BTF_KIND_TYPE_TAG:
		return 0;
	case BTF_KIND_ARRAY: return sizeof(struct btf_array);
	case BTF_KIND_STRUCT: case BTF_KIND_UNION: return vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM: return vlen * sizeof(struct btf_enum);
	case BTF_KIND_ENUM64: return vlen * 12;
	case BTF_KIND_FUNC_PROTO: return vlen * sizeof(struct btf_param);
	case BTF_KIND_VAR: return sizeof(struct btf_var);
	case BTF_KIND_DATASEC: return vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_DECL_TAG: return 4;
	default: return -1;
	}
}

uint32_t wd_btf_type_cnt(const struct wd_btf *btf)
{
	return btf->start_id + btf->nr;
}

uint32_t wd_btf_start_id(const struct wd_btf *btf)
{
	return btf->start_id;
}

static const struct btf_type void_type;

const struct btf_type *wd_btf_type(const struct wd_btf *btf, uint32_t id)
{
	if (id == 0)
		return &void_type;
	if (id < btf->start_id)
		return btf->base ? wd_btf_type(btf->base, id) : NULL;
	if (id >= wd_btf_type_cnt(btf))
		return NULL;
	return (const struct btf_type *)(btf->types + btf->offs[id - btf->start_id]);
}

struct btf_type *wd_btf_type_mut(struct wd_btf *btf, uint32_t id)
{
	if (btf->mapped || id < btf->start_id || id >= wd_btf_type_cnt(btf))
		return NULL;
	return (struct btf_type *)(btf->types + btf->offs[id - btf->start_id]);
}

const char *wd_btf_str(const struct wd_btf *btf, uint32_t off)
{
	if (off < btf->start_str)
		return btf->base ? wd_btf_str(btf->base, off) : NULL;
	off -= btf->start_str;
	return off < btf->str_len ? btf->strs + off : NULL;
}

const char *wd_btf_name(const struct wd_btf *btf, uint32_t id)
{
	const struct btf_type *t = wd_btf_type(btf, id);
	const char *s = t ? wd_btf_str(btf, t->name_off) : NULL;
	return s ? s : "";
}

static bool str_ok(const struct wd_btf *btf, uint32_t off)
{
	return wd_btf_str(btf, off) != NULL;
}

static bool id_ok(const struct wd_btf *btf, uint32_t id)
{
	return id < wd_btf_type_cnt(btf);
}

/* Every id and string offset a type refers to must be in range. */
static int check_type_refs(const struct wd_btf *btf, uint32_t id)
{
	const struct btf_type *t = wd_btf_type(btf, id);
	int vlen = btf_vlen_of(t);
	if (!str_ok(btf, t->name_off))
		return wd_err(-EINVAL, "BTF type [%u]: name offset %u past the string section",
			      id, t->name_off);
	switch (btf_kind_of(t)) {
	case BTF_KIND_PTR: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST: case BTF_KIND_RESTRICT: case BTF_KIND_FUNC:
	case BTF_KIND_VAR: case BTF_KIND_TYPE_TAG: case BTF_KIND_DECL_TAG:
		if (!id_ok(btf, t->type))
			goto bad_id;
		break;
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *p = btf_extra(t);
		if (!id_ok(btf, t->type))
			goto bad_id;
		for (int i = 0; i < vlen; i++)
			if (!id_ok(btf, p[i].type) || !str_ok(btf, p[i].name_off))
				goto bad_id;
		break;
	}
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = btf_extra(t);
		if (!id_ok(btf, a->type) || !id_ok(btf, a->index_type))
			goto bad_id;
		break;
	}
	case BTF_KIND_STRUCT: case BTF_KIND_UNION: {
		const struct btf_member *m = btf_extra(t);
		for (int i = 0; i < vlen; i++)
			if (!id_ok(btf, m[i].type) || !str_ok(btf, m[i].name_off))
				goto bad_id;
		break;
	}
	case BTF_KIND_ENUM: {
		const struct btf_enum *e = btf_extra(t);
		for (int i = 0; i < vlen; i++)
			if (!str_ok(btf, e[i].name_off))
				goto bad_id;
		break;
	}
	case BTF_KIND_ENUM64: {
		const uint32_t *e = btf_extra(t);
		for (int i = 0; i < vlen; i++)
			if (!str_ok(btf, e[i * 3]))
				goto bad_id;
		break;
	}
	case BTF_KIND_DATASEC: {
		const struct btf_var_secinfo *v = btf_extra(t);
		for (int i = 0; i < vlen; i++)
			if (!id_ok(btf, v[i].type))
				goto bad_id;
		break;
	}
	}
	return 0;
bad_id:
	return wd_err(-EINVAL, "BTF type [%u] (%s): refers to a type id or string out of range",
		      id, wd_btf_kind_name(btf_kind_of(t)));
}

/* The largest type id and string offset each record refers to, in one pass
 * over the records as they lie (no lookups): a vmlinux has ~130k types and
 * this check is most of its parse time.  check_type_refs() says which type
 * is wrong when this finds something out of range. */
static bool refs_in_range(const struct wd_btf *btf)
{
	uint32_t max_id = 0, max_str = 0;
#define REF(x) do { uint32_t v_ = (x); max_id = v_ > max_id ? v_ : max_id; } while (0)
#define STR(x) do { uint32_t v_ = (x); max_str = v_ > max_str ? v_ : max_str; } while (0)
	for (uint32_t i = 0; i < btf->nr; i++) {
		const struct btf_type *t = (const void *)(btf->types + btf->offs[i]);
		int vlen = btf_vlen_of(t);
		STR(t->name_off);
		switch (btf_kind_of(t)) {
		case BTF_KIND_PTR: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE:
		case BTF_KIND_CONST: case BTF_KIND_RESTRICT: case BTF_KIND_FUNC:
		case BTF_KIND_VAR: case BTF_KIND_TYPE_TAG: case BTF_KIND_DECL_TAG:
			REF(t->type);
			break;
		case BTF_KIND_FUNC_PROTO: {
			const struct btf_param *p = btf_extra(t);
			REF(t->type);
			for (int k = 0; k < vlen; k++) {
				REF(p[k].type);
				STR(p[k].name_off);
			}
			break;
		}
		case BTF_KIND_ARRAY: {
			const struct btf_array *a = btf_extra(t);
			REF(a->type);
			REF(a->index_type);
			break;
		}
		case BTF_KIND_STRUCT: case BTF_KIND_UNION: {
			const struct btf_member *m = btf_extra(t);
			for (int k = 0; k < vlen; k++) {
				REF(m[k].type);
				STR(m[k].name_off);
			}
			break;
		}
		case BTF_KIND_ENUM: {
			const struct btf_enum *e = btf_extra(t);
			for (int k = 0; k < vlen; k++)
				STR(e[k].name_off);
			break;
		}
		case BTF_KIND_ENUM64: {
			const uint32_t *e = btf_extra(t);
			for (int k = 0; k < vlen; k++)
				STR(e[k * 3]);
			break;
		}
		case BTF_KIND_DATASEC: {
			const struct btf_var_secinfo *v = btf_extra(t);
			for (int k = 0; k < vlen; k++)
				REF(v[k].type);
			break;
		}
		}
	}
#undef REF
#undef STR
	/* split BTF: every offset below start_str is the base's, all valid */
	return max_id < wd_btf_type_cnt(btf) && max_str < btf->start_str + btf->str_len;
}

static int index_types(struct wd_btf *btf)
{
	size_t cap = 1024, off = 0, len = btf->hdr->type_len;
	btf->offs = malloc(cap * sizeof(*btf->offs));
	if (!btf->offs)
		return -ENOMEM;
	while (off < len) {
		const struct btf_type *t = (const void *)(btf->types + off);
		long extra;
		if (len - off < sizeof(*t))
			return wd_err(-EINVAL, "BTF: truncated type record at offset %zu", off);
		extra = extra_size(t);
		if (extra < 0)
			return wd_err(-EINVAL, "BTF type [%u]: unknown kind %d",
				      btf->start_id + btf->nr, btf_kind_of(t));
		if (len - off - sizeof(*t) < (size_t)extra)
			return wd_err(-EINVAL, "BTF type [%u]: truncated (%ld bytes of members missing)",
				      btf->start_id + btf->nr, extra);
		if (btf->nr == cap) {
			uint32_t *n = realloc(btf->offs, (cap *= 2) * sizeof(*n));
			if (!n)
				return -ENOMEM;
			btf->offs = n;
		}
		btf->offs[btf->nr++] = off;
		off += sizeof(*t) + extra;
	}
	if (refs_in_range(btf))
		return 0;
	/* Something is out of range: the slow check names the first type. */
	for (uint32_t id = btf->start_id; id < wd_btf_type_cnt(btf); id++) {
		int err = check_type_refs(btf, id);
		if (err)
			return err;
	}
	return wd_err(-EINVAL, "BTF: a type refers to an id or string out of range");
}

static int check_header(const uint8_t *data, size_t size, const struct wd_btf *base)
{
	const struct btf_header *h = (const void *)data;
	if (size < sizeof(*h))
		return wd_err(-EINVAL, "BTF: %zu bytes, too short for a header", size);
	if (h->magic == __builtin_bswap16(BTF_MAGIC))
		return wd_err(-EINVAL, "BTF: big-endian BTF (from another architecture) is not "
			      "supported");
	if (h->magic != BTF_MAGIC)
		return wd_err(-EINVAL, "not BTF: no BTF magic 0x%x at the start (found 0x%04x); "
			      "give raw BTF or an ELF file with a .BTF section", BTF_MAGIC, h->magic);
	if (h->version != BTF_VERSION)
		return wd_err(-EINVAL, "BTF: unsupported version %u", h->version);
	if (h->hdr_len < sizeof(*h) || h->hdr_len > size)
		return wd_err(-EINVAL, "BTF: header length %u out of range", h->hdr_len);
	uint64_t avail = size - h->hdr_len;
	if ((uint64_t)h->type_off + h->type_len > avail || (uint64_t)h->str_off + h->str_len > avail)
		return wd_err(-EINVAL, "BTF: type or string section past the end (%zu bytes)", size);
	/* the kernel refuses overlapping sections too (btf_check_sec_info) */
	if ((uint64_t)h->type_off < (uint64_t)h->str_off + h->str_len &&
	    (uint64_t)h->str_off < (uint64_t)h->type_off + h->type_len)
		return wd_err(-EINVAL, "BTF: type section (%u+%u) and string section (%u+%u) overlap",
			      h->type_off, h->type_len, h->str_off, h->str_len);
	/* records are read in place as u32s: the header's own length counts
	 * toward their alignment too */
	if ((h->hdr_len + (uint64_t)h->type_off) % 4)
		return wd_err(-EINVAL, "BTF: type section not 4-byte aligned (header %u + offset %u "
			      "bytes)", h->hdr_len, h->type_off);
	const char *strs = (const char *)data + h->hdr_len + h->str_off;
	if (h->str_len == 0 && !base)
		return wd_err(-EINVAL, "BTF: empty string section");
	if (h->str_len && strs[h->str_len - 1] != '\0')
		return wd_err(-EINVAL, "BTF: string section not NUL-terminated");
	if (!base && strs[0] != '\0')
		return wd_err(-EINVAL, "BTF: string section must start with an empty string");
	return 0;
}

/* Parse `data`, which the new BTF owns (freed on failure too). */
static void release_data(uint8_t *data, size_t size, bool mapped)
{
	if (mapped)
		munmap(data, size);
	else
		free(data);
}

static struct wd_btf *parse_data(uint8_t *data, size_t size, const struct wd_btf *base, bool mapped)
{
	struct wd_btf *btf;
	int err = check_header(data, size, base);
	if (err || !(btf = calloc(1, sizeof(*btf)))) {
		release_data(data, size, mapped);
		errno = err ? -err : ENOMEM;
		return NULL;
	}
	btf->data = data;
	btf->size = size;
	btf->mapped = mapped;
	btf->base = base;
	btf->hdr = (struct btf_header *)btf->data;
	btf->types = btf->data + btf->hdr->hdr_len + btf->hdr->type_off;
	btf->strs = (char *)btf->data + btf->hdr->hdr_len + btf->hdr->str_off;
	btf->str_len = btf->hdr->str_len;
	btf->start_id = base ? wd_btf_type_cnt(base) : 1;
	btf->start_str = base ? base->start_str + base->str_len : 0;
	err = index_types(btf);
	if (err) {
		wd_btf_free(btf);
		errno = -err;
		return NULL;
	}
	return btf;
}

static struct wd_btf *parse_owned(uint8_t *data, size_t size, const struct wd_btf *base)
{
	return parse_data(data, size, base, false);
}

struct wd_btf *wd_btf_parse(const void *data, size_t size, const struct wd_btf *base)
{
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(copy, data, size);
	return parse_owned(copy, size, base);
}

void wd_btf_free(struct wd_btf *btf)
{
	if (!btf)
		return;
	if (btf->strs_cap)
		free(btf->strs);
	release_data(btf->data, btf->size, btf->mapped);
	free(btf->offs);
	free(btf->hash);
	free(btf->hash_next);
	free(btf);
}

static void *read_whole_file(const char *path, size_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf = NULL;
	size_t cap = 1 << 20, len = 0;
	if (fd < 0)
		return NULL;
	/* Size it from fstat (sysfs BTF files report their size); procfs-like
	 * files that report 0 grow by doubling until EOF. */
	if (fstat(fd, &st) == 0 && st.st_size > 0)
		cap = st.st_size + 1;
	buf = malloc(cap);
	while (buf) {
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0) {
			free(buf);
			buf = NULL;
			break;
		}
		if (n == 0)
			break;
		len += n;
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
		}
	}
	int saved = errno;
	close(fd);
	errno = saved;
	*size = len;
	return buf;
}

/* The .BTF section of an ELF file (a vmlinux with debug info, BTFHub files). */
static struct wd_btf *btf_from_elf(const void *buf, size_t size, const struct wd_btf *base)
{
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	struct wd_btf *btf = NULL;
	elf_version(EV_CURRENT);
	elf = elf_memory((char *)buf, size);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx)) {
		wd_err(-EINVAL, "BTF file: not a raw BTF nor a readable ELF file");
		goto out;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		if (strcmp(name, ".BTF") || !(d = elf_getdata(scn, NULL)) || !d->d_buf)
			continue;
		btf = wd_btf_parse(d->d_buf, d->d_size, base);
		goto out;
	}
	wd_err(-ENOENT, "BTF file: ELF file has no .BTF section");
out:
	if (!btf && !errno)
		errno = EINVAL;
	if (elf)
		elf_end(elf);
	return btf;
}

/* The kernel's BTF in sysfs mapped read-only instead of read: Linux 6.16
 * lets /sys/kernel/btf/vmlinux be mmap'ed (kernel commit "btf: Allow mmap
 * of vmlinux btf"; libbpf 1.6 maps it too).  No 1,350 reads of 4 KiB and
 * no 5.5 MB copy: the parse is the index of type offsets alone, and the
 * pages are the kernel's own, not this process's resident memory.  NULL
 * (errno untouched) where the kernel refuses the mapping: read instead. */
static struct wd_btf *map_kernel_btf(const char *path, const struct wd_btf *base)
{
	struct stat st;
	void *p = MAP_FAILED;
	int saved = errno, fd;
	if (strncmp(path, "/sys/kernel/btf/", 16))
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		errno = saved;
		return NULL;
	}
	if (fstat(fd, &st) == 0 && st.st_size >= (off_t)sizeof(struct btf_header))
		p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	errno = saved;
	if (p == MAP_FAILED)
		return NULL;
	if (((struct btf_header *)p)->magic != BTF_MAGIC) {
		munmap(p, st.st_size);
		return NULL;
	}
	return parse_data(p, st.st_size, base, true);
}

struct wd_btf *wd_btf_load_file(const char *path, const struct wd_btf *base)
{
	size_t size;
	void *buf;
	struct wd_btf *btf = map_kernel_btf(path, base);
	if (btf)
		return btf;
	buf = read_whole_file(path, &size);
	if (!buf) {
		wd_err(-errno, "cannot read BTF file '%s': %s", path, strerror(errno));
		return NULL;
	}
	if (size >= 4 && memcmp(buf, "\177ELF", 4) == 0) {
		btf = btf_from_elf(buf, size, base);
		free(buf);
	} else {
		btf = parse_owned(buf, size, base); /* no second copy of a 6 MiB file */
	}
	if (!btf)
		wd_err_prefix("'%s': ", path);
	return btf;
}

static struct wd_btf *vmlinux;
static pthread_once_t vmlinux_once = PTHREAD_ONCE_INIT;

static void load_vmlinux(void)
{
	vmlinux = wd_btf_load_file("/sys/kernel/btf/vmlinux", NULL);
}

/* Parsed once per process, by whichever thread asks first (programs of an
 * object load in parallel: lib/load/load_progs.c). */
const struct wd_btf *wd_btf_vmlinux(void)
{
	pthread_once(&vmlinux_once, load_vmlinux);
	return vmlinux;
}

/* ---- lookup by name ---------------------------------------------------- */

static uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

/* The name index is built lazily, and late.  A user that parses the
 * kernel's BTF for one or two names (resolving a tp_btf target, a typed
 * __ksym) pays a scan each, as with libbpf's btf__find_by_name_kind(); from
 * the INDEX_AFTER-th lookup on (CO-RE relocates with dozens) the hash index
 * pays for itself: on a 6.18 vmlinux (127k types) it costs about 2.5 ms and
 * 2.5 MiB, a scan about 0.3 ms.  Lookups may come from several threads at
 * once (parallel program loading, lib/load/object.c): the index is built
 * under a lock and published with release/acquire. */
#define INDEX_AFTER 4
static pthread_mutex_t index_lock = PTHREAD_MUTEX_INITIALIZER;

static int build_name_index(struct wd_btf *btf)
{
	uint32_t buckets = 16, *hash, *next;
	while (buckets < btf->nr * 2)
		buckets <<= 1;
	hash = calloc(buckets, sizeof(*hash));
	next = calloc(btf->nr + 1, sizeof(*next));
	if (!hash || !next) {
		free(hash);
		free(next);
		return -ENOMEM;
	}
	/* Insert in reverse so chains list ids in ascending order. */
	for (uint32_t i = btf->nr; i-- > 0;) {
		uint32_t id = btf->start_id + i;
		const char *name = wd_btf_name(btf, id);
		if (!*name)
			continue;
		uint32_t b = str_hash(name) & (buckets - 1);
		next[i] = hash[b];
		hash[b] = id;
	}
	btf->hash_mask = buckets - 1;
	btf->hash_next = next;
	__atomic_store_n(&btf->hash, hash, __ATOMIC_RELEASE);
	return 0;
}

/* The index, when it exists or it is time to build it; NULL: scan. */
static const uint32_t *name_index(struct wd_btf *btf)
{
	uint32_t *hash = __atomic_load_n(&btf->hash, __ATOMIC_ACQUIRE);
	if (hash)
		return hash;
	if (__atomic_add_fetch(&btf->name_lookups, 1, __ATOMIC_RELAXED) < INDEX_AFTER)
		return NULL;
	pthread_mutex_lock(&index_lock);
	if (!btf->hash)
		build_name_index(btf); /* out of memory: scans go on */
	hash = btf->hash;
	pthread_mutex_unlock(&index_lock);
	return hash;
}

/* The first id after `prev` named `name` in this BTF alone, in id order. */
static uint32_t scan_names(const struct wd_btf *btf, const char *name, uint32_t prev)
{
	uint32_t i = prev >= btf->start_id ? prev - btf->start_id + 1 : 0;
	for (; i < btf->nr; i++) {
		const struct btf_type *t = (const void *)(btf->types + btf->offs[i]);
		const char *s;
		if (!t->name_off)
			continue;
		s = t->name_off >= btf->start_str ? btf->strs + (t->name_off - btf->start_str) :
		    wd_btf_str(btf, t->name_off);
		if (s && s[0] == name[0] && strcmp(s, name) == 0)
			return btf->start_id + i;
	}
	return 0;
}

uint32_t wd_btf_find_next(const struct wd_btf *cbtf, const char *name, uint32_t prev)
{
	struct wd_btf *btf = (struct wd_btf *)cbtf; /* the index is a lazy cache */
	const uint32_t *hash;
	uint32_t id;
	if (prev == 0 || prev < btf->start_id) {
		if (btf->base) {
			id = wd_btf_find_next(btf->base, name, prev);
			if (id)
				return id;
		}
		prev = 0;
	}
	/* a chain goes on from where it stopped: only its first step counts */
	hash = prev ? __atomic_load_n(&btf->hash, __ATOMIC_ACQUIRE) : name_index(btf);
	if (!hash)
		return scan_names(btf, name, prev);
	if (prev)
		id = btf->hash_next[prev - btf->start_id];
	else
		id = hash[str_hash(name) & btf->hash_mask];
	for (; id; id = btf->hash_next[id - btf->start_id])
		if (strcmp(wd_btf_name(btf, id), name) == 0)
			return id;
	return 0;
}

uint32_t wd_btf_find(const struct wd_btf *btf, const char *name, int kind)
{
	for (uint32_t id = wd_btf_find_next(btf, name, 0); id; id = wd_btf_find_next(btf, name, id))
		if (kind == 0 || btf_kind_of(wd_btf_type(btf, id)) == kind)
			return id;
	return 0;
}

uint32_t wd_btf_skip_mods(const struct wd_btf *btf, uint32_t id, bool typedefs)
{
	for (int depth = 0; depth < BTF_MAX_CHAIN; depth++) {
		const struct btf_type *t = wd_btf_type(btf, id);
		if (!t)
			return 0;
		switch (btf_kind_of(t)) {
		case BTF_KIND_TYPEDEF:
			if (!typedefs)
				return id;
			/* fallthrough */
		case BTF_KIND_VOLATILE: case BTF_KIND_CONST:
		case BTF_KIND_RESTRICT: case BTF_KIND_TYPE_TAG:
			id = t->type;
			break;
		default:
			return id;
		}
	}
	return 0; /* a loop */
}

int64_t wd_btf_size(const struct wd_btf *btf, uint32_t id)
{
	int64_t mult = 1;
	for (int depth = 0; depth < BTF_MAX_CHAIN; depth++) {
		const struct btf_type *t;
		id = wd_btf_skip_mods(btf, id, true);
		t = id ? wd_btf_type(btf, id) : NULL;
		if (!t)
			return -EINVAL;
		switch (btf_kind_of(t)) {
		case BTF_KIND_INT: case BTF_KIND_STRUCT: case BTF_KIND_UNION:
		case BTF_KIND_ENUM: case BTF_KIND_ENUM64: case BTF_KIND_DATASEC:
		case BTF_KIND_FLOAT:
			/* an array of 2^31 structs of 2^32 bytes: no int64 overflow */
			return t->size && mult > INT64_MAX / t->size ? -E2BIG : mult * t->size;
		case BTF_KIND_PTR:
			return mult > INT64_MAX / 8 ? -E2BIG : mult * 8;
		case BTF_KIND_VAR:
			id = t->type;
			break;
		case BTF_KIND_ARRAY: {
			const struct btf_array *a = btf_extra(t);
			if (a->nelems && mult > INT64_MAX / a->nelems)
				return -E2BIG;
			mult *= a->nelems;
			id = a->type;
			break;
		}
		default:
			return -EINVAL;
		}
	}
	return -ELOOP;
}

const void *wd_btf_raw(const struct wd_btf *btf, size_t *size)
{
	*size = btf->size;
	return btf->data;
}

/* Strings appended after parsing (fixups) force one contiguous re-layout. */
int wd_btf_add_str(struct wd_btf *btf, const char *s)
{
	size_t len = strlen(s) + 1;
	uint32_t off = btf->str_len;
	size_t need = (size_t)btf->hdr->hdr_len + btf->hdr->str_off + btf->str_len + len;
	if (btf->mapped)
		return -EROFS; /* kernel BTF, read-only: never edited */
	if (btf->hdr->str_off < btf->hdr->type_off + btf->hdr->type_len)
		return -ENOTSUP; /* strings before types: not produced by clang or pahole */
	uint8_t *n = realloc(btf->data, need);
	if (!n)
		return -ENOMEM;
	btf->data = n;
	btf->hdr = (struct btf_header *)n;
	btf->types = n + btf->hdr->hdr_len + btf->hdr->type_off;
	btf->strs = (char *)n + btf->hdr->hdr_len + btf->hdr->str_off;
	memcpy(btf->strs + btf->str_len, s, len);
	btf->str_len += len;
	btf->hdr->str_len = btf->str_len;
	btf->size = need;
	return btf->start_str + off;
}

/* ---- sanitize ------------------------------------------------------------ */

/* Emit type `t` into `out` as a kernel with support `sup` accepts it;
 * returns bytes written.  Each type keeps its id (one record per type). */
static size_t sanitize_type(const struct btf_type *t, const struct wd_btf_support *sup, uint8_t *out)
{
	struct btf_type *o = (struct btf_type *)out;
	int kind = btf_kind_of(t), vlen = btf_vlen_of(t);
	size_t len = sizeof(*t) + extra_size(t);
	memcpy(out, t, len);
	switch (kind) {
	case BTF_KIND_VAR:
		if (sup->datasec)
			break;
		o->info = BTF_INFO_ENC(BTF_KIND_INT, 0, 0);
		o->size = 1;
		*(uint32_t *)(o + 1) = BTF_INT_ENC(0, 0, 8);
		break;
	case BTF_KIND_DATASEC:
		if (sup->datasec)
			break;
		/* btf_var_secinfo and btf_member are both 12 bytes; names with
		 * '.' are not valid struct names: make it anonymous. */
		o->name_off = 0;
		o->info = BTF_INFO_ENC(BTF_KIND_STRUCT, 0, vlen);
		for (int i = 0; i < vlen; i++) {
			const struct btf_var_secinfo *v = (const void *)((const uint8_t *)(t + 1) + i * 12);
			struct btf_member *m = (void *)((uint8_t *)(o + 1) + i * 12);
			uint32_t type = v->type, off = v->offset;
			m->name_off = 0;
			m->type = type;
			m->offset = off * 8;
		}
		break;
	case BTF_KIND_FLOAT:
		if (!sup->float_)
			o->info = BTF_INFO_ENC(BTF_KIND_STRUCT, 0, 0), o->name_off = 0;
		break;
	case BTF_KIND_DECL_TAG:
		if (sup->decl_tag)
			break;
		o->name_off = 0;
		o->info = BTF_INFO_ENC(BTF_KIND_INT, 0, 0);
		o->size = 1;
		*(uint32_t *)(o + 1) = BTF_INT_ENC(0, 0, 8);
		break;
	case BTF_KIND_TYPE_TAG:
		if (!sup->type_tag)
			o->name_off = 0, o->info = BTF_INFO_ENC(BTF_KIND_CONST, 0, 0);
		break;
	case BTF_KIND_FUNC:
		/* Global linkage (5.6) lives in vlen. */
		if (!sup->func_global && vlen == BTF_FUNC_GLOBAL)
			o->info = BTF_INFO_ENC(BTF_KIND_FUNC, 0, BTF_FUNC_STATIC);
		break;
	case BTF_KIND_ENUM:
		/* Signed enums (kflag, 6.0) are plain enums before. */
		if (!sup->enum64)
			o->info = BTF_INFO_ENC(BTF_KIND_ENUM, 0, vlen);
		break;
	case BTF_KIND_ENUM64:
		if (sup->enum64)
			break;
		/* Before 6.0: an enum of the low 32 bits of each value, 4 bytes. */
		o->info = BTF_INFO_ENC(BTF_KIND_ENUM, 0, vlen);
		o->size = 4;
		for (int i = 0; i < vlen; i++) {
			const uint32_t *e64 = (const uint32_t *)(t + 1) + i * 3;
			struct btf_enum *e = (struct btf_enum *)(o + 1) + i;
			uint32_t name = e64[0], lo = e64[1];
			e->name_off = name;
			e->val = (int32_t)lo;
		}
		len = sizeof(*t) + vlen * sizeof(struct btf_enum);
		break;
	}
	return len;
}

void *wd_btf_sanitized(const struct wd_btf *btf, const struct wd_btf_support *sup, size_t *size)
{
	const struct btf_header *h = btf->hdr;
	/* sanitized records are never longer than the originals */
	uint8_t *out = malloc((size_t)h->hdr_len + h->type_len + btf->str_len), *types;
	size_t off = 0;
	if (!out)
		return NULL;
	memcpy(out, h, h->hdr_len);
	types = out + h->hdr_len;
	for (uint32_t i = 0; i < btf->nr; i++)
		off += sanitize_type((const void *)(btf->types + btf->offs[i]), sup, types + off);
	struct btf_header *oh = (struct btf_header *)out;
	oh->type_off = 0;
	oh->type_len = off;
	oh->str_off = off;
	memcpy(types + off, btf->strs, btf->str_len);
	oh->str_len = btf->str_len;
	*size = h->hdr_len + off + btf->str_len;
	return out;
}
