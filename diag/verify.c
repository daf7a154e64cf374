// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `warden verify`: the verifier's rejection in plain words, and every
 * instruction of its log mapped back to a source line.  The patterns are
 * the messages of kernel/bpf/verifier.c (4.x to 6.18); the first that
 * matches explains the failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "warden/spec.h"
#include "warden/warden.h"
#include "warden/doctor.h"

struct wd_src_map {
	struct wd_prog *prog;
	struct wd_prog_image img;
};

struct wd_src_map *wd_src_map_new(struct wd_prog *prog)
{
	struct wd_src_map *m = calloc(1, sizeof(*m));
	int err;

	if (!m)
		return NULL;
	m->prog = prog;
	err = wd_prog_image(prog, &m->img);
	if (!err && !m->img.nr_line_info)
		err = -ENOENT;
	if (err) {
		wd_prog_image_free(&m->img);
		free(m);
		errno = -err;
		return NULL;
	}
	return m;
}

const char *wd_src_map_line(const struct wd_src_map *m, int insn, char *buf, size_t size)
{
	return m ? wd_prog_image_src_line(m->prog, &m->img, insn, buf, size) : NULL;
}

void wd_src_map_free(struct wd_src_map *m)
{
	if (!m)
		return;
	wd_prog_image_free(&m->img);
	free(m);
}

/* ---- explanations ------------------------------------------------------ */

struct pattern {
	const char *needle[3];      /* all must appear in the log */
	const char *text;
};

static const struct pattern patterns[] = {
	{ { "combined stack size" },
	  "stack over 512 bytes: the program and the functions it calls use more than the "
	  "512-byte BPF stack together.  Move large local variables into a per-CPU array map, "
	  "or mark the callee __always_inline so the frames are not added up." },
	{ { "invalid write to stack", "off=-5" },
	  "stack over 512 bytes: the program writes below the 512-byte BPF stack.  Move large "
	  "local variables (buffers, structs) into a per-CPU array map." },
	{ { "invalid", "stack", "off=-" },
	  "invalid stack access: a read or write outside the 512-byte stack frame, or of stack "
	  "bytes never written.  Initialise the variable (or the whole struct with memset/{})." },
	{ { "stack depth", "too large" },
	  "stack over 512 bytes.  Move large local variables into a per-CPU array map." },
	{ { "BPF program is too large" },
	  "instruction limit: the verifier walked more than 1,000,000 instructions over all "
	  "paths (too complex).  Lower loop bounds, cut branches inside loops, use bpf_loop() "
	  "(5.17+), or split the program with tail calls." },
	{ { "jumps is too complex" },
	  "too complex: a path of the program has more conditional jumps than the verifier "
	  "tracks (8192 pending branches).  Cut branches inside loops, or split the program." },
	{ { "too many states" },
	  "too complex: the verifier kept too many states.  Simplify the branches, or split the "
	  "program with tail calls." },
	{ { "the call stack of", "frames is too deep" },
	  "too many nested bpf-to-bpf calls (8 frames at most).  Inline some functions "
	  "(__always_inline)." },
	{ { "loop detected" },
	  "unbounded loop: the loop can run forever as far as the verifier can tell.  Give it a "
	  "constant upper bound, or use bpf_loop()." },
	{ { "infinite loop detected" },
	  "unbounded loop: the loop can run forever as far as the verifier can tell (its state "
	  "does not change between iterations).  Give it a constant upper bound, or use bpf_loop()." },
	{ { "back-edge from insn" },
	  "unbounded loop: this kernel (before 5.3) refuses every backward jump.  Unroll the "
	  "loop (#pragma unroll with a constant bound), or use tail calls." },
	{ { "unreachable insn" },
	  "unreachable instruction: code after an unconditional jump or exit; usually a loader "
	  "or inline-asm problem." },
	{ { "cannot call GPL-restricted function" },
	  "GPL-only helper in a non-GPL program: this helper is only for programs whose license "
	  "section says \"GPL\" (or \"Dual BSD/GPL\", ...).  Change the license or the helper." },
	{ { "expected prog array map for tail call" },
	  "tail-call rejection: bpf_tail_call() takes a BPF_MAP_TYPE_PROG_ARRAY map (holding "
	  "programs of the caller's type); this call passes another map type." },
	{ { "cannot pass map_type", "bpf_tail_call" },
	  "tail-call rejection: bpf_tail_call() takes a BPF_MAP_TYPE_PROG_ARRAY map (holding "
	  "programs of the caller's type); this call passes another map type." },
	{ { "tail_call" },
	  "tail-call rejection: bpf_tail_call() needs a BPF_MAP_TYPE_PROG_ARRAY map, programs of "
	  "the same type in it, and (before 5.10 or off x86-64) no bpf-to-bpf calls in the same "
	  "program; the stack of a caller of tail calls is limited to 256 bytes per frame." },
	{ { "invalid func unknown#" },
	  "unknown helper: this kernel does not have the helper the program calls (it is newer "
	  "than the kernel).  Check 'warden doctor' for the helpers this kernel has." },
	{ { "unknown func" },
	  "helper not allowed for this program type: the kernel has the helper, but not for "
	  "programs of this type." },
	{ { "program of this type cannot use helper" },
	  "helper not allowed for this program type: the kernel has the helper, but not for "
	  "programs of this type." },
	{ { "_or_null" },
	  "missing NULL check: the pointer (a map lookup result, ...) may be NULL and is used "
	  "without checking.  Add `if (!p) return 0;` right after bpf_map_lookup_elem()." },
	{ { "invalid access to packet" },
	  "invalid packet access: read or write past data_end.  Compare `data + N > data_end` "
	  "before touching the packet." },
	{ { "invalid mem access" },
	  "invalid memory access: the program dereferences something that is not a pointer the "
	  "verifier knows (a plain number, or kernel memory).  Read kernel memory with "
	  "bpf_probe_read_kernel() / BPF_CORE_READ()." },
	{ { "invalid bpf_context access" },
	  "invalid memory access: the program reads or writes a field of its context argument "
	  "that this program type does not allow (or at a wrong size).  Use the context struct "
	  "of the program type, or bpf_probe_read_kernel()." },
	{ { "invalid access to map value" },
	  "invalid memory access: read or write outside the map value.  Check the index against "
	  "the value size." },
	{ { "invalid read from stack" },
	  "invalid memory access: reading stack bytes never written.  Initialise the variable." },
	{ { "!read_ok" },
	  "uninitialised register: a register is read before anything was written to it." },
};

static bool matches(const struct pattern *p, const char *text)
{
	for (int i = 0; i < 3 && p->needle[i]; i++)
		if (!strstr(text, p->needle[i]))
			return false;
	return true;
}

/* "stack depth 8" / "stack depth 8+16": the BPF_LOG_STATS summary (per
 * subprogram), not a message. */
static bool stack_depth_stats(const char *l)
{
	if (strncmp(l, "stack depth ", 12))
		return false;
	for (l += 12; *l && *l != '\n'; l++)
		if (!(*l >= '0' && *l <= '9') && *l != '+')
			return false;
	return true;
}

static bool stats_line(const char *l)
{
	return !strncmp(l, "processed ", 10) || !strncmp(l, "verification time", 17) ||
	       stack_depth_stats(l) || !strncmp(l, "max_states", 10) ||
	       !strncmp(l, "-- END", 6) || *l == '\n' || *l == '\0';
}

/* The verifier's verdict: the last TAIL lines before the statistics (the
 * state dumps earlier in the log mention "_or_null" and helper names of
 * instructions that verified fine). */
#define TAIL 3
static void log_tail(const char *log, char *out, size_t size)
{
	const char *end = log + strlen(log), *start, *line[TAIL];
	size_t len[TAIL], used = 0;
	int n = 0;

	out[0] = '\0';
	/* The statistics stay out: "stack depth 8" next to "BPF program is too
	 * large" is not a stack problem (kernels before 6.4 print them with
	 * BPF_LOG_STATS, see lib/prog_load.c). */
	while (end > log && n < TAIL) {
		start = end;
		if (start > log && start[-1] == '\n')
			start--;
		while (start > log && start[-1] != '\n')
			start--;
		if (!stats_line(start)) {
			line[n] = start;
			len[n++] = (size_t)(end - start);
		}
		end = start;
	}
	while (n-- > 0 && used + len[n] < size) {
		memcpy(out + used, line[n], len[n]);
		used += len[n];
		out[used] = '\0';
	}
}

const char *wd_verify_explain(const char *log, int err, const char *license)
{
	char tail[2048];

	(void)license;
	if (log && *log) {
		log_tail(log, tail, sizeof(tail));
		for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
			if (matches(&patterns[i], tail))
				return patterns[i].text;
	}
	if (err == -E2BIG)
		return "instruction limit: the program has more instructions than this kernel loads "
		       "(4096 before 5.2).";
	if ((err == -EPERM || err == -EACCES) && (!log || !*log))
		return "refused before verification: no privilege (CAP_BPF, CAP_PERFMON, "
		       "CAP_SYS_ADMIN) or a security policy; see 'warden doctor'.";
	if (err == -EINVAL && (!log || !*log))
		return "refused before verification: the program type, attach type or a flag is "
		       "not supported by this kernel; see 'warden doctor FILE.o'.";
	return NULL;
}
