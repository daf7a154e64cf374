#include "common.h"

SEC("tracepoint/syscalls/sys_enter_getpid")
int minimal_tp(void *ctx)
{
	return 0;
}

SEC("socket")
int minimal_sock(struct __sk_buff *skb)
{
	return 7;
}

char LICENSE[] SEC("license") = "GPL";
