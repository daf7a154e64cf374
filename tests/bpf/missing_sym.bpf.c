/* References a global that nothing defines. */
#include "common.h"

extern int nowhere_defined;

SEC("xdp")
int uses_missing(struct xdp_md *ctx)
{
	return nowhere_defined;
}

char LICENSE[] SEC("license") = "GPL";
