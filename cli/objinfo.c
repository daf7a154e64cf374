// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Kernel BPF objects described for ps and prog (cli/objinfo.h). */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "json.h"
#include "objinfo.h"
#include "warden/bpf.h"
#include "warden/btf.h"
#include "warden/features.h"

/* ---- programs ------------------------------------------------------------ */

void prog_full_name(int fd, const struct bpf_prog_info *info, char *buf, size_t size)
{
	struct bpf_prog_info fi = { 0 };
	struct bpf_func_info func[1];
	uint32_t len = sizeof(fi);

	snprintf(buf, size, "%s", info->name);
	/* Only a name that fills the kernel's 15 characters can be cut. */
	if (strlen(info->name) < BPF_OBJ_NAME_LEN - 1 || !info->btf_id || !info->nr_func_info)
		return;
	fi.nr_func_info = 1;
	fi.func_info_rec_size = sizeof(func[0]);
	fi.func_info = wd_ptr_to_u64(func);
	if (wd_sys_obj_info(fd, &fi, &len) || !fi.nr_func_info)
		return;
	struct wd_btf *btf = wd_btf_load_id(info->btf_id);
	if (!btf)
		return;
	const char *name = wd_btf_name(btf, func[0].type_id);
	/* The BTF name must extend the kernel's, else keep the kernel's. */
	if (name && !strncmp(name, info->name, BPF_OBJ_NAME_LEN - 1))
		snprintf(buf, size, "%s", name);
	wd_btf_free(btf);
}

void prog_tag_str(const struct bpf_prog_info *info, char *buf, size_t size)
{
	size_t w = 0;
	buf[0] = '\0';
	for (int i = 0; i < BPF_TAG_SIZE && w + 3 <= size; i++)
		w += snprintf(buf + w, size - w, "%02x", info->tag[i]);
}

uint64_t prog_load_unix_ns(const struct bpf_prog_info *info)
{
	struct timespec real, boot;
	if (clock_gettime(CLOCK_REALTIME, &real) || clock_gettime(CLOCK_BOOTTIME, &boot))
		return 0;
	int64_t off = ((int64_t)real.tv_sec - boot.tv_sec) * 1000000000LL + (real.tv_nsec - boot.tv_nsec);
	return (uint64_t)(off + (int64_t)info->load_time);
}

void prog_load_time_str(const struct bpf_prog_info *info, char *buf, size_t size)
{
	time_t t = (time_t)(prog_load_unix_ns(info) / 1000000000ull);
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "?");
}

uint32_t *prog_map_ids(int fd, uint32_t *n)
{
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info), *ids;

	*n = 0;
	if (wd_sys_obj_info(fd, &info, &len) || !info.nr_map_ids)
		return NULL;
	uint32_t want = info.nr_map_ids;
	if (!(ids = calloc(want, sizeof(*ids))))
		return NULL;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = want;
	info.map_ids = wd_ptr_to_u64(ids);
	len = sizeof(info);
	if (wd_sys_obj_info(fd, &info, &len)) {
		free(ids);
		return NULL;
	}
	*n = info.nr_map_ids < want ? info.nr_map_ids : want;
	return ids;
}

/* ---- owners, pins, perf-event attachments --------------------------------- */

static const char *const fdinfo_key[OBJ__N] = { "prog_id:", "map_id:", "link_id:" };

/* The BPF object behind an fdinfo file: 0 and kind/id, or -1. */
static int fdinfo_object(const char *path, enum obj_kind *kind, uint32_t *id)
{
	char line[256];
	FILE *f = fopen(path, "re");
	int found = -1;
	if (!f)
		return -1;
	while (found && fgets(line, sizeof(line), f))
		for (int k = 0; k < OBJ__N; k++)
			if (!strncmp(line, fdinfo_key[k], strlen(fdinfo_key[k]))) {
				*kind = (enum obj_kind)k;
				*id = (uint32_t)strtoul(line + strlen(fdinfo_key[k]), NULL, 10);
				found = 0;
				/* a link's fdinfo names its prog_id after link_id: keep the first */
				break;
			}
	fclose(f);
	return found;
}

static void *grow(void *v, size_t n, size_t elem)
{
	/* capacity doubles at powers of two */
	if (n && (n & (n - 1)))
		return v;
	void *nv = realloc(v, (n ? n * 2 : 16) * elem);
	return nv;
}

static void add_owner(struct host_objs *h, enum obj_kind k, uint32_t id, int pid, const char *comm)
{
	for (size_t i = 0; i < h->nr_owners; i++)
		if (h->owners[i].kind == k && h->owners[i].id == id && h->owners[i].pid == pid)
			return;
	struct owner *o = grow(h->owners, h->nr_owners, sizeof(*o));
	if (!o)
		return;
	h->owners = o;
	o = &h->owners[h->nr_owners++];
	o->kind = k;
	o->id = id;
	o->pid = pid;
	snprintf(o->comm, sizeof(o->comm), "%s", comm);
}

/* tracefs knows a tracepoint's category ("syscalls" for sys_enter_getpid). */
static void tp_with_category(const char *name, char *out, size_t size)
{
	static const char *const dirs[] = { "/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events" };
	char path[512];
	struct stat st;
	snprintf(out, size, "%s", name);
	if (strchr(name, ':') || strchr(name, '/'))
		return;
	for (size_t i = 0; i < 2; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *e;
		if (!d)
			continue;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s", dirs[i], e->d_name, name);
			if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
				snprintf(out, size, "%s:%s", e->d_name, name);
				closedir(d);
				return;
			}
		}
		closedir(d);
	}
}

static const char *fd_type_name(uint32_t t)
{
	static const char *const names[] = { "raw_tracepoint", "tracepoint", "kprobe", "kretprobe",
					     "uprobe", "uretprobe" };
	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "perf_event";
}

/* A perf event or raw tracepoint fd of pid: what the program on it is attached to. */
static void query_fd(struct host_objs *h, int pid, int fd)
{
	char buf[160] = "";
	uint32_t len = sizeof(buf), prog_id = 0, fd_type = 0;
	uint64_t off = 0, addr = 0;

	if (wd_sys_task_fd_query(pid, fd, buf, &len, &prog_id, &fd_type, &off, &addr) || !prog_id)
		return;
	struct fd_attach *a = grow(h->fd_attach, h->nr_fd_attach, sizeof(*a));
	if (!a)
		return;
	h->fd_attach = a;
	a = &h->fd_attach[h->nr_fd_attach++];
	a->prog_id = prog_id;
	a->pid = pid;
	buf[sizeof(buf) - 1] = '\0';
	if (fd_type == BPF_FD_TYPE_TRACEPOINT) {
		/* The kernel gives "sys_enter_getpid"; tracefs knows the category. */
		char tp[170];
		tp_with_category(buf, tp, sizeof(tp));
		snprintf(a->what, sizeof(a->what), "tracepoint %s", tp);
	} else if (fd_type == BPF_FD_TYPE_UPROBE || fd_type == BPF_FD_TYPE_URETPROBE) {
		snprintf(a->what, sizeof(a->what), "%s %s+0x%llx", fd_type_name(fd_type), buf,
			 (unsigned long long)off);
	} else if (buf[0]) {
		snprintf(a->what, sizeof(a->what), "%s %s%s", fd_type_name(fd_type), buf,
			 off ? "+offset" : "");
	} else {
		snprintf(a->what, sizeof(a->what), "%s 0x%llx", fd_type_name(fd_type),
			 (unsigned long long)addr);
	}
}

static void scan_pid(struct host_objs *h, int pid)
{
	char path[300], comm[32] = "?", link[64];
	FILE *f;
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if ((f = fopen(path, "re"))) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	if (!(d = opendir(path)))
		return;
	while ((e = readdir(d))) {
		enum obj_kind k;
		uint32_t id;
		ssize_t n;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (!strcmp(link, "anon_inode:[perf_event]")) {
			query_fd(h, pid, atoi(e->d_name));
			continue;
		}
		if (strncmp(link, "anon_inode:bpf", 14))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, e->d_name);
		if (!fdinfo_object(path, &k, &id))
			add_owner(h, k, id, pid, comm);
	}
	closedir(d);
}

static void add_pin(struct host_objs *h, enum obj_kind k, uint32_t id, const char *path)
{
	struct pin *p = grow(h->pins, h->nr_pins, sizeof(*p));
	if (!p)
		return;
	h->pins = p;
	p = &h->pins[h->nr_pins];
	if (!(p->path = strdup(path)))
		return;
	p->kind = k;
	p->id = id;
	h->nr_pins++;
}

static void scan_bpffs(struct host_objs *h, const char *dir, int depth, int *budget)
{
	char path[4096], fdinfo[64];
	DIR *d;
	struct dirent *e;
	struct stat st;

	if (depth > 8 || !(d = opendir(dir)))
		return;
	while ((e = readdir(d)) && (*budget)-- > 0) {
		if (e->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path) ||
		    lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			scan_bpffs(h, path, depth + 1, budget);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		int fd = wd_sys_obj_get(path, BPF_F_RDONLY);
		if (fd < 0)
			fd = wd_sys_obj_get(path, 0);
		if (fd < 0)
			continue;
		enum obj_kind k;
		uint32_t id;
		snprintf(fdinfo, sizeof(fdinfo), "/proc/self/fdinfo/%d", fd);
		if (!fdinfo_object(fdinfo, &k, &id))
			add_pin(h, k, id, path);
		close(fd);
	}
	closedir(d);
}

void host_objs_scan(struct host_objs *h, bool pins)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int self = getpid();

	memset(h, 0, sizeof(*h));
	if (d) {
		while ((e = readdir(d)))
			if (e->d_name[0] >= '1' && e->d_name[0] <= '9' && atoi(e->d_name) != self)
				scan_pid(h, atoi(e->d_name));
		closedir(d);
	}
	if (!pins)
		return;
	FILE *m = fopen("/proc/self/mounts", "re");
	char line[1024], dev[256], dir[768], type[64];
	int budget = 20000;
	while (m && fgets(line, sizeof(line), m))
		if (sscanf(line, "%255s %767s %63s", dev, dir, type) == 3 && !strcmp(type, "bpf"))
			scan_bpffs(h, dir, 0, &budget);
	if (m)
		fclose(m);
}

void host_objs_free(struct host_objs *h)
{
	for (size_t i = 0; i < h->nr_pins; i++)
		free(h->pins[i].path);
	free(h->pins);
	free(h->owners);
	free(h->fd_attach);
	memset(h, 0, sizeof(*h));
}

void host_objs_print_owners(const struct host_objs *h, enum obj_kind kind, uint32_t id,
			    struct json *j)
{
	if (j) {
		json_key(j, "pids");
		json_arr_open(j);
	}
	for (size_t i = 0; i < h->nr_owners; i++) {
		const struct owner *o = &h->owners[i];
		if (o->kind != kind || o->id != id)
			continue;
		if (j) {
			json_obj_open(j);
			json_kv_i64(j, "pid", o->pid);
			json_kv_str(j, "comm", o->comm);
			json_obj_close(j);
		} else {
			printf("\tpid %s(%d)\n", o->comm, o->pid);
		}
	}
	if (j) {
		json_arr_close(j);
		json_key(j, "pinned");
		json_arr_open(j);
	}
	for (size_t i = 0; i < h->nr_pins; i++) {
		if (h->pins[i].kind != kind || h->pins[i].id != id)
			continue;
		if (j)
			json_str(j, h->pins[i].path);
		else
			printf("\tpinned %s\n", h->pins[i].path);
	}
	if (j)
		json_arr_close(j);
}

/* ---- objects named on the command line ----------------------------------- */

int obj_ref_parse(const char *cmd, const char *noun, int argc, char **argv, int *i,
		  enum obj_ref *how, const char **arg, uint32_t *id)
{
	const char *what = *i < argc ? argv[*i] : NULL;

	if (!what)
		return cli_bad_input(cmd, "which %s? give ID, id ID, pinned PATH or name NAME", noun);
	if (!strcmp(what, "id") || !strcmp(what, "pinned") || !strcmp(what, "name")) {
		if (*i + 1 >= argc)
			return cli_bad_input(cmd, "'%s' needs an argument", what);
		*arg = argv[*i + 1];
		*i += 2;
		*how = !strcmp(what, "pinned") ? OBJ_REF_PINNED :
		       !strcmp(what, "name") ? OBJ_REF_NAME : OBJ_REF_ID;
		if (*how == OBJ_REF_ID && cli_parse_u32(*arg, id))
			return cli_bad_input(cmd, "'%s' is not a %s id", *arg, noun);
		return 0;
	}
	if (cli_parse_u32(what, id))
		return cli_bad_input(cmd, "'%s' is not a %s (ID, id ID, pinned PATH or name NAME)",
				     what, noun);
	*arg = what;
	*how = OBJ_REF_ID;
	(*i)++;
	return 0;
}

/* ---- links ------------------------------------------------------------------ */

const char *link_type_name(uint32_t type)
{
	static const char *const types[] = { "unspec", "raw_tracepoint", "tracing", "cgroup", "iter",
		"netns", "xdp", "perf_event", "kprobe_multi", "struct_ops", "netfilter", "tcx",
		"uprobe_multi", "netkit", "sockmap" };
	return type < sizeof(types) / sizeof(types[0]) ? types[type] : "unknown";
}

/* struct bpf_link_info as 6.18 has it; the build host's header (6.1) lacks
 * the perf_event (6.6), tcx (6.6), netfilter (6.4), uprobe_multi (6.8) parts. */
struct link_info_raw {
	uint32_t type, id, prog_id, pad;
	union {
		uint8_t raw[112];
		struct { uint64_t name; uint32_t name_len; } raw_tp;
		struct { uint32_t attach_type, target_obj_id, target_btf_id; } tracing;
		struct { uint64_t cgroup_id; uint32_t attach_type; } cgroup;
		struct { uint32_t netns_ino, attach_type; } netns;
		struct { uint32_t ifindex; } xdp;
		struct { uint32_t map_id; } struct_ops;
		struct { uint32_t pf, hooknum; int32_t priority; uint32_t flags; } netfilter;
		struct { uint64_t addrs; uint32_t count, flags; } kprobe_multi;
		struct { uint64_t path, offsets, ref_ctr_offsets, cookies;
			 uint32_t path_size, count, flags, pid; } uprobe_multi;
		struct { uint32_t ifindex, attach_type; } tcx;
		struct {
			uint32_t type, pad;
			uint64_t name;        /* file_name / func_name / tp_name */
			uint32_t name_len, offset;
			uint64_t addr;        /* kprobe */
		} perf_event;
	};
};

enum { PE_UPROBE = 1, PE_URETPROBE, PE_KPROBE, PE_KRETPROBE, PE_TRACEPOINT, PE_EVENT };

static const char *tracing_kind(uint32_t attach_type)
{
	switch (attach_type) {
	case BPF_TRACE_RAW_TP: return "tp_btf";
	case BPF_TRACE_FENTRY: return "fentry";
	case BPF_TRACE_FEXIT: return "fexit";
	case BPF_MODIFY_RETURN: return "fmod_ret";
	case BPF_LSM_MAC: return "lsm";
	case BPF_TRACE_ITER: return "iter";
	default: return "tracing";
	}
}

/* Name of a kernel BTF type by object id + type id (vmlinux only; modules: the ids). */
static void btf_target(uint32_t obj_id, uint32_t type_id, char *out, size_t size)
{
	struct bpf_btf_info bi = { 0 };
	char name[64] = "";
	uint32_t len = sizeof(bi);
	int fd = wd_sys_get_fd_by_id(BPF_BTF_GET_FD_BY_ID, obj_id);

	snprintf(out, size, "btf_id %u (btf obj %u)", type_id, obj_id);
	if (fd < 0)
		return;
	/* bpf_btf_info.name is 5.11: ask for it only where the kernel has it
	 * (an older kernel refuses a non-zero field it does not know) */
	int err = wd_sys_obj_info(fd, &bi, &len);
	if (!err && len >= offsetof(struct bpf_btf_info, kernel_btf) + sizeof(bi.kernel_btf)) {
		memset(&bi, 0, sizeof(bi));
		bi.name = wd_ptr_to_u64(name);
		bi.name_len = sizeof(name);
		len = sizeof(bi);
		err = wd_sys_obj_info(fd, &bi, &len);
	} else if (!err) {
		snprintf(name, sizeof(name), "vmlinux"); /* no module BTF before 5.11 */
	}
	close(fd);
	name[sizeof(name) - 1] = '\0';
	if (err || strcmp(name, "vmlinux") || !wd_btf_vmlinux())
		return;
	const char *fn = wd_btf_name(wd_btf_vmlinux(), type_id);
	if (fn && *fn)
		snprintf(out, size, "%s", !strncmp(fn, "btf_trace_", 10) ? fn + 10 : fn);
}

static void ifname(uint32_t ifindex, char *out, size_t size)
{
	char n[IF_NAMESIZE] = "";
	if (if_indextoname(ifindex, n))
		snprintf(out, size, "ifindex %u (%s)", ifindex, n);
	else
		snprintf(out, size, "ifindex %u", ifindex);
}

static const char *attach_name(uint32_t t)
{
	const char *n = wd_attach_type_name(t);
	return n ? n : "?";
}

int link_describe(int fd, struct link_desc *d)
{
	struct link_info_raw li;
	char name[4096] = "";
	uint32_t len = sizeof(li);
	int err;

	memset(&li, 0, sizeof(li));
	memset(d, 0, sizeof(*d));
	/* The name pointer sits at the same place for raw_tp and uprobe_multi;
	 * perf_event needs its own (the kind is unknown before the call): ask
	 * once for the type, then again with the right buffer. */
	if ((err = wd_sys_obj_info(fd, &li, &len)))
		return err;
	d->id = li.id;
	d->prog_id = li.prog_id;
	d->type = li.type;
	uint32_t type = li.type;
	memset(&li, 0, sizeof(li));
	if (type == BPF_LINK_TYPE_RAW_TRACEPOINT) {
		li.raw_tp.name = wd_ptr_to_u64(name);
		li.raw_tp.name_len = sizeof(name);
	} else if (type == 12 /* uprobe_multi */) {
		li.uprobe_multi.path = wd_ptr_to_u64(name);
		li.uprobe_multi.path_size = sizeof(name);
	} else if (type == 7 /* perf_event */) {
		li.perf_event.name = wd_ptr_to_u64(name);
		li.perf_event.name_len = sizeof(name);
	}
	len = sizeof(li);
	if (wd_sys_obj_info(fd, &li, &len)) {
		/* Older kernels refuse the name buffer for link types they do not
		 * describe: the type alone. */
		memset(&li, 0, sizeof(li));
		len = sizeof(li);
		if ((err = wd_sys_obj_info(fd, &li, &len)))
			return err;
		name[0] = '\0';
	}
	name[sizeof(name) - 1] = '\0';
	snprintf(d->kind, sizeof(d->kind), "%s", link_type_name(type));
	switch (type) {
	case BPF_LINK_TYPE_RAW_TRACEPOINT:
		snprintf(d->attach, sizeof(d->attach), "%s", name);
		break;
	case BPF_LINK_TYPE_TRACING:
		snprintf(d->kind, sizeof(d->kind), "%s", tracing_kind(li.tracing.attach_type));
		btf_target(li.tracing.target_obj_id, li.tracing.target_btf_id, d->attach, sizeof(d->attach));
		break;
	case BPF_LINK_TYPE_CGROUP:
		snprintf(d->kind, sizeof(d->kind), "%s", attach_name(li.cgroup.attach_type));
		snprintf(d->attach, sizeof(d->attach), "cgroup id %llu",
			 (unsigned long long)li.cgroup.cgroup_id);
		break;
	case BPF_LINK_TYPE_NETNS:
		snprintf(d->kind, sizeof(d->kind), "%s", attach_name(li.netns.attach_type));
		snprintf(d->attach, sizeof(d->attach), "netns %u", li.netns.netns_ino);
		break;
	case BPF_LINK_TYPE_XDP:
		snprintf(d->kind, sizeof(d->kind), "xdp");
		ifname(li.xdp.ifindex, d->attach, sizeof(d->attach));
		break;
	case 9: /* struct_ops */
		snprintf(d->attach, sizeof(d->attach), "map %u", li.struct_ops.map_id);
		break;
	case 10: /* netfilter */
		snprintf(d->attach, sizeof(d->attach), "pf %u hook %u prio %d", li.netfilter.pf,
			 li.netfilter.hooknum, li.netfilter.priority);
		break;
	case 8: /* kprobe_multi */
		snprintf(d->kind, sizeof(d->kind), "%s", li.kprobe_multi.flags & 1 ? "kretprobe_multi" :
			 "kprobe_multi");
		if (li.kprobe_multi.count)
			snprintf(d->attach, sizeof(d->attach), "%u functions", li.kprobe_multi.count);
		break;
	case 12: /* uprobe_multi */
		snprintf(d->kind, sizeof(d->kind), "%s", li.uprobe_multi.flags & 1 ? "uretprobe_multi" :
			 "uprobe_multi");
		snprintf(d->attach, sizeof(d->attach), "%s (%u offsets)", name, li.uprobe_multi.count);
		break;
	case 11: /* tcx */
	case 13: /* netkit */
		snprintf(d->kind, sizeof(d->kind), "%s", attach_name(li.tcx.attach_type));
		ifname(li.tcx.ifindex, d->attach, sizeof(d->attach));
		break;
	case 7: /* perf_event: what kind of event (6.6+; older kernels say nothing) */
		switch (li.perf_event.type) {
		case PE_TRACEPOINT:
			snprintf(d->kind, sizeof(d->kind), "tracepoint");
			tp_with_category(name, d->attach, sizeof(d->attach));
			break;
		case PE_UPROBE:
		case PE_URETPROBE:
			snprintf(d->kind, sizeof(d->kind), "%s",
				 li.perf_event.type == PE_UPROBE ? "uprobe" : "uretprobe");
			snprintf(d->attach, sizeof(d->attach), "%s+0x%x", name, li.perf_event.offset);
			break;
		case PE_KPROBE:
		case PE_KRETPROBE:
			snprintf(d->kind, sizeof(d->kind), "%s",
				 li.perf_event.type == PE_KPROBE ? "kprobe" : "kretprobe");
			if (name[0])
				snprintf(d->attach, sizeof(d->attach), "%s+0x%x", name, li.perf_event.offset);
			else
				snprintf(d->attach, sizeof(d->attach), "0x%llx",
					 (unsigned long long)li.perf_event.addr);
			break;
		case PE_EVENT:
			snprintf(d->kind, sizeof(d->kind), "perf_event");
			break;
		default:
			break;
		}
		break;
	default:
		break;
	}
	return 0;
}
