/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Diagnostics: what decides whether BPF telemetry works on this host
 * (wd_doctor_host), whether an object's programs will load and attach here
 * (wd_doctor_object), and the verifier's rejection explained in plain words
 * (wd_verify_explain).  The result is data; `warden doctor` prints it as
 * text or JSON.
 */
#ifndef WARDEN_DOCTOR_H
#define WARDEN_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum wd_check_status {
	WD_CHECK_OK,        /* present / usable */
	WD_CHECK_MISSING,   /* this kernel or host does not have it */
	WD_CHECK_WRONG,     /* present but refused, misconfigured, or would fail */
	WD_CHECK_INFO,      /* a fact, no verdict */
};

struct wd_check {
	const char *section;      /* "kernel", "btf", "prog_type", "program", ... */
	char name[96];            /* "socket_filter", "fentry", "prog 'handle_exec'" */
	enum wd_check_status status;
	char value[256];          /* what was found: "yes", "6.18.0", "refused (EPERM, ...)" */
	char hint[256];           /* what to do about it, "" when nothing */
	char source[64];          /* "prog.bpf.c:12" where one applies (lint), else "" */
};

struct wd_report {
	struct wd_check *checks;
	size_t nr_checks, cap;
	int failures;             /* object preflight: programs that would fail */
};

/* Every host check, in report order.  0, or -ENOMEM. */
int wd_doctor_host(struct wd_report *r);

struct wd_preflight_opts {
	size_t sz;                /* sizeof(struct wd_preflight_opts) */
	const char *btf_path;     /* CO-RE target BTF (default: the running kernel's) */
	/* lint: other kernels' BTF for the fleet table (program x kernel) */
	const char *const *kernel_btfs;
	size_t nr_kernel_btfs;
};
/* Will each program of the object at `path` load and attach on this kernel?
 * Fills r (r->failures = programs that would fail); 0, or -errno when the
 * object cannot be read. */
int wd_doctor_object(const char *path, const struct wd_preflight_opts *opts,
		     struct wd_report *r);

void wd_report_free(struct wd_report *r);
/* "ok", "missing", "wrong", "info" */
const char *wd_check_status_name(enum wd_check_status s);
/* Append a check (printf-style value); 0 or -ENOMEM. */
int wd_report_add(struct wd_report *r, const char *section, const char *name,
		  enum wd_check_status st, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* The verifier's maximum program size on this kernel: 1000000 (5.2+
 * privileged) or 4096, decided by loading a 4097-instruction program;
 * -errno when undecidable.  Cached. */
long wd_probe_insn_limit(void);

/* Plain explanation of a verifier rejection (log + errno of the load, the
 * program's license), or NULL when no known pattern matches. */
const char *wd_verify_explain(const char *log, int err, const char *license);

/* Instruction -> source line of one program, usable after a failed load
 * (wd_object_load() frees the program's own copy of the line info). */
struct wd_src_map;
struct wd_prog;
/* NULL (errno set) when the program cannot be assembled or has no line info. */
struct wd_src_map *wd_src_map_new(struct wd_prog *prog);
/* "file.c:87", or NULL when the instruction has no line. */
const char *wd_src_map_line(const struct wd_src_map *m, int insn, char *buf, size_t size);
void wd_src_map_free(struct wd_src_map *m);

#ifdef __cplusplus
}
#endif
#endif
