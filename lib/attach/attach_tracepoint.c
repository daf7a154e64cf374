// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tracepoint/<category>/<name> (and tp/...): perf_event_open of type
 * PERF_TYPE_TRACEPOINT on the id from tracefs events/<cat>/<name>/id, then
 * the program on that perf event (lib/attach_perf.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "attach.h"
#include "host/tracefs.h"

struct wd_link *wd_prog_attach_tracepoint(struct wd_prog *prog, const char *category,
					  const char *name)
{
	const char *dir;
	int err, id, pfd;
	if ((err = wd_attach_check(prog, "tracepoint")))
		return wd_attach_fail(err);
	if (!category || !*category || !name || !*name)
		return wd_attach_fail(wd_err(-EINVAL, "attach tracepoint: program '%s': "
					     "expected a category and a name "
					     "(tracepoint/<category>/<name>)", prog->name));
	if ((err = wd_tracefs_dir(&dir)) || (id = wd_tracefs_event_id(dir, category, name)) < 0) {
		wd_err_prefix("attach '%s': ", prog->name);
		return wd_attach_fail(err ? err : id);
	}
	pfd = wd_perf_open_tracepoint(id, -1);
	if (pfd < 0) {
		wd_err(pfd, "attach '%s': perf_event_open of tracepoint %s/%s (id %d) failed: %s",
		       prog->name, category, name, id, strerror(-pfd));
		return wd_attach_fail(pfd);
	}
	return wd_perf_link(prog, pfd, 0, NULL, "tracepoint %s/%s", category, name);
}
