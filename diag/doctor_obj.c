// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `warden doctor FILE.o`: will each program load and attach on this kernel?
 * Decided from the object's spec and the loader's probes, without loading
 * the object: program type, map types, helpers called (from the assembled
 * instructions), attach target (/proc/kallsyms, tracefs events, kernel BTF),
 * instruction count against the probed limit, CO-RE relocations resolved
 * against the target BTF (see check_core() for the rule).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "warden/btf.h"
#include "warden/core.h"
#include "warden/doctor.h"
#include "warden/features.h"
#include "warden/spec.h"
#include "warden/warden.h"
#include "lint.h"

struct pf {
	struct wd_report *r;
	struct wd_prog *p;
	char first[256];        /* first reason this program would fail */
	int fails;
};

__attribute__((format(printf, 5, 6)))
static void pf_add(struct pf *pf, const char *what, enum wd_check_status st, const char *hint,
		   const char *fmt, ...)
{
	char name[96], value[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	snprintf(name, sizeof(name), "%s: %s", wd_prog_name(pf->p), what);
	wd_report_add(pf->r, "program", name, st, hint, "%s", value);
	if (st == WD_CHECK_OK || st == WD_CHECK_INFO)
		return;
	if (!pf->fails++)
		snprintf(pf->first, sizeof(pf->first), "%s: %s", what, value);
}

static bool path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Is `sym` a symbol of the running kernel (or a module)? 1, 0, -errno. */
static int in_kallsyms(const char *sym)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[512], name[256], type;
	unsigned long long addr;
	int found = 0;

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) == 3 && !strcmp(name, sym))
			found = 1;
	fclose(f);
	return found;
}

static void check_kprobe(struct pf *pf, const char *target, bool uprobe)
{
	const char *kind = uprobe ? "uprobe" : "kprobe";
	char pmu[96], sym[256];
	const char *dir = NULL;
	bool legacy = false;
	int r;

	snprintf(pmu, sizeof(pmu), "/sys/bus/event_source/devices/%s", kind);
	if (!path_exists(pmu) && wd_tracefs_dir(&dir) == 0) {
		char ev[512];
		snprintf(ev, sizeof(ev), "%s/%s_events", dir, kind);
		legacy = path_exists(ev);
	}
	if (!path_exists(pmu) && !legacy)
		pf_add(pf, "attach", WD_CHECK_MISSING, uprobe ? "needs CONFIG_UPROBE_EVENTS" :
		       "needs CONFIG_KPROBES + CONFIG_KPROBE_EVENTS; use a tracepoint or raw_tp instead",
		       "this kernel has no %ss (no %s PMU, no %s_events)", kind, kind, kind);
	else
		pf_add(pf, "attach", WD_CHECK_OK, NULL, "%s", legacy ? "legacy tracefs interface" : pmu);
	if (uprobe || !*target)
		return;
	snprintf(sym, sizeof(sym), "%.*s", (int)strcspn(target, "+"), target);
	r = in_kallsyms(sym);
	if (r == 1)
		pf_add(pf, "target", WD_CHECK_OK, NULL, "%s in /proc/kallsyms", sym);
	else if (r == 0)
		pf_add(pf, "target", WD_CHECK_MISSING,
		       "the function was renamed, inlined or does not exist on this kernel",
		       "%s is not in /proc/kallsyms", sym);
	else
		pf_add(pf, "target", WD_CHECK_WRONG, NULL, "cannot read /proc/kallsyms (%s)", strerror(-r));
}

static void check_tracepoint(struct pf *pf, const char *target)
{
	char cat[128], hint[256];
	const char *dir, *slash = strchr(target, '/');
	int id;

	if (!slash) {
		pf_add(pf, "target", WD_CHECK_INFO, NULL, "no category/name in the section name");
		return;
	}
	snprintf(cat, sizeof(cat), "%.*s", (int)(slash - target), target);
	/* Mounts tracefs when nothing is mounted, and says so on stderr. */
	if (wd_tracefs_dir(&dir)) {
		pf_add(pf, "target", WD_CHECK_WRONG, NULL, "%s", wd_errmsg());
		return;
	}
	id = wd_tracefs_event_id(dir, cat, slash + 1);
	snprintf(hint, sizeof(hint), "list the events with: ls %s/events/%s", dir, cat);
	if (id >= 0)
		pf_add(pf, "target", WD_CHECK_OK, NULL, "tracepoint %s (id %d)", target, id);
	else if (id == -ENOENT)
		pf_add(pf, "target", WD_CHECK_MISSING, hint, "tracepoint %s does not exist", target);
	else
		pf_add(pf, "target", WD_CHECK_WRONG, NULL, "%s", wd_errmsg());
}

/* tp_btf/raw_tp: typedef btf_trace_<name>; fentry/fexit/lsm: FUNC. */
static void check_btf_target(struct pf *pf, const struct wd_sec_def *def, const char *target,
			     const char *prefix, int kind)
{
	const struct wd_btf *vmlinux = wd_probe_kern_btf() == 1 ? wd_btf_vmlinux() : NULL;
	char name[256];

	if (!*target && def->attach == WD_ATTACH_RAW_TP) {
		/* SEC("raw_tp") alone loads; the tracepoint is named at attach */
		pf_add(pf, "target", WD_CHECK_INFO, NULL, "no tracepoint in the section name: "
		       "attached at run time to one given by the user");
		return;
	}
	if (!*target) {
		pf_add(pf, "target", WD_CHECK_WRONG, NULL, "the section name names no target");
		return;
	}
	if (!vmlinux) {
		pf_add(pf, "target", WD_CHECK_MISSING, "needs CONFIG_DEBUG_INFO_BTF",
		       "no kernel BTF to find %s%s in", prefix, target);
		return;
	}
	snprintf(name, sizeof(name), "%s%s", prefix, target);
	if (wd_btf_find(vmlinux, name, kind))
		pf_add(pf, "target", WD_CHECK_OK, NULL, "%s in kernel BTF", name);
	else
		pf_add(pf, "target", WD_CHECK_MISSING, NULL, "%s is not in kernel BTF", name);
}

static void check_attach(struct pf *pf)
{
	const struct wd_sec_def *def = wd_prog_sec_def(pf->p);
	const char *target = wd_sec_target(def, wd_prog_section(pf->p));
	int r;

	switch (def->attach) {
	case WD_ATTACH_KPROBE: case WD_ATTACH_KRETPROBE:
		check_kprobe(pf, target, false);
		break;
	case WD_ATTACH_UPROBE: case WD_ATTACH_URETPROBE: case WD_ATTACH_USDT:
		check_kprobe(pf, target, true);
		break;
	case WD_ATTACH_KPROBE_MULTI: case WD_ATTACH_KRETPROBE_MULTI:
		r = wd_probe_bpf_link(WD_LINK_KPROBE_MULTI);
		pf_add(pf, "attach", r == 1 ? WD_CHECK_OK : WD_CHECK_MISSING, NULL,
		       "kprobe_multi links: %s", wd_probe_result_str(r));
		break;
	case WD_ATTACH_TRACEPOINT:
		check_tracepoint(pf, target);
		break;
	case WD_ATTACH_RAW_TP:
		r = wd_probe_bpf_link(WD_LINK_RAW_TP);
		pf_add(pf, "attach", r == 1 ? WD_CHECK_OK : WD_CHECK_MISSING, NULL,
		       "BPF_RAW_TRACEPOINT_OPEN: %s", wd_probe_result_str(r));
		check_btf_target(pf, def, target, "btf_trace_", BTF_KIND_TYPEDEF);
		break;
	case WD_ATTACH_TRACING: case WD_ATTACH_LSM:
		check_btf_target(pf, def, target, def->attach_prefix ? def->attach_prefix : "",
				 def->expected_attach_type == BPF_TRACE_RAW_TP ? BTF_KIND_TYPEDEF :
				 BTF_KIND_FUNC);
		break;
	default:
		pf_add(pf, "attach", WD_CHECK_INFO, NULL, "attached at run time to an interface, "
		       "cgroup or map given by the user");
		break;
	}
}

static void check_helpers(struct pf *pf, const struct wd_prog_image *d)
{
	unsigned char seen[512] = { 0 };
	bool kfunc = false;

	for (size_t i = 0; i < d->insn_cnt; i++) {
		const struct bpf_insn *in = &d->insns[i];
		int r;
		if (in->code != (BPF_JMP | BPF_CALL))
			continue;
		if (in->src_reg == BPF_PSEUDO_KFUNC_CALL)
			kfunc = true;
		if (in->src_reg || in->imm < 0 || (in->imm < 512 && seen[in->imm]++))
			continue;
		r = wd_probe_helper(wd_prog_type(pf->p), (unsigned int)in->imm);
		if (r == 1)
			continue;
		const char *n = wd_helper_name((unsigned int)in->imm);
		char what[80];
		snprintf(what, sizeof(what), "helper %s", n ? n : "?");
		pf_add(pf, what, r == 0 ? WD_CHECK_MISSING : WD_CHECK_WRONG, NULL,
		       "%s#%d for %s programs: %s", n ? n : "unknown", in->imm,
		       wd_prog_type_name(wd_prog_type(pf->p)), r == 0 ? "not available on this kernel" :
		       wd_probe_result_str(r));
	}
	if (kfunc)
		pf_add(pf, "kfuncs", WD_CHECK_INFO, NULL, "kfunc calls are resolved at load");
}

static void check_size(struct pf *pf, const struct wd_prog_image *d)
{
	long lim = wd_probe_insn_limit();

	if (lim <= 0)
		pf_add(pf, "size", WD_CHECK_INFO, NULL, "%zu insns; limit unknown (%s)", d->insn_cnt,
		       strerror((int)-lim));
	else if ((long)d->insn_cnt > lim)
		pf_add(pf, "size", WD_CHECK_WRONG, "split the program with tail calls",
		       "%zu insns, over this kernel's limit of %ld", d->insn_cnt, lim);
	else
		pf_add(pf, "size", WD_CHECK_OK, NULL, "%zu insns (limit %ld)", d->insn_cnt, lim);
}

/* ---- CO-RE ---------------------------------------------------------------------
 *
 * Every CO-RE relocation of the object is resolved once, against the same
 * target as a load (--btf FILE, else this kernel's BTF), and judged per
 * program: the relocations of its own function and of each subprogram
 * assembled into it.  The rule, which follows what the loader and the
 * verifier do with the result:
 *
 * - a relocation that cannot be applied at all (error: no target BTF,
 *   candidates that disagree, a malformed record) makes the loader refuse
 *   the whole object, so every program of the object "would fail";
 * - a poisoned relocation (the field, type or enum value has no match in
 *   the target, even when no candidate type exists at all) does not fail a
 *   load by itself: the instruction becomes a call the verifier rejects only
 *   if it reaches it.  It is "guarded" when the same function computes,
 *   earlier, an existence relocation (field_exists, type_exists,
 *   type_matches, enumval_exists) that is 0 on the target for the same
 *   path or a prefix of it (bpf_core_field_exists(t->f) before t->f): that
 *   is info only.  Otherwise it is unguarded and reached as far as a cheap
 *   check can tell, and the program "would fail", naming the relocation.
 *   This is a heuristic: a poisoned access in code made dead by another
 *   kind of guard (a .kconfig value, another type's existence) is reported
 *   as a failure although it loads; a guarded-looking access that is also
 *   reached on another path is reported as info although it fails.
 */
struct core_relo {
	struct wd_core_relo_info i;
	const struct wd_func *f;
};

struct core_relos {
	const struct wd_spec *spec;
	struct core_relo *v;
	size_t n, cap;
	int err;                /* resolving failed as a whole (no target BTF) */
	char errmsg[256];
	const struct core_relo *first_error;   /* first relocation with error != 0 */
};

static int core_collect(const struct wd_core_relo_info *info, void *ctx)
{
	struct core_relos *c = ctx;
	struct core_relo *r;
	int sec = wd_spec_find_sec(c->spec, info->section);

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		void *v = realloc(c->v, cap * sizeof(*c->v));
		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	r = &c->v[c->n++];
	r->i = *info;
	r->f = sec >= 0 ? wd_spec_func_containing(c->spec, sec, info->insn) : NULL;
	return 0;
}

static void core_relos_load(struct core_relos *c, const struct wd_object *obj)
{
	memset(c, 0, sizeof(*c));
	c->spec = wd_object_spec(obj);
	c->err = wd_object_core_relos(obj, true, core_collect, c);
	if (c->err) {
		snprintf(c->errmsg, sizeof(c->errmsg), "%s", wd_errmsg());
		return;
	}
	for (size_t k = 0; k < c->n && !c->first_error; k++)
		if (c->v[k].i.error)
			c->first_error = &c->v[k];
}

/* Is function f part of the program assembled in d (the program itself, or a
 * subprogram placed into it)? */
static bool in_prog(const struct wd_prog *p, const struct wd_prog_image *d, const struct wd_func *f)
{
	if (!f)
		return false;
	if (f == wd_prog_func(p))
		return true;
	for (size_t i = 0; d && i < d->nr_placed; i++)
		if (d->placed[i].func == f)
			return true;
	return false;
}

static bool kind_exists(uint32_t kind)
{
	return kind == BPF_CORE_FIELD_EXISTS || kind == BPF_CORE_TYPE_EXISTS ||
	       kind == 12 /* BPF_CORE_TYPE_MATCHES, not in older headers */ ||
	       kind == BPF_CORE_ENUMVAL_EXISTS;
}

/* "struct a.b" is a prefix of "struct a.b.c" and "struct a.b[2]", not "struct a.bc" */
static bool path_prefix(const char *pre, const char *path)
{
	size_t n = strlen(pre);

	return !strncmp(pre, path, n) && (!path[n] || path[n] == '.' || path[n] == '[');
}

static bool core_guarded(const struct core_relos *c, const struct core_relo *r)
{
	for (size_t k = 0; k < c->n; k++) {
		const struct core_relo *g = &c->v[k];
		if (g->f == r->f && g->i.insn < r->i.insn && kind_exists(g->i.kind) &&
		    !g->i.error && !g->i.poisoned && g->i.target_value == 0 &&
		    path_prefix(g->i.path, r->i.path))
			return true;
	}
	return false;
}

static const char *core_why(const struct wd_core_relo_info *i, char *buf, size_t size)
{
	if (i->target[0])
		snprintf(buf, size, "does not fit %s", i->target);
	else
		snprintf(buf, size, "not in the target BTF");
	return buf;
}

static void check_core(struct pf *pf, const struct core_relos *c, const struct wd_prog_image *d,
		       const char *target)
{
	const struct core_relo *bad = NULL;
	size_t n = 0, guarded = 0;
	char why[300];

	for (size_t k = 0; k < c->n; k++)
		n += in_prog(pf->p, d, c->v[k].f);
	if (c->err) {
		/* the loader fails the same way for every program of the object */
		pf_add(pf, "co-re", WD_CHECK_MISSING, strcmp(target, "this kernel's BTF") ? NULL :
		       "give the target kernel's BTF with --btf FILE",
		       "the object's CO-RE relocations cannot be resolved: %s", c->errmsg);
		return;
	}
	if (c->first_error) {
		const struct wd_core_relo_info *e = &c->first_error->i;
		pf_add(pf, "co-re", WD_CHECK_WRONG, NULL, "%s %s (%s, insn %u): %s%s", e->kind_name,
		       e->path, e->program ? e->program : e->section, e->insn, e->message,
		       in_prog(pf->p, d, c->first_error->f) ? "" :
		       " (another program's relocation; the object does not load)");
		return;
	}
	if (!n)
		return;
	for (size_t k = 0; k < c->n; k++) {
		const struct core_relo *r = &c->v[k];
		if (!r->i.poisoned || !in_prog(pf->p, d, r->f))
			continue;
		if (!core_guarded(c, r)) {
			if (!bad)
				bad = r;
			continue;
		}
		if (guarded++ < 4)
			pf_add(pf, "co-re", WD_CHECK_INFO, NULL,
			       "%s %s: %s; poisoned, guarded by an existence check "
			       "(fails only if reached)", r->i.kind_name, r->i.path,
			       core_why(&r->i, why, sizeof(why)));
	}
	if (bad)
		pf_add(pf, "co-re", WD_CHECK_MISSING,
		       "guard the access with bpf_core_field_exists() or match the target's layout",
		       "%s %s (%s, insn %u): %s; unguarded, the verifier rejects the poisoned "
		       "instruction", bad->i.kind_name, bad->i.path,
		       bad->i.program ? bad->i.program : bad->i.section, bad->i.insn,
		       core_why(&bad->i, why, sizeof(why)));
	else
		pf_add(pf, "co-re", WD_CHECK_OK, NULL, "%zu relocations resolved against %s%s", n,
		       target, guarded ? " (the poisoned ones are guarded)" : "");
}

static void check_type(struct pf *pf)
{
	int r = wd_probe_prog_type(wd_prog_type(pf->p));
	const char *n = wd_prog_type_name(wd_prog_type(pf->p));

	if (r == 1)
		pf_add(pf, "type", WD_CHECK_OK, NULL, "%s", n);
	else
		pf_add(pf, "type", r == 0 ? WD_CHECK_MISSING : WD_CHECK_WRONG,
		       "see 'warden doctor' for what this kernel loads",
		       "%s programs: %s", n ? n : "?", r == 0 ? "not supported by this kernel" :
		       r == -EPERM ? "refused (EPERM)" : wd_probe_result_str(r));
}

/* What this kernel's verifier said of one program. */
struct verdict {
	bool ran;               /* the program was handed to the verifier */
	int err;                /* 0: accepted */
	char why[400];          /* the loader's one line, without "load 'obj': " */
};

/* After "load 'obj': program 'p': ": the cause, instruction and source line. */
static const char *cause_of(const char *msg, const char *prog)
{
	char head[300];
	const char *at;
	snprintf(head, sizeof(head), "program '%s': ", prog);
	at = strstr(msg, head);
	return at ? at + strlen(head) : msg;
}

/* The only way to know whether a program loads is the kernel's own
 * verifier: load the object; when a program is rejected, keep why, leave it
 * out and load the rest again (each program is verified at most twice).  A
 * BTF, map or memlock failure stops it: then no program could be verified,
 * and *objwhy says why.  Everything is unloaded by wd_object_close(). */
static void verify_programs(struct wd_object *obj, struct verdict *v, size_t n,
			    char *objwhy, size_t len)
{
	struct wd_prog *p;
	size_t i = 0;

	objwhy[0] = '\0';
	wd_object_for_each_prog(p, obj)
		if (!wd_prog_type(p))
			wd_prog_set_autoload(p, false);   /* unknown section: said elsewhere */
	for (size_t round = 0; round <= n; round++) {
		int err = wd_object_load(obj, NULL);
		struct wd_prog *bad = err ? wd_object_failed_prog(obj) : NULL;

		if (err && !bad) {
			snprintf(objwhy, len, "%s", wd_errmsg());
			return;
		}
		i = 0;
		wd_object_for_each_prog(p, obj) {
			if (i < n && p == bad) {
				v[i].ran = true;
				v[i].err = err;
				snprintf(v[i].why, sizeof(v[i].why), "%s",
					 cause_of(wd_errmsg(), wd_prog_name(p)));
				wd_prog_set_autoload(p, false);
			} else if (i < n && !err && wd_prog_type(p) && !v[i].ran) {
				v[i].ran = true;   /* loaded in the round that succeeded */
			}
			i++;
		}
		if (!err)
			return;
	}
}

static void check_verifier(struct pf *pf, const struct verdict *v, const char *not_run)
{
	if (v && v->ran && !v->err)
		pf_add(pf, "verifier", WD_CHECK_OK, NULL, "accepted by this kernel's verifier");
	else if (v && v->ran)
		pf_add(pf, "verifier", WD_CHECK_WRONG,
		       v->err == -EPERM || v->err == -EACCES ? NULL : "see the log: warden verify FILE.o",
		       "%s", v->why);
	else
		pf_add(pf, "verifier", WD_CHECK_INFO, NULL, "not verified: %s", not_run);
}

static void preflight_prog(struct wd_report *r, struct wd_prog *p, int map_fails,
			   const struct verdict *v, const char *not_run,
			   const struct core_relos *core, const char *core_target)
{
	struct pf pf = { .r = r, .p = p };
	struct wd_prog_image d;
	bool assembled, accepted = v && v->ran && !v->err;

	if (!wd_prog_sec_def(p) || !wd_prog_type(p)) {
		pf_add(&pf, "section", WD_CHECK_WRONG, NULL, "unknown section name '%s'",
		       wd_prog_section(p));
	} else {
		assembled = wd_prog_image(p, &d) == 0;
		if (!assembled)
			pf_add(&pf, "assembly", WD_CHECK_WRONG, NULL, "%s", wd_errmsg());
		/* a CO-RE relocation names the cause more precisely than the
		 * verifier's message about its poisoned instruction: first */
		if (core)
			check_core(&pf, core, assembled ? &d : NULL, core_target);
		check_verifier(&pf, v, not_run);
		/* the verifier's word settles the type and the helpers */
		if (!accepted)
			check_type(&pf);
		check_attach(&pf);
		if (assembled) {
			/* a refusal before verification (EPERM) says nothing of helpers */
			if (!accepted && !(v && v->ran && v->err == -EPERM))
				check_helpers(&pf, &d);
			check_size(&pf, &d);
			wd_prog_image_free(&d);
		}
	}
	if (map_fails && !pf.fails++)
		snprintf(pf.first, sizeof(pf.first), "a map of the object cannot be created");
	if (pf.fails)
		r->failures++;
	wd_report_add(r, "verdict", wd_prog_name(p), pf.fails ? WD_CHECK_WRONG : WD_CHECK_OK, NULL,
		      "%s", pf.fails ? pf.first : accepted ? "loads and attaches here" :
		      "should load and attach (not verified)");
}

static int check_maps(struct wd_report *r, const struct wd_object *obj)
{
	const struct wd_map *m;
	int fails = 0;

	wd_object_for_each_map(m, obj) {
		const struct wd_map_spec *s = wd_map_spec(m);
		char name[96];
		/* a struct_ops table is a map of its own type, not global data */
		bool data = s->kind != WD_MAP_USER && s->kind != WD_MAP_STRUCT_OPS;
		int ok = data ? wd_probe_global_data() : wd_probe_map_type(s->type);
		const char *tn = data ? "global data" : wd_map_type_name(s->type);

		snprintf(name, sizeof(name), "%s (%s)", wd_map_name(m), tn ? tn : "?");
		wd_report_add(r, "map", name, ok == 1 ? WD_CHECK_OK : ok == 0 ? WD_CHECK_MISSING :
			      WD_CHECK_WRONG, ok == 1 ? NULL : data ? "global variables need 5.2+" : NULL,
			      "%s", ok == 1 ? "supported" : ok == 0 ? "not supported by this kernel" :
			      wd_probe_result_str(ok));
		fails += ok != 1;
	}
	return fails;
}

int wd_doctor_object(const char *path, const struct wd_preflight_opts *opts, struct wd_report *r)
{
	struct wd_open_opts oo = { .sz = sizeof(oo) };
	struct core_relos core;
	struct wd_object *obj;
	struct wd_prog *p;
	bool has_core = false;
	char target[300], not_run[400] = "";
	struct verdict *v;
	size_t nprogs, i;
	int map_fails;

	if (WD_OPTS_HAS(opts, btf_path))
		oo.btf_path = opts->btf_path;
	obj = wd_object_open(path, &oo);
	if (!obj)
		return -errno ? -errno : -EINVAL;
	map_fails = check_maps(r, obj);
	for (size_t i = 0; i < wd_object_spec(obj)->nr_secs; i++)
		has_core = has_core || wd_object_spec(obj)->secs[i].nr_core_relos;
	if (has_core)
		core_relos_load(&core, obj);
	snprintf(target, sizeof(target), "%s", oo.btf_path ? oo.btf_path : "this kernel's BTF");
	nprogs = 0;
	wd_object_for_each_prog(p, obj)
		nprogs++;
	v = calloc(nprogs ? nprogs : 1, sizeof(*v));
	if (!v) {
		wd_object_close(obj);
		return -ENOMEM;
	}
	if (oo.btf_path)
		snprintf(not_run, sizeof(not_run), "--btf names another kernel; the verifier "
			 "checked is the one the program runs on");
	else
		verify_programs(obj, v, nprogs, not_run, sizeof(not_run));
	i = 0;
	wd_object_for_each_prog(p, obj)
		preflight_prog(r, p, map_fails, oo.btf_path || not_run[0] ? NULL : &v[i++], not_run,
			       has_core ? &core : NULL, target);
	free(v);
	if (has_core)
		free(core.v);
	/* issue 18: the lint's findings, section "lint" (errors count apart) */
	struct wd_lint_opts lo = { .sz = sizeof(lo), .obj_path = path };
	if (WD_OPTS_HAS(opts, nr_kernel_btfs)) {
		lo.kernel_btfs = opts->kernel_btfs;
		lo.nr_kernel_btfs = opts->nr_kernel_btfs;
	}
	wd_object_for_each_prog(p, obj)
		wd_lint_prog(r, obj, p, &lo);
	wd_object_close(obj);
	return 0;
}
