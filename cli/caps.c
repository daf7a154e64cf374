// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Effective capabilities from /proc/self/status (CapEff), for messages:
 * "refused (EPERM)" alone does not say what to change. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "caps.h"

#define CAP_NET_ADMIN_BIT 12
#define CAP_SYS_ADMIN_BIT 21
#define CAP_PERFMON_BIT 38   /* 5.8 */
#define CAP_BPF_BIT 39       /* 5.8 */

static uint64_t cap_eff(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	uint64_t v = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %" SCNx64, &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static bool has(uint64_t caps, int bit)
{
	return caps >> bit & 1;
}

bool cli_missing_caps(enum cli_need need, char *buf, size_t size)
{
	uint64_t c = cap_eff();
	bool admin = has(c, CAP_SYS_ADMIN_BIT);
	if (need == CLI_NEED_BPF) {
		/* CAP_BPF alone loads most types; tracing also takes CAP_PERFMON
		 * (5.8+, kernel commit a17b53c4a4b5); CAP_SYS_ADMIN covers both */
		if (admin || (has(c, CAP_BPF_BIT) && has(c, CAP_PERFMON_BIT)))
			return false;
		snprintf(buf, size, "this process (uid %u) lacks %s: the kernel refuses BPF with "
			 "EPERM; run as root, or grant CAP_BPF and CAP_PERFMON (5.8+)",
			 (unsigned)geteuid(), has(c, CAP_BPF_BIT) ? "CAP_PERFMON and CAP_SYS_ADMIN" :
			 "CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN");
		return true;
	}
	if (admin && has(c, CAP_NET_ADMIN_BIT) && geteuid() == 0)
		return false;
	snprintf(buf, size, "this process (uid %u) %s: tracefs event files are root's, and TC "
		 "filters take CAP_NET_ADMIN; run as root", (unsigned)geteuid(),
		 geteuid() ? "is not root" : !admin ? "lacks CAP_SYS_ADMIN" : "lacks CAP_NET_ADMIN");
	return true;
}
