/* Preflight: a kprobe on a function no kernel has. */
#include "common.h"

SEC("kprobe/warden_no_such_function")
int probe_missing(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
