/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel configuration (for `extern ... __kconfig` variables and for
 * `warden doctor`) and LINUX_KERNEL_VERSION.
 */
#ifndef WARDEN_PUBLIC_KCONFIG_H
#define WARDEN_PUBLIC_KCONFIG_H

#include <stddef.h>
#include <stdint.h>

struct wd_kconfig;

enum wd_kconfig_src {
	WD_KCONFIG_SRC_PATH = 1,  /* the path given to wd_kconfig_load() */
	WD_KCONFIG_SRC_PROC,      /* /proc/config.gz */
	WD_KCONFIG_SRC_BOOT,      /* /boot/config-$(uname -r) */
};

/*
 * Read a kernel config: `path` (plain or gzip, told apart by content), or
 * when NULL /proc/config.gz (CONFIG_IKCONFIG_PROC), then
 * /boot/config-$(uname -r).  Returns NULL with errno set on failure (ENOENT
 * when no file exists).  Lines that are neither `CONFIG_X=value` nor
 * comments are ignored.
 */
struct wd_kconfig *wd_kconfig_load(const char *path);
/*
 * Value of `name` ("CONFIG_BPF" or "BPF"): "y", "m", a quoted string
 * ("\"text\"", quotes kept as in the file) or a number ("100", "0x10").
 * NULL when the option is not set ("# CONFIG_X is not set", or "=n").
 */
const char *wd_kconfig_get(const struct wd_kconfig *kc, const char *name);
/* Which file was read: an enum wd_kconfig_src value. */
int wd_kconfig_source(const struct wd_kconfig *kc);
/* Its path. */
const char *wd_kconfig_path(const struct wd_kconfig *kc);
/* Number of options set. */
size_t wd_kconfig_count(const struct wd_kconfig *kc);
void wd_kconfig_free(struct wd_kconfig *kc);

/*
 * LINUX_KERNEL_VERSION as libbpf computes it: KERNEL_VERSION(a, b, c) with
 * c clamped to 255, from /proc/version_signature on Ubuntu ("Ubuntu
 * 5.15.0-91.101-generic 5.15.131" -> the last field), else from the uname
 * release ("6.1.0-18-amd64" -> 6.1.0).  Like libbpf, Debian's uname -v
 * ("... Debian 6.1.76-1 ...") is NOT consulted, so on Debian the patch level
 * is 0 while the kernel's own LINUX_VERSION_CODE has the real one; only
 * pre-5.0 kernels compare it (kprobe kern_version).  0 when unparseable.
 */
uint32_t wd_kernel_version_code(void);
/* The same from given strings (signature may be NULL); for tests. */
uint32_t wd_kernel_version_parse(const char *release, const char *signature);

#endif
