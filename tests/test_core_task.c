// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CO-RE against this kernel's real vmlinux BTF (group "core"; the matrix
 * runs it in the 5.10, 6.1 and 6.12 guests, whose task_struct layouts all
 * differ from the build host's): tests/bpf/core_task.bpf.c, built against
 * the build host's vmlinux.h with no local flavors, is loaded, run in this
 * task, and
 *  - the values read through relocated offsets are this task's (pid, tgid,
 *    parent, comm);
 *  - every relocated offset equals the member's offset in
 *    /sys/kernel/btf/vmlinux, found by a walk of the BTF written here
 *    (warden's public BTF API, anonymous members descended) rather than by
 *    the CO-RE engine under test;
 *  - where this kernel's task_struct differs in size from the build host's,
 *    relocation really moved offsets (the test cannot pass on a kernel
 *    whose layout happens to equal the build's without saying so).
 * And on the host, without a VM: the same offsets against the BTF of each
 * guest kernel the matrix has cached (vm/guest-btf.sh), as the target BTF
 * file of the object.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/btf.h>
#include "harness.h"
#include "warden/bpf.h"
#include "warden/btf.h"
#include "warden/core.h"
#include "warden/warden.h"

static const char *const fields[] = {
	"pid", "tgid", "comm", "real_parent", "flags", "mm", "cred", "start_time",
	"exit_code", "nsproxy", "prio", "se",
};
#define NF (sizeof(fields) / sizeof(fields[0]))

struct task_res {
	uint64_t pid, tgid, ppid;
	char comm[16];
	uint64_t off[NF];
	uint64_t task_size;
};

/* Byte offset of member `name` in composite `id`, looking into anonymous
 * struct/union members; -1 when absent. */
static long member_off(const struct wd_btf *b, uint32_t id, const char *name, int depth)
{
	const struct btf_type *t;
	const struct btf_member *m;
	id = wd_btf_skip_mods(b, id, true);
	t = wd_btf_type(b, id);
	if (!t || !btf_is_composite(t) || depth > 8)
		return -1;
	m = btf_extra(t);
	for (int i = 0; i < btf_vlen_of(t); i++) {
		const char *n = wd_btf_str(b, m[i].name_off);
		long bits = btf_member_bit_off(t, &m[i]);
		if (n && !strcmp(n, name))
			return bits / 8;
		if (!n || !*n) {
			long inner = member_off(b, m[i].type, name, depth + 1);
			if (inner >= 0)
				return bits / 8 + inner;
		}
	}
	return -1;
}

static void run_task(struct wd_object *obj, struct task_res *r)
{
	struct wd_map *bss = wd_object_map(obj, ".bss");
	uint32_t zero = 0, retval = 1;
	char *buf;
	int err = wd_sys_prog_test_run(wd_prog_fd(wd_object_prog(obj, "run_task")), NULL, 0, NULL,
				       NULL, NULL, 0, 0, &retval, NULL);
	if (err == -EINVAL || err == -524)
		WD_SKIP("raw_tp programs cannot be test-run here (5.10+): %s", strerror(-err));
	assert_int_equal(err, 0);
	assert_int_equal(retval, 0);
	assert_non_null(bss);
	assert_true(wd_map_value_size(bss) >= sizeof(*r));
	buf = calloc(1, wd_map_value_size(bss));
	assert_non_null(buf);
	assert_int_equal(wd_map_lookup(bss, &zero, buf), 0);
	memcpy(r, buf, sizeof(*r));
	free(buf);
}

struct moved { int relos, moved; uint64_t local_size, target_size; };

static int count_moved(const struct wd_core_relo_info *i, void *ctx)
{
	struct moved *m = ctx;
	assert_true(i->resolved);
	if (i->error || i->poisoned)
		fail_msg("relocation %s (%s) not applied: %s", i->path, i->kind_name, i->message);
	m->relos++;
	m->moved += i->local_value != i->target_value;
	if (!strcmp(i->kind_name, "type_size")) {
		m->local_size = i->local_value;
		m->target_size = i->target_value;
	}
	return 0;
}

static void task_struct_offsets_follow_this_kernels_btf(void **state)
{
	(void)state;
	const struct wd_btf *k = wd_btf_vmlinux();
	struct wd_object *obj;
	struct task_res r;
	struct moved mv = { 0 };
	struct utsname u;
	char comm[32];
	uint32_t task;
	if (!k)
		WD_SKIP("no kernel BTF (/sys/kernel/btf/vmlinux)");
	task = wd_btf_find(k, "task_struct", BTF_KIND_STRUCT);
	assert_true(task > 0);
	obj = wd_object_open(wd_test_obj("core_task.o"), NULL);
	assert_non_null(obj);
	if (wd_object_load(obj, NULL))
		fail_msg("load core_task.o: %s", wd_errmsg());
	run_task(obj, &r);
	/* values through the relocated offsets */
	assert_int_equal(r.pid, gettid());
	assert_int_equal(r.tgid, getpid());
	assert_int_equal(r.ppid, getppid());
	wd_test_own_comm(comm, sizeof(comm));
	assert_string_equal(r.comm, comm);
	/* offsets as this kernel's BTF has them */
	uname(&u);
	printf("# task_struct on %s: %llu bytes;", u.release, (unsigned long long)r.task_size);
	for (size_t i = 0; i < NF; i++) {
		long want = member_off(k, task, fields[i], 0);
		printf(" %s@%llu", fields[i], (unsigned long long)r.off[i]);
		if (want < 0)
			fail_msg("task_struct.%s not in this kernel's BTF", fields[i]);
		if ((long)r.off[i] != want)
			fail_msg("task_struct.%s relocated to %llu, the kernel's BTF says %ld",
				 fields[i], (unsigned long long)r.off[i], want);
	}
	printf("\n");
	assert_int_equal(r.task_size, wd_btf_size(k, task));
	/* and relocation really moved them where this layout is not the build's */
	assert_int_equal(wd_object_core_relos(obj, true, count_moved, &mv), 0);
	printf("# %d relocations, %d moved from the build host's layout (task_struct %llu -> %llu "
	       "bytes)\n", mv.relos, mv.moved, (unsigned long long)mv.local_size,
	       (unsigned long long)mv.target_size);
	assert_true(mv.relos >= (int)NF + 1);
	assert_int_equal(mv.target_size, r.task_size);
	if (mv.local_size != mv.target_size)
		assert_true(mv.moved > 0);
	wd_object_close(obj);
}

/* ---- offline: the guests' BTF on the host ---------------------------------- */

struct offline { const struct wd_btf *btf; uint32_t task; int checked, moved; char bad[256]; };

static int check_offline(const struct wd_core_relo_info *i, void *ctx)
{
	struct offline *o = ctx;
	const char *prefix = "struct task_struct.";
	char field[64];
	long want;
	if (i->error || i->poisoned) {
		snprintf(o->bad, sizeof(o->bad), "%s (%s): %s", i->path, i->kind_name,
			 i->error ? i->message : "poisoned");
		return 1;
	}
	if (!strcmp(i->kind_name, "type_size")) {
		if ((int64_t)i->target_value != wd_btf_size(o->btf, o->task))
			snprintf(o->bad, sizeof(o->bad), "task_struct size %llu, BTF says %lld",
				 (unsigned long long)i->target_value,
				 (long long)wd_btf_size(o->btf, o->task));
		return o->bad[0] != '\0';
	}
	if (strcmp(i->kind_name, "byte_off") || strncmp(i->path, prefix, strlen(prefix)))
		return 0;
	snprintf(field, sizeof(field), "%s", i->path + strlen(prefix));
	field[strspn(field, "abcdefghijklmnopqrstuvwxyz_0123456789")] = '\0';
	want = member_off(o->btf, o->task, field, 0);
	if (want < 0 || (long)i->target_value != want) {
		snprintf(o->bad, sizeof(o->bad), "task_struct.%s relocated to %llu, the BTF says %ld",
			 field, (unsigned long long)i->target_value, want);
		return 1;
	}
	o->checked++;
	o->moved += i->local_value != i->target_value;
	return 0;
}

/* The BTF of every guest kernel the matrix has cached (vm/guest-btf.sh takes
 * it out of each cached vmlinuz), given as the target BTF file: the same
 * checks without a VM, for 5.10, 6.1 and 6.12 at once. */
static void task_struct_offsets_in_each_cached_guest_btf(void **state)
{
	(void)state;
	char cmd[256], *out = NULL, *line, *save = NULL;
	int kernels = 0;
	if (access("vm/.cache/kernels", F_OK))
		WD_SKIP("no guest kernels cached (vm/.cache/kernels: run vm/matrix.sh once)");
	snprintf(cmd, sizeof(cmd), "vm/guest-btf.sh");
	if (wd_test_run(cmd, &out) != 0)
		fail_msg("vm/guest-btf.sh:\n%s", out ? out : "");
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *path = strstr(line, ": ");
		struct wd_open_opts oo = { .sz = sizeof(oo) };
		struct offline o = { 0 };
		struct wd_btf *b;
		struct wd_object *obj;
		if (!path)
			continue;
		*path = '\0';
		path += 2;
		path[strcspn(path, " ")] = '\0';
		b = wd_btf_load_file(path, NULL);
		if (!b)
			fail_msg("%s: %s", path, wd_errmsg());
		o.btf = b;
		o.task = wd_btf_find(b, "task_struct", BTF_KIND_STRUCT);
		assert_true(o.task > 0);
		oo.btf_path = path;
		obj = wd_object_open(wd_test_obj("core_task.o"), &oo);
		assert_non_null(obj);
		if (wd_object_core_relos(obj, true, check_offline, &o))
			fail_msg("%s: %s", line, o.bad[0] ? o.bad : wd_errmsg());
		printf("# %s: task_struct %lld bytes, %d member offsets checked, %d moved from the "
		       "build's\n", line, (long long)wd_btf_size(b, o.task), o.checked, o.moved);
		assert_true(o.checked >= (int)NF);
		assert_true(o.moved > 0);   /* no guest has the build host's layout */
		wd_object_close(obj);
		wd_btf_free(b);
		kernels++;
	}
	free(out);
	if (!kernels)
		WD_SKIP("vm/.cache/kernels holds no kernel image yet");
}

static const struct CMUnitTest core_task_tests[] = {
	cmocka_unit_test(task_struct_offsets_follow_this_kernels_btf),
	cmocka_unit_test(task_struct_offsets_in_each_cached_guest_btf),
};

WD_TEST_SET(core_task_set, "core", core_task_tests);
