// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wd_agent_consume_fd (agent/engine.c): the engine's consumer path on a
 * ring buffer the caller made (bench/agent/pipeline.c drives it at full
 * speed).  Refused without a ring buffer, each time with one line naming
 * the cause; on an empty ring it polls nothing, its counters read zero
 * (there is no object whose BPF counters could be read) and it stops.
 * Records committed by the kernel (a small XDP program run with
 * BPF_PROG_TEST_RUN copies one record from an array map into the ring):
 * an exec's argv chunk and its event come out as one event with the argv
 * put together; an exec whose second chunk never came is cut, flagged
 * truncated and counted as incomplete.
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
#include "bpf/include/warden_agent.h"

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

/* A 64 KiB ring buffer for the consumer (root, a kernel with ring buffers). */
static int new_ring(void)
{
	if (geteuid() != 0)
		WD_SKIP("needs root");
	WD_REQUIRE(wd_probe_map_type(BPF_MAP_TYPE_RINGBUF), "ring buffers");
	int fd = make_map(BPF_MAP_TYPE_RINGBUF, 0, 0, 64 * 1024);
	assert_true(fd >= 0);
	return fd;
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

	fd = new_ring();
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

/* ---- records through the kernel --------------------------------------- */

/* Commit `size` bytes of `rec` into the ring `ring_fd` from BPF: an XDP
 * program (run once with BPF_PROG_TEST_RUN) copying an array map's value
 * with bpf_ringbuf_output.  0 or -1. */
static int commit(int ring_fd, const void *rec, uint32_t size)
{
	int arr = make_map(BPF_MAP_TYPE_ARRAY, 4, size, 1), prog = -1, rc = -1;
	uint32_t zero = 0, retval = 0;
	char pkt[64] = { 0 };

	if (arr < 0 || wd_sys_map_update(arr, &zero, rec, 0))
		goto out;
	const struct bpf_insn insns[] = {
		{ .code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = BPF_REG_10, .off = -4, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_2, .src_reg = BPF_REG_10 },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_2, .imm = -4 },
		{ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1, .src_reg = BPF_PSEUDO_MAP_FD, .imm = arr },
		{ 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_lookup_elem },
		{ .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = BPF_REG_0, .imm = 0, .off = 6 },
		{ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1, .src_reg = BPF_PSEUDO_MAP_FD, .imm = ring_fd },
		{ 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_2, .src_reg = BPF_REG_0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3, .imm = (int32_t)size },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_4, .imm = 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_ringbuf_output },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 2 /* XDP_PASS */ },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct wd_prog_load_args a = { .type = BPF_PROG_TYPE_XDP, .insns = insns,
				       .insn_cnt = sizeof(insns) / sizeof(insns[0]), .license = "GPL",
				       .name = "wt_commit" };
	prog = wd_sys_prog_load(&a);
	if (prog < 0)
		goto out;
	rc = wd_sys_prog_test_run(prog, pkt, sizeof(pkt), NULL, NULL, NULL, 0, 1, &retval, NULL) ||
	     retval != 2 ? -1 : 0;
out:
	if (prog >= 0)
		close(prog);
	if (arr >= 0)
		close(arr);
	return rc;
}

static const char ARGV[] = "python3\0-m\0http.server\0" "8080";   /* and its NUL */

struct seen {
	int n;
	char filename[64], args[64];
	size_t args_len, args_true_len;
	uint32_t argc;
	bool truncated;
};

static int keep_exec(void *ctx, const struct wd_event *ev)
{
	struct seen *s = ctx;

	if (ev->kind != WD_EV_EXEC)
		return 0;
	s->n++;
	snprintf(s->filename, sizeof(s->filename), "%.*s", (int)ev->exec.filename.len, ev->exec.filename.s);
	s->args_len = ev->exec.args.len < sizeof(s->args) ? ev->exec.args.len : sizeof(s->args);
	memcpy(s->args, ev->exec.args.s ? ev->exec.args.s : "", s->args_len);
	s->args_true_len = ev->exec.args.true_len;
	s->argc = ev->exec.argc;
	s->truncated = ev->exec.args.truncated;
	return 0;
}

/* An exec event (id `id`) whose argv went out in `nchunks` chunks. */
static uint32_t exec_record(uint8_t *buf, uint64_t id, uint16_t nchunks)
{
	struct wa_event *e = (struct wa_event *)buf;
	static const char file[] = "/usr/bin/python3";

	memset(buf, 0, sizeof(*e) + sizeof(file));
	e->hdr.rec = WA_REC_EVENT;
	e->hdr.kind = WA_K_EXEC;
	e->hdr.id = id;
	e->proc.pid = e->proc.tid = (uint32_t)getpid();
	memcpy(e->proc.comm, "python3", 8);
	e->str[0].len = e->str[0].true_len = sizeof(file) - 1;
	memcpy(e + 1, file, sizeof(file) - 1);
	e->exec.args_true_len = sizeof(ARGV);
	e->exec.args_sent = sizeof(ARGV);
	e->exec.nchunks = nchunks;
	e->exec.ret = -1;   /* a failed exec: nothing goes into the process cache */
	return sizeof(*e) + sizeof(file) - 1;
}

/* Chunk `index` of an argv, bytes [off, off + len) of ARGV. */
static uint32_t chunk_record(uint8_t *buf, uint64_t id, uint16_t index, uint32_t off, uint16_t len)
{
	struct wa_chunk *c = (struct wa_chunk *)buf;

	memset(c, 0, sizeof(*c));
	c->hdr.rec = WA_REC_CHUNK;
	c->hdr.kind = WA_K_EXEC;
	c->hdr.id = id;
	c->index = index;
	c->offset = off;
	c->len = len;
	memcpy(c + 1, ARGV + off, len);
	return sizeof(*c) + len;
}

static void consume_fd_puts_chunked_argv_together(void **state)
{
	struct wd_agent_opts o = { .sz = sizeof(o), .filter.uid = -1, .ring_bytes = 64 * 1024,
				   .latency_ms = 10 };
	uint8_t buf[1024];
	struct wd_event_stats st;
	struct seen s = { 0 };
	struct wd_agent *a;
	char err[256] = "";
	int fd;
	(void)state;

	fd = new_ring();
	a = wd_agent_consume_fd(&o, fd, keep_exec, &s, err, sizeof(err));
	if (!a) {
		close(fd);
		fail_msg("wd_agent_consume_fd: %s", err);
	}
	/* the whole argv in one chunk, then its event */
	assert_int_equal(commit(fd, buf, chunk_record(buf, 7, 0, 0, sizeof(ARGV))), 0);
	assert_int_equal(commit(fd, buf, exec_record(buf, 7, 1)), 0);
	for (int i = 0; i < 20 && s.n < 1; i++)
		wd_agent_poll(a, 10);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.filename, "/usr/bin/python3");
	assert_int_equal(s.args_len, sizeof(ARGV) - 1);   /* the last NUL ends it */
	assert_memory_equal(s.args, ARGV, sizeof(ARGV) - 1);
	assert_int_equal(s.argc, 4);
	assert_false(s.truncated);

	/* two chunks announced, the second never came: cut after the first */
	assert_int_equal(commit(fd, buf, chunk_record(buf, 8, 0, 0, 11)), 0);   /* "python3\0-m\0" */
	assert_int_equal(commit(fd, buf, exec_record(buf, 8, 2)), 0);
	for (int i = 0; i < 20 && s.n < 2; i++)
		wd_agent_poll(a, 10);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.args_len, 10);
	assert_memory_equal(s.args, "python3\0-m", 10);
	assert_int_equal(s.argc, 2);
	assert_true(s.truncated);
	assert_int_equal(s.args_true_len, sizeof(ARGV) - 1);

	wd_agent_get_stats(a, &st);
	assert_int_equal(st.received[WD_EV_EXEC], 2);
	assert_int_equal(st.chunks_incomplete, 1);
	assert_int_equal(st.truncated, 1);
	assert_int_equal(st.output_errors, 0);
	wd_agent_stop(a);
	close(fd);
}

static const struct CMUnitTest agent_consume_tests[] = {
	cmocka_unit_test(consume_fd_refuses_what_is_not_a_ring),
	cmocka_unit_test(consume_fd_polls_an_empty_ring),
	cmocka_unit_test(consume_fd_puts_chunked_argv_together),
};

WD_TEST_SET(agent_consume_set, "agent", agent_consume_tests);
