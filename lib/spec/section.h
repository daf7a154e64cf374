/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Section name -> program type, expected attach type and attach kind: one table. */
#ifndef WARDEN_SECTION_H
#define WARDEN_SECTION_H

#include <stdbool.h>
#include <stdint.h>

enum wd_attach_kind {
	WD_ATTACH_NONE,        /* not auto-attachable (socket filters, tail calls, ...) */
	WD_ATTACH_KPROBE, WD_ATTACH_KRETPROBE, WD_ATTACH_KPROBE_MULTI, WD_ATTACH_KRETPROBE_MULTI,
	WD_ATTACH_UPROBE, WD_ATTACH_URETPROBE,
	WD_ATTACH_TRACEPOINT, WD_ATTACH_RAW_TP, WD_ATTACH_TRACING, WD_ATTACH_LSM,
	WD_ATTACH_XDP, WD_ATTACH_TC, WD_ATTACH_TCX, WD_ATTACH_CGROUP, WD_ATTACH_ITER,
	WD_ATTACH_PERF_EVENT,
};

enum wd_sec_flags {
	WD_SEC_EXACT = 1,        /* the name must match exactly, no "/target" */
	WD_SEC_ATTACH_BTF = 2,   /* needs attach_btf_id from kernel BTF at load */
	WD_SEC_SLEEPABLE = 4,    /* BPF_F_SLEEPABLE */
	WD_SEC_XDP_FRAGS = 8,    /* BPF_F_XDP_HAS_FRAGS */
	WD_SEC_MULTI = 16,       /* multi-attach (BPF_TRACE_KPROBE_MULTI, ...) */
};

struct wd_sec_def {
	const char *prefix;      /* "kprobe", "tp", "cgroup/connect4" */
	uint32_t prog_type;
	uint32_t expected_attach_type;
	enum wd_attach_kind attach;
	unsigned int flags;
	const char *attach_prefix; /* BTF name prefix for tp_btf/fentry/lsm targets */
};

/* The definition matching a section name, or NULL. */
const struct wd_sec_def *wd_sec_def_find(const char *sec_name);
/* Text after "prefix/" (the attach target), or "" if none. */
const char *wd_sec_target(const struct wd_sec_def *def, const char *sec_name);
/* The whole table, for docs and `warden inspect --sections`. */
const struct wd_sec_def *wd_sec_defs(unsigned int *count);

#endif
