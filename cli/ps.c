// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* warden ps [--json]: BPF programs, maps and links loaded on this host. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "json.h"
#include "warden/bpf.h"
#include "warden/features.h"
#include "warden/testing.h"

static const char ps_usage[] =
	"usage: warden ps [--json]\n"
	"\n"
	"List the BPF programs, maps and links loaded on this host: id, type, name,\n"
	"attach point (links), owner pids (from /proc/*/fdinfo), memory (memlock), and\n"
	"run count / run time when kernel.bpf_stats_enabled is 1 (warden never changes\n"
	"it: sysctl -w kernel.bpf_stats_enabled=1).\n";

enum kind { K_PROG, K_MAP, K_LINK, K__N };
static const char *const kind_key[K__N] = { "prog_id:", "map_id:", "link_id:" };
static const char *const kind_name[K__N] = { "prog", "map", "link" };

/* Owner pids of every object: pairs (kind, id, pid) from /proc/<pid>/fdinfo. */
struct owner { uint32_t id; int pid; enum kind k; };
struct owners { struct owner *v; size_t n, cap; };

static void add_owner(struct owners *o, enum kind k, uint32_t id, int pid)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->v[i].k == k && o->v[i].id == id && o->v[i].pid == pid)
			return;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		struct owner *n = realloc(o->v, cap * sizeof(*n));
		if (!n)
			return;
		o->v = n;
		o->cap = cap;
	}
	o->v[o->n++] = (struct owner){ id, pid, k };
}

static void scan_fdinfo(struct owners *o, int pid)
{
	char dir[64], path[400], line[256];
	DIR *d;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", pid);
	if (!(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		FILE *f;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!(f = fopen(path, "re")))
			continue;
		while (fgets(line, sizeof(line), f))
			for (int k = 0; k < K__N; k++)
				if (!strncmp(line, kind_key[k], strlen(kind_key[k])))
					add_owner(o, (enum kind)k, (uint32_t)strtoul(line + strlen(kind_key[k]),
						  NULL, 10), pid);
		fclose(f);
	}
	closedir(d);
}

static void scan_owners(struct owners *o)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int self = getpid();

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9' && atoi(e->d_name) != self)
			scan_fdinfo(o, atoi(e->d_name));
	closedir(d);
}

static void owner_list(const struct owners *o, enum kind k, uint32_t id, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < o->n && len + 12 < size; i++)
		if (o->v[i].k == k && o->v[i].id == id)
			len += snprintf(buf + len, size - len, "%s%d", len ? "," : "", o->v[i].pid);
}

/* "memlock:" of our own fd for the object (kernel's accounting), 0 if absent. */
static unsigned long long fd_memlock(int fd)
{
	char path[64], line[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (!(f = fopen(path, "re")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

struct row {
	enum kind k;
	uint32_t id;
	char type[48], name[64], attach[128], owners[128];
	unsigned long long memlock, run_cnt, run_ns;
};

static void fill_prog(int fd, struct row *r)
{
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);
	const char *t;

	if (wd_sys_obj_info(fd, &info, &len))
		return;
	t = wd_prog_type_name(info.type);
	snprintf(r->type, sizeof(r->type), "%s", t ? t : "?");
	snprintf(r->name, sizeof(r->name), "%s", info.name);
	r->run_cnt = info.run_cnt;
	r->run_ns = info.run_time_ns;
}

static void fill_map(int fd, struct row *r)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	const char *t;

	if (wd_sys_obj_info(fd, &info, &len))
		return;
	t = wd_map_type_name(info.type);
	snprintf(r->type, sizeof(r->type), "%s", t ? t : "?");
	snprintf(r->name, sizeof(r->name), "%s", info.name);
}

static void fill_link(int fd, struct row *r)
{
	static const char *const types[] = { "unspec", "raw_tracepoint", "tracing", "cgroup", "iter",
		"netns", "xdp", "perf_event", "kprobe_multi", "struct_ops", "netfilter", "tcx",
		"uprobe_multi", "netkit", "sockmap" };
	struct bpf_link_info info = { 0 };
	char tp[128] = "";
	uint32_t len = sizeof(info);

	info.raw_tracepoint.tp_name = wd_ptr_to_u64(tp);
	info.raw_tracepoint.tp_name_len = sizeof(tp);
	if (wd_sys_obj_info(fd, &info, &len))
		return;
	snprintf(r->type, sizeof(r->type), "%s", info.type < sizeof(types) / sizeof(types[0]) ?
		 types[info.type] : "?");
	snprintf(r->name, sizeof(r->name), "prog %u", info.prog_id);
	if (info.type == BPF_LINK_TYPE_RAW_TRACEPOINT)
		snprintf(r->attach, sizeof(r->attach), "%s", tp);
	else if (info.type == BPF_LINK_TYPE_TRACING)
		snprintf(r->attach, sizeof(r->attach), "btf_id %u (obj %u)",
			 info.tracing.target_btf_id, info.tracing.target_obj_id);
	else if (info.type == BPF_LINK_TYPE_CGROUP)
		snprintf(r->attach, sizeof(r->attach), "cgroup %llu",
			 (unsigned long long)info.cgroup.cgroup_id);
	else if (info.type == BPF_LINK_TYPE_XDP)
		snprintf(r->attach, sizeof(r->attach), "ifindex %u", info.xdp.ifindex);
	else if (info.type == BPF_LINK_TYPE_NETNS)
		snprintf(r->attach, sizeof(r->attach), "netns %u", info.netns.netns_ino);
}

static int walk(enum kind k, const struct owners *o, struct row **rows, size_t *n)
{
	static const int next_cmd[K__N] = { BPF_PROG_GET_NEXT_ID, BPF_MAP_GET_NEXT_ID, BPF_LINK_GET_NEXT_ID };
	static const int fd_cmd[K__N] = { BPF_PROG_GET_FD_BY_ID, BPF_MAP_GET_FD_BY_ID, BPF_LINK_GET_FD_BY_ID };
	uint32_t id = 0;
	int err;

	while ((err = wd_sys_get_next_id(next_cmd[k], id, &id)) == 0) {
		int fd = wd_sys_get_fd_by_id(fd_cmd[k], id);
		struct row *nr, *r;
		if (fd < 0)
			continue; /* gone meanwhile */
		if (!(nr = realloc(*rows, (*n + 1) * sizeof(**rows)))) {
			close(fd);
			return -ENOMEM;
		}
		*rows = nr;
		r = &nr[(*n)++];
		memset(r, 0, sizeof(*r));
		r->k = k;
		r->id = id;
		k == K_PROG ? fill_prog(fd, r) : k == K_MAP ? fill_map(fd, r) : fill_link(fd, r);
		r->memlock = fd_memlock(fd);
		owner_list(o, k, id, r->owners, sizeof(r->owners));
		close(fd);
	}
	/* BPF_LINK_GET_NEXT_ID is 5.8: a kernel without it (RHEL 7, 5.4 LTS)
	 * has no BPF links to list, its programs and maps still are. */
	if (k == K_LINK && err == -EINVAL && id == 0)
		return 0;
	return err == -ENOENT ? 0 : err;
}

static bool stats_enabled(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "re");
	int v = 0;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v == 1;
}

static void print_text(const struct row *rows, size_t n, bool stats)
{
	printf("%-5s %7s  %-22s %-18s %-12s %10s  %s\n", "KIND", "ID", "TYPE", "NAME", "PIDS",
	       "MEMLOCK", stats ? "RUN_CNT RUN_TIME_NS / ATTACH" : "ATTACH");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		char st[64] = "";
		if (stats && r->k == K_PROG)
			snprintf(st, sizeof(st), "%llu %llu ", r->run_cnt, r->run_ns);
		printf("%-5s %7u  %-22s %-18s %-12s %10llu  %s%s\n", kind_name[r->k], r->id, r->type,
		       r->name, r->owners[0] ? r->owners : "-", r->memlock, st, r->attach);
	}
	if (!stats)
		printf("(run count/time: enable with sysctl kernel.bpf_stats_enabled=1)\n");
}

static void print_json(const struct row *rows, size_t n, bool stats)
{
	struct json j;

	json_begin(&j, stdout);
	json_kv_bool(&j, "bpf_stats_enabled", stats);
	for (int k = 0; k < K__N; k++) {
		char key[16];
		snprintf(key, sizeof(key), "%ss", kind_name[k]);
		json_key(&j, key);
		json_arr_open(&j);
		for (size_t i = 0; i < n; i++) {
			const struct row *r = &rows[i];
			if (r->k != (enum kind)k)
				continue;
			json_obj_open(&j);
			json_kv_u64(&j, "id", r->id);
			json_kv_str(&j, "type", r->type);
			json_kv_str(&j, "name", r->name);
			if (k == K_LINK)
				json_kv_str(&j, "attach", r->attach);
			json_kv_str(&j, "pids", r->owners);
			json_kv_u64(&j, "memlock", r->memlock);
			if (k == K_PROG && stats) {
				json_kv_u64(&j, "run_cnt", r->run_cnt);
				json_kv_u64(&j, "run_time_ns", r->run_ns);
			}
			json_obj_close(&j);
		}
		json_arr_close(&j);
	}
	json_end(&j);
}

static int cmd_ps(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	struct owners o = { 0 };
	struct row *rows = NULL;
	size_t n = 0;
	bool json = false, stats;
	int c, err = 0;

	if (wd_emulate_from_env() < 0)
		return cli_usage_error("ps", "unknown WARDEN_EMULATE profile");
	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': fputs(ps_usage, stdout); return 0;
		default: return cli_usage_error("ps", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error("ps", "no arguments expected");
	scan_owners(&o);
	for (int k = 0; k < K__N && !err; k++)
		err = walk((enum kind)k, &o, &rows, &n);
	free(o.v);
	if (err) {
		free(rows);
		return cli_fail("ps", "cannot list BPF objects: %s%s", strerror(-err),
				err == -EPERM ? " (needs CAP_SYS_ADMIN)" : "");
	}
	stats = stats_enabled();
	json ? print_json(rows, n, stats) : print_text(rows, n, stats);
	free(rows);
	return 0;
}

WD_CLI_COMMAND("ps", cmd_ps, "list BPF programs, maps and links loaded on this host");
