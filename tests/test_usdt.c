// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * USDT on the running kernel: tests/bpf/usdt.bpf.c (libbpf's usdt.bpf.h,
 * unchanged) attached to the probes of tests/usdt/target.c, a child process
 * driven through pipes ("fire N", "sema"; see that file).  Values read by
 * bpf_usdt_arg() are compared with what the target passed, in every
 * argument form; the semaphores are read by the target itself; libbpf
 * attached to the same probes is the oracle for the spec map's contents and
 * the values read.  Targets live in <build>/tests/data (tests/usdt.mk),
 * found beside $WARDEN_OBJ_DIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "harness.h"
#include "host/tracefs.h"
#include "warden/features.h"
#include "warden/warden.h"
#include "warden/link.h"

/* tests/bpf/usdt.bpf.c */
#define NR_ARGS 12
struct rec {
	uint64_t hits;
	int64_t arg[NR_ARGS];
	int64_t err[NR_ARGS];
	int64_t arg_cnt;
	uint64_t cookie;
	uint64_t ip;
	char str[16];
};
enum { P_ARGS, P_SIMPLE, P_SEMA, P_LIB, P_AUTO, P_MULTI };
#define SPEC_SIZE 208   /* struct __bpf_usdt_spec of usdt.bpf.h */

#define AUTO_DIR "/tmp/warden_usdt"   /* the path in on_auto's section name */
#define PRELINK_DIR "/tmp/warden_usdt_prelink"

/* ---- the target process ---------------------------------------------------------- */

struct target {
	pid_t pid;
	FILE *in, *out;   /* its stdin, its stdout */
};

/* <build>/tests/data/<name>, beside $WARDEN_OBJ_DIR (<build>/bpf). */
static const char *data_path(const char *name)
{
	static char path[PATH_MAX];
	const char *dir = getenv("WARDEN_OBJ_DIR");
	snprintf(path, sizeof(path), "%s/../tests/data/%s", dir ? dir : "build/bpf", name);
	return path;
}

static bool target_line(struct target *t, char *buf, size_t size)
{
	if (!fgets(buf, (int)size, t->out))
		return false;
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

static void target_start(struct target *t, const char *bin)
{
	int to[2], from[2];
	char line[64];
	int pid = 0;
	if (access(bin, X_OK))
		fail_msg("no USDT target %s (make builds it: tests/usdt.mk): %s", bin,
			 strerror(errno));
	assert_int_equal(pipe2(to, O_CLOEXEC), 0);
	assert_int_equal(pipe2(from, O_CLOEXEC), 0);
	t->pid = fork();
	assert_true(t->pid >= 0);
	if (t->pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		execl(bin, bin, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	t->in = fdopen(to[1], "w");
	t->out = fdopen(from[0], "r");
	assert_non_null(t->in);
	assert_non_null(t->out);
	setvbuf(t->in, NULL, _IOLBF, 0);
	assert_true(target_line(t, line, sizeof(line)));
	assert_int_equal(sscanf(line, "ready %d", &pid), 1);
	assert_int_equal(pid, t->pid);
}

static void target_fire(struct target *t, int n)
{
	char line[64], want[64];
	fprintf(t->in, "fire %d\n", n);
	fflush(t->in);
	assert_true(target_line(t, line, sizeof(line)));
	snprintf(want, sizeof(want), "fired %d", n);
	assert_string_equal(line, want);
}

/* The target's own view of its semaphores: wdtest:sema and wdlib:hit. */
static void target_sema(struct target *t, unsigned *main_sema, unsigned *lib_sema)
{
	char line[64];
	fprintf(t->in, "sema\n");
	fflush(t->in);
	assert_true(target_line(t, line, sizeof(line)));
	assert_int_equal(sscanf(line, "sema %u %u", main_sema, lib_sema), 2);
}

static void target_stop(struct target *t)
{
	int status = 0;
	if (t->pid <= 0)
		return;
	fprintf(t->in, "quit\n");
	fclose(t->in);
	fclose(t->out);
	if (waitpid(t->pid, &status, 0) == t->pid)
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	t->pid = 0;
}

/* ---- the object ------------------------------------------------------------------- */

static struct wd_object *open_usdt(pid_t target)
{
	struct wd_object *obj = wd_object_open(wd_test_obj("usdt.o"), NULL);
	uint32_t zero = 0, tgid = (uint32_t)target;
	assert_non_null(obj);
	if (wd_object_load(obj, NULL)) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", wd_errmsg());
		wd_object_close(obj);
		fail_msg("load usdt.o: %s", msg);
	}
	assert_int_equal(wd_map_update(wd_object_map(obj, "filter"), &zero, &tgid, 0), 0);
	return obj;
}

static struct rec rec_at(struct wd_object *obj, int probe, int i)
{
	struct rec r;
	uint32_t key = (uint32_t)(probe * 8 + i);
	assert_int_equal(wd_map_lookup(wd_object_map(obj, "recs"), &key, &r), 0);
	return r;
}

static uint64_t hits(struct wd_object *obj, int probe, int n)
{
	uint64_t sum = 0;
	for (int i = 0; i < n; i++)
		sum += rec_at(obj, probe, i).hits;
	return sum;
}

/* Does the object's program read BPF cookies?  As the loader decides
 * LINUX_HAS_BPF_COOKIE (bpf_get_attach_cookie, 5.15). */
static bool cookies(void)
{
	return wd_probe_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_get_attach_cookie) == 1;
}

static void read_spec(struct wd_object *obj, int id, uint8_t spec[SPEC_SIZE])
{
	assert_int_equal(wd_map_value_size(wd_object_map(obj, "__bpf_usdt_specs")), SPEC_SIZE);
	assert_int_equal(wd_map_lookup(wd_object_map(obj, "__bpf_usdt_specs"), &id, spec), 0);
}

static uint64_t spec_cookie(const uint8_t spec[SPEC_SIZE])
{
	uint64_t c;
	memcpy(&c, spec + 12 * 16, sizeof(c));
	return c;
}

static struct wd_link *attach(struct wd_object *obj, const char *prog, const char *bin,
			      pid_t pid, const char *provider, const char *name,
			      const struct wd_usdt_opts *o)
{
	struct wd_link *l = wd_prog_attach_usdt(wd_object_prog(obj, prog), bin, pid, provider,
						name, o);
	if (!l)
		fail_msg("attach %s to %s:%s: %s", prog, provider, name, wd_errmsg());
	return l;
}

/* ---- argument forms ------------------------------------------------------------------ */

/* wdtest:args: "-4@%reg 8@(%reg) -4@12(%reg) -2@$-7 8@%reg -1@%reg8 2@%reg16
 * 8@%reg -4@-4(%reg)" with the values target.c passes for i. */
static void check_args(const struct rec *r, int i, uint64_t cookie)
{
	static const int64_t none = 0;
	assert_int_equal(r->hits, 1);
	assert_int_equal(r->arg_cnt, 9);
	for (int k = 0; k < 9; k++)
		assert_int_equal(r->err[k], 0);
	for (int k = 9; k < NR_ARGS; k++) {
		assert_int_equal(r->err[k], -ENOENT);
		assert_int_equal(r->arg[k], none);
	}
	assert_int_equal(r->arg[0], -1 - i);                                    /* -4@%reg */
	assert_int_equal((uint64_t)r->arg[1], 0x1122334455667700ULL + (uint64_t)i); /* 8@(%reg) */
	assert_int_equal(r->arg[2], -1000 - i);                                 /* -4@12(%reg) */
	assert_int_equal(r->arg[3], -7);                                        /* -2@$-7 */
	assert_true(r->arg[4] != 0);                                            /* 8@%reg: char * */
	assert_string_equal(r->str, "hello usdt");
	assert_int_equal(r->arg[5], -3 - i);                                    /* -1@%reg8 */
	assert_int_equal(r->arg[6], 0xbee0 + i);                                /* 2@%reg16 */
	assert_int_equal(r->arg[7], i);                                         /* 8@%reg */
	assert_int_equal(r->arg[8], -1000 - i);                                 /* -4@-4(%reg) */
	assert_int_equal(r->cookie, cookie);
}

static void args_in_every_form(const char *bin, pid_t pid_mode)
{
	struct target t;
	struct wd_usdt_opts o = { .sz = sizeof(o), .cookie = 0xc0ffee };
	target_start(&t, data_path(bin));
	struct wd_object *obj = open_usdt(t.pid);
	struct wd_link *l = attach(obj, "on_args", data_path(bin),
				   pid_mode == 0 ? t.pid : -1, "wdtest", "args", &o);
	target_fire(&t, 3);
	for (int i = 0; i < 3; i++) {
		struct rec r = rec_at(obj, P_ARGS, i);
		check_args(&r, i, 0xc0ffee);
	}
	assert_int_equal(wd_link_detach(l), 0);
	target_fire(&t, 3);
	assert_int_equal(hits(obj, P_ARGS, 3), 3);   /* none after detach */
	target_stop(&t);
	wd_object_close(obj);
}

static void usdt_reads_every_argument_form(void **state)
{
	(void)state;
	args_in_every_form("usdt_target", -1);
}

/* A PIE binary: for every process with cookies, else for its pid. */
static void usdt_reads_arguments_in_a_pie_binary(void **state)
{
	(void)state;
	args_in_every_form("usdt_target_pie", cookies() ? -1 : 0);
	args_in_every_form("usdt_target_pie", 0);
}

/* wdtest:simple through BPF_USDT, operands chosen by the compiler. */
static void usdt_bpf_usdt_macro_reads_compiler_chosen_operands(void **state)
{
	struct target t;
	(void)state;
	target_start(&t, data_path("usdt_target_pie"));
	struct wd_object *obj = open_usdt(t.pid);
	struct wd_link *l = attach(obj, "on_simple", data_path("usdt_target_pie"), t.pid,
				   "wdtest", "simple", NULL);
	target_fire(&t, 4);
	for (int i = 0; i < 4; i++) {
		struct rec r = rec_at(obj, P_SIMPLE, i);
		assert_int_equal(r.hits, 1);
		assert_int_equal(r.arg_cnt, 3);
		assert_int_equal(r.arg[0], i);
		assert_int_equal(r.arg[1], 4242);
		assert_string_equal(r.str, "hello usdt");
		assert_int_equal(r.cookie, 0);
	}
	assert_int_equal(wd_link_detach(l), 0);
	target_stop(&t);
	wd_object_close(obj);
}

/* Three sites, two argument strings: two specs, every site fires. */
static void usdt_every_site_of_a_probe_with_shared_specs(void **state)
{
	struct wd_usdt_opts o = { .sz = sizeof(o), .cookie = 0x5eed };
	uint8_t spec[SPEC_SIZE];
	struct target t;
	uint64_t c;
	(void)state;
	target_start(&t, data_path("usdt_target"));
	struct wd_object *obj = open_usdt(t.pid);
	struct wd_link *l = attach(obj, "on_multi", data_path("usdt_target"), -1, "wdtest", "multi",
				   &o);
	assert_non_null(strstr(wd_link_describe(l), "(3 sites"));
	target_fire(&t, 3);
	assert_int_equal(rec_at(obj, P_MULTI, 1).hits, 6);     /* sites 1 and 3 */
	assert_int_equal(rec_at(obj, P_MULTI, 2).hits, 3);
	assert_int_equal(rec_at(obj, P_MULTI, 2).arg[1], 2);
	assert_int_equal(rec_at(obj, P_MULTI, 1).cookie, 0x5eed);
	assert_int_equal(rec_at(obj, P_MULTI, 2).cookie, 0x5eed);
	for (int id = 0; id < 3; id++) {
		read_spec(obj, id, spec);
		memcpy(&c, spec + 12 * 16, sizeof(c));
		assert_int_equal(c, id < 2 ? 0x5eed : 0);         /* a third spec was never made */
	}
	assert_int_equal(wd_link_detach(l), 0);
	target_fire(&t, 1);
	assert_int_equal(rec_at(obj, P_MULTI, 1).hits, 6);
	target_stop(&t);
	wd_object_close(obj);
}

/* A bare name is looked up as libbpf does: programs in $PATH, libraries in
 * $LD_LIBRARY_PATH. */
static void usdt_bare_names_are_looked_up(void **state)
{
	char dir[PATH_MAX], *old_path = getenv("PATH"), *old_ld = getenv("LD_LIBRARY_PATH");
	char *saved_path = old_path ? strdup(old_path) : NULL;
	char *saved_ld = old_ld ? strdup(old_ld) : NULL;
	struct target t;
	(void)state;
	assert_non_null(realpath(data_path(""), dir));
	target_start(&t, data_path("usdt_target"));
	struct wd_object *obj = open_usdt(t.pid);
	setenv("PATH", dir, 1);
	setenv("LD_LIBRARY_PATH", dir, 1);
	struct wd_link *a = wd_prog_attach_usdt(wd_object_prog(obj, "on_args"), "usdt_target", t.pid,
						"wdtest", "args", NULL);
	struct wd_link *b = wd_prog_attach_usdt(wd_object_prog(obj, "on_lib"), "libusdt_lib.so",
						t.pid, "wdlib", "hit", NULL);
	struct wd_link *c = wd_prog_attach_usdt(wd_object_prog(obj, "on_sema"), "no_such_usdt_prog",
						t.pid, "wdtest", "sema", NULL);
	saved_path ? setenv("PATH", saved_path, 1) : unsetenv("PATH");
	saved_ld ? setenv("LD_LIBRARY_PATH", saved_ld, 1) : unsetenv("LD_LIBRARY_PATH");
	free(saved_path);
	free(saved_ld);
	assert_null(c);
	assert_non_null(strstr(wd_errmsg(), "$PATH"));
	if (!a || !b)
		fail_msg("attach by bare name: %s", wd_errmsg());
	assert_non_null(strstr(wd_link_describe(a), dir));
	assert_non_null(strstr(wd_link_describe(b), dir));
	target_fire(&t, 1);
	assert_int_equal(rec_at(obj, P_ARGS, 0).hits, 1);
	assert_int_equal(rec_at(obj, P_LIB, 0).hits, 1);
	target_stop(&t);
	wd_object_close(obj);
}

/* Copy src to dst atomically (a running copy keeps its inode). */
static void install(const char *src, const char *dst)
{
	char cmd[3 * PATH_MAX];
	snprintf(cmd, sizeof(cmd), "cp %s %s.tmp.%d && mv -f %s.tmp.%d %s", src, dst, (int)getpid(),
		 dst, (int)getpid(), dst);
	assert_int_equal(system(cmd), 0);
}

/* Prelink moves a binary's code and its .stapsdt.base section but not the
 * (non-allocated) notes: the note's base then differs from the section's
 * address by as much as the probe moved.  Played backwards: in a copy, the
 * note of wdtest:args says probe and base are 0x1000 lower than they are;
 * the difference brings the probe back to its nop. */
static void usdt_prelink_base_difference_is_applied(void **state)
{
	static const char key[] = "wdtest\0args\0-4@";
	char tmp[PATH_MAX];
	struct target t;
	FILE *f;
	long size;
	(void)state;
	mkdir(PRELINK_DIR, 0755);
	install(data_path("libusdt_lib.so"), PRELINK_DIR "/libusdt_lib.so");
	assert_non_null(f = fopen(data_path("usdt_target"), "rb"));
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	char *buf = malloc((size_t)size);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	char *at = memmem(buf, (size_t)size, key, sizeof(key) - 1);
	assert_non_null(at);
	uint64_t addr[3];                       /* probe, base, semaphore */
	memcpy(addr, at - sizeof(addr), sizeof(addr));
	addr[0] -= 0x1000;
	addr[1] -= 0x1000;
	memcpy(at - sizeof(addr), addr, sizeof(addr));
	/* written aside, then renamed over: a copy still running keeps its inode */
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", PRELINK_DIR "/usdt_target", (int)getpid());
	assert_non_null(f = fopen(tmp, "wb"));
	assert_int_equal(fwrite(buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	free(buf);
	assert_int_equal(chmod(tmp, 0755), 0);
	assert_int_equal(rename(tmp, PRELINK_DIR "/usdt_target"), 0);
	target_start(&t, PRELINK_DIR "/usdt_target");
	struct wd_object *obj = open_usdt(t.pid);
	struct wd_link *l = attach(obj, "on_args", PRELINK_DIR "/usdt_target", t.pid, "wdtest",
				   "args", NULL);
	target_fire(&t, 2);
	struct rec r = rec_at(obj, P_ARGS, 1);
	check_args(&r, 1, 0);
	assert_int_equal(wd_link_detach(l), 0);
	target_stop(&t);
	wd_object_close(obj);
}

/* ---- semaphores ------------------------------------------------------------------------ */

static void semaphore_counted_while_attached(const struct wd_usdt_opts *o, bool by_pid)
{
	struct target t;
	unsigned sema = 9, lib = 9;
	target_start(&t, data_path("usdt_target"));
	struct wd_object *obj = open_usdt(t.pid);
	target_sema(&t, &sema, &lib);
	assert_int_equal(sema, 0);
	target_fire(&t, 2);                       /* guarded by the semaphore: silent */
	struct wd_link *l = attach(obj, "on_sema", data_path("usdt_target"),
				   by_pid ? t.pid : -1, "wdtest", "sema", o);
	target_sema(&t, &sema, &lib);
	assert_int_equal(sema, 1);
	target_fire(&t, 2);
	assert_int_equal(rec_at(obj, P_SEMA, 0).hits, 1);
	assert_int_equal(rec_at(obj, P_SEMA, 1).hits, 1);
	assert_int_equal(rec_at(obj, P_SEMA, 1).arg[0], 1);
	assert_int_equal(wd_link_detach(l), 0);
	target_sema(&t, &sema, &lib);
	assert_int_equal(sema, 0);
	target_fire(&t, 2);
	assert_int_equal(hits(obj, P_SEMA, 2), 2);
	target_stop(&t);
	wd_object_close(obj);
}

/* The kernel counts it (uprobe ref_ctr_offset, 4.20) for every process. */
static void usdt_semaphore_counted_by_the_kernel_while_attached(void **state)
{
	(void)state;
	if (access("/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset", F_OK))
		WD_SKIP("this kernel has no uprobe ref_ctr_offset (4.20)");
	semaphore_counted_while_attached(NULL, false);
}

/* As before 4.20: warden writes /proc/PID/mem of the one process traced. */
static void usdt_semaphore_counted_through_proc_mem_for_one_pid(void **state)
{
	struct wd_usdt_opts o = { .sz = sizeof(o), .sema_by_mem = true };
	(void)state;
	semaphore_counted_while_attached(&o, true);
}

static void usdt_semaphore_through_proc_mem_needs_a_pid(void **state)
{
	struct wd_usdt_opts o = { .sz = sizeof(o), .sema_by_mem = true };
	struct target t;
	unsigned sema = 9, lib = 9;
	(void)state;
	target_start(&t, data_path("usdt_target"));
	struct wd_object *obj = open_usdt(t.pid);
	assert_null(wd_prog_attach_usdt(wd_object_prog(obj, "on_sema"), data_path("usdt_target"),
					-1, "wdtest", "sema", &o));
	assert_int_equal(errno, EOPNOTSUPP);
	assert_non_null(strstr(wd_errmsg(), "give a pid"));
	target_sema(&t, &sema, &lib);
	assert_int_equal(sema, 0);
	target_stop(&t);
	wd_object_close(obj);
}

/* ---- shared library ----------------------------------------------------------------------- */

static void usdt_probe_in_a_shared_library(void **state)
{
	struct target t;
	unsigned sema = 9, lib = 9;
	char libpath[PATH_MAX];
	(void)state;
	snprintf(libpath, sizeof(libpath), "%s", data_path("libusdt_lib.so"));
	target_start(&t, data_path("usdt_target"));
	struct wd_object *obj = open_usdt(t.pid);
	struct wd_link *l = attach(obj, "on_lib", libpath, cookies() ? -1 : t.pid, "wdlib", "hit",
				   NULL);
	target_sema(&t, &sema, &lib);
	if (!access("/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset", F_OK))
		assert_int_equal(lib, 1);
	target_fire(&t, 3);
	for (int i = 0; i < 3; i++) {
		struct rec r = rec_at(obj, P_LIB, i);
		assert_int_equal(r.hits, 1);
		assert_int_equal(r.arg[0], i);
		assert_int_equal(r.arg[1], 3 * i);
	}
	assert_int_equal(wd_link_detach(l), 0);
	target_sema(&t, &sema, &lib);
	assert_int_equal(lib, 0);
	/* for one pid, on any kernel: the ip map where there are no cookies */
	l = attach(obj, "on_lib", libpath, t.pid, "wdlib", "hit", NULL);
	target_fire(&t, 2);
	assert_int_equal(rec_at(obj, P_LIB, 1).hits, 2);
	assert_int_equal(wd_link_detach(l), 0);
	target_stop(&t);
	wd_object_close(obj);
}

/* Without cookies a PIE binary or a library needs a pid (no address is
 * known for every process); with them any process will do. */
static void usdt_library_for_every_process_needs_cookies(void **state)
{
	struct target t;
	(void)state;
	if (cookies())
		WD_SKIP("this kernel has BPF cookies: every process can be traced (tested above)");
	target_start(&t, data_path("usdt_target"));
	struct wd_object *obj = open_usdt(t.pid);
	assert_null(wd_prog_attach_usdt(wd_object_prog(obj, "on_lib"), data_path("libusdt_lib.so"),
					-1, "wdlib", "hit", NULL));
	assert_int_equal(errno, EOPNOTSUPP);
	assert_non_null(strstr(wd_errmsg(), "give a pid"));
	target_stop(&t);
	wd_object_close(obj);
}

/* ---- by section name, legacy, links ---------------------------------------------------------- */

static void usdt_attaches_by_section_name(void **state)
{
	struct target t;
	(void)state;
	mkdir(AUTO_DIR, 0755);
	install(data_path("libusdt_lib.so"), AUTO_DIR "/libusdt_lib.so");
	install(data_path("usdt_target"), AUTO_DIR "/usdt_target");
	target_start(&t, AUTO_DIR "/usdt_target");
	struct wd_object *obj = open_usdt(t.pid);
	struct wd_prog *p = wd_object_prog(obj, "on_auto");
	assert_true(wd_prog_can_auto_attach(p));
	struct wd_link *l = wd_prog_attach(p);
	if (!l)
		fail_msg("attach on_auto: %s", wd_errmsg());
	assert_non_null(strstr(wd_link_describe(l), "wdtest:simple"));
	target_fire(&t, 2);
	assert_int_equal(rec_at(obj, P_AUTO, 0).hits, 1);
	assert_int_equal(rec_at(obj, P_AUTO, 1).arg[0], 1);
	assert_int_equal(wd_link_detach(l), 0);
	/* SEC("usdt") names no target; "usdt/x" no provider: both say what to write */
	assert_false(wd_prog_can_auto_attach(wd_object_prog(obj, "on_args")));
	assert_null(wd_prog_attach(wd_object_prog(obj, "on_args")));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(wd_errmsg(), "wd_prog_attach_usdt"));
	assert_false(wd_prog_can_auto_attach(wd_object_prog(obj, "on_badsec")));
	assert_null(wd_prog_attach(wd_object_prog(obj, "on_badsec")));
	assert_non_null(strstr(wd_errmsg(), "usdt/<path>:<provider>:<name>"));
	target_stop(&t);
	wd_object_close(obj);
}

static bool uprobe_events_has(const char *needle)
{
	const char *dir;
	char *text;
	bool found;
	if (wd_tracefs_dir(&dir))
		return false;
	text = wd_tracefs_read(dir, "uprobe_events");
	found = text && strstr(text, needle);
	free(text);
	return found;
}

/* uprobe_events, the semaphore in "(0x<offset>)" (4.20); the entries go at detach. */
static void usdt_legacy_uprobe_events_with_semaphore(void **state)
{
	struct wd_usdt_opts o = { .sz = sizeof(o), .force_legacy = true, .cookie = 7 };
	struct target t;
	unsigned sema = 9, lib = 9;
	char tag[64];
	(void)state;
	if (access("/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset", F_OK))
		WD_SKIP("this kernel has no uprobe ref_ctr_offset (4.20)");
	target_start(&t, data_path("usdt_target"));
	struct wd_object *obj = open_usdt(t.pid);
	struct wd_link *a = attach(obj, "on_args", data_path("usdt_target"), -1, "wdtest", "args", &o);
	struct wd_link *s = attach(obj, "on_sema", data_path("usdt_target"), -1, "wdtest", "sema", &o);
	snprintf(tag, sizeof(tag), "warden_%d_", (int)getpid());
	assert_true(uprobe_events_has(tag));
	assert_true(uprobe_events_has("(0x"));
	target_sema(&t, &sema, &lib);
	assert_int_equal(sema, 1);
	target_fire(&t, 2);
	struct rec r = rec_at(obj, P_ARGS, 1);
	check_args(&r, 1, 7);
	assert_int_equal(rec_at(obj, P_SEMA, 1).hits, 1);
	assert_int_equal(wd_link_detach(a), 0);
	assert_int_equal(wd_link_detach(s), 0);
	assert_false(uprobe_events_has(tag));
	target_sema(&t, &sema, &lib);
	assert_int_equal(sema, 0);
	target_stop(&t);
	wd_object_close(obj);
}

/* Two links of one object hold two spec ids; a freed id is used again; the
 * object's close detaches what is still attached (semaphore back to 0). */
static void usdt_spec_ids_per_link_and_close_detaches(void **state)
{
	struct wd_usdt_opts o1 = { .sz = sizeof(o1), .cookie = 111 };
	struct wd_usdt_opts o2 = { .sz = sizeof(o2), .cookie = 222 };
	struct wd_usdt_opts o3 = { .sz = sizeof(o3), .cookie = 333 };
	uint8_t spec[SPEC_SIZE];
	unsigned sema = 9, lib = 9;
	struct target t;
	(void)state;
	target_start(&t, data_path("usdt_target"));
	struct wd_object *obj = open_usdt(t.pid);
	const char *bin = data_path("usdt_target");
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s", bin);
	struct wd_link *a = attach(obj, "on_simple", path, -1, "wdtest", "simple", &o1);
	struct wd_link *b = attach(obj, "on_sema", path, -1, "wdtest", "sema", &o2);
	read_spec(obj, 0, spec);
	assert_int_equal(spec_cookie(spec), 111);
	read_spec(obj, 1, spec);
	assert_int_equal(spec_cookie(spec), 222);
	assert_int_equal(wd_link_detach(a), 0);
	a = attach(obj, "on_args", path, -1, "wdtest", "args", &o3);
	read_spec(obj, 0, spec);
	assert_int_equal(spec_cookie(spec), 333);
	target_fire(&t, 1);
	struct rec r = rec_at(obj, P_ARGS, 0);
	check_args(&r, 0, 333);
	assert_int_equal(rec_at(obj, P_SEMA, 0).cookie, 222);
	(void)b;
	target_sema(&t, &sema, &lib);
	wd_object_close(obj);           /* a and b still attached */
	target_sema(&t, &sema, &lib);
	assert_int_equal(sema, 0);
	target_stop(&t);
}

static void usdt_errors_name_the_cause(void **state)
{
	struct target t;
	(void)state;
	target_start(&t, data_path("usdt_target"));
	struct wd_object *obj = open_usdt(t.pid);
	struct wd_prog *p = wd_object_prog(obj, "on_args");
	assert_null(wd_prog_attach_usdt(p, data_path("usdt_target"), -1, "wdtest", "nope", NULL));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(wd_errmsg(), "no USDT probe wdtest:nope"));
	assert_non_null(strstr(wd_errmsg(), "wdtest:args"));    /* what it has */
	assert_null(wd_prog_attach_usdt(p, "/no/such/binary", -1, "wdtest", "args", NULL));
	assert_int_equal(errno, ENOENT);
	assert_null(wd_prog_attach_usdt(p, wd_test_obj("usdt.o"), -1, "wdtest", "args", NULL));
	assert_int_equal(errno, ENOEXEC);
	assert_non_null(strstr(wd_errmsg(), "neither an executable nor a shared library"));
	assert_null(wd_prog_attach_usdt(p, data_path("usdt_target"), -1, "", "args", NULL));
	assert_int_equal(errno, EINVAL);
	/* an object without usdt.bpf.h's maps */
	struct wd_object *min = wd_object_open(wd_test_obj("attach_trace.o"), NULL);
	struct wd_prog *mp;
	assert_non_null(min);
	wd_object_for_each_prog(mp, min)
		wd_prog_set_autoload(mp, !strcmp(wd_prog_name(mp), "up"));
	if (wd_object_load(min, NULL))
		fail_msg("load attach_trace.o: %s", wd_errmsg());
	assert_null(wd_prog_attach_usdt(wd_object_prog(min, "up"), data_path("usdt_target"), -1,
					"wdtest", "args", NULL));
	assert_non_null(strstr(wd_errmsg(), "usdt.bpf.h"));
	wd_object_close(min);
	/* nothing was left attached: the probe stays silent */
	target_fire(&t, 2);
	assert_int_equal(hits(obj, P_ARGS, 2), 0);
	target_stop(&t);
	wd_object_close(obj);
}

/* ---- libbpf as the oracle -------------------------------------------------------------------- */

struct oracle {
	struct bpf_object *obj;
	struct bpf_link *link;
};

static void libbpf_attach(struct oracle *o, pid_t target, pid_t pid, const char *prog,
			  const char *bin, const char *provider, const char *name, uint64_t cookie)
{
	LIBBPF_OPTS(bpf_usdt_opts, opts, .usdt_cookie = cookie);
	uint32_t zero = 0, tgid = (uint32_t)target;
	o->obj = bpf_object__open_file(wd_test_obj("usdt.o"), NULL);
	assert_non_null(o->obj);
	assert_int_equal(bpf_object__load(o->obj), 0);
	assert_int_equal(bpf_map__update_elem(bpf_object__find_map_by_name(o->obj, "filter"), &zero,
					      sizeof(zero), &tgid, sizeof(tgid), 0), 0);
	o->link = bpf_program__attach_usdt(bpf_object__find_program_by_name(o->obj, prog), pid, bin,
					   provider, name, &opts);
	if (!o->link)
		fail_msg("libbpf: attach %s to %s:%s: %s", prog, provider, name, strerror(errno));
}

static void oracle_compare(const char *prog, const char *target, const char *bin,
			   const char *provider, const char *name, int probe)
{
	struct target t;
	struct oracle lb;
	uint8_t ours[SPEC_SIZE], theirs[SPEC_SIZE];
	struct wd_usdt_opts o = { .sz = sizeof(o), .cookie = 0xabc };
	uint64_t total = 0;
	target_start(&t, target);
	/* without cookies PIE binaries and libraries need the pid, for both */
	pid_t pid = cookies() ? -1 : t.pid;
	struct wd_object *obj = open_usdt(t.pid);
	struct wd_link *l = attach(obj, prog, bin, pid, provider, name, &o);
	libbpf_attach(&lb, t.pid, pid, prog, bin, provider, name, 0xabc);
	for (uint32_t id = 0; id < 3; id++) {      /* wdtest:multi has two specs */
		read_spec(obj, (int)id, ours);
		assert_int_equal(bpf_map__lookup_elem(bpf_object__find_map_by_name(lb.obj,
						      "__bpf_usdt_specs"), &id, sizeof(id),
						      theirs, sizeof(theirs), 0), 0);
		assert_memory_equal(ours, theirs, SPEC_SIZE);
	}
	target_fire(&t, 3);
	for (uint32_t i = 0; i < 8; i++) {
		struct rec a = rec_at(obj, probe, (int)i), b;
		uint32_t key = (uint32_t)probe * 8 + i;
		assert_int_equal(bpf_map__lookup_elem(bpf_object__find_map_by_name(lb.obj, "recs"),
						      &key, sizeof(key), &b, sizeof(b), 0), 0);
		assert_memory_equal(&a, &b, sizeof(a));
		total += a.hits;
	}
	assert_true(total >= 3);
	bpf_link__destroy(lb.link);
	bpf_object__close(lb.obj);
	assert_int_equal(wd_link_detach(l), 0);
	target_stop(&t);
	wd_object_close(obj);
}

static void usdt_same_specs_and_values_as_libbpf(void **state)
{
	(void)state;
	char exe[PATH_MAX], pie[PATH_MAX], lib[PATH_MAX];
	snprintf(exe, sizeof(exe), "%s", data_path("usdt_target"));
	snprintf(pie, sizeof(pie), "%s", data_path("usdt_target_pie"));
	snprintf(lib, sizeof(lib), "%s", data_path("libusdt_lib.so"));
	oracle_compare("on_args", exe, exe, "wdtest", "args", P_ARGS);
	oracle_compare("on_simple", pie, pie, "wdtest", "simple", P_SIMPLE);
	oracle_compare("on_lib", exe, lib, "wdlib", "hit", P_LIB);
	oracle_compare("on_multi", exe, exe, "wdtest", "multi", P_MULTI);
}

static const struct CMUnitTest usdt_tests[] = {
	cmocka_unit_test(usdt_reads_every_argument_form),
	cmocka_unit_test(usdt_reads_arguments_in_a_pie_binary),
	cmocka_unit_test(usdt_bpf_usdt_macro_reads_compiler_chosen_operands),
	cmocka_unit_test(usdt_every_site_of_a_probe_with_shared_specs),
	cmocka_unit_test(usdt_bare_names_are_looked_up),
	cmocka_unit_test(usdt_prelink_base_difference_is_applied),
	cmocka_unit_test(usdt_semaphore_counted_by_the_kernel_while_attached),
	cmocka_unit_test(usdt_semaphore_counted_through_proc_mem_for_one_pid),
	cmocka_unit_test(usdt_semaphore_through_proc_mem_needs_a_pid),
	cmocka_unit_test(usdt_probe_in_a_shared_library),
	cmocka_unit_test(usdt_library_for_every_process_needs_cookies),
	cmocka_unit_test(usdt_attaches_by_section_name),
	cmocka_unit_test(usdt_legacy_uprobe_events_with_semaphore),
	cmocka_unit_test(usdt_spec_ids_per_link_and_close_detaches),
	cmocka_unit_test(usdt_errors_name_the_cause),
	cmocka_unit_test(usdt_same_specs_and_values_as_libbpf),
};

WD_TEST_SET(usdt_set, "attach", usdt_tests);
