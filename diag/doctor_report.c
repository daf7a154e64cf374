// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The diagnostics report (warden/doctor.h) and the instruction-limit probe. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "warden/bpf.h"
#include "warden/warden.h"
#include "warden/kconfig.h"
#include "warden/features.h"
#include "warden/doctor.h"

const char *wd_check_status_name(enum wd_check_status s)
{
	static const char *const names[] = { "ok", "missing", "wrong", "info" };

	return (unsigned int)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static int grow(struct wd_report *r)
{
	size_t cap = r->cap ? r->cap * 2 : 64;
	struct wd_check *n;

	if (r->nr_checks < r->cap)
		return 0;
	n = realloc(r->checks, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	r->checks = n;
	r->cap = cap;
	return 0;
}

int wd_report_add(struct wd_report *r, const char *section, const char *name,
		  enum wd_check_status st, const char *hint, const char *fmt, ...)
{
	struct wd_check *c;
	va_list ap;

	if (grow(r))
		return -ENOMEM;
	c = &r->checks[r->nr_checks++];
	memset(c, 0, sizeof(*c));
	c->section = section;
	c->status = st;
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->hint, sizeof(c->hint), "%s", hint ? hint : "");
	va_start(ap, fmt);
	vsnprintf(c->value, sizeof(c->value), fmt, ap);
	va_end(ap);
	return 0;
}

void wd_report_free(struct wd_report *r)
{
	if (!r)
		return;
	free(r->checks);
	memset(r, 0, sizeof(*r));
}

/* ---- instruction limit ------------------------------------------------- */

#define OLD_MAXINSNS 4096             /* BPF_MAXINSNS, the only limit before 5.2 */
#define NEW_MAXINSNS 1000000          /* BPF_COMPLEXITY_LIMIT_INSNS, 5.2 (commit c04c0d2b968a) */

static long probe_insn_limit(void)
{
	const uint32_t cnt = OLD_MAXINSNS + 1;
	struct bpf_insn *insns = calloc(cnt, sizeof(*insns));
	int type = wd_probe_base_prog_type(), fd;

	if (type <= 0) {
		free(insns);
		return type < 0 ? type : -EOPNOTSUPP;
	}
	if (!insns)
		return -ENOMEM;
	/* r0 = 0 repeated, then exit: straight-line, 4097 instructions.  The
	 * kernel answers E2BIG to insn_cnt above its limit before verifying. */
	for (uint32_t i = 0; i < cnt - 1; i++)
		insns[i] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K };
	insns[cnt - 1] = (struct bpf_insn){ .code = BPF_JMP | BPF_EXIT };
	struct wd_prog_load_args a = {
		.type = (uint32_t)type, .insns = insns, .insn_cnt = cnt, .license = "GPL",
		.kern_version = type == BPF_PROG_TYPE_KPROBE ? wd_kernel_version_code() : 0,
	};
	fd = wd_sys_prog_load(&a);
	free(insns);
	if (fd >= 0) {
		close(fd);
		return NEW_MAXINSNS;
	}
	wd_debug("probe: %u-insn program: %s", cnt, strerror(-fd));
	if (fd == -E2BIG || fd == -EINVAL)
		return OLD_MAXINSNS;
	return fd == -EACCES ? -EPERM : fd;
}

long wd_probe_insn_limit(void)
{
	static long cached;
	long v = __atomic_load_n(&cached, __ATOMIC_RELAXED);

	if (v > 0)
		return v;
	v = probe_insn_limit();
	if (v > 0)
		__atomic_store_n(&cached, v, __ATOMIC_RELAXED);
	return v;
}
