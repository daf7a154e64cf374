// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Preflight lint (issue 18): the classic pitfalls of BPF written for many
 * kernels, found per program before they reach a fleet.  Everything is
 * decided from the program as the loader assembles it (wd_prog_image: the
 * program, then each subprogram it calls) and from this host's symbols:
 *
 *  - return values of kprobe/uprobe/tracepoint programs (a small abstract
 *    interpretation over each function's control-flow graph: every register
 *    is unknown, a constant, the context pointer + offset, the frame pointer
 *    + offset, a map, or a value loaded from the context's first argument
 *    register; calls clobber r0-r5);
 *  - kprobe targets against /proc/kallsyms (renamed variants, inlined or
 *    notrace functions, syscall wrappers);
 *  - syscall arguments read from the outer pt_regs of a wrapped syscall;
 *  - fleet reach: the oldest mainline release each used feature needs, and
 *    with --kernel-btf the program checked against other kernels' BTF;
 *  - stack use across the call chain, and prog array slots the object
 *    never fills.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "warden/btf.h"
#include "warden/core.h"
#include "warden/features.h"
#include "warden/spec.h"
#include "warden/warden.h"
#include "lint.h"
#include "lint_versions.h"

#define MAX_STACK 512          /* MAX_BPF_STACK, include/linux/filter.h */
#define STACK_NEAR 448
#define OLD_MAXINSNS 4096      /* BPF_MAXINSNS: the limit of every program before 5.2 */
#define MAX_LINT_INSNS 131072

#ifndef BPF_JMP32
#define BPF_JMP32 0x06
#endif
#ifndef BPF_PSEUDO_FUNC
#define BPF_PSEUDO_FUNC 4
#endif
#ifndef BPF_PSEUDO_KFUNC_CALL
#define BPF_PSEUDO_KFUNC_CALL 2
#endif
#ifndef BPF_PSEUDO_MAP_IDX
#define BPF_PSEUDO_MAP_IDX 5
#endif

/* Helper ids (enum bpf_func_id, stable ABI). */
enum {
	H_PROBE_READ = 4, H_TAIL_CALL = 12, H_PROBE_READ_STR = 45,
	H_PROBE_READ_USER = 112, H_PROBE_READ_KERNEL = 113,
	H_PROBE_READ_USER_STR = 114, H_PROBE_READ_KERNEL_STR = 115,
};

const char *wd_lint_severity(enum wd_check_status st)
{
	switch (st) {
	case WD_CHECK_WRONG: return "error";
	case WD_CHECK_MISSING: return "warning";
	case WD_CHECK_INFO: return "info";
	default: return "ok";
	}
}

/* ---- the abstract interpretation ------------------------------------------ */

enum vkind { V_UNK, V_CONST, V_CTX, V_FP, V_MAP, V_PARM1 };

/* CONST holds a set of up to MAX_CONSTS values (`r0 = 1; if .. goto L;
 * r0 = 0; L: exit` reaches the exit with {0, 1}); a larger set is V_UNK.
 * The lattice is finite (sets only grow, then become V_UNK), so the
 * worklist ends. */
#define MAX_CONSTS 4

struct aval {
	uint8_t kind, n;            /* n: values in c[] (CONST) */
	int64_t v;                  /* CTX/FP/PARM1: offset; MAP: spec map index */
	int64_t c[MAX_CONSTS];
	int32_t def[MAX_CONSTS];    /* the instruction that set each value, -1 */
};

struct astate {
	bool reached;
	struct aval r[11];
};

struct ctx_read { size_t insn; int64_t off; };
struct tail_call { size_t insn; int map; int64_t slot; };

struct lint {
	struct wd_report *r;
	struct wd_prog *p;
	const struct wd_spec *spec;
	const struct wd_sec_def *def;
	const char *target;
	struct wd_prog_image img;
	int *map_at;             /* per instruction: spec map of an ld_imm64, -1 */
	int *ext_at;             /* per instruction: spec extern (kfunc, __ksym), -1 */
	struct astate *st;       /* per instruction: the state before it */
	size_t *todo;
	bool *queued;
	struct aval *ret;        /* per placed function: r0 at its exits, joined */
	bool *ret_done;
	int64_t parm1_off;       /* ctx offset of the first argument register, -1 */
	int errors, findings;
	/* facts */
	int exit_const_insn, exit_const_def;  int64_t exit_const;   /* first non-zero */
	int exit_unknown_insn;
	struct ctx_read *reads;  size_t nr_reads;
	bool parm1_loaded, parm1_deref;  size_t parm1_insn;
	bool parm1_value;  size_t parm1_value_insn;   /* PARM1 stored or passed as a value */
	struct tail_call *tails; size_t nr_tails;
	int *frame;              /* per placed function: deepest r10 access, bytes */
};

__attribute__((format(printf, 6, 7)))
static void lint_add(struct lint *l, enum wd_check_status st, const char *what, int insn,
		     const char *hint, const char *fmt, ...)
{
	char name[96], value[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	snprintf(name, sizeof(name), "%s: %s", wd_prog_name(l->p), what);
	if (wd_report_add(l->r, "lint", name, st, hint, "%s", value))
		return;
	if (insn >= 0 && l->img.insns)
		wd_prog_image_src_line(l->p, &l->img, insn, l->r->checks[l->r->nr_checks - 1].source,
				       sizeof(l->r->checks[0].source));
	l->errors += st == WD_CHECK_WRONG;
	l->findings++;
}

static bool is_ld_imm64(const struct bpf_insn *in)
{
	return in->code == (BPF_LD | BPF_IMM | BPF_DW);
}

static size_t func_end(const struct lint *l, size_t k)
{
	return l->img.placed[k].start + l->img.placed[k].func->cnt;
}

/* Spec map of each ld_imm64 of the image, from the relocations of each
 * placed function (map fds are -1 before load, so the image alone cannot
 * say). */
static void find_map_refs(struct lint *l)
{
	for (size_t i = 0; i < l->img.insn_cnt; i++)
		l->map_at[i] = l->ext_at[i] = -1;
	for (size_t k = 0; k < l->img.nr_placed; k++) {
		const struct wd_func *f = l->img.placed[k].func;
		const struct wd_code_sec *cs = &l->spec->secs[f->sec];
		for (size_t j = 0; j < cs->nr_relocs; j++) {
			const struct wd_reloc *rl = &cs->relocs[j];
			size_t at = l->img.placed[k].start + (rl->insn - f->off);
			if (rl->insn < f->off || rl->insn >= f->off + f->cnt || at >= l->img.insn_cnt)
				continue;
			if (rl->kind == WD_RELOC_MAP || rl->kind == WD_RELOC_DATA)
				l->map_at[at] = rl->map;
			else if (rl->kind == WD_RELOC_EXTERN)
				l->ext_at[at] = rl->ext;
		}
	}
}

static struct aval val(uint8_t kind, int64_t v, int32_t def)
{
	struct aval a = { .kind = kind, .v = v, .def = { def, -1, -1, -1 } };

	if (kind == V_CONST) {
		a.n = 1;
		a.c[0] = v;
	}
	return a;
}

/* Add value x (set by def) to a constant set; false when it overflows. */
static bool set_add(struct aval *a, int64_t x, int32_t def)
{
	for (int k = 0; k < a->n; k++)
		if (a->c[k] == x)
			return true;
	if (a->n == MAX_CONSTS)
		return false;
	a->c[a->n] = x;
	a->def[a->n++] = def;
	return true;
}

static int64_t alu_const(uint8_t op, int64_t a, int64_t b, bool *ok)
{
	*ok = true;
	switch (op) {
	case BPF_MOV: return b;
	case BPF_ADD: return (int64_t)((uint64_t)a + (uint64_t)b);
	case BPF_SUB: return (int64_t)((uint64_t)a - (uint64_t)b);
	case BPF_MUL: return (int64_t)((uint64_t)a * (uint64_t)b);
	case BPF_AND: return a & b;
	case BPF_OR: return a | b;
	case BPF_XOR: return a ^ b;
	case BPF_NEG: return (int64_t)(0 - (uint64_t)a);
	case BPF_LSH: return b >= 0 && b < 64 ? (int64_t)((uint64_t)a << b) : (*ok = false, 0);
	case BPF_RSH: return b >= 0 && b < 64 ? (int64_t)((uint64_t)a >> b) : (*ok = false, 0);
	case BPF_ARSH: return b >= 0 && b < 64 ? a >> b : (*ok = false, 0);
	case BPF_DIV: return b ? (int64_t)((uint64_t)a / (uint64_t)b) : (*ok = false, 0);
	case BPF_MOD: return b ? (int64_t)((uint64_t)a % (uint64_t)b) : (*ok = false, 0);
	default: *ok = false; return 0;
	}
}

/* dst = dst op src over constant sets (every pair), or V_UNK. */
static struct aval const_op(uint8_t op, bool is64, const struct aval *d, const struct aval *src,
			    size_t i)
{
	struct aval out = { .kind = V_CONST };
	const struct aval one = val(V_CONST, 0, -1);
	const struct aval *dd = op == BPF_MOV || op == BPF_NEG ? &one : d;
	const struct aval *ss = op == BPF_NEG ? d : src;
	bool ok;

	if (op == BPF_NEG)
		dd = d, ss = &one;
	for (int a = 0; a < dd->n; a++)
		for (int b = 0; b < ss->n; b++) {
			int64_t x = alu_const(op, dd->c[a], ss->c[b], &ok);
			if (!is64)
				x = (int64_t)(uint32_t)x;
			if (!ok || !set_add(&out, x, (int32_t)i))
				return val(V_UNK, 0, (int32_t)i);
		}
	return out;
}

static void step_alu(const struct bpf_insn *in, size_t i, struct astate *s)
{
	bool is64 = BPF_CLASS(in->code) == BPF_ALU64;
	uint8_t op = BPF_OP(in->code);
	struct aval *d = &s->r[in->dst_reg & 15];
	struct aval src = BPF_SRC(in->code) == BPF_K ?
		val(V_CONST, is64 ? (int64_t)in->imm : (int64_t)(uint32_t)in->imm, (int32_t)i) :
		s->r[in->src_reg & 15];

	if (in->dst_reg > 10)
		return;
	if (op == BPF_MOV && in->off == 0 && src.kind != V_CONST) {
		/* a pointer survives a 64-bit move only */
		*d = is64 ? src : val(V_UNK, 0, (int32_t)i);
		return;
	}
	if ((op == BPF_ADD || op == BPF_SUB) && is64 && src.kind == V_CONST && src.n == 1 &&
	    (d->kind == V_CTX || d->kind == V_FP || d->kind == V_PARM1)) {
		d->v += op == BPF_ADD ? src.c[0] : -src.c[0];
		return;
	}
	if (in->off == 0 && src.kind == V_CONST && (d->kind == V_CONST || op == BPF_MOV))
		*d = const_op(op, is64, d, &src, i);
	else if (op == BPF_NEG && d->kind == V_CONST)
		*d = const_op(op, is64, d, d, i);
	else
		*d = val(V_UNK, 0, (int32_t)i);
}

static int placed_at(const struct lint *l, long insn);

static void clobber_call(struct astate *s, size_t i)
{
	for (int k = 0; k <= 5; k++)
		s->r[k] = val(V_UNK, 0, (int32_t)i);
}

/* The state after instruction i along its fall-through edge (jumps: see
 * successors()).  Returns the number of instructions it takes. */
static size_t step(const struct lint *l, size_t i, struct astate *s)
{
	const struct bpf_insn *in = &l->img.insns[i];
	uint8_t cls = BPF_CLASS(in->code);

	switch (cls) {
	case BPF_ALU: case BPF_ALU64:
		if (BPF_OP(in->code) == BPF_END)
			s->r[in->dst_reg & 15] = val(V_UNK, 0, (int32_t)i);
		else
			step_alu(in, i, s);
		return 1;
	case BPF_LD:
		if (is_ld_imm64(in) && i + 1 < l->img.insn_cnt) {
			struct aval *d = &s->r[in->dst_reg & 15];
			if (in->src_reg == 0)
				*d = val(V_CONST, (int64_t)((uint64_t)(uint32_t)in[0].imm |
							    (uint64_t)(uint32_t)in[1].imm << 32), (int32_t)i);
			else if ((in->src_reg == BPF_PSEUDO_MAP_FD || in->src_reg == BPF_PSEUDO_MAP_IDX) &&
				 l->map_at[i] >= 0)
				*d = val(V_MAP, l->map_at[i], (int32_t)i);
			else
				*d = val(V_UNK, 0, (int32_t)i);
			return 2;
		}
		clobber_call(s, i);   /* legacy packet loads: r0 set, r1-r5 scratched */
		return 1;
	case BPF_LDX: {
		const struct aval *b = &s->r[in->src_reg & 15];
		bool parm1 = b->kind == V_CTX && l->parm1_off >= 0 && b->v + in->off == l->parm1_off &&
			     BPF_SIZE(in->code) == BPF_DW;
		if (in->dst_reg <= 10)
			s->r[in->dst_reg] = val(parm1 ? V_PARM1 : V_UNK, 0, (int32_t)i);
		return 1;
	}
	case BPF_STX:
		if (BPF_MODE(in->code) == BPF_ATOMIC && (in->imm & BPF_FETCH)) {
			s->r[in->src_reg & 15] = val(V_UNK, 0, (int32_t)i);
			s->r[0] = val(V_UNK, 0, (int32_t)i);
		}
		return 1;
	case BPF_JMP: case BPF_JMP32:
		if (BPF_OP(in->code) == BPF_CALL) {
			/* a bpf-to-bpf call returns what its function's exits hold
			 * (r6-r9 are callee-saved, r1-r5 scratched) */
			int callee = in->src_reg == BPF_PSEUDO_CALL ?
				     placed_at(l, (long)i + 1 + in->imm) : -1;
			clobber_call(s, i);
			if (callee > 0 && l->ret_done[callee])
				s->r[0] = l->ret[callee];
		}
		return 1;
	default:
		return 1;
	}
}

static bool same(const struct aval *a, const struct aval *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind != V_CONST)
		return a->kind == V_UNK || a->v == b->v;
	if (a->n != b->n)
		return false;
	for (int k = 0; k < b->n; k++) {
		struct aval t = *a;
		if (!set_add(&t, b->c[k], -1) || t.n != a->n)
			return false;
	}
	return true;
}

/* a := a join b; true when a changed. */
static bool join_reg(struct aval *a, const struct aval *b)
{
	if (same(a, b) || a->kind == V_UNK)
		return false;
	if (a->kind == V_CONST && b->kind == V_CONST) {
		bool fits = true;
		for (int j = 0; j < b->n && fits; j++)
			fits = set_add(a, b->c[j], b->def[j]);
		if (fits)
			return true;
	}
	*a = val(V_UNK, 0, -1);
	return true;
}

/* Join `in` into the state of instruction `to`; true when it changed. */
static bool join(struct lint *l, size_t to, const struct astate *in)
{
	struct astate *s = &l->st[to];
	bool changed = false;

	if (!s->reached) {
		*s = *in;
		s->reached = true;
		return true;
	}
	for (int k = 0; k <= 10; k++)
		changed |= join_reg(&s->r[k], &in->r[k]);
	return changed;
}

static void push(struct lint *l, size_t *n, size_t to, const struct astate *in)
{
	if (join(l, to, in) && !l->queued[to]) {
		l->queued[to] = true;
		l->todo[(*n)++] = to;
	}
}

/* The set of a register on the edge where `if rX op K` decided it. */
static void refine(struct aval *a, bool equal, int64_t k, size_t i)
{
	struct aval out = { .kind = V_CONST };

	if (equal) {
		*a = val(V_CONST, k, (int32_t)i);
		return;
	}
	if (a->kind != V_CONST)
		return;
	for (int j = 0; j < a->n; j++)
		if (a->c[j] != k)
			set_add(&out, a->c[j], a->def[j]);
	if (out.n)
		*a = out;
}

/* Worklist over one placed function, from its entry state. */
static void interpret(struct lint *l, size_t k)
{
	size_t lo = l->img.placed[k].start, hi = func_end(l, k), n = 0;
	struct astate entry = { .reached = true };

	for (int r = 0; r <= 10; r++)
		entry.r[r] = val(V_UNK, 0, -1);
	entry.r[10] = val(V_FP, 0, -1);
	if (k == 0)
		entry.r[1] = val(V_CTX, 0, -1);
	push(l, &n, lo, &entry);
	while (n) {
		size_t i = l->todo[--n];
		l->queued[i] = false;
		const struct bpf_insn *in = &l->img.insns[i];
		uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
		struct astate s = l->st[i];
		size_t len = step(l, i, &s);
		bool jmp = cls == BPF_JMP || cls == BPF_JMP32;

		if (jmp && op == BPF_EXIT)
			continue;
		if (jmp && op == BPF_JA) {
			long t = (long)i + 1 + (cls == BPF_JMP32 ? in->imm : in->off);
			if (t >= (long)lo && t < (long)hi)
				push(l, &n, (size_t)t, &s);
			continue;
		}
		if (jmp && op != BPF_CALL) {
			long t = (long)i + 1 + in->off;
			struct astate taken = s, fall = s;
			/* `if rX == K goto` / `if rX != K goto`: rX is K on one edge */
			if (BPF_SRC(in->code) == BPF_K && cls == BPF_JMP && in->dst_reg <= 10 &&
			    (op == BPF_JEQ || op == BPF_JNE)) {
				refine(&taken.r[in->dst_reg], op == BPF_JEQ, in->imm, i);
				refine(&fall.r[in->dst_reg], op == BPF_JNE, in->imm, i);
			}
			if (t >= (long)lo && t < (long)hi)
				push(l, &n, (size_t)t, &taken);
			if (i + 1 < hi)
				push(l, &n, i + 1, &fall);
			continue;
		}
		if (i + len < hi)
			push(l, &n, i + len, &s);
	}
}

/* r0 at every exit of function k, joined: what a call to it returns. */
static void summarize_return(struct lint *l, size_t k)
{
	struct astate acc = { .reached = false };
	bool any = false;

	for (size_t i = l->img.placed[k].start; i < func_end(l, k); i++) {
		const struct bpf_insn *in = &l->img.insns[i];
		if (l->st[i].reached && (BPF_CLASS(in->code) == BPF_JMP) && BPF_OP(in->code) == BPF_EXIT) {
			if (!any) {
				acc.r[0] = l->st[i].r[0];
				any = true;
			} else {
				struct astate one = { .reached = true };
				one.r[0] = l->st[i].r[0];
				acc.reached = true;
				join_reg(&acc.r[0], &one.r[0]);
			}
		}
		if (is_ld_imm64(in))
			i++;
	}
	l->ret[k] = any ? acc.r[0] : val(V_UNK, 0, -1);
	if (l->ret[k].kind != V_CONST)
		l->ret[k] = val(V_UNK, 0, -1);   /* pointers do not cross frames */
	l->ret_done[k] = true;
}

static bool is_probe_read(int32_t id)
{
	return id == H_PROBE_READ || id == H_PROBE_READ_STR || id == H_PROBE_READ_KERNEL ||
	       id == H_PROBE_READ_USER || id == H_PROBE_READ_KERNEL_STR ||
	       id == H_PROBE_READ_USER_STR;
}

static void note_stack(struct lint *l, size_t k, const struct aval *base, int16_t off, int size)
{
	int64_t deepest = base->v + off;

	if (base->kind == V_FP && deepest < 0 && -deepest > l->frame[k])
		l->frame[k] = (int)(-deepest > 1 << 20 ? 1 << 20 : -deepest);
	(void)size;
}

static int grow(void **v, size_t n, size_t sz)
{
	void *p;

	if (n & (n - 1) && n)   /* grow at powers of two */
		return 0;
	p = realloc(*v, (n ? n * 2 : 4) * sz);
	if (!p)
		return -ENOMEM;
	*v = p;
	return 0;
}

/* What the fixed point says at each reached instruction of function k. */
static int collect_facts(struct lint *l, size_t k)
{
	for (size_t i = l->img.placed[k].start; i < func_end(l, k); i++) {
		const struct bpf_insn *in = &l->img.insns[i];
		const struct astate *s = &l->st[i];
		uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);

		if (!s->reached)
			continue;
		if (cls == BPF_LDX) {
			const struct aval *b = &s->r[in->src_reg & 15];
			note_stack(l, k, b, in->off, 0);
			if (k == 0 && b->kind == V_CTX && BPF_MODE(in->code) == BPF_MEM) {
				if (grow((void **)&l->reads, l->nr_reads, sizeof(*l->reads)))
					return -ENOMEM;
				l->reads[l->nr_reads++] = (struct ctx_read){ i, b->v + in->off };
				if (b->v + in->off == l->parm1_off && !l->parm1_loaded) {
					l->parm1_loaded = true;
					l->parm1_insn = i;
				}
			}
		} else if (cls == BPF_ST || cls == BPF_STX) {
			const struct aval *base = &s->r[in->dst_reg & 15];
			note_stack(l, k, base, in->off, 0);
			/* PARM1 written anywhere but the stack (a spill) is used as a value */
			if (cls == BPF_STX && s->r[in->src_reg & 15].kind == V_PARM1 &&
			    base->kind != V_FP && !l->parm1_value) {
				l->parm1_value = true;
				l->parm1_value_insn = i;
			}
		} else if ((cls == BPF_ALU64) && s->r[in->dst_reg & 15].kind == V_FP &&
			   BPF_SRC(in->code) == BPF_K && (op == BPF_ADD || op == BPF_SUB)) {
			struct aval after = s->r[in->dst_reg & 15];
			after.v += op == BPF_ADD ? in->imm : -(int64_t)in->imm;
			note_stack(l, k, &after, 0, 0);
		} else if (cls == BPF_JMP && op == BPF_CALL && in->src_reg == 0) {
			if (is_probe_read(in->imm) && s->r[3].kind == V_PARM1)
				l->parm1_deref = true;
			for (int a = 1; a <= 5 && !is_probe_read(in->imm) && !l->parm1_value; a++)
				if (s->r[a].kind == V_PARM1) {
					l->parm1_value = true;
					l->parm1_value_insn = i;
				}
			if (in->imm == H_TAIL_CALL) {
				if (grow((void **)&l->tails, l->nr_tails, sizeof(*l->tails)))
					return -ENOMEM;
				l->tails[l->nr_tails++] = (struct tail_call){ i,
					s->r[2].kind == V_MAP ? (int)s->r[2].v : -1,
					s->r[3].kind == V_CONST && s->r[3].n == 1 ? s->r[3].c[0] : -1 };
			}
		} else if (k == 0 && cls == BPF_JMP && op == BPF_EXIT) {
			const struct aval *r0 = &s->r[0];
			for (int j = 0; r0->kind == V_CONST && j < r0->n; j++) {
				if (!r0->c[j] || l->exit_const_insn >= 0)
					continue;
				l->exit_const_insn = (int)i;
				l->exit_const_def = r0->def[j];
				l->exit_const = r0->c[j];
			}
			if (r0->kind != V_CONST && l->exit_unknown_insn < 0) {
				l->exit_unknown_insn = (int)i;
			}
		}
		if (is_ld_imm64(in))
			i++;
	}
	return 0;
}

/* ---- 1. return values ----------------------------------------------------- */

static bool perf_event_run(const struct lint *l)
{
	switch (l->def->attach) {
	case WD_ATTACH_KPROBE: case WD_ATTACH_KRETPROBE:
	case WD_ATTACH_UPROBE: case WD_ATTACH_URETPROBE:
	case WD_ATTACH_TRACEPOINT:
		return true;
	default:
		return false;
	}
}

/* kprobe, uprobe and tracepoint programs run from the perf/trace event
 * handlers: kprobe_perf_func() and __uprobe_perf_func()
 * (kernel/trace/trace_kprobe.c, trace_uprobe.c) and
 * perf_trace_run_bpf_submit() (kernel/events/core.c) go on to write the
 * event to the perf buffer when trace_call_bpf() returns non-zero, an
 * extra record per hit nobody reads (kretprobe_perf_func() likewise). */
static void lint_return(struct lint *l)
{
	const char *where = l->def->attach == WD_ATTACH_TRACEPOINT ?
		"perf_trace_run_bpf_submit(), kernel/events/core.c" :
		l->def->attach == WD_ATTACH_UPROBE || l->def->attach == WD_ATTACH_URETPROBE ?
		"__uprobe_perf_func(), kernel/trace/trace_uprobe.c" :
		l->def->attach == WD_ATTACH_KRETPROBE ?
		"kretprobe_perf_func(), kernel/trace/trace_kprobe.c" :
		"kprobe_perf_func(), kernel/trace/trace_kprobe.c";

	if (!perf_event_run(l))
		return;
	if (l->exit_const_insn >= 0)
		lint_add(l, WD_CHECK_MISSING, "return value",
			 l->exit_const_def >= 0 ? l->exit_const_def : l->exit_const_insn,
			 "return 0 from every path: the return value of these programs only decides "
			 "whether the kernel also records the event",
			 "can return %lld (exit at insn %d): non-zero makes the kernel also write "
			 "the event to the trace buffer on each such hit (%s)", (long long)l->exit_const,
			 l->exit_const_insn, where);
	else if (l->exit_unknown_insn >= 0)
		lint_add(l, WD_CHECK_INFO, "return value", l->exit_unknown_insn,
			 "end with 'return 0' unless the trace record is wanted",
			 "returns a computed value (exit at insn %d): whenever it is non-zero the "
			 "kernel also writes the event to the trace buffer (%s)",
			 l->exit_unknown_insn, where);
}

/* ---- 2. kprobe targets ------------------------------------------------------ */

struct sym_scan {
	const char *sym;
	bool found, in_filter, filter_readable, blacklisted;
	char variants[200];
	char wrapped[128];       /* __x64_sys_foo for sys_foo, the wrapped name found */
	char alt[2][128];        /* the names a syscall may have on this kernel */
};

static bool renamed_variant(const char *name, const char *sym)
{
	static const char *const suffixes[] = { ".isra.", ".part.", ".constprop.", ".cold", ".llvm." };
	size_t n = strlen(sym);

	if (strncmp(name, sym, n) || name[n] != '.')
		return false;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (!strncmp(name + n, suffixes[i], strlen(suffixes[i])))
			return true;
	return false;
}

static void add_variant(struct sym_scan *sc, const char *name)
{
	size_t used = strlen(sc->variants);

	if (strstr(sc->variants, name))
		return;
	snprintf(sc->variants + used, sizeof(sc->variants) - used, "%s%s", used ? ", " : "", name);
}

/* The names a syscall entry has on kernels with and without the wrapper
 * (CONFIG_ARCH_HAS_SYSCALL_WRAPPER, x86_64 since 4.17, commit fa697140f9a2;
 * arm64 since 4.19, commit 4378a7d4be30). */
static void syscall_alternatives(struct sym_scan *sc)
{
	static const char *const prefixes[] = { "__x64_sys_", "__arm64_sys_", "sys_" };
	const char *base = NULL;

	for (size_t i = 0; i < 3 && !base; i++)
		if (!strncmp(sc->sym, prefixes[i], strlen(prefixes[i])))
			base = sc->sym + strlen(prefixes[i]);
	if (!base)
		return;
	for (size_t i = 0, n = 0; i < 3 && n < 2; i++)
		if (strncmp(sc->sym, prefixes[i], strlen(prefixes[i])))
			snprintf(sc->alt[n++], sizeof(sc->alt[0]), "%s%s", prefixes[i], base);
}

static int scan_kallsyms(struct sym_scan *sc)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[512], name[256], type;
	unsigned long long addr;

	if (!f)
		return -errno;
	syscall_alternatives(sc);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
			continue;
		if (!strcmp(name, sc->sym))
			sc->found = true;
		else if (renamed_variant(name, sc->sym))
			add_variant(sc, name);
		else if ((sc->alt[0][0] && !strcmp(name, sc->alt[0])) ||
			 (sc->alt[1][0] && !strcmp(name, sc->alt[1])))
			snprintf(sc->wrapped, sizeof(sc->wrapped), "%s", name);
	}
	fclose(f);
	return 0;
}

/* Is sym listed in a tracefs/debugfs list of functions ("name [module]")? */
static int listed_in(const char *path, const char *sym)
{
	FILE *f = fopen(path, "re");
	char line[512];
	size_t n = strlen(sym), lines = 0;
	int found = 0;

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f)) {
		const char *name = line;
		lines++;
		/* kprobes/blacklist lines are "0xstart-0xend\tname" */
		if (!strncmp(line, "0x", 2) && strchr(line, '\t'))
			name = strchr(line, '\t') + 1;
		found = !strncmp(name, sym, n) && (isspace((unsigned char)name[n]) || !name[n]);
	}
	/* a read refused half-way, or an empty list (no dynamic ftrace): no answer */
	if (!found && (ferror(f) || !lines)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	return found;
}

static void scan_ftrace(struct sym_scan *sc)
{
	const char *dir = NULL;
	char path[512];
	int r;

	if (wd_tracefs_dir(&dir) == 0) {
		snprintf(path, sizeof(path), "%s/available_filter_functions", dir);
		r = listed_in(path, sc->sym);
		sc->filter_readable = r >= 0;
		sc->in_filter = r == 1;
	}
	/* NOKPROBE_SYMBOL() functions: register_kprobe() refuses them (EINVAL) */
	sc->blacklisted = listed_in("/sys/kernel/debug/kprobes/blacklist", sc->sym) == 1;
}

static void lint_kprobe_target(struct lint *l, struct sym_scan *sc)
{
	char hint[256];
	int r;

	r = scan_kallsyms(sc);
	if (r) {
		lint_add(l, WD_CHECK_INFO, "target", -1, "run as root on the target kernel",
			 "cannot read /proc/kallsyms (%s): the target %s is not checked", strerror(-r),
			 sc->sym);
		return;
	}
	scan_ftrace(sc);
	if (sc->found) {
		if (sc->blacklisted)
			lint_add(l, WD_CHECK_WRONG, "target", -1, "probe a caller or a tracepoint instead",
				 "%s is in the kprobe blacklist (NOKPROBE_SYMBOL): attaching fails with "
				 "EINVAL", sc->sym);
		else if (sc->filter_readable && !sc->in_filter)
			/* trace_kprobe refuses what ftrace cannot trace: "Could not
			 * probe notrace function" (kernel/trace/trace_kprobe.c,
			 * within_notrace_func(), "tracing: kprobes: Prohibit probing
			 * on notrace function", 2018) unless the kernel is built with
			 * CONFIG_KPROBE_EVENTS_ON_NOTRACE */
			lint_add(l, WD_CHECK_WRONG, "target", -1,
				 "probe a traceable caller or a tracepoint instead",
				 "%s is notrace (in /proc/kallsyms, not in available_filter_functions): "
				 "kprobe events refuse it with EINVAL ('Could not probe notrace "
				 "function') unless CONFIG_KPROBE_EVENTS_ON_NOTRACE", sc->sym);
		return;
	}
	if (sc->wrapped[0] && !strncmp(sc->sym, "sys_", 4)) {
		snprintf(hint, sizeof(hint), "use SEC(\"ksyscall/%s\") (libbpf's BPF_KSYSCALL picks "
			 "the name and reads the arguments right on both kinds of kernel)", sc->sym + 4);
		lint_add(l, WD_CHECK_WRONG, "target", -1, hint,
			 "%s does not exist on this kernel: it wraps system calls, the entry is %s "
			 "(whose only argument is the inner pt_regs)", sc->sym, sc->wrapped);
	} else if (sc->variants[0]) {
		lint_add(l, WD_CHECK_WRONG, "target", -1,
			 "the suffix changes between builds: probe a caller, a tracepoint or the "
			 "variant named for this kernel only",
			 "%s is not in /proc/kallsyms; the compiler renamed it here: %s", sc->sym,
			 sc->variants);
	} else if (sc->wrapped[0]) {
		lint_add(l, WD_CHECK_WRONG, "target", -1, "use SEC(\"ksyscall/NAME\") for system calls",
			 "%s does not exist on this kernel; the system call's entry here is %s",
			 sc->sym, sc->wrapped);
	} else {
		lint_add(l, WD_CHECK_WRONG, "target", -1,
			 "probe a caller that is not inlined, or a tracepoint",
			 "%s is neither in /proc/kallsyms nor in available_filter_functions%s: inlined "
			 "away by the compiler, or not built into this kernel", sc->sym,
			 sc->filter_readable ? "" : " (not readable)");
	}
}

/* ---- 3. syscall arguments through the wrapper --------------------------- */

struct arch_regs {
	const char *prefix;
	const char *names[6];
	int64_t off[6];          /* offsetof(struct pt_regs, ...) of the argument registers */
};

/* arch/x86/include/asm/ptrace.h (x86_64) and arch/arm64 user_pt_regs. */
static const struct arch_regs arch_regs[] = {
	{ "__x64_sys_", { "di", "si", "dx", "r10", "r8", "r9" }, { 112, 104, 96, 56, 72, 64 } },
	{ "__arm64_sys_", { "x0", "x1", "x2", "x3", "x4", "x5" }, { 0, 8, 16, 24, 32, 40 } },
};

static const struct arch_regs *wrapped_syscall(const char *sym)
{
	for (size_t i = 0; i < sizeof(arch_regs) / sizeof(arch_regs[0]); i++)
		if (!strncmp(sym, arch_regs[i].prefix, strlen(arch_regs[i].prefix)))
			return &arch_regs[i];
	return NULL;
}

static void lint_syscall_args(struct lint *l, const struct arch_regs *a, const char *sym)
{
	const char *hint = "read them through the inner regs: struct pt_regs *regs = "
			   "(struct pt_regs *)PT_REGS_PARM1(ctx); then PT_REGS_PARM2_CORE(regs), or "
			   "use SEC(\"ksyscall/NAME\") with BPF_KSYSCALL";

	for (size_t k = 0; k < l->nr_reads; k++) {
		for (int n = 1; n < 6; n++) {
			if (l->reads[k].off != a->off[n])
				continue;
			lint_add(l, WD_CHECK_WRONG, "syscall args", (int)l->reads[k].insn, hint,
				 "reads argument %d straight from the outer pt_regs (ctx->%s, insn %zu): "
				 "%s is a syscall wrapper, its registers hold only a pointer to the "
				 "user's pt_regs in %s", n + 1, a->names[n], l->reads[k].insn, sym,
				 a->names[0]);
			return;
		}
	}
	/* only a PARM1 seen stored or handed to a helper as a value counts: a
	 * pointer spilled to the stack and read back is not followed */
	if (l->parm1_value)
		lint_add(l, WD_CHECK_WRONG, "syscall args", (int)l->parm1_value_insn, hint,
			 "uses PARM1 (ctx->%s, insn %zu) as the first argument: on %s it is the "
			 "pointer to the user's pt_regs, not the argument", a->names[0],
			 l->parm1_insn, sym);
}

/* ---- 5. stack and tail calls ----------------------------------------------- */

static int placed_at(const struct lint *l, long insn)
{
	for (size_t k = 0; k < l->img.nr_placed; k++)
		if (insn >= (long)l->img.placed[k].start && insn < (long)func_end(l, k))
			return (int)k;
	return -1;
}

/* Frames as the verifier counts them in check_max_stack_depth()
 * (kernel/bpf/verifier.c): each rounded up to 32 bytes, or, on newer
 * kernels when the program is JITed, to 16 (round_up_stack_depth()); the
 * same chain can fit 512 on one kernel and not on an older one. */
static int frame_bytes(const struct lint *l, size_t k, int align)
{
	int d = l->frame[k] ? l->frame[k] : 1;
	return (d + align - 1) / align * align;
}

/* Deepest chain from function k, in bytes; next[k] the callee on it (-1).
 * Memoized per function (memo[k] >= 0): a program's call graph has no
 * cycle the verifier accepts, and `busy` cuts one if the object has it. */
static int chain_from(const struct lint *l, size_t k, int align, int *memo, int *next, bool *busy)
{
	int best = 0;

	if (memo[k] >= 0)
		return memo[k];
	if (busy[k])
		return 0;
	busy[k] = true;
	next[k] = -1;
	for (size_t i = l->img.placed[k].start; i < func_end(l, k); i++) {
		const struct bpf_insn *in = &l->img.insns[i];
		int callee = -1, bytes;
		if ((in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL) ||
		    (is_ld_imm64(in) && in->src_reg == BPF_PSEUDO_FUNC))
			callee = placed_at(l, (long)i + 1 + in->imm);
		if (is_ld_imm64(in))
			i++;
		if (callee < 0 || (size_t)callee == k)
			continue;
		bytes = chain_from(l, (size_t)callee, align, memo, next, busy);
		if (bytes > best) {
			best = bytes;
			next[k] = callee;
		}
	}
	busy[k] = false;
	memo[k] = frame_bytes(l, k, align) + best;
	return memo[k];
}

/* Deepest chain from the program: total bytes; path[] (up to 8) the functions. */
static int deepest_chain(const struct lint *l, int align, int *path, int *len)
{
	size_t n = l->img.nr_placed;
	int *memo = malloc(n * sizeof(*memo)), *next = malloc(n * sizeof(*next)), total = 0;
	bool *busy = calloc(n, sizeof(*busy));

	*len = 0;
	if (memo && next && busy) {
		for (size_t k = 0; k < n; k++)
			memo[k] = -1;
		total = chain_from(l, 0, align, memo, next, busy);
		for (int k = 0; k >= 0 && *len < 8; k = next[k])
			path[(*len)++] = k;
	}
	free(memo);
	free(next);
	free(busy);
	return total;
}

/* "main (224) -> fill (352)": the deepest chain, frames rounded to 32 bytes
 * as check_max_stack_depth() counts them; its total in *total32 and, with
 * the 16-byte rounding of newer JITed kernels, in *total16. */
static void format_chain(const struct lint *l, char *chain, size_t size, int *total32,
			 int *total16)
{
	int path[8], len = 0;
	size_t used = 0;

	*total16 = deepest_chain(l, 16, path, &len);
	*total32 = deepest_chain(l, 32, path, &len);
	if (size)
		*chain = '\0';
	for (int i = 0; i < len; i++)
		used += snprintf(chain + used, used < size ? size - used : 0,
				 "%s%s (%d)", i ? " -> " : "", l->img.placed[path[i]].func->name,
				 frame_bytes(l, (size_t)path[i], 32));
}

static void lint_stack(struct lint *l)
{
	char chain[200];
	int total, total16;

	format_chain(l, chain, sizeof(chain), &total, &total16);
	if (total < STACK_NEAR)
		return;
	if (total16 > MAX_STACK)
		lint_add(l, WD_CHECK_WRONG, "stack", -1,
			 "move large buffers to a per-CPU array map",
			 "%d bytes of stack across the call chain %s: over the verifier's %d-byte "
			 "combined limit (%d where frames round to 16; 'combined stack size ... Too "
			 "large'; newer x86-64 kernels give tracing programs a private stack and "
			 "check each frame alone)", total, chain, MAX_STACK, total16);
	else if (total > MAX_STACK)
		lint_add(l, WD_CHECK_MISSING, "stack", -1,
			 "move large buffers to a per-CPU array map",
			 "%d bytes of stack across the call chain %s with frames rounded to 32 bytes: "
			 "kernels that count so refuse it ('combined stack size'); %d with the 16-byte "
			 "rounding of newer JITed kernels", total, chain, total16);
	else
		lint_add(l, WD_CHECK_MISSING, "stack", -1,
			 "move large buffers to a per-CPU array map before the next change tips it over",
			 "%d bytes of stack across the call chain %s: near the %d-byte limit", total,
			 chain, MAX_STACK);
}

static bool slot_filled(const struct wd_map_spec *m, int64_t slot)
{
	for (size_t i = 0; i < m->nr_init; i++)
		if (m->init[i].slot == slot && m->init[i].target)
			return true;
	return false;
}

static void lint_tail_calls(struct lint *l)
{
	for (size_t k = 0; k < l->nr_tails; k++) {
		const struct tail_call *t = &l->tails[k];
		const struct wd_map_spec *m;
		if (t->map < 0 || (size_t)t->map >= l->spec->nr_maps || t->slot < 0)
			continue;
		m = &l->spec->maps[t->map];
		if (m->type != BPF_MAP_TYPE_PROG_ARRAY)
			continue;
		if ((uint64_t)t->slot >= m->max_entries)
			lint_add(l, WD_CHECK_WRONG, "tail call", (int)t->insn,
				 "raise max_entries or fix the index",
				 "slot %lld of '%s' is beyond its %u entries: the tail call always falls "
				 "through", (long long)t->slot, m->name, m->max_entries);
		else if (!slot_filled(m, t->slot))
			lint_add(l, m->nr_init ? WD_CHECK_MISSING : WD_CHECK_INFO, "tail call",
				 (int)t->insn, m->nr_init ?
				 "add the program to the map's .values initializer" :
				 "make sure user space fills the slot before the program runs",
				 "slot %lld of '%s' is never filled by the object%s: until it is, the "
				 "tail call falls through", (long long)t->slot, m->name,
				 m->nr_init ? " (it fills other slots)" : "");
	}
}

/* ---- 4. fleet reach -------------------------------------------------------- */

struct need { char what[64]; const char *since; };
struct needs { struct need v[64]; size_t n; };

static void need(struct needs *ns, const char *since, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void need(struct needs *ns, const char *since, const char *fmt, ...)
{
	char what[64];
	va_list ap;

	if (!since)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < ns->n; i++)
		if (!strcmp(ns->v[i].what, what))
			return;
	if (ns->n < sizeof(ns->v) / sizeof(ns->v[0])) {
		snprintf(ns->v[ns->n].what, sizeof(ns->v[0].what), "%s", what);
		ns->v[ns->n++].since = since;
	}
}

static long version_key(const char *v)
{
	int major = 0, minor = 0;

	sscanf(v, "%d.%d", &major, &minor);
	return major * 1000L + minor;
}

static int by_version_desc(const void *a, const void *b)
{
	const struct need *x = a, *y = b;
	long d = version_key(y->since) - version_key(x->since);

	return d ? (d > 0 ? 1 : -1) : strcmp(x->what, y->what);
}

static bool func_has_core(const struct lint *l, const struct wd_func *f)
{
	const struct wd_code_sec *cs = &l->spec->secs[f->sec];

	for (size_t i = 0; i < cs->nr_core_relos; i++)
		if (cs->core_relos[i].insn_off >= f->off &&
		    cs->core_relos[i].insn_off < f->off + f->cnt)
			return true;
	return false;
}

static void gather_needs(const struct lint *l, struct needs *ns)
{
	const char *tn = wd_prog_type_name(wd_prog_type(l->p));
	const char *an = wd_attach_type_name(wd_prog_expected_attach_type(l->p));
	bool loop = false, data = false, kfunc = false, calls = false, cb = false, core = false;

	need(ns, wd_lint_prog_type_since(tn), "%s programs", tn ? tn : "?");
	/* kprobe-type programs on uprobes: "tracing, perf: Implement BPF
	 * programs attached to uprobes" (4.3) */
	if (l->def->attach == WD_ATTACH_UPROBE || l->def->attach == WD_ATTACH_URETPROBE)
		need(ns, "4.3", "uprobe attach");
	if (wd_prog_expected_attach_type(l->p) || wd_prog_type(l->p) == BPF_PROG_TYPE_TRACING)
		need(ns, wd_lint_attach_type_since(an), "%s attach", an ? an : "?");
	for (size_t i = 0; i < l->img.insn_cnt; i++) {
		const struct bpf_insn *in = &l->img.insns[i];
		uint8_t cls = BPF_CLASS(in->code);
		if (l->map_at[i] >= 0) {
			const struct wd_map_spec *m = &l->spec->maps[l->map_at[i]];
			const char *mn = wd_map_type_name(m->type);
			if (m->kind != WD_MAP_USER)
				data = true;
			else
				need(ns, wd_lint_map_type_since(mn), "%s map", mn ? mn : "?");
		}
		if (in->code == (BPF_JMP | BPF_CALL) && in->src_reg == 0) {
			const char *h = wd_helper_name((unsigned int)in->imm);
			need(ns, wd_lint_helper_since(h), "%s", h ? h : "?");
		}
		kfunc |= in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_KFUNC_CALL;
		calls |= in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL;
		cb |= is_ld_imm64(in) && in->src_reg == BPF_PSEUDO_FUNC;
		if ((cls == BPF_JMP || cls == BPF_JMP32) && BPF_OP(in->code) != BPF_CALL &&
		    BPF_OP(in->code) != BPF_EXIT && in->off < 0)
			loop = true;
		if (is_ld_imm64(in))
			i++;
	}
	for (size_t k = 0; k < l->img.nr_placed; k++)
		core |= func_has_core(l, l->img.placed[k].func);
	/* the commits: cc8b0b92a169 (calls), 2589726d12a1 (bounded loops),
	 * c04c0d2b968a (1M instructions), d8eca5bbb2be (global data),
	 * e6ac2450d6de (kfunc calls), 69c087ba6225 (callbacks), 341dfcf8d78e
	 * (/sys/kernel/btf/vmlinux for CO-RE) */
	if (calls)
		need(ns, "4.16", "bpf-to-bpf calls");
	if (loop)
		need(ns, "5.3", "bounded loops (backward jumps)");
	if (l->img.insn_cnt > OLD_MAXINSNS)
		need(ns, "5.2", "%zu instructions (over 4096)", l->img.insn_cnt);
	if (data)
		need(ns, "5.2", "global data");
	if (kfunc)
		need(ns, "5.13", "kfunc calls");
	if (cb)
		need(ns, "5.13", "callbacks");
	if (core)
		need(ns, "5.4", "CO-RE (kernel BTF; older kernels with a BTF file)");
	for (size_t k = 1; k < l->img.nr_placed; k++)
		if (l->img.placed[k].func->global && !l->img.placed[k].func->hidden)
			need(ns, "5.6", "global functions (verified alone, 51c39bb1d5d1)");
	if (l->spec->btf)
		need(ns, "5.0", "BTF func/line info (optional: dropped on older kernels)");
}

static void lint_reach(struct lint *l)
{
	struct needs ns = { .n = 0 };
	char list[256] = "";
	size_t used = 0;
	const char *max = NULL;

	gather_needs(l, &ns);
	if (!ns.n)
		return;
	qsort(ns.v, ns.n, sizeof(ns.v[0]), by_version_desc);
	for (size_t i = 0; i < ns.n; i++) {
		if (!strstr(ns.v[i].what, "optional") && !max)
			max = ns.v[i].since;
		used += snprintf(list + used, used < sizeof(list) ? sizeof(list) - used : 0,
				 "%s%s %s", i ? ", " : "", ns.v[i].what, ns.v[i].since);
	}
	lint_add(l, WD_CHECK_INFO, "reach", -1, NULL, "needs Linux %s+ (mainline): %s",
		 max ? max : ns.v[0].since, list);
}

/* ---- 4b. against other kernels' BTF ---------------------------------------- */

static bool enum_has(const struct wd_btf *btf, const char *enum_name, const char *prefix,
		     const char *name, bool upper, bool *known)
{
	uint32_t id = wd_btf_find(btf, enum_name, BTF_KIND_ENUM);
	const struct btf_type *t = id ? wd_btf_type(btf, id) : NULL;
	char want[128];

	*known = t != NULL;
	if (!t)
		return false;
	snprintf(want, sizeof(want), "%s%s", prefix, name);
	/* BPF_PROG_TYPE_KPROBE, BPF_MAP_TYPE_HASH, but BPF_FUNC_map_lookup_elem */
	for (char *c = want + strlen(prefix); upper && *c; c++)
		*c = (char)toupper((unsigned char)*c);
	for (int i = 0; i < btf_vlen_of(t); i++) {
		const struct btf_enum *e = (const struct btf_enum *)btf_extra(t) + i;
		if (!strcmp(wd_btf_str(btf, e->name_off), want))
			return true;
	}
	return false;
}

struct fleet_core {
	const struct lint *l;
	struct wd_core_relo_info *v;
	size_t n;
	int err;
};

static bool placed_func(const struct lint *l, const char *sec, const char *fn)
{
	for (size_t k = 0; k < l->img.nr_placed; k++) {
		const struct wd_func *f = l->img.placed[k].func;
		if (fn && !strcmp(f->name, fn) && !strcmp(l->spec->secs[f->sec].name, sec))
			return true;
	}
	return false;
}

static int fleet_core_cb(const struct wd_core_relo_info *i, void *ctx)
{
	struct fleet_core *fc = ctx;

	if (!placed_func(fc->l, i->section, i->program))
		return 0;
	if (grow((void **)&fc->v, fc->n, sizeof(*fc->v)))
		return -ENOMEM;
	fc->v[fc->n++] = *i;
	return 0;
}

static bool exists_kind(unsigned int kind)
{
	return kind == BPF_CORE_FIELD_EXISTS || kind == BPF_CORE_TYPE_EXISTS ||
	       kind == BPF_CORE_ENUMVAL_EXISTS || kind == 12 /* BPF_CORE_TYPE_MATCHES */;
}

/* The rule of doctor's CO-RE check (diag/doctor_obj.c): a poisoned access
 * is guarded when the same function computed, earlier, an existence check
 * of the same path or a prefix of it that is 0 on the target. */
static bool core_guarded(const struct fleet_core *fc, const struct wd_core_relo_info *r)
{
	for (size_t k = 0; k < fc->n; k++) {
		const struct wd_core_relo_info *g = &fc->v[k];
		size_t n = strlen(g->path);
		if (!strcmp(g->section, r->section) && g->program && r->program &&
		    !strcmp(g->program, r->program) && g->insn < r->insn && exists_kind(g->kind) &&
		    !g->error && !g->poisoned && g->target_value == 0 &&
		    !strncmp(g->path, r->path, n) && (!r->path[n] || r->path[n] == '.' ||
						      r->path[n] == '['))
			return true;
	}
	return false;
}

static void fleet_core_verdict(const struct fleet_core *fc, char *why, size_t size)
{
	for (size_t k = 0; k < fc->n; k++) {
		const struct wd_core_relo_info *i = &fc->v[k];
		if (i->error) {
			snprintf(why, size, "CO-RE %s %s: %s", i->kind_name, i->path, i->message);
			return;
		}
		if (i->poisoned && !exists_kind(i->kind) && !core_guarded(fc, i)) {
			snprintf(why, size, "CO-RE %s %s (insn %u): not in that BTF, unguarded: the "
				 "verifier rejects the poisoned instruction", i->kind_name, i->path,
				 i->insn);
			return;
		}
	}
}

/* The first reason the program would fail on the kernel of `btf`, "" if none. */
static void fleet_why(struct lint *l, const struct wd_btf *btf, char *why, size_t size)
{
	const char *tn = wd_prog_type_name(wd_prog_type(l->p));
	bool known;

	why[0] = '\0';
	if (tn && !enum_has(btf, "bpf_prog_type", "BPF_PROG_TYPE_", tn, true, &known) && known) {
		snprintf(why, size, "no %s programs", tn);
		return;
	}
	for (size_t i = 0; i < l->img.insn_cnt; i++) {
		const struct bpf_insn *in = &l->img.insns[i];
		if (in->code == (BPF_JMP | BPF_CALL) && in->src_reg == 0) {
			const char *h = wd_helper_name((unsigned int)in->imm);
			if (h && !enum_has(btf, "bpf_func_id", "BPF_FUNC_", h + 4, false, &known) && known) {
				snprintf(why, size, "no helper %s", h);
				return;
			}
		}
		if (in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_KFUNC_CALL &&
		    l->ext_at[i] >= 0) {
			const struct wd_extern *e = &l->spec->externs[l->ext_at[i]];
			if (!e->weak && !wd_btf_find(btf, e->name, BTF_KIND_FUNC)) {
				snprintf(why, size, "no kfunc %s in its BTF", e->name);
				return;
			}
		}
		if (l->map_at[i] >= 0 && l->spec->maps[l->map_at[i]].kind == WD_MAP_USER) {
			const char *mn = wd_map_type_name(l->spec->maps[l->map_at[i]].type);
			if (mn && !enum_has(btf, "bpf_map_type", "BPF_MAP_TYPE_", mn, true, &known) && known) {
				snprintf(why, size, "no %s maps", mn);
				return;
			}
		}
		if (is_ld_imm64(in))
			i++;
	}
	switch (l->def->attach) {
	case WD_ATTACH_KPROBE: case WD_ATTACH_KRETPROBE: {
		char sym[128];
		snprintf(sym, sizeof(sym), "%.*s", (int)strcspn(l->target, "+"), l->target);
		if (*sym && !wd_btf_find(btf, sym, BTF_KIND_FUNC))
			snprintf(why, size, "no function %s in its BTF (renamed, inlined or absent)", sym);
		break;
	}
	case WD_ATTACH_RAW_TP: case WD_ATTACH_TRACING: case WD_ATTACH_LSM: {
		char name[256];
		bool tp = l->def->attach == WD_ATTACH_RAW_TP ||
			  l->def->expected_attach_type == BPF_TRACE_RAW_TP;
		snprintf(name, sizeof(name), "%s%s", tp ? "btf_trace_" :
			 l->def->attach_prefix ? l->def->attach_prefix : "", l->target);
		if (*l->target && !wd_btf_find(btf, name, tp ? BTF_KIND_TYPEDEF : BTF_KIND_FUNC))
			snprintf(why, size, "no %s in its BTF", name);
		break;
	}
	default:
		break;
	}
}

static void fleet_core(struct lint *l, const char *obj_path, const char *btf_path, char *why,
		       size_t size)
{
	struct wd_open_opts oo = { .sz = sizeof(oo), .btf_path = btf_path };
	struct fleet_core fc = { .l = l };
	struct wd_object *obj;
	int err;

	bool core = false;

	for (size_t k = 0; k < l->img.nr_placed; k++)
		core |= func_has_core(l, l->img.placed[k].func);
	if (why[0] || !obj_path || !core)
		return;
	obj = wd_object_open(obj_path, &oo);
	if (!obj) {
		snprintf(why, size, "cannot open the object against it: %s", wd_errmsg());
		return;
	}
	err = wd_object_core_relos(obj, true, fleet_core_cb, &fc);
	if (err)
		snprintf(why, size, "CO-RE: %s", wd_errmsg());
	else
		fleet_core_verdict(&fc, why, size);
	free(fc.v);
	wd_object_close(obj);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static void lint_fleet(struct lint *l, const struct wd_lint_opts *o)
{
	for (size_t k = 0; k < o->nr_kernel_btfs; k++) {
		const char *path = o->kernel_btfs[k];
		struct wd_btf *btf = wd_btf_load_file(path, NULL);
		char what[96], why[256], name[200];

		snprintf(what, sizeof(what), "fleet %s", base_name(path));
		snprintf(name, sizeof(name), "%s: %s", wd_prog_name(l->p), what);
		if (!btf) {
			lint_add(l, WD_CHECK_WRONG, what, -1, "give a vmlinux, a raw BTF file or a BTFHub file",
				 "cannot read %s: %s", path, wd_errmsg());
			continue;
		}
		fleet_why(l, btf, why, sizeof(why));
		wd_btf_free(btf);
		fleet_core(l, o->obj_path, path, why, sizeof(why));
		if (why[0])
			lint_add(l, WD_CHECK_WRONG, what, -1, NULL, "would fail: %s", why);
		else
			wd_report_add(l->r, "lint", name, WD_CHECK_OK, NULL, "ok");
	}
}

/* ---- the program ------------------------------------------------------------ */

static void lint_free(struct lint *l)
{
	wd_prog_image_free(&l->img);
	free(l->map_at);
	free(l->ext_at);
	free(l->st);
	free(l->todo);
	free(l->queued);
	free(l->ret);
	free(l->ret_done);
	free(l->reads);
	free(l->tails);
	free(l->frame);
}

static int lint_prepare(struct lint *l)
{
	size_t n = l->img.insn_cnt ? l->img.insn_cnt : 1;

	l->map_at = calloc(n, sizeof(*l->map_at));
	l->ext_at = calloc(n, sizeof(*l->ext_at));
	l->st = calloc(n, sizeof(*l->st));
	/* each instruction is pushed at most once per change of its state:
	 * bounded by 11 registers x 2 steps down the lattice, + 1 */
	l->todo = calloc(n, sizeof(*l->todo));
	l->queued = calloc(n, sizeof(*l->queued));
	l->frame = calloc(l->img.nr_placed ? l->img.nr_placed : 1, sizeof(*l->frame));
	l->ret = calloc(l->img.nr_placed ? l->img.nr_placed : 1, sizeof(*l->ret));
	l->ret_done = calloc(l->img.nr_placed ? l->img.nr_placed : 1, sizeof(*l->ret_done));
	if (!l->map_at || !l->ext_at || !l->st || !l->todo || !l->queued || !l->frame || !l->ret || !l->ret_done)
		return -ENOMEM;
	find_map_refs(l);
	/* subprograms are placed depth first after their callers: the last
	 * placed first, so a callee's return values are known at its calls
	 * (a callee not yet summed up, as in a cycle the verifier refuses
	 * anyway, returns unknown) */
	for (size_t k = l->img.nr_placed; k-- > 0;) {
		interpret(l, k);
		summarize_return(l, k);
		if (collect_facts(l, k))
			return -ENOMEM;
	}
	return 0;
}

int wd_lint_prog(struct wd_report *r, const struct wd_object *obj, struct wd_prog *p,
		 const struct wd_lint_opts *o)
{
	struct lint l = { .r = r, .p = p, .exit_const_insn = -1, .exit_const_def = -1,
			  .exit_unknown_insn = -1, .parm1_off = -1 };
	struct sym_scan sc = { 0 };
	const struct arch_regs *wrap = NULL;
	char sym[128] = "";
	int err;

	l.spec = wd_object_spec(obj);
	l.def = wd_prog_sec_def(p);
	if (!l.def || !wd_prog_type(p))
		return 0;   /* an unknown section: the preflight says so */
	l.target = wd_sec_target(l.def, wd_prog_section(p));
	if (l.def->attach == WD_ATTACH_KPROBE || l.def->attach == WD_ATTACH_KRETPROBE) {
		snprintf(sym, sizeof(sym), "%.*s", (int)strcspn(l.target, "+"), l.target);
		wrap = l.def->attach == WD_ATTACH_KPROBE ? wrapped_syscall(sym) : NULL;
		if (wrap)
			l.parm1_off = wrap->off[0];
	}
	err = wd_prog_image(p, &l.img);
	if (!err && l.img.insn_cnt > MAX_LINT_INSNS) {
		/* the per-instruction states would take ~700 bytes each */
		wd_report_add(r, "lint", wd_prog_name(p), WD_CHECK_INFO, NULL,
			      "not linted: %zu instructions, over the lint's %d", l.img.insn_cnt,
			      MAX_LINT_INSNS);
		lint_free(&l);
		return 0;
	}
	if (!err)
		err = lint_prepare(&l);
	if (err) {
		lint_free(&l);
		if (err != -ENOMEM)
			wd_report_add(r, "lint", wd_prog_name(p), WD_CHECK_INFO, NULL,
				      "not linted: %s", wd_errmsg());
		return err;
	}
	lint_return(&l);
	if (*sym) {
		sc.sym = sym;
		lint_kprobe_target(&l, &sc);
	}
	if (wrap)
		lint_syscall_args(&l, wrap, sym);
	lint_stack(&l);
	lint_tail_calls(&l);
	lint_reach(&l);
	if (WD_OPTS_HAS(o, nr_kernel_btfs) && o->nr_kernel_btfs)
		lint_fleet(&l, o);
	err = l.errors;
	lint_free(&l);
	return err;
}

int wd_lint_stack_chain(const struct wd_object *obj, struct wd_prog *p, char *buf, size_t size)
{
	struct lint l = { .p = p, .exit_const_insn = -1, .exit_const_def = -1,
			  .exit_unknown_insn = -1, .parm1_off = -1 };
	int err, total = 0, total16 = 0;

	l.spec = wd_object_spec(obj);
	l.def = wd_prog_sec_def(p);
	if (!l.def)
		return -ENOENT;
	l.target = wd_sec_target(l.def, wd_prog_section(p));
	err = wd_prog_image(p, &l.img);
	if (!err)
		err = lint_prepare(&l);
	if (!err)
		format_chain(&l, buf, size, &total, &total16);
	lint_free(&l);
	return err ? err : total;
}

/* `warden verify`: the lint of each program (or only `only`), printed. */
int wd_lint_file(const char *path, const char *only, FILE *out)
{
	struct wd_lint_opts lo = { .sz = sizeof(lo), .obj_path = path };
	struct wd_report r = { 0 };
	struct wd_object *obj = wd_object_open(path, NULL);
	struct wd_prog *p;
	int errors = 0;

	if (!obj)
		return -errno ? -errno : -EINVAL;
	wd_object_for_each_prog(p, obj)
		if (!only || !strcmp(only, wd_prog_name(p)))
			wd_lint_prog(&r, obj, p, &lo);
	wd_object_close(obj);
	for (size_t i = 0; i < r.nr_checks; i++) {
		const struct wd_check *c = &r.checks[i];
		if (c->status == WD_CHECK_OK)
			continue;
		fprintf(out, "lint: %-7s %s: %s%s%s\n", wd_lint_severity(c->status), c->name,
			c->source, c->source[0] ? ": " : "", c->value);
		if (c->hint[0])
			fprintf(out, "      -> %s\n", c->hint);
		errors += c->status == WD_CHECK_WRONG;
	}
	wd_report_free(&r);
	return errors;
}
