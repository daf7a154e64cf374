/* .kconfig externs: filled by the loader from the kernel's config. */
#include "common.h"

#define __kconfig __attribute__((section(".kconfig")))
extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern int CONFIG_HZ __kconfig;
extern _Bool CONFIG_BPF_SYSCALL __kconfig;
extern _Bool CONFIG_WARDEN_NOT_A_REAL_OPTION __kconfig __attribute__((weak));

__u64 seen[4];

SEC("xdp")
int read_kconfig(struct xdp_md *ctx)
{
	seen[0] = LINUX_KERNEL_VERSION;
	seen[1] = CONFIG_HZ;
	seen[2] = CONFIG_BPF_SYSCALL;
	seen[3] = CONFIG_WARDEN_NOT_A_REAL_OPTION;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
