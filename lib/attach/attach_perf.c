// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A BPF program on a perf event (tracepoint, kprobe, uprobe): the link the
 * three families share.  5.15 made it a BPF link (BPF_LINK_CREATE with
 * BPF_PERF_EVENT, commit b89fbfbb854c); before, PERF_EVENT_IOC_SET_BPF on
 * the perf event, undone by closing it.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "attach.h"
#include "host/tracefs.h"
#include "warden/features.h"

struct perf_priv {
	int pfd;                 /* perf event held under a BPF link, or -1 */
	bool legacy;
	char dir[PATH_MAX];
	char file[16];
	char name[128];
};

struct wd_link *wd_attach_fail(int err)
{
	errno = err < 0 ? -err : EINVAL;
	return NULL;
}

int wd_attach_check(const struct wd_prog *prog, const char *what)
{
	if (!prog)
		return wd_err(-EINVAL, "attach %s: no program", what);
	if (prog->fd < 0)
		return wd_err(-EINVAL, "attach %s: program '%s' is not loaded "
			      "(call wd_object_load() first)", what, prog->name);
	return 0;
}

int wd_perf_open_tracepoint(int id, int pid)
{
	struct perf_event_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.size = sizeof(attr);
	attr.config = (uint64_t)id;
	attr.sample_period = 1;
	attr.wakeup_events = 1;
	return wd_sys_perf_event_open(&attr, pid < 0 ? -1 : pid, pid < 0 ? 0 : -1, -1,
				      PERF_FLAG_FD_CLOEXEC);
}

static int perf_detach(struct wd_link *l)
{
	struct perf_priv *p = l->priv;
	if (p->pfd < 0 && l->fd >= 0)
		ioctl(l->fd, PERF_EVENT_IOC_DISABLE, 0);
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	if (p->pfd >= 0)
		close(p->pfd);
	p->pfd = -1;
	/* the entry is busy (EBUSY) while a perf event on it is open: last */
	return p->legacy ? wd_legacy_remove(p->dir, p->file, p->name) : 0;
}

/* -errno, or the fd that holds the attachment (BPF link or pfd itself). */
static int perf_attach(struct wd_prog *prog, int pfd, uint64_t cookie, bool *is_link)
{
	int r = wd_probe_bpf_link(WD_LINK_PERF_EVENT);
	*is_link = r == 1;
	if (r == 1) {
		struct wd_link_create_args a = {
			.prog_fd = prog->fd, .target_fd = pfd, .attach_type = BPF_PERF_EVENT,
			.bpf_cookie = cookie,
		};
		int fd = wd_sys_link_create(&a);
		return fd < 0 ? wd_err(fd, "BPF_LINK_CREATE: %s", strerror(-fd)) : fd;
	}
	if (cookie)
		return wd_err(-EOPNOTSUPP, "a BPF cookie needs perf_event links (5.15), "
			      "this kernel has none");
	wd_debug("perf_event links unsupported (before 5.15): using PERF_EVENT_IOC_SET_BPF");
	if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog->fd) < 0)
		return wd_err(-errno, "PERF_EVENT_IOC_SET_BPF: %s", strerror(errno));
	return pfd;
}

static struct wd_link *new_link(struct wd_prog *prog, int fd, int pfd, const char *desc)
{
	struct perf_priv *p = calloc(1, sizeof(*p));
	struct wd_link *l = p ? wd_link_new(prog, fd, perf_detach, "%s", desc) : NULL;
	if (!l) {
		free(p);
		return NULL;
	}
	p->pfd = pfd;
	l->priv = p;
	return l;
}

struct wd_link *wd_perf_link(struct wd_prog *prog, int pfd, uint64_t cookie,
			     const struct wd_legacy_entry *legacy, const char *fmt, ...)
{
	char desc[160];
	struct wd_link *l;
	bool is_link;
	va_list ap;
	int fd, err;
	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	fd = perf_attach(prog, pfd, cookie, &is_link);
	if (fd < 0) {
		err = fd;
		goto err;
	}
	/* enabling is harmless on an already enabled event, and needed for
	 * the ioctl path; libbpf does it for both */
	if (ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0) < 0) {
		err = wd_err(-errno, "PERF_EVENT_IOC_ENABLE: %s", strerror(errno));
		goto err_fd;
	}
	l = new_link(prog, fd, is_link ? pfd : -1, desc);
	if (!l) {
		err = wd_err(-ENOMEM, "out of memory");
		goto err_fd;
	}
	if (legacy) {
		struct perf_priv *p = l->priv;
		p->legacy = true;
		snprintf(p->dir, sizeof(p->dir), "%s", legacy->dir);
		snprintf(p->file, sizeof(p->file), "%s", legacy->file);
		snprintf(p->name, sizeof(p->name), "%s", legacy->name);
	}
	return l;
err_fd:
	if (is_link)
		close(fd);
err:
	close(pfd);
	wd_err_prefix("attach '%s' to %s: ", prog->name, desc);
	return wd_attach_fail(err);
}

/* ---- dynamic PMUs (kprobe 4.17, uprobe 4.17) ---------------------------------- */

static int read_sysfs(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)size, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	return 0;
}

int wd_pmu_type(const char *pmu)
{
	char path[128], buf[32];
	int err;
	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/type", pmu);
	err = read_sysfs(path, buf, sizeof(buf));
	return err ? err : atoi(buf);
}

/* format/retprobe reads "config:0": the bit to set for a return probe. */
static int pmu_retprobe_bit(const char *pmu)
{
	char path[128], buf[32];
	int err;
	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/format/retprobe", pmu);
	err = read_sysfs(path, buf, sizeof(buf));
	if (err)
		return err;
	return strncmp(buf, "config:", 7) ? -EINVAL : atoi(buf + 7);
}

int wd_pmu_probe_open(const char *pmu, bool retprobe, const char *name, uint64_t offset,
		      int pid)
{
	struct perf_event_attr attr;
	int type = wd_pmu_type(pmu), bit = retprobe ? pmu_retprobe_bit(pmu) : 0;
	if (type < 0)
		return type;
	if (bit < 0)
		return bit;
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = (uint32_t)type;
	attr.config = retprobe ? 1ULL << bit : 0;
	attr.config1 = ptr_to_u64(name);   /* kprobe_func / uprobe_path */
	attr.config2 = offset;             /* probe_offset */
	attr.sample_period = 1;
	attr.wakeup_events = 1;
	return wd_sys_perf_event_open(&attr, pid < 0 ? -1 : pid, pid < 0 ? 0 : -1, -1,
				      PERF_FLAG_FD_CLOEXEC);
}

/* ---- legacy probes (kprobe_events / uprobe_events) ------------------------------ */

struct wd_link *wd_legacy_attach(struct wd_prog *prog, const char *file, bool retprobe,
				 const char *what, const char *target, int pid, uint64_t cookie,
				 const char *desc)
{
	char event[64], name[80], line[4352];
	struct wd_legacy_entry e = { .file = file, .name = name };
	struct wd_link *l;
	int err, id, pfd;
	wd_cleanup_once();   /* leaked entries of dead owners go before we add ours */
	if ((err = wd_tracefs_dir(&e.dir)))
		goto fail;
	if (!wd_tracefs_has(e.dir, file)) {
		err = wd_err(-EOPNOTSUPP, "%s has no %s: this kernel was built without %s",
			     e.dir, file, strcmp(file, "kprobe_events") ?
			     "CONFIG_UPROBE_EVENTS" : "CONFIG_KPROBES/CONFIG_KPROBE_EVENTS");
		goto fail;
	}
	wd_legacy_event_name(event, sizeof(event), what);
	snprintf(name, sizeof(name), "%s/%s", WD_LEGACY_GROUP, event);
	snprintf(line, sizeof(line), "%c:%s %s", retprobe ? 'r' : 'p', name, target);
	if ((err = wd_tracefs_append(e.dir, file, line)))
		goto fail;
	if ((id = wd_tracefs_event_id(e.dir, WD_LEGACY_GROUP, event)) < 0) {
		err = id;
		goto remove;
	}
	pfd = wd_perf_open_tracepoint(id, pid);
	if (pfd < 0) {
		err = wd_err(pfd, "perf_event_open of %s (id %d): %s", name, id, strerror(-pfd));
		goto remove;
	}
	l = wd_perf_link(prog, pfd, cookie, &e, "%s (legacy %s)", desc, name);
	if (l)
		return l;
	err = -errno;
remove:
	wd_legacy_remove(e.dir, file, name);
	wd_err_prefix("attach '%s' to %s: ", prog->name, desc);
	return wd_attach_fail(err);
fail:
	wd_err_prefix("attach '%s' to %s: ", prog->name, desc);
	return wd_attach_fail(err);
}
