/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Preflight lint (issue 18): the field's classic BPF pitfalls, per program,
 * decided from the program as the loader assembles it (wd_prog_image) and
 * from this host's symbols.  Findings are checks of section "lint" in a
 * struct wd_report: WD_CHECK_WRONG is an error, WD_CHECK_MISSING a warning,
 * WD_CHECK_INFO an info; wd_check.source holds "file.c:12" where one
 * applies, wd_check.hint the fix.
 */
#ifndef WARDEN_DIAG_LINT_H
#define WARDEN_DIAG_LINT_H

#include <stddef.h>
#include <stdio.h>
#include "warden/doctor.h"

struct wd_object;
struct wd_prog;

struct wd_lint_opts {
	size_t sz;                        /* sizeof(struct wd_lint_opts) */
	/* Fleet reach against other kernels: the object is opened again with
	 * each of these BTF files as its CO-RE target (obj_path required). */
	const char *obj_path;
	const char *const *kernel_btfs;
	size_t nr_kernel_btfs;
};

/* Lint one program into r.  Returns the number of errors it found (>= 0),
 * or -errno when the program cannot be assembled. */
int wd_lint_prog(struct wd_report *r, const struct wd_object *obj, struct wd_prog *p,
		 const struct wd_lint_opts *o);

/* Lint every program of the object at path (or only the one named
 * `only`) and print the findings to out, one line each ("lint: warning
 * prog: what: file.c:12: ..." and "-> fix").  The number of errors, or
 * -errno when the object cannot be opened. */
int wd_lint_file(const char *path, const char *only, FILE *out);

/* The deepest call chain of the program's stack frames, as the verifier
 * adds them up (check_max_stack_depth(), kernel/bpf/verifier.c): "main
 * (224) -> fill (352)" into buf, each frame rounded to 32 bytes.  Returns
 * the chain's total in bytes, or -errno when the program cannot be
 * assembled. */
int wd_lint_stack_chain(const struct wd_object *obj, struct wd_prog *p, char *buf, size_t size);

/* "error", "warning", "info" for a lint check's status ("ok" for ok). */
const char *wd_lint_severity(enum wd_check_status st);

#endif
