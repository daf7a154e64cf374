// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The six tail-call kernel bugs listed by the tailcall-issues detector (github.com/Asphaltt/tailcall-issues), detected by probing.
 *
 * Programs are built here from raw instructions with a hand-made BTF blob
 * (no object file to ship with the CLI).  Nothing is ever run: issues 1, 5
 * and 6 are decided by what BPF_MAP_UPDATE_ELEM on a prog_array accepts,
 * issues 2, 3 and 4 by reading the x86-64 JIT output through
 * BPF_OBJ_GET_INFO_BY_FD (jited_prog_insns / jited_ksyms) and, for the fentry
 * trampoline (no BPF program, so no jited_prog_insns), /proc/kcore or, where
 * that is missing, a reader program run once with BPF_PROG_TEST_RUN.  Issue 5 (freplace update panic) is never
 * triggered: it is either unreachable on this kernel (not exists) or cannot
 * be detected without risking the host.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include "warden/warden.h"
#include "warden/features.h"
#include "warden/bpf.h"
#include "warden/btf.h"
#include "warden/features.h"
#include "warden/tailcalls.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define LOG_SIZE 8192

/* ---- the issues ---------------------------------------------------------- */

static const struct wd_tc_issue_info issues[WD_TC__COUNT] = {
	[WD_TC_INVALID_TAILCALLEE] = {
		"invalid_tailcallee", "invalid tailcallee (freplace prog of another "
		"program type accepted as tail callee)", "1c123c567fb1",
		"bpf: Resolve fext program type when checking map compatibility", "5.6", "6.2",
		"tailcall-issues names 4a9c7bbe2ed4 (also 6.2, resolve_prog_type for EXT only); "
		"the map-compatibility change probed here is 1c123c567fb1" },
	[WD_TC_TCC_OFFSET] = {
		"tcc_offset", "invalid loading offset of tail_call_cnt for bpf2bpf",
		"ff672c67ee76", "bpf, x86: Fix tail call count offset calculation on bpf2bpf call",
		"5.10", "5.19", NULL },
	[WD_TC_TRAMPOLINE_LOOP] = {
		"trampoline_loop", "tailcall infinite loop caused by trampoline", "2b5dcb31a19a",
		"bpf, x64: Fix tailcall infinite loop", "5.10", "6.7", NULL },
	[WD_TC_HIERARCHY] = {
		"hierarchy", "tailcall hierarchy", "116e04ba1459",
		"bpf, x64: Fix tailcall hierarchy", "5.10", "6.12", NULL },
	[WD_TC_FREPLACE_PANIC] = {
		"freplace_panic", "panic caused by updating attached freplace prog to prog array",
		"fdad456cbcca", "bpf: Fix updating attached freplace prog in prog_array map",
		"6.2", "6.11", NULL },
	[WD_TC_FREPLACE_LOOP] = {
		"freplace_loop", "tailcall infinite loop caused by freplace", "d6083f040d5d",
		"bpf: Prevent tailcall infinite loop caused by freplace", "6.2", "6.13", NULL },
};

const struct wd_tc_issue_info *wd_tc_issue_info(enum wd_tc_issue issue)
{
	return (unsigned int)issue < WD_TC__COUNT ? &issues[issue] : NULL;
}

const char *wd_tc_state_name(enum wd_tc_state state)
{
	static const char *const n[] = { "fixed", "not fixed", "not exists", "cannot detect" };
	return (unsigned int)state < ARRAY_SIZE(n) ? n[state] : "?";
}

static void set(struct wd_tc_result *r, enum wd_tc_state st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set(struct wd_tc_result *r, enum wd_tc_state st, const char *fmt, ...)
{
	va_list ap;
	r->state = st;
	va_start(ap, fmt);
	vsnprintf(r->evidence, sizeof(r->evidence), fmt, ap);
	va_end(ap);
}

static void why_set(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void why_set(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;
	if (!why || !n)
		return;
	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
}

/* ---- x86-64: the few instruction patterns the JIT emits ------------------ */

static bool at(const uint8_t *img, size_t len, size_t pos, const uint8_t *pat, size_t n)
{
	return pos + n <= len && memcmp(img + pos, pat, n) == 0;
}
#define AT(img, len, pos, ...) \
	at(img, len, pos, (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

static int32_t rd32(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			 (uint32_t)p[3] << 24);
}

/* endbr64 (f3 0f 1e fa) or, after a FineIBT preamble, ENDBR_POISON
 * (0f 1f 40 d6 = nopl -42(%rax)); the preamble itself lies before bpf_func
 * (cfi_get_offset()), so jited_prog_insns starts after it. */
static size_t skip_endbr(const uint8_t *img, size_t len, size_t pos)
{
	if (AT(img, len, pos, 0xf3, 0x0f, 0x1e, 0xfa) || AT(img, len, pos, 0x0f, 0x1f, 0x40, 0xd6))
		return pos + 4;
	return pos;
}

/* The fentry patch site: X86_PATCH_SIZE bytes, a 5-byte nop (0f 1f 44 00 00;
 * K8 CPUs on old kernels: 66 66 66 66 90) until a trampoline is attached
 * (call rel32, e8) or an freplace program (jmp rel32, e9). */
static int parse_patch_site(const uint8_t *img, size_t len, size_t pos, struct wd_x86_prologue *p)
{
	p->patch_off = pos;
	if (AT(img, len, pos, 0x0f, 0x1f, 0x44, 0x00, 0x00) ||
	    AT(img, len, pos, 0x66, 0x66, 0x66, 0x66, 0x90)) {
		p->patch_kind = 0;
		return 0;
	}
	if (pos + 5 <= len && (img[pos] == 0xe8 || img[pos] == 0xe9)) {
		p->patch_kind = img[pos] == 0xe8 ? 1 : 2;
		p->patch_rel = rd32(img + pos + 1);
		return 0;
	}
	return -EINVAL;
}

/* The tail-call counter init after the patch site:
 *   31 c0      xor eax,eax   tail_call_reachable main, 5.10 - 6.6
 *   48 31 c0   xor rax,rax   tail_call_reachable main, 6.7+ (2b5dcb31a19a)
 *   66 90      nop2 / 0f 1f 00 nop3: the same layout for everything else */
static size_t parse_tcc_init(const uint8_t *img, size_t len, size_t pos, int *init)
{
	*init = 0;
	if (AT(img, len, pos, 0x31, 0xc0)) {
		*init = 1;
		return pos + 2;
	}
	if (AT(img, len, pos, 0x48, 0x31, 0xc0)) {
		*init = 1;
		return pos + 3;
	}
	if (AT(img, len, pos, 0x66, 0x90))
		return pos + 2;
	if (AT(img, len, pos, 0x0f, 0x1f, 0x00))
		return pos + 3;
	return pos;
}

int wd_x86_parse_prologue(const uint8_t *img, size_t len, struct wd_x86_prologue *p,
			  char *why, size_t why_sz)
{
	size_t pos = skip_endbr(img, len, 0);

	memset(p, 0, sizeof(*p));
	if (parse_patch_site(img, len, pos, p) < 0) {
		why_set(why, why_sz, "no fentry patch site at +%zu (byte 0x%02x)", pos,
			pos < len ? img[pos] : 0);
		return -EINVAL;
	}
	pos = parse_tcc_init(img, len, pos + 5, &p->tcc_init);
	/* 55 push rbp; 48 89 e5 mov rbp,rsp */
	if (!AT(img, len, pos, 0x55, 0x48, 0x89, 0xe5)) {
		why_set(why, why_sz, "no push rbp; mov rbp,rsp at +%zu (byte 0x%02x)", pos,
			pos < len ? img[pos] : 0);
		return -EINVAL;
	}
	pos = skip_endbr(img, len, pos + 4);   /* X86_TAIL_CALL_OFFSET is here */
	/* 48 81 ec imm32: sub rsp, round_up(stack_depth, 8) */
	if (AT(img, len, pos, 0x48, 0x81, 0xec) && pos + 7 <= len) {
		p->stack = (uint32_t)rd32(img + pos + 3);
		pos += 7;
	}
	p->body_off = pos;
	return 0;
}

/* Issue 4, 116e04ba1459 (6.12).  Main program, tail_call_reachable:
 *   before:  ... sub rsp, N; 50 (push rax: tail_call_cnt)
 *   after:   ... sub rsp, N; 48 83 f8 21 (cmp rax, MAX_TAIL_CALL_CNT);
 *            77 06 (ja 6); 50 (push rax); 48 89 e0 (mov rax, rsp);
 *            eb 01 (jmp 1); 50; 50 (push tail_call_cnt_ptr)
 * The reference detector checks "ja 6 before the first push rax". */
enum wd_tc_state wd_x86_check_hierarchy(const uint8_t *img, size_t len, char *why, size_t why_sz)
{
	struct wd_x86_prologue p;
	size_t b;

	if (wd_x86_parse_prologue(img, len, &p, why, why_sz) < 0)
		return WD_TC_CANNOT_DETECT;
	if (!p.tcc_init) {
		why_set(why, why_sz, "prologue has no xor rax,rax (main not tail_call_reachable?)");
		return WD_TC_CANNOT_DETECT;
	}
	b = p.body_off;
	if (AT(img, len, b, 0x48, 0x83, 0xf8) && AT(img, len, b + 4, 0x77, 0x06, 0x50)) {
		why_set(why, why_sz, "prologue: cmp rax,%u; ja 6; push rax (tail_call_cnt_ptr)",
			img[b + 3]);
		return WD_TC_FIXED;
	}
	if (AT(img, len, b, 0x50)) {
		why_set(why, why_sz, "prologue: push rax right after the frame (tail_call_cnt by value)");
		return WD_TC_NOT_FIXED;
	}
	why_set(why, why_sz, "unknown tail-call prologue at +%zu (byte 0x%02x)", b,
		b < len ? img[b] : 0);
	return WD_TC_CANNOT_DETECT;
}

/* Issue 2, ff672c67ee76 (5.19).  Before each bpf2bpf call of a
 * tail_call_reachable program the JIT reloads rax from the stack slot of the
 * counter (48 8b 85 disp32 = mov rax, [rbp + disp32]), then call rel32 (e8),
 * maybe after the call-depth accounting (up to 10 bytes).
 *   before: disp = -(stack_depth + 8)          stack_depth 4 -> -12
 *   after:  disp = -round_up(stack_depth, 8) - 8  (-16; 6.12+: the counter
 *           pointer at -round_up(stack_depth, 8) - 16)
 * The probe program has stack_depth 4: unaligned disp = buggy. */
enum wd_tc_state wd_x86_check_tcc_offset(const uint8_t *img, size_t len, int32_t *disp,
					 char *why, size_t why_sz)
{
	struct wd_x86_prologue p;

	if (wd_x86_parse_prologue(img, len, &p, why, why_sz) < 0)
		return WD_TC_CANNOT_DETECT;
	for (size_t i = p.body_off; i + 7 <= len; i++) {
		if (!AT(img, len, i, 0x48, 0x8b, 0x85))
			continue;
		int32_t d = rd32(img + i + 3);
		bool call = false;
		for (size_t k = i + 7; k < i + 7 + 16 && k < len && !call; k++)
			call = img[k] == 0xe8;
		if (d >= 0 || d < -4096 || !call)
			continue;
		*disp = d;
		if (d & 7) {
			why_set(why, why_sz, "mov rax,[rbp%d] before the bpf2bpf call: unaligned", d);
			return WD_TC_NOT_FIXED;
		}
		why_set(why, why_sz, "mov rax,[rbp%d] before the bpf2bpf call: 8-byte aligned", d);
		return WD_TC_FIXED;
	}
	why_set(why, why_sz, "no mov rax,[rbp-off] + call in the main program");
	return WD_TC_CANNOT_DETECT;
}

/* Issue 3, 2b5dcb31a19a (6.7).  arch_prepare_bpf_trampoline():
 *   [f3 0f 1e fa endbr] [65 48 c1 3c 25 d32 05: sarq $5,%gs:call_depth]
 *   55 push rbp; 48 89 e5 mov rbp,rsp; 48 83 ec ib | 48 81 ec id sub rsp,N
 *   then, with BPF_TRAMP_F_TAIL_CALL_CTX (the fix): 50 push rax (saves
 *   tail_call_cnt, restored before calling the program);
 *   before the fix: 53 push rbx (5.10 - 6.0) or 48 89 5d xx mov [rbp-x],rbx. */
enum wd_tc_state wd_x86_check_trampoline(const uint8_t *img, size_t len, char *why, size_t why_sz)
{
	size_t pos = skip_endbr(img, len, 0);

	if (AT(img, len, pos, 0x65, 0x48, 0xc1, 0x3c, 0x25) && AT(img, len, pos + 9, 0x05))
		pos += 10;
	if (!AT(img, len, pos, 0x55, 0x48, 0x89, 0xe5)) {
		why_set(why, why_sz, "trampoline: no push rbp; mov rbp,rsp at +%zu", pos);
		return WD_TC_CANNOT_DETECT;
	}
	pos += 4;
	if (AT(img, len, pos, 0x48, 0x83, 0xec))
		pos += 4;
	else if (AT(img, len, pos, 0x48, 0x81, 0xec))
		pos += 7;
	else {
		why_set(why, why_sz, "trampoline: no sub rsp,N at +%zu", pos);
		return WD_TC_CANNOT_DETECT;
	}
	if (AT(img, len, pos, 0x50)) {
		why_set(why, why_sz, "trampoline saves rax (push rax after sub rsp)");
		return WD_TC_FIXED;
	}
	if (AT(img, len, pos, 0x53) || AT(img, len, pos, 0x48, 0x89, 0x5d)) {
		why_set(why, why_sz, "trampoline does not save rax (0x%02x after sub rsp, no push rax)",
			img[pos]);
		return WD_TC_NOT_FIXED;
	}
	why_set(why, why_sz, "trampoline: unknown byte 0x%02x after sub rsp",
		pos < len ? img[pos] : 0);
	return WD_TC_CANNOT_DETECT;
}

/* ---- BTF for the probe programs ------------------------------------------ */

/* Type ids of the blob below. */
enum {
	T_INT = 1, T_XDP_MD, T_XDP_PTR, T_XDP_PROTO, T_SKB, T_SKB_PTR, T_SKB_PROTO,
	F_ENTRY, F_XDP_SUB, F_TC_ENTRY, F_TC_SUB, F_TAIL_SUB, F_EXT_XDP, F_EXT_TC,
	T__COUNT
};

struct btf_builder {
	uint32_t t[96];
	size_t nt;
	char s[256];
	size_t ns;
};

static uint32_t bstr(struct btf_builder *b, const char *str)
{
	uint32_t off = (uint32_t)b->ns;
	size_t n = strlen(str) + 1;
	memcpy(b->s + b->ns, str, n);
	b->ns += n;
	return off;
}

static void bt(struct btf_builder *b, uint32_t a, uint32_t c, uint32_t d)
{
	b->t[b->nt++] = a;
	b->t[b->nt++] = c;
	b->t[b->nt++] = d;
}

static void btf_build(struct btf_builder *b)
{
	uint32_t ctx = bstr(b, "ctx");
	b->nt = 0;
	bt(b, bstr(b, "int"), BTF_INFO_ENC(BTF_KIND_INT, 0, 0), 4);        /* 1 */
	b->t[b->nt++] = BTF_INT_ENC(BTF_INT_SIGNED, 0, 32);
	bt(b, bstr(b, "xdp_md"), BTF_INFO_ENC(BTF_KIND_STRUCT, 0, 0), 4);  /* 2 */
	bt(b, 0, BTF_INFO_ENC(BTF_KIND_PTR, 0, 0), T_XDP_MD);              /* 3 */
	bt(b, 0, BTF_INFO_ENC(BTF_KIND_FUNC_PROTO, 0, 1), T_INT);          /* 4 */
	b->t[b->nt++] = ctx;
	b->t[b->nt++] = T_XDP_PTR;
	bt(b, bstr(b, "__sk_buff"), BTF_INFO_ENC(BTF_KIND_STRUCT, 0, 0), 4); /* 5 */
	bt(b, 0, BTF_INFO_ENC(BTF_KIND_PTR, 0, 0), T_SKB);                 /* 6 */
	bt(b, 0, BTF_INFO_ENC(BTF_KIND_FUNC_PROTO, 0, 1), T_INT);          /* 7 */
	b->t[b->nt++] = ctx;
	b->t[b->nt++] = T_SKB_PTR;
	/* FUNC: vlen = linkage (0 static, 1 global) */
	bt(b, bstr(b, "wd_tc_entry"), BTF_INFO_ENC(BTF_KIND_FUNC, 0, 1), T_XDP_PROTO);
	bt(b, bstr(b, "wd_tc_xdp_sub"), BTF_INFO_ENC(BTF_KIND_FUNC, 0, 1), T_XDP_PROTO);
	bt(b, bstr(b, "wd_tc_tc_entry"), BTF_INFO_ENC(BTF_KIND_FUNC, 0, 1), T_SKB_PROTO);
	bt(b, bstr(b, "wd_tc_tc_sub"), BTF_INFO_ENC(BTF_KIND_FUNC, 0, 1), T_SKB_PROTO);
	bt(b, bstr(b, "wd_tc_tail_sub"), BTF_INFO_ENC(BTF_KIND_FUNC, 0, 0), T_XDP_PROTO);
	bt(b, bstr(b, "wd_tc_ext_xdp"), BTF_INFO_ENC(BTF_KIND_FUNC, 0, 1), T_XDP_PROTO);
	bt(b, bstr(b, "wd_tc_ext_tc"), BTF_INFO_ENC(BTF_KIND_FUNC, 0, 1), T_SKB_PROTO);
}

/* Load the blob: its fd, or -errno. */
static int btf_load(void)
{
	struct btf_builder b = { .ns = 1 };
	uint8_t raw[sizeof(struct btf_header) + sizeof(b.t) + sizeof(b.s)];
	struct btf_header h = { .magic = BTF_MAGIC, .version = BTF_VERSION,
				.hdr_len = sizeof(h) };
	char log[1024] = "";

	btf_build(&b);
	h.type_len = (uint32_t)(b.nt * 4);
	h.str_off = h.type_len;
	h.str_len = (uint32_t)b.ns;
	memcpy(raw, &h, sizeof(h));
	memcpy(raw + sizeof(h), b.t, h.type_len);
	memcpy(raw + sizeof(h) + h.type_len, b.s, b.ns);
	int fd = wd_sys_btf_load(raw, (uint32_t)(sizeof(h) + h.type_len + h.str_len), log,
				 sizeof(log), 1);
	if (fd < 0)
		wd_debug("tailcalls: BTF load: %s %s", strerror(-fd), log);
	return fd;
}

/* ---- the probe programs ------------------------------------------------- */

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV64_IMM(d, i)   INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define EXIT_INSN()       INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define CALL_HELPER(id)   INSN(BPF_JMP | BPF_CALL, 0, 0, 0, id)
#define CALL_SUB(rel)     INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, rel)
#define ST_W(d, o, i)     INSN(BPF_ST | BPF_MEM | BPF_W, d, 0, o, i)
#define LD_MAP_FD(d, fd) \
	INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd), INSN(0, 0, 0, 0, 0)

struct probe_prog {
	uint32_t type, eat;
	const struct bpf_insn *insns;
	uint32_t cnt;
	const char *name;
	int btf_fd;                       /* -1: no BTF */
	const struct bpf_func_info *fi;
	uint32_t fi_cnt;
	int attach_prog_fd;
	uint32_t attach_btf_id;
};

static bool stats_line(const char *l)
{
	return !*l || !strncmp(l, "processed ", 10) || !strncmp(l, "verification time", 17) ||
	       !strncmp(l, "stack depth", 11);
}

/* The verifier's verdict: the last line of the log that is not statistics
 * ("processed N insns ...").  Cuts the log in place. */
static const char *log_verdict(char *log)
{
	for (;;) {
		size_t n = strlen(log);
		while (n && (log[n - 1] == '\n' || log[n - 1] == ' '))
			log[--n] = '\0';
		char *last = strrchr(log, '\n');
		const char *line = last ? last + 1 : log;
		if (!stats_line(line) || !last)
			return stats_line(line) ? "" : line;
		*last = '\0';
	}
}

/* fd or -errno; the verifier log's last line lands in msg when it fails. */
static int prog_load(const struct probe_prog *pp, char *msg, size_t msg_sz)
{
	static char log[LOG_SIZE];
	struct wd_prog_load_args a = {
		.type = pp->type, .expected_attach_type = pp->eat, .insns = pp->insns,
		.insn_cnt = pp->cnt, .license = "GPL", .name = pp->name,
		.log_buf = log, .log_size = sizeof(log), .log_level = 1,
	};
	if (pp->btf_fd >= 0 && pp->fi) {
		a.btf_fd = (uint32_t)pp->btf_fd;
		a.func_info = pp->fi;
		a.func_info_rec_size = sizeof(struct bpf_func_info);
		a.func_info_cnt = pp->fi_cnt;
	}
	a.attach_prog_fd = pp->attach_prog_fd > 0 ? (uint32_t)pp->attach_prog_fd : 0;
	a.attach_btf_id = pp->attach_btf_id;
	log[0] = '\0';
	int fd = wd_sys_prog_load(&a);
	if (fd >= 0 || !msg)
		return fd;
	const char *v = log_verdict(log);
	snprintf(msg, msg_sz, "%s%s%s%s", strerror(-fd), v[0] ? " (" : "", v, v[0] ? ")" : "");
	return fd;
}

static int prog_array_create(uint32_t entries)
{
	struct wd_map_create_args m = { .type = BPF_MAP_TYPE_PROG_ARRAY, .key_size = 4,
					.value_size = 4, .max_entries = entries };
	return wd_sys_map_create(&m);
}

static int array_put(int map_fd, uint32_t key, int prog_fd)
{
	uint32_t v = (uint32_t)prog_fd;
	return wd_sys_map_update(map_fd, &key, &v, BPF_ANY);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* XDP main program calling a static subprog that tail-calls through map_fd
 * (or just returns when map_fd < 0: the bpf2bpf probe).  The main program
 * writes 4 bytes of stack, so its stack_depth (4) is not a multiple of 8. */
static int load_tailcall_prog(int map_fd, int btf_fd, char *msg, size_t msg_sz)
{
	const struct bpf_insn with_tc[] = {
		ST_W(BPF_REG_10, -4, 0),
		CALL_SUB(1),
		EXIT_INSN(),
		LD_MAP_FD(BPF_REG_2, map_fd),                   /* 3: tail_sub */
		MOV64_IMM(BPF_REG_3, 0),
		CALL_HELPER(BPF_FUNC_tail_call),
		MOV64_IMM(BPF_REG_0, 0),
		EXIT_INSN(),
	};
	const struct bpf_insn no_tc[] = {
		ST_W(BPF_REG_10, -4, 0), CALL_SUB(1), EXIT_INSN(),
		MOV64_IMM(BPF_REG_0, 0), EXIT_INSN(),
	};
	const struct bpf_func_info fi[] = { { 0, F_ENTRY }, { 3, F_TAIL_SUB } };
	struct probe_prog pp = { .type = BPF_PROG_TYPE_XDP, .name = "wd_tc_entry",
				 .btf_fd = btf_fd, .fi = fi, .fi_cnt = 2 };

	pp.insns = map_fd >= 0 ? with_tc : no_tc;
	pp.cnt = map_fd >= 0 ? ARRAY_SIZE(with_tc) : ARRAY_SIZE(no_tc);
	return prog_load(&pp, msg, msg_sz);
}

/* XDP or TC program whose main calls a global subprog (an freplace target). */
static int load_target(bool tc, int btf_fd, char *msg, size_t msg_sz)
{
	/* The XDP subprog calls bpf_xdp_adjust_head(ctx, 0): kernels that track
	 * changes_pkt_data refuse an freplace prog with a tail call (which
	 * counts as changing packet data) over a subprog that does not. */
	const struct bpf_insn xdp[] = {
		CALL_SUB(1), EXIT_INSN(),
		MOV64_IMM(BPF_REG_2, 0), CALL_HELPER(BPF_FUNC_xdp_adjust_head),
		MOV64_IMM(BPF_REG_0, 0), EXIT_INSN(),
	};
	const struct bpf_insn skb[] = {
		CALL_SUB(1), EXIT_INSN(), MOV64_IMM(BPF_REG_0, 0), EXIT_INSN(),
	};
	const struct bpf_func_info fx[] = { { 0, F_ENTRY }, { 2, F_XDP_SUB } };
	const struct bpf_func_info ft[] = { { 0, F_TC_ENTRY }, { 2, F_TC_SUB } };
	struct probe_prog pp = {
		.type = tc ? BPF_PROG_TYPE_SCHED_CLS : BPF_PROG_TYPE_XDP,
		.insns = tc ? skb : xdp, .cnt = tc ? ARRAY_SIZE(skb) : ARRAY_SIZE(xdp), .name = tc ? "wd_tc_tgt_tc" : "wd_tc_tgt_xdp",
		.btf_fd = btf_fd, .fi = tc ? ft : fx, .fi_cnt = 2,
	};
	return prog_load(&pp, msg, msg_sz);
}

/* freplace (EXT) program replacing the global subprog of `target`; with
 * map_fd >= 0 it tail-calls through it (which makes the map's owner). */
static int load_ext(int target_fd, bool tc, int map_fd, int btf_fd, char *msg, size_t msg_sz)
{
	const struct bpf_insn ret0[] = { MOV64_IMM(BPF_REG_0, 0), EXIT_INSN() };
	const struct bpf_insn tail[] = {
		LD_MAP_FD(BPF_REG_2, map_fd), MOV64_IMM(BPF_REG_3, 0),
		CALL_HELPER(BPF_FUNC_tail_call), MOV64_IMM(BPF_REG_0, 0), EXIT_INSN(),
	};
	const struct bpf_func_info fi[] = { { 0, tc ? F_EXT_TC : F_EXT_XDP } };
	struct probe_prog pp = {
		.type = BPF_PROG_TYPE_EXT, .name = "wd_tc_ext", .btf_fd = btf_fd, .fi = fi,
		.fi_cnt = 1, .attach_prog_fd = target_fd, .attach_btf_id = tc ? F_TC_SUB : F_XDP_SUB,
	};
	pp.insns = map_fd >= 0 ? tail : ret0;
	pp.cnt = map_fd >= 0 ? ARRAY_SIZE(tail) : ARRAY_SIZE(ret0);
	return prog_load(&pp, msg, msg_sz);
}

/* fentry program attached to the main function of `target`. */
static int load_fentry(int target_fd, char *msg, size_t msg_sz)
{
	const struct bpf_insn ret0[] = { MOV64_IMM(BPF_REG_0, 0), EXIT_INSN() };
	struct probe_prog pp = {
		.type = BPF_PROG_TYPE_TRACING, .eat = BPF_TRACE_FENTRY, .insns = ret0,
		.cnt = ARRAY_SIZE(ret0), .name = "wd_tc_fentry", .btf_fd = -1,
		.attach_prog_fd = target_fd, .attach_btf_id = F_ENTRY,
	};
	return prog_load(&pp, msg, msg_sz);
}

/* ---- JIT image ----------------------------------------------------------- */

struct jit_image {
	uint8_t *insns;
	uint32_t len;        /* the main function's length when known */
	uint64_t ksym;       /* kernel address of the main function */
};

static const char *kptr_restrict(void)
{
	static char v[16];
	int fd = open("/proc/sys/kernel/kptr_restrict", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, v, sizeof(v) - 1) : -1;
	if (fd >= 0)
		close(fd);
	v[n > 0 ? n : 0] = '\0';
	if (n > 0 && v[n - 1] == '\n')
		v[n - 1] = '\0';
	return n > 0 ? v : "?";
}

/* 0, or -errno with why[] filled (not JITed, image not readable). */
static int jit_image_get(int prog_fd, struct jit_image *j, char *why, size_t why_sz)
{
	struct bpf_prog_info info = { 0 };
	uint32_t ilen = sizeof(info);
	int err = wd_sys_obj_info(prog_fd, &info, &ilen);

	memset(j, 0, sizeof(*j));
	if (err < 0) {
		why_set(why, why_sz, "BPF_OBJ_GET_INFO_BY_FD: %s", strerror(-err));
		return err;
	}
	if (!info.jited_prog_len) {
		why_set(why, why_sz, "program not JIT-compiled (net.core.bpf_jit_enable=0?)");
		return -ENOENT;
	}
	uint32_t len = info.jited_prog_len, nks = info.nr_jited_ksyms;
	uint32_t nfl = info.nr_jited_func_lens;
	uint64_t ks[8] = { 0 };
	uint32_t fl[8] = { 0 };
	j->insns = calloc(1, len);
	if (!j->insns)
		return -ENOMEM;
	memset(&info, 0, sizeof(info));
	info.jited_prog_len = len;
	info.jited_prog_insns = wd_ptr_to_u64(j->insns);
	info.nr_jited_ksyms = nks < 8 ? nks : 8;
	info.jited_ksyms = wd_ptr_to_u64(ks);
	info.nr_jited_func_lens = nfl < 8 ? nfl : 8;
	info.jited_func_lens = wd_ptr_to_u64(fl);
	ilen = sizeof(info);
	err = wd_sys_obj_info(prog_fd, &info, &ilen);
	if (err < 0 || !info.jited_prog_insns) {
		free(j->insns);
		j->insns = NULL;
		why_set(why, why_sz, "JIT image not readable: kernel.kptr_restrict=%s%s%s",
			kptr_restrict(), err < 0 ? ", " : "", err < 0 ? strerror(-err) : "");
		return err < 0 ? err : -EACCES;
	}
	j->len = nfl && fl[0] && fl[0] <= len ? fl[0] : len;
	j->ksym = nks ? ks[0] : 0;
	return 0;
}

/* ---- /proc/kcore: read kernel text (the trampoline image) ---------------- */

static int kcore_read(uint64_t addr, void *buf, size_t len, char *why, size_t why_sz)
{
	int fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
	Elf64_Ehdr eh;
	int err = -ENOENT;

	if (fd < 0) {
		why_set(why, why_sz, "/proc/kcore: %s", strerror(errno));
		return -errno;
	}
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG)) {
		why_set(why, why_sz, "/proc/kcore: not an ELF file");
		close(fd);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < eh.e_phnum && err == -ENOENT; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) !=
		    sizeof(ph))
			break;
		if (ph.p_type != PT_LOAD || addr < ph.p_vaddr || addr + len > ph.p_vaddr + ph.p_memsz)
			continue;
		ssize_t n = pread(fd, buf, len, (off_t)(ph.p_offset + (addr - ph.p_vaddr)));
		err = n == (ssize_t)len ? 0 : -EIO;
	}
	close(fd);
	if (err == -ENOENT)
		err = -EFAULT;
	if (err)
		why_set(why, why_sz, "/proc/kcore: 0x%llx %s", (unsigned long long)addr,
			err == -EFAULT ? "not mapped" : "read failed");
	return err;
}

/* ---- kernel text without /proc/kcore -------------------------------------- */

#define LDX_DW(d, s, o)   INSN(BPF_LDX | BPF_MEM | BPF_DW, d, s, o, 0)
#define MOV64_REG(d, s)   INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ADD64_IMM(d, i)   INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define JEQ_IMM(d, i, o)  INSN(BPF_JMP | BPF_JEQ | BPF_K, d, 0, o, i)
#define KREAD_MAX 256
#define KERNEL_ENOTSUPP 524   /* include/linux/errno.h, not in the UAPI */

/* Kernel memory through BPF where /proc/kcore is missing (CONFIG_PROC_KCORE
 * off, or hidden in a container): a raw_tp program run once with
 * BPF_PROG_TEST_RUN (raw_tp test runs: 5.10, kernel commit 1b4d60ec162f
 * "bpf: Enable BPF_PROG_TEST_RUN for raw_tracepoint") copies len bytes at
 * args[0] into an array map with bpf_probe_read_kernel() (5.5).  It hangs
 * on no hook and runs only in this call.  Kernel lockdown in
 * confidentiality mode refuses the helper at run time (EINVAL). */
static int bpf_read(uint64_t addr, void *buf, size_t len, char *why, size_t why_sz)
{
	struct wd_map_create_args m = { .type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
					.value_size = (uint32_t)len, .max_entries = 1 };
	uint64_t args[1] = { addr };
	uint32_t zero = 0, retval = 0;
	char msg[200] = "";
	int map_fd, prog_fd, err;

	if (!len || len > KREAD_MAX) {
		why_set(why, why_sz, "bpf_probe_read_kernel: %zu bytes asked, 1..%d allowed", len,
			KREAD_MAX);
		return -EINVAL;
	}
	map_fd = wd_sys_map_create(&m);
	if (map_fd < 0) {
		why_set(why, why_sz, "bpf_probe_read_kernel: array map: %s", strerror(-map_fd));
		return map_fd;
	}
	const struct bpf_insn insns[] = {
		LDX_DW(BPF_REG_6, BPF_REG_1, 0),                /* r6 = args[0] */
		ST_W(BPF_REG_10, -4, 0),
		MOV64_REG(BPF_REG_2, BPF_REG_10),
		ADD64_IMM(BPF_REG_2, -4),
		LD_MAP_FD(BPF_REG_1, map_fd),
		CALL_HELPER(BPF_FUNC_map_lookup_elem),
		JEQ_IMM(BPF_REG_0, 0, 5),
		MOV64_REG(BPF_REG_1, BPF_REG_0),
		MOV64_IMM(BPF_REG_2, (int32_t)len),
		MOV64_REG(BPF_REG_3, BPF_REG_6),
		CALL_HELPER(BPF_FUNC_probe_read_kernel),       /* r0 = 0 or -errno */
		EXIT_INSN(),
		MOV64_IMM(BPF_REG_0, -ENOENT),
		EXIT_INSN(),
	};
	struct probe_prog pp = { .type = BPF_PROG_TYPE_RAW_TRACEPOINT, .insns = insns,
				 .cnt = ARRAY_SIZE(insns), .name = "wd_tc_kread", .btf_fd = -1 };
	prog_fd = prog_load(&pp, msg, sizeof(msg));
	if (prog_fd < 0) {
		why_set(why, why_sz, "bpf_probe_read_kernel: reader program load: %s", msg);
		close(map_fd);
		return prog_fd;
	}
	err = wd_sys_prog_test_run(prog_fd, NULL, 0, NULL, NULL, args, sizeof(args), 0, &retval,
				   NULL);
	if (err < 0)
		why_set(why, why_sz, "bpf_probe_read_kernel: BPF_PROG_TEST_RUN of a raw_tp "
			"program: %s%s", strerror(-err),
			err == -EINVAL || err == -KERNEL_ENOTSUPP ? " (raw_tp test runs need 5.10)" : "");
	else if ((err = (int32_t)retval) < 0)
		why_set(why, why_sz, "bpf_probe_read_kernel at 0x%llx: %s%s",
			(unsigned long long)addr, strerror(-err),
			err == -EINVAL ? " (kernel lockdown: confidentiality?)" : "");
	else if ((err = wd_sys_map_lookup(map_fd, &zero, buf, 0)) < 0)
		why_set(why, why_sz, "bpf_probe_read_kernel: map lookup: %s", strerror(-err));
	close(prog_fd);
	close(map_fd);
	return err;
}

/* The kernel's bytes at addr: /proc/kcore, else (missing, unreadable, or
 * WARDEN_NO_KCORE set) through BPF.  *how names the way that answered. */
int wd_tc_read_kernel(uint64_t addr, void *buf, size_t len, enum wd_tc_read how,
		      char *why, size_t why_sz)
{
	char kwhy[200] = "";
	const char *env = getenv("WARDEN_NO_KCORE");
	int err;
	if (how == WD_TC_READ_AUTO && env && *env && strcmp(env, "0"))
		how = WD_TC_READ_BPF;
	if (how != WD_TC_READ_BPF) {
		err = kcore_read(addr, buf, len, kwhy, sizeof(kwhy));
		if (!err || how == WD_TC_READ_KCORE) {
			why_set(why, why_sz, "%s", err ? kwhy : "read from /proc/kcore");
			return err;
		}
		/* only a missing or closed kcore falls back: an address kcore
		 * does not map is not mapped for BPF either */
		if (err != -ENOENT && err != -EACCES && err != -EPERM && err != -EINVAL) {
			why_set(why, why_sz, "%s", kwhy);
			return err;
		}
	}
	err = bpf_read(addr, buf, len, why, why_sz);
	if (!err)
		why_set(why, why_sz, "read with bpf_probe_read_kernel (%s)",
			how == WD_TC_READ_BPF ? (env && *env && strcmp(env, "0") ?
						 "WARDEN_NO_KCORE set" : "asked for") : kwhy);
	return err;
}

/* ---- the probes ---------------------------------------------------------- */

struct ctx {
	int btf_fd;
	bool x86;
	/* bpf2bpf + tail calls */
	int bpf2bpf;              /* 1 yes, 0 no, <0 error */
	int tc_in_sub;            /* 1 yes, 0 refused, <0 error */
	char tc_msg[200];
	int map_fd, tc_fd;        /* the JIT probe program and its prog_array */
};

static bool refused(int err)
{
	return err == -EPERM || err == -EACCES;
}

static void set_jit_issues(struct wd_tc_result *res, enum wd_tc_state st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_jit_issues(struct wd_tc_result *res, enum wd_tc_state st, const char *fmt, ...)
{
	char buf[sizeof(res[0].evidence)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	set(&res[WD_TC_TCC_OFFSET], st, "%s", buf);
	set(&res[WD_TC_TRAMPOLINE_LOOP], st, "%s", buf);
	set(&res[WD_TC_HIERARCHY], st, "%s", buf);
}

/* Can this kernel tail-call from a subprogram?  Fills c->bpf2bpf/tc_in_sub. */
static void probe_tail_call_in_subprog(struct ctx *c)
{
	char msg[200] = "";
	int fd;

	if (wd_probe_prog_type(BPF_PROG_TYPE_XDP) == 0) {
		c->bpf2bpf = 0;
		snprintf(c->tc_msg, sizeof(c->tc_msg), "%s", "the probe programs are XDP and this "
			 "kernel does not know XDP (it predates bpf2bpf calls)");
		return;
	}
	fd = load_tailcall_prog(-1, c->btf_fd, msg, sizeof(msg));

	c->bpf2bpf = fd >= 0 ? 1 : fd == -EINVAL ? 0 : fd;
	close_fd(&fd);
	if (c->bpf2bpf != 1) {
		snprintf(c->tc_msg, sizeof(c->tc_msg), "%s", msg);
		return;
	}
	c->map_fd = prog_array_create(1);
	if (c->map_fd < 0) {
		c->tc_in_sub = c->map_fd;
		snprintf(c->tc_msg, sizeof(c->tc_msg), "prog_array: %s", strerror(-c->map_fd));
		return;
	}
	c->tc_fd = load_tailcall_prog(c->map_fd, c->btf_fd, c->tc_msg, sizeof(c->tc_msg));
	c->tc_in_sub = c->tc_fd >= 0 ? 1 : c->tc_fd == -EINVAL ? 0 : c->tc_fd;
}

static void detect_tcc_and_hierarchy(struct ctx *c, const struct jit_image *j,
				     struct wd_tc_result *res)
{
	char why[200];
	int32_t disp = 0;
	enum wd_tc_state st = wd_x86_check_tcc_offset(j->insns, j->len, &disp, why, sizeof(why));

	set(&res[WD_TC_TCC_OFFSET], st, "JIT of an XDP prog (stack_depth 4, bpf2bpf + tail call): %s",
	    why);
	st = wd_x86_check_hierarchy(j->insns, j->len, why, sizeof(why));
	set(&res[WD_TC_HIERARCHY], st, "JIT of the tail_call_reachable main prog: %s", why);
	(void)c;
}

/* Attach fentry to the probe program, follow its patched `call` to the
 * trampoline and read the trampoline's prologue from /proc/kcore. */
static void detect_trampoline(struct ctx *c, struct wd_tc_result *res)
{
	struct wd_tc_result *r = &res[WD_TC_TRAMPOLINE_LOOP];
	char msg[200] = "", why[200] = "";
	struct jit_image j;
	uint8_t tramp[64];
	int link = -1, fe;

	if (c->btf_fd < 0) {
		set(r, WD_TC_CANNOT_DETECT, "fentry on a BPF prog needs BTF; BTF load failed");
		return;
	}
	fe = load_fentry(c->tc_fd, msg, sizeof(msg));
	if (fe < 0) {
		set(r, WD_TC_CANNOT_DETECT, "fentry program load %s: %s%s (the trampoline "
			   "image is needed)", refused(fe) ? "refused" : "failed", msg,
		    fe == -EPERM && !strchr(msg, '(') ? " with an empty verifier log" : "");
		return;
	}
	link = wd_sys_raw_tp_open(NULL, fe);
	if (link < 0) {
		set(r, WD_TC_CANNOT_DETECT, "fentry attach to the tail_call_reachable prog: %s",
		    strerror(-link));
		close(fe);
		return;
	}
	if (jit_image_get(c->tc_fd, &j, why, sizeof(why)) < 0) {
		set(r, WD_TC_CANNOT_DETECT, "%s", why);
		goto out;
	}
	struct wd_x86_prologue p;
	if (!j.ksym) {
		set(r, WD_TC_CANNOT_DETECT, "JIT symbol addresses hidden (kernel.kptr_restrict=%s)",
		    kptr_restrict());
		goto out_free;
	}
	if (wd_x86_parse_prologue(j.insns, j.len, &p, why, sizeof(why)) < 0 || p.patch_kind != 1) {
		set(r, WD_TC_CANNOT_DETECT, "fentry attached but no call to a trampoline in the "
		    "JIT image%s%s", why[0] ? ": " : "", why);
		goto out_free;
	}
	uint64_t addr = j.ksym + p.patch_off + 5 + (int64_t)p.patch_rel;
	char how[200];
	if (wd_tc_read_kernel(addr, tramp, sizeof(tramp), WD_TC_READ_AUTO, how, sizeof(how)) < 0) {
		set(r, WD_TC_CANNOT_DETECT, "trampoline image not readable: %s", how);
		goto out_free;
	}
	enum wd_tc_state st = wd_x86_check_trampoline(tramp, sizeof(tramp), why, sizeof(why));
	set(r, st, "fentry trampoline of the tail_call_reachable prog, %s: %s", how, why);
out_free:
	free(j.insns);
out:
	close(link);
	close(fe);
}

static void detect_jit_issues(struct ctx *c, struct wd_tc_result *res)
{
	struct jit_image j;
	char why[200];

	if (c->bpf2bpf == 0) {
		set_jit_issues(res, WD_TC_NOT_EXISTS, "no bpf2bpf calls: %s", c->tc_msg);
		return;
	}
	if (c->bpf2bpf < 0) {
		set_jit_issues(res, WD_TC_CANNOT_DETECT, "bpf2bpf probe load failed: %s",
				      c->tc_msg);
		return;
	}
	if (c->tc_in_sub == 0) {
		set_jit_issues(res, WD_TC_NOT_EXISTS,
				      "tail calls from subprograms refused: %s", c->tc_msg);
		return;
	}
	if (c->tc_in_sub < 0) {
		set_jit_issues(res, WD_TC_CANNOT_DETECT,
				      "bpf2bpf + tail call probe load failed: %s", c->tc_msg);
		return;
	}
	if (!c->x86) {
		set_jit_issues(res, WD_TC_CANNOT_DETECT, "%s",
				      "JIT inspection is implemented for x86-64 only");
		return;
	}
	if (jit_image_get(c->tc_fd, &j, why, sizeof(why)) < 0) {
		set_jit_issues(res, WD_TC_CANNOT_DETECT, "%s", why);
		return;
	}
	detect_tcc_and_hierarchy(c, &j, res);
	free(j.insns);
	detect_trampoline(c, res);
}

/* ---- freplace: issues 1, 5, 6 -------------------------------------------- */

struct ext_probe {
	int xdp_fd, tc_fd, map_fd, ext_entry, ext_callee, ext_invalid;
	int put_callee;     /* update of an XDP-target EXT prog into the array */
	int put_xdp;        /* update of the XDP target prog itself */
	int put_invalid;    /* update of a TC-target EXT prog */
	char msg[200];
};

static void ext_close(struct ext_probe *e)
{
	close_fd(&e->ext_invalid);
	close_fd(&e->ext_callee);
	close_fd(&e->ext_entry);
	close_fd(&e->map_fd);
	close_fd(&e->tc_fd);
	close_fd(&e->xdp_fd);
}

/* Load the targets and the three freplace programs; 0, or -errno with
 * e->msg naming the step. */
static int ext_load(struct ctx *c, struct ext_probe *e)
{
	const char *step = "XDP target prog";
	char m[160] = "";
	int err;

	if ((err = e->xdp_fd = load_target(false, c->btf_fd, m, sizeof(m))) < 0)
		goto fail;
	step = "TC target prog";
	if ((err = e->tc_fd = load_target(true, c->btf_fd, m, sizeof(m))) < 0)
		goto fail;
	step = "prog_array";
	if ((err = e->map_fd = prog_array_create(2)) < 0) {
		snprintf(m, sizeof(m), "%s", strerror(-err));
		goto fail;
	}
	/* Loading it makes the array's owner: EXT before 1c123c567fb1, the
	 * target's type (XDP) after. */
	step = "freplace (EXT) prog";
	if ((err = e->ext_entry = load_ext(e->xdp_fd, false, e->map_fd, c->btf_fd, m,
					     sizeof(m))) < 0)
		goto fail;
	if ((err = e->ext_callee = load_ext(e->xdp_fd, false, -1, c->btf_fd, m, sizeof(m))) < 0)
		goto fail;
	if ((err = e->ext_invalid = load_ext(e->tc_fd, true, -1, c->btf_fd, m, sizeof(m))) < 0)
		goto fail;
	return 0;
fail:
	snprintf(e->msg, sizeof(e->msg), "%s load: %s%s", step, m,
		 err == -EPERM && !strchr(m, '(') ? " with an empty verifier log" : "");
	return err;
}

/* Only loaded (never attached) freplace programs go into the array: the
 * panic of issue 5 needs an attached one. */
static void ext_updates(struct ext_probe *e)
{
	e->put_callee = array_put(e->map_fd, 0, e->ext_callee);
	e->put_xdp = array_put(e->map_fd, 1, e->xdp_fd);
	e->put_invalid = array_put(e->map_fd, 1, e->ext_invalid);
}

static const char *upd(int r)
{
	return r == 0 ? "accepted" : r == -EINVAL ? "EINVAL" : strerror(-r);
}

static void ext_decide_invalid_tailcallee(const struct ext_probe *e, struct wd_tc_result *r)
{
	if (e->put_invalid < 0 && e->put_invalid != -EINVAL) {
		set(r, WD_TC_CANNOT_DETECT, "prog_array update of a TC freplace prog: %s",
			   strerror(-e->put_invalid));
		return;
	}
	if (e->put_invalid == -EINVAL) {
		set(r, WD_TC_FIXED, "array owned by an XDP freplace prog: XDP prog %s, "
			   "freplace prog of a TC prog refused (EINVAL)", upd(e->put_xdp));
		return;
	}
	set(r, WD_TC_NOT_FIXED, "array owned by an XDP freplace prog: XDP prog %s, freplace prog "
	    "of a TC prog accepted as tail callee", upd(e->put_xdp));
}

static void ext_decide_loop(const struct ext_probe *e, struct wd_tc_result *r)
{
	if (e->put_xdp == -EINVAL) {
		set(r, WD_TC_NOT_EXISTS, "an XDP prog cannot be tail callee of an XDP "
			   "freplace prog (array owner type EXT: no 1c123c567fb1)");
		return;
	}
	if (e->put_xdp < 0 || (e->put_callee < 0 && e->put_callee != -EINVAL &&
			       e->put_callee != -EBUSY)) {
		set(r, WD_TC_CANNOT_DETECT, "prog_array updates: XDP prog %s, freplace "
			   "prog %s", upd(e->put_xdp), upd(e->put_callee));
		return;
	}
	if (e->put_callee < 0) {
		set(r, WD_TC_FIXED, "freplace prog refused as tail callee (%s)",
			   upd(e->put_callee));
		return;
	}
	set(r, WD_TC_NOT_FIXED, "freplace prog accepted into a prog_array as tail callee");
}

static void ext_decide_panic(const struct ext_probe *e, struct wd_tc_result *r)
{
	if (e->put_xdp == -EINVAL) {
		set(r, WD_TC_NOT_EXISTS, "prog_array compatibility does not resolve freplace "
			   "progs to their target (no 1c123c567fb1): the crashing path is absent");
		return;
	}
	if (e->put_callee == -EINVAL) {
		set(r, WD_TC_NOT_EXISTS, "freplace progs are refused by prog_array updates "
			   "(EINVAL): updating an attached one cannot reach the crashing path");
		return;
	}
	set(r, WD_TC_CANNOT_DETECT, "not triggered: updating an attached freplace prog into a "
	    "prog_array may panic this kernel (freplace progs accepted: %s)", upd(e->put_callee));
}

static void detect_ext_issues(struct ctx *c, struct wd_tc_result *res)
{
	struct ext_probe e = { -1, -1, -1, -1, -1, -1, 0, 0, 0, "" };
	int ext = wd_probe_prog_type(BPF_PROG_TYPE_EXT);
	struct wd_tc_result *r1 = &res[WD_TC_INVALID_TAILCALLEE], *r5 = &res[WD_TC_FREPLACE_PANIC];
	struct wd_tc_result *r6 = &res[WD_TC_FREPLACE_LOOP];

	if (ext == 0) {
		set(r1, WD_TC_NOT_EXISTS, "no freplace: BPF_PROG_TYPE_EXT unknown to this kernel");
		*r5 = *r6 = *r1;
		return;
	}
	int err = c->btf_fd < 0 ? c->btf_fd : ext_load(c, &e);
	if (err < 0) {
		set(r1, WD_TC_CANNOT_DETECT, "freplace probe %s: %s", refused(err) ? "refused" :
		    "failed", c->btf_fd < 0 ? "BTF load failed" : e.msg);
		*r5 = *r6 = *r1;
		ext_close(&e);
		return;
	}
	ext_updates(&e);
	ext_decide_invalid_tailcallee(&e, r1);
	ext_decide_panic(&e, r5);
	ext_decide_loop(&e, r6);
	ext_close(&e);
}

int wd_tailcalls_detect(struct wd_tc_result res[WD_TC__COUNT])
{
	struct ctx c = { .btf_fd = -1, .map_fd = -1, .tc_fd = -1 };
	int bpf = wd_probe_bpf();

	for (int i = 0; i < WD_TC__COUNT; i++)
		set(&res[i], WD_TC_CANNOT_DETECT, "not probed");
	if (bpf <= 0) {
		for (int i = 0; i < WD_TC__COUNT; i++)
			set(&res[i], bpf == 0 ? WD_TC_NOT_EXISTS : WD_TC_CANNOT_DETECT,
			    "cannot load BPF programs: %s", wd_probe_result_str(bpf));
		return 0;
	}
#if defined(__x86_64__)
	c.x86 = true;
#endif
	c.btf_fd = btf_load();
	probe_tail_call_in_subprog(&c);
	detect_jit_issues(&c, res);
	detect_ext_issues(&c, res);
	close_fd(&c.tc_fd);
	close_fd(&c.map_fd);
	close_fd(&c.btf_fd);
	return 0;
}
