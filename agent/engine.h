/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The agent's engine: opens the BPF programs (bpf/agent.o, or
 * bpf/agent_legacy.o on kernels without BTF), picks per event kind the first
 * variant that loads and attaches here, consumes the records and hands out
 * decoded events (agent/event.h).  cli/run.c drives it.
 */
#ifndef WARDEN_AGENT_ENGINE_H
#define WARDEN_AGENT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "event.h"
#include "proc_cache.h"   /* wd_container_id_from_cgroup */

struct wd_agent;

struct wd_agent_filter {            /* applied in the kernel where possible */
	uint64_t kinds;                 /* bit per enum wd_event_kind; 0 = all */
	int32_t uid;                    /* -1 = any */
	uint64_t cgroup_id;             /* 0 = any; only this cgroup and below where possible */
	uint32_t pid_tree;              /* 0 = any; only this pid and its descendants (the demo) */
	const char *comm;               /* NULL = any */
	const char *path_prefix;        /* file events: NULL = any */
};

struct wd_agent_opts {
	size_t sz;
	struct wd_agent_filter filter;
	unsigned int latency_ms;        /* consumer drain latency bound, default 100 */
	size_t ring_bytes;              /* default 8 MiB */
	const char *bpf_dir;            /* where bpf/agent*.o are; default $WARDEN_BPF_DIR, then the build/install dirs */
	int transport;                  /* WD_EVENTS_AUTO / RINGBUF / PERFBUF */
};


/* Sweeps what a crashed predecessor left (wd_cleanup via the public API),
 * loads, attaches.  NULL + one-line error in err. */
struct wd_agent *wd_agent_start(const struct wd_agent_opts *o, wd_agent_event_fn fn, void *ctx,
				char *err, size_t errlen);
/* Events handed to fn; returns the records handled, or -EINTR on signal.
 * Sleeps at most min(timeout_ms, latency_ms): the programs skip wake-ups
 * while the ring fills, so call it in a loop (a quiet ring is read when
 * the poll times out). */
int wd_agent_poll(struct wd_agent *a, int timeout_ms);
/* For an outer event loop: readable when records may be waiting; then, and
 * at least every latency_ms, call wd_agent_poll(a, 0). */
int wd_agent_epoll_fd(struct wd_agent *a);
/* The table printed by `warden run --explain`: per kind, the variant
 * chosen and why the others were not. */
void wd_agent_explain(struct wd_agent *a, FILE *out);
/* Probe + try-load, print, unload. */
int wd_agent_explain_only(const struct wd_agent_opts *o, FILE *out, char *err, size_t errlen);
/* Exact counters (the BPF per-CPU counters summed, plus the consumer's). */
void wd_agent_get_stats(struct wd_agent *a, struct wd_event_stats *st);
/* Drain, detach everything fast (< 100 ms whatever the link count), free. */
void wd_agent_stop(struct wd_agent *a);

/* ---- below: for tests and tools ---------------------------------------- */

/* The variant each kind runs on ("raw_tp", "tracepoint", ...), NULL if none. */
const char *wd_agent_variant(struct wd_agent *a, enum wd_event_kind k);
/* Links attached, and how long the last wd_agent_stop() took is measured by
 * the caller.  The transport chosen. */
unsigned int wd_agent_link_count(struct wd_agent *a);
const char *wd_agent_transport(struct wd_agent *a);

/* Where wd_agent_start() went (--explain, tests, bench/agent). */
struct wd_agent_startup {
	unsigned int progs_loaded;      /* programs in the kernel: the chosen variants' only */
	unsigned int object_loads;      /* 1 unless the verifier refused a first choice */
	int64_t probe_ns;               /* the predecessor sweep, probes, tracefs */
	int64_t load_ns;                /* open, CO-RE, verifier */
	int64_t attach_ns;              /* configuration, consumer, links */
	int64_t total_ns;
};
void wd_agent_get_startup(struct wd_agent *a, struct wd_agent_startup *st);
/* Is program `prog` of the agent's object loaded in the kernel? */
bool wd_agent_prog_loaded(struct wd_agent *a, const char *prog);
/* The consumer path alone on a ring buffer fd the caller fills with the
 * agent's records (bench/agent/pipeline.c): no object, no programs.  NULL +
 * one-line error in err.  Poll, stats and stop as for wd_agent_start(). */
struct wd_agent *wd_agent_consume_fd(const struct wd_agent_opts *o, int ring_fd, wd_agent_event_fn fn,
				     void *ctx, char *err, size_t errlen);


#endif
