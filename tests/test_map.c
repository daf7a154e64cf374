// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `warden map` on real maps: tests/bpf/map_dump.o loaded here (hash with BTF
 * structs, array, per-CPU, LRU, no-BTF, prog array, map-in-map, ring buffer,
 * perf array), filled through libwarden and read back through the CLI
 * ($WARDEN_BIN), and the other way round.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <unistd.h>
#include <linux/bpf.h>
#include "harness.h"
#include "warden/bpf.h"
#include "warden/testing.h"
#include "warden/warden.h"

/* The layout of tests/bpf/map_dump.bpf.c's struct flow_key / flow_val. */
struct flow_key {
	uint32_t pid;
	char comm[16];
};
struct flow_val {
	uint64_t packets;
	int32_t delta;
	uint32_t state;
	union {
		uint32_t addr4;
		uint8_t addr6_first[4];
	} peer;
	uint16_t ports[2];
	uint8_t proto : 4, dir : 2, seen : 1, _pad : 1;
	char note[8];
};

static struct wd_object *load_object(bool need_btf)
{
	struct wd_object *obj;
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_TRACEPOINT), "tracepoint programs");
	WD_REQUIRE(wd_probe_ringbuf(), "ring buffers");
	if (need_btf)
		WD_REQUIRE(wd_probe_btf(), "BTF");
	obj = wd_object_open(wd_test_obj("map_dump.o"), NULL);
	if (!obj)
		fail_msg("open map_dump.o: %s", wd_errmsg());
	if (wd_object_load(obj, NULL)) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", wd_errmsg());
		wd_object_close(obj);
		fail_msg("load map_dump.o: %s", msg);
	}
	return obj;
}

static struct wd_object *load_maps_object(void)
{
	return load_object(true);
}

static uint32_t map_id(const struct wd_object *obj, const char *name)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	struct wd_map *m = wd_object_map(obj, name);
	assert_non_null(m);
	assert_int_equal(wd_sys_obj_info(wd_map_fd(m), &info, &len), 0);
	return info.id;
}

static uint32_t prog_id(const struct wd_object *obj, const char *name)
{
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);
	struct wd_prog *p = wd_object_prog(obj, name);
	assert_non_null(p);
	assert_int_equal(wd_sys_obj_info(wd_prog_fd(p), &info, &len), 0);
	return info.id;
}

/* Run `warden map ARGS` (FMT a literal); fail with its output on another exit status. */
#define map_cli(want, fmt, ...) wd_test_cli_expect(want, "map " fmt, ##__VA_ARGS__)

static struct flow_key sample_key(void)
{
	struct flow_key k = { .pid = 4242 };
	strcpy(k.comm, "nginx");
	return k;
}

static void dump_prints_structs_enums_strings_bitfields(void **state)
{
	(void)state;
	struct wd_object *obj = load_maps_object();
	struct flow_key k = sample_key();
	struct flow_val v = { .packets = 7, .delta = -3, .state = 2 /* FLOW_OPEN */,
			      .ports = { 80, 443 }, .proto = 6, .dir = 2, .seen = 1 };
	v.peer.addr4 = 0x0100007f;
	strcpy(v.note, "hi");
	assert_int_equal(wd_map_update(wd_object_map(obj, "flows"), &k, &v, BPF_ANY), 0);
	uint32_t id = map_id(obj, "flows");

	char *out = map_cli(0, "dump id %u", id);
	wd_test_expect_in(out, "key: {pid: 4242, comm: \"nginx\"}");
	wd_test_expect_in(out, "packets: 7, delta: -3, state: FLOW_OPEN");
	wd_test_expect_in(out, "peer: {addr4: 16777343, addr6_first: [127, 0, 0, 1]}");
	wd_test_expect_in(out, "ports: [80, 443], proto: 6, dir: 2, seen: 1");
	wd_test_expect_in(out, "note: \"hi\"");
	wd_test_expect_in(out, "1 entry");
	free(out);

	out = map_cli(0, "dump %u --json", id);
	wd_test_expect_in(out, "\"entries\":[{\"key\":{\"pid\":4242,\"comm\":\"nginx\"},\"value\":{\"packets\":7,"
			       "\"delta\":-3,\"state\":\"FLOW_OPEN\"");
	wd_test_expect_in(out, "\"ports\":[80,443],\"proto\":6,\"dir\":2,\"seen\":1");
	wd_test_expect_in(out, "\"count\":1}");
	wd_test_expect_in(out, "\"type\":\"hash\",\"key_size\":20,\"value_size\":40");
	free(out);
	wd_object_close(obj);
}

static void update_parses_json_into_the_btf_layout(void **state)
{
	(void)state;
	struct wd_object *obj = load_maps_object();
	uint32_t id = map_id(obj, "flows");
	char *out = map_cli(0, "update id %u key-json '{\"pid\":4242,\"comm\":\"nginx\"}' value-json "
			    "'{\"packets\":9,\"delta\":-1,\"state\":\"FLOW_CLOSED\",\"peer\":{\"addr6_first\":[1,2,3,4]},"
			    "\"ports\":[22,8080],\"proto\":5,\"dir\":1,\"seen\":1,\"note\":\"ok\"}' noexist", id);
	free(out);
	struct flow_key k = sample_key();
	struct flow_val v;
	assert_int_equal(wd_map_lookup(wd_object_map(obj, "flows"), &k, &v), 0);
	assert_int_equal(v.packets, 9);
	assert_int_equal(v.delta, -1);
	assert_int_equal(v.state, 7);
	assert_int_equal(v.peer.addr6_first[2], 3);
	assert_int_equal(v.ports[1], 8080);
	assert_int_equal(v.proto, 5);
	assert_int_equal(v.dir, 1);
	assert_int_equal(v.seen, 1);
	assert_string_equal(v.note, "ok");
	/* noexist on an existing key: the kernel's EEXIST, exit 1 */
	out = map_cli(1, "update id %u key-json '{\"pid\":4242,\"comm\":\"nginx\"}' value-json '{}' noexist", id);
	wd_test_expect_in(out, "exists");
	free(out);
	/* lookup and delete with the same key */
	out = map_cli(0, "lookup id %u key-json '{\"pid\":4242,\"comm\":\"nginx\"}' -j", id);
	wd_test_expect_in(out, "\"state\":\"FLOW_CLOSED\"");
	free(out);
	free(map_cli(0, "delete id %u key-json '{\"pid\":4242,\"comm\":\"nginx\"}'", id));
	assert_int_not_equal(wd_map_lookup(wd_object_map(obj, "flows"), &k, &v), 0);
	wd_object_close(obj);
}

static void percpu_lru_array_and_plain_int_keys(void **state)
{
	(void)state;
	struct wd_object *obj = load_maps_object();
	uint32_t pc = map_id(obj, "percpu_hits"), lru = map_id(obj, "lru_states");
	uint32_t arr = map_id(obj, "counters");
	long cpus = sysconf(_SC_NPROCESSORS_CONF);

	free(map_cli(0, "update id %u key 3 value 99", pc));
	char *out = map_cli(0, "dump id %u", pc);
	wd_test_expect_in(out, "key: 3\n  cpu 0: 99\n");
	free(out);
	out = map_cli(0, "lookup id %u key 3 -j", pc);
	wd_test_expect_in(out, "{\"entry\":{\"key\":3,\"values\":[{\"cpu\":0,\"value\":99}");
	free(out);
	/* every possible CPU has its slot, with the same value */
	uint64_t *vals = calloc((size_t)cpus + 64, 8);
	uint32_t k = 3;
	assert_int_equal(wd_map_lookup(wd_object_map(obj, "percpu_hits"), &k, vals), 0);
	assert_int_equal(vals[0], 99);
	free(vals);

	free(map_cli(0, "update id %u key 5 value-json '\"FLOW_NEW\"'", lru));
	out = map_cli(0, "lookup id %u key 5", lru);
	wd_test_expect_in(out, "key: 5  value: FLOW_NEW");
	free(out);

	/* an array has every slot; key as 4 bytes, value as one number */
	free(map_cli(0, "update id %u key 2 0 0 0 value 0x1234", arr));
	out = map_cli(0, "dump id %u -j", arr);
	wd_test_expect_in(out, "{\"key\":2,\"value\":4660}");
	wd_test_expect_in(out, "\"count\":4}");
	free(out);
	wd_object_close(obj);
}

static void map_without_btf_is_hex_both_ways(void **state)
{
	(void)state;
	struct wd_object *obj = load_maps_object();
	uint32_t id = map_id(obj, "raw_bytes");
	uint8_t key[4] = { 1, 2, 3, 4 }, val[6];

	free(map_cli(0, "update id %u key 1 2 3 4 value hex aa bb cc dd ee ff", id));
	assert_int_equal(wd_map_lookup(wd_object_map(obj, "raw_bytes"), key, val), 0);
	assert_int_equal(val[0], 0xaa);
	assert_int_equal(val[5], 0xff);
	char *out = map_cli(0, "dump id %u", id);
	wd_test_expect_in(out, "key: 01 02 03 04  value: aa bb cc dd ee ff");
	free(out);
	out = map_cli(0, "dump id %u -j", id);
	wd_test_expect_in(out, "\"key\":[\"0x01\",\"0x02\",\"0x03\",\"0x04\"],\"value\":[\"0xaa\"");
	wd_test_expect_in(out, "\"btf\":false");
	free(out);
	/* no BTF: JSON input is refused with the reason */
	out = map_cli(2, "lookup id %u key-json 5", id);
	wd_test_expect_in(out, "has no BTF");
	free(out);
	wd_object_close(obj);
}

/* The same object loaded while the kernel refuses BTF: every map is hex. */
static void object_loaded_without_btf_dumps_hex(void **state)
{
	(void)state;
	assert_int_equal(wd_emulate("no-btf"), 0);
	struct wd_object *obj = load_object(false);
	struct flow_key k = sample_key();
	struct flow_val v = { .packets = 1 };
	assert_int_equal(wd_map_update(wd_object_map(obj, "flows"), &k, &v, BPF_ANY), 0);
	char *out = map_cli(0, "dump id %u -j", map_id(obj, "flows"));
	wd_test_expect_in(out, "\"btf\":false");
	wd_test_expect_in(out, "\"key\":[\"0x92\",\"0x10\",\"0x00\",\"0x00\",\"0x6e\"");
	free(out);
	wd_object_close(obj);
}

static void prog_array_and_map_in_map_show_held_ids(void **state)
{
	(void)state;
	struct wd_object *obj = load_maps_object();
	char want[128];
	uint32_t jumps = map_id(obj, "jumps"), outer = map_id(obj, "outer");

	char *out = map_cli(0, "dump id %u", jumps);
	snprintf(want, sizeof(want), "value: prog %u 'jump_target'", prog_id(obj, "jump_target"));
	wd_test_expect_in(out, want);
	wd_test_expect_in(out, "1 entry");
	free(out);
	out = map_cli(0, "dump id %u -j", outer);
	snprintf(want, sizeof(want), "{\"map_id\":%u,\"name\":\"inner_a\"}", map_id(obj, "inner_a"));
	wd_test_expect_in(out, want);
	snprintf(want, sizeof(want), "{\"map_id\":%u,\"name\":\"inner_b\"}", map_id(obj, "inner_b"));
	wd_test_expect_in(out, want);
	wd_test_expect_in(out, "\"count\":2}");
	free(out);
	out = map_cli(0, "show id %u", outer);
	snprintf(want, sizeof(want), "=map %u 'inner_b'", map_id(obj, "inner_b"));
	wd_test_expect_in(out, want);
	free(out);
	wd_object_close(obj);
}

static void ring_and_perf_buffers_say_what_they_are(void **state)
{
	(void)state;
	struct wd_object *obj = load_maps_object();
	char *out = map_cli(0, "dump id %u", map_id(obj, "events"));
	wd_test_expect_in(out, "is a ring buffer");
	free(out);
	out = map_cli(0, "dump id %u -j", map_id(obj, "perf_events"));
	wd_test_expect_in(out, "\"note\":\"a perf event array");
	free(out);
	out = map_cli(0, "show id %u", map_id(obj, "events"));
	wd_test_expect_in(out, "ringbuf  name events");
	free(out);
	wd_object_close(obj);
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void bad_input_is_one_line_and_exit_2(void **state)
{
	(void)state;
	struct wd_object *obj = load_maps_object();
	uint32_t flows = map_id(obj, "flows"), arr = map_id(obj, "counters");
	struct { const char *fmt; uint32_t id; const char *want; } cases[] = {
		{ "lookup id %u key 1", 4000000000u, "no map with id 4000000000" },
		{ "lookup id %u key 1 2", arr, "key has 2 bytes, the map's key_size is 4" },
		{ "update id %u key 1 value 1 2 3", arr, "value has 3 bytes, the map's value_size is 8" },
		{ "update id %u key 1 value twelve", arr, "value 'twelve' does not parse" },
		{ "update id %u key 1 value-json '\"x\"'", arr, "value '\"x\"' does not parse" },
		{ "lookup id %u key 1 2 3 999", arr, "key byte '999' is not a number from 0 to 255" },
		{ "update id %u key-json '{\"pid\":1}' value-json '{\"state\":\"FLOW_GONE\"}'", flows,
		  "'FLOW_GONE' is not a value of enum flow_state" },
		{ "update id %u key-json '{\"pid\":1,\"cmd\":\"x\"}' value-json '{}'", flows,
		  "struct flow_key has no member 'cmd'" },
		{ "update id %u key-json '{\"pid\":-1}' value-json '{}'", flows, "is negative" },
		{ "dump %u extra", arr, "unexpected 'extra'" },
		{ "show name %u", 0, "no map named '0'" },
		{ "dump pinned /nonexistent%u", 0, "cannot open pinned map '/nonexistent0'" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char args[256];
		snprintf(args, sizeof(args), cases[i].fmt, cases[i].id);
		char *out = map_cli(2, "%s", args);
		wd_test_expect_in(out, cases[i].want);
		if (count_lines(out) != 1)
			fail_msg("more than one line:\n%s", out);
		free(out);
	}
	/* an absent key is not bad input: the kernel's answer, exit 1 */
	char *out = map_cli(1, "lookup id %u key-json '{\"pid\":77}'", flows);
	wd_test_expect_in(out, "no entry with this key");
	free(out);
	wd_object_close(obj);
}

/* 1000 entries (four batches of 256) read in batches and key by key: the
 * same entries. */
static void batch_and_key_by_key_dumps_agree(void **state)
{
	(void)state;
	struct wd_object *obj = load_maps_object();
	struct wd_map *m = wd_object_map(obj, "flows");
	uint32_t id = map_id(obj, "flows");
	for (uint32_t i = 0; i < 1000; i++) {
		struct flow_key k = { .pid = i };
		struct flow_val v = { .packets = i * 3 };
		assert_int_equal(wd_map_update(m, &k, &v, BPF_ANY), 0);
	}
	char *one = map_cli(0, "dump id %u --no-batch", id);
	wd_test_expect_in(one, "\n1000 entries\n");
	wd_test_expect_in(one, "key: {pid: 999, comm: \"\"}  value: {packets: 2997,");
	if (wd_probe_batch_ops() == 1) {
		char *batch = map_cli(0, "dump id %u", id);
		wd_test_expect_in(batch, "\n1000 entries\n");
		/* same lines, maybe another order: compare sorted */
		char cmd[512], *a, *b;
		snprintf(cmd, sizeof(cmd), "%s map dump id %u | sort | md5sum", wd_test_cli(), id);
		assert_int_equal(wd_test_run(cmd, &a), 0);
		snprintf(cmd, sizeof(cmd), "%s map dump id %u --no-batch | sort | md5sum", wd_test_cli(), id);
		assert_int_equal(wd_test_run(cmd, &b), 0);
		assert_string_equal(a, b);
		free(a);
		free(b);
		free(batch);
	}
	free(one);
	wd_object_close(obj);
}

static void pin_show_pinned_and_unpin(void **state)
{
	(void)state;
	struct wd_object *obj = load_maps_object();
	char path[128];
	struct stat st;
	uint32_t id = map_id(obj, "counters");

	if (wd_bpffs_ensure("/sys/fs/bpf") < 0)
		WD_SKIP("no bpffs at /sys/fs/bpf");
	snprintf(path, sizeof(path), "/sys/fs/bpf/warden-map-test-%d", getpid());
	unlink(path);
	free(map_cli(0, "pin id %u %s", id, path));
	assert_int_equal(stat(path, &st), 0);
	char *out = map_cli(0, "show pinned %s -j", path);
	char want[64];
	snprintf(want, sizeof(want), "{\"maps\":[{\"id\":%u,\"name\":\"counters\"", id);
	wd_test_expect_in(out, want);
	/* owners as comm(pid) and the pin itself */
	char pinned[200];
	snprintf(pinned, sizeof(pinned), "\"pids\":[{\"pid\":%d,\"comm\":\"warden-test\"}],"
		 "\"pinned\":[\"%s\"]", getpid(), path);
	wd_test_expect_in(out, pinned);
	free(out);
	out = map_cli(0, "show id %u", id);
	snprintf(pinned, sizeof(pinned), "\tpid warden-test(%d)\n\tpinned %s\n", getpid(), path);
	wd_test_expect_in(out, pinned);
	free(out);
	out = map_cli(1, "pin id %u %s", id, path);
	wd_test_expect_in(out, "something is pinned there already");
	free(out);
	free(map_cli(0, "unpin %s", path));
	assert_int_not_equal(stat(path, &st), 0);
	out = map_cli(2, "unpin %s", path);
	wd_test_expect_in(out, "is not a pinned BPF object");
	free(out);
	wd_object_close(obj);
}

static void show_lists_by_name_with_types(void **state)
{
	(void)state;
	struct wd_object *obj = load_maps_object();
	char want[96];
	char *out = map_cli(0, "show name lru_states -j");
	snprintf(want, sizeof(want), "\"id\":%u,\"name\":\"lru_states\",\"type\":\"lru_hash\"",
		 map_id(obj, "lru_states"));
	wd_test_expect_in(out, want);
	wd_test_expect_in(out, "\"key_type\":\"__u64\",\"value_type\":\"enum flow_state\"");
	free(out);
	out = map_cli(0, "show");
	snprintf(want, sizeof(want), "%u: percpu_hash  name percpu_hits", map_id(obj, "percpu_hits"));
	wd_test_expect_in(out, want);
	free(out);
	wd_object_close(obj);
}


/* ---- map creation failures explained by the loader (lib/load/map_explain.c) ---- */

/* Load `obj_name` (max_entries of "doomed" set when max != 0), expect a
 * failure and return wd_errmsg() (malloc'd). */
static char *load_failure(const char *obj_name, uint32_t max)
{
	struct wd_object *obj = wd_object_open(wd_test_obj(obj_name), NULL);
	if (!obj)
		fail_msg("open %s: %s", obj_name, wd_errmsg());
	if (max)
		assert_int_equal(wd_map_set_max_entries(wd_object_map(obj, "doomed"), max), 0);
	int err = wd_object_load(obj, NULL);
	char *msg = strdup(wd_errmsg());
	wd_object_close(obj);
	if (!err)
		fail_msg("%s loaded, the kernel was expected to refuse its map", obj_name);
	return msg;
}

static void create_failures_name_the_limit_type_and_flag(void **state)
{
	(void)state;
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_TRACEPOINT), "tracepoint programs");
	char *msg = load_failure("map_fail_e2big.o", 0);
	wd_test_expect_in(msg, "map 'doomed': create failed: Argument list too long: value_size 40000 is "
			       "above the kernel's limit for percpu_array maps, PCPU_MIN_UNIT_SIZE");
	free(msg);
	msg = load_failure("map_fail_type.o", 0);
	wd_test_expect_in(msg, "map type 200 is unknown to this kernel");
	free(msg);
	if (wd_probe_mmapable_array() == 1) {
		msg = load_failure("map_fail_flag.o", 0);
		wd_test_expect_in(msg, "flag BPF_F_MMAPABLE (0x400) does not apply to hash maps: it is for array maps");
		free(msg);
	}
	msg = load_failure("map_fail_nomem.o", 0);
	if (wd_memlock_charged() == 1)  /* 5.0-5.10: E2BIG for 4 GiB and more */
		wd_test_expect_in(msg, "Argument list too long: the map would take about 256.0 GiB "
				       "(67108864 entries x 4096 B); this kernel charges maps to RLIMIT_MEMLOCK");
	else
		wd_test_expect_in(msg, "Cannot allocate memory: the kernel would charge about 256.0 GiB "
				       "(67108864 entries x 4096 B)");
	wd_test_expect_in(msg, "lower max_entries (67108864)");
	free(msg);
}

/* This process's memory cgroup directory (v1 memory controller or v2). */
static int own_memcg(char *dir, size_t size, bool *v2)
{
	char line[512], v2path[256] = "";
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return -1;
	dir[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *p = strstr(line, ":memory:");
		if (p) {
			snprintf(dir, size, "/sys/fs/cgroup/memory%s", p + 8);
			*v2 = false;
		} else if (!strncmp(line, "0::", 3)) {
			snprintf(v2path, sizeof(v2path), "%s", line + 3);
		}
	}
	fclose(f);
	if (!dir[0] && v2path[0]) {
		snprintf(dir, size, "/sys/fs/cgroup%s", v2path);
		*v2 = true;
	}
	return dir[0] ? 0 : -1;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return -1;
	int ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* A 128 MiB array in a child whose memory cgroup allows 64 MiB: ENOMEM, and
 * the message names that cgroup and its limit. */
static void enomem_names_the_memory_cgroup_limit(void **state)
{
	(void)state;
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_TRACEPOINT), "tracepoint programs");
	char cg[400], path[512], msg[1024] = "";
	bool v2 = false;
	if (wd_memlock_charged() == 1)
		WD_SKIP("this kernel charges memlock, not the memory cgroup (before 5.11)");
	if (own_memcg(cg, sizeof(cg) - 40, &v2))
		WD_SKIP("no memory cgroup for this process");
	snprintf(cg + strlen(cg), 40, "/warden-map-%d", getpid());
	if (mkdir(cg, 0755))
		WD_SKIP("cannot create a memory cgroup under %s", cg);
	snprintf(path, sizeof(path), "%s/%s", cg, v2 ? "memory.max" : "memory.limit_in_bytes");
	if (write_file(path, "67108864")) {
		rmdir(cg);
		WD_SKIP("cannot set %s (memory controller not enabled here)", path);
	}
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	if (pid == 0) {
		char me[32];
		close(pfd[0]);
		snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
		snprintf(me, sizeof(me), "%d", getpid());
		if (write_file(path, me))
			_exit(3);
		struct wd_object *obj = wd_object_open(wd_test_obj("map_fail_nomem.o"), NULL);
		if (!obj || wd_map_set_max_entries(wd_object_map(obj, "doomed"), 32768))
			_exit(4);
		int err = wd_object_load(obj, NULL);
		const char *m = err ? wd_errmsg() : "loaded";
		if (write(pfd[1], m, strlen(m)) < 0)
			_exit(5);
		_exit(0);
	}
	close(pfd[1]);
	ssize_t n = read(pfd[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	int st;
	waitpid(pid, &st, 0);
	rmdir(cg);
	if (!WIFEXITED(st) || WEXITSTATUS(st) == 3)
		WD_SKIP("cannot move a process into %s", cg);
	assert_int_equal(WEXITSTATUS(st), 0);
	wd_test_expect_in(msg, "Cannot allocate memory: the kernel would charge about 128.0 MiB");
	wd_test_expect_in(msg, "/warden-map-");
	wd_test_expect_in(msg, "allows 64.0 MiB");
}

/* Without CAP_BPF and CAP_SYS_ADMIN: "no privilege", not memlock or lockdown. */
static void eperm_without_privilege_says_so(void **state)
{
	(void)state;
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_TRACEPOINT), "tracepoint programs");
	char msg[1024] = "";
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct data[2];
		close(pfd[0]);
		if (syscall(SYS_capget, &hdr, data))
			_exit(3);
		data[0].effective &= ~(1u << 21);      /* CAP_SYS_ADMIN */
		data[1].effective &= ~(1u << (39 - 32)); /* CAP_BPF */
		data[1].effective &= ~(1u << (38 - 32)); /* CAP_PERFMON */
		if (syscall(SYS_capset, &hdr, data))
			_exit(3);
		struct wd_object *obj = wd_object_open(wd_test_obj("map_dump.o"), NULL);
		int err = obj ? wd_object_load(obj, NULL) : -1;
		const char *m = err ? wd_errmsg() : "loaded";
		if (write(pfd[1], m, strlen(m)) < 0)
			_exit(5);
		_exit(0);
	}
	close(pfd[1]);
	ssize_t n = read(pfd[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	int st;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) == 3)
		WD_SKIP("cannot drop capabilities here");
	if (strstr(msg, "loaded") == msg)
		WD_SKIP("this kernel lets unprivileged users create these maps "
			"(kernel.unprivileged_bpf_disabled=0)");
	wd_test_expect_in(msg, "create failed: Operation not permitted: no privilege: creating BPF maps "
			       "needs CAP_BPF (5.8+) or CAP_SYS_ADMIN");
}

static const struct CMUnitTest map_tests[] = {
	cmocka_unit_test(dump_prints_structs_enums_strings_bitfields),
	cmocka_unit_test(update_parses_json_into_the_btf_layout),
	cmocka_unit_test(percpu_lru_array_and_plain_int_keys),
	cmocka_unit_test(map_without_btf_is_hex_both_ways),
	cmocka_unit_test_teardown(object_loaded_without_btf_dumps_hex, wd_test_restore_emulation),
	cmocka_unit_test(prog_array_and_map_in_map_show_held_ids),
	cmocka_unit_test(ring_and_perf_buffers_say_what_they_are),
	cmocka_unit_test(bad_input_is_one_line_and_exit_2),
	cmocka_unit_test(batch_and_key_by_key_dumps_agree),
	cmocka_unit_test(pin_show_pinned_and_unpin),
	cmocka_unit_test(show_lists_by_name_with_types),
	cmocka_unit_test(create_failures_name_the_limit_type_and_flag),
	cmocka_unit_test(enomem_names_the_memory_cgroup_limit),
	cmocka_unit_test(eperm_without_privilege_says_so),
};
WD_TEST_SET(wd_tests_map, "doctor", map_tests);
