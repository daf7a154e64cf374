/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The agent's event (agent/event.h) as the fleet sink's typed row
 * (fleet/fleet.h).  The fleet layer sits on the agent's event model; the
 * agent knows nothing of the fleet.
 */
#ifndef WARDEN_FLEET_AGENT_ROWS_H
#define WARDEN_FLEET_AGENT_ROWS_H

#include <stddef.h>
#include "agent/event.h"
#include "fleet.h"

/* Storage for the row's strings that the event does not hold as such. */
struct wd_fleet_row_buf {
	char comm[17];
	char args[4096];        /* argv joined by spaces (cut at 4095 bytes) */
	char src[46], dst[46];  /* INET6_ADDRSTRLEN */
};

/* Network events: the initiator is the source, as in the JSON line (for
 * accept, listen and bind the peer/local ends are swapped). */
void wd_fleet_row_from_event(const struct wd_event *ev, const char *json, size_t json_len,
			     struct wd_fleet_row_buf *rb, struct wd_fleet_row *row);

#endif
