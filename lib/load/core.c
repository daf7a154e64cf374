// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CO-RE relocation of an object's sections against the target BTF: the
 * --btf file when given, else the running kernel's vmlinux BTF plus module
 * BTF (/sys/kernel/btf/<module>), searched only when vmlinux has no
 * candidate (as libbpf does).  An unsatisfiable relocation poisons its
 * instruction (a call to helper 0xbad2310): the verifier rejects it only if
 * it is reachable, and wd_core_explain() then names the relocation.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"
#include "internal.h"
#include "host/probe.h"
#include "warden/core.h"

/* ---- targets ------------------------------------------------------------- */

int wd_core_targets_init(struct wd_core_targets *t, const char *btf_path)
{
	memset(t, 0, sizeof(*t));
	if (btf_path) {
		t->owned = wd_btf_load_file(btf_path, NULL);
		if (!t->owned) {
			wd_err_prefix("CO-RE target BTF: ");
			return -(errno ? errno : EINVAL);
		}
		t->base = t->owned;
		return 0;
	}
	if (wd_probe_kern_btf() != 1 || !(t->base = wd_btf_vmlinux()))
		return wd_err(-ENOENT, "no kernel BTF: /sys/kernel/btf/vmlinux is missing "
			      "(kernel before 5.4 or built without CONFIG_DEBUG_INFO_BTF); "
			      "give the BTF of this kernel with --btf FILE (wd_open_opts.btf_path), "
			      "e.g. from BTFHub or 'pahole --btf_encode_detached' of its vmlinux");
	t->modules = true;
	return 0;
}

void wd_core_targets_free(struct wd_core_targets *t)
{
	for (size_t i = 0; i < t->nr_flavored; i++)
		free(t->flavored[i].ids);
	free(t->flavored);
	for (size_t i = 0; i < t->nr_mods; i++) {
		wd_btf_free(t->mods[i]);
		free(t->mod_names[i]);
	}
	free(t->mods);
	free(t->mod_names);
	wd_btf_free(t->owned);
	memset(t, 0, sizeof(*t));
}

static int add_module(struct wd_core_targets *t, const char *name)
{
	char path[PATH_MAX];
	struct wd_btf **m = realloc(t->mods, (t->nr_mods + 1) * sizeof(*m));
	char **n;
	if (!m)
		return -ENOMEM;
	t->mods = m;
	if (!(n = realloc(t->mod_names, (t->nr_mods + 1) * sizeof(*n))))
		return -ENOMEM;
	t->mod_names = n;
	snprintf(path, sizeof(path), "/sys/kernel/btf/%s", name);
	m[t->nr_mods] = wd_btf_load_file(path, t->base);
	if (!m[t->nr_mods]) {
		wd_debug("CO-RE: skipping module BTF %s: %s", path, wd_errmsg());
		return 0;
	}
	if (!(n[t->nr_mods] = strdup(name))) {
		wd_btf_free(m[t->nr_mods]);
		return -ENOMEM;
	}
	t->nr_mods++;
	return 0;
}

static int load_modules(struct wd_core_targets *t)
{
	DIR *d;
	struct dirent *e;
	int err = 0;
	t->mods_loaded = true;
	if (!(d = opendir("/sys/kernel/btf")))
		return 0;
	while (!err && (e = readdir(d)))
		if (e->d_name[0] != '.' && strcmp(e->d_name, "vmlinux"))
			err = add_module(t, e->d_name);
	closedir(d);
	return err;
}

/* ---- candidates ------------------------------------------------------------ */

struct cand { const struct wd_btf *btf; uint32_t id; const char *mod; };

struct cands {
	struct cand *v;
	size_t n, cap;
};

static int cands_push(struct cands *c, const struct wd_btf *btf, uint32_t id, const char *mod)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 4;
		struct cand *v = realloc(c->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = (struct cand){ btf, id, mod };
	return 0;
}

static bool kinds_compat(const struct btf_type *a, const struct btf_type *b)
{
	int ka = btf_kind_of(a), kb = btf_kind_of(b);
	bool ea = ka == BTF_KIND_ENUM || ka == BTF_KIND_ENUM64;
	bool eb = kb == BTF_KIND_ENUM || kb == BTF_KIND_ENUM64;
	return ka == kb || (ea && eb);
}

/* Kernel types whose own name has a flavor separator: "nf_conn___init"
 * (6.1, net/netfilter/nf_conntrack_bpf.c, the type bpf_xdp_ct_alloc()
 * returns).  libbpf takes a target type as a candidate when its essential
 * name equals the local one (bpf_core_add_cands(), essential names on both
 * sides), so local "nf_conn" finds kernel "nf_conn___init" too, and local
 * "nf_conn___init" (as vmlinux.h spells it) finds both.  The name index
 * answers whole names only: list these once per target BTF, ids >= from. */
static int list_flavored(const struct wd_btf *btf, uint32_t from, struct wd_core_flavored *f)
{
	uint32_t cnt = wd_btf_type_cnt(btf);
	*f = (struct wd_core_flavored){ .btf = btf };
	for (uint32_t id = from ? from : 1; id < cnt; id++) {
		const char *name = wd_btf_name(btf, id);
		uint32_t *ids;
		/* strstr first: 1.6 ms for vmlinux's 126k names on the
		 * development host, against 20 ms for the separator test alone */
		if (!name || !strstr(name, "___") || !name[wd_core_essential_len(name)])
			continue;
		if (!(ids = realloc(f->ids, (f->n + 1) * sizeof(*ids)))) {
			free(f->ids);
			*f = (struct wd_core_flavored){ 0 };
			return -ENOMEM;
		}
		f->ids = ids;
		f->ids[f->n++] = id;
	}
	return 0;
}

/* The running kernel's vmlinux BTF is parsed once per process
 * (wd_btf_vmlinux()), and so is its list: built once, under a lock, for
 * every object loaded (objects may load from several threads). */
static pthread_mutex_t vmlinux_flavored_lock = PTHREAD_MUTEX_INITIALIZER;
static struct wd_core_flavored vmlinux_flavored;

static const struct wd_core_flavored *flavored_of(struct wd_core_targets *t,
						  const struct wd_btf *btf, uint32_t from)
{
	struct wd_core_flavored *grown, *f = NULL;
	if (t->modules && btf == t->base) {   /* wd_core_targets_init(): vmlinux */
		pthread_mutex_lock(&vmlinux_flavored_lock);
		if (vmlinux_flavored.btf == btf ||
		    (!vmlinux_flavored.btf && !list_flavored(btf, from, &vmlinux_flavored)))
			f = &vmlinux_flavored;
		pthread_mutex_unlock(&vmlinux_flavored_lock);
		return f;
	}
	for (size_t i = 0; i < t->nr_flavored; i++)
		if (t->flavored[i].btf == btf)
			return &t->flavored[i];
	if (!(grown = realloc(t->flavored, (t->nr_flavored + 1) * sizeof(*grown))))
		return NULL;
	t->flavored = grown;
	if (list_flavored(btf, from, &grown[t->nr_flavored]))
		return NULL;
	return &grown[t->nr_flavored++];
}

static int push_compat(struct cands *c, const struct wd_btf *btf, uint32_t id,
		       const struct btf_type *local, const char *mod)
{
	return kinds_compat(local, wd_btf_type(btf, id)) ? cands_push(c, btf, id, mod) : 0;
}

/* Types of btf (ids >= from) whose essential name is `name` (the local
 * type's, flavor cut) and whose kind is compatible with local's. */
static int search(struct wd_core_targets *t, struct cands *c, const struct wd_btf *btf,
		  uint32_t from, const char *name, const struct btf_type *local, const char *mod)
{
	const struct wd_core_flavored *f;
	size_t len = strlen(name);
	int err = 0;
	for (uint32_t id = wd_btf_find_next(btf, name, 0); id && !err;
	     id = wd_btf_find_next(btf, name, id))
		if (id >= from)
			err = push_compat(c, btf, id, local, mod);
	if (err)
		return err;
	if (!(f = flavored_of(t, btf, from)))
		return wd_err(-ENOMEM, "CO-RE: out of memory listing flavored type names");
	for (size_t i = 0; i < f->n && !err; i++) {
		const char *kname = wd_btf_name(btf, f->ids[i]);
		if (wd_core_essential_len(kname) == len && !strncmp(kname, name, len))
			err = push_compat(c, btf, f->ids[i], local, mod);
	}
	return err;
}

static int find_cands(struct wd_core_targets *t, const struct wd_btf *local, uint32_t local_id,
		      struct cands *c)
{
	const struct btf_type *lt = wd_btf_type(local, local_id);
	const char *lname = wd_btf_name(local, local_id);
	char name[512];
	size_t len = wd_core_essential_len(lname);
	int err;
	if (len >= sizeof(name))
		return wd_err(-ENAMETOOLONG, "CO-RE: type name '%s' too long", lname);
	memcpy(name, lname, len);
	name[len] = '\0';
	if ((err = search(t, c, t->base, 1, name, lt, NULL)) || c->n || !t->modules)
		return err;
	if (!t->mods_loaded && (err = load_modules(t)))
		return err;
	for (size_t i = 0; i < t->nr_mods && !err; i++)
		err = search(t, c, t->mods[i], wd_btf_start_id(t->mods[i]), name, lt,
			     t->mod_names[i]);
	return err;
}

/* ---- resolve ----------------------------------------------------------------- */

static int check_agree(const struct bpf_core_relo *relo, const struct wd_core_spec *ts,
		       const struct wd_core_res *r, const struct wd_core_spec *first,
		       const struct wd_core_res *res, const char *desc)
{
	char a[256], b[256];
	if (ts->bit_offset == first->bit_offset && r->poison == res->poison &&
	    r->new_val == res->new_val)
		return 0;
	wd_core_spec_str(first, a, sizeof(a));
	wd_core_spec_str(ts, b, sizeof(b));
	return wd_err(-EINVAL, "CO-RE %s: candidates disagree: [%u] %s gives %llu (bit offset %u), "
		      "[%u] %s gives %llu (bit offset %u); rename the local type with a ___flavor "
		      "suffix to pick one", desc, first->root_type_id, a,
		      (unsigned long long)res->new_val, first->bit_offset, ts->root_type_id, b,
		      (unsigned long long)r->new_val, ts->bit_offset);
	(void)relo;
}

/* only_name: consider only candidates of exactly this name (NULL: all). */
static int resolve_cands(const struct bpf_core_relo *relo, const struct wd_core_spec *ls,
			 const struct cands *c, struct wd_core_res *res, const char *desc,
			 const char *only_name)
{
	struct wd_core_spec *ts = malloc(2 * sizeof(*ts)), *first = ts + 1;
	struct wd_core_res r;
	int err = 0;
	if (!ts)
		return -ENOMEM;
	res->nr_cands = 0;
	for (size_t i = 0; i < c->n && !err; i++) {
		int m;
		if (only_name && strcmp(wd_btf_name(c->v[i].btf, c->v[i].id), only_name))
			continue;
		m = wd_core_spec_match(ls, c->v[i].btf, c->v[i].id, ts);
		if (m <= 0) {
			err = m;
			continue;
		}
		if ((err = wd_core_calc(relo, ls, ts, &r)))
			break;
		if (res->nr_cands++ == 0) {
			*res = r;
			res->nr_cands = 1;
			res->targ_btf = c->v[i].btf;
			res->targ_id = c->v[i].id;
			res->targ_mod = c->v[i].mod;
			*first = *ts;
		} else {
			err = check_agree(relo, ts, &r, first, res, desc);
		}
	}
	if (!err && res->nr_cands == 0)
		err = wd_core_calc(relo, ls, NULL, res);
	free(ts);
	return err;
}

/* Is a candidate named exactly `name`? */
static bool exact_cand(const struct cands *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(wd_btf_name(c->v[i].btf, c->v[i].id), name))
			return true;
	return false;
}

int wd_core_resolve(const struct wd_btf *local, const struct bpf_core_relo *relo,
		    struct wd_core_targets *t, struct wd_core_res *res, char *desc, size_t desc_size)
{
	struct wd_core_spec *ls = malloc(sizeof(*ls));
	struct cands c = { 0 };
	char path[256] = "?";
	int err;
	memset(res, 0, sizeof(*res));
	if (!ls)
		return -ENOMEM;
	wd_err_clear(); /* a cause below is this relocation's (see out:) */
	if (!wd_btf_type(local, relo->type_id) || relo->type_id == 0) {
		err = wd_err(-EINVAL, "CO-RE: relocation type id %u out of range", relo->type_id);
		goto out;
	}
	err = wd_core_parse_spec(local, relo, ls);
	if (!err)
		wd_core_spec_str(ls, path, sizeof(path));
	snprintf(desc, desc_size, "%s of %s (access \"%s\")", wd_core_kind_name(relo->kind), path,
		 wd_btf_str(local, relo->access_str_off) ?: "?");
	if (err)
		goto out;
	if (relo->kind == BPF_CORE_TYPE_ID_LOCAL) {
		res->orig_val = res->new_val = relo->type_id;
		res->validate = true;
		goto out;
	}
	if (!*wd_btf_name(local, relo->type_id)) {
		err = wd_err(-EOPNOTSUPP, "CO-RE %s: anonymous types have no name to look up", desc);
		goto out;
	}
	if (!(err = find_cands(t, local, relo->type_id, &c)))
		err = resolve_cands(relo, ls, &c, res, desc, NULL);
	if (err == -EINVAL && exact_cand(&c, wd_btf_name(local, relo->type_id))) {
		/* Candidates disagree, and one of them is named exactly as the
		 * local type: that type is meant.  "nf_conn___init" from vmlinux.h
		 * has the essential name "nf_conn" and finds struct nf_conn too,
		 * and "nf_conn" finds struct nf_conn___init; their type ids
		 * differ.  libbpf stops here ("relocation decision ambiguity",
		 * bpf_core_resolve_relo()), so bpf_core_type_id_kernel(struct
		 * nf_conn) fails with it on any kernel that has nf_conn___init;
		 * wherever libbpf succeeds the result is the same. */
		wd_debug("CO-RE %s: candidates disagree, taking the type named exactly '%s'",
			 desc, wd_btf_name(local, relo->type_id));
		wd_err_clear();
		err = resolve_cands(relo, ls, &c, res, desc, wd_btf_name(local, relo->type_id));
	}
out:
	/* core_spec.c answers some malformed BTF (a member or element type
	 * without a size) with a bare errno: give it a cause (fuzz_core) */
	if (err < 0 && !strcmp(wd_errmsg(), "no error"))
		wd_err(err, "%s: the object's BTF lacks a type or size this relocation needs "
		       "(a malformed object)", strerror(-err));
	free(c.v);
	free(ls);
	return err;
}

/* ---- patch --------------------------------------------------------------------- */

static void poison(struct bpf_insn *insn)
{
	*insn = (struct bpf_insn){ .code = BPF_JMP | BPF_CALL, .imm = WD_CORE_POISON_IMM };
}

static int bytes_to_bpf_size(uint32_t sz)
{
	switch (sz) {
	case 1: return BPF_B;
	case 2: return BPF_H;
	case 4: return BPF_W;
	case 8: return BPF_DW;
	}
	return -1;
}

static uint32_t bpf_size_bytes(const struct bpf_insn *insn)
{
	static const uint32_t b[] = { [BPF_W >> 3] = 4, [BPF_H >> 3] = 2, [BPF_B >> 3] = 1, [BPF_DW >> 3] = 8 };
	return b[BPF_SIZE(insn->code) >> 3];
}

static int patch_mem(struct bpf_insn *insn, const struct wd_core_res *res, bool *poisoned)
{
	if (res->validate && insn->off != (int64_t)res->orig_val)
		return wd_err(-EINVAL, "CO-RE: insn offset %d, the compiler's value should be %llu",
			      insn->off, (unsigned long long)res->orig_val);
	if (res->new_val > SHRT_MAX)
		return wd_err(-ERANGE, "CO-RE: offset %llu does not fit a load/store",
			      (unsigned long long)res->new_val);
	if (res->fail_memsz) {
		/* A signed or non-scalar field changed size: its value can't be read right. */
		*poisoned = true;
		return 0;
	}
	insn->off = res->new_val;
	if (res->new_sz != res->orig_sz) {
		int sz = bytes_to_bpf_size(res->new_sz);
		if (bpf_size_bytes(insn) != res->orig_sz || sz < 0)
			return wd_err(-EINVAL, "CO-RE: load size %u, expected %u", bpf_size_bytes(insn),
				      res->orig_sz);
		insn->code = BPF_MODE(insn->code) | sz | BPF_CLASS(insn->code);
	}
	return 0;
}

static int patch_ld64(struct bpf_insn *insn, size_t left, const struct wd_core_res *res)
{
	uint64_t imm;
	if (left < 2 || !insn_is_ld_imm64(insn) || insn[0].src_reg || insn[0].off || insn[1].code ||
	    insn[1].dst_reg || insn[1].src_reg || insn[1].off)
		return wd_err(-EINVAL, "CO-RE: relocated insn is not a plain 64-bit load");
	imm = (uint32_t)insn[0].imm | (uint64_t)(uint32_t)insn[1].imm << 32;
	if (res->validate && imm != res->orig_val)
		return wd_err(-EINVAL, "CO-RE: insn value %llu, the compiler's value should be %llu",
			      (unsigned long long)imm, (unsigned long long)res->orig_val);
	insn[0].imm = (uint32_t)res->new_val;
	insn[1].imm = res->new_val >> 32;
	return 0;
}

static int patch_one(struct bpf_insn *insn, size_t left, const struct wd_core_res *res,
		     bool *poisoned)
{
	switch (BPF_CLASS(insn->code)) {
	case BPF_ALU: case BPF_ALU64:
		if (BPF_SRC(insn->code) != BPF_K)
			return wd_err(-EINVAL, "CO-RE: relocated ALU insn has a register source");
		if (res->validate && insn->imm != (int32_t)res->orig_val)
			return wd_err(-EINVAL, "CO-RE: insn imm %d, the compiler's value should be %llu",
				      insn->imm, (unsigned long long)res->orig_val);
		insn->imm = res->new_val;
		return 0;
	case BPF_LDX: case BPF_ST: case BPF_STX:
		return patch_mem(insn, res, poisoned);
	case BPF_LD:
		return patch_ld64(insn, left, res);
	}
	return wd_err(-EINVAL, "CO-RE: cannot relocate insn with opcode 0x%02x", insn->code);
}

int wd_core_patch(struct bpf_insn *insns, size_t cnt, uint32_t idx, const struct wd_core_res *res)
{
	struct bpf_insn *insn = &insns[idx];
	bool poisoned = res->poison;
	int err;
	if (idx >= cnt)
		return wd_err(-EINVAL, "CO-RE: insn %u out of range", idx);
	if (!poisoned && (err = patch_one(insn, cnt - idx, res, &poisoned)))
		return err;
	if (!poisoned)
		return 0;
	/* the second half of a 64-bit load too, or the verifier
	 * complains about "unknown opcode 00" instead */
	if (insn_is_ld_imm64(insn) && idx + 1 < cnt)
		poison(insn + 1);
	poison(insn);
	return 1;
}

/* ---- poisoned instructions, kept in the object ------------------------------------ */

void wd_core_release(struct wd_object *obj)
{
	for (size_t i = 0; i < obj->nr_poisons; i++)
		free(obj->poisons[i].what);
	free(obj->poisons);
	obj->poisons = NULL;
	obj->nr_poisons = 0;
}

static int record_poison(struct wd_object *obj, int sec, uint32_t insn, const char *prog,
			 const char *desc, const struct wd_core_res *res)
{
	struct wd_poison *v = realloc(obj->poisons, (obj->nr_poisons + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	obj->poisons = v;
	v += obj->nr_poisons;
	*v = (struct wd_poison){ sec, insn, NULL };
	if (asprintf(&v->what, "CO-RE relocation %s in '%s' %s, so its instruction was "
		     "poisoned and the verifier reached it", desc, prog,
		     res->fail_memsz ? "changed size in an unsafe way (signed or non-scalar field)" :
		     "cannot be satisfied by the target BTF") < 0) {
		v->what = NULL;
		return -ENOMEM;
	}
	obj->nr_poisons++;
	wd_debug("%s (section insn %u)", v->what, insn);
	return 0;
}

/* ---- the object ------------------------------------------------------------------- */


static const char *prog_at(const struct wd_object *obj, int sec, uint32_t insn)
{
	const struct wd_func *f = wd_spec_func_containing(obj->spec, sec, insn);
	return f ? f->name : obj->spec->secs[sec].name;
}

static int relocate_sec(struct wd_object *obj, int sec, struct wd_core_targets *t)
{
	const struct wd_code_sec *cs = &obj->spec->secs[sec];
	for (size_t i = 0; i < cs->nr_core_relos; i++) {
		const struct bpf_core_relo *r = &cs->core_relos[i];
		const char *prog = prog_at(obj, sec, r->insn_off);
		struct wd_core_res res;
		char desc[512];
		int err = wd_core_resolve(obj->spec->btf, r, t, &res, desc, sizeof(desc));
		if (!err)
			err = wd_core_patch(obj->sec_insns[sec], cs->insn_cnt, r->insn_off, &res);
		if (err == 1)
			err = record_poison(obj, sec, r->insn_off, prog, desc, &res);
		if (err) {
			if (err != -ENOMEM)
				wd_err_prefix("program '%s' insn %u: relocation #%zu %s: ", prog,
					      r->insn_off, i, desc);
			return err;
		}
	}
	return 0;
}

static const struct wd_code_sec *first_core_sec(const struct wd_spec *s)
{
	for (size_t i = 0; i < s->nr_secs; i++)
		if (s->secs[i].nr_core_relos)
			return &s->secs[i];
	return NULL;
}

int wd_core_relocate(struct wd_object *obj)
{
	const struct wd_code_sec *cs = first_core_sec(obj->spec);
	struct wd_core_targets t;
	int err = 0;
	wd_core_release(obj);
	if (!cs)
		return 0;
	if (!obj->spec->btf)
		return wd_err(-EINVAL, "section '%s' has CO-RE relocations but the object has no BTF",
			      cs->name);
	if ((err = wd_core_targets_init(&t, obj->btf_path))) {
		wd_err_prefix("section '%s' has %zu CO-RE relocations, and ", cs->name,
			      cs->nr_core_relos);
		return err;
	}
	for (size_t i = 0; i < obj->spec->nr_secs && !err; i++)
		err = relocate_sec(obj, i, &t);
	wd_core_targets_free(&t);
	if (err)
		wd_core_release(obj);
	return err;
}

/* Where function f sits in the assembled program, as reloc.c placed it. */
static long placed_at(const struct wd_prog *p, const struct wd_func *f)
{
	for (size_t i = 0; i < p->img.nr_placed; i++)
		if (p->img.placed[i].func == f)
			return p->img.placed[i].start;
	return -1;
}

bool wd_core_explain(const struct wd_prog *p, int insn, char *buf, size_t size)
{
	const struct wd_asm *a = &p->img;
	if (!a->insns || insn < 0 || (size_t)insn >= a->insn_cnt ||
	    a->insns[insn].code != (BPF_JMP | BPF_CALL) || a->insns[insn].imm != WD_CORE_POISON_IMM)
		return false;
	for (size_t i = 0; i < p->obj->nr_poisons; i++) {
		const struct wd_poison *v = &p->obj->poisons[i];
		const struct wd_func *f = wd_spec_func_containing(p->obj->spec, v->sec, v->insn);
		long at = f ? placed_at(p, f) : -1;
		if (at >= 0 && at + (long)(v->insn - f->off) == insn) {
			snprintf(buf, size, "%s", v->what);
			return true;
		}
	}
	return false;
}

/* ---- public: list and resolve ----------------------------------------------------- */

static void fill_info(const struct wd_object *obj, int sec, const struct bpf_core_relo *r,
		      struct wd_core_relo_info *info)
{
	struct wd_core_spec *ls = malloc(sizeof(*ls));
	memset(info, 0, sizeof(*info));
	info->section = obj->spec->secs[sec].name;
	info->program = prog_at(obj, sec, r->insn_off);
	info->insn = r->insn_off;
	info->kind = r->kind;
	info->kind_name = wd_core_kind_name(r->kind);
	snprintf(info->access, sizeof(info->access), "%s",
		 wd_btf_str(obj->spec->btf, r->access_str_off) ?: "?");
	snprintf(info->path, sizeof(info->path), "?");
	if (ls && !wd_core_parse_spec(obj->spec->btf, r, ls))
		wd_core_spec_str(ls, info->path, sizeof(info->path));
	free(ls);
}

/* A load or store: the only instructions a field size change can break
 * (wd_core_patch() poisons them; an offset moved into a mov stays right). */
static bool mem_insn(const struct wd_code_sec *cs, uint32_t idx)
{
	uint8_t cls = idx < cs->insn_cnt ? BPF_CLASS(cs->insns[idx].code) : 0;
	return idx < cs->insn_cnt && (cls == BPF_LDX || cls == BPF_ST || cls == BPF_STX);
}

static void fill_result(struct wd_core_targets *t, const struct wd_object *obj, int sec,
			const struct bpf_core_relo *r, struct wd_core_relo_info *info)
{
	struct wd_core_res res;
	char desc[512];
	int err = wd_core_resolve(obj->spec->btf, r, t, &res, desc, sizeof(desc));
	info->resolved = true;
	if (err) {
		info->error = err;
		snprintf(info->message, sizeof(info->message), "%s", wd_errmsg());
		return;
	}
	info->poisoned = res.poison ||
			 (res.fail_memsz && mem_insn(&obj->spec->secs[sec], r->insn_off));
	info->local_value = res.orig_val;
	info->target_value = res.new_val;
	info->candidates = res.nr_cands;
	if (res.targ_btf)
		snprintf(info->target, sizeof(info->target), "[%u] %s%s%s", res.targ_id,
			 wd_btf_name(res.targ_btf, res.targ_id), res.targ_mod ? " in " : "",
			 res.targ_mod ? res.targ_mod : "");
}

int wd_object_core_relos(const struct wd_object *obj, bool resolve,
			 int (*cb)(const struct wd_core_relo_info *info, void *ctx), void *ctx)
{
	struct wd_core_targets t;
	int err = 0;
	bool have_t = false;
	if (!first_core_sec(obj->spec))
		return 0;
	if (resolve) {
		if ((err = wd_core_targets_init(&t, obj->btf_path)))
			return err;
		have_t = true;
	}
	for (size_t s = 0; s < obj->spec->nr_secs && !err; s++) {
		const struct wd_code_sec *cs = &obj->spec->secs[s];
		for (size_t i = 0; i < cs->nr_core_relos && !err; i++) {
			struct wd_core_relo_info info;
			fill_info(obj, s, &cs->core_relos[i], &info);
			if (have_t)
				fill_result(&t, obj, (int)s, &cs->core_relos[i], &info);
			err = cb(&info, ctx);
		}
	}
	if (have_t)
		wd_core_targets_free(&t);
	return err;
}
