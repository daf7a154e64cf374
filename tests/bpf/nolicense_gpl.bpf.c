/* No license section and a GPL-only helper (bpf_probe_read_kernel): the
 * kernel refuses it, and the loader names the missing license section. */
#include "common.h"

SEC("tracepoint/syscalls/sys_enter_getpid")
int gpl_helper_no_license(void *ctx)
{
	long v = 0;
	bpf_probe_read_kernel(&v, sizeof(v), ctx);
	return v;
}
