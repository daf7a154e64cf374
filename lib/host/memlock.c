// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * RLIMIT_MEMLOCK.  Before 5.11 the kernel charges every map and program to
 * the user's locked memory (user->locked_vm against RLIMIT_MEMLOCK); 5.11
 * moved the accounting to memory cgroups (commit 3ac1f01b43b6 "bpf: eliminate
 * rlimit-based memory accounting for bpf progs" and its map twin).  Whether
 * the running kernel charges is decided by a direct test, as cilium/ebpf's
 * rlimit package does: soft limit 0, create a small array map, restore.
 * Never by the version number (backports), never by a stand-in helper.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "probe.h"
#include "sys/error.h"
#include "sys/sys.h"
#include "warden/features.h"
#include "warden/testing.h"
#include "warden/warden.h"

static int charged_cache;                /* result + 2; 0 = not tested */
static _Thread_local char hint[320];

void wd_memlock_reset_cache(void)
{
	__atomic_store_n(&charged_cache, 0, __ATOMIC_RELAXED);
}

const char *wd_memlock_hint(void)
{
	return hint;
}

static int create_probe_map(void)
{
	struct wd_map_create_args a = {
		.type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 4, .max_entries = 1,
	};

	return wd_sys_map_create(&a);
}

/* Create the probe map with the soft limit at 0, then restore the limit. */
static int create_at_zero_limit(const struct rlimit *old)
{
	struct rlimit zero = { .rlim_cur = 0, .rlim_max = old->rlim_max };
	int fd, err;

	/* Lowering the soft limit needs no privilege. */
	if (setrlimit(RLIMIT_MEMLOCK, &zero) < 0)
		return -errno;
	fd = create_probe_map();
	if (setrlimit(RLIMIT_MEMLOCK, old) < 0) {
		err = -errno;
		wd_debug("memlock: could not restore RLIMIT_MEMLOCK: %s", strerror(-err));
		if (fd >= 0)
			close(fd);
		return err;
	}
	return fd;
}

static int test_charged(void)
{
	struct rlimit old;
	int fd;

	if (getrlimit(RLIMIT_MEMLOCK, &old) < 0)
		return -errno;
	fd = create_at_zero_limit(&old);
	if (fd >= 0) {
		close(fd);
		wd_debug("memlock: map created with RLIMIT_MEMLOCK 0: memcg accounting");
		return 0;
	}
	if (fd != -EPERM)
		return fd;
	/* EPERM also means "no CAP_BPF" (and GKE COS answered EPERM despite
	 * memcg accounting, falco #2626): retry under the original limit. */
	fd = create_probe_map();
	if (fd < 0) {
		wd_debug("memlock: map create refused at any limit (%s): cannot decide",
			 strerror(-fd));
		return fd;
	}
	close(fd);
	wd_debug("memlock: EPERM only at RLIMIT_MEMLOCK 0: the kernel charges memlock (pre-5.11)");
	return 1;
}

int wd_memlock_charged(void)
{
	int v = __atomic_load_n(&charged_cache, __ATOMIC_RELAXED), r;

	if (v)
		return v - 2;
	r = test_charged();
	if (r >= 0)
		__atomic_store_n(&charged_cache, r + 2, __ATOMIC_RELAXED);
	return r;
}

/* "8 MiB", "512 KiB", "unlimited": rounded up. */
static void human(char *buf, size_t size, uint64_t v)
{
	static const char *const unit[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	unsigned int u = 0;

	if (v == (uint64_t)RLIM_INFINITY) {
		snprintf(buf, size, "unlimited");
		return;
	}
	while (u < 4 && v >= 1024) {
		v = (v + 1023) / 1024;
		u++;
	}
	snprintf(buf, size, "%llu %s", (unsigned long long)v, unit[u]);
}

static void set_hint(uint64_t hard, uint64_t need)
{
	char h[32], n[32];

	human(h, sizeof(h), hard);
	human(n, sizeof(n), need);
	snprintf(hint, sizeof(hint),
		 "RLIMIT_MEMLOCK is %s (hard) but %s are needed: run with `ulimit -l unlimited` "
		 "or LimitMEMLOCK=infinity in the unit file", h, n);
}

int wd_memlock_ensure(uint64_t bytes)
{
	struct rlimit rl;
	int charged = wd_memlock_charged();

	hint[0] = '\0';
	if (charged == 0)
		return 0;
	if (charged < 0) /* could not tell: raising the soft limit is harmless */
		wd_debug("memlock: accounting unknown (%s), acting as if charged",
			 strerror(-charged));
	if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0)
		return -errno;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= bytes)
		return 0;
	/* The charge is per user, shared by all its processes (pre-5.11):
	 * `bytes` should include what the caller's uid already locked. */
	bool enough = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= bytes;
	rlim_t want = enough ? (rlim_t)bytes : rl.rlim_max;
	if (want > rl.rlim_cur) {
		struct rlimit nrl = { .rlim_cur = want, .rlim_max = rl.rlim_max };
		if (setrlimit(RLIMIT_MEMLOCK, &nrl) < 0) {
			int err = -errno;
			set_hint(rl.rlim_max, bytes);
			return wd_err(err, "%s", hint);
		}
		wd_debug("memlock: raised RLIMIT_MEMLOCK soft limit to %llu bytes",
			 (unsigned long long)want);
	}
	if (!enough) {
		/* Raising the hard limit needs CAP_SYS_RESOURCE (root on most
		 * hosts; not in every container): try, to the size needed only. */
		struct rlimit hard = { .rlim_cur = bytes, .rlim_max = bytes };
		if (setrlimit(RLIMIT_MEMLOCK, &hard) == 0) {
			wd_debug("memlock: raised RLIMIT_MEMLOCK to %llu bytes (soft and hard)",
				 (unsigned long long)bytes);
			return 0;
		}
		set_hint(rl.rlim_max, bytes);
		return wd_err(-EPERM, "%s", hint);
	}
	return 0;
}

/* Where the kernel charges memlock, estimating what an object needs fails
 * (5.10 charges hash buckets and page rounding, per user, and frees
 * asynchronously what earlier objects held): raise the soft and hard limits
 * as far as this process may, RLIM_INFINITY with CAP_SYS_RESOURCE, the hard
 * limit without it.  libbpf and cilium/ebpf raise to infinity as well. */
int wd_memlock_raise(void)
{
	struct rlimit rl, inf = { RLIM_INFINITY, RLIM_INFINITY };
	int charged = wd_memlock_charged();

	hint[0] = '\0';
	if (charged == 0)
		return 0;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0)
		return -errno;
	if (rl.rlim_cur == RLIM_INFINITY)
		return 0;
	if (setrlimit(RLIMIT_MEMLOCK, &inf) == 0) {
		wd_debug("memlock: raised RLIMIT_MEMLOCK to unlimited (soft and hard)");
		return 0;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit to_hard = { rl.rlim_max, rl.rlim_max };
		if (setrlimit(RLIMIT_MEMLOCK, &to_hard) < 0)
			return -errno;
		wd_debug("memlock: raised the RLIMIT_MEMLOCK soft limit to the hard limit, %llu bytes "
			 "(no CAP_SYS_RESOURCE to go further)", (unsigned long long)rl.rlim_max);
	}
	return 0;
}

/* Sum of the "memlock:" lines of every BPF map and program on the system
 * (/proc/self/fdinfo of each, by id): what is charged already.  The charge
 * is per user; which user holds an object is not readable, so this counts
 * all of them.  -errno when the ids cannot be walked. */
static int64_t fdinfo_memlock(int fd)
{
	char path[64], line[128];
	long long v = -1;
	FILE *f;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int64_t system_bpf_memlock(void)
{
	static const int cmds[][2] = { { BPF_MAP_GET_NEXT_ID, BPF_MAP_GET_FD_BY_ID },
				       { BPF_PROG_GET_NEXT_ID, BPF_PROG_GET_FD_BY_ID } };
	int64_t sum = 0;
	for (size_t c = 0; c < 2; c++) {
		uint32_t id = 0;
		int err;
		while ((err = wd_sys_get_next_id(cmds[c][0], id, &id)) == 0) {
			int fd = wd_sys_get_fd_by_id(cmds[c][1], id);
			if (fd < 0)
				continue;
			int64_t v = fdinfo_memlock(fd);
			close(fd);
			if (v > 0)
				sum += v;
		}
		if (err != -ENOENT)
			return err;
	}
	return sum;
}

/* A create or load failed with EPERM: when the kernel charges memlock and
 * the limit is not unlimited, that is the likely cause; say so with the
 * numbers.  Writes "" when memlock is not the cause. */
void wd_memlock_explain_eperm(char *buf, size_t size)
{
	struct rlimit rl;
	char cur[32], max[32], used[48];
	int64_t locked;

	buf[0] = '\0';
	if (wd_memlock_charged() != 1 || getrlimit(RLIMIT_MEMLOCK, &rl) < 0 ||
	    rl.rlim_cur == RLIM_INFINITY)
		return;
	human(cur, sizeof(cur), rl.rlim_cur);
	human(max, sizeof(max), rl.rlim_max);
	locked = system_bpf_memlock();
	if (locked >= 0) {
		char h[32];
		human(h, sizeof(h), (uint64_t)locked);
		snprintf(used, sizeof(used), ", BPF objects on this system hold %s", h);
	} else {
		used[0] = '\0';
	}
	snprintf(buf, size, "the memlock limit: this kernel charges BPF memory to RLIMIT_MEMLOCK "
		 "(before 5.11), which is %s (hard %s)%s; run with `ulimit -l unlimited` or "
		 "LimitMEMLOCK=infinity", cur, max, used);
}
