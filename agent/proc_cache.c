// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Enrichment that BPF does not carry: the executable path of a process
 * (remembered from its exec event, or read from /proc/<pid>/exe once) and
 * the container id of a cgroup (parsed from its path, read from
 * /proc/<pid>/cgroup once per cgroup id).  Both caches are direct-mapped
 * and bounded: memory does not grow with the number of processes.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "proc_cache.h"

#define EXE_SLOTS 4096
#define CG_SLOTS 512

struct exe_slot {
	uint32_t pid;
	uint64_t start_ns;
	char *exe;
};

struct cg_slot {
	uint64_t cgroup_id;      /* 0: free */
	bool container;
	char id[80];
};

struct wd_proc_cache {
	struct exe_slot exe[EXE_SLOTS];
	struct cg_slot cg[CG_SLOTS];
};

struct wd_proc_cache *wd_proc_cache_new(void)
{
	return calloc(1, sizeof(struct wd_proc_cache));
}

void wd_proc_cache_free(struct wd_proc_cache *pc)
{
	if (!pc)
		return;
	for (int i = 0; i < EXE_SLOTS; i++)
		free(pc->exe[i].exe);
	free(pc);
}

void wd_proc_cache_set_exe(struct wd_proc_cache *pc, uint32_t pid, uint64_t start_ns, const char *exe)
{
	struct exe_slot *s = &pc->exe[pid % EXE_SLOTS];
	char *copy = exe ? strdup(exe) : NULL;

	free(s->exe);
	s->pid = pid;
	s->start_ns = start_ns;
	s->exe = copy;
}

const char *wd_proc_cache_exe(struct wd_proc_cache *pc, uint32_t pid, uint64_t start_ns)
{
	struct exe_slot *s = &pc->exe[pid % EXE_SLOTS];
	char path[64], buf[PATH_MAX];
	ssize_t n;

	if (!pid)
		return NULL;
	if (s->pid == pid && s->start_ns == start_ns && s->exe)
		return s->exe;
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	wd_proc_cache_set_exe(pc, pid, start_ns, buf);
	return s->exe;
}

const char *wd_proc_cwd(uint32_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/cwd", pid);
	n = readlink(path, buf, len - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

static bool hex_run(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool starts(const char *s, size_t n, const char *prefix)
{
	size_t p = strlen(prefix);
	return n >= p && !memcmp(s, prefix, p);
}

/* One path component: the container id in it, or 0. */
static size_t component_id(const char *c, size_t n, char *out, size_t len)
{
	static const char *const prefixes[] = { "docker-", "cri-containerd-", "crio-", "libpod-",
						"containerd-", "cri-o-", "" };
	const char *end = c + n;

	if (n > 6 && !memcmp(end - 6, ".scope", 6))
		end -= 6;
	/* conmon is the monitor next to a container, not the container */
	if (starts(c, n, "libpod-conmon-") || starts(c, n, "crio-conmon-"))
		return 0;
	/* systemd-nspawn (and machinectl): machine-<name>.scope, '-' escaped as \x2d */
	if (starts(c, n, "machine-") && end != c + n) {
		size_t o = 0;
		for (const char *p = c + 8; p < end && o + 1 < len; p++) {
			if (p + 3 < end && p[0] == '\\' && p[1] == 'x' && isxdigit((unsigned char)p[2]) &&
			    isxdigit((unsigned char)p[3])) {
				char hex[3] = { p[2], p[3], 0 };
				out[o++] = (char)strtol(hex, NULL, 16);
				p += 3;
			} else {
				out[o++] = *p;
			}
		}
		if (len)
			out[o < len ? o : len - 1] = '\0';
		return o;
	}
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t p = strlen(prefixes[i]);
		if (!starts(c, end - c, prefixes[i]))
			continue;
		const char *id = c + p;
		size_t idn = end - id;
		if (idn == 64 && hex_run(id, 64)) {
			if (len <= 64)
				return 0;
			memcpy(out, id, 64);
			out[64] = '\0';
			return 64;
		}
	}
	return 0;
}

size_t wd_container_id_from_cgroup(const char *path, char *out, size_t len)
{
	const char *end, *start;

	if (!path || !out || !len)
		return 0;
	out[0] = '\0';
	end = path + strlen(path);
	while (end > path && end[-1] == '\n')
		end--;
	/* from the leaf up: podman puts processes in libpod-<id>.scope/container */
	while (end > path) {
		start = end;
		while (start > path && start[-1] != '/')
			start--;
		if (end > start) {
			size_t n = component_id(start, end - start, out, len);
			if (n)
				return n;
		}
		end = start > path ? start - 1 : path;
	}
	out[0] = '\0';
	return 0;
}

const char *wd_proc_cache_container(struct wd_proc_cache *pc, uint64_t cgroup_id, uint32_t pid)
{
	struct cg_slot *s;
	char path[64], line[4096];
	FILE *f;

	if (!cgroup_id || cgroup_id == 1)
		return NULL;
	s = &pc->cg[cgroup_id % CG_SLOTS];
	if (s->cgroup_id == cgroup_id)
		return s->container ? s->id : NULL;
	if (!pid)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	if (!(f = fopen(path, "re")))
		return NULL;  /* gone: try again with the next process of that cgroup */
	s->cgroup_id = cgroup_id;
	s->container = false;
	while (fgets(line, sizeof(line), f)) {
		/* cgroup v2: "0::/path"; v1 lines: "N:controllers:/path" */
		char *p = strchr(line, ':');
		p = p ? strchr(p + 1, ':') : NULL;
		if (!p)
			continue;
		if (wd_container_id_from_cgroup(p + 1, s->id, sizeof(s->id))) {
			s->container = true;
			break;
		}
	}
	fclose(f);
	return s->container ? s->id : NULL;
}
