// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The one reader of /sys/devices/system/cpu/{possible,online} ("0-3,5").
 * Two numbers come from a list and they differ when it has holes ("0,2-5"):
 *   - the count (5): how many values a per-CPU map lookup returns, one per
 *     possible CPU in id order (kernel/bpf/arraymap.c bpf_percpu_array_copy,
 *     for_each_possible_cpu);
 *   - the bound, highest id + 1 (6): the entries of a map indexed by CPU id,
 *     such as a perf event array written with BPF_F_CURRENT_CPU.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cpus.h"

bool *wd_cpu_list_parse(const char *text, int *bound)
{
	bool *set = NULL;
	int max = -1;
	const char *p = text;

	*bound = 0;
	while (p && *p >= '0' && *p <= '9') {
		char *end;
		long a = strtol(p, &end, 10), b = a;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		if (b < a || b > 65535)
			break;
		if (b > max) {
			bool *ns = realloc(set, (size_t)b + 1);
			if (!ns)
				break;
			memset(ns + max + 1, 0, (size_t)(b - max));
			set = ns;
			max = (int)b;
		}
		memset(set + a, 1, (size_t)(b - a + 1));
		p = *end == ',' ? end + 1 : NULL;
	}
	*bound = max + 1;
	return set;
}

bool *wd_cpu_list(const char *which, int *bound)
{
	char path[96], text[4096];
	FILE *f;

	*bound = 0;
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/%s", which);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	if (!fgets(text, sizeof(text), f))
		text[0] = '\0';
	fclose(f);
	return wd_cpu_list_parse(text, bound);
}

static void possible(int *count, int *bound)
{
	static int c, b;
	if (!c) {
		int n = 0, k = 0;
		bool *set = wd_cpu_list("possible", &n);
		for (int i = 0; set && i < n; i++)
			k += set[i];
		free(set);
		b = n > 0 ? n : (int)sysconf(_SC_NPROCESSORS_CONF);
		c = k > 0 ? k : b;
	}
	*count = c;
	*bound = b;
}

int wd_cpu_possible_count(void)
{
	int c, b;
	possible(&c, &b);
	return c;
}

int wd_cpu_possible_bound(void)
{
	int c, b;
	possible(&c, &b);
	return b;
}
