// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* warden ps: BPF programs, maps and links loaded on this host, with owners. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "json.h"
#include "objinfo.h"
#include "warden/bpf.h"
#include "warden/features.h"
#include "warden/testing.h"

static const char ps_usage[] =
	"usage: warden ps [prog|map|link] [--id N] [--name NAME] [--type TYPE] [--owner PID|COMM]\n"
	"                 [--no-pins] [-j|--json]\n"
	"\n"
	"List the BPF programs, maps and links loaded on this host: id, type, name (the\n"
	"whole name from BTF where the kernel keeps 15 characters), owners as comm(pid)\n"
	"(from /proc/*/fd), pin paths (bpffs), memory (memlock), where each program is\n"
	"attached (its links, and perf events a process holds), and run count / run\n"
	"time when kernel.bpf_stats_enabled is 1 (warden never changes it:\n"
	"sysctl -w kernel.bpf_stats_enabled=1).  Links are named by kind (tracepoint,\n"
	"uprobe, kprobe, raw_tracepoint, fentry, tp_btf, cgroup_*, xdp, tcx_*) and\n"
	"attach point.\n"
	"\n"
	"  prog|map|link     only that kind of object\n"
	"  --id N            only the object with this id\n"
	"  --name NAME       only objects whose name contains NAME\n"
	"  --type TYPE       only this type (tracepoint, hash, perf_event, ...; a link\n"
	"                    matches its link type or its kind)\n"
	"  --owner PID|COMM  only objects a process holds (by pid or command name)\n"
	"  --no-pins         do not walk bpffs for pin paths\n"
	"  -j, --json        JSON: {\"bpf_stats_enabled\", \"progs\", \"maps\", \"links\"};\n"
	"                    pids as [{\"pid\", \"comm\"}], programs with tag, loaded_at,\n"
	"                    load_time_ns (Unix), map_ids and attached\n"
	"  -h, --help        this text\n";

struct row {
	enum obj_kind k;
	uint32_t id, prog_id, uid, *map_ids, nr_map_ids;
	char type[48], name[128], attach[256], tag[20], loaded_at[32];
	char **attached;
	size_t nr_attached;
	unsigned long long memlock, run_cnt, run_ns, load_ns;
};

struct filter {
	int kind;               /* -1: every kind */
	long long id;           /* -1: any */
	const char *name, *type, *owner;
};

static const char *const kind_name[OBJ__N] = { "prog", "map", "link" };

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

static void add_attached(struct row *r, const char *what)
{
	for (size_t i = 0; i < r->nr_attached; i++)
		if (!strcmp(r->attached[i], what))
			return;
	char **n = realloc(r->attached, (r->nr_attached + 1) * sizeof(*n));
	if (!n)
		return;
	r->attached = n;
	if ((n[r->nr_attached] = strdup(what)))
		r->nr_attached++;
}

static void fill_prog(int fd, struct row *r)
{
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);
	const char *t;

	if (wd_sys_obj_info(fd, &info, &len))
		return;
	t = wd_prog_type_name(info.type);
	snprintf(r->type, sizeof(r->type), "%s", t ? t : "?");
	prog_full_name(fd, &info, r->name, sizeof(r->name));
	prog_tag_str(&info, r->tag, sizeof(r->tag));
	prog_load_time_str(&info, r->loaded_at, sizeof(r->loaded_at));
	r->load_ns = prog_load_unix_ns(&info);
	r->uid = info.created_by_uid;
	r->run_cnt = info.run_cnt;
	r->run_ns = info.run_time_ns;
	r->map_ids = prog_map_ids(fd, &r->nr_map_ids);
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
	struct link_desc d;

	if (link_describe(fd, &d))
		return;
	r->prog_id = d.prog_id;
	snprintf(r->type, sizeof(r->type), "%s", d.kind);
	snprintf(r->attach, sizeof(r->attach), "%s", d.attach);
	/* the link's name is its program's */
	int pfd = wd_sys_get_fd_by_id(BPF_PROG_GET_FD_BY_ID, d.prog_id);
	if (pfd >= 0) {
		struct bpf_prog_info info = { 0 };
		uint32_t len = sizeof(info);
		if (!wd_sys_obj_info(pfd, &info, &len))
			prog_full_name(pfd, &info, r->name, sizeof(r->name));
		close(pfd);
	}
	if (!r->name[0])
		snprintf(r->name, sizeof(r->name), "prog %u", d.prog_id);
}

static int walk(enum obj_kind k, struct row **rows, size_t *n)
{
	static const int next_cmd[OBJ__N] = { BPF_PROG_GET_NEXT_ID, BPF_MAP_GET_NEXT_ID, BPF_LINK_GET_NEXT_ID };
	static const int fd_cmd[OBJ__N] = { BPF_PROG_GET_FD_BY_ID, BPF_MAP_GET_FD_BY_ID, BPF_LINK_GET_FD_BY_ID };
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
		k == OBJ_PROG ? fill_prog(fd, r) : k == OBJ_MAP ? fill_map(fd, r) : fill_link(fd, r);
		r->memlock = fd_memlock(fd);
		close(fd);
	}
	/* BPF_LINK_GET_NEXT_ID is 5.8: a kernel without it (RHEL 7, 5.4 LTS)
	 * has no BPF links to list, its programs and maps still are. */
	if (k == OBJ_LINK && err == -EINVAL && id == 0)
		return 0;
	return err == -ENOENT ? 0 : err;
}

/* A perf event a link holds is shown once, as the link. */
static bool via_link(const struct row *r, const char *what)
{
	size_t len = strlen(what);
	for (size_t i = 0; i < r->nr_attached; i++)
		if (!strncmp(r->attached[i], what, len) && !strncmp(r->attached[i] + len, " (link ", 7))
			return true;
	return false;
}

/* Where each program is attached: its links, and the perf events processes hold. */
static void link_programs(struct row *rows, size_t n, const struct host_objs *h)
{
	char what[512];
	for (size_t i = 0; i < n; i++) {
		if (rows[i].k != OBJ_LINK)
			continue;
		/* 5.15-6.5 describe no perf_event link: the perf event its owner
		 * holds (BPF_TASK_FD_QUERY) says what it is */
		for (size_t a = 0; !rows[i].attach[0] && !strcmp(rows[i].type, "perf_event") &&
				   a < h->nr_fd_attach; a++) {
			const char *w = h->fd_attach[a].what, *sp = strchr(w, ' ');
			if (h->fd_attach[a].prog_id != rows[i].prog_id || !sp)
				continue;
			snprintf(rows[i].type, sizeof(rows[i].type), "%.*s", (int)(sp - w), w);
			snprintf(rows[i].attach, sizeof(rows[i].attach), "%s", sp + 1);
		}
		for (size_t p = 0; p < n; p++)
			if (rows[p].k == OBJ_PROG && rows[p].id == rows[i].prog_id) {
				snprintf(what, sizeof(what), "%s%s%s (link %u)", rows[i].type,
					 rows[i].attach[0] ? " " : "", rows[i].attach, rows[i].id);
				add_attached(&rows[p], what);
			}
	}
	for (size_t a = 0; a < h->nr_fd_attach; a++)
		for (size_t p = 0; p < n; p++)
			if (rows[p].k == OBJ_PROG && rows[p].id == h->fd_attach[a].prog_id &&
			    !via_link(&rows[p], h->fd_attach[a].what)) {
				snprintf(what, sizeof(what), "%s (perf event of pid %d)",
					 h->fd_attach[a].what, h->fd_attach[a].pid);
				add_attached(&rows[p], what);
			}
}

static bool owned_by(const struct host_objs *h, const struct row *r, const char *owner)
{
	char *end;
	long pid = strtol(owner, &end, 10);
	for (size_t i = 0; i < h->nr_owners; i++) {
		const struct owner *o = &h->owners[i];
		if (o->kind != r->k || o->id != r->id)
			continue;
		if (*end ? !strcmp(o->comm, owner) : o->pid == pid)
			return true;
	}
	return false;
}

static bool wanted(const struct filter *f, const struct host_objs *h, const struct row *r)
{
	if (f->kind >= 0 && (int)r->k != f->kind)
		return false;
	if (f->id >= 0 && r->id != (uint32_t)f->id)
		return false;
	if (f->name && !strstr(r->name, f->name))
		return false;
	if (f->type && strcmp(r->type, f->type)) {
		/* a link also matches its link type ("perf_event" for a tracepoint link) */
		bool link_type = false;
		if (r->k == OBJ_LINK) {
			int fd = wd_sys_get_fd_by_id(BPF_LINK_GET_FD_BY_ID, r->id);
			struct link_desc d;
			if (fd >= 0) {
				link_type = !link_describe(fd, &d) && !strcmp(link_type_name(d.type), f->type);
				close(fd);
			}
		}
		if (!link_type)
			return false;
	}
	if (f->owner && !owned_by(h, r, f->owner))
		return false;
	return true;
}

static void owner_text(const struct host_objs *h, const struct row *r, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < h->nr_owners && len + 24 < size; i++) {
		const struct owner *o = &h->owners[i];
		if (o->kind == r->k && o->id == r->id)
			len += snprintf(buf + len, size - len, "%s%s(%d)", len ? "," : "", o->comm, o->pid);
	}
	for (size_t i = 0; i < h->nr_pins && len + 8 < size; i++) {
		const struct pin *p = &h->pins[i];
		if (p->kind == r->k && p->id == r->id)
			len += snprintf(buf + len, size - len, "%s%s", len ? "," : "", p->path);
	}
	if (len >= size)
		buf[size - 1] = '\0';
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

static void print_text(const struct row *rows, size_t n, const struct host_objs *h,
		       const struct filter *f, bool stats)
{
	int nw = 18;
	char owners[512], st[64];

	for (size_t i = 0; i < n; i++)
		if (wanted(f, h, &rows[i]) && (int)strlen(rows[i].name) > nw)
			nw = strlen(rows[i].name) > 48 ? 48 : (int)strlen(rows[i].name);
	printf("%-5s %7s  %-16s %-*s %10s  %-24s %s\n", "KIND", "ID", "TYPE", nw, "NAME", "MEMLOCK",
	       "OWNERS/PINS", stats ? "RUN_CNT RUN_TIME_NS / ATTACH" : "ATTACH");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		if (!wanted(f, h, r))
			continue;
		owner_text(h, r, owners, sizeof(owners));
		st[0] = '\0';
		if (stats && r->k == OBJ_PROG)
			snprintf(st, sizeof(st), "%llu %llu ", r->run_cnt, r->run_ns);
		printf("%-5s %7u  %-16s %-*s %10llu  %-24s %s", kind_name[r->k], r->id, r->type, nw,
		       r->name, r->memlock, owners[0] ? owners : "-", st);
		if (r->k == OBJ_LINK)
			printf("%s (prog %u)", r->attach[0] ? r->attach : "?", r->prog_id);
		for (size_t a = 0; a < r->nr_attached; a++)
			printf("%s%s", a ? "; " : "", r->attached[a]);
		fputc('\n', stdout);
	}
	if (!stats)
		printf("(run count/time: enable with sysctl kernel.bpf_stats_enabled=1)\n");
}

static void json_owners(struct json *j, const struct host_objs *h, const struct row *r)
{
	json_key(j, "pids");
	json_arr_open(j);
	for (size_t i = 0; i < h->nr_owners; i++) {
		const struct owner *o = &h->owners[i];
		if (o->kind != r->k || o->id != r->id)
			continue;
		json_obj_open(j);
		json_kv_i64(j, "pid", o->pid);
		json_kv_str(j, "comm", o->comm);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_key(j, "pinned");
	json_arr_open(j);
	for (size_t i = 0; i < h->nr_pins; i++)
		if (h->pins[i].kind == r->k && h->pins[i].id == r->id)
			json_str(j, h->pins[i].path);
	json_arr_close(j);
}

static void print_json(const struct row *rows, size_t n, const struct host_objs *h,
		       const struct filter *f, bool stats)
{
	struct json j;

	json_begin(&j, stdout);
	json_kv_bool(&j, "bpf_stats_enabled", stats);
	for (int k = 0; k < OBJ__N; k++) {
		char key[16];
		snprintf(key, sizeof(key), "%ss", kind_name[k]);
		json_key(&j, key);
		json_arr_open(&j);
		for (size_t i = 0; i < n; i++) {
			const struct row *r = &rows[i];
			if (r->k != (enum obj_kind)k || !wanted(f, h, r))
				continue;
			json_obj_open(&j);
			json_kv_u64(&j, "id", r->id);
			json_kv_str(&j, "type", r->type);
			json_kv_str(&j, "name", r->name);
			if (k == OBJ_LINK) {
				json_kv_str(&j, "attach", r->attach);
				json_kv_u64(&j, "prog_id", r->prog_id);
			}
			if (k == OBJ_PROG) {
				json_kv_str(&j, "tag", r->tag);
				json_kv_str(&j, "loaded_at", r->loaded_at);
				json_kv_u64(&j, "load_time_ns", r->load_ns);
				json_kv_u64(&j, "uid", r->uid);
				json_key(&j, "map_ids");
				json_arr_open(&j);
				for (uint32_t m = 0; m < r->nr_map_ids; m++)
					json_u64(&j, r->map_ids[m]);
				json_arr_close(&j);
				json_key(&j, "attached");
				json_arr_open(&j);
				for (size_t a = 0; a < r->nr_attached; a++)
					json_str(&j, r->attached[a]);
				json_arr_close(&j);
			}
			json_owners(&j, h, r);
			json_kv_u64(&j, "memlock", r->memlock);
			if (k == OBJ_PROG && stats) {
				json_kv_u64(&j, "run_cnt", r->run_cnt);
				json_kv_u64(&j, "run_time_ns", r->run_ns);
			}
			json_obj_close(&j);
		}
		json_arr_close(&j);
	}
	json_end(&j);
}

static void free_rows(struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t a = 0; a < rows[i].nr_attached; a++)
			free(rows[i].attached[a]);
		free(rows[i].attached);
		free(rows[i].map_ids);
	}
	free(rows);
}

static int cmd_ps(int argc, char **argv)
{
	enum { O_ID = 256, O_NAME, O_TYPE, O_OWNER, O_NO_PINS };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		{ "id", required_argument, NULL, O_ID }, { "name", required_argument, NULL, O_NAME },
		{ "type", required_argument, NULL, O_TYPE }, { "owner", required_argument, NULL, O_OWNER },
		{ "no-pins", no_argument, NULL, O_NO_PINS }, { 0 },
	};
	struct filter f = { .kind = -1, .id = -1 };
	struct host_objs h;
	struct row *rows = NULL;
	size_t n = 0;
	bool json = false, pins = true, stats;
	int c, err = 0;
	char *end;

	if (wd_emulate_from_env() < 0)
		return cli_usage_error("ps", "unknown WARDEN_EMULATE profile");
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': fputs(ps_usage, stdout); return 0;
		case O_ID:
			f.id = strtoll(optarg, &end, 0);
			if (*end || f.id < 0 || f.id > UINT32_MAX)
				return cli_usage_error("ps", "--id takes a number, not '%s'", optarg);
			break;
		case O_NAME: f.name = optarg; break;
		case O_TYPE: f.type = optarg; break;
		case O_OWNER: f.owner = optarg; break;
		case O_NO_PINS: pins = false; break;
		default:
			return cli_usage_error("ps", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		for (int k = 0; k < OBJ__N; k++) {
			char plural[16];
			snprintf(plural, sizeof(plural), "%ss", kind_name[k]);
			if (!strcmp(argv[optind], kind_name[k]) || !strcmp(argv[optind], plural))
				f.kind = k;
		}
		if (f.kind < 0)
			return cli_usage_error("ps", "'%s' is not prog, map or link", argv[optind]);
		if (++optind < argc)
			return cli_usage_error("ps", "unexpected '%s'", argv[optind]);
	}
	host_objs_scan(&h, pins);
	for (int k = 0; k < OBJ__N && !err; k++)
		err = walk((enum obj_kind)k, &rows, &n);
	if (err) {
		free_rows(rows, n);
		host_objs_free(&h);
		return cli_fail("ps", "cannot list BPF objects: %s%s", strerror(-err),
				err == -EPERM ? " (needs CAP_SYS_ADMIN)" : "");
	}
	link_programs(rows, n, &h);
	stats = stats_enabled();
	json ? print_json(rows, n, &h, &f, stats) : print_text(rows, n, &h, &f, stats);
	free_rows(rows, n);
	host_objs_free(&h);
	return 0;
}

WD_CLI_COMMAND("ps", cmd_ps, "list BPF programs, maps and links loaded on this host");
