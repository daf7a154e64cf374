// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * BTF of a kernel object by id: the types a loaded map or program was
 * created with (bpf_map_info.btf_id, bpf_prog_info.btf_id), read back with
 * BPF_BTF_GET_FD_BY_ID and BPF_OBJ_GET_INFO_BY_FD (both 5.0).  Module BTF is
 * split BTF on top of vmlinux (5.11, bpf_btf_info.kernel_btf).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "spec/btf.h"
#include "warden/bpf.h"
#include "warden/warden.h"
#include "btf_id.h"

/* The kernel's answer covers as much of the struct as it knows: name and
 * kernel_btf came in 5.11, and an older kernel refuses (E2BIG) a non-zero
 * name pointer past its own struct, so the name is asked for only where
 * the first call showed the kernel has it. */
static int btf_info(int fd, struct bpf_btf_info *info, void *data, uint32_t size,
		    char *name, uint32_t name_len)
{
	uint32_t len = sizeof(*info);
	int err;

	memset(info, 0, sizeof(*info));
	if ((err = wd_sys_obj_info(fd, info, &len)) || (!data && !name))
		return err;
	bool has_name = len >= offsetof(struct bpf_btf_info, kernel_btf) + sizeof(info->kernel_btf);
	memset(info, 0, sizeof(*info));
	info->btf = wd_ptr_to_u64(data);
	info->btf_size = size;
	if (has_name && name) {
		info->name = wd_ptr_to_u64(name);
		info->name_len = name_len;
	}
	len = sizeof(*info);
	return wd_sys_obj_info(fd, info, &len);
}

int wd_btf_obj_name(int fd, char *name, size_t name_size, bool *kernel)
{
	struct bpf_btf_info info;
	char nm[64] = "";
	int err = btf_info(fd, &info, NULL, 0, nm, sizeof(nm));
	nm[sizeof(nm) - 1] = '\0';
	snprintf(name, name_size, "%s", err ? "" : nm);
	*kernel = !err && info.kernel_btf;
	return err;
}

struct wd_btf *wd_btf_load_fd(int fd, uint32_t id, char *name, size_t name_size, bool *kernel)
{
	struct bpf_btf_info info;
	struct wd_btf *btf = NULL;
	char nm[64] = "";
	void *data = NULL;
	int err;

	err = btf_info(fd, &info, NULL, 0, NULL, 0);
	if (!err && !info.btf_size)
		err = -ENODATA;
	if (!err && !(data = malloc(info.btf_size)))
		err = -ENOMEM;
	if (!err)
		err = btf_info(fd, &info, data, info.btf_size, nm, sizeof(nm));
	if (!err) {
		nm[sizeof(nm) - 1] = '\0';
		/* Module BTF (kernel_btf, not "vmlinux") only makes sense on top of vmlinux. */
		const struct wd_btf *base = info.kernel_btf && strcmp(nm, "vmlinux") ?
					    wd_btf_vmlinux() : NULL;
		btf = wd_btf_parse(data, info.btf_size, base);
		if (!btf) {
			err = errno ? -errno : -EINVAL;
			wd_err_prefix("BTF id %u: ", id);
		}
	} else {
		wd_err(err, "BTF id %u: cannot read it: %s", id, strerror(-err));
	}
	free(data);
	if (name && name_size)
		snprintf(name, name_size, "%s", nm);
	if (kernel)
		*kernel = !err && info.kernel_btf;
	if (!btf)
		errno = -err;
	return btf;
}

struct wd_btf *wd_btf_load_id(uint32_t id)
{
	struct wd_btf *btf;
	int fd = wd_sys_get_fd_by_id(BPF_BTF_GET_FD_BY_ID, id), err;

	if (fd < 0) {
		wd_err(fd, "BTF id %u: %s", id, fd == -ENOENT ? "no such BTF object" : strerror(-fd));
		errno = -fd;
		return NULL;
	}
	btf = wd_btf_load_fd(fd, id, NULL, 0, NULL);
	err = errno;
	close(fd);
	errno = err;
	return btf;
}
