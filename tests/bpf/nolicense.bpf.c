/* No license section: loads as non-GPL, as with libbpf. */
#include "common.h"

SEC("xdp")
int no_license(struct xdp_md *ctx)
{
	return XDP_PASS;
}
