// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Why BPF_MAP_CREATE failed (map_explain.h).  Only called after a failure,
 * so it may ask the kernel again (a probe, the same map without one flag).
 * The limits quoted are the kernel's own checks:
 *   kernel/bpf/hashtab.c htab_map_alloc_check(): key_size > MAX_BPF_STACK
 *     (512) and value_size >= KMALLOC_MAX_SIZE - MAX_BPF_STACK - elem are
 *     E2BIG; per-CPU values above PCPU_MIN_UNIT_SIZE (32 KiB) are E2BIG;
 *     htab_map_alloc(): more than U32_MAX / sizeof(struct bucket) buckets.
 *   kernel/bpf/arraymap.c array_map_alloc_check(): value_size > INT_MAX,
 *     per-CPU values above PCPU_MIN_UNIT_SIZE.
 *   kernel/bpf/queue_stack_maps.c, bloom_filter.c: value_size > KMALLOC_MAX_SIZE.
 *   kernel/bpf/ringbuf.c: max_entries > RINGBUF_MAX_DATA_SZ.
 *   kernel/bpf/syscall.c bpf_check_uarg_tail_zero(): non-zero attr bytes the
 *     kernel does not know are E2BIG.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "internal.h"
#include "map_explain.h"
#include "warden/features.h"

#define PCPU_MIN_UNIT_SIZE (32u << 10)
#define MAX_BPF_STACK 512u
#define KMALLOC_MAX_SIZE_X86 (4ull << 20)   /* 1 << (PAGE_SHIFT + MAX_PAGE_ORDER) on x86_64 */
#define HTAB_ELEM_SIZE 48u                  /* sizeof(struct htab_elem), 6.x, 64-bit */
#define HTAB_BUCKET_SIZE 16u                /* sizeof(struct bucket) without lockdep */

static const char *type_name(uint32_t type)
{
	const char *n = wd_map_type_name(type);
	return n ? n : "unknown";
}

static void human(char *buf, size_t size, uint64_t v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double d = (double)v;
	int u = 0;
	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", d, units[u]);
}

static int possible_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);
	FILE *f = fopen("/sys/devices/system/cpu/possible", "re");
	int a, b;
	if (f) {
		/* "0-N" on nearly every machine; anything else: the configured count */
		if (fscanf(f, "%d-%d", &a, &b) == 2 && b >= a)
			n = b - a + 1;
		fclose(f);
	}
	return n > 0 ? (int)n : 1;
}

static bool is_percpu(uint32_t t)
{
	return t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool is_hash(uint32_t t)
{
	return t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_LRU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH || t == BPF_MAP_TYPE_HASH_OF_MAPS;
}

static bool is_array(uint32_t t)
{
	return t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_ARRAY;
}

static uint64_t round8(uint64_t v) { return (v + 7) & ~7ull; }

static uint64_t roundup_pow2(uint64_t v)
{
	uint64_t p = 1;
	while (p < v)
		p <<= 1;
	return p;
}

/* What the kernel allocates (and charges) at creation, roughly: preallocated
 * elements of hash maps, the whole array, the ring's pages. */
static uint64_t charged_size(const struct wd_map_create_args *a, char *how, size_t how_size)
{
	uint64_t cpus = (uint64_t)possible_cpus(), n = a->max_entries, per;

	how[0] = '\0';
	if (is_hash(a->type)) {
		uint64_t buckets = roundup_pow2(n) * HTAB_BUCKET_SIZE;
		if (a->flags & BPF_F_NO_PREALLOC) {
			snprintf(how, how_size, "the bucket array; BPF_F_NO_PREALLOC entries come later");
			return buckets;
		}
		per = HTAB_ELEM_SIZE + round8(a->key_size) +
		      (is_percpu(a->type) ? 8 + round8(a->value_size) * cpus : round8(a->value_size));
		snprintf(how, how_size, "%llu preallocated entries x %llu B%s + buckets; "
			 "BPF_F_NO_PREALLOC allocates on update instead",
			 (unsigned long long)n, (unsigned long long)per,
			 is_percpu(a->type) ? " (per-CPU values x possible CPUs)" : "");
		return n * per + buckets;
	}
	if (is_array(a->type)) {
		per = is_percpu(a->type) ? round8(a->value_size) * cpus : round8(a->value_size);
		snprintf(how, how_size, "%llu entries x %llu B%s", (unsigned long long)n,
			 (unsigned long long)per, is_percpu(a->type) ? " (x possible CPUs)" : "");
		return n * per;
	}
	if (a->type == BPF_MAP_TYPE_RINGBUF || a->type == 31 /* USER_RINGBUF */) {
		snprintf(how, how_size, "the ring's data pages");
		return n;
	}
	per = round8(a->key_size) + round8(a->value_size);
	snprintf(how, how_size, "%llu entries x %llu B", (unsigned long long)n, (unsigned long long)per);
	return n * per;
}

static int64_t read_u64_file(const char *path)
{
	char buf[64];
	FILE *f = fopen(path, "re");
	long long v = -1;
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f)) {
		if (!strncmp(buf, "max", 3))
			v = INT64_MAX;
		else
			v = strtoll(buf, NULL, 10);
	}
	fclose(f);
	return v;
}

/* The memory cgroup limit closest to being hit, walking from this process's
 * cgroup up to the root (v2 memory.max, v1 memory.limit_in_bytes). */
static void memcg_limit(char *buf, size_t size)
{
	char line[512], path[700], best_path[512] = "";
	int64_t best_limit = -1, best_used = 0, best_room = INT64_MAX;
	bool v2 = false;
	FILE *f = fopen("/proc/self/cgroup", "re");

	buf[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '\n');
		if (p)
			*p = '\0';
		if (!strncmp(line, "0::", 3)) {
			v2 = true;
			snprintf(best_path, sizeof(best_path), "%s", line + 3);
		} else if ((p = strstr(line, ":memory:"))) {
			v2 = false;
			snprintf(best_path, sizeof(best_path), "%s", p + 8);
			break;
		}
	}
	fclose(f);
	char cg[512];
	snprintf(cg, sizeof(cg), "%s", best_path);
	best_path[0] = '\0';
	for (;;) {
		int64_t lim, used;
		if (v2) {
			snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.max", cg);
			lim = read_u64_file(path);
			snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.current", cg);
			used = read_u64_file(path);
		} else {
			snprintf(path, sizeof(path), "/sys/fs/cgroup/memory%s/memory.limit_in_bytes", cg);
			lim = read_u64_file(path);
			if (lim >= (int64_t)1 << 62)
				lim = INT64_MAX; /* v1 "unlimited" is PAGE_COUNTER_MAX pages */
			snprintf(path, sizeof(path), "/sys/fs/cgroup/memory%s/memory.usage_in_bytes", cg);
			used = read_u64_file(path);
		}
		if (lim > 0 && lim != INT64_MAX) {
			int64_t room = lim - (used > 0 ? used : 0);
			if (room < best_room) {
				best_room = room;
				best_limit = lim;
				best_used = used > 0 ? used : 0;
				snprintf(best_path, sizeof(best_path), "%s", cg[0] ? cg : "/");
			}
		}
		char *slash = strrchr(cg, '/');
		if (!slash || !cg[0] || !strcmp(cg, "/"))
			break;
		if (slash == cg)
			cg[1] = '\0';
		else
			*slash = '\0';
	}
	if (best_limit < 0) {
		snprintf(buf, size, "no memory cgroup limit applies (%s)", v2 ? "cgroup v2" : "cgroup v1");
		return;
	}
	char l[32], u[32];
	human(l, sizeof(l), (uint64_t)best_limit);
	human(u, sizeof(u), (uint64_t)best_used);
	snprintf(buf, size, "the memory cgroup %s allows %s (%s, %s in use)", best_path, l,
		 v2 ? "memory.max" : "memory.limit_in_bytes", u);
}

static uint64_t mem_available(void)
{
	char line[128];
	unsigned long long kb = 0;
	FILE *f = fopen("/proc/meminfo", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb << 10;
}

static void explain_enomem(const struct wd_map_create_args *a, char *buf, size_t size)
{
	char how[160], want[32], cg[320], avail[32];
	uint64_t bytes = charged_size(a, how, sizeof(how)), free_mem = mem_available();

	human(want, sizeof(want), bytes);
	memcg_limit(cg, sizeof(cg));
	human(avail, sizeof(avail), free_mem);
	snprintf(buf, size, "the kernel would charge about %s (%s) to the memory cgroup; %s; "
		 "%s of memory available; lower max_entries (%u) or raise the limit",
		 want, how, cg, avail, a->max_entries);
}

/* The kernel's size limit for this map type that the args exceed, if any. */
static bool explain_e2big(const struct wd_map_create_args *a, char *buf, size_t size)
{
	const char *t = type_name(a->type);

	if (is_hash(a->type) && a->key_size > MAX_BPF_STACK) {
		snprintf(buf, size, "key_size %u is above the kernel's limit for %s maps, "
			 "MAX_BPF_STACK (512 bytes)", a->key_size, t);
		return true;
	}
	if (is_percpu(a->type) && round8(a->value_size) > PCPU_MIN_UNIT_SIZE) {
		snprintf(buf, size, "value_size %u is above the kernel's limit for %s maps, "
			 "PCPU_MIN_UNIT_SIZE (32768 bytes per CPU)", a->value_size, t);
		return true;
	}
	if (is_hash(a->type) &&
	    a->value_size >= KMALLOC_MAX_SIZE_X86 - MAX_BPF_STACK - HTAB_ELEM_SIZE) {
		snprintf(buf, size, "value_size %u is above the kernel's limit for %s maps "
			 "(KMALLOC_MAX_SIZE - 512 - element header, about 4 MiB on x86_64)",
			 a->value_size, t);
		return true;
	}
	if (is_hash(a->type) && roundup_pow2(a->max_entries) > UINT32_MAX / HTAB_BUCKET_SIZE) {
		snprintf(buf, size, "max_entries %u needs more buckets than the kernel allows for %s "
			 "maps (U32_MAX / sizeof(struct bucket), 2^28)", a->max_entries, t);
		return true;
	}
	if (is_array(a->type) && a->value_size > INT32_MAX) {
		snprintf(buf, size, "value_size %u is above the kernel's limit for %s maps (INT_MAX)",
			 a->value_size, t);
		return true;
	}
	if ((a->type == BPF_MAP_TYPE_QUEUE || a->type == BPF_MAP_TYPE_STACK ||
	     a->type == BPF_MAP_TYPE_BLOOM_FILTER) && a->value_size > KMALLOC_MAX_SIZE_X86) {
		snprintf(buf, size, "value_size %u is above the kernel's limit for %s maps "
			 "(KMALLOC_MAX_SIZE, 4 MiB on x86_64)", a->value_size, t);
		return true;
	}
	if (a->type == BPF_MAP_TYPE_RINGBUF && a->max_entries >= (1u << 31)) {
		snprintf(buf, size, "max_entries %u (the ring size in bytes) is above the kernel's "
			 "limit for ring buffers (RINGBUF_MAX_DATA_SZ)", a->max_entries);
		return true;
	}
	char how[160], want[32];
	uint64_t bytes = charged_size(a, how, sizeof(how));
	if (bytes >= UINT32_MAX - (uint64_t)getpagesize() && wd_memlock_charged() == 1) {
		/* bpf_map_charge_init() (kernel/bpf/syscall.c, 5.0-5.10) refuses
		 * any map of 4 GiB or more while memory is charged to memlock. */
		human(want, sizeof(want), bytes);
		snprintf(buf, size, "the map would take about %s (%s); this kernel charges maps to "
			 "RLIMIT_MEMLOCK (before 5.11) and refuses any map of 4 GiB or more; lower "
			 "max_entries (%u)", want, how, a->max_entries);
		return true;
	}
	if (a->map_extra || a->btf_vmlinux_value_type_id) {
		snprintf(buf, size, "this kernel does not know some attributes given "
			 "(map_extra or btf_vmlinux_value_type_id): it refuses non-zero fields it "
			 "does not have");
		return true;
	}
	return false;
}

bool wd_has_cap(int cap)
{
	char line[256];
	unsigned long long eff = 0;
	FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		return true; /* cannot tell: do not blame privilege */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return eff & (1ull << cap);
}

static void read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, (int)size, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

void wd_lockdown_mode(char *buf, size_t size)
{
	char line[128];
	read_line("/sys/kernel/security/lockdown", line, sizeof(line));
	char *open = strchr(line, '['), *close_ = open ? strchr(open, ']') : NULL;
	buf[0] = '\0';
	if (open && close_ && strncmp(open + 1, "none", 4))
		snprintf(buf, size, "%.*s", (int)(close_ - open - 1), open + 1);
}

static void explain_eperm(char *buf, size_t size)
{
	char unpriv[32], lock[32], memlock[320];

	if (!wd_has_cap(21 /* CAP_SYS_ADMIN */) && !wd_has_cap(39 /* CAP_BPF */)) {
		read_line("/proc/sys/kernel/unprivileged_bpf_disabled", unpriv, sizeof(unpriv));
		snprintf(buf, size, "no privilege: creating BPF maps needs CAP_BPF (5.8+) or "
			 "CAP_SYS_ADMIN%s%s%s", unpriv[0] ? " (kernel.unprivileged_bpf_disabled=" : "",
			 unpriv, unpriv[0] ? ")" : "");
		return;
	}
	wd_memlock_explain_eperm(memlock, sizeof(memlock));
	if (memlock[0]) {
		snprintf(buf, size, "%s", memlock);
		return;
	}
	wd_lockdown_mode(lock, sizeof(lock));
	if (lock[0]) {
		/* Mainline lockdown restricts reading kernel memory, not map
		 * creation; distribution kernels (RHEL 8, Fedora, older Ubuntu)
		 * carry a "lockdown: Lock down BPF" patch that refuses bpf(2). */
		snprintf(buf, size, "kernel lockdown is '%s' (Secure Boot): this kernel's lockdown "
			 "refuses BPF; boot without lockdown or sign/enrol the setup that needs it", lock);
		return;
	}
	snprintf(buf, size, "the caller has the privilege and memlock is not charged: an LSM "
		 "(SELinux, AppArmor, BPF LSM) or a seccomp filter refused bpf(2)");
}

static const char *const flag_names[] = {
	"BPF_F_NO_PREALLOC", "BPF_F_NO_COMMON_LRU", "BPF_F_NUMA_NODE", "BPF_F_RDONLY",
	"BPF_F_WRONLY", "BPF_F_STACK_BUILD_ID", "BPF_F_ZERO_SEED", "BPF_F_RDONLY_PROG",
	"BPF_F_WRONLY_PROG", "BPF_F_CLONE", "BPF_F_MMAPABLE", "BPF_F_PRESERVE_ELEMS",
	"BPF_F_INNER_MAP", "BPF_F_LINK", "BPF_F_PATH_FD", "BPF_F_VTYPE_BTF_OBJ_FD",
	"BPF_F_TOKEN_FD", "BPF_F_SEGV_ON_FAULT", "BPF_F_NO_USER_CONV",
};

/* Where each flag applies and since when: a small map of that type with the
 * flag tells "this kernel lacks it" from "not for this map type". */
static const struct flag_home {
	uint32_t flag, type, key_size, value_size;
	const char *types, *since;
} flag_homes[] = {
	{ BPF_F_NO_PREALLOC, BPF_MAP_TYPE_HASH, 4, 8, "hash, LPM trie and local storage maps", "4.6" },
	{ BPF_F_NO_COMMON_LRU, BPF_MAP_TYPE_LRU_HASH, 4, 8, "LRU hash maps", "4.10" },
	{ BPF_F_NUMA_NODE, BPF_MAP_TYPE_HASH, 4, 8, "most map types", "4.14" },
	{ BPF_F_RDONLY, BPF_MAP_TYPE_HASH, 4, 8, "every map type", "4.15" },
	{ BPF_F_WRONLY, BPF_MAP_TYPE_HASH, 4, 8, "every map type", "4.15" },
	{ BPF_F_ZERO_SEED, BPF_MAP_TYPE_HASH, 4, 8, "hash maps", "5.0" },
	{ BPF_F_RDONLY_PROG, BPF_MAP_TYPE_ARRAY, 4, 8, "most map types", "5.2" },
	{ BPF_F_WRONLY_PROG, BPF_MAP_TYPE_ARRAY, 4, 8, "most map types", "5.2" },
	{ BPF_F_MMAPABLE, BPF_MAP_TYPE_ARRAY, 4, 8, "array maps", "5.5" },
	{ 1u << 11 /* BPF_F_PRESERVE_ELEMS */, BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4,
	  "perf event arrays", "5.10" },
	{ 1u << 12 /* BPF_F_INNER_MAP */, BPF_MAP_TYPE_ARRAY, 4, 8, "array maps used as inner maps",
	  "5.10" },
};

/* 1: the kernel takes `flag` on its home map type, 0: it refuses it there. */
static int flag_known(const struct flag_home *h)
{
	struct wd_map_create_args b = { .type = h->type, .key_size = h->key_size,
					.value_size = h->value_size, .max_entries = 1, .flags = h->flag };
	int fd = wd_sys_map_create(&b);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* Does the same map, without `flag`, get created?  Then that flag is the cause. */
static bool created_without(const struct wd_map_create_args *a, uint32_t flag)
{
	struct wd_map_create_args b = *a;
	b.flags &= ~flag;
	int fd = wd_sys_map_create(&b);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static bool explain_einval(const struct wd_map_create_args *a, char *buf, size_t size)
{
	const char *t = type_name(a->type);
	int has = wd_probe_map_type(a->type);

	if (has == 0) {
		if (wd_map_type_name(a->type))
			snprintf(buf, size, "this kernel has no %s maps (map type %u; probe: %s)", t,
				 a->type, wd_probe_result_str(has));
		else
			snprintf(buf, size, "map type %u is unknown to this kernel (and to warden)",
				 a->type);
		return true;
	}
	for (uint32_t bit = 0; bit < 32; bit++) {
		uint32_t flag = 1u << bit;
		if (!(a->flags & flag) || !created_without(a, flag))
			continue;
		const struct flag_home *home = NULL;
		for (size_t i = 0; i < sizeof(flag_homes) / sizeof(flag_homes[0]); i++)
			if (flag_homes[i].flag == flag)
				home = &flag_homes[i];
		if (home && !flag_known(home))
			snprintf(buf, size, "this kernel lacks flag %s (0x%x, %s): even a %s map "
				 "refuses it", flag_names[bit], flag, home->since, type_name(home->type));
		else if (home)
			snprintf(buf, size, "flag %s (0x%x) does not apply to %s maps: it is for %s",
				 flag_names[bit], flag, t, home->types);
		else if (bit < sizeof(flag_names) / sizeof(flag_names[0]))
			snprintf(buf, size, "flag %s (0x%x) is refused for %s maps: this kernel lacks it "
				 "or it does not apply to this map type", flag_names[bit], flag, t);
		else
			snprintf(buf, size, "flag 0x%x is unknown to this kernel", flag);
		return true;
	}
	if (a->type == BPF_MAP_TYPE_RINGBUF &&
	    (a->max_entries & (a->max_entries - 1) || a->max_entries % (uint32_t)getpagesize())) {
		snprintf(buf, size, "a ring buffer's max_entries (%u) must be a power of 2 and a "
			 "multiple of the page size (%d)", a->max_entries, getpagesize());
		return true;
	}
	if (!a->max_entries && a->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
		snprintf(buf, size, "max_entries is 0");
		return true;
	}
	snprintf(buf, size, "key_size %u, value_size %u, max_entries %u or flags 0x%x do not fit a "
		 "%s map on this kernel", a->key_size, a->value_size, a->max_entries, a->flags, t);
	return true;
}

void wd_map_create_explain(const struct wd_map_create_args *a, int err, char *buf, size_t size)
{
	buf[0] = '\0';
	switch (err) {
	case -ENOMEM:
		explain_enomem(a, buf, size);
		break;
	case -E2BIG:
		if (!explain_e2big(a, buf, size))
			snprintf(buf, size, "the kernel refused the size of this %s map "
				 "(key_size %u, value_size %u, max_entries %u)", type_name(a->type),
				 a->key_size, a->value_size, a->max_entries);
		break;
	case -EPERM:
		explain_eperm(buf, size);
		break;
	case -EINVAL:
		explain_einval(a, buf, size);
		break;
	default:
		break;
	}
}

int wd_map_create_failed(const char *name, const struct wd_map_create_args *a, int err)
{
	char why[768];
	wd_map_create_explain(a, err, why, sizeof(why));
	if (why[0])
		return wd_err(err, "map '%s': create failed: %s: %s", name, strerror(-err), why);
	return wd_err(err, "map '%s': create failed: %s", name, strerror(-err));
}
