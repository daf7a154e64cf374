/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tail-call kernel bugs, as github.com/Asphaltt/tailcall-issues lists them:
 * is each of the six present on the running kernel?  Decided by probing the kernel's behaviour (what prog_array updates
 * and the verifier accept) and by reading its x86-64 JIT output (prologue,
 * bpf2bpf call sites, the fentry trampoline), never by version number.
 * No BPF program runs on a hook here (only, without /proc/kcore, a reader
 * run once by BPF_PROG_TEST_RUN), and the one bug that can panic the host
 * (freplace update, fdad456cbcca) is never triggered.
 */
#ifndef WARDEN_TAILCALLS_H
#define WARDEN_TAILCALLS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum wd_tc_issue {
	WD_TC_INVALID_TAILCALLEE,   /* 1c123c567fb1, 6.2 */
	WD_TC_TCC_OFFSET,           /* ff672c67ee76, 5.19 */
	WD_TC_TRAMPOLINE_LOOP,      /* 2b5dcb31a19a, 6.7 */
	WD_TC_HIERARCHY,            /* 116e04ba1459, 6.12 */
	WD_TC_FREPLACE_PANIC,       /* fdad456cbcca, 6.11: never triggered */
	WD_TC_FREPLACE_LOOP,        /* d6083f040d5d, 6.13 */
	WD_TC__COUNT
};

enum wd_tc_state {
	WD_TC_FIXED,
	WD_TC_NOT_FIXED,
	WD_TC_NOT_EXISTS,           /* the kernel lacks the feature involved */
	WD_TC_CANNOT_DETECT,
};

struct wd_tc_issue_info {
	const char *key;            /* short name for JSON: "invalid_tailcallee" */
	const char *name;           /* "invalid tailcallee" */
	const char *commit;         /* 12 hex digits */
	const char *title;          /* commit subject */
	const char *since;          /* first release with the bug ("5.6") */
	const char *fixed_in;       /* release of the fix ("6.2") */
	const char *note;           /* NULL, or a remark on the sources */
};

struct wd_tc_result {
	enum wd_tc_state state;
	char evidence[320];         /* one line: what was probed and what was seen */
};

const struct wd_tc_issue_info *wd_tc_issue_info(enum wd_tc_issue issue);
/* "fixed", "not fixed", "not exists", "cannot detect" */
const char *wd_tc_state_name(enum wd_tc_state state);

/* Probe the six issues.  Returns 0 (every slot filled, cannot-detect with a
 * reason included) or a negative errno when the probing itself broke. */
int wd_tailcalls_detect(struct wd_tc_result res[WD_TC__COUNT]);

/* Kernel memory (the fentry trampoline of issue 3 is no BPF program, so its
 * image is read as kernel text): /proc/kcore, else a raw_tp reader program
 * run once with BPF_PROG_TEST_RUN (bpf_probe_read_kernel, 5.10+).  AUTO
 * takes kcore and falls back when it is missing or closed, or goes to BPF
 * directly when the environment has WARDEN_NO_KCORE=1.  0 or -errno; why[]
 * says which way answered, or why neither did.  len at most 256 for BPF. */
enum wd_tc_read { WD_TC_READ_AUTO, WD_TC_READ_KCORE, WD_TC_READ_BPF };
int wd_tc_read_kernel(uint64_t addr, void *buf, size_t len, enum wd_tc_read how,
		      char *why, size_t why_sz);

/* ---- x86-64 JIT pattern decoders (pure; exposed for unit tests) --------- */

/* The start of a JIT-ed main program, as bpf_jit_comp.c emit_prologue()
 * lays it out. */
struct wd_x86_prologue {
	size_t patch_off;           /* offset of the 5-byte fentry patch site */
	int patch_kind;             /* 0 nop5, 1 call rel32 (trampoline), 2 jmp rel32 */
	int32_t patch_rel;          /* rel32 of the call/jmp */
	int tcc_init;               /* 1: xor eax,eax / xor rax,rax (tail_call_reachable main) */
	uint32_t stack;             /* sub rsp, imm32 (0 if none) */
	size_t body_off;            /* first byte after `sub rsp` (or mov rbp,rsp / endbr) */
};
/* 0, or -EINVAL with why[] naming the unexpected byte. */
int wd_x86_parse_prologue(const uint8_t *img, size_t len, struct wd_x86_prologue *p,
			  char *why, size_t why_sz);

/* Issue 4: after the prologue of a tail_call_reachable main program, fixed
 * kernels emit `cmp rax, MAX_TAIL_CALL_CNT; ja 6; push rax ...`, older ones
 * `push rax` directly.  Returns WD_TC_FIXED / WD_TC_NOT_FIXED, or
 * WD_TC_CANNOT_DETECT with why[] filled. */
enum wd_tc_state wd_x86_check_hierarchy(const uint8_t *img, size_t len, char *why, size_t why_sz);

/* Issue 2: the `mov rax, [rbp - off]` loading the tail-call counter before
 * the first bpf2bpf call of the main program: unaligned off = buggy. */
enum wd_tc_state wd_x86_check_tcc_offset(const uint8_t *img, size_t len, int32_t *disp,
					 char *why, size_t why_sz);

/* Issue 3: the fentry trampoline of a tail_call_reachable program must save
 * rax (`push rax` right after `sub rsp, N`). */
enum wd_tc_state wd_x86_check_trampoline(const uint8_t *img, size_t len, char *why, size_t why_sz);

#ifdef __cplusplus
}
#endif
#endif
