// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Module BTF: each loaded module with CONFIG_DEBUG_INFO_BTF_MODULES has a
 * BTF object of its own, split on vmlinux (5.11, commit 36e68442d1af "bpf:
 * Load and verify kernel module BTFs"), listed by BPF_BTF_GET_NEXT_ID and
 * also shown as /sys/kernel/btf/<module>.  A __ksym variable or kfunc that
 * vmlinux lacks is looked up there, as libbpf does (load_module_btfs(),
 * find_ksym_btf_id()):
 *   - a typed variable is ld_imm64 BPF_PSEUDO_BTF_ID with the id in imm and
 *     the module's BTF fd in the second half's imm (5.11, commit
 *     541c3bad8dc5 "bpf: Support BPF ksym variables in kernel modules");
 *   - a kfunc call carries the id in imm and, in off, a slot of the
 *     program's fd_array holding the module's BTF fd (5.13, commit
 *     2357672c54c3 "bpf: Introduce BPF support for kernel module function
 *     calls"); slot 0 stays unused, off 0 meaning vmlinux.
 * The modules' BTF fds are kept for the process (a program loaded later
 * reuses them); the fd_array only grows, so a load in another thread reads
 * a stable array.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "btf_id.h"
#include "internal.h"
#include "kmod_btf.h"

#define KMOD_MAX 512

struct kmod {
	uint32_t obj_id;      /* BTF object id */
	int fd;
	int fd_idx;           /* slot in fd_array, 0 until a kfunc needs one */
	char name[64];
	struct wd_btf *btf;
};

static pthread_mutex_t kmod_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kmod kmods[KMOD_MAX];
static size_t nr_kmods;
/* BTF object ids come in increasing order (an idr, cyclic): a search looks
 * only at ids above the last one it saw, so a miss (a __weak kfunc this
 * kernel lacks) costs one GET_NEXT_ID per BTF object made since. */
static uint32_t last_seen_id;
static int fd_array[KMOD_MAX + 1];
static int nr_fd_array = 1;   /* slot 0: vmlinux, never read */

/* Add module BTF object `id` when it is one; 0 also for "not a module".
 * Only the name is read first: program BTF and vmlinux are never parsed. */
static int add_if_module(uint32_t id)
{
	struct kmod *k = &kmods[nr_kmods];
	bool kernel = false;
	int fd = wd_sys_get_fd_by_id(BPF_BTF_GET_FD_BY_ID, id);
	if (fd == -ENOENT)
		return 0;   /* freed meanwhile */
	if (fd < 0)
		return wd_err(fd, "module BTF: cannot open BTF object %u: %s", id, strerror(-fd));
	if (wd_btf_obj_name(fd, k->name, sizeof(k->name), &kernel) || !kernel ||
	    !strcmp(k->name, "vmlinux") || !(k->btf = wd_btf_load_fd(fd, id, NULL, 0, NULL))) {
		close(fd);
		return 0;
	}
	k->obj_id = id;
	k->fd = fd;
	k->fd_idx = 0;
	nr_kmods++;
	wd_debug("module BTF: %s (BTF object %u)", k->name, id);
	return 0;
}

/* Every BTF object made since the last search; module ones are kept. */
static int scan_new(void)
{
	uint32_t id = last_seen_id;
	int err;
	while (nr_kmods < KMOD_MAX) {
		err = wd_sys_get_next_id(BPF_BTF_GET_NEXT_ID, id, &id);
		if (err == -ENOENT)
			return 0;
		if (err)
			return wd_err(err, "module BTF: cannot list BTF objects: %s", strerror(-err));
		last_seen_id = id;
		if ((err = add_if_module(id)))
			return err;
	}
	return 0;
}

static int find_in(struct kmod *k, const char *name, int kind, struct wd_kmod_sym *out)
{
	uint32_t id = wd_btf_find(k->btf, name, kind);
	/* a split BTF's lookup may answer with a vmlinux id: only the module's own count */
	if (!id || id < wd_btf_start_id(k->btf))
		return 0;
	if (kind == BTF_KIND_FUNC && !k->fd_idx) {
		if (nr_fd_array > KMOD_MAX)
			return wd_err(-E2BIG, "module BTF: more than %d modules with kfuncs", KMOD_MAX);
		fd_array[nr_fd_array] = k->fd;
		k->fd_idx = nr_fd_array++;
	}
	*out = (struct wd_kmod_sym){ .btf = k->btf, .id = id, .btf_fd = k->fd,
				     .fd_idx = k->fd_idx, .module = k->name };
	return 1;
}

int wd_kmod_find(const char *name, int kind, struct wd_kmod_sym *out)
{
	int found = 0, err;
	pthread_mutex_lock(&kmod_lock);
	for (int pass = 0; pass < 2 && !found; pass++) {
		/* the modules known, then those loaded since */
		if (pass == 1 && (err = scan_new())) {
			/* before 5.4 (no BPF_BTF_GET_NEXT_ID) there is no module BTF
			 * either: not found, the caller's message says so */
			wd_debug("module BTF: search for '%s' failed: %s", name, wd_errmsg());
			break;
		}
		for (size_t i = 0; i < nr_kmods && !found; i++)
			found = find_in(&kmods[i], name, kind, out);
	}
	pthread_mutex_unlock(&kmod_lock);
	return found;
}

const int *wd_kmod_fd_array(void)
{
	pthread_mutex_lock(&kmod_lock);
	const int *a = nr_fd_array > 1 ? fd_array : NULL;
	pthread_mutex_unlock(&kmod_lock);
	return a;
}
