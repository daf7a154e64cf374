// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wd_prog_attach(): attach by section name.  The section table
 * (lib/section.c) gives the attach kind; the text after "prefix/" is the
 * target (usdt/... rows share the uprobe kind and are told apart by
 * prefix).  Families that need something a section cannot say (an
 * interface, a cgroup, a perf event) fail with the API to call instead.
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

static bool is_usdt(const struct wd_prog *prog)
{
	return !strcmp(prog->def->prefix, "usdt") || !strcmp(prog->def->prefix, "usdt.s");
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

struct wd_link *wd_prog_attach(struct wd_prog *prog)
{
	const char *t;
	int err;
	if ((err = wd_attach_check(prog, "by section")))
		return wd_attach_fail(err);
	if (!prog->def)
		return wd_attach_fail(wd_err(-EINVAL, "attach '%s': unknown section '%s'",
					     prog->name, prog->sec_name));
	t = wd_sec_target(prog->def, prog->sec_name);
	switch (prog->def->attach) {
	case WD_ATTACH_KPROBE:         return auto_kprobe(prog, t, false);
	case WD_ATTACH_KRETPROBE:      return auto_kprobe(prog, t, true);
	case WD_ATTACH_KPROBE_MULTI:
	case WD_ATTACH_KRETPROBE_MULTI: return wd_attach_kprobe_multi(prog, t);
	case WD_ATTACH_UPROBE:
		return is_usdt(prog) ? auto_usdt(prog, t) : auto_uprobe(prog, t, false);
	case WD_ATTACH_URETPROBE:      return auto_uprobe(prog, t, true);
	case WD_ATTACH_TRACEPOINT:     return auto_tracepoint(prog, t);
	case WD_ATTACH_RAW_TP:         return wd_prog_attach_raw_tracepoint(prog, t);
	case WD_ATTACH_TRACING:
	case WD_ATTACH_LSM:
	case WD_ATTACH_ITER:           return wd_prog_attach_trace(prog);
	case WD_ATTACH_XDP:
		return needs_api(prog, "a network interface", "wd_prog_attach_xdp(prog, ifindex, opts)");
	case WD_ATTACH_TC:
	case WD_ATTACH_TCX:
		return needs_api(prog, "a network interface", "wd_prog_attach_tc(prog, ifindex, opts)");
	case WD_ATTACH_CGROUP:
		return needs_api(prog, "a cgroup", "wd_prog_attach_cgroup(prog, cgroup_fd)");
	case WD_ATTACH_PERF_EVENT:
		return needs_api(prog, "a perf event of your choosing",
				 "perf_event_open() and PERF_EVENT_IOC_SET_BPF");
	case WD_ATTACH_NONE:
	default:
		return wd_attach_fail(wd_err(-EOPNOTSUPP, "attach '%s': section '%s' has no "
					     "automatic attachment", prog->name, prog->sec_name));
	}
}

bool wd_prog_can_auto_attach(const struct wd_prog *prog)
{
	if (!prog || !prog->def)
		return false;
	switch (prog->def->attach) {
	case WD_ATTACH_TRACING:
	case WD_ATTACH_LSM:
	case WD_ATTACH_ITER:
		return true;
	case WD_ATTACH_KPROBE:
	case WD_ATTACH_KRETPROBE:
	case WD_ATTACH_KPROBE_MULTI:
	case WD_ATTACH_KRETPROBE_MULTI:
	case WD_ATTACH_TRACEPOINT:
	case WD_ATTACH_RAW_TP:
		return *wd_sec_target(prog->def, prog->sec_name) != '\0';
	case WD_ATTACH_UPROBE:
	case WD_ATTACH_URETPROBE:
		return strchr(wd_sec_target(prog->def, prog->sec_name), ':') != NULL;
	default:
		return false;
	}
}
