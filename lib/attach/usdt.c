// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * USDT: a kprobe-type program (SEC("usdt")) on every site of provider:name
 * in a binary, as libbpf's usdt.c does it, so objects written against
 * libbpf's <bpf/usdt.bpf.h> work unchanged:
 *  - each site is a uprobe on the probe's nop (file offset from the note);
 *  - each distinct argument string becomes a spec in the object's
 *    __bpf_usdt_specs map, under a spec id unique in the object;
 *  - the program finds its spec id in the BPF cookie (5.15, commit
 *    7adfc6c9b315) or, where the object was told LINUX_HAS_BPF_COOKIE=0, in
 *    __bpf_usdt_ip_to_spec_id by the address the probe hit; on PIE binaries
 *    and shared libraries that address exists only per process, so there a
 *    pid is needed;
 *  - a semaphore is counted by the kernel (uprobe ref_ctr_offset, 4.20,
 *    commits 1cc33161a83d and a6ca88b241d5), or, before, by writing
 *    /proc/PID/mem of the one process traced, and counted down at detach.
 * One wd_link holds the whole attachment; its sites are links of their own
 * (the perf-event family), detached with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "attach.h"
#include "usdt_notes.h"
#include "usdt_spec.h"
#include "warden/features.h"

#define SPECS_MAP "__bpf_usdt_specs"
#define IP_MAP    "__bpf_usdt_ip_to_spec_id"
#define REF_CTR_FORMAT "/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset"

struct usdt_site_state {
	struct wd_link *link;    /* the uprobe of this site, NULL until attached */
	uint64_t ip_key;         /* in the ip map, 0 none */
	uint64_t sema_addr;      /* counted through /proc/PID/mem, 0 none */
};

struct usdt_priv {
	pid_t pid;
	int ip_map_fd;
	size_t n;
	struct usdt_site_state *sites;
	size_t nr_ids;
	int *spec_ids;           /* ids this attachment holds in __bpf_usdt_specs */
};

/* What an attachment decided before it attaches its sites. */
struct usdt_ctx {
	struct wd_prog *prog;
	const char *path, *provider, *name;
	pid_t pid;
	struct wd_usdt_opts o;
	const struct wd_map *specs, *ip_map;
	bool cookies;            /* the program reads its spec id from the BPF cookie */
	int ref_ctr_shift;       /* bit of config holding ref_ctr_offset, -1 none */
	struct usdt_priv *priv;
};

/* ---- semaphores through /proc/PID/mem (before 4.20) ---------------------------- */

static int sema_add(pid_t pid, uint64_t addr, int delta)
{
	char file[64];
	uint16_t v;
	int fd, err = 0;
	snprintf(file, sizeof(file), "/proc/%d/mem", (int)pid);
	if ((fd = open(file, O_RDWR | O_CLOEXEC)) < 0)
		return wd_err(-errno, "cannot open %s to count the USDT semaphore: %s", file,
			      strerror(errno));
	if (pread(fd, &v, sizeof(v), (off_t)addr) != sizeof(v))
		err = wd_err(errno ? -errno : -EIO, "read USDT semaphore at 0x%llx of process %d: %s",
			     (unsigned long long)addr, (int)pid, strerror(errno ? errno : EIO));
	v = (uint16_t)(v + delta);
	if (!err && pwrite(fd, &v, sizeof(v), (off_t)addr) != sizeof(v))
		err = wd_err(errno ? -errno : -EIO, "write USDT semaphore at 0x%llx of process %d: %s",
			     (unsigned long long)addr, (int)pid, strerror(errno ? errno : EIO));
	close(fd);
	return err;
}

/* ---- detach ---------------------------------------------------------------- */

static int usdt_detach(struct wd_link *l)
{
	struct usdt_priv *p = l->priv;
	int err = 0, e;
	for (size_t i = p->n; i-- > 0;) {
		struct usdt_site_state *s = &p->sites[i];
		if (s->link && (e = wd_link_detach(s->link)) && !err)
			err = e;
		/* the process may be gone: nothing left to count down then */
		if (s->sema_addr)
			sema_add(p->pid, s->sema_addr, -1);
		if (s->ip_key)
			wd_sys_map_delete(p->ip_map_fd, &s->ip_key);
	}
	free(p->sites);
	free(p->spec_ids);
	p->sites = NULL;
	p->spec_ids = NULL;
	p->n = p->nr_ids = 0;
	return err;
}

/* ---- spec ids ------------------------------------------------------------------ */

/* The release function of every link's entry on obj->deps (link.c), learnt
 * from the first USDT link made: it tells links from other deps.  Until one
 * is made no USDT link exists, and there is nothing to scan for. */
static void (*link_release)(struct wd_obj_dep *dep);

/* Is spec id `id` held by another USDT attachment of the object? */
static bool spec_id_used(const struct wd_object *obj, const struct usdt_priv *self, int id)
{
	for (const struct wd_obj_dep *d = obj->deps; d; d = d->next) {
		const struct wd_link *l = (const void *)((const char *)d -
							 offsetof(struct wd_link, dep));
		const struct usdt_priv *p;
		if (!link_release || d->release != link_release || l->detach != usdt_detach)
			continue;
		p = l->priv;
		if (l->detach != usdt_detach || p == self)
			continue;
		for (size_t i = 0; i < p->nr_ids; i++)
			if (p->spec_ids[i] == id)
				return true;
	}
	for (size_t i = 0; i < self->nr_ids; i++)
		if (self->spec_ids[i] == id)
			return true;
	return false;
}

static int spec_id_new(struct usdt_ctx *c, int *id)
{
	struct usdt_priv *p = c->priv;
	uint32_t max = wd_map_max_entries(c->specs);
	int *ids = realloc(p->spec_ids, (p->nr_ids + 1) * sizeof(*ids));
	if (!ids)
		return wd_err(-ENOMEM, "out of memory");
	p->spec_ids = ids;
	for (uint32_t i = 0; i < max; i++)
		if (!spec_id_used(c->prog->obj, p, (int)i)) {
			*id = (int)i;
			ids[p->nr_ids++] = *id;
			return 0;
		}
	return wd_err(-E2BIG, "%s is full (%u specs): define BPF_USDT_MAX_SPEC_CNT larger "
		      "before including usdt.bpf.h, or detach other USDT links", SPECS_MAP, max);
}

/* Spec id of site i: shared with an earlier site of the same argument
 * string (libbpf does the same), else a new id with its spec written. */
static int site_spec_id(struct usdt_ctx *c, const struct wd_usdt_sites *s, size_t i, int *ids)
{
	struct wd_usdt_spec spec;
	int err;
	for (size_t j = 0; j < i; j++)
		if (!strcmp(s->v[j].args, s->v[i].args)) {
			ids[i] = ids[j];
			return 0;
		}
	if ((err = wd_usdt_parse_args(s->v[i].args, &spec)))
		return err;
	for (int a = 0; a < spec.arg_cnt; a++)
		if ((spec.args[a].arg_type & 0xff) == WD_USDT_ARG_SIB)
			return wd_err(-EOPNOTSUPP, "argument #%d of '%s' uses base+index*scale "
				      "addressing, which the usdt.bpf.h of this object cannot read",
				      a, s->v[i].args);
	spec.usdt_cookie = c->o.cookie;
	if ((err = spec_id_new(c, &ids[i])))
		return err;
	err = wd_map_update(c->specs, &ids[i], &spec, 0);
	return err ? wd_err(err, "write spec %d into %s: %s", ids[i], SPECS_MAP,
			    strerror(-err)) : 0;
}

/* ---- one site -------------------------------------------------------------------- */

/* The uprobe PMU with ref_ctr_offset in config (format/ref_ctr_offset says
 * which bits: "config:32-63"). */
static int uprobe_open(const struct usdt_ctx *c, uint64_t off, uint64_t ref_ctr)
{
	struct perf_event_attr attr;
	int type = wd_pmu_type("uprobe");
	if (type < 0)
		return type;
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = (uint32_t)type;
	attr.config = ref_ctr ? ref_ctr << c->ref_ctr_shift : 0;
	attr.config1 = ptr_to_u64(c->path);
	attr.config2 = off;
	attr.sample_period = 1;
	attr.wakeup_events = 1;
	return wd_sys_perf_event_open(&attr, c->pid < 0 ? -1 : c->pid, c->pid < 0 ? 0 : -1, -1,
				      PERF_FLAG_FD_CLOEXEC);
}

static struct wd_link *site_uprobe(const struct usdt_ctx *c, const struct wd_usdt_site *s,
				   uint64_t ref_ctr, uint64_t cookie, const char *desc)
{
	char target[PATH_MAX + 64];
	int pfd;
	if (!c->o.force_legacy && wd_pmu_type("uprobe") >= 0) {
		pfd = uprobe_open(c, s->file_off, ref_ctr);
		if (pfd < 0)
			return wd_attach_fail(wd_err(pfd, "perf_event_open on the uprobe PMU at "
						     "%s:0x%llx: %s", c->path,
						     (unsigned long long)s->file_off, strerror(-pfd)));
		return wd_perf_link(c->prog, pfd, cookie, NULL, "%s", desc);
	}
	if (strpbrk(c->path, " \t\n"))
		return wd_attach_fail(wd_err(-EINVAL, "uprobe_events cannot name a path with "
					     "blanks: %s", c->path));
	/* "(0x<ref>)" after the offset: uprobe_events' ref_ctr_offset (4.20) */
	if (ref_ctr)
		snprintf(target, sizeof(target), "%s:0x%llx(0x%llx)", c->path,
			 (unsigned long long)s->file_off, (unsigned long long)ref_ctr);
	else
		snprintf(target, sizeof(target), "%s:0x%llx", c->path,
			 (unsigned long long)s->file_off);
	return wd_legacy_attach(c->prog, "uprobe_events", false, c->name, target, c->pid, cookie,
				desc);
}

/* Semaphore of the site: the kernel counts it (ref_ctr_offset) when it
 * can, else this process does through /proc/PID/mem. */
static int site_semaphore(struct usdt_ctx *c, const struct wd_usdt_site *s,
			  struct usdt_site_state *st, uint64_t *ref_ctr)
{
	uint64_t addr;
	int err;
	*ref_ctr = 0;
	if (!s->sema_off)
		return 0;
	if (c->ref_ctr_shift >= 0 && !c->o.sema_by_mem) {
		*ref_ctr = s->sema_off;
		return 0;
	}
	if (c->pid < 0)
		return wd_err(-EOPNOTSUPP, "its semaphore can be counted for one process only %s: "
			      "give a pid", c->o.sema_by_mem ? "through /proc/PID/mem (sema_by_mem)" :
			      "on this kernel (no uprobe ref_ctr_offset before 4.20)");
	if ((err = wd_usdt_proc_addr(c->pid, c->path, s->sema_off, false, &addr)))
		return err;
	if ((err = sema_add(c->pid, addr, 1)))
		return err;
	st->sema_addr = addr;
	return 0;
}

/* Address the program will see in PT_REGS_IP, for the ip map. */
static int site_ip(const struct usdt_ctx *c, const struct wd_usdt_sites *all,
		   const struct wd_usdt_site *s, uint64_t *ip)
{
	if (!all->is_dyn) {
		*ip = s->vaddr;
		return 0;
	}
	if (c->pid < 0)
		return wd_err(-EOPNOTSUPP, "a PIE binary or shared library can be traced in "
			      "every process only with BPF cookies (5.15): give a pid");
	return wd_usdt_proc_addr(c->pid, c->path, s->file_off, true, ip);
}

static int attach_site(struct usdt_ctx *c, const struct wd_usdt_sites *all, size_t i, int id)
{
	const struct wd_usdt_site *s = &all->v[i];
	struct usdt_site_state *st = &c->priv->sites[i];
	uint64_t ref_ctr, ip;
	char desc[160];
	int err;
	if (!c->cookies) {
		if ((err = site_ip(c, all, s, &ip)))
			return err;
		err = wd_sys_map_update(c->priv->ip_map_fd, &ip, &id, BPF_NOEXIST);
		if (err == -EEXIST)
			return wd_err(err, "address 0x%llx is traced by another USDT link of "
				      "this object already", (unsigned long long)ip);
		if (err)
			return wd_err(err, "write %s: %s", IP_MAP, strerror(-err));
		st->ip_key = ip;
	}
	if ((err = site_semaphore(c, s, st, &ref_ctr)))
		return err;
	snprintf(desc, sizeof(desc), "usdt %s:%s site %zu at %s:0x%llx", c->provider, c->name,
		 i, c->path, (unsigned long long)s->file_off);
	st->link = site_uprobe(c, s, ref_ctr, c->cookies ? (uint64_t)id : 0, desc);
	return st->link ? 0 : -errno;
}

/* ---- the attachment ------------------------------------------------------------- */

/* Did the loader tell the program LINUX_HAS_BPF_COOKIE?  1 / 0, -1 when
 * the object has no such extern (then the kernel's answer decides). */
static int object_says_cookie(const struct wd_object *obj)
{
	const struct wd_spec *s = obj->spec;
	if (s->kconfig_map < 0 || !obj->maps[s->kconfig_map].data)
		return -1;
	for (size_t i = 0; i < s->nr_externs; i++) {
		const struct wd_extern *e = &s->externs[i];
		if (e->kind == WD_EXT_KCONFIG && !strcmp(e->name, "LINUX_HAS_BPF_COOKIE"))
			return ((const uint8_t *)obj->maps[s->kconfig_map].data)[e->offset] != 0;
	}
	return -1;
}

/* Bit where ref_ctr_offset goes in config, or -1: this kernel has none. */
static int ref_ctr_shift(void)
{
	char buf[32];
	int lo = -1;
	FILE *f = fopen(REF_CTR_FORMAT, "re");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f) && sscanf(buf, "config:%d", &lo) != 1)
		lo = -1;
	fclose(f);
	return lo >= 0 && lo < 64 ? lo : -1;
}

static int setup(struct usdt_ctx *c)
{
	struct wd_object *obj = c->prog->obj;
	int says;
	c->specs = wd_object_map(obj, SPECS_MAP);
	c->ip_map = wd_object_map(obj, IP_MAP);
	if (!c->specs || !c->ip_map)
		return wd_err(-ENOENT, "the object has no %s/%s maps: include <bpf/usdt.bpf.h> "
			      "in the program", SPECS_MAP, IP_MAP);
	if (wd_map_value_size(c->specs) != sizeof(struct wd_usdt_spec) ||
	    wd_map_key_size(c->ip_map) != sizeof(long))
		return wd_err(-EINVAL, "%s holds %u-byte values, not the %zu of the usdt.bpf.h "
			      "warden knows (libbpf 1.x)", SPECS_MAP, wd_map_value_size(c->specs),
			      sizeof(struct wd_usdt_spec));
	says = object_says_cookie(obj);
	c->cookies = says >= 0 ? says == 1 : wd_probe_bpf_cookie() == 1;
	if (c->cookies && wd_probe_bpf_link(WD_LINK_PERF_EVENT) != 1)
		return wd_err(-EOPNOTSUPP, "the program reads BPF cookies, but this kernel "
			      "cannot attach them to uprobes (perf_event links, 5.15)");
	c->ref_ctr_shift = ref_ctr_shift();
	return 0;
}

static int attach_all(struct usdt_ctx *c, const struct wd_usdt_sites *sites)
{
	int *ids = calloc(sites->n, sizeof(*ids)), err = 0;
	c->priv->sites = calloc(sites->n, sizeof(*c->priv->sites));
	if (!ids || !c->priv->sites) {
		free(ids);
		return wd_err(-ENOMEM, "out of memory");
	}
	c->priv->n = sites->n;
	for (size_t i = 0; i < sites->n && !err; i++) {
		err = site_spec_id(c, sites, i, ids);
		if (!err)
			err = attach_site(c, sites, i, ids[i]);
		if (err)
			wd_err_prefix("site %zu (0x%llx, '%s'): ", i,
				      (unsigned long long)sites->v[i].vaddr, sites->v[i].args);
	}
	free(ids);
	return err;
}

static struct wd_link *usdt_attach(struct usdt_ctx *c)
{
	struct wd_usdt_sites sites;
	struct wd_link tmp = { 0 };
	int err;
	if ((err = setup(c)) || (err = wd_usdt_find_sites(c->path, c->provider, c->name, &sites)))
		return wd_attach_fail(err);
	c->priv = calloc(1, sizeof(*c->priv));
	if (!c->priv) {
		wd_usdt_sites_free(&sites);
		return wd_attach_fail(wd_err(-ENOMEM, "out of memory"));
	}
	c->priv->pid = c->pid;
	c->priv->ip_map_fd = wd_map_fd(c->ip_map);
	err = attach_all(c, &sites);
	if (!err) {
		/* created last: ahead of its sites on the object's list, so an
		 * object close detaches it (and them) first */
		struct wd_link *l = wd_link_new_owned(c->prog, -1, usdt_detach, c->priv,
						      "usdt %s:%s:%s (%zu site%s%s)", c->path,
						      c->provider, c->name, sites.n,
						      sites.n == 1 ? "" : "s",
						      c->cookies ? "" : ", ip map");
		if (l)
			link_release = l->dep.release;
		wd_usdt_sites_free(&sites);
		return l;
	}
	tmp.priv = c->priv;
	usdt_detach(&tmp);
	free(c->priv);
	wd_usdt_sites_free(&sites);
	return wd_attach_fail(err);
}

#if defined(__x86_64__)
#define MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define MULTIARCH "aarch64-linux-gnu"
#else
#define MULTIARCH "unknown"
#endif

/* First readable dir/name of a ':'-separated list, made absolute. */
static bool search_dirs(const char *dirs, const char *name, char *out)
{
	char cand[PATH_MAX];
	for (const char *d = dirs; d && *d;) {
		size_t n = strcspn(d, ":");
		if (n && n + strlen(name) + 2 <= sizeof(cand)) {
			snprintf(cand, sizeof(cand), "%.*s/%s", (int)n, d, name);
			if (!access(cand, R_OK) && realpath(cand, out))
				return true;
		}
		d += n + (d[n] == ':');
	}
	return false;
}

/* The binary to read: a path as given, or a bare name looked up as libbpf
 * does (resolve_full_path): a library ("libc.so.6") in $LD_LIBRARY_PATH,
 * then the usual library directories; a program in $PATH. */
static int resolve_binary(const char *name, char *out)
{
	static const char lib_dirs[] = "/lib64:/usr/lib64:/lib:/usr/lib:/lib/" MULTIARCH
				       ":/usr/lib/" MULTIARCH;
	size_t len = strlen(name);
	bool lib = strstr(name, ".so.") || (len > 3 && !strcmp(name + len - 3, ".so"));
	if (strchr(name, '/'))
		return realpath(name, out) ? 0 : -errno;
	if (lib ? search_dirs(getenv("LD_LIBRARY_PATH"), name, out) ||
		  search_dirs(lib_dirs, name, out)
		: search_dirs(getenv("PATH"), name, out))
		return 0;
	return -ENOENT;
}

struct wd_link *wd_prog_attach_usdt(struct wd_prog *prog, const char *binary, pid_t pid,
				    const char *provider, const char *name,
				    const struct wd_usdt_opts *opts)
{
	struct usdt_ctx c = { .prog = prog, .provider = provider, .name = name };
	char path[PATH_MAX];
	struct wd_link *l;
	int err;
	if ((err = wd_attach_check(prog, "usdt")))
		return wd_attach_fail(err);
	if (!binary || !provider || !name || !*provider || !*name)
		return wd_attach_fail(wd_err(-EINVAL, "attach '%s': usdt needs a binary, a "
					     "provider and a probe name", prog->name));
	if ((err = resolve_binary(binary, path)))
		return wd_attach_fail(wd_err(err, "attach '%s': usdt binary '%s': %s%s",
					     prog->name, binary, strerror(-err),
					     strchr(binary, '/') ? "" : " (looked up in $PATH, or "
					     "$LD_LIBRARY_PATH and the library directories)"));
	wd_opts_copy(&c.o, sizeof(c.o), opts);   /* c.o was zeroed with c */
	c.path = path;
	c.pid = pid < 0 ? -1 : pid == 0 ? getpid() : pid;
	l = usdt_attach(&c);
	if (!l) {
		err = errno;
		wd_err_prefix("attach '%s' to usdt %s:%s in %s: ", prog->name, provider, name, path);
		errno = err;
	}
	return l;
}
