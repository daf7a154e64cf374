/* CO-RE test objects: kernel types from this kernel's vmlinux.h plus local
 * variants (___flavor structs) whose layout differs from the kernel's. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
