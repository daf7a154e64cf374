// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wd_agent_consume_fd (agent/engine.c): the engine's consumer path on a
 * ring buffer the caller made (bench/agent/pipeline.c drives it at full
 * speed).  Refused without a ring buffer, each time with one line naming
 * the cause; on an empty ring it polls nothing, its counters read zero
 * (there is no object whose BPF counters could be read) and it stops.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "harness.h"
#include "agent/engine.h"
#include "warden/bpf.h"

static int no_event(void *ctx, const struct wd_event *ev)
{
	(void)ev;
	(*(int *)ctx)++;
	return 0;
}

static int make_map(uint32_t type, uint32_t key, uint32_t value, uint32_t entries)
{
	struct wd_map_create_args a = {
		.type = type, .key_size = key, .value_size = value, .max_entries = entries,
		.name = "wt_consume",
	};
	return wd_sys_map_create(&a);
}

static void consume_fd_refuses_what_is_not_a_ring(void **state)
{
	struct wd_agent_opts o = { .sz = sizeof(o), .filter.uid = -1 };
	char err[256] = "";
	int calls = 0, fd;
	(void)state;

	if (geteuid() != 0)
		WD_SKIP("needs root");
	assert_null(wd_agent_consume_fd(&o, -1, no_event, &calls, err, sizeof(err)));
	assert_non_null(strstr(err, "no ring buffer fd"));

	fd = make_map(BPF_MAP_TYPE_ARRAY, 4, 8, 1);
	assert_true(fd >= 0);
	err[0] = '\0';
	assert_null(wd_agent_consume_fd(&o, fd, no_event, &calls, err, sizeof(err)));
	close(fd);
	assert_non_null(strstr(err, "events:"));
	assert_int_equal(calls, 0);
}

static void consume_fd_polls_an_empty_ring(void **state)
{
	struct wd_agent_opts o = { .sz = sizeof(o), .filter.uid = -1, .ring_bytes = 64 * 1024,
				   .latency_ms = 10 };
	struct wd_event_stats st;
	struct wd_agent *a;
	char err[256] = "";
	int calls = 0, fd;
	(void)state;

	if (geteuid() != 0)
		WD_SKIP("needs root");
	WD_REQUIRE(wd_probe_map_type(BPF_MAP_TYPE_RINGBUF), "ring buffers");
	fd = make_map(BPF_MAP_TYPE_RINGBUF, 0, 0, 64 * 1024);
	assert_true(fd >= 0);
	a = wd_agent_consume_fd(&o, fd, no_event, &calls, err, sizeof(err));
	close(fd);  /* the consumer keeps its own */
	if (!a)
		fail_msg("wd_agent_consume_fd: %s", err);
	assert_int_equal(wd_agent_poll(a, 0), 0);
	assert_int_equal(wd_agent_poll(a, 20), 0);
	assert_string_equal(wd_agent_transport(a), "ringbuf");
	assert_int_equal(wd_agent_link_count(a), 0);
	memset(&st, 0xff, sizeof(st));
	wd_agent_get_stats(a, &st);
	for (int k = 0; k < WD_EV__COUNT; k++) {
		assert_int_equal(st.received[k], 0);
		assert_int_equal(st.dropped[k], 0);
	}
	assert_int_equal(st.lost_ring, 0);
	assert_int_equal(st.chunks_incomplete, 0);
	assert_int_equal(st.output_errors, 0);
	wd_agent_stop(a);
	assert_int_equal(calls, 0);
}

static const struct CMUnitTest agent_consume_tests[] = {
	cmocka_unit_test(consume_fd_refuses_what_is_not_a_ring),
	cmocka_unit_test(consume_fd_polls_an_empty_ring),
};

WD_TEST_SET(agent_consume_set, "agent", agent_consume_tests);
