// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One CPU-list reader (lib/host/cpus.c): a list with holes has a count and
 * an id bound that differ, and each caller takes the one it needs (the
 * map loader's and the event consumer's readers disagreed: 5 vs 6). */
#include <stdlib.h>
#include "harness.h"
#include "host/cpus.h"

static int count(const bool *set, int n)
{
	int k = 0;
	for (int i = 0; set && i < n; i++)
		k += set[i];
	return k;
}

static void cpu_list_with_holes_counts_5_and_bounds_6(void **state)
{
	int n;
	bool *set = wd_cpu_list_parse("0,2-5\n", &n);
	(void)state;
	assert_non_null(set);
	assert_int_equal(n, 6);
	assert_int_equal(count(set, n), 5);
	assert_false(set[1]);
	assert_true(set[0] && set[2] && set[5]);
	free(set);
}

static void cpu_list_plain_and_bad(void **state)
{
	int n;
	bool *set = wd_cpu_list_parse("0-3", &n);
	(void)state;
	assert_int_equal(n, 4);
	assert_int_equal(count(set, n), 4);
	free(set);
	set = wd_cpu_list_parse("", &n);
	assert_null(set);
	assert_int_equal(n, 0);
	set = wd_cpu_list_parse("5-2", &n);   /* reversed range: refused */
	assert_null(set);
	free(set);
}

/* On this machine: the bound is at least the count, and both at least 1. */
static void possible_cpus_of_this_machine(void **state)
{
	(void)state;
	assert_true(wd_cpu_possible_count() >= 1);
	assert_true(wd_cpu_possible_bound() >= wd_cpu_possible_count());
}

static const struct CMUnitTest cpus_tests[] = {
	cmocka_unit_test(cpu_list_with_holes_counts_5_and_bounds_6),
	cmocka_unit_test(cpu_list_plain_and_bad),
	cmocka_unit_test(possible_cpus_of_this_machine),
};
WD_TEST_SET(cpus_set, "loader", cpus_tests);
