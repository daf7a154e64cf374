// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Programs attached by name or by BTF id, no perf event in between:
 * raw_tp (BPF_RAW_TRACEPOINT_OPEN, 4.17), tp_btf / fentry / fexit /
 * fmod_ret / lsm (BPF_LINK_CREATE, or BPF_RAW_TRACEPOINT_OPEN with a NULL
 * name on kernels whose LINK_CREATE does not take tracing programs), and
 * iterators (BPF_LINK_CREATE with BPF_TRACE_ITER, 5.8).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "attach.h"
#include "warden/features.h"

struct wd_link *wd_prog_attach_raw_tracepoint(struct wd_prog *prog, const char *name)
{
	struct wd_link *l;
	int err, fd;
	if ((err = wd_attach_check(prog, "raw_tp")))
		return wd_attach_fail(err);
	if (!name || !*name)
		return wd_attach_fail(wd_err(-EINVAL, "attach '%s': raw_tp needs a tracepoint "
					     "name (raw_tp/<name>)", prog->name));
	fd = wd_sys_raw_tp_open(name, prog->fd);
	if (fd < 0) {
		wd_err(fd, "attach '%s' to raw_tp %s: %s%s", prog->name, name, strerror(-fd),
		       fd == -ENOENT ? " (no such tracepoint in this kernel)" : "");
		return wd_attach_fail(fd);
	}
	l = wd_link_new(prog, fd, NULL, "raw_tp %s", name);
	if (!l) {
		close(fd);
		return wd_attach_fail(wd_err(-ENOMEM, "out of memory"));
	}
	return l;
}

static const char *trace_kind(uint32_t eat)
{
	switch (eat) {
	case BPF_TRACE_RAW_TP:   return "tp_btf";
	case BPF_TRACE_FENTRY:   return "fentry";
	case BPF_TRACE_FEXIT:    return "fexit";
	case BPF_MODIFY_RETURN:  return "fmod_ret";
	case BPF_LSM_MAC:        return "lsm";
	case BPF_TRACE_ITER:     return "iter";
	default:                 return NULL;
	}
}

/* LINK_CREATE first; EINVAL from a kernel whose LINK_CREATE predates
 * tracing programs (they came to it after BPF_RAW_TRACEPOINT_OPEN took them
 * in 5.5): the raw_tp command with a NULL name, as libbpf's
 * bpf_link_create() does.  Iterators have no such fallback. */
static int trace_open(const struct wd_prog *prog)
{
	struct wd_link_create_args a = {
		.prog_fd = prog->fd, .attach_type = prog->expected_attach_type,
	};
	int fd = -EINVAL;
	if (wd_probe_bpf_link(WD_LINK_CREATE) == 1)
		fd = wd_sys_link_create(&a);
	if (fd != -EINVAL || prog->expected_attach_type == BPF_TRACE_ITER)
		return fd;
	wd_debug("attach '%s': BPF_LINK_CREATE refused a tracing program (EINVAL), "
		 "using BPF_RAW_TRACEPOINT_OPEN", prog->name);
	return wd_sys_raw_tp_open(NULL, prog->fd);
}

struct wd_link *wd_prog_attach_trace(struct wd_prog *prog)
{
	const char *kind, *target;
	struct wd_link *l;
	int err, fd;
	if ((err = wd_attach_check(prog, "trace")))
		return wd_attach_fail(err);
	kind = trace_kind(prog->expected_attach_type);
	if (!kind || (prog->type != BPF_PROG_TYPE_TRACING && prog->type != BPF_PROG_TYPE_LSM))
		return wd_attach_fail(wd_err(-EINVAL, "attach '%s': section '%s' is not a "
					     "tp_btf/fentry/fexit/fmod_ret/lsm/iter program",
					     prog->name, prog->sec_name));
	target = prog->def ? wd_sec_target(prog->def, prog->sec_name) : "";
	fd = trace_open(prog);
	if (fd < 0) {
		wd_err(fd, "attach '%s' (%s %s): %s", prog->name, kind, target, strerror(-fd));
		return wd_attach_fail(fd);
	}
	l = wd_link_new(prog, fd, NULL, "%s %s", kind, target);
	if (!l) {
		close(fd);
		return wd_attach_fail(wd_err(-ENOMEM, "out of memory"));
	}
	return l;
}
