/* Shared by the test objects: kernel UAPI and libbpf-style helper headers. */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
