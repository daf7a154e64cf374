// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kprobe/kretprobe: the kprobe PMU (4.17: perf_event_open with the type from
 * /sys/bus/event_source/devices/kprobe/type, config1 = symbol, config2 =
 * offset), else a kprobe_events entry (lib/attach_perf.c, named for
 * crash cleanup, lib/cleanup.c).  kprobe.multi: BPF_TRACE_KPROBE_MULTI (5.18).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "attach.h"
#include "host/tracefs.h"
#include "warden/features.h"

#ifndef BPF_F_KPROBE_MULTI_RETURN
#define BPF_F_KPROBE_MULTI_RETURN 1
#endif

static void copy_opts(struct wd_kprobe_opts *o, const struct wd_kprobe_opts *in)
{
	memset(o, 0, sizeof(*o));
	wd_opts_copy(o, sizeof(*o), in);
	o->sz = sizeof(*o);
}

static struct wd_link *kprobe_legacy(struct wd_prog *prog, const char *func,
				     const struct wd_kprobe_opts *o, const char *desc)
{
	char target[320];
	if (o->offset)
		snprintf(target, sizeof(target), "%s+0x%llx", func, (unsigned long long)o->offset);
	else
		snprintf(target, sizeof(target), "%s", func);
	return wd_legacy_attach(prog, "kprobe_events", o->retprobe, func, target, -1,
				o->cookie, desc);
}

/* The PMU's answer, or 1 when the legacy path should be taken instead. */
static int kprobe_pmu(struct wd_prog *prog, const char *func, const struct wd_kprobe_opts *o,
		      const char *desc, struct wd_link **out)
{
	int type = wd_pmu_type("kprobe"), pfd;
	if (type < 0) {
		wd_debug("attach '%s': no kprobe PMU (%s): using kprobe_events", prog->name,
			 strerror(-type));
		return 1;
	}
	pfd = wd_pmu_probe_open("kprobe", o->retprobe, func, o->offset, -1);
	if (pfd >= 0) {
		*out = wd_perf_link(prog, pfd, o->cookie, NULL, "%s (pmu)", desc);
		return *out ? 0 : -errno;
	}
	/* CentOS 8 (4.18) refuses symbols with a dot, like foo.isra.0, through
	 * the PMU only (cilium/ebpf #605): kprobe_events takes them. */
	if (pfd == -EINVAL && strchr(func, '.')) {
		wd_debug("attach '%s': kprobe PMU refused '%s' (EINVAL), using kprobe_events",
			 prog->name, func);
		return 1;
	}
	return wd_err(pfd, "attach '%s' to %s: %s%s", prog->name, desc, strerror(-pfd),
		      pfd == -ENOENT ? " (no such kernel function, or it cannot be probed)" : "");
}

struct wd_link *wd_prog_attach_kprobe(struct wd_prog *prog, const char *func,
				      const struct wd_kprobe_opts *opts)
{
	struct wd_kprobe_opts o;
	struct wd_link *l = NULL;
	char desc[300];
	int err;
	if ((err = wd_attach_check(prog, "kprobe")))
		return wd_attach_fail(err);
	copy_opts(&o, opts);
	if (!func || !*func)
		return wd_attach_fail(wd_err(-EINVAL, "attach '%s': kprobe needs a function name",
					     prog->name));
	if (o.retprobe && o.offset)
		return wd_attach_fail(wd_err(-EINVAL, "attach '%s': a kretprobe takes no offset "
					     "(%s+0x%llx)", prog->name, func,
					     (unsigned long long)o.offset));
	snprintf(desc, sizeof(desc), "%s %s", o.retprobe ? "kretprobe" : "kprobe", func);
	if (o.offset)
		snprintf(desc + strlen(desc), sizeof(desc) - strlen(desc), "+0x%llx",
			 (unsigned long long)o.offset);
	if (!o.force_legacy) {
		err = kprobe_pmu(prog, func, &o, desc, &l);
		if (err <= 0)
			return err ? wd_attach_fail(err) : l;
	}
	return kprobe_legacy(prog, func, &o, desc);
}

/* ---- kprobe.multi ---------------------------------------------------------------- */

struct symlist {
	char **syms;
	size_t n, cap;
};

static void symlist_free(struct symlist *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->syms[i]);
	free(s->syms);
}

static int symlist_add(struct symlist *s, const char *sym, size_t len)
{
	char *copy;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		char **nb = realloc(s->syms, cap * sizeof(*nb));
		if (!nb)
			return -ENOMEM;
		s->syms = nb;
		s->cap = cap;
	}
	copy = strndup(sym, len);
	if (!copy)
		return -ENOMEM;
	s->syms[s->n++] = copy;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The file repeats static functions of the same name: one of each. */
static void symlist_unique(struct symlist *s)
{
	size_t k = 0;
	if (!s->n)
		return;
	qsort(s->syms, s->n, sizeof(*s->syms), cmp_str);
	for (size_t i = 1; i < s->n; i++) {
		if (!strcmp(s->syms[k], s->syms[i]))
			free(s->syms[i]);
		else
			s->syms[++k] = s->syms[i];
	}
	s->n = k + 1;
}

/* Functions of available_filter_functions matching a glob ("tcp_*"): the
 * ones ftrace (hence fprobe, hence kprobe.multi) can attach to. */
static int glob_functions(const char *pattern, struct symlist *out)
{
	const char *dir;
	char *text, *line, *save = NULL;
	int err = wd_tracefs_dir(&dir);
	if (err)
		return err;
	text = wd_tracefs_read(dir, "available_filter_functions");
	if (!text)
		return wd_err(-errno, "cannot read %s/available_filter_functions: %s", dir,
			      strerror(errno));
	for (line = strtok_r(text, "\n", &save); line && !err;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t len = strcspn(line, " \t");   /* "func [module]" */
		char c = line[len];
		line[len] = '\0';
		if (!fnmatch(pattern, line, 0))
			err = symlist_add(out, line, len);
		line[len] = c;
	}
	free(text);
	symlist_unique(out);
	if (!err && !out->n)
		err = wd_err(-ENOENT, "no traceable kernel function matches '%s'", pattern);
	return err;
}

struct wd_link *wd_attach_kprobe_multi(struct wd_prog *prog, const char *pattern)
{
	struct symlist s = { 0 };
	struct wd_link *l = NULL;
	bool ret = prog->def && prog->def->attach == WD_ATTACH_KRETPROBE_MULTI;
	int err, fd;
	if ((err = wd_attach_check(prog, "kprobe.multi")))
		return wd_attach_fail(err);
	if (!*pattern)
		return wd_attach_fail(wd_err(-EINVAL, "attach '%s': section '%s' names no "
					     "function pattern", prog->name, prog->sec_name));
	if (wd_probe_bpf_link(WD_LINK_KPROBE_MULTI) != 1)
		return wd_attach_fail(wd_err(-EOPNOTSUPP, "attach '%s': kprobe.multi needs "
					     "BPF_TRACE_KPROBE_MULTI (5.18, CONFIG_FPROBE), which "
					     "this kernel lacks; use kprobe/<function>", prog->name));
	err = strpbrk(pattern, "*?[") ? glob_functions(pattern, &s)
				       : symlist_add(&s, pattern, strlen(pattern));
	if (!err) {
		struct wd_link_create_args a = {
			.prog_fd = prog->fd, .attach_type = BPF_TRACE_KPROBE_MULTI,
			.kmulti_flags = ret ? BPF_F_KPROBE_MULTI_RETURN : 0,
			.kmulti_cnt = (uint32_t)s.n, .kmulti_syms = (const char *const *)s.syms,
		};
		fd = wd_sys_link_create(&a);
		err = fd < 0 ? wd_err(fd, "BPF_LINK_CREATE: %s", strerror(-fd)) : 0;
		if (!err && !(l = wd_link_new(prog, fd, NULL, "%s %s (%zu functions)",
					      ret ? "kretprobe.multi" : "kprobe.multi", pattern,
					      s.n))) {
			close(fd);
			err = wd_err(-ENOMEM, "out of memory");
		}
	}
	symlist_free(&s);
	if (err) {
		wd_err_prefix("attach '%s' to kprobe.multi %s: ", prog->name, pattern);
		return wd_attach_fail(err);
	}
	return l;
}
