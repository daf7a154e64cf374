// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* CPU lists of /sys/devices/system/cpu (cpus.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cpus.h"

static bool *cpu_list_parse(FILE *f, int *n)
{
	bool *set = NULL;
	int a, b, max = -1;
	char sep = ',';

	while (sep == ',' && fscanf(f, "%d", &a) == 1) {
		b = a;
		if (fscanf(f, "%c", &sep) != 1)
			sep = '\n';
		if (sep == '-' && (fscanf(f, "%d", &b) != 1 || fscanf(f, "%c", &sep) != 1))
			sep = '\n';
		if (b < a || b > 65535)
			break;
		if (b > max) {
			bool *ns = realloc(set, b + 1);
			if (!ns)
				break;
			memset(ns + max + 1, 0, b - max);
			set = ns;
			max = b;
		}
		memset(set + a, 1, b - a + 1);
	}
	*n = max + 1;
	return set;
}

bool *wd_cpu_list(const char *which, int *n)
{
	char path[96];
	FILE *f;
	bool *set;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/%s", which);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	set = cpu_list_parse(f, n);
	fclose(f);
	return set;
}

int wd_possible_cpus(void)
{
	static int cached;
	int n = 0;
	bool *set;

	if (cached)
		return cached;
	set = wd_cpu_list("possible", &n);
	free(set);
	return cached = n > 0 ? n : (int)sysconf(_SC_NPROCESSORS_CONF);
}
