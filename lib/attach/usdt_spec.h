/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * USDT argument specs (usdt_spec.c): a note's argument string as the spec
 * libbpf's usdt.bpf.h (libbpf-dev) reads from its __bpf_usdt_specs map.
 * https://sourceware.org/systemtap/wiki/UserSpaceProbeImplementation
 */
#ifndef WARDEN_USDT_SPEC_H
#define WARDEN_USDT_SPEC_H

#include <stdbool.h>
#include <stdint.h>

#define WD_USDT_MAX_ARGS 12      /* BPF_USDT_MAX_ARG_CNT of usdt.bpf.h */

/* enum __bpf_usdt_arg_type of usdt.bpf.h */
enum wd_usdt_arg_type {
	WD_USDT_ARG_CONST,       /* "-4@$5": the value is val_off */
	WD_USDT_ARG_REG,         /* "8@%rax": pt_regs at reg_off */
	WD_USDT_ARG_REG_DEREF,   /* "-4@-20(%rbp)": user memory at reg + val_off */
	WD_USDT_ARG_SIB,         /* "1@-96(%rbp,%rax,8)": libbpf 1.7's usdt.bpf.h only */
};

/* struct __bpf_usdt_arg_spec of usdt.bpf.h (16 bytes on 64-bit) */
struct wd_usdt_arg {
	uint64_t val_off;
	uint32_t arg_type;       /* enum wd_usdt_arg_type */
	int16_t reg_off;         /* offsetof(struct pt_regs, <reg>) */
	uint8_t arg_signed;
	int8_t arg_bitshift;     /* 64 - 8 * size */
};

/* struct __bpf_usdt_spec of usdt.bpf.h: the value of __bpf_usdt_specs */
struct wd_usdt_spec {
	struct wd_usdt_arg args[WD_USDT_MAX_ARGS];
	uint64_t usdt_cookie;
	int16_t arg_cnt;
};

/* Parse one note's argument string ("-4@%edi 8@-8(%rbp) -2@$-7") into
 * spec (x86-64 register names).  0, or -EINVAL/-E2BIG/-EOPNOTSUPP with the
 * argument named. */
int wd_usdt_parse_args(const char *args, struct wd_usdt_spec *spec);

#endif
