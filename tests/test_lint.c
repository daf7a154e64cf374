// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The preflight lint (issue 18, diag/lint.c), through `warden doctor
 * FILE.o`: one object per pitfall (tests/bpf/lint_*.bpf.c), each finding
 * checked against what the kernel really does where it can be: the records
 * a non-zero return adds to a perf event, the renamed symbol in kallsyms
 * and the probe that fails on the old name, the syscall argument read past
 * the wrapper, the verifier's combined stack limit, the tail call that
 * falls through, and the fleet table's "would fail" as a real load against
 * that BTF.  kprobes exist in the guests (5.10, 6.1, 6.12), not here.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "warden/link.h"
#include "warden/spec.h"
#include "warden/warden.h"

/* The lint line of `out` with this severity, program and text. */
static bool lint_line(const char *out, const char *sev, const char *what, const char *text)
{
	const char *lint = out ? strstr(out, "== lint ==") : NULL;

	for (const char *l = lint; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char line[2048];
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(l, "\n"), l);
		if (!strncmp(line, sev, strlen(sev)) && line[strlen(sev)] == ' ' &&
		    strstr(line, what) && strstr(line, text))
			return true;
	}
	return false;
}

static char *doctor(const char *args, int *rc)
{
	char cmd[2048], *out = NULL;

	snprintf(cmd, sizeof(cmd), "%s doctor %s", wd_test_cli(), args);
	*rc = wd_test_run(cmd, &out);
	assert_non_null(out);
	return out;
}

#define EXPECT_LINT(out, sev, what, text)                                                    \
	do {                                                                                 \
		if (!lint_line(out, sev, what, text))                                        \
			fail_msg("no lint line '%s %s ... %s' in:\n%s", sev, what, text, out); \
	} while (0)
#define EXPECT_NO_LINT(out, sev, what)                                                       \
	do {                                                                                 \
		if (lint_line(out, sev, what, ""))                                           \
			fail_msg("unexpected lint line '%s %s' in:\n%s", sev, what, out);     \
	} while (0)

static bool has_kprobes(void)
{
	return access("/sys/bus/event_source/devices/kprobe/type", R_OK) == 0;
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* A perf event of this task with `prog` attached (PERF_EVENT_IOC_SET_BPF,
 * the path every loader takes before BPF links); -errno. */
static int perf_with_prog(struct perf_event_attr *attr, const struct wd_prog *prog)
{
	int fd = (int)syscall(SYS_perf_event_open, attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, wd_prog_fd(prog)) || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0)) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static uint64_t perf_count(int fd)
{
	uint64_t n = 0;

	assert_int_equal(read(fd, &n, sizeof(n)), (ssize_t)sizeof(n));
	return n;
}

/* ---- 1. return values --------------------------------------------------------- */

static int tracepoint_id(const char *cat, const char *name)
{
	const char *dir;
	char path[512];

	if (wd_tracefs_dir(&dir))
		return -1;
	snprintf(path, sizeof(path), "%s/events/%s/%s/id", dir, cat, name);
	return (int)read_long(path);
}

/* How many records the perf event of `prog` (tracepoint
 * syscalls/sys_enter_getppid) got for 20 getppid() calls of this task. */
static int64_t tp_records(struct wd_object *obj, const char *prog, int id)
{
	struct perf_event_attr a = { .size = sizeof(a), .type = PERF_TYPE_TRACEPOINT,
				     .config = (uint64_t)id, .sample_period = 1, .disabled = 1 };
	int fd = perf_with_prog(&a, wd_object_prog(obj, prog));
	uint64_t n;

	if (fd < 0)
		fail_msg("perf event for %s: %s", prog, strerror(-fd));
	for (int i = 0; i < 20; i++)
		syscall(SYS_getppid);
	n = perf_count(fd);
	close(fd);
	return (int64_t)n;
}

static void lint_return_values_and_the_records_they_add(void **state)
{
	int rc, id;
	char *out = doctor(wd_test_obj("lint_ret.o"), &rc);
	struct wd_object *obj;
	(void)state;

	EXPECT_LINT(out, "warning", "tp_ret_one: return value", "lint_ret.bpf.c:10: can return 1");
	EXPECT_LINT(out, "warning", "up_ret_branch: return value", "can return 2");
	/* through a bpf-to-bpf call: the line is in the callee (pick) */
	EXPECT_LINT(out, "warning", "tp_ret_sub: return value", "can return 3");
	EXPECT_LINT(out, "warning", "tp_ret_sub: return value", "lint_ret.bpf.c:4");
	EXPECT_LINT(out, "info", "tp_ret_computed: return value", "returns a computed value");
	EXPECT_NO_LINT(out, "warning", "tp_ret_zero: return value");
	EXPECT_NO_LINT(out, "info", "tp_ret_zero: return value");
	/* warnings and infos only: the exit status is the preflight's */
	if (rc != 0 && !strstr(out, "would fail"))
		fail_msg("exit %d without an error:\n%s", rc, out);
	free(out);

	id = tracepoint_id("syscalls", "sys_enter_getppid");
	if (id < 0)
		WD_SKIP("no syscalls/sys_enter_getppid tracepoint (CONFIG_FTRACE_SYSCALLS)");
	obj = wd_object_open(wd_test_obj("lint_ret.o"), NULL);
	assert_non_null(obj);
	assert_int_equal(wd_object_load(obj, NULL), 0);
	/* the kernel's side: 1 records every hit, 0 none */
	int64_t one = tp_records(obj, "tp_ret_one", id), zero = tp_records(obj, "tp_ret_zero", id);
	int64_t sub = tp_records(obj, "tp_ret_sub", id);
	wd_object_close(obj);
	if (one < 20 || zero != 0 || sub < 20)
		fail_msg("records: return 1 -> %lld (want >= 20), return 0 -> %lld (want 0), "
			 "return pick() = 3 -> %lld (want >= 20)", (long long)one, (long long)zero,
			 (long long)sub);
}

static int64_t kprobe_records(struct wd_object *obj, const char *prog, const char *func)
{
	struct perf_event_attr a = { .size = sizeof(a), .sample_period = 1, .disabled = 1 };
	struct timespec ts = { 0, 1 };
	int fd;
	uint64_t n;

	a.type = (uint32_t)read_long("/sys/bus/event_source/devices/kprobe/type");
	a.config1 = (uint64_t)(uintptr_t)func;   /* kprobe_func */
	fd = perf_with_prog(&a, wd_object_prog(obj, prog));
	if (fd < 0)
		fail_msg("kprobe %s for %s: %s", func, prog, strerror(-fd));
	for (int i = 0; i < 20; i++)
		nanosleep(&ts, NULL);
	n = perf_count(fd);
	close(fd);
	return (int64_t)n;
}

static void lint_kprobe_return_one_writes_to_the_trace_buffer(void **state)
{
	int rc;
	char *out = doctor(wd_test_obj("lint_kret.o"), &rc);
	struct wd_object *obj;
	(void)state;

	EXPECT_LINT(out, "warning", "kp_ret_one: return value", "kprobe_perf_func()");
	EXPECT_NO_LINT(out, "warning", "kp_ret_zero: return value");
	free(out);
	if (!has_kprobes())
		WD_SKIP("this kernel has no kprobe PMU (CONFIG_KPROBE_EVENTS): the records are "
			"counted in the guests");
	obj = wd_object_open(wd_test_obj("lint_kret.o"), NULL);
	assert_non_null(obj);
	assert_int_equal(wd_object_load(obj, NULL), 0);
	int64_t one = kprobe_records(obj, "kp_ret_one", "do_nanosleep");
	int64_t zero = kprobe_records(obj, "kp_ret_zero", "do_nanosleep");
	wd_object_close(obj);
	if (one < 20 || zero != 0)
		fail_msg("kprobe records: return 1 -> %lld (want >= 20), return 0 -> %lld (want 0)",
			 (long long)one, (long long)zero);
}

/* ---- 2. kprobe targets ------------------------------------------------------ */

static bool in_kallsyms(const char *sym)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[512], name[256], type;
	unsigned long long addr;
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%llx %c %255s", &addr, &type, name) == 3 && !strcmp(name, sym);
	if (f)
		fclose(f);
	return found;
}

/* A function of this kernel known only by a renamed variant: variant gets
 * "foo.isra.0", base "foo".  From available_filter_functions where it is
 * readable (an ftrace-able function takes a kprobe; a random one may sit in
 * a noinstr section the kprobe blacklist refuses), else /proc/kallsyms. */
static bool find_renamed(char *base, size_t bsize, char *variant, size_t vsize)
{
	static const char *const suffixes[] = { ".isra.", ".constprop.", ".part." };
	const char *dir = NULL;
	char path[512], line[512], name[256], type;
	unsigned long long addr;
	bool found = false, ftrace;
	FILE *f = NULL;

	if (wd_tracefs_dir(&dir) == 0) {
		snprintf(path, sizeof(path), "%s/available_filter_functions", dir);
		f = fopen(path, "re");
	}
	ftrace = f && fgets(line, sizeof(line), f);   /* EPERM shows at the first read */
	if (f && !ftrace)
		fclose(f);
	if (ftrace)
		rewind(f);
	else
		f = fopen("/proc/kallsyms", "re");
	while (f && !found && fgets(line, sizeof(line), f)) {
		if (ftrace ? sscanf(line, "%255s", name) != 1 :
		    sscanf(line, "%llx %c %255s", &addr, &type, name) != 3 || (type != 't' && type != 'T'))
			continue;
		for (size_t i = 0; i < 3 && !found; i++) {
			char *dot = strstr(name, suffixes[i]);
			if (!dot || strchr(name, '[') || dot - name >= 70 || dot == name ||
			    !strncmp(name, "__pfx_", 6))
				continue;
			snprintf(base, bsize, "%.*s", (int)(dot - name), name);
			snprintf(variant, vsize, "%s", name);
			found = !in_kallsyms(base) && in_kallsyms(variant);
		}
	}
	if (f)
		fclose(f);
	return found;
}

/* The test object with its placeholder target replaced by `sym` (the
 * section name in .shstrtab and in .BTF.ext's strings: every copy). */
static char *object_with_target(const char *sym)
{
	static const char ph[] = "warden_lint_renamed_placeholder_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static char path[64];
	FILE *f = fopen(wd_test_obj("lint_target.o"), "rb");
	char *buf, *at;
	long size;
	int fd, copies = 0;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	buf = malloc((size_t)size);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	assert_true(strlen(sym) < sizeof(ph) - 1);
	for (at = buf; (at = memmem(at, (size_t)(buf + size - at), ph, sizeof(ph) - 1)); at++) {
		memset(at, 0, sizeof(ph) - 1);
		memcpy(at, sym, strlen(sym));
		copies++;
	}
	assert_true(copies > 0);
	snprintf(path, sizeof(path), "/tmp/warden-lint-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, (size_t)size), (ssize_t)size);
	close(fd);
	free(buf);
	return path;
}

/* Does a kprobe on `func` open here? 0 or -errno. */
static int kprobe_opens(const char *func)
{
	struct perf_event_attr a = { .size = sizeof(a), .sample_period = 1, .disabled = 1 };
	int fd;

	a.type = (uint32_t)read_long("/sys/bus/event_source/devices/kprobe/type");
	a.config1 = (uint64_t)(uintptr_t)func;
	fd = (int)syscall(SYS_perf_event_open, &a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static void lint_kprobe_targets_renamed_wrapped_absent(void **state)
{
	char base[128], variant[256], *path, *out;
	int rc;
	bool wrapped = in_kallsyms("__x64_sys_getppid") && !in_kallsyms("sys_getppid");
	(void)state;

	if (!find_renamed(base, sizeof(base), variant, sizeof(variant)))
		WD_SKIP("no function of this kernel is known only by a .isra/.constprop/.part name");
	path = object_with_target(base);
	out = doctor(path, &rc);
	unlink(path);
	assert_int_equal(rc, 1);
	EXPECT_LINT(out, "error", "kp_renamed: target", variant);
	EXPECT_LINT(out, "error", "kp_absent: target", "neither in /proc/kallsyms");
	if (wrapped)
		EXPECT_LINT(out, "error", "kp_unwrapped: target", "the entry is __x64_sys_getppid");
	free(out);
	if (!has_kprobes())
		WD_SKIP("this kernel has no kprobe PMU: the probes on %s and %s are opened in the "
			"guests", base, variant);
	/* the kernel's side: the old name is refused, the variant is probed */
	if (kprobe_opens(base) == 0)
		fail_msg("a kprobe on %s opened although only %s is in kallsyms", base, variant);
	rc = kprobe_opens(variant);
	if (rc)
		fail_msg("a kprobe on %s: %s", variant, strerror(-rc));
	if (wrapped && kprobe_opens("sys_getppid") == 0)
		fail_msg("a kprobe on sys_getppid opened on a kernel with only __x64_sys_getppid");
}

/* A function in kallsyms that ftrace cannot trace (notrace), or false when
 * available_filter_functions cannot be read here. */
static bool find_notrace(char *sym, size_t size)
{
	const char *dir = NULL;
	char path[512], line[512], name[256], type, *list = NULL;
	unsigned long long addr;
	size_t len = 0;
	bool found = false;
	FILE *f, *k;

	if (wd_tracefs_dir(&dir))
		return false;
	snprintf(path, sizeof(path), "%s/available_filter_functions", dir);
	f = fopen(path, "re");
	if (!f)
		return false;
	/* the whole list, one name a line, for strstr */
	FILE *m = open_memstream(&list, &len);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%255s", name) == 1)
			fprintf(m, "\n%s\n", name);
	fclose(f);
	fclose(m);
	k = len ? fopen("/proc/kallsyms", "re") : NULL;
	while (k && !found && fgets(line, sizeof(line), k)) {
		char needle[300];
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3 || type != 'T' ||
		    strchr(name, '.') || !strncmp(name, "__pfx_", 6) || strlen(name) >= 70)
			continue;
		snprintf(needle, sizeof(needle), "\n%s\n", name);
		if (!strstr(list, needle)) {
			snprintf(sym, size, "%s", name);
			found = true;
		}
	}
	if (k)
		fclose(k);
	free(list);
	return found;
}

static void lint_kprobe_on_a_notrace_function(void **state)
{
	char sym[128], *path, *out;
	int rc;
	(void)state;

	if (!find_notrace(sym, sizeof(sym)))
		WD_SKIP("available_filter_functions cannot be read here (or lists every function)");
	path = object_with_target(sym);
	out = doctor(path, &rc);
	unlink(path);
	EXPECT_LINT(out, "error", "kp_renamed: target", "is notrace");
	free(out);
	if (!has_kprobes())
		WD_SKIP("this kernel has no kprobe PMU: the probe on %s is opened in the guests", sym);
	/* the kernel's side: kprobe events refuse it */
	rc = kprobe_opens(sym);
	if (rc == 0)
		fail_msg("a kprobe on notrace %s opened (CONFIG_KPROBE_EVENTS_ON_NOTRACE?)", sym);
}

/* ---- 3. syscall arguments through the wrapper ------------------------------- */

static void lint_syscall_arguments_past_the_wrapper(void **state)
{
	int rc, fd;
	char *out = doctor(wd_test_obj("lint_syscall.o"), &rc);
	struct wd_object *obj;
	struct wd_link *outer, *inner, *arg1;
	const struct wd_map *m, *bss = NULL;
	uint64_t v[5] = { 0 };
	uint32_t key = 0;
	(void)state;

	EXPECT_LINT(out, "error", "args_outer: syscall args", "ctx->si");
	EXPECT_LINT(out, "error", "args_outer: syscall args", "lint_syscall.bpf.c:");
	EXPECT_NO_LINT(out, "error", "args_inner: syscall args");
	EXPECT_LINT(out, "error", "arg1_outer: syscall args", "uses PARM1 (ctx->di");
	assert_int_equal(rc, 1);
	free(out);
	if (!has_kprobes())
		WD_SKIP("this kernel has no kprobe PMU: the arguments are read in the guests");
	if (!in_kallsyms("__x64_sys_dup2"))
		WD_SKIP("no __x64_sys_dup2 (a kernel without the syscall wrapper)");
	obj = wd_object_open(wd_test_obj("lint_syscall.o"), NULL);
	assert_non_null(obj);
	assert_int_equal(wd_object_load(obj, NULL), 0);
	outer = wd_prog_attach(wd_object_prog(obj, "args_outer"));
	inner = wd_prog_attach(wd_object_prog(obj, "args_inner"));
	assert_non_null(outer);
	arg1 = wd_prog_attach(wd_object_prog(obj, "arg1_outer"));
	assert_non_null(inner);
	assert_non_null(arg1);
	fd = dup2(2, 117);
	assert_int_equal(fd, 117);
	close(fd);
	wd_object_for_each_map(m, obj)
		if (wd_map_spec(m)->kind == WD_MAP_BSS)
			bss = m;
	assert_non_null(bss);
	assert_int_equal(wd_map_lookup(bss, &key, v), 0);
	wd_link_detach(outer);
	wd_link_detach(inner);
	wd_link_detach(arg1);
	wd_object_close(obj);
	/* through PARM1: (2, 117); from the outer regs: not the arguments */
	if (v[2] != 2 || v[3] != 117)
		fail_msg("inner regs read (%llu, %llu), not (2, 117)", (unsigned long long)v[2],
			 (unsigned long long)v[3]);
	if (v[1] == 117)
		fail_msg("the outer regs held the second argument: the wrapper finding is wrong here");
	/* PARM1 of the wrapper: the address of the user's regs, not fd 117 */
	if (v[4] == 117 || !(v[4] >> 63))   /* kernel addresses: the upper half */
		fail_msg("PARM1 of __x64_sys_close was %#llx, not a kernel address",
			 (unsigned long long)v[4]);
}

/* ---- 5. stack and tail calls -------------------------------------------------- */

static bool loads_alone(const char *obj_name, const char *prog, const char *btf)
{
	struct wd_open_opts o = { .sz = sizeof(o), .btf_path = btf };
	struct wd_object *obj = wd_object_open(wd_test_obj(obj_name), &o);
	struct wd_prog *p;
	bool ok;

	assert_non_null(obj);
	wd_object_for_each_prog(p, obj)
		wd_prog_set_autoload(p, !strcmp(wd_prog_name(p), prog));
	ok = wd_object_load(obj, NULL) == 0;
	wd_object_close(obj);
	return ok;
}

static void lint_stack_across_calls_against_the_verifier(void **state)
{
	if (wd_test_emulating())
		WD_SKIP("WARDEN_EMULATE=%s lacks the XDP programs this test verifies", wd_emulate_current());
	int rc;
	char *out = doctor(wd_test_obj("lint_stack.o"), &rc);
	(void)state;

	EXPECT_LINT(out, "error", "stack_over: stack", "stack_over (224) -> fill (352)");
	EXPECT_LINT(out, "warning", "stack_near: stack", "480 bytes");
	assert_int_equal(rc, 1);
	/* the kernel's side: the verifier adds the frames up the same way */
	assert_false(loads_alone("lint_stack.o", "stack_over", NULL));
	assert_non_null(strstr(out, "combined stack size"));
	assert_true(loads_alone("lint_stack.o", "stack_near", NULL));
	free(out);
}

static uint32_t xdp_run(struct wd_object *obj, const char *prog)
{
	unsigned char pkt[64] = { 0 };
	uint32_t ret = 0, ns = 0;
	int err = wd_prog_test_run(wd_object_prog(obj, prog), pkt, sizeof(pkt), &ret, &ns);

	if (err)
		fail_msg("test run of %s: %s", prog, wd_errmsg());
	return ret;
}

static void lint_tail_call_slots_never_filled(void **state)
{
	if (wd_test_emulating())
		WD_SKIP("WARDEN_EMULATE=%s lacks the XDP programs this test runs", wd_emulate_current());
	int rc;
	char *out = doctor(wd_test_obj("lint_tail.o"), &rc);
	struct wd_object *obj;
	(void)state;

	EXPECT_LINT(out, "warning", "tail_unfilled: tail call", "slot 1 of 'lint_jmp' is never filled");
	EXPECT_LINT(out, "error", "tail_beyond: tail call", "slot 9 of 'lint_jmp' is beyond its 4");
	EXPECT_NO_LINT(out, "warning", "tail_filled: tail call");
	/* every program loads: the exit status is the lint's error alone */
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "the lint found 1 error"));
	free(out);
	/* the kernel's side: slot 0 jumps (XDP_DROP), slots 1 and 9 fall through */
	obj = wd_object_open(wd_test_obj("lint_tail.o"), NULL);
	assert_non_null(obj);
	assert_int_equal(wd_object_load(obj, NULL), 0);
	assert_int_equal(xdp_run(obj, "tail_filled"), 1);
	assert_int_equal(xdp_run(obj, "tail_unfilled"), 2);
	assert_int_equal(xdp_run(obj, "tail_beyond"), 2);
	wd_object_close(obj);
}

/* ---- 4. fleet reach and --kernel-btf ------------------------------------------ */

/* A kernel BTF with only `struct task_struct { int pid; }` (no tgid), as
 * tests/test_doctor.c writes it. */
static char *write_btf_without_tgid(void)
{
	static char path[64];
	uint32_t types[16], n = 0;
	char strs[] = "\0int\0task_struct\0pid";
	uint32_t str_len = sizeof(strs);
	struct btf_header h = { .magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(h) };
	int fd;

	types[n++] = 1; types[n++] = BTF_KIND_INT << 24; types[n++] = 4;
	types[n++] = BTF_INT_ENC(BTF_INT_SIGNED, 0, 32);
	types[n++] = 5; types[n++] = BTF_KIND_STRUCT << 24 | 1; types[n++] = 4096;
	types[n++] = 17; types[n++] = 1; types[n++] = 100 * 8;
	h.type_len = n * 4;
	h.str_off = h.type_len;
	h.str_len = str_len;
	snprintf(path, sizeof(path), "/tmp/warden-lint-btf-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, &h, sizeof(h)), (ssize_t)sizeof(h));
	assert_int_equal(write(fd, types, h.type_len), (ssize_t)h.type_len);
	assert_int_equal(write(fd, strs, str_len), (ssize_t)str_len);
	close(fd);
	return path;
}

static void lint_fleet_table_against_real_loads(void **state)
{
	char args[512], *out, *btf, fleet[96];
	const char *progs[] = { "pf_unguarded", "pf_guarded" };
	int rc;
	(void)state;

	WD_REQUIRE(wd_probe_kern_btf(), "kernel BTF");
	btf = write_btf_without_tgid();
	snprintf(args, sizeof(args), "%s --kernel-btf %s --kernel-btf /sys/kernel/btf/vmlinux",
		 wd_test_obj("preflight_core.o"), btf);
	out = doctor(args, &rc);
	snprintf(fleet, sizeof(fleet), "fleet %s", strrchr(btf, '/') + 1);
	for (size_t i = 0; i < 2; i++) {
		char what[128], vm[128];
		bool real = loads_alone("preflight_core.o", progs[i], btf);
		snprintf(what, sizeof(what), "%s: %s", progs[i], fleet);
		snprintf(vm, sizeof(vm), "%s: fleet vmlinux", progs[i]);
		/* the table's verdict is what a load against that BTF does */
		if (real)
			EXPECT_LINT(out, "ok", what, "ok");
		else
			EXPECT_LINT(out, "error", what, "would fail: CO-RE");
		if (loads_alone("preflight_core.o", progs[i], "/sys/kernel/btf/vmlinux"))
			EXPECT_LINT(out, "ok", vm, "ok");
		else
			EXPECT_LINT(out, "error", vm, "would fail");
	}
	/* the table: one row per program, one column per kernel */
	assert_non_null(strstr(out, "== fleet =="));
	assert_true(strstr(out, "pf_unguarded             ok                   would fail") ||
		    strstr(out, "pf_unguarded             would fail           ok"));
	/* pf_unguarded reads tgid unguarded: it must be the failing one */
	assert_false(loads_alone("preflight_core.o", "pf_unguarded", btf));
	assert_int_equal(rc, 1);
	EXPECT_LINT(out, "info", "pf_guarded: reach", "needs Linux 5.5+ (mainline): bpf_probe_read_kernel 5.5, CO-RE");
	unlink(btf);
	free(out);
}

/* --json: lint checks typed, with severity and source line; usage errors. */
static void lint_json_and_usage(void **state)
{
	int rc;
	char *out;
	(void)state;

	{
		char args[512];
		snprintf(args, sizeof(args), "--json %s", wd_test_obj("lint_ret.o"));
		out = doctor(args, &rc);
	}
	assert_non_null(strstr(out, "\"section\":\"lint\",\"name\":\"tp_ret_one: return value\""));
	assert_non_null(strstr(out, "\"severity\":\"warning\",\"source\":\"lint_ret.bpf.c:10\""));
	assert_non_null(strstr(out, "\"lint_errors\":0"));
	free(out);
	out = doctor("--kernel-btf /nonexistent", &rc);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(out, "--kernel-btf needs an object file"));
	free(out);
	{
		char args[512];
		snprintf(args, sizeof(args), "%s --kernel-btf /nonexistent", wd_test_obj("lint_tail.o"));
		out = doctor(args, &rc);
	}
	EXPECT_LINT(out, "error", "tail_target: fleet nonexistent", "cannot read /nonexistent");
	assert_int_equal(rc, 1);
	free(out);
}

static const struct CMUnitTest lint_tests[] = {
	cmocka_unit_test(lint_return_values_and_the_records_they_add),
	cmocka_unit_test(lint_kprobe_return_one_writes_to_the_trace_buffer),
	cmocka_unit_test(lint_kprobe_targets_renamed_wrapped_absent),
	cmocka_unit_test(lint_kprobe_on_a_notrace_function),
	cmocka_unit_test(lint_syscall_arguments_past_the_wrapper),
	cmocka_unit_test(lint_stack_across_calls_against_the_verifier),
	cmocka_unit_test(lint_tail_call_slots_never_filled),
	cmocka_unit_test(lint_fleet_table_against_real_loads),
	cmocka_unit_test(lint_json_and_usage),
};

WD_TEST_SET(lint_set, "doctor", lint_tests);
