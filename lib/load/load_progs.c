// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The programs of an object into the kernel, once its BTF and maps exist.
 * Programs are independent of each other at this point (prog arrays are
 * filled after all of them load), and BPF_PROG_LOAD runs the verifier in
 * the calling thread without a global lock for privileged callers, so
 * loading them from several threads divides the verifier's wall time,
 * which dominates start-up.
 *
 * One worker per possible CPU (the caller is one of them) takes programs,
 * the longest first.  The result is what a sequential load gives:
 *  - the error reported is the first failing program's in object order,
 *    with its message in the caller's thread (the error context is
 *    per thread, lib/sys/error.c), and obj->failed_prog is that program;
 *  - programs after it that loaded anyway are closed and put back as a
 *    sequential load leaves them (never reached): no fd, log, image or
 *    attach id of theirs stays;
 *  - debug lines are kept per program and printed from the caller's thread
 *    in object order, up to the failing program.
 * Shared state the workers reach is safe to share: probe caches are atomic
 * (lib/host/probe.c), kernel BTF is parsed once (pthread_once) and its name
 * index built under a lock (lib/spec/btf.c), the fault seam asks its
 * function under a lock (lib/sys/sys.c), and the memlock test, which lowers
 * the process's limit for a moment, runs before the workers start.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"
#include "load_progs.h"
#include "warden/features.h"
#include "warden/kconfig.h"

/* BTF-attached programs (tp_btf, fentry, lsm, iter) need a kernel BTF id. */
static int resolve_attach_btf_id(struct wd_prog *p)
{
	const struct wd_btf *vmlinux;
	const char *target;
	char name[256];
	uint32_t id;
	if (!p->def || !(p->def->flags & WD_SEC_ATTACH_BTF) || p->attach_btf_id)
		return 0;
	target = wd_sec_target(p->def, p->sec_name);
	if (!*target)
		return wd_err(-EINVAL, "program '%s': section '%s' names no attach target "
			      "(expected '%s/<function>')", p->name, p->sec_name, p->def->prefix);
	vmlinux = wd_btf_vmlinux();
	if (!vmlinux)
		return wd_err(-ENOTSUP, "program '%s' (%s) needs kernel BTF, and "
			      "/sys/kernel/btf/vmlinux is missing: this kernel cannot attach it",
			      p->name, p->def->prefix);
	snprintf(name, sizeof(name), "%s%s", p->def->attach_prefix, target);
	id = wd_btf_find(vmlinux, name, p->expected_attach_type == BPF_TRACE_RAW_TP ?
			 BTF_KIND_TYPEDEF : BTF_KIND_FUNC);
	if (!id && p->expected_attach_type == BPF_TRACE_RAW_TP)
		/* tp_btf/<tp> is found by its typedef btf_trace_<tp>: name the tracepoint */
		return wd_err(-ENOENT, "program '%s': tracepoint '%s' not found in kernel BTF "
			      "(this kernel has no such raw tracepoint; see "
			      "/sys/kernel/tracing/available_events)", p->name, target);
	if (!id)
		return wd_err(-ENOENT, "program '%s': attach target '%s' not found in kernel BTF",
			      p->name, name);
	p->attach_btf_id = id;
	return 0;
}

/* One program, start to finish: the same steps in either mode. */
static int load_one(struct wd_prog *p)
{
	int err;
	if (!p->type)
		return wd_err(-EINVAL, "program '%s': unknown section name '%s' "
			      "(not one libbpf's conventions know; set the type with wd_prog_set_type)",
			      p->name, p->sec_name);
	if ((err = resolve_attach_btf_id(p)) || (err = wd_prog_assemble(p)))
		return err;
	return wd_prog_load(p);
}

static int load_sequential(struct wd_object *obj)
{
	for (size_t i = 0; i < obj->nr_progs; i++) {
		struct wd_prog *p = &obj->progs[i];
		int err;
		if (!p->autoload)
			continue;
		if ((err = load_one(p))) {
			obj->failed_prog = p;
			return err;
		}
	}
	return 0;
}

/* ---- parallel ------------------------------------------------------------ */

struct job {
	struct wd_prog *prog;
	bool ran;
	int err;
	char *msg;                 /* the program's error line when err */
	struct wd_debug_buf debug; /* its debug lines, printed later in order */
	/* what the program held before: put back when a sequential load
	 * would not have reached it */
	struct wd_asm old_img;
	char *old_log;
	int old_fail_insn;
	uint32_t old_attach_btf_id;
};

/* Shared by the caller and its workers.  Workers are detached: one that
 * starts late (a busy host schedules it after the caller has taken every
 * job) finds nothing to take and leaves; nobody waits for it, and the last
 * one holding the pool frees it.  Jobs are the caller's: a worker touches
 * job i only for an index i < n it took, and the caller settles them only
 * once every index has been finished. */
struct pool {
	struct job *jobs;
	size_t *order;      /* jobs by falling instruction count: the order taken */
	size_t n;
	size_t next;        /* the next job to take (atomic) */
	size_t first_fail;  /* the lowest failed job, n when none (atomic) */
	pthread_mutex_t lock;
	pthread_cond_t all_done;
	size_t finished;    /* jobs taken and finished (under lock) */
	int refs;           /* the caller and each worker (under lock) */
};

static void note_failure(struct pool *pl, size_t i)
{
	size_t cur = __atomic_load_n(&pl->first_fail, __ATOMIC_RELAXED);
	while (i < cur && !__atomic_compare_exchange_n(&pl->first_fail, &cur, i, false,
						       __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void run_job(struct pool *pl, size_t i)
{
	struct job *j = &pl->jobs[i];
	struct wd_prog *p = j->prog;
	j->old_img = p->img;
	memset(&p->img, 0, sizeof(p->img));
	j->old_log = p->log;
	p->log = NULL;
	j->old_fail_insn = p->fail_insn;
	j->old_attach_btf_id = p->attach_btf_id;
	wd_err_clear();
	wd_debug_capture(&j->debug);
	j->err = load_one(p);
	wd_debug_capture(NULL);
	if (!p->img.insns) { /* not assembled: the old image stays, as in a sequential load */
		p->img = j->old_img;
		memset(&j->old_img, 0, sizeof(j->old_img));
	}
	j->ran = true;
	if (j->err) {
		j->msg = strdup(wd_errmsg());
		note_failure(pl, i);
	}
}

/* Take the next job (longest first); false when none is left. */
static bool take_job(struct pool *pl)
{
	size_t k = __atomic_fetch_add(&pl->next, 1, __ATOMIC_RELAXED), i;
	if (k >= pl->n)
		return false;
	i = pl->order[k];
	/* past a failure: a sequential load never gets here */
	if (i <= __atomic_load_n(&pl->first_fail, __ATOMIC_RELAXED))
		run_job(pl, i);
	pthread_mutex_lock(&pl->lock);
	if (++pl->finished == pl->n)
		pthread_cond_signal(&pl->all_done);
	pthread_mutex_unlock(&pl->lock);
	return true;
}

static void pool_put(struct pool *pl)
{
	pthread_mutex_lock(&pl->lock);
	int left = --pl->refs;
	pthread_mutex_unlock(&pl->lock);
	if (left)
		return;
	pthread_mutex_destroy(&pl->lock);
	pthread_cond_destroy(&pl->all_done);
	free(pl);
}

static void *worker(void *arg)
{
	struct pool *pl = arg;
	while (take_job(pl))
		;
	pool_put(pl);
	return NULL;
}

/* A job a sequential load would not have reached: as it was before. */
static void put_back(struct job *j)
{
	struct wd_prog *p = j->prog;
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	wd_asm_free(&p->img);
	p->img = j->old_img;
	free(p->log);
	p->log = j->old_log;
	p->fail_insn = j->old_fail_insn;
	p->attach_btf_id = j->old_attach_btf_id;
}

/* After the workers: the object as a sequential load leaves it. */
static int settle(struct wd_object *obj, struct pool *pl)
{
	size_t f = pl->first_fail;
	for (size_t i = 0; i < pl->n; i++) {
		struct job *j = &pl->jobs[i];
		if (!j->ran)
			continue;
		if (i <= f) {
			wd_debug_replay(&j->debug);
			wd_asm_free(&j->old_img);
			if (j->err && !j->prog->log) /* failed before the verifier: log as it was */
				j->prog->log = j->old_log;
			else
				free(j->old_log);
		} else {
			wd_debug_buf_free(&j->debug);
			put_back(j);
		}
	}
	if (f == pl->n)
		return 0;
	obj->failed_prog = pl->jobs[f].prog;
	if (pl->jobs[f].msg)
		wd_err_set_line(pl->jobs[f].msg);
	else
		wd_err(pl->jobs[f].err, "program '%s': %s (out of memory for the message)",
		       pl->jobs[f].prog->name, strerror(-pl->jobs[f].err));
	return pl->jobs[f].err;
}

/* How many workers: the option, else $WARDEN_LOAD_THREADS, else one per
 * possible CPU; never more than there are programs. */
static size_t worker_count(const struct wd_object *obj, size_t jobs)
{
	long want = obj->lopts.load_threads;
	const char *env = getenv("WARDEN_LOAD_THREADS");
	if (!want && env && *env) {
		char *end;
		want = strtol(env, &end, 10);
		if (*end || want < 0) {
			wd_debug("WARDEN_LOAD_THREADS='%s' is not a count: one thread per CPU", env);
			want = 0;
		}
	}
	if (want <= 0)
		want = wd_cpu_possible_count();
	return (size_t)want < jobs ? (size_t)want : jobs;
}

/* Answers the workers would otherwise race to compute.  The memlock test
 * sets the soft limit to 0 for a moment (lib/host/memlock.c): run from a
 * worker, it could fail another worker's load on a kernel that charges. */
static void warm_caches(void)
{
	(void)wd_kernel_version_code();
	(void)wd_probe_kern_btf();
	(void)wd_memlock_charged();
}

/* Start up to `count` detached workers, with signals left to the
 * application's threads.  Fewer (or none) when threads cannot be made: the
 * caller takes up the rest. */
static void spawn_workers(struct pool *pl, size_t count)
{
	pthread_attr_t attr;
	sigset_t all, old;
	if (pthread_attr_init(&attr))
		return;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	warm_caches();
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (size_t t = 0; t < count; t++) {
		pthread_t tid;
		pthread_mutex_lock(&pl->lock);
		pl->refs++;
		pthread_mutex_unlock(&pl->lock);
		if (pthread_create(&tid, &attr, worker, pl)) {
			pool_put(pl);
			wd_debug("parallel load: cannot start a thread: %zu of %zu started", t, count);
			break;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* By default workers start only once the caller has spent this long on
 * the first programs: most objects verify in well under a millisecond,
 * where a thread (about 50 us here) costs more than it saves; a program
 * the verifier walks for longer pays for the threads many times over.
 * Objects with many programs, and an explicit load_threads > 1, start
 * them at once. */
#define SPAWN_AFTER_NS 1000000u
#define SPAWN_NOW_JOBS 8

/* Longest first (by instructions, the verifier's cost as far as it shows
 * before a run), so that no long program is left to run alone at the end;
 * ties in object order.  Which program fails first is decided by object
 * order (first_fail), not by this one. */
static int longer_first(const void *a, const void *b, void *ctx)
{
	const struct job *jobs = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	uint32_t cx = jobs[x].prog->func->cnt, cy = jobs[y].prog->func->cnt;
	if (cx != cy)
		return cx > cy ? -1 : 1;
	return x < y ? -1 : x > y;
}

static void order_jobs(struct job *jobs, size_t *order, size_t n)
{
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), longer_first, jobs);
}

static int load_parallel(struct wd_object *obj, size_t nthreads, size_t njobs)
{
	struct pool *pl = calloc(1, sizeof(*pl));
	struct job *jobs = calloc(njobs, sizeof(*jobs));
	size_t *order = calloc(njobs, sizeof(*order));
	uint64_t start = now_ns();
	uint64_t after = obj->lopts.load_threads > 1 || njobs >= SPAWN_NOW_JOBS ? 0 : SPAWN_AFTER_NS;
	bool spawned = false;
	int err;
	if (!pl || !jobs || !order) {
		free(pl);
		free(jobs);
		free(order);
		wd_debug("parallel load: out of memory, loading one program after another");
		return load_sequential(obj);
	}
	*pl = (struct pool){ .jobs = jobs, .order = order, .n = njobs, .first_fail = njobs,
			     .refs = 1 };
	pthread_mutex_init(&pl->lock, NULL);
	pthread_cond_init(&pl->all_done, NULL);
	for (size_t i = 0, k = 0; i < obj->nr_progs; i++)
		if (obj->progs[i].autoload)
			jobs[k++].prog = &obj->progs[i];
	order_jobs(jobs, order, njobs);
	if (!after) {
		spawn_workers(pl, nthreads - 1);
		spawned = true;
	}
	while (take_job(pl)) {
		if (!spawned && now_ns() - start >= after &&
		    __atomic_load_n(&pl->next, __ATOMIC_RELAXED) < njobs) {
			spawn_workers(pl, nthreads - 1);
			spawned = true;
		}
	}
	/* every job is taken: wait for the ones still in a worker's hands */
	pthread_mutex_lock(&pl->lock);
	while (pl->finished < njobs)
		pthread_cond_wait(&pl->all_done, &pl->lock);
	pthread_mutex_unlock(&pl->lock);
	err = settle(obj, pl);
	for (size_t i = 0; i < njobs; i++)
		free(jobs[i].msg);
	free(jobs);
	free(order);
	pool_put(pl);
	return err;
}

int wd_load_progs(struct wd_object *obj)
{
	size_t njobs = 0, nthreads;
	for (size_t i = 0; i < obj->nr_progs; i++)
		njobs += obj->progs[i].autoload;
	nthreads = worker_count(obj, njobs);
	if (nthreads <= 1)
		return load_sequential(obj);
	return load_parallel(obj, nthreads, njobs);
}
