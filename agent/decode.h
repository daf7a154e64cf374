/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Records -> struct wd_event (agent/decode.c), private to the engine. */
#ifndef WARDEN_AGENT_DECODE_H
#define WARDEN_AGENT_DECODE_H

#include <linux/types.h>
#include <stdbool.h>
#include <stdint.h>
#include "event.h"
#include "bpf/include/warden_agent.h"

#define WD_PENDING_MAX 64

struct wd_pending {
	uint64_t id;             /* 0: free */
	uint64_t born;           /* decoder tick when the first chunk came */
	uint32_t nchunks;        /* received */
	uint32_t contiguous;     /* bytes received from offset 0 without a hole */
	uint32_t got;            /* bytes received in all */
	char *buf;               /* WA_ARGS_MAX + 1 */
};

struct wd_proc_cache;

struct wd_decoder {
	wd_agent_event_fn fn;
	void *ctx;
	uint64_t seq;
	int64_t boot_to_real;    /* CLOCK_REALTIME - CLOCK_BOOTTIME */
	int64_t mono_to_real;    /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	uint64_t tick;           /* records decoded */
	uint64_t received[WD_EV__COUNT];
	uint64_t truncated;      /* seen by user space (chunks missing) */
	uint64_t chunks_incomplete;
	uint64_t output_errors;
	uint64_t bad_records;
	const char *path_prefix;  /* file events: relative paths made absolute are checked here */
	uint64_t filtered;        /* dropped by that check */
	struct wd_pending pending[WD_PENDING_MAX];
	struct wd_proc_cache *pc;
};

/* Sequence numbers of one run start above wd_decoder_seq_base(its start
 * on CLOCK_BOOTTIME, ns): monotonic across restarts within a boot. */
#define WD_SEQ_RUN_SHIFT 24
uint64_t wd_decoder_seq_base(int64_t boot_ns);
int wd_decoder_init(struct wd_decoder *d, wd_agent_event_fn fn, void *ctx);
void wd_decoder_free(struct wd_decoder *d);
/* One record from the ring/perf buffer: 0, or fn's negative return. */
int wd_decode_record(struct wd_decoder *d, const void *data, size_t size);
/* Count and free chunk sets that never got their event (at stop). */
void wd_decoder_flush(struct wd_decoder *d);
void wd_decoder_clock_sync(struct wd_decoder *d);

/* agent/proc_cache.c */
#endif
