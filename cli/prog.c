// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * warden prog show|dump xlated|dump jited: loaded programs as the kernel
 * keeps them.  xlated is disassembled here (the instruction set is small)
 * with the source lines of the program's BTF line info; jited is hex.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "json.h"
#include "objinfo.h"
#include "warden/bpf.h"
#include "warden/btf.h"
#include "warden/features.h"

static const char prog_usage[] =
	"usage: warden prog show [PROG] [-j]\n"
	"       warden prog dump xlated PROG [-j]\n"
	"       warden prog dump jited PROG [-j]\n"
	"\n"
	"PROG  ID | id ID | pinned PATH | name NAME (the whole name, from BTF where the\n"
	"      kernel keeps 15 characters; it must match one program)\n"
	"\n"
	"show         id, type, name, tag, load time, uid, sizes, memlock, map ids, BTF\n"
	"             id, owners as comm(pid), pins and where it is attached\n"
	"dump xlated  the instructions after the verifier's rewrites, disassembled,\n"
	"             with the source line before each first instruction of a line\n"
	"             (BTF line info, where the program was loaded with it); helper\n"
	"             calls by name, maps by id\n"
	"dump jited   the machine code as hex bytes, per function (no disassembler)\n"
	"\n"
	"  -j, --json    JSON\n"
	"  -h, --help    this text\n"
	"\n"
	"Exit 0 on success, 1 when the kernel refuses (dumps need CAP_SYS_ADMIN, and\n"
	"jited code a JIT), 2 on bad input (unknown program, bad arguments).\n";

static bool opt_json;

/* One line on stderr: exit status 2 for bad input, 1 when the kernel refuses. */
#define bad(...) cli_bad_input("prog", __VA_ARGS__)
#define fail(...) cli_fail("prog", __VA_ARGS__)

/* ---- finding the program ---------------------------------------------- */

static int by_id(uint32_t id, int *fd)
{
	*fd = wd_sys_get_fd_by_id(BPF_PROG_GET_FD_BY_ID, id);
	if (*fd == -ENOENT)
		return bad("no program with id %u (list them with 'warden prog show')", id);
	if (*fd < 0)
		return fail("program %u: %s%s", id, strerror(-*fd),
			    *fd == -EPERM ? " (needs CAP_SYS_ADMIN)" : "");
	return 0;
}

static int by_name(const char *name, int *fd)
{
	uint32_t id = 0, found = 0, n = 0;
	while (!wd_sys_get_next_id(BPF_PROG_GET_NEXT_ID, id, &id)) {
		int f = wd_sys_get_fd_by_id(BPF_PROG_GET_FD_BY_ID, id);
		struct bpf_prog_info info = { 0 };
		uint32_t len = sizeof(info);
		char full[128];
		if (f < 0)
			continue;
		if (!wd_sys_obj_info(f, &info, &len)) {
			prog_full_name(f, &info, full, sizeof(full));
			if (!strcmp(full, name)) {
				found = id;
				n++;
			}
		}
		close(f);
	}
	if (!n)
		return bad("no program named '%s' (list them with 'warden prog show')", name);
	if (n > 1)
		return bad("%u programs are named '%s': give the id", n, name);
	return by_id(found, fd);
}

/* PROG at argv[*i]: ID | id ID | pinned PATH | name NAME. */
static int prog_ref(int argc, char **argv, int *i, int *fd)
{
	enum obj_ref how;
	const char *arg;
	uint32_t id;
	int rc;

	*fd = -1;
	if ((rc = obj_ref_parse("prog", "program", argc, argv, i, &how, &arg, &id)))
		return rc;
	if (how == OBJ_REF_NAME)
		return by_name(arg, fd);
	if (how == OBJ_REF_PINNED) {
		char link[64] = "", self[64];
		*fd = wd_sys_obj_get(arg, 0);
		if (*fd < 0)
			return bad("cannot open pinned program '%s': %s", arg, strerror(-*fd));
		snprintf(self, sizeof(self), "/proc/self/fd/%d", *fd);
		if (readlink(self, link, sizeof(link) - 1) < 0 || strcmp(link, "anon_inode:bpf-prog")) {
			close(*fd);
			*fd = -1;
			return bad("'%s' is not a BPF program", arg);
		}
		return 0;
	}
	return by_id(id, fd);
}

/* ---- show ------------------------------------------------------------------ */

static void show_one(int fd, const struct host_objs *h, struct json *j)
{
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info), nmaps = 0, *maps;
	char name[128], tag[20], when[32];
	const char *type;

	if (wd_sys_obj_info(fd, &info, &len))
		return;
	type = wd_prog_type_name(info.type);
	prog_full_name(fd, &info, name, sizeof(name));
	prog_tag_str(&info, tag, sizeof(tag));
	prog_load_time_str(&info, when, sizeof(when));
	maps = prog_map_ids(fd, &nmaps);
	if (j) {
		json_obj_open(j);
		json_kv_u64(j, "id", info.id);
		json_kv_str(j, "type", type ? type : "unknown");
		json_kv_str(j, "name", name);
		json_kv_str(j, "tag", tag);
		json_kv_bool(j, "gpl_compatible", info.gpl_compatible);
		json_kv_str(j, "loaded_at", when);
		json_kv_u64(j, "load_time_ns", prog_load_unix_ns(&info));
		json_kv_u64(j, "uid", info.created_by_uid);
		json_kv_u64(j, "bytes_xlated", info.xlated_prog_len);
		json_kv_bool(j, "jited", info.jited_prog_len > 0);
		json_kv_u64(j, "bytes_jited", info.jited_prog_len);
		if (info.btf_id)
			json_kv_u64(j, "btf_id", info.btf_id);
		json_key(j, "map_ids");
		json_arr_open(j);
		for (uint32_t m = 0; m < nmaps; m++)
			json_u64(j, maps[m]);
		json_arr_close(j);
		host_objs_print_owners(h, OBJ_PROG, info.id, j);
		json_obj_close(j);
		free(maps);
		return;
	}
	printf("%u: %s  name %s  tag %s%s\n", info.id, type ? type : "unknown", name, tag,
	       info.gpl_compatible ? "  gpl" : "");
	printf("\tloaded_at %s  uid %u\n", when, info.created_by_uid);
	printf("\txlated %uB  ", info.xlated_prog_len);
	if (info.jited_prog_len)
		printf("jited %uB", info.jited_prog_len);
	else
		printf("not jited");
	if (info.btf_id)
		printf("  btf_id %u", info.btf_id);
	fputc('\n', stdout);
	if (nmaps) {
		printf("\tmap_ids ");
		for (uint32_t m = 0; m < nmaps; m++)
			printf("%s%u", m ? "," : "", maps[m]);
		fputc('\n', stdout);
	}
	host_objs_print_owners(h, OBJ_PROG, info.id, NULL);
	free(maps);
}

static int cmd_show(int argc, char **argv)
{
	struct host_objs h;
	struct json j;
	int i = 0, fd = -1, rc;
	uint32_t id = 0;

	if (argc > 0) {
		if ((rc = prog_ref(argc, argv, &i, &fd)))
			return rc;
		if (i != argc) {
			close(fd);
			return bad("show: unexpected '%s'", argv[i]);
		}
	}
	host_objs_scan(&h, true);
	if (opt_json) {
		json_begin(&j, stdout);
		json_key(&j, "progs");
		json_arr_open(&j);
	}
	if (fd >= 0) {
		show_one(fd, &h, opt_json ? &j : NULL);
		close(fd);
		rc = -ENOENT;
	} else {
		while ((rc = wd_sys_get_next_id(BPF_PROG_GET_NEXT_ID, id, &id)) == 0) {
			int f = wd_sys_get_fd_by_id(BPF_PROG_GET_FD_BY_ID, id);
			if (f < 0)
				continue;
			show_one(f, &h, opt_json ? &j : NULL);
			close(f);
		}
	}
	if (opt_json) {
		json_arr_close(&j);
		json_end(&j);
	}
	host_objs_free(&h);
	if (rc != -ENOENT)
		return fail("cannot list programs: %s", strerror(-rc));
	return 0;
}

/* ---- xlated: disassembly ------------------------------------------------- */

/* Kernel symbol at an address, for helper calls (the xlated imm is the
 * helper's offset from __bpf_call_base, kernel/bpf/syscall.c
 * bpf_insn_prepare_dump()).  /proc/kallsyms is read once, on demand. */
struct ksyms { uint64_t base; char **names; uint64_t *addrs; size_t n; bool loaded; };

static void ksyms_load(struct ksyms *k)
{
	char line[512], name[256], t;
	unsigned long long addr;
	FILE *f;

	k->loaded = true;
	if (!(f = fopen("/proc/kallsyms", "re")))
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &t, name) != 3 || !addr)
			continue;
		if (!strcmp(name, "__bpf_call_base"))
			k->base = addr;
		/* text symbols: helpers, and the map functions the verifier calls
		 * directly in place of bpf_map_lookup_elem (htab_map_lookup_elem, ...) */
		if (t != 't' && t != 'T')
			continue;
		if (!(k->n & (k->n + 1)) || !k->n) {
			size_t cap = k->n ? (k->n + 1) * 2 : 256;
			char **nn = realloc(k->names, cap * sizeof(*nn));
			if (nn)
				k->names = nn;
			uint64_t *na = realloc(k->addrs, cap * sizeof(*na));
			if (na)
				k->addrs = na;
			if (!nn || !na)
				break;
		}
		if (!(k->names[k->n] = strdup(name)))
			break;
		k->addrs[k->n++] = addr;
	}
	fclose(f);
}

static const char *ksym_at(struct ksyms *k, uint64_t addr)
{
	if (!k->loaded)
		ksyms_load(k);
	for (size_t i = 0; i < k->n; i++)
		if (k->addrs[i] == addr)
			return k->names[i];
	return NULL;
}

static void ksyms_free(struct ksyms *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->names[i]);
	free(k->names);
	free(k->addrs);
}

static const char *size_str(uint8_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_W: return "u32";
	case BPF_H: return "u16";
	case BPF_B: return "u8";
	default: return "u64";
	}
}

static const char *alu_op(uint8_t op)
{
	static const char *const ops[16] = { "+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=",
					     "neg", "%=", "^=", "=", "s>>=", "end", "?", "?" };
	return ops[op >> 4];
}

static const char *jmp_op(uint8_t op)
{
	static const char *const ops[16] = { "ja", "==", ">", ">=", "&", "!=", "s>", "s>=",
					     "call", "exit", "<", "<=", "s<", "s<=", "?", "?" };
	return ops[op >> 4];
}

static const char *atomic_op(int32_t imm)
{
	switch (imm & ~BPF_FETCH) {
	case BPF_ADD: return "+=";
	case BPF_OR: return "|=";
	case BPF_AND: return "&=";
	case BPF_XOR: return "^=";
	default: return NULL;
	}
}

/* One instruction as text; returns the number of slots it takes (1 or 2). */
static int disasm(const struct bpf_insn *in, size_t left, struct ksyms *ks, char *buf, size_t size)
{
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	char r = cls == BPF_ALU ? 'w' : 'r';

	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		if (op == BPF_NEG) {
			snprintf(buf, size, "%c%d = -%c%d", r, in->dst_reg, r, in->dst_reg);
		} else if (op == BPF_END) {
			snprintf(buf, size, "r%d = %s%d r%d", in->dst_reg,
				 cls == BPF_ALU64 ? "bswap" : BPF_SRC(in->code) == BPF_X ? "be" : "le",
				 in->imm, in->dst_reg);
		} else if (op == BPF_MOV && in->off && BPF_SRC(in->code) == BPF_X) {
			snprintf(buf, size, "%c%d = (s%d)%c%d", r, in->dst_reg, in->off, r, in->src_reg);
		} else if (BPF_SRC(in->code) == BPF_X) {
			snprintf(buf, size, "%c%d %s%s %c%d", r, in->dst_reg,
				 in->off == 1 && (op == BPF_DIV || op == BPF_MOD) ? "s" : "",
				 alu_op(op), r, in->src_reg);
		} else {
			snprintf(buf, size, "%c%d %s%s %d", r, in->dst_reg,
				 in->off == 1 && (op == BPF_DIV || op == BPF_MOD) ? "s" : "",
				 alu_op(op), in->imm);
		}
		return 1;
	case BPF_JMP:
	case BPF_JMP32:
		if (op == BPF_EXIT) {
			snprintf(buf, size, "exit");
		} else if (op == BPF_CALL) {
			if (in->src_reg == BPF_PSEUDO_CALL) {
				/* after the JIT the kernel keeps the offset in off and the
				 * subprogram index in imm (kernel/bpf/verifier.c jit_subprogs) */
				snprintf(buf, size, "call pc%+d", in->off ? in->off : in->imm);
			} else if (in->src_reg == 2 /* BPF_PSEUDO_KFUNC_CALL */) {
				snprintf(buf, size, "call kfunc btf_id %d", in->imm);
			} else {
				const char *n = NULL;
				if (!ks->loaded)
					ksyms_load(ks);
				if (ks->base && in->imm)
					n = ksym_at(ks, ks->base + (int64_t)in->imm);
				if (!n && wd_helper_name((uint32_t)in->imm))
					n = wd_helper_name((uint32_t)in->imm);
				if (n)
					snprintf(buf, size, "call %s", n);
				else
					snprintf(buf, size, "call 0x%x", (uint32_t)in->imm);
			}
		} else if (op == BPF_JA) {
			snprintf(buf, size, "goto pc%+d", cls == BPF_JMP32 ? in->imm : in->off);
		} else {
			char rr = cls == BPF_JMP32 ? 'w' : 'r', rhs[24];
			if (BPF_SRC(in->code) == BPF_X)
				snprintf(rhs, sizeof(rhs), "%c%d", rr, in->src_reg);
			else
				snprintf(rhs, sizeof(rhs), "%d", in->imm);
			snprintf(buf, size, "if %c%d %s %s goto pc%+d", rr, in->dst_reg, jmp_op(op), rhs,
				 in->off);
		}
		return 1;
	case BPF_LD:
		if (in->code == (BPF_LD | BPF_IMM | BPF_DW) && left >= 2) {
			uint64_t v = (uint32_t)in->imm | ((uint64_t)(uint32_t)in[1].imm << 32);
			if (in->src_reg == BPF_PSEUDO_MAP_FD)
				snprintf(buf, size, "r%d = map[id:%u]", in->dst_reg, (uint32_t)in->imm);
			else if (in->src_reg == BPF_PSEUDO_MAP_VALUE)
				snprintf(buf, size, "r%d = map[id:%u][0]+%u", in->dst_reg, (uint32_t)in->imm,
					 (uint32_t)in[1].imm);
			else
				snprintf(buf, size, "r%d = 0x%" PRIx64 " ll", in->dst_reg, v);
			return 2;
		}
		snprintf(buf, size, "r0 = *(%s *)skb[%s%d]", size_str(in->code),
			 BPF_MODE(in->code) == BPF_IND ? "r" : "", BPF_MODE(in->code) == BPF_IND ?
			 in->src_reg : in->imm);
		return 1;
	case BPF_LDX:
		snprintf(buf, size, "r%d = *(%s%s *)(r%d %+d)", in->dst_reg,
			 BPF_MODE(in->code) == 0x80 /* MEMSX */ ? "s" : "",
			 BPF_MODE(in->code) == 0x80 ? size_str(in->code) + 1 : size_str(in->code),
			 in->src_reg, in->off);
		return 1;
	case BPF_ST:
		snprintf(buf, size, "*(%s *)(r%d %+d) = %d", size_str(in->code), in->dst_reg, in->off,
			 in->imm);
		return 1;
	case BPF_STX:
		if (BPF_MODE(in->code) == BPF_ATOMIC) {
			const char *a = atomic_op(in->imm);
			if (in->imm == BPF_XCHG)
				snprintf(buf, size, "r%d = xchg(*(%s *)(r%d %+d), r%d)", in->src_reg,
					 size_str(in->code), in->dst_reg, in->off, in->src_reg);
			else if (in->imm == BPF_CMPXCHG)
				snprintf(buf, size, "r0 = cmpxchg(*(%s *)(r%d %+d), r0, r%d)",
					 size_str(in->code), in->dst_reg, in->off, in->src_reg);
			else if (a)
				snprintf(buf, size, "lock *(%s *)(r%d %+d) %s r%d%s", size_str(in->code),
					 in->dst_reg, in->off, a, in->src_reg,
					 in->imm & BPF_FETCH ? " (fetch)" : "");
			else
				snprintf(buf, size, "atomic 0x%x", in->imm);
			return 1;
		}
		snprintf(buf, size, "*(%s *)(r%d %+d) = r%d", size_str(in->code), in->dst_reg, in->off,
			 in->src_reg);
		return 1;
	}
	snprintf(buf, size, "(code 0x%02x)", in->code);
	return 1;
}

struct prog_dump {
	struct bpf_prog_info info;
	struct bpf_insn *insns;
	uint8_t *jited;
	struct bpf_line_info *lines;
	struct bpf_func_info *funcs;
	uint32_t *func_lens;
	struct wd_btf *btf;
};

static void dump_free(struct prog_dump *d)
{
	free(d->insns);
	free(d->jited);
	free(d->lines);
	free(d->funcs);
	free(d->func_lens);
	wd_btf_free(d->btf);
}

/* Ask once for the counts, then again with buffers for what is wanted. */
static int dump_read(int fd, bool jited, struct prog_dump *d)
{
	struct bpf_prog_info want = { 0 };
	uint32_t len = sizeof(want);
	int err;

	memset(d, 0, sizeof(*d));
	if ((err = wd_sys_obj_info(fd, &d->info, &len)))
		return err;
	if (jited && !d->info.jited_prog_len)
		return -ENODATA;
	if (!jited && !d->info.xlated_prog_len)
		return -EACCES;  /* the kernel hides the instructions without CAP_SYS_ADMIN */
	if (jited) {
		want.jited_prog_len = d->info.jited_prog_len;
		want.jited_prog_insns = wd_ptr_to_u64(d->jited = calloc(1, d->info.jited_prog_len));
		if (d->info.nr_jited_func_lens) {
			want.nr_jited_func_lens = d->info.nr_jited_func_lens;
			want.jited_func_lens = wd_ptr_to_u64(
				d->func_lens = calloc(d->info.nr_jited_func_lens, sizeof(uint32_t)));
		}
	} else {
		want.xlated_prog_len = d->info.xlated_prog_len;
		want.xlated_prog_insns = wd_ptr_to_u64(d->insns = calloc(1, d->info.xlated_prog_len));
		if (d->info.nr_line_info && d->info.line_info_rec_size == sizeof(struct bpf_line_info)) {
			want.nr_line_info = d->info.nr_line_info;
			want.line_info_rec_size = sizeof(struct bpf_line_info);
			want.line_info = wd_ptr_to_u64(d->lines = calloc(d->info.nr_line_info,
									  sizeof(*d->lines)));
		}
	}
	if (d->info.nr_func_info && d->info.func_info_rec_size == sizeof(struct bpf_func_info)) {
		want.nr_func_info = d->info.nr_func_info;
		want.func_info_rec_size = sizeof(struct bpf_func_info);
		want.func_info = wd_ptr_to_u64(d->funcs = calloc(d->info.nr_func_info, sizeof(*d->funcs)));
	}
	if ((jited && !d->jited) || (!jited && !d->insns))
		return -ENOMEM;
	len = sizeof(want);
	if ((err = wd_sys_obj_info(fd, &want, &len)))
		return err;
	if (!want.xlated_prog_insns && !want.jited_prog_insns)
		return -EACCES;
	/* Counts can shrink meanwhile (never for a loaded program); keep the smaller. */
	d->info.nr_line_info = d->lines ? want.nr_line_info : 0;
	d->info.nr_func_info = d->funcs ? want.nr_func_info : 0;
	d->info.nr_jited_func_lens = d->func_lens ? want.nr_jited_func_lens : 0;
	if (d->info.btf_id && (d->lines || d->funcs))
		d->btf = wd_btf_load_id(d->info.btf_id);
	return 0;
}

static const char *func_name_at(const struct prog_dump *d, uint32_t insn)
{
	for (uint32_t i = 0; d->btf && i < d->info.nr_func_info; i++)
		if (d->funcs[i].insn_off == insn)
			return wd_btf_name(d->btf, d->funcs[i].type_id);
	return NULL;
}

static const char *basename_of(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int dump_xlated(int fd, const char *label)
{
	struct prog_dump d;
	struct ksyms ks = { 0 };
	struct json j;
	char text[160], src[512];
	int err = dump_read(fd, false, &d);

	if (err) {
		dump_free(&d);
		return fail("%s: cannot read its instructions: %s%s", label, strerror(-err),
			    err == -EACCES ? " (needs CAP_SYS_ADMIN)" : "");
	}
	size_t n = d.info.xlated_prog_len / sizeof(struct bpf_insn);
	uint32_t li = 0;
	if (opt_json) {
		json_begin(&j, stdout);
		json_kv_u64(&j, "id", d.info.id);
		json_kv_bool(&j, "line_info", d.lines && d.btf);
		json_key(&j, "insns");
		json_arr_open(&j);
	}
	for (size_t pc = 0; pc < n;) {
		const char *fn = func_name_at(&d, (uint32_t)pc);
		src[0] = '\0';
		while (d.lines && d.btf && li < d.info.nr_line_info && d.lines[li].insn_off <= pc) {
			/* line 0: compiler-made code with no source line (skipped as verify does) */
			if (d.lines[li].insn_off == pc && BPF_LINE_INFO_LINE_NUM(d.lines[li].line_col)) {
				const char *line = wd_btf_str(d.btf, d.lines[li].line_off);
				const char *file = wd_btf_str(d.btf, d.lines[li].file_name_off);
				while (line && (*line == ' ' || *line == '\t'))
					line++;
				snprintf(src, sizeof(src), "%s (%s:%u)", line ? line : "",
					 file ? basename_of(file) : "?",
					 BPF_LINE_INFO_LINE_NUM(d.lines[li].line_col));
			}
			li++;
		}
		int slots = disasm(&d.insns[pc], n - pc, &ks, text, sizeof(text));
		/* a bpf-to-bpf call names the function it calls (func_info) */
		if (d.insns[pc].code == (BPF_JMP | BPF_CALL) && d.insns[pc].src_reg == BPF_PSEUDO_CALL) {
			int32_t rel = d.insns[pc].off ? d.insns[pc].off : d.insns[pc].imm;
			const char *callee = func_name_at(&d, (uint32_t)((int64_t)pc + 1 + rel));
			size_t tl = strlen(text);
			if (callee)
				snprintf(text + tl, sizeof(text) - tl, " <%s>", callee);
		}
		if (opt_json) {
			json_obj_open(&j);
			json_kv_u64(&j, "pc", pc);
			if (fn)
				json_kv_str(&j, "func", fn);
			if (src[0])
				json_kv_str(&j, "src", src);
			json_kv_str(&j, "insn", text);
			json_obj_close(&j);
		} else {
			if (fn)
				printf("%s%s:\n", pc ? "\n" : "", fn);
			if (src[0])
				printf("; %s\n", src);
			printf("%5zu: %s\n", pc, text);
		}
		pc += (size_t)slots;
	}
	if (opt_json) {
		json_arr_close(&j);
		json_end(&j);
	} else if (!d.lines || !d.btf) {
		printf("(no source lines: the program was loaded without BTF line info)\n");
	}
	ksyms_free(&ks);
	dump_free(&d);
	return 0;
}

static int dump_jited(int fd, const char *label)
{
	struct prog_dump d;
	struct json j;
	int err = dump_read(fd, true, &d);

	if (err) {
		dump_free(&d);
		return fail("%s: %s", label, err == -ENODATA ?
			    "not JIT-compiled (net.core.bpf_jit_enable=0, or an interpreter-only kernel)" :
			    err == -EACCES ? "the kernel hides its machine code (needs CAP_SYS_ADMIN)" :
			    strerror(-err));
	}
	/* Functions in order: main program, then subprograms (jited_func_lens). */
	uint32_t nfuncs = d.info.nr_jited_func_lens ? d.info.nr_jited_func_lens : 1, off = 0;
	if (opt_json) {
		json_begin(&j, stdout);
		json_kv_u64(&j, "id", d.info.id);
		json_kv_u64(&j, "bytes_jited", d.info.jited_prog_len);
		json_key(&j, "funcs");
		json_arr_open(&j);
	}
	for (uint32_t f = 0; f < nfuncs && off < d.info.jited_prog_len; f++) {
		uint32_t flen = d.info.nr_jited_func_lens ? d.func_lens[f] : d.info.jited_prog_len;
		const char *name = NULL;
		if (d.btf && f < d.info.nr_func_info)
			name = wd_btf_name(d.btf, d.funcs[f].type_id);
		if (flen > d.info.jited_prog_len - off)
			flen = d.info.jited_prog_len - off;
		if (opt_json) {
			char *hex = malloc((size_t)flen * 2 + 1);
			json_obj_open(&j);
			if (name)
				json_kv_str(&j, "name", name);
			json_kv_u64(&j, "offset", off);
			json_kv_u64(&j, "size", flen);
			for (uint32_t b = 0; hex && b < flen; b++)
				snprintf(hex + 2 * b, 3, "%02x", d.jited[off + b]);
			json_kv_str(&j, "hex", hex ? hex : "");
			json_obj_close(&j);
			free(hex);
		} else {
			printf("%s%s (%u bytes):\n", f ? "\n" : "", name ? name : "func", flen);
			for (uint32_t b = 0; b < flen; b++)
				printf("%s%02x%s", b % 16 ? "" : "  ", d.jited[off + b],
				       b % 16 == 15 || b + 1 == flen ? "\n" : " ");
		}
		off += flen;
	}
	if (opt_json) {
		json_arr_close(&j);
		json_end(&j);
	}
	dump_free(&d);
	return 0;
}

static int cmd_dump(int argc, char **argv)
{
	int i = 1, fd, rc;
	char label[48];

	if (argc < 1 || (strcmp(argv[0], "xlated") && strcmp(argv[0], "jited")))
		return bad("dump: say 'xlated' or 'jited'");
	if ((rc = prog_ref(argc, argv, &i, &fd)))
		return rc;
	if (i != argc) {
		close(fd);
		return bad("dump: unexpected '%s'", argv[i]);
	}
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);
	wd_sys_obj_info(fd, &info, &len);
	snprintf(label, sizeof(label), "program %u '%s'", info.id, info.name);
	rc = !strcmp(argv[0], "xlated") ? dump_xlated(fd, label) : dump_jited(fd, label);
	close(fd);
	return rc;
}

/* The first is what `warden prog` alone runs. */
static const struct cli_sub subcommands[] = {
	{ "show", cmd_show }, { "list", cmd_show }, { "dump", cmd_dump },
};

static int cmd_prog(int argc, char **argv)
{
	int n = 0;
	bool help = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			opt_json = true;
		else if (cli_is_help(argv[i]))
			help = true;
		else if (argv[i][0] == '-' && argv[i][1] == '-')
			return cli_usage_error("prog", "unknown option '%s'", argv[i]);
		else
			argv[1 + n++] = argv[i];
	}
	if (help) {
		fputs(prog_usage, stdout);
		return 0;
	}
	return cli_run_sub("prog", subcommands, sizeof(subcommands) / sizeof(subcommands[0]), n,
			   argv + 1);
}

WD_CLI_COMMAND("prog", cmd_prog, "show loaded BPF programs, dump their instructions");
