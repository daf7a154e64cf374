// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Old-kernel emulation through the syscall seam (see warden/testing.h).
 *
 * The "rhel7" model: RHEL/CentOS 7.6+ (3.10 with BPF back-ported from the
 * 4.18 era, "enabled only for tracing purposes" per the RHEL 7.6 release
 * notes; libbpf PRs #230 and #320, where its SOCKET_FILTER probe met EINVAL):
 *   BPF_PROG_LOAD   types other than KPROBE, TRACEPOINT, PERF_EVENT: EINVAL
 *                   (the RHEL-only check at the top of bpf_prog_load());
 *                   prog_btf_fd set: EINVAL (no BTF);
 *                   other non-zero attr bytes past expected_attach_type
 *                   (func_info, attach_btf_id, fd_array ...): E2BIG, as
 *                   bpf_check_uarg_tail_zero() answers;
 *                   prog_flags other than BPF_F_STRICT_ALIGNMENT: EINVAL;
 *                   ld_imm64 with src_reg other than BPF_PSEUDO_MAP_FD
 *                   (MAP_VALUE 5.2, BTF_ID 5.10, FUNC 5.13, MAP_IDX 5.18):
 *                   EINVAL, log "unrecognized bpf_ld_imm64 insn";
 *                   kfunc calls: EINVAL; helper ids above 80
 *                   (bpf_get_current_cgroup_id, the last of 4.18):
 *                   EINVAL, log "I: (85) call unknown#N" then
 *                   "invalid func unknown#N" (I: the call's index).
 *   BPF_MAP_CREATE  types after LPM_TRIE/ARRAY_OF_MAPS/HASH_OF_MAPS (13):
 *                   EINVAL; DEVMAP..SOCKHASH (14-18) are networking maps
 *                   RHEL 7 did not enable, CGROUP_STORAGE (19) and later
 *                   are 4.19+ (QUEUE 4.20, RINGBUF 5.8 ...);
 *                   flags beyond NO_PREALLOC..STACK_BUILD_ID (0x3f), i.e.
 *                   ZERO_SEED, RDONLY_PROG/WRONLY_PROG (global data, 5.2),
 *                   MMAPABLE (5.5), INNER_MAP: EINVAL; btf_fd set: EINVAL;
 *                   btf_vmlinux_value_type_id / map_extra: E2BIG.
 *   BPF_BTF_LOAD, BPF_BTF_GET_FD_BY_ID, BPF_RAW_TRACEPOINT_OPEN (4.17 in
 *                   mainline, absent from the tracing-only back-port): EINVAL
 *   /sys/kernel/btf/vmlinux (5.4): absent (probes read a path that does
 *                   not exist)
 *   commands after BPF_TASK_FD_QUERY (4.18): LOOKUP_AND_DELETE, MAP_FREEZE,
 *                   the batch commands, LINK_CREATE, ENABLE_STATS,
 *                   ITER_CREATE ...: EINVAL
 * Not modelled: the kernel-version check of kprobe programs, the verifier's
 * 4096-instruction limit, perf_event_open differences, BPF_PROG_ATTACH.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probe.h"
#include "sys/sys.h"
#include "warden/testing.h"

#define RHEL7_LAST_HELPER 80          /* BPF_FUNC_get_current_cgroup_id, 4.18 */
#define RHEL7_LAST_MAP_TYPE BPF_MAP_TYPE_HASH_OF_MAPS
#define RHEL7_MAP_FLAGS 0x3fu         /* NO_PREALLOC .. STACK_BUILD_ID */
#define RHEL7_LAST_CMD BPF_TASK_FD_QUERY

static const char *current = "none";

/* Write the verifier's message where the caller asked for a log. */
__attribute__((format(printf, 2, 3)))
static void emu_log(const union bpf_attr *attr, const char *fmt, ...)
{
	char *buf = (char *)(uintptr_t)attr->log_buf;
	va_list ap;

	if (!attr->log_level || !buf || !attr->log_size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, attr->log_size, fmt, ap);
	va_end(ap);
}

static bool tail_nonzero(const union bpf_attr *attr, size_t from)
{
	const unsigned char *p = (const unsigned char *)attr;

	for (size_t i = from; i < sizeof(*attr); i++)
		if (p[i])
			return true;
	return false;
}

static int rhel7_insns(const union bpf_attr *attr)
{
	const struct bpf_insn *insn = (const struct bpf_insn *)(uintptr_t)attr->insns;

	for (uint32_t i = 0; insn && i < attr->insn_cnt; i++) {
		if (insn[i].code == (BPF_LD | BPF_DW | BPF_IMM) && insn[i].src_reg > BPF_PSEUDO_MAP_FD) {
			emu_log(attr, "unrecognized bpf_ld_imm64 insn\n");
			return EINVAL;
		}
		if (insn[i].code != (BPF_JMP | BPF_CALL))
			continue;
		if (insn[i].src_reg == BPF_PSEUDO_KFUNC_CALL) {
			emu_log(attr, "unknown opcode %02x\n", insn[i].code);
			return EINVAL;
		}
		if (insn[i].src_reg == 0 && (insn[i].imm < 0 || insn[i].imm > RHEL7_LAST_HELPER)) {
			/* As do_check() logs it at log_level 1: the instruction, then
			 * the verdict (the earlier instructions are not modelled). */
			emu_log(attr, "%u: (85) call unknown#%d\ninvalid func unknown#%d\n", i,
				insn[i].imm, insn[i].imm);
			return EINVAL;
		}
	}
	return 0;
}

static int rhel7_prog_load(const union bpf_attr *attr)
{
	switch (attr->prog_type) {
	case BPF_PROG_TYPE_KPROBE:
	case BPF_PROG_TYPE_TRACEPOINT:
	case BPF_PROG_TYPE_PERF_EVENT:
		break;
	default:
		return EINVAL;
	}
	if (attr->prog_btf_fd)
		return EINVAL;
	if (tail_nonzero(attr, offsetofend(union bpf_attr, expected_attach_type)))
		return E2BIG;
	if (attr->prog_flags & ~(uint32_t)BPF_F_STRICT_ALIGNMENT)
		return EINVAL;
	return rhel7_insns(attr);
}

static int rhel7_map_create(const union bpf_attr *attr)
{
	if (attr->map_type == BPF_MAP_TYPE_UNSPEC || attr->map_type > RHEL7_LAST_MAP_TYPE)
		return EINVAL;
	if (attr->map_flags & ~RHEL7_MAP_FLAGS)
		return EINVAL;
	if (attr->btf_fd)
		return EINVAL;
	if (tail_nonzero(attr, offsetofend(union bpf_attr, btf_value_type_id)))
		return E2BIG;
	return 0;
}

static int rhel7_fault(int cmd, const union bpf_attr *attr, void *ctx)
{
	(void)ctx;
	switch (cmd) {
	case WD_SYS_PERF_EVENT_OPEN:
		return 0;
	case BPF_PROG_LOAD:
		return rhel7_prog_load(attr);
	case BPF_MAP_CREATE:
		return rhel7_map_create(attr);
	case BPF_BTF_LOAD:
	case BPF_BTF_GET_FD_BY_ID:
	case BPF_RAW_TRACEPOINT_OPEN:
		return EINVAL;
	default:
		return cmd > RHEL7_LAST_CMD ? EINVAL : 0;
	}
}

static int no_btf_fault(int cmd, const union bpf_attr *attr, void *ctx)
{
	(void)attr;
	(void)ctx;
	return cmd == BPF_BTF_LOAD ? EINVAL : 0;
}

#define NO_KERN_BTF "/nonexistent/warden-emulated-kernel-without-btf"

static const struct {
	const char *name;
	wd_sys_fault_fn fn;
	const char *kern_btf;   /* NULL: the real /sys/kernel/btf/vmlinux */
} profiles[] = {
	{ "none", NULL, NULL },
	{ "rhel7", rhel7_fault, NO_KERN_BTF },
	{ "no-btf", no_btf_fault, NULL },   /* BPF_BTF_LOAD only; vmlinux BTF stays */
};

int wd_emulate(const char *profile)
{
	if (!profile || !*profile)
		profile = "none";
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		if (strcmp(profile, profiles[i].name) != 0)
			continue;
		wd_sys_set_fault(profiles[i].fn, NULL);
		wd_probe_set_kern_btf_path(profiles[i].kern_btf);
		current = profiles[i].name;
		wd_probe_reset_cache();
		wd_memlock_reset_cache();
		wd_debug("emulate: kernel profile '%s'", current);
		return 0;
	}
	wd_debug("emulate: unknown kernel profile '%s' (rhel7, no-btf, none)", profile);
	return -EINVAL;
}

int wd_emulate_from_env(void)
{
	const char *p = getenv("WARDEN_EMULATE");

	return p && *p ? wd_emulate(p) : 0;
}

const char *wd_emulate_current(void)
{
	return current;
}
