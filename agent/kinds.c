// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Event kind names (ECS event.action) and categories. */
#include <linux/types.h>
#include <string.h>
#include "event.h"
#include "bpf/include/warden_agent.h"

_Static_assert((int)WA_K__COUNT == (int)WD_EV__COUNT, "bpf/include/warden_agent.h kinds");
_Static_assert((int)WA_K_MEMFD == (int)WD_EV_MEMFD, "bpf/include/warden_agent.h kinds");
_Static_assert((int)WA_K_NET_CONNECT == (int)WD_EV_NET_CONNECT, "bpf/include/warden_agent.h kinds");
_Static_assert(WD_EV__COUNT <= WA_NKINDS, "counters per kind");

static const struct {
	const char *name, *category;
} kinds[WD_EV__COUNT] = {
	[WD_EV_EXEC] = { "exec", "process" },
	[WD_EV_FORK] = { "fork", "process" },
	[WD_EV_EXIT] = { "exit", "process" },
	[WD_EV_CRED] = { "cred", "process" },
	[WD_EV_PTRACE] = { "ptrace", "process" },
	[WD_EV_NAMESPACE] = { "namespace", "process" },
	[WD_EV_FILE_OPEN] = { "open", "file" },
	[WD_EV_FILE_UNLINK] = { "unlink", "file" },
	[WD_EV_FILE_RENAME] = { "rename", "file" },
	[WD_EV_FILE_CHMOD] = { "chmod", "file" },
	[WD_EV_FILE_CHOWN] = { "chown", "file" },
	[WD_EV_FILE_LINK] = { "link", "file" },
	[WD_EV_FILE_SYMLINK] = { "symlink", "file" },
	[WD_EV_FILE_TRUNCATE] = { "truncate", "file" },
	[WD_EV_NET_CONNECT] = { "connect", "network" },
	[WD_EV_NET_ACCEPT] = { "accept", "network" },
	[WD_EV_NET_CLOSE] = { "close", "network" },
	[WD_EV_NET_LISTEN] = { "listen", "network" },
	[WD_EV_NET_BIND] = { "bind", "network" },
	[WD_EV_NET_UDP_SEND] = { "udp_send", "network" },
	[WD_EV_MODULE_LOAD] = { "module_load", "driver" },
	[WD_EV_BPF_PROG] = { "bpf_prog_load", "host" },
	[WD_EV_BPF_MAP] = { "bpf_map_create", "host" },
	[WD_EV_MOUNT] = { "mount", "host" },
	[WD_EV_UMOUNT] = { "umount", "host" },
	[WD_EV_MEMFD] = { "memfd_create", "process" },
	[WD_EV_STATS] = { "stats", "host" },
};

const char *wd_event_kind_name(enum wd_event_kind k)
{
	return (unsigned)k < WD_EV__COUNT ? kinds[k].name : NULL;
}

int wd_event_kind_from_name(const char *name)
{
	if (!name)
		return -1;
	for (int k = 0; k < WD_EV__COUNT; k++)
		if (!strcmp(kinds[k].name, name))
			return k;
	return -1;
}

const char *wd_event_kind_category(enum wd_event_kind k)
{
	return (unsigned)k < WD_EV__COUNT ? kinds[k].category : NULL;
}
