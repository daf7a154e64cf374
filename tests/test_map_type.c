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
