/* No license section: the loader must say so. */
#include "common.h"

SEC("xdp")
int no_license(struct xdp_md *ctx)
{
	return XDP_PASS;
}
