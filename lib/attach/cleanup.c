// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `warden cleanup`: what dead warden processes left in the kernel.  Legacy
 * trace entries (legacy.c) and TC filters and clsact qdiscs (cleanup_net.c);
 * an owner that still runs keeps everything it made.
 */
#include "attach.h"

/* Trace entries here, TC filters and qdiscs in cleanup_net.c. */
int wd_cleanup_stale_report(bool dry_run, wd_stale_fn fn, void *ctx)
{
	int n = wd_legacy_sweep(dry_run, fn, ctx), net;
	if (n < 0)
		return n;
	net = wd_cleanup_stale_net(dry_run);
	return net < 0 ? net : n + net;
}

int wd_cleanup_stale(bool dry_run)
{
	return wd_cleanup_stale_report(dry_run, NULL, NULL);
}

