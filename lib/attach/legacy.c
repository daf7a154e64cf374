// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Crash-safe legacy probes.  A kprobe_events/uprobe_events entry outlives
 * the process that wrote it: after a SIGKILL it stays, a restart adds a
 * second one, and the kernel's cap on dynamic events ends in EEXIST or in
 * no new probe at all (libbpf #317, cilium/ebpf #284, tracee #447).
 *
 * Every entry warden writes is named
 *
 *     warden/warden_<pid>_<start>_<pidns>_<n>_<what>
 *
 * (group "warden"; pid decimal; start, pidns and n hex): <start> is field 22
 * of /proc/<pid>/stat (clock ticks after boot), <pidns> the inode of
 * /proc/<pid>/ns/pid.  An entry is stale when no process <pid> runs with that
 * start time: the owner is dead, or its pid was reused by another process
 * (which has another start time, warden or not).  An entry written in
 * another pid namespace is never removed: its pid means nothing here.
 * Entries of live owners are never touched.
 *
 * This file owns that identity and the entries; lib/attach/cleanup.c sweeps
 * them together with the TC leftovers (cleanup_net.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "attach.h"
#include "host/tracefs.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct wd_owner self;
static int swept_pid;
static unsigned int counter;

/* Start time of process pid (field 22 of /proc/<pid>/stat), or -errno. */
int wd_proc_start(int pid, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	int fd, field;
	ssize_t n;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: fields restart after the last ')' */
	p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p)
		return -EIO;
	*start = strtoull(p + 1, NULL, 10);
	return 0;
}

static unsigned long long proc_pidns(int pid)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
	return stat(path, &st) ? 0 : (unsigned long long)st.st_ino;
}

const struct wd_owner *wd_owner_self(void)
{
	int pid = getpid();
	pthread_mutex_lock(&lock);
	if (self.pid != pid) {   /* first call, or a forked child */
		self.pid = pid;
		self.start = 0;
		wd_proc_start(pid, &self.start);
		self.pidns = proc_pidns(pid);
	}
	pthread_mutex_unlock(&lock);
	return &self;
}

void wd_legacy_event_name(char *buf, size_t size, const char *what)
{
	const struct wd_owner *o = wd_owner_self();
	unsigned int n = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
	/* MAX_EVENT_NAME_LEN is 64 with the NUL (kernel/trace/trace_probe.h) */
	size_t cap = size < 64 ? size : 64, len;
	snprintf(buf, cap, "warden_%d_%llx_%llx_%x_%s", o->pid, o->start, o->pidns, n, what);
	/* event names are C identifiers: is_good_name() */
	for (len = 0; buf[len]; len++)
		if (!(buf[len] == '_' || (buf[len] >= 'a' && buf[len] <= 'z') ||
		      (buf[len] >= 'A' && buf[len] <= 'Z') || (buf[len] >= '0' && buf[len] <= '9')))
			buf[len] = '_';
}

/* ---- the sweep --------------------------------------------------------------- */

struct sweep {
	bool dry_run;
	wd_stale_fn fn;
	void *ctx;
	int removed;
	const struct wd_owner *me;
};

/* "p:warden/warden_12_..." -> name "warden/warden_12_...". */
static bool parse_line(const char *line, char *name, size_t size, struct wd_owner *o)
{
	const char *colon = strchr(line, ':'), *end;
	size_t n;
	if (!colon)
		return false;
	end = colon + 1 + strcspn(colon + 1, " \t\n");
	n = (size_t)(end - colon - 1);
	if (n >= size)
		return false;
	memcpy(name, colon + 1, n);
	name[n] = '\0';
	if (strncmp(name, WD_LEGACY_GROUP "/warden_", strlen(WD_LEGACY_GROUP "/warden_")))
		return false;
	return sscanf(name + strlen(WD_LEGACY_GROUP "/"), "warden_%d_%llx_%llx_", &o->pid,
		      &o->start, &o->pidns) == 3 && o->pid > 0;
}

static const char *judge(const struct wd_owner *o, const struct wd_owner *me)
{
	unsigned long long start;
	if (o->pidns != me->pidns)
		return "other pid namespace";
	if (wd_proc_start(o->pid, &start) == 0 && start == o->start)
		return "owner alive";
	return NULL;
}

static void sweep_line(struct sweep *s, const char *dir, const char *file, char *line)
{
	struct wd_stale_entry e = { .file = file, .dir = dir, .definition = line };
	char name[160], why[64];
	struct wd_owner o;
	if (!parse_line(line, name, sizeof(name), &o))
		return;
	e.name = name;
	e.pid = o.pid;
	e.verdict = judge(&o, s->me);
	if (!e.verdict && s->dry_run) {
		e.verdict = "stale (dry run)";
		s->removed++;
	} else if (!e.verdict) {
		int err = wd_legacy_remove(dir, file, name);
		if (err && err != -ENOENT) {   /* ENOENT: another sweeper was first */
			snprintf(why, sizeof(why), "busy: %s", strerror(-err));
			e.verdict = why;
		} else {
			e.verdict = "removed";
			s->removed++;
			wd_debug("cleanup: removed stale %s entry %s (pid %d is gone)", file,
				 name, o.pid);
		}
	}
	if (s->fn)
		s->fn(&e, s->ctx);
}

static int sweep_file(struct sweep *s, const char *dir, const char *file)
{
	char *text = wd_tracefs_read(dir, file), *line, *save = NULL;
	if (!text)   /* no CONFIG_KPROBE_EVENTS / CONFIG_UPROBE_EVENTS */
		return errno == ENOENT ? 0 : wd_err(-errno, "cannot read %s/%s: %s", dir, file,
						     strerror(errno));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		sweep_line(s, dir, file, line);
	free(text);
	return 0;
}

static int sweep_dir(const char *dir, void *ctx)
{
	struct sweep *s = ctx;
	int err = sweep_file(s, dir, "kprobe_events");
	return err ? err : sweep_file(s, dir, "uprobe_events");
}

int wd_legacy_remove(const char *dir, const char *file, const char *name)
{
	char line[160];
	snprintf(line, sizeof(line), "-:%s", name);
	return wd_tracefs_append(dir, file, line);
}

int wd_legacy_sweep(bool dry_run, wd_stale_fn fn, void *ctx)
{
	struct sweep s = { .dry_run = dry_run, .fn = fn, .ctx = ctx, .me = wd_owner_self() };
	const char *dir;
	int err;
	/* entries live in the kernel, mounted or not: make tracing visible */
	err = wd_tracefs_dir(&dir);
	if (err == -ENOENT || err == -ENODEV) {
		wd_debug("cleanup: no tracing directory on this kernel: nothing to sweep");
		return 0;
	}
	if (err)
		return err;
	err = wd_tracefs_for_each(sweep_dir, &s);
	if (err < 0)
		return err;
	return s.removed;
}

void wd_cleanup_once(void)
{
	int pid = getpid(), r;
	pthread_mutex_lock(&lock);
	if (swept_pid == pid) {
		pthread_mutex_unlock(&lock);
		return;
	}
	swept_pid = pid;
	pthread_mutex_unlock(&lock);
	r = wd_legacy_sweep(false, NULL, NULL);   /* the trace entries only: no netns walk */
	if (r < 0)
		wd_debug("cleanup at first legacy attach failed: %s", wd_errmsg());
	else if (r > 0)
		wd_debug("cleanup at first legacy attach: removed %d stale entries", r);
}

void wd_cleanup_reset_once(void)
{
	pthread_mutex_lock(&lock);
	swept_pid = 0;
	pthread_mutex_unlock(&lock);
}
