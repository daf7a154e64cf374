// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * BPF_PROG_LOAD with the verifier-log policy: load without a log first (a
 * log costs time and, when too small, makes a good program fail with
 * ENOSPC); on failure load again with a log whose buffer doubles on ENOSPC
 * up to a cap, keep it, and name the failing instruction and source line.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"
#include "warden/features.h"
#include "core.h"
#include "kmod_btf.h"
#include "map_explain.h"
#include "host/kconfig.h"

#define LOG_START (256u << 10)
#define LOG_CAP_DEFAULT (64u << 20)

/* Does the image call a kfunc of a module (a BPF_PSEUDO_KFUNC_CALL whose
 * off names an fd_array slot; 0 is vmlinux)? */
static bool calls_module_kfunc(const struct wd_asm *img)
{
	for (size_t i = 0; i < img->insn_cnt; i++) {
		const struct bpf_insn *in = &img->insns[i];
		if (in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_KFUNC_CALL && in->off)
			return true;
	}
	return false;
}

static void fill_args(const struct wd_prog *p, struct wd_prog_load_args *a)
{
	const struct wd_object *obj = p->obj;
	memset(a, 0, sizeof(*a));
	a->type = p->type;
	a->expected_attach_type = p->expected_attach_type;
	a->prog_flags = p->prog_flags;
	a->insns = p->img.insns;
	a->insn_cnt = p->img.insn_cnt;
	a->license = obj->spec->license;
	a->name = p->name;
	/* Kprobes on kernels before 5.0 check kern_version against the running kernel. */
	a->kern_version = obj->spec->kern_version ? obj->spec->kern_version : wd_kernel_version_code();
	a->attach_btf_id = p->attach_btf_id;
	a->attach_btf_obj_fd = p->attach_btf_obj_fd;
	/* module kfunc calls name their module's BTF by a slot of it (kmod_btf.c);
	 * only a program that makes one gets the array: kernels before 5.13
	 * refuse the attribute (E2BIG), and the array is the process's */
	if (calls_module_kfunc(&p->img))
		a->fd_array = wd_kmod_fd_array();
	if (obj->btf_fd >= 0 && p->img.nr_func_info) {
		a->btf_fd = obj->btf_fd;
		a->func_info = p->img.func_info;
		a->func_info_cnt = p->img.nr_func_info;
		a->func_info_rec_size = sizeof(struct bpf_func_info);
		a->line_info = p->img.line_info;
		a->line_info_cnt = p->img.nr_line_info;
		a->line_info_rec_size = sizeof(struct bpf_line_info);
	}
}

/* The verifier's last message: the line before "processed N insns ...". */
static void last_error_line(const char *log, char *out, size_t size)
{
	const char *end = log + strlen(log), *line_end = end, *best = NULL, *best_end = NULL;
	out[0] = '\0';
	while (line_end > log) {
		const char *start = line_end;
		while (start > log && start[-1] != '\n')
			start--;
		size_t len = line_end - start;
		/* statistics, and the state dumps printed after a verdict such as
		 * "infinite loop detected at insn 2" (cur/old state, 5.3+) */
		bool stats = !strncmp(start, "processed ", 10) || !strncmp(start, "verification time", 17) ||
			     !strncmp(start, "stack depth", 11) || !strncmp(start, "max_states", 10) ||
			     !strncmp(start, "old state:", 10) || !strncmp(start, "cur state:", 10);
		bool insn = isdigit((unsigned char)start[0]) && memchr(start, ':', len);
		if (len && !stats && !insn && start[0] != ';' && start[0] != '\n') {
			best = start;
			best_end = line_end;
			break;
		}
		line_end = start > log ? start - 1 : log;
	}
	if (best) {
		size_t n = best_end - best;
		/* Some messages ("expected prog array map for tail call") end
		 * without a newline, so the statistics line is glued to them. */
		const char *glued = memmem(best, n, "processed ", 10);
		if (glued && glued > best)
			n = glued - best;
		if (n && best[n - 1] == '\n')
			n--;
		if (n >= size)
			n = size - 1;
		memcpy(out, best, n);
		out[n] = '\0';
	}
}

/* The last "N: (op) ..." line names the instruction the verifier stopped at. */
static int fail_insn_from_log(const char *log)
{
	int insn = -1;
	for (const char *l = log; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		int n;
		char paren;
		if (sscanf(l, "%d: %c", &n, &paren) == 2 && paren == '(')
			insn = n;
	}
	return insn;
}

const char *wd_src_line(const struct wd_btf *btf, const struct bpf_line_info *li, size_t n,
			int insn, char *buf, size_t size)
{
	const struct bpf_line_info *best = NULL;
	const char *file, *slash;

	if (!btf || insn < 0)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (li[i].insn_off <= (uint32_t)insn && BPF_LINE_INFO_LINE_NUM(li[i].line_col) &&
		    (!best || li[i].insn_off >= best->insn_off))
			best = &li[i];
	if (!best)
		return NULL;
	file = wd_btf_str(btf, best->file_name_off);
	slash = file ? strrchr(file, '/') : NULL;
	snprintf(buf, size, "%s:%u", slash ? slash + 1 : file ? file : "?",
		 BPF_LINE_INFO_LINE_NUM(best->line_col));
	return buf;
}

/* Before 6.4 a log that does not fit keeps only its head, and the load
 * fails with ENOSPC instead of the verifier's verdict (which was at the end);
 * such a kernel leaves log_true_size 0.  One run at BPF_LOG_STATS (4, 5.2+:
 * the verifier's messages and statistics, no instruction trace) gives the
 * verdict and its errno back.  0 if it cannot (older kernel, same ENOSPC). */
#define WD_LOG_STATS 4
static int stats_verdict(const struct wd_prog_load_args *a, char *buf, size_t size)
{
	struct wd_prog_load_args s = *a;
	int fd;

	memset(buf, 0, size); /* see load_with_log() */
	s.log_level = WD_LOG_STATS;
	s.log_buf = buf;
	s.log_size = size;
	fd = wd_sys_prog_load(&s);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return fd == -ENOSPC || !buf[0] ? 0 : fd;
}

/* The verifier gave up on a program too complex for it: after 1M processed
 * instructions (BPF_COMPLEXITY_LIMIT_INSNS, 5.2+) do_check() returns E2BIG.
 * Each further run takes as long again (seconds; minutes with a large log),
 * so when the run without a log said E2BIG, one run with a log is all:
 * 6.4+ (commit 121664093803 "bpf: switch BPF verifier log to be a rotating
 * log by default") keeps the log's tail and so the verdict; an older kernel
 * keeps the head, and the verdict is the E2BIG already known. */
static int too_complex_verdict(struct wd_prog *p, const struct wd_prog_load_args *a, int first_err)
{
	static const char note[] = "\n... (log truncated: this kernel keeps only its head; the "
				   "verifier gave up, E2BIG: the program is too complex, more than "
				   "1,000,000 instructions processed)\n";
	size_t used = strlen(p->log);
	char *buf;
	wd_debug("program '%s': too complex for the verifier (E2BIG): no further run", p->name);
	if (!a->log_true_size && (buf = realloc(p->log, used + sizeof(note)))) {
		p->log = buf;
		memcpy(buf + used, note, sizeof(note));
	}
	return first_err;
}

/* Before 6.4 the kernel does not say how large a log must be; its
 * statistics ("processed 20815 insns (limit 1000000) ...") give the number
 * of instructions walked, and a level-1 log is about one line per walked
 * instruction plus register states.  The size for one more run, instead of
 * one run per doubling (each a whole verifier walk: minutes for a long one
 * on an emulated 5.10); 0 when the statistics do not say. */
#define LOG_BYTES_PER_INSN 256u
static size_t log_size_from_stats(const char *stats)
{
	const char *p = stats ? strstr(stats, "processed ") : NULL;
	unsigned long insns;

	if (!p || sscanf(p, "processed %lu insns", &insns) != 1)
		return 0;
	return insns * LOG_BYTES_PER_INSN;
}

/* first_err: the errno of the run without a log (0: there was none);
 * log_level: 1 or 2. */
static int load_with_log(struct wd_prog *p, struct wd_prog_load_args *a, int first_err,
			 int log_level)
{
	size_t cap = p->obj->lopts.log_cap ? p->obj->lopts.log_cap : LOG_CAP_DEFAULT;
	size_t size = LOG_START < cap ? LOG_START : cap;
	char *stats = NULL;
	int fd, verdict = 0;
	a->log_level = (uint32_t)log_level;
	for (;;) {
		char *buf = realloc(p->log, size);
		if (!buf) {
			free(stats);
			return -ENOMEM;
		}
		p->log = buf;
		/* Zeroed, not just NUL-first: a failing bpf(2) fills the log, and
		 * valgrind marks it written only when the call succeeds, so every
		 * read of a refused program's log was an "uninitialised" error.
		 * A memset costs little next to the verifier run that fills it. */
		memset(buf, 0, size);
		a->log_buf = buf;
		a->log_size = size;
		fd = wd_sys_prog_load(a);
		/* ENOSPC: the log did not fit (before 6.4 the load fails for it). */
		if (fd != -ENOSPC)
			break;
		if (first_err == -E2BIG) {
			free(stats);
			return too_complex_verdict(p, a, first_err);
		}
		if (!a->log_true_size && !stats && (stats = malloc(64u << 10)))
			verdict = stats_verdict(a, stats, 64u << 10);
		/* Over the instruction limit: the whole log is a line per walked
		 * instruction, more than any cap; doubling only re-runs the
		 * verifier (seconds each). */
		if (size >= cap || verdict == -E2BIG)
			break;
		/* 6.4+ keeps the tail (verdict included) and says the whole log
		 * is larger than the cap: another run would keep a longer tail only. */
		if (a->log_true_size > cap)
			break;
		/* 6.4+ says how much it needs: one more run of the verifier, not
		 * one per doubling (a "too complex" program takes seconds each). */
		size_t next = a->log_true_size > size ? a->log_true_size : size * 2;
		size_t implied = a->log_true_size ? 0 : log_size_from_stats(stats);
		if (implied > next)
			next = implied;
		size = next < cap ? next : cap;
	}
	if (fd == -ENOSPC) {
		wd_debug("program '%s': verifier log truncated at %zu bytes", p->name, size);
		/* The program failed for another reason the cut log hides in its
		 * errno: a statistics-only run gives it (and, before 6.4, whose
		 * kernels keep only the log's head, the verdict text too). */
		bool tail_kept = a->log_true_size != 0;
		if (!stats && (stats = malloc(64u << 10)))
			verdict = stats_verdict(a, stats, 64u << 10);
		if (stats && verdict < 0) {
			static const char note[] = "\n... (log truncated: this kernel keeps only its head; "
						   "the verdict, from a statistics-only run:)\n";
			size_t used = strlen(p->log), more = sizeof(note) + strlen(stats) + 1;
			char *buf = tail_kept ? p->log : realloc(p->log, used + more);
			if (buf && !tail_kept) {
				p->log = buf;
				snprintf(buf + used, more, "%s%s", note, stats);
			}
			fd = verdict;
		}
	}
	free(stats);
	return fd;
}

/* "invalid func unknown#158": the kernel has no helper 158, and names none.
 * Say which one (bpf_get_current_task_btf) and that this kernel lacks it. */
static void name_unknown_helper(char *what, size_t size)
{
	const char *name;
	unsigned int id;
	if (sscanf(what, "invalid func unknown#%u", &id) != 1)
		return;
	name = wd_helper_name(id);
	if (name)
		snprintf(what, size, "calls helper %s (#%u), which this kernel lacks (it is newer "
			 "than the kernel)", name, id);
	else
		snprintf(what, size, "calls helper #%u, which this kernel lacks", id);
}

static bool is_trampoline_type(uint32_t type)
{
	return type == BPF_PROG_TYPE_TRACING || type == BPF_PROG_TYPE_LSM ||
	       type == BPF_PROG_TYPE_EXT;
}

/* EPERM with an empty log: say what is known.  Without CAP_BPF and
 * CAP_SYS_ADMIN it is privilege.  With them, the verifier never ran: on a
 * host that refuses fentry/fexit/LSM to root (6.18 here: EPERM, empty log)
 * blaming capabilities sent people looking in the wrong place (issue 13). */
static void explain_empty_eperm(const struct wd_prog *p, char *what, size_t size)
{
	char lock[32], lockdown[64] = "";
	bool admin = wd_has_cap(21 /* CAP_SYS_ADMIN */), bpf = wd_has_cap(39 /* CAP_BPF */);

	if (!admin && !bpf) {
		snprintf(what, size, "%s with an empty verifier log: loading programs needs CAP_BPF "
			 "(5.8+, with CAP_PERFMON for tracing types) or CAP_SYS_ADMIN, and this "
			 "process has neither", strerror(EPERM));
		return;
	}
	wd_lockdown_mode(lock, sizeof(lock));
	if (lock[0])
		snprintf(lockdown, sizeof(lockdown), " (lockdown is '%s' here)", lock);
	if (is_trampoline_type(p->type))
		snprintf(what, size, "the kernel refused trampoline programs (fentry/fexit/LSM/"
			 "freplace: EPERM, empty verifier log) although this process holds %s: "
			 "kernel lockdown%s, an LSM or seccomp filter, or a kernel without "
			 "trampoline support",
			 admin && bpf ? "CAP_BPF and CAP_SYS_ADMIN" : admin ? "CAP_SYS_ADMIN" : "CAP_BPF",
			 lockdown);
	else
		snprintf(what, size, "%s with an empty verifier log although this process holds "
			 "%s: kernel lockdown%s, an LSM or seccomp filter refused the program type, "
			 "or a capability it also needs is missing (CAP_PERFMON, CAP_NET_ADMIN)",
			 strerror(EPERM),
			 admin && bpf ? "CAP_BPF and CAP_SYS_ADMIN" : admin ? "CAP_SYS_ADMIN" : "CAP_BPF",
			 lockdown);
}

static int report_failure(struct wd_prog *p, int err)
{
	char what[512], src[256];
	const char *line;
	p->fail_insn = p->log ? fail_insn_from_log(p->log) : -1;
	last_error_line(p->log ? p->log : "", what, sizeof(what));
	/* "infinite loop detected at insn 3": the kernel names the instruction
	 * itself; that one is mapped to a source line, and said once */
	char *at = strstr(what, " at insn ");
	if (at && sscanf(at, " at insn %d", &p->fail_insn) == 1)
		*at = '\0';
	/* a poisoned CO-RE instruction: name the relocation, not "unknown func" */
	wd_core_explain(p, p->fail_insn, what, sizeof(what));
	name_unknown_helper(what, sizeof(what));
	line = wd_src_line(p->obj->spec->btf, p->img.line_info, p->img.nr_line_info, p->fail_insn,
			   src, sizeof(src));
	if (!what[0] && err == -EPERM) {
		char why[320];
		wd_memlock_explain_eperm(why, sizeof(why));
		if (why[0])
			snprintf(what, sizeof(what), "%s: %s", strerror(-err), why);
	}
	if (!what[0] && err == -EPERM)
		explain_empty_eperm(p, what, sizeof(what));
	if (!what[0]) {
		snprintf(what, sizeof(what), "%s%s", strerror(-err),
			 err == -EINVAL ? " with an empty verifier log (program type, attach type "
			 "or a flag unsupported by this kernel)" : "");
	}
	const char *btf = p->obj->btf_note[0] ? " (the kernel refused the object's BTF, "
			  "which this program may need: see the warning)" : "";
	if (!p->obj->spec->license[0] && strstr(what, "GPL"))
		btf = "; the object has no 'license' section, so it loads as non-GPL: add "
		      "char LICENSE[] SEC(\"license\") = \"GPL\";";
	if (p->fail_insn >= 0)
		return wd_err(err, "program '%s': %s at insn %d%s%s%s%s",
			      p->name, what, p->fail_insn, line ? " (" : "", line ? line : "",
			      line ? ")" : "", btf);
	return wd_err(err, "program '%s': %s%s", p->name, what, btf);
}

int wd_prog_load(struct wd_prog *p)
{
	struct wd_prog_load_args a;
	int fd;
	fill_args(p, &a);
	fd = wd_sys_prog_load(&a);
	if (fd == -EINVAL && a.name) {
		/* Program names arrived in 4.15: an older kernel refuses the field. */
		a.name = NULL;
		int fd2 = wd_sys_prog_load(&a);
		if (fd2 >= 0) {
			wd_debug("program '%s': kernel refused the program name, loaded without it", p->name);
			fd = fd2;
		} else {
			a.name = p->name;
		}
	}
	if (fd < 0)
		fd = load_with_log(p, &a, fd, p->obj->lopts.log_level ? p->obj->lopts.log_level : 1);
	if (fd < 0)
		return report_failure(p, fd);
	free(p->log);
	p->log = NULL;
	p->fail_insn = -1;
	p->fd = fd;
	return 0;
}

int wd_prog_verify(struct wd_prog *p, int log_level, char **log_out)
{
	struct wd_prog_load_args a;
	int fd, err = 0;
	if (!p->img.insns && (err = wd_prog_assemble(p)))
		return err;
	fill_args(p, &a);
	fd = load_with_log(p, &a, 0, log_level ? log_level : 1);
	if (fd >= 0)
		close(fd);
	else
		err = report_failure(p, fd);
	if (log_out)
		*log_out = p->log ? strdup(p->log) : NULL;
	return err;
}
