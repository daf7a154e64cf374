/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* bench/agent/floor: a program that does nothing, on the tracepoints the
 * agent's open variant uses here (syscalls/sys_exit_openat), attached with
 * `warden load --attach`.  What it adds to an open() is the kernel's own
 * cost of a BPF program on a syscall tracepoint: the slow syscall entry
 * and exit work that TIF_SYSCALL_TRACEPOINT turns on for every task, the
 * perf trace record, the program call.  No tracer on that hook can add
 * less; bench/agent/run.sh prints it beside the agent. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tracepoint/syscalls/sys_exit_openat")
int nothing(void *ctx)
{
	return 0;
}
