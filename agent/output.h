/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where the agent's events go.  An output takes a decoded event (agent/event.h)
 * with its JSON line already written (ECS, one line, no trailing newline), so
 * that several outputs share one serialisation.  Outputs are called from the
 * consumer thread and must not block on the network: a sink that ships events
 * elsewhere (fleet/) queues them and works in a thread of its own.
 */
#ifndef WARDEN_AGENT_OUTPUT_H
#define WARDEN_AGENT_OUTPUT_H

#include <stddef.h>
#include "event.h"

struct wd_output;

struct wd_output_ops {
	const char *name;                 /* "file", "stdout", "clickhouse" */
	/* 0 or -errno (the event is then counted as an output error). */
	int (*write)(struct wd_output *out, const struct wd_event *ev,
		     const char *json, size_t json_len);
	/* SIGHUP: reopen files (log rotation by an outside tool). */
	int (*reopen)(struct wd_output *out);
	/* Flush and free; must not lose what was written (spool, fsync...). */
	void (*close)(struct wd_output *out);
	/* Counters of this output that go into stats records, or NULL. */
	void (*stats)(struct wd_output *out, char *buf, size_t len); /* JSON object body */
};

struct wd_output {
	const struct wd_output_ops *ops;
	void *priv;
};

#endif
