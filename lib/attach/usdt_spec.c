// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * USDT argument strings -> the spec usdt.bpf.h reads.  Each argument is
 * "SIZE@LOCATION", SIZE being 1, 2, 4 or 8 bytes, negative when signed
 * (sdt.h writes "8f" for floating point), LOCATION an assembler operand:
 *   $-7            constant
 *   %edi           register (any width: the low bytes of the 64-bit one)
 *   -8(%rbp)       memory at register + offset (offset optional)
 *   -96(%rbp,%rax,8)  base + index * scale + offset
 * libbpf's usdt.c reads the same forms; gas prints offsets in decimal.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "sys/error.h"
#include "usdt_spec.h"

#if defined(__x86_64__)
#include <asm/ptrace.h>

/* Offset in struct pt_regs of a register named at any width. */
static int reg_offset(const char *name)
{
	static const struct {
		const char *names[4];
		int off;
	} regs[] = {
		{ { "rip", "eip", "", "" },     offsetof(struct pt_regs, rip) },
		{ { "rax", "eax", "ax", "al" }, offsetof(struct pt_regs, rax) },
		{ { "rbx", "ebx", "bx", "bl" }, offsetof(struct pt_regs, rbx) },
		{ { "rcx", "ecx", "cx", "cl" }, offsetof(struct pt_regs, rcx) },
		{ { "rdx", "edx", "dx", "dl" }, offsetof(struct pt_regs, rdx) },
		{ { "rsi", "esi", "si", "sil" }, offsetof(struct pt_regs, rsi) },
		{ { "rdi", "edi", "di", "dil" }, offsetof(struct pt_regs, rdi) },
		{ { "rbp", "ebp", "bp", "bpl" }, offsetof(struct pt_regs, rbp) },
		{ { "rsp", "esp", "sp", "spl" }, offsetof(struct pt_regs, rsp) },
		{ { "r8", "r8d", "r8w", "r8b" },     offsetof(struct pt_regs, r8) },
		{ { "r9", "r9d", "r9w", "r9b" },     offsetof(struct pt_regs, r9) },
		{ { "r10", "r10d", "r10w", "r10b" }, offsetof(struct pt_regs, r10) },
		{ { "r11", "r11d", "r11w", "r11b" }, offsetof(struct pt_regs, r11) },
		{ { "r12", "r12d", "r12w", "r12b" }, offsetof(struct pt_regs, r12) },
		{ { "r13", "r13d", "r13w", "r13b" }, offsetof(struct pt_regs, r13) },
		{ { "r14", "r14d", "r14w", "r14b" }, offsetof(struct pt_regs, r14) },
		{ { "r15", "r15d", "r15w", "r15b" }, offsetof(struct pt_regs, r15) },
	};
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		for (size_t j = 0; j < 4; j++)
			if (*regs[i].names[j] && !strcmp(name, regs[i].names[j]))
				return regs[i].off;
	return -ENOENT;
}
#else
static int reg_offset(const char *name)
{
	(void)name;
	return -EOPNOTSUPP;
}
#endif

/* "%name" at *s: its pt_regs offset; *s moves past it. */
static int parse_reg(const char **s, const char *arg)
{
	char name[16];
	size_t n = 0;
	int off;
	if (**s != '%')
		return wd_err(-EINVAL, "USDT argument '%s': register expected at '%s'", arg, *s);
	(*s)++;
	while (isalnum((unsigned char)(*s)[n]) && n < sizeof(name) - 1)
		n++;
	memcpy(name, *s, n);
	name[n] = '\0';
	*s += n;
	off = reg_offset(name);
	if (off == -EOPNOTSUPP)
		return wd_err(off, "USDT argument '%s': registers are known for x86-64 only", arg);
	if (off < 0)
		return wd_err(-EINVAL, "USDT argument '%s': unknown register '%%%s'", arg, name);
	return off;
}

/* "(%base[,%index[,scale]])" after an optional offset. */
static int parse_mem(const char *s, const char *arg, struct wd_usdt_arg *a)
{
	int off = parse_reg(&s, arg);
	if (off < 0)
		return off;
	a->reg_off = (int16_t)off;
	a->arg_type = WD_USDT_ARG_REG_DEREF;
	if (*s == ',') {
		s++;
		if ((off = parse_reg(&s, arg)) < 0)
			return off;
		long scale = 1;
		if (*s == ',')
			scale = strtol(s + 1, (char **)&s, 10);
		if (scale != 1 && scale != 2 && scale != 4 && scale != 8)
			return wd_err(-EINVAL, "USDT argument '%s': scale %ld (1, 2, 4 or 8)", arg, scale);
		/* libbpf 1.7 packs index register and scale next to the type */
		a->arg_type = WD_USDT_ARG_SIB | (uint32_t)off << 8 |
			      (uint32_t)__builtin_ctzl((unsigned long)scale) << 20;
	}
	if (*s != ')' || s[1])
		return wd_err(-EINVAL, "USDT argument '%s': ')' expected at '%s'", arg, s);
	return 0;
}

/* LOCATION of one argument (the text after '@'). */
static int parse_location(const char *loc, const char *arg, struct wd_usdt_arg *a)
{
	const char *s = loc;
	char *end;
	int off;
	if (*s == '$') {
		a->arg_type = WD_USDT_ARG_CONST;
		a->val_off = (uint64_t)strtoll(s + 1, &end, 0);
		if (end == s + 1 || *end)
			return wd_err(-EINVAL, "USDT argument '%s': constant expected after '$' "
				      "(a symbol's address is not supported)", arg);
		return 0;
	}
	if (*s == '%') {
		if ((off = parse_reg(&s, arg)) < 0)
			return off;
		if (*s)
			return wd_err(-EINVAL, "USDT argument '%s': junk after the register", arg);
		a->arg_type = WD_USDT_ARG_REG;
		a->reg_off = (int16_t)off;
		return 0;
	}
	a->val_off = (uint64_t)strtoll(s, &end, 0);
	if (*end != '(')
		return wd_err(-EINVAL, "USDT argument '%s': constant, register or memory operand "
			      "expected (symbol-relative operands are not supported)", arg);
	return parse_mem(end + 1, arg, a);
}

/* One "SIZE@LOCATION" token. */
static int parse_arg(const char *arg, struct wd_usdt_arg *a)
{
	char *end;
	long size = strtol(arg, &end, 10);
	memset(a, 0, sizeof(*a));
	if (end == arg)
		return wd_err(-EINVAL, "USDT argument '%s': size expected before '@'", arg);
	if (*end == 'f')
		return wd_err(-EOPNOTSUPP, "USDT argument '%s': floating-point arguments are "
			      "not supported (usdt.bpf.h reads integers)", arg);
	if (*end != '@')
		return wd_err(-EINVAL, "USDT argument '%s': '@' expected after the size", arg);
	a->arg_signed = size < 0;
	size = labs(size);
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return wd_err(-EINVAL, "USDT argument '%s': size %ld (1, 2, 4 or 8)", arg, size);
	a->arg_bitshift = (int8_t)(64 - size * 8);
	return parse_location(end + 1, arg, a);
}

int wd_usdt_parse_args(const char *args, struct wd_usdt_spec *spec)
{
	const char *s = args;
	char tok[128];
	memset(spec, 0, sizeof(*spec));
	while (*s) {
		size_t n;
		int err;
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		n = strcspn(s, " \t\n");
		if (n >= sizeof(tok))
			return wd_err(-EINVAL, "USDT argument '%.40s...' is too long", s);
		if (spec->arg_cnt >= WD_USDT_MAX_ARGS)
			return wd_err(-E2BIG, "USDT arguments '%s': more than %d", args,
				      WD_USDT_MAX_ARGS);
		memcpy(tok, s, n);
		tok[n] = '\0';
		if ((err = parse_arg(tok, &spec->args[spec->arg_cnt]))) {
			wd_err_prefix("argument #%d: ", spec->arg_cnt);
			return err;
		}
		spec->arg_cnt++;
		s += n;
	}
	return 0;
}
