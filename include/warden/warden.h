/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libwarden: load clang-built BPF objects on raw bpf(2), on every kernel.
 *
 * Two layers: wd_object_open*() parses the ELF file into a spec (pure data,
 * no syscall); wd_object_load() turns the spec into kernel objects on the
 * running kernel.  Every function returns 0 or a negative errno; the reason
 * of the last failure of the calling thread is in wd_errmsg().
 */
#ifndef WARDEN_WARDEN_H
#define WARDEN_WARDEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct wd_object;
struct wd_prog;
struct wd_map;
struct wd_link;

/* ---- versioned options ------------------------------------------------ */

/* Every options struct starts with `size_t sz` = sizeof(struct) as the
 * caller compiled it: an older caller's struct is shorter, and the fields it
 * does not have keep their defaults.  sz 0 is taken as the whole struct. */
static inline void wd_opts_copy(void *dst, size_t dst_size, const void *src)
{
	size_t sz = src ? *(const size_t *)src : 0;
	if (!src)
		return;
	if (!sz || sz > dst_size)
		sz = dst_size;
	for (size_t i = 0; i < sz; i++)
		((unsigned char *)dst)[i] = ((const unsigned char *)src)[i];
}
/* Does the caller's opts have `field` (and is opts non-NULL)? */
#define WD_OPTS_HAS(opts, field) \
	((opts) && (!(opts)->sz || (opts)->sz >= (size_t)((const char *)&(opts)->field - \
	 (const char *)(opts)) + sizeof((opts)->field)))

/* ---- errors ---------------------------------------------------------- */

/* One line a person can act on: "load 'prog' failed: ... at insn 42 (f.c:87)". */
const char *wd_errmsg(void);
/* For libraries built on libwarden (diagnostics, the agent): record `fmt`
 * as the current error and return err (a negative errno).  Control
 * characters and invalid UTF-8 are escaped: the message stays one line. */
int wd_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Put context in front of the current error: "load 'prog': " + old message. */
void wd_err_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A debug line (fallbacks taken, probes) to wd_set_debug()'s callback, or to
 * stderr when $WARDEN_DEBUG is set. */
void wd_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Debug messages (fallbacks taken, probes) go to this callback; NULL: silent. */
typedef void (*wd_log_fn)(const char *msg, void *ctx);
void wd_set_debug(wd_log_fn fn, void *ctx);

/* ---- object ---------------------------------------------------------- */

struct wd_open_opts {
	size_t sz;              /* sizeof(struct wd_open_opts) */
	const char *name;       /* object name for messages (default: file name) */
	const char *btf_path;   /* target kernel BTF for CO-RE (default: running kernel) */
	const char *kconfig;    /* kernel config file (default: /proc/config.gz, /boot) */
};

struct wd_object *wd_object_open(const char *path, const struct wd_open_opts *opts);
struct wd_object *wd_object_open_mem(const void *buf, size_t size,
				     const struct wd_open_opts *opts);

struct wd_load_opts {
	size_t sz;              /* sizeof(struct wd_load_opts) */
	int log_level;          /* verifier log level on failure: 1 (default) or 2 */
	size_t log_cap;         /* cap of the verifier log buffer (default 64 MiB) */
	bool no_memlock;        /* never touch RLIMIT_MEMLOCK */
	const char *pin_dir;    /* pin maps with pinning=LIBBPF_PIN_BY_NAME here */
	/* Programs verified at once, after maps and BTF: 0 = $WARDEN_LOAD_THREADS,
	 * else one per possible CPU; 1 = one after another.  Results and the error
	 * reported (the first failing program in object order) are the same. */
	int load_threads;
};
int wd_object_load(struct wd_object *obj, const struct wd_load_opts *opts);
void wd_object_close(struct wd_object *obj);
const char *wd_object_name(const struct wd_object *obj);
/* A warning of the last wd_object_load() the caller should show (the kernel
 * refused the object's BTF, with its reason), or NULL. */
const char *wd_object_note(const struct wd_object *obj);

/* ---- programs -------------------------------------------------------- */

struct wd_prog *wd_object_prog(const struct wd_object *obj, const char *name);
struct wd_prog *wd_object_next_prog(const struct wd_object *obj, const struct wd_prog *prev);
#define wd_object_for_each_prog(p, obj) \
	for ((p) = wd_object_next_prog((obj), NULL); (p); (p) = wd_object_next_prog((obj), (p)))

const char *wd_prog_name(const struct wd_prog *prog);
const char *wd_prog_section(const struct wd_prog *prog);
int wd_prog_fd(const struct wd_prog *prog);
unsigned int wd_prog_type(const struct wd_prog *prog);
unsigned int wd_prog_expected_attach_type(const struct wd_prog *prog);
/* Instruction count after subprograms were appended (0 before load). */
size_t wd_prog_insn_cnt(const struct wd_prog *prog);
/* Exclude a program from wd_object_load() (call before load). */
int wd_prog_set_autoload(struct wd_prog *prog, bool autoload);
int wd_prog_set_type(struct wd_prog *prog, unsigned int type, unsigned int expected_attach);
/* The program the last failed wd_object_load() stopped at; NULL when it
 * failed before the programs (BTF, maps) or did not fail. */
struct wd_prog *wd_object_failed_prog(const struct wd_object *obj);
/* Verifier log of the last failed load of this program, or NULL. */
const char *wd_prog_log(const struct wd_prog *prog);
/* Instruction the verifier stopped at, or -1. */
int wd_prog_fail_insn(const struct wd_prog *prog);
/* Load one program of an already loaded object again with a log (diagnostics). */
int wd_prog_verify(struct wd_prog *prog, int log_level, char **log_out);
int wd_prog_test_run(const struct wd_prog *prog, const void *data, size_t size,
		     uint32_t *retval, uint32_t *duration_ns);
int wd_prog_pin(const struct wd_prog *prog, const char *path);

/* ---- maps ------------------------------------------------------------ */

struct wd_map *wd_object_map(const struct wd_object *obj, const char *name);
struct wd_map *wd_object_next_map(const struct wd_object *obj, const struct wd_map *prev);
#define wd_object_for_each_map(m, obj) \
	for ((m) = wd_object_next_map((obj), NULL); (m); (m) = wd_object_next_map((obj), (m)))

const char *wd_map_name(const struct wd_map *map);
int wd_map_fd(const struct wd_map *map);
unsigned int wd_map_type(const struct wd_map *map);
uint32_t wd_map_key_size(const struct wd_map *map);
uint32_t wd_map_value_size(const struct wd_map *map);
uint32_t wd_map_max_entries(const struct wd_map *map);
int wd_map_set_max_entries(struct wd_map *map, uint32_t n);
/* Before load: create the map as another type and sizes than the object
 * declares (the BTF key/value types of the declaration then do not apply).
 * For a map a kernel cannot create but the program never touches there. */
int wd_map_set_type(struct wd_map *map, unsigned int type, uint32_t key_size,
		    uint32_t value_size);
/* Global data (.data, .rodata, .bss, .data.*, .rodata.*): the initial image,
 * writable until wd_object_load(). */
void *wd_map_initial_value(struct wd_map *map, size_t *size);
/* Set one global variable of .data/.rodata/.bss by its name (before load). */
int wd_object_set_global(struct wd_object *obj, const char *var, const void *val, size_t size);

int wd_map_lookup(const struct wd_map *map, const void *key, void *value);
int wd_map_update(const struct wd_map *map, const void *key, const void *value, uint64_t flags);
int wd_map_delete(const struct wd_map *map, const void *key);
int wd_map_next_key(const struct wd_map *map, const void *key, void *next_key);
/* Batch lookup where the kernel has it (5.6+); falls back to key iteration.
 * In: *count = capacity; out: *count = entries read.  Returns 0 at the end. */
int wd_map_lookup_batch(const struct wd_map *map, void *keys, void *values, uint32_t *count);
int wd_map_pin(const struct wd_map *map, const char *path);
int wd_map_unpin(const char *path);

/* Pin every program as DIR/<prog> and every map as DIR/maps/<map>. */
int wd_object_pin(const struct wd_object *obj, const char *dir);

/* ---- raw fd helpers -------------------------------------------------- */

int wd_obj_get(const char *path);
/* Mount bpffs at /sys/fs/bpf when missing; 1 if it mounted it, 0 if present. */
int wd_bpffs_ensure(const char *dir);

/* ---- memlock ----------------------------------------------------------- */

/* Does this kernel still charge BPF memory to RLIMIT_MEMLOCK?  1 yes, 0 no
 * (memcg accounting, 5.11+), negative errno when the test itself failed.
 * Decided by a direct test, cached. */
int wd_memlock_charged(void);
/* Make sure `bytes` can be locked; raises the soft limit only when needed. */
int wd_memlock_ensure(uint64_t bytes);
/* Where the kernel charges memlock: raise the soft and hard limits as far as
 * this process may (unlimited with CAP_SYS_RESOURCE, else the hard limit).
 * wd_object_load() does this unless no_memlock is set. */
int wd_memlock_raise(void);

#ifdef __cplusplus
}
#endif
#endif
