// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Lookups by name in kernel BTF (lib/spec/btf.c): the first few scan the
 * types, later ones use the name index built on demand.  Both must give
 * every id of a name in id order, exactly what a plain walk over all types
 * gives, also when several threads look up at once while the index is
 * being built (parallel program loading does).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "warden/btf.h"
#include "warden/warden.h"

#define VMLINUX "/sys/kernel/btf/vmlinux"
#define NR_NAMES 300

/* Names to look up: spread over the whole id range, duplicates included
 * (a name several types share: anonymous-free, e.g. "next"). */
static const char *pick_name(const struct wd_btf *btf, int k)
{
	uint32_t cnt = wd_btf_type_cnt(btf);
	for (uint32_t id = 1 + (uint32_t)((uint64_t)k * (cnt - 1) / NR_NAMES); id < cnt; id++)
		if (*wd_btf_name(btf, id))
			return wd_btf_name(btf, id);
	return "task_struct";
}

/* The ids named `name`, by walking every type: the reference. */
static size_t walk_ids(const struct wd_btf *btf, const char *name, uint32_t *ids, size_t cap)
{
	size_t n = 0;
	for (uint32_t id = 1; id < wd_btf_type_cnt(btf); id++)
		if (!strcmp(wd_btf_name(btf, id), name) && n < cap)
			ids[n++] = id;
	return n;
}

/* 0 when wd_btf_find_next() gives exactly the reference ids. */
static int check_name(const struct wd_btf *btf, const char *name)
{
	uint32_t want[64], got = 0;
	size_t n = walk_ids(btf, name, want, 64), i = 0;
	for (got = wd_btf_find_next(btf, name, 0); got; got = wd_btf_find_next(btf, name, got)) {
		if (i >= n || want[i] != got)
			return -1;
		i++;
	}
	return i == n ? 0 : -1;
}

static struct wd_btf *vmlinux_or_skip(void)
{
	if (access(VMLINUX, R_OK))
		WD_SKIP("no kernel BTF at %s", VMLINUX);
	struct wd_btf *btf = wd_btf_load_file(VMLINUX, NULL);
	if (!btf)
		fail_msg("%s", wd_errmsg());
	return btf;
}

static void scan_and_index_agree_with_a_walk(void **state)
{
	(void)state;
	struct wd_btf *btf = vmlinux_or_skip();
	/* "next" first: many types share it, so a scan must follow the chain */
	const char *first[] = { "next", "list_head", "task_struct" };
	for (size_t i = 0; i < 3; i++)
		if (check_name(btf, first[i]))
			fail_msg("lookup (scan) of '%s' differs from the walk", first[i]);
	for (int k = 0; k < NR_NAMES; k++) {
		const char *name = pick_name(btf, k);
		if (check_name(btf, name))
			fail_msg("lookup (index) of '%s' differs from the walk", name);
	}
	assert_int_equal(wd_btf_find_next(btf, "no_such_type_in_any_kernel", 0), 0);
	wd_btf_free(btf);
}

struct looker {
	const struct wd_btf *btf;
	int from, bad;
};

static void *look_up_many(void *arg)
{
	struct looker *l = arg;
	for (int k = l->from; k < NR_NAMES; k += 2)
		l->bad += check_name(l->btf, pick_name(l->btf, k)) != 0;
	return NULL;
}

/* Two threads start looking up on a fresh BTF: one of them builds the
 * index while the other still scans or waits. */
static void concurrent_lookups_while_the_index_is_built(void **state)
{
	(void)state;
	for (int round = 0; round < 3; round++) {
		struct wd_btf *btf = vmlinux_or_skip();
		struct looker a = { btf, 0, 0 }, b = { btf, 1, 0 };
		pthread_t t;
		assert_int_equal(pthread_create(&t, NULL, look_up_many, &b), 0);
		look_up_many(&a);
		pthread_join(t, NULL);
		assert_int_equal(a.bad + b.bad, 0);
		wd_btf_free(btf);
	}
}

/* The kernel's BTF is mapped where sysfs allows it (6.16+) and read
 * otherwise: a copy of the same bytes elsewhere is read; both agree. */
static void mapped_and_read_kernel_btf_agree(void **state)
{
	(void)state;
	struct wd_btf *mapped = vmlinux_or_skip(), *copy;
	char path[] = "/tmp/warden-btf-XXXXXX", line[512];
	if (wd_test_kernel_at_least(6, 16)) {
		/* mapped, not read: the mapping shows in /proc/self/maps */
		FILE *f = fopen("/proc/self/maps", "r");
		bool seen = false;
		assert_non_null(f);
		while (!seen && fgets(line, sizeof(line), f))
			seen = strstr(line, VMLINUX) != NULL;
		fclose(f);
		if (!seen)
			fail_msg("6.16+: %s was read, not mapped", VMLINUX);
	}
	size_t size, size2;
	const void *raw = wd_btf_raw(mapped, &size);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, raw, size), (ssize_t)size);
	close(fd);
	copy = wd_btf_load_file(path, NULL);
	unlink(path);
	if (!copy)
		fail_msg("%s", wd_errmsg());
	assert_int_equal(wd_btf_type_cnt(copy), wd_btf_type_cnt(mapped));
	assert_memory_equal(wd_btf_raw(copy, &size2), raw, size);
	assert_int_equal(size2, size);
	for (int k = 0; k < 20; k++) {
		const char *name = pick_name(mapped, k * 15);
		assert_int_equal(wd_btf_find_next(copy, name, 0), wd_btf_find_next(mapped, name, 0));
	}
	wd_btf_free(copy);
	wd_btf_free(mapped);
}

static const struct CMUnitTest btf_lookup_tests[] = {
	cmocka_unit_test(mapped_and_read_kernel_btf_agree),
	cmocka_unit_test(scan_and_index_agree_with_a_walk),
	cmocka_unit_test(concurrent_lookups_while_the_index_is_built),
};
WD_TEST_SET(btf_lookup_set, "core", btf_lookup_tests);
