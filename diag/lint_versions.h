/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The first mainline release that has a BPF feature (the lint's fleet reach). */
#ifndef WARDEN_DIAG_LINT_VERSIONS_H
#define WARDEN_DIAG_LINT_VERSIONS_H

/* "5.8", or NULL when warden's table does not know it.  Names as bpftool
 * prints them ("ringbuf", "trace_fentry"), helpers with their kernel name
 * ("bpf_ringbuf_output"). */
const char *wd_lint_prog_type_since(const char *name);
const char *wd_lint_map_type_since(const char *name);
const char *wd_lint_attach_type_since(const char *name);
const char *wd_lint_helper_since(const char *name);

#endif
