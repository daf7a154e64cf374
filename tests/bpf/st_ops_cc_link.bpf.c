/* st_ops_cc.bpf.c's table in SEC(".struct_ops.link"): registered through a
 * BPF link (kernel 6.4+), unregistered when the link closes. */
#define WD_ST_OPS_SEC ".struct_ops.link"
#define WD_ST_OPS_VAR wd_cc_link
#include "st_ops_cc.bpf.c"
