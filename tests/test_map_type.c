// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Load-time choices live in the kernel object, never in the spec: a map
 * created as another type (wd_map_set_type, as the event transport does
 * with an unused ring on kernels without ring buffers) leaves the parsed
 * spec as it was, and the kernel gets the new type. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "warden/bpf.h"
#include "warden/spec.h"
#include "warden/warden.h"

static void set_type_changes_the_map_not_the_spec(void **state)
{
	struct wd_object *obj = wd_object_open(wd_test_obj("events.o"), NULL);
	struct wd_map *ring;
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	(void)state;
	assert_non_null(obj);
	assert_non_null(ring = wd_object_map(obj, "events"));
	assert_int_equal(wd_map_type(ring), BPF_MAP_TYPE_RINGBUF);
	assert_int_equal(wd_map_set_type(ring, BPF_MAP_TYPE_ARRAY, 4, 4), 0);
	assert_int_equal(wd_map_set_max_entries(ring, 1), 0);
	assert_int_equal(wd_map_type(ring), BPF_MAP_TYPE_ARRAY);
	/* the programs write to the perf buffer: the ring is never touched */
	uint8_t use_rb = 0;
	assert_int_equal(wd_object_set_global(obj, "warden_use_ringbuf", &use_rb, 1), 0);
	assert_int_equal(wd_map_spec(ring)->type, BPF_MAP_TYPE_RINGBUF);   /* spec untouched */
	if (wd_object_load(obj, NULL)) {
		const char *msg = wd_errmsg();
		wd_object_close(obj);
		WD_SKIP("events.o does not load here: %s", msg);
	}
	assert_int_equal(wd_sys_obj_info(wd_map_fd(ring), &info, &len), 0);
	assert_int_equal(info.type, BPF_MAP_TYPE_ARRAY);
	assert_int_equal(info.value_size, 4);
	assert_int_equal(wd_map_set_type(ring, BPF_MAP_TYPE_HASH, 4, 4), -EBUSY);   /* loaded */
	wd_object_close(obj);
}

static const struct CMUnitTest map_type_tests[] = {
	cmocka_unit_test(set_type_changes_the_map_not_the_spec),
};
WD_TEST_SET(map_type_set, "loader", map_type_tests);

/* One instruction -> source line mapping for load errors and for `warden
 * verify` (they disagreed on line-0 entries: prog_load.c took them, the
 * diagnostics skipped them).  A line-0 entry marks compiler-made code: the
 * line before it is the one meant. */
#include "load/internal.h"

static void src_line_skips_line_zero_entries(void **state)
{
	struct wd_object *obj = wd_object_open(wd_test_obj("minimal.o"), NULL);
	const struct wd_spec *s;
	const struct bpf_line_info *first = NULL;
	char buf[128];
	(void)state;
	assert_non_null(obj);
	s = wd_object_spec(obj);
	for (size_t i = 0; i < s->nr_secs && !first; i++)
		if (s->secs[i].nr_line_info)
			first = &s->secs[i].line_info[0];
	assert_non_null(first);
	uint32_t line = BPF_LINE_INFO_LINE_NUM(first->line_col);
	assert_true(line > 0);
	struct bpf_line_info li[2] = { *first, *first };
	li[0].insn_off = 0;
	li[1].insn_off = 5;
	li[1].line_col = 0;                       /* line 0, column 0 */
	const char *at = wd_src_line(s->btf, li, 2, 7, buf, sizeof(buf));
	assert_non_null(at);
	char want[32];
	snprintf(want, sizeof(want), ":%u", line);
	assert_non_null(strstr(at, want));        /* insn 7: the line of insn 0, not 0 */
	assert_null(strstr(at, ":0"));
	assert_null(wd_src_line(s->btf, &li[1], 1, 7, buf, sizeof(buf)));   /* only line 0 */
	wd_object_close(obj);
}

static const struct CMUnitTest src_line_tests[] = {
	cmocka_unit_test(src_line_skips_line_zero_entries),
};
WD_TEST_SET(src_line_set, "loader", src_line_tests);
