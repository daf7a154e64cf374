// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench/snoop: what a user of a real tool pays per traced syscall.  The BPF
 * object is one written by others: the one Debian's libbpf-tools opensnoop
 * loads, taken at run time from the binary (its skeleton embeds the ELF
 * object in .rodata: the first "\x7fELF" there with e_machine EM_BPF, as
 * long as its section header table says).  Nothing of it is in this tree.
 *
 * Four arms, the same generator (a thread on CPU 0: open()+close() of one
 * file N times; every event the object emits for it carries the file's
 * unique path), the consumer on CPU 1:
 *   untraced   nothing attached
 *   libbpf     the object loaded by libbpf, perf_buffer__poll (100 ms
 *              timeout: what the tool does)
 *   warden     the same object loaded by libwarden, targ_tgid set through
 *              wd_object_set_global(), read by wd_events_poll() (default
 *              policy)
 *   tool       the libbpf-tools binary itself (`opensnoop -p PID`, line-
 *              buffered into a file; events = its lines naming the path)
 * Per arm: ns per open+close (generator thread CPU time, which on a kernel
 * without IRQ_TIME_ACCOUNTING includes the wake-up interrupts it takes;
 * wall time beside it), "+ns" over untraced, events received against opens
 * generated, losses, and the IRQ work interrupts on CPU 0 per open (how a
 * perf or ring buffer wakes its reader).  Then ratios of the added cost.
 *
 *   bench_snoop [-n OPENS] [-p PERF_PAGES] [-r ROUNDS] [-t TOOL_BINARY]
 *
 * -p: pages per CPU for libbpf's and warden's perf buffers (default 1024:
 * 4 MiB; the tool always has its own 64).  Why not 64 for them too: a
 * consumer that is not woken for every event lets the traced loop run 4-5x
 * faster (here up to 250k opens/s, 78 MB/s of 312-byte events), while on a
 * host loaded by other work the consumer thread waits for a CPU for tens of
 * milliseconds at times (bench/ringbuf's latency maxima: 100-370 ms at load
 * average 15, for libbpf's consumer as for warden's).  Measured here, warden
 * lost 2.5% of the events with 64 pages (load average 6), 0-10% with 256
 * (load 10-16), none with 1024 (load 21); libbpf, whose wake-ups slow the
 * loop down, lost 0-0.4%, 0-15% and none.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "../bench_clock.h"
#include "warden/events.h"
#include "warden/link.h"
#include "warden/warden.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

#define PERF_PAGES 64           /* libbpf-tools opensnoop's PERF_BUFFER_PAGES */
#define BENCH_PAGES 1024        /* libbpf's and warden's here (-p) */
#define POLL_MS 100             /* and its PERF_POLL_TIMEOUT_MS */
#define DRAIN_SECS 10.0        /* at most, for the last events to arrive */

enum arm { UNTRACED, LIBBPF, WARDEN, TOOL, NR_ARMS };
static const char *const arm_names[NR_ARMS] = { "untraced", "libbpf", "warden", "tool" };

struct result {
	uint64_t opens, received, lost, iwi;
	double cpu, wall;       /* generator, seconds */
	double cons_cpu;        /* consumer thread (libbpf, warden) */
	struct wd_events_consumer_stats ws;
	bool ok;
};

struct bench {
	const char *tool;
	void *obj_buf;          /* the embedded BPF object */
	size_t obj_size;
	char dir[64], path[96]; /* the generated file: its path marks our events */
	uint64_t n;
	size_t pages;           /* perf buffer pages per CPU, libbpf and warden */
	volatile uint64_t received, lost;
	volatile int stop;
};

/* ---- small helpers ------------------------------------------------------ */

/* IRQ work interrupts taken by CPU 0 so far (/proc/interrupts, "IWI:"). */
static uint64_t iwi_cpu0(void)
{
	char line[4096];
	unsigned long long v = 0;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " IWI: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* ---- the object, out of the tool's binary ------------------------------- */

static int read_file(const char *path, uint8_t **buf, size_t *size)
{
	FILE *f = fopen(path, "rb");
	long len;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -EIO;
	}
	*buf = malloc(len ? len : 1);
	if (!*buf || fread(*buf, 1, len, f) != (size_t)len) {
		fclose(f);
		free(*buf);
		return -EIO;
	}
	fclose(f);
	*size = len;
	return 0;
}

/* The host binary's .rodata as [*off, *off + *len). */
static int find_rodata(const uint8_t *b, size_t size, size_t *off, size_t *len)
{
	const Elf64_Ehdr *eh = (const void *)b;
	const Elf64_Shdr *sh, *strsec;

	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shentsize != sizeof(*sh) ||
	    eh->e_shoff > size || eh->e_shnum > (size - eh->e_shoff) / sizeof(*sh) ||
	    eh->e_shstrndx >= eh->e_shnum)
		return -ENOEXEC;
	sh = (const void *)(b + eh->e_shoff);
	strsec = &sh[eh->e_shstrndx];
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		size_t name = strsec->sh_offset + sh[i].sh_name;
		if (name + sizeof(".rodata") > size || strcmp((const char *)b + name, ".rodata"))
			continue;
		if (sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset)
			return -ENOEXEC;
		*off = sh[i].sh_offset;
		*len = sh[i].sh_size;
		return 0;
	}
	return -ENOENT;
}

/* The first 64-bit little-endian EM_BPF ELF object inside .rodata, its size
 * from its own section header table (the table ends the file clang writes). */
static int extract_bpf_object(const char *tool, void **obj, size_t *obj_size)
{
	uint8_t *b = NULL;
	size_t size = 0, off, len;
	int err = read_file(tool, &b, &size);

	if (err)
		return fprintf(stderr, "bench_snoop: read %s: %s\n", tool, strerror(-err)), err;
	if ((err = find_rodata(b, size, &off, &len))) {
		free(b);
		return fprintf(stderr, "bench_snoop: %s: no .rodata\n", tool), err;
	}
	for (size_t i = off; i + sizeof(Elf64_Ehdr) <= off + len; i++) {
		const Elf64_Ehdr *eh = (const void *)(b + i);
		size_t end;

		if (memcmp(b + i, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
		    eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_BPF)
			continue;
		end = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
		if (end > off + len - i)
			continue;
		*obj = malloc(end);
		if (!*obj)
			break;
		memcpy(*obj, b + i, end);
		*obj_size = end;
		free(b);
		return 0;
	}
	free(b);
	fprintf(stderr, "bench_snoop: no BPF object in %s's .rodata\n", tool);
	return -ENOENT;
}

/* ---- the generator and the callbacks ------------------------------------ */

static void generate(struct bench *b, struct result *r)
{
	double c0, w0;

	pin(0);
	r->iwi = iwi_cpu0();
	c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	w0 = now();
	for (uint64_t i = 0; i < b->n; i++) {
		int fd = open(b->path, O_RDONLY);
		if (fd >= 0)
			close(fd);
	}
	r->cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	r->wall = now() - w0;
	r->iwi = iwi_cpu0() - r->iwi;
	r->opens = b->n;
}

/* One event of ours: the record names our file (whatever the layout). */
static void on_event(struct bench *b, const void *data, size_t size)
{
	if (memmem(data, size, b->path, strlen(b->path)))
		b->received++;
}

static void libbpf_sample(void *ctx, int cpu, void *data, __u32 size)
{
	(void)cpu;
	on_event(ctx, data, size);
}

static void libbpf_lost(void *ctx, int cpu, __u64 n)
{
	struct bench *b = ctx;
	(void)cpu;
	b->lost += n;
}

static int warden_sample(void *ctx, int cpu, const void *data, size_t size)
{
	(void)cpu;
	on_event(ctx, data, size);
	return 0;
}

static void warden_lost(void *ctx, int cpu, uint64_t n)
{
	struct bench *b = ctx;
	(void)cpu;
	b->lost += n;
}

/* ---- in-process arms: a consumer thread, the generator, the drain -------- */

struct consumer {
	struct bench *b;
	int (*poll)(void *c, int timeout_ms);
	void *c;
	double cpu;
};

static int libbpf_poll(void *c, int t) { return perf_buffer__poll(c, t); }
static int warden_poll(void *c, int t) { return wd_events_poll(c, t); }

static void *consumer_thread(void *arg)
{
	struct consumer *k = arg;
	double c0;

	pin(1);
	c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	while (!k->b->stop)
		k->poll(k->c, POLL_MS);
	while (k->poll(k->c, 0) > 0)
		;
	k->cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	return NULL;
}

/* Generate, wait until every event arrived (or DRAIN_SECS), stop. */
static void run_consumer(struct bench *b, struct consumer *k, struct result *r)
{
	pthread_t t;
	double end;

	b->received = b->lost = 0;
	b->stop = 0;
	pthread_create(&t, NULL, consumer_thread, k);
	usleep(20000);
	generate(b, r);
	end = now() + DRAIN_SECS;
	while (b->received + b->lost < b->n && now() < end)
		usleep(1000);
	b->stop = 1;
	pthread_join(t, NULL);
	r->received = b->received;
	r->lost = b->lost;
	r->cons_cpu = k->cpu;
	r->ok = true;
}

/* A global of .rodata at its offset in the section (BTF, as libbpf fixed it). */
static int libbpf_set_rodata(struct bpf_object *obj, const char *var, const void *val,
			     size_t size)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, ".rodata");
	const struct btf *btf = bpf_object__btf(obj);
	int id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -1;
	size_t msz = 0;
	/* writable until load (libbpf 1.1 declares it const) */
	uint8_t *img = m ? (uint8_t *)(uintptr_t)bpf_map__initial_value(m, &msz) : NULL;

	if (id < 0 || !img)
		return -ENOENT;
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_var_secinfo *vs = btf_var_secinfos(t);
	for (int i = 0; i < btf_vlen(t); i++, vs++) {
		const char *name = btf__name_by_offset(btf, btf__type_by_id(btf, vs->type)->name_off);
		if (strcmp(name, var) || vs->size != size || vs->offset + size > msz)
			continue;
		memcpy(img + vs->offset, val, size);
		return 0;
	}
	return -ENOENT;
}

static void arm_libbpf(struct bench *b, struct result *r)
{
	struct bpf_object *obj = bpf_object__open_mem(b->obj_buf, b->obj_size, NULL);
	struct bpf_link *links[16];
	struct bpf_program *p;
	struct perf_buffer *pb = NULL;
	int nl = 0, tgid = getpid();

	if (!obj)
		return (void)fprintf(stderr, "libbpf: open: %s\n", strerror(errno));
	if (libbpf_set_rodata(obj, "targ_tgid", &tgid, sizeof(tgid)))
		fprintf(stderr, "libbpf: no targ_tgid in .rodata\n");
	else if (bpf_object__load(obj))
		fprintf(stderr, "libbpf: load failed\n");
	else
		pb = perf_buffer__new(bpf_object__find_map_fd_by_name(obj, "events"), b->pages,
				      libbpf_sample, libbpf_lost, b, NULL);
	if (pb) {
		bpf_object__for_each_program(p, obj)
			if (nl < 16 && (links[nl] = bpf_program__attach(p)))
				nl++;
		struct consumer k = { .b = b, .poll = libbpf_poll, .c = pb };
		run_consumer(b, &k, r);
	}
	while (nl)
		bpf_link__destroy(links[--nl]);
	perf_buffer__free(pb);
	bpf_object__close(obj);
}

static void arm_warden(struct bench *b, struct result *r)
{
	struct wd_open_opts oo = { .sz = sizeof(oo), .name = "opensnoop.bpf.o" };
	struct wd_events_opts eo = { .sz = sizeof(eo), .perf_pages = b->pages };
	struct wd_object *obj = wd_object_open_mem(b->obj_buf, b->obj_size, &oo);
	struct wd_link *links[16];
	struct wd_events *ev = NULL;
	struct wd_prog *p;
	int nl = 0, tgid = getpid();

	if (!obj)
		return (void)fprintf(stderr, "warden: %s\n", wd_errmsg());
	if (wd_object_set_global(obj, "targ_tgid", &tgid, sizeof(tgid)) ||
	    wd_object_load(obj, NULL) ||
	    !(ev = wd_events_new(wd_object_map(obj, "events"), warden_sample, warden_lost, b, &eo)))
		fprintf(stderr, "warden: %s\n", wd_errmsg());
	if (ev) {
		wd_object_for_each_prog(p, obj) {
			if (nl < 16 && (links[nl] = wd_prog_attach(p)))
				nl++;
			else
				fprintf(stderr, "warden: attach %s: %s\n", wd_prog_name(p), wd_errmsg());
		}
		struct consumer k = { .b = b, .poll = warden_poll, .c = ev };
		run_consumer(b, &k, r);
		r->ws.sz = sizeof(r->ws);
		wd_events_read_stats(ev, &r->ws);
	}
	while (nl)
		wd_link_detach(links[--nl]);
	wd_events_free(ev);
	wd_object_close(obj);
}

static void arm_untraced(struct bench *b, struct result *r)
{
	generate(b, r);
	r->ok = true;
}

/* ---- the tool itself ---------------------------------------------------- */

/* Lines of `file` containing `needle`; *header: some line starts with "PID". */
static uint64_t count_lines(const char *file, const char *needle, bool *header)
{
	char line[1024];
	uint64_t n = 0;
	FILE *f = fopen(file, "r");

	if (header)
		*header = false;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, needle))
			n++;
		else if (header && !strncmp(line, "PID", 3))
			*header = true;
	}
	fclose(f);
	return n;
}

static uint64_t tool_lost(const char *file)
{
	char line[512];
	unsigned long long v, n = 0;
	FILE *f = fopen(file, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Lost %llu", &v) == 1)
			n += v;
	fclose(f);
	return n;
}

static void arm_tool(struct bench *b, struct result *r)
{
	char out[128], err[128], pid[16];
	bool header = false;
	double end;
	pid_t child;
	int st;

	snprintf(out, sizeof(out), "%s/tool.out", b->dir);
	snprintf(err, sizeof(err), "%s/tool.err", b->dir);
	snprintf(pid, sizeof(pid), "%d", getpid());
	child = fork();
	if (child == 0) {
		cpu_set_t set;
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		CPU_ZERO(&set);
		CPU_SET(1 % sysconf(_SC_NPROCESSORS_ONLN), &set);
		sched_setaffinity(0, sizeof(set), &set);
		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(127);
		/* line-buffered: the header line says it attached */
		execlp("stdbuf", "stdbuf", "-oL", b->tool, "-p", pid, (char *)NULL);
		_exit(127);
	}
	if (child < 0)
		return (void)fprintf(stderr, "tool: fork: %s\n", strerror(errno));
	for (end = now() + 20; !header && now() < end; usleep(20000)) {
		count_lines(out, b->path, &header);
		if (waitpid(child, &st, WNOHANG) == child) {
			fprintf(stderr, "tool: %s exited before attaching (see %s)\n", b->tool, err);
			return;
		}
	}
	if (header) {
		usleep(20000);
		generate(b, r);
		for (end = now() + DRAIN_SECS; now() < end; usleep(10000))
			if (count_lines(out, b->path, NULL) >= b->n)
				break;
	} else {
		fprintf(stderr, "tool: no header from %s in 20 s\n", b->tool);
	}
	kill(child, SIGINT);
	waitpid(child, &st, 0);
	r->received = count_lines(out, b->path, NULL);
	r->lost = tool_lost(err);
	r->ok = header;
}

/* ---- report ------------------------------------------------------------- */

static double per_op_ns(double s, uint64_t n) { return n ? s * 1e9 / n : 0; }

static void print_header(void)
{
	printf("%-9s %8s %9s %9s %9s %9s %9s %6s %8s %11s %9s\n", "arm", "opens", "cpu-ns/op",
	       "+ns", "wall-ns/op", "received", "lost", "match", "IWI/open", "cons-ns/ev",
	       "wakeups");
}

static void print_result(enum arm a, const struct result *r, double base_ns)
{
	double ns = per_op_ns(r->cpu, r->opens);

	if (!r->ok) {
		printf("%-9s failed\n", arm_names[a]);
		return;
	}
	printf("%-9s %8llu %9.0f %9.0f %9.0f ", arm_names[a], (unsigned long long)r->opens, ns,
	       a == UNTRACED ? 0 : ns - base_ns, per_op_ns(r->wall, r->opens));
	if (a == UNTRACED) {
		printf("%9s %9s %6s %8.4f\n", "-", "-", "-", r->iwi / (double)r->opens);
		return;
	}
	printf("%9llu %9llu %6s %8.4f ", (unsigned long long)r->received,
	       (unsigned long long)r->lost, r->received == r->opens ? "yes" : "NO",
	       r->iwi / (double)r->opens);
	if (a == TOOL)
		printf("%11s %9s\n", "-", "-");
	else if (a == WARDEN)
		printf("%11.0f %9llu  (polls %llu, streaming %llu times, period now %llu us)\n",
		       per_op_ns(r->cons_cpu, r->received), (unsigned long long)r->ws.wakeups,
		       (unsigned long long)r->ws.polls, (unsigned long long)r->ws.stream_entries,
		       (unsigned long long)r->ws.period_ns / 1000);
	else
		printf("%11.0f %9s\n", per_op_ns(r->cons_cpu, r->received), "-");
}

static void add(struct result *s, const struct result *r)
{
	s->ok = (s->ok || !s->opens) && r->ok;
	s->opens += r->opens;
	s->received += r->received;
	s->lost += r->lost;
	s->iwi += r->iwi;
	s->cpu += r->cpu;
	s->wall += r->wall;
	s->cons_cpu += r->cons_cpu;
	s->ws.wakeups += r->ws.wakeups;
	s->ws.polls += r->ws.polls;
	s->ws.stream_entries += r->ws.stream_entries;
	s->ws.period_ns = r->ws.period_ns;
}

int main(int argc, char **argv)
{
	struct bench b = { .tool = "/usr/sbin/opensnoop", .n = 100000, .pages = BENCH_PAGES };
	static struct result sum[NR_ARMS];
	int rounds = 3, c, fd;

	while ((c = getopt(argc, argv, "n:p:r:t:")) != -1) {
		switch (c) {
		case 'n': b.n = strtoull(optarg, NULL, 0); break;
		case 'p': b.pages = strtoul(optarg, NULL, 0); break;
		case 'r': rounds = atoi(optarg); break;
		case 't': b.tool = optarg; break;
		default:
			fprintf(stderr, "usage: bench_snoop [-n OPENS] [-p PAGES] [-r ROUNDS] [-t TOOL]\n");
			return 2;
		}
	}
	if (geteuid() != 0)
		return fprintf(stderr, "bench_snoop: needs root\n"), 1;
	if (access(b.tool, X_OK))
		return fprintf(stderr, "bench_snoop: no %s (apt-get install libbpf-tools)\n",
			       b.tool), 1;
	if (extract_bpf_object(b.tool, &b.obj_buf, &b.obj_size))
		return 1;
	snprintf(b.dir, sizeof(b.dir), "/tmp/warden-snoop.XXXXXX");
	if (!mkdtemp(b.dir))
		return fprintf(stderr, "bench_snoop: mkdtemp: %s\n", strerror(errno)), 1;
	snprintf(b.path, sizeof(b.path), "%s/opened-by-bench", b.dir);
	if ((fd = open(b.path, O_WRONLY | O_CREAT, 0600)) >= 0)
		close(fd);
	libbpf_set_print(NULL);
	printf("object: %zu bytes, the BPF ELF embedded in %s; %llu open()+close() per arm on "
	       "CPU 0, consumer on CPU 1, perf buffer %zu pages/CPU (the tool: %d)\n", b.obj_size,
	       b.tool, (unsigned long long)b.n, b.pages, PERF_PAGES);
	for (int round = 1; round <= rounds; round++) {
		struct result r[NR_ARMS] = { 0 };

		printf("\nround %d\n", round);
		print_header();
		arm_untraced(&b, &r[UNTRACED]);
		arm_libbpf(&b, &r[LIBBPF]);
		arm_warden(&b, &r[WARDEN]);
		arm_tool(&b, &r[TOOL]);
		for (int a = 0; a < NR_ARMS; a++) {
			print_result(a, &r[a], per_op_ns(r[UNTRACED].cpu, r[UNTRACED].opens));
			add(&sum[a], &r[a]);
		}
	}
	double base = per_op_ns(sum[UNTRACED].cpu, sum[UNTRACED].opens);
	double add_l = per_op_ns(sum[LIBBPF].cpu, sum[LIBBPF].opens) - base;
	double add_w = per_op_ns(sum[WARDEN].cpu, sum[WARDEN].opens) - base;
	double add_t = per_op_ns(sum[TOOL].cpu, sum[TOOL].opens) - base;
	printf("\nall rounds\n");
	print_header();
	for (int a = 0; a < NR_ARMS; a++)
		print_result(a, &sum[a], base);
	printf("\nadded cost per open(): libbpf %+.0f ns, warden %+.0f ns, the tool %+.0f ns; "
	       "libbpf/warden %.2fx, tool/warden %.2fx; events lost or missing: libbpf %lld, "
	       "warden %lld, tool %lld\n", add_l, add_w, add_t,
	       add_w > 0 ? add_l / add_w : 0, add_w > 0 ? add_t / add_w : 0,
	       (long long)(sum[LIBBPF].opens - sum[LIBBPF].received),
	       (long long)(sum[WARDEN].opens - sum[WARDEN].received),
	       (long long)(sum[TOOL].opens - sum[TOOL].received));
	unlink(b.path);
	char f[160];
	snprintf(f, sizeof(f), "%s/tool.out", b.dir);
	unlink(f);
	snprintf(f, sizeof(f), "%s/tool.err", b.dir);
	unlink(f);
	rmdir(b.dir);
	free(b.obj_buf);
	/* events missing are printed, not a failure (a loaded host decides
	 * them); an arm that could not run is */
	return sum[LIBBPF].ok && sum[WARDEN].ok ? 0 : 1;
}
