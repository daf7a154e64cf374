// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wd_prog_attach(): attach by section name.  The section table
 * (spec/section.c) gives each section its attach kind; the family table
 * below gives each kind its attach function and when the section alone
 * says where (the text after "prefix/" is the target).  Families that need
 * something a section cannot say (an interface, a cgroup, a perf event)
 * fail with the API to call instead.
 *
 * A new attach family: its row in the section table, its row in
 * `families` below, and its own file lib/attach/attach_<family>.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "attach.h"

#if defined(__x86_64__)
#define SYSCALL_PREFIX "__x64_sys_"
#elif defined(__aarch64__)
#define SYSCALL_PREFIX "__arm64_sys_"
#elif defined(__s390x__)
#define SYSCALL_PREFIX "__s390x_sys_"
#else
#define SYSCALL_PREFIX "sys_"
#endif

/* "cat/name" -> tracepoint. */
static struct wd_link *auto_tracepoint(struct wd_prog *prog, const char *target)
{
	char cat[128];
	const char *slash = strchr(target, '/');
	if (!slash || slash == target || !slash[1] || (size_t)(slash - target) >= sizeof(cat))
		return wd_attach_fail(wd_err(-EINVAL, "attach '%s': section '%s' should be "
					     "'tracepoint/<category>/<name>'", prog->name,
					     prog->sec_name));
	memcpy(cat, target, (size_t)(slash - target));
	cat[slash - target] = '\0';
	return wd_prog_attach_tracepoint(prog, cat, slash + 1);
}

/* "func" or "func+0x10" (offset in any strtoull base). */
static struct wd_link *auto_kprobe(struct wd_prog *prog, const char *target, bool ret)
{
	struct wd_kprobe_opts o = { .sz = sizeof(o), .retprobe = ret };
	char func[256];
	const char *plus = strchr(target, '+');
	size_t n = plus ? (size_t)(plus - target) : strlen(target);
	if (!n || n >= sizeof(func))
		return wd_attach_fail(wd_err(-EINVAL, "attach '%s': section '%s' names no kernel "
					     "function (kprobe/<function>[+<offset>]), or call "
					     "wd_prog_attach_kprobe()", prog->name, prog->sec_name));
	memcpy(func, target, n);
	func[n] = '\0';
	/* ksyscall/<name>: the arch wrapper every syscall enters through
	 * since 4.17 (x86-64 __x64_sys_*, arm64 __arm64_sys_*) */
	if (!strncmp(prog->def->prefix, "ksyscall", 8) ||
	    !strncmp(prog->def->prefix, "kretsyscall", 11)) {
		char name[240];
		snprintf(name, sizeof(name), "%.239s", func);
		snprintf(func, sizeof(func), "%s%s", SYSCALL_PREFIX, name);
	}
	if (plus)
		o.offset = strtoull(plus + 1, NULL, 0);
	return wd_prog_attach_kprobe(prog, func, &o);
}

/* "<path>:<symbol>[+<offset>]" (the path may itself hold ':' characters:
 * the last one separates the symbol). */
static struct wd_link *auto_uprobe(struct wd_prog *prog, const char *target, bool ret)
{
	struct wd_uprobe_opts o = { .sz = sizeof(o), .pid = -1, .retprobe = ret };
	char path[4096], func[256];
	const char *colon = strrchr(target, ':'), *plus;
	if (!colon || colon == target || !colon[1] || (size_t)(colon - target) >= sizeof(path))
		return wd_attach_fail(wd_err(-EINVAL, "attach '%s': section '%s' should be "
					     "'uprobe/<path>:<symbol>[+<offset>]', or call "
					     "wd_prog_attach_uprobe()", prog->name, prog->sec_name));
	memcpy(path, target, (size_t)(colon - target));
	path[colon - target] = '\0';
	snprintf(func, sizeof(func), "%s", colon + 1);
	plus = strchr(func, '+');
	if (plus) {
		o.offset = strtoull(plus + 1, NULL, 0);
		func[plus - func] = '\0';
	}
	o.func = func;
	return wd_prog_attach_uprobe(prog, path, &o);
}

/* "<path>:<provider>:<name>", every process (the path may hold ':': the
 * last two separate provider and name). */
static struct wd_link *auto_usdt(struct wd_prog *prog, const char *target)
{
	char path[4096], provider[128];
	const char *name = strrchr(target, ':');
	const char *prov = name ? memrchr(target, ':', (size_t)(name - target)) : NULL;
	if (!prov || prov == target || (size_t)(prov - target) >= sizeof(path) ||
	    (size_t)(name - prov - 1) >= sizeof(provider) || name == prov + 1 || !name[1])
		return wd_attach_fail(wd_err(-EINVAL, "attach '%s': section '%s' should be "
					     "'usdt/<path>:<provider>:<name>', or call "
					     "wd_prog_attach_usdt()", prog->name, prog->sec_name));
	memcpy(path, target, (size_t)(prov - target));
	path[prov - target] = '\0';
	memcpy(provider, prov + 1, (size_t)(name - prov - 1));
	provider[name - prov - 1] = '\0';
	return wd_prog_attach_usdt(prog, path, -1, provider, name + 1, NULL);
}

static struct wd_link *needs_api(struct wd_prog *prog, const char *what, const char *api)
{
	return wd_attach_fail(wd_err(-EINVAL, "attach '%s': section '%s' needs %s: call %s",
				     prog->name, prog->sec_name, what, api));
}

static struct wd_link *auto_kprobe_entry(struct wd_prog *p, const char *t) { return auto_kprobe(p, t, false); }
static struct wd_link *auto_kretprobe(struct wd_prog *p, const char *t) { return auto_kprobe(p, t, true); }
static struct wd_link *auto_uprobe_entry(struct wd_prog *p, const char *t) { return auto_uprobe(p, t, false); }
static struct wd_link *auto_uretprobe(struct wd_prog *p, const char *t) { return auto_uprobe(p, t, true); }
static struct wd_link *auto_trace(struct wd_prog *p, const char *t) { (void)t; return wd_prog_attach_trace(p); }
static struct wd_link *auto_iter(struct wd_prog *p, const char *t) { (void)t; return wd_prog_attach_iter(p, NULL); }

/* When does the section name alone say where to attach? */
enum where {
	WHERE_NEVER,            /* the caller must say: an interface, a cgroup, ... */
	WHERE_ALWAYS,           /* the target is in the kernel's BTF: fentry/lsm/iter */
	WHERE_TARGET,           /* a non-empty target after "prefix/" */
	WHERE_PATH,             /* "<path>:<...>" */
};

static const struct family {
	struct wd_link *(*attach)(struct wd_prog *prog, const char *target);
	enum where where;
	const char *needs, *api;        /* WHERE_NEVER: what is missing, and the API to call */
} families[WD_ATTACH__COUNT] = {
	[WD_ATTACH_KPROBE]          = { auto_kprobe_entry, WHERE_TARGET },
	[WD_ATTACH_KRETPROBE]       = { auto_kretprobe, WHERE_TARGET },
	[WD_ATTACH_KPROBE_MULTI]    = { wd_attach_kprobe_multi, WHERE_TARGET },
	[WD_ATTACH_KRETPROBE_MULTI] = { wd_attach_kprobe_multi, WHERE_TARGET },
	[WD_ATTACH_UPROBE]          = { auto_uprobe_entry, WHERE_PATH },
	[WD_ATTACH_URETPROBE]       = { auto_uretprobe, WHERE_PATH },
	[WD_ATTACH_USDT]            = { auto_usdt, WHERE_PATH },
	[WD_ATTACH_TRACEPOINT]      = { auto_tracepoint, WHERE_TARGET },
	[WD_ATTACH_RAW_TP]          = { wd_prog_attach_raw_tracepoint, WHERE_TARGET },
	[WD_ATTACH_TRACING]         = { auto_trace, WHERE_ALWAYS },
	[WD_ATTACH_LSM]             = { auto_trace, WHERE_ALWAYS },
	[WD_ATTACH_ITER]            = { auto_iter, WHERE_ALWAYS },
	[WD_ATTACH_XDP]             = { NULL, WHERE_NEVER, "a network interface",
					"wd_prog_attach_xdp(prog, ifindex, opts)" },
	[WD_ATTACH_TC]              = { NULL, WHERE_NEVER, "a network interface",
					"wd_prog_attach_tc(prog, ifindex, opts)" },
	[WD_ATTACH_TCX]             = { NULL, WHERE_NEVER, "a network interface",
					"wd_prog_attach_tc(prog, ifindex, opts)" },
	[WD_ATTACH_CGROUP]          = { NULL, WHERE_NEVER, "a cgroup",
					"wd_prog_attach_cgroup(prog, cgroup_fd)" },
	[WD_ATTACH_PERF_EVENT]      = { NULL, WHERE_NEVER, "a perf event of your choosing",
					"perf_event_open() and PERF_EVENT_IOC_SET_BPF" },
};

static const struct family *family_of(const struct wd_prog *prog)
{
	unsigned int k = prog && prog->def ? (unsigned int)prog->def->attach : WD_ATTACH_NONE;
	return k < WD_ATTACH__COUNT && (families[k].attach || families[k].needs) ? &families[k] : NULL;
}

struct wd_link *wd_prog_attach(struct wd_prog *prog)
{
	const struct family *f;
	int err;
	if ((err = wd_attach_check(prog, "by section")))
		return wd_attach_fail(err);
	if (!prog->def)
		return wd_attach_fail(wd_err(-EINVAL, "attach '%s': unknown section '%s'",
					     prog->name, prog->sec_name));
	if (prog->type == BPF_PROG_TYPE_STRUCT_OPS)
		return wd_attach_fail(wd_err(-EINVAL, "attach '%s': a struct_ops program is not "
					     "attached alone: register the SEC(\".struct_ops\") "
					     "variable that names it (wd_map_attach_struct_ops)",
					     prog->name));
	if (!(f = family_of(prog)))
		return wd_attach_fail(wd_err(-EOPNOTSUPP, "attach '%s': section '%s' has no "
					     "automatic attachment", prog->name, prog->sec_name));
	if (!f->attach)
		return needs_api(prog, f->needs, f->api);
	return f->attach(prog, wd_sec_target(prog->def, prog->sec_name));
}

bool wd_prog_can_auto_attach(const struct wd_prog *prog)
{
	const struct family *f = family_of(prog);
	const char *t;
	if (!f)
		return false;
	t = wd_sec_target(prog->def, prog->sec_name);
	switch (f->where) {
	case WHERE_ALWAYS: return true;
	case WHERE_TARGET: return *t != '\0';
	case WHERE_PATH:   return strchr(t, ':') != NULL;
	case WHERE_NEVER:  break;
	}
	return false;
}
