// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The loader against the real kernel: every test object loads and runs with
 * the expected results, and every error path is clean. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"
#include "warden/warden.h"
#include "warden/testing.h"
#include "host/kconfig.h"
#include "sys/sys.h"

#define REQUIRE_XDP() WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_XDP), "XDP programs")
#define REQUIRE_GLOBALS() WD_REQUIRE(wd_probe_global_data(), "global data (5.2)")

/* minimal.o without its socket filter where the kernel refuses those (RHEL 7). */
static void drop_socket_filter(struct wd_object *obj)
{
	if (wd_probe_prog_type(BPF_PROG_TYPE_SOCKET_FILTER) != 1)
		wd_prog_set_autoload(wd_object_prog(obj, "minimal_sock"), false);
}

static struct wd_object *open_loaded(const char *name)
{
	struct wd_object *obj = wd_object_open(wd_test_obj(name), NULL);
	assert_non_null(obj);
	if (!strcmp(name, "minimal.o"))
		drop_socket_filter(obj);
	if (wd_object_load(obj, NULL)) {
		fail_msg("load %s: %s", name, wd_errmsg());
	}
	return obj;
}

/* Run an XDP program once on a 64-byte packet; returns its verdict. */
static uint32_t run_xdp(struct wd_object *obj, const char *prog)
{
	char pkt[64] = { 0 };
	uint32_t ret = 0;
	struct wd_prog *p = wd_object_prog(obj, prog);
	assert_non_null(p);
	assert_int_equal(wd_prog_test_run(p, pkt, sizeof(pkt), &ret, NULL), 0);
	return ret;
}

static void read_global(struct wd_object *obj, const char *sec, void *out, size_t size)
{
	struct wd_map *m = wd_object_map(obj, sec);
	uint32_t zero = 0;
	char *buf;
	assert_non_null(m);
	buf = calloc(1, wd_map_value_size(m));
	assert_int_equal(wd_map_lookup(m, &zero, buf), 0);
	memcpy(out, buf, size);
	free(buf);
}

/* ---- spec (no kernel) ---------------------------------------------------- */

static void open_lists_programs_maps_and_sections(void **state)
{
	(void)state;
	struct wd_object *obj = wd_object_open(wd_test_obj("maps.o"), NULL);
	struct wd_map *m;
	int n = 0;
	assert_non_null(obj);
	assert_string_equal(wd_object_name(obj), "maps");
	assert_non_null(wd_object_prog(obj, "use_maps"));
	assert_string_equal(wd_prog_section(wd_object_prog(obj, "use_maps")), "xdp");
	assert_int_equal(wd_prog_type(wd_object_prog(obj, "use_maps")), BPF_PROG_TYPE_XDP);
	assert_null(wd_object_prog(obj, "nope"));
	wd_object_for_each_map(m, obj)
		n++;
	assert_int_equal(n, 10); /* the inner template is not listed */
	m = wd_object_map(obj, "hash_map");
	assert_int_equal(wd_map_type(m), BPF_MAP_TYPE_HASH);
	assert_int_equal(wd_map_key_size(m), 4);
	assert_int_equal(wd_map_value_size(m), 8);
	assert_int_equal(wd_map_max_entries(m), 128);
	assert_int_equal(wd_map_value_size(wd_object_map(obj, "percpu_map")), 16);
	assert_int_equal(wd_map_type(wd_object_map(obj, "ring")), BPF_MAP_TYPE_RINGBUF);
	wd_object_close(obj);
}

static void open_mem_and_open_path_agree(void **state)
{
	(void)state;
	int fd = open(wd_test_obj("globals.o"), O_RDONLY);
	struct stat st;
	assert_true(fd >= 0 && fstat(fd, &st) == 0);
	char *buf = malloc(st.st_size);
	assert_int_equal(read(fd, buf, st.st_size), st.st_size);
	close(fd);
	struct wd_open_opts o = { .sz = sizeof(o), .name = "globals.o" };
	struct wd_object *obj = wd_object_open_mem(buf, st.st_size, &o);
	free(buf); /* the object keeps its own copy */
	assert_non_null(obj);
	assert_non_null(wd_object_map(obj, ".data"));
	assert_non_null(wd_object_map(obj, ".rodata"));
	assert_non_null(wd_object_map(obj, ".bss"));
	assert_non_null(wd_object_map(obj, "globals.data"));
	assert_non_null(wd_object_map(obj, ".data.custom"));
	wd_object_close(obj);
}

/* ---- load and run ---------------------------------------------------------- */

static void globals_are_initialized_and_settable_before_load(void **state)
{
	(void)state;
	REQUIRE_XDP();
	REQUIRE_GLOBALS();
	struct wd_object *obj = wd_object_open(wd_test_obj("globals.o"), NULL);
	int three = 3, bss = 0, data = 0;
	uint64_t result = 0;
	assert_non_null(obj);
	assert_int_equal(wd_object_set_global(obj, "rodata_var", &three, sizeof(three)), 0);
	assert_int_equal(wd_object_set_global(obj, "rodata_var", &result, sizeof(result)), -EINVAL);
	assert_int_equal(wd_object_set_global(obj, "no_such_var", &three, 4), -ENOENT);
	assert_int_equal(wd_object_load(obj, NULL), 0);
	assert_int_equal(wd_object_set_global(obj, "rodata_var", &three, 4), -EBUSY);
	assert_int_equal(run_xdp(obj, "run_globals"), XDP_PASS);
	read_global(obj, ".bss", &bss, sizeof(bss));
	assert_int_equal(bss, 43);                       /* data_var 40 + rodata 3 */
	struct wd_map *b = wd_object_map(obj, ".bss");
	char val[64];
	uint32_t zero = 0;
	assert_int_equal(wd_map_lookup(b, &zero, val), 0);
	memcpy(&result, val + 8, 8);                     /* result follows bss_var (aligned) */
	assert_int_equal(result, 43 + 1000 + 'h' + 't');
	memcpy(&result, val + 16, 8);                    /* result2 */
	assert_int_equal(result, 5000 + 'a');            /* .rodata.custom, .rodata.str1.1 */
	read_global(obj, ".data", &data, sizeof(data));
	assert_int_equal(data, 41);                      /* data_var++ */
	wd_object_close(obj);
}

static void subprograms_and_callbacks_run(void **state)
{
	(void)state;
	REQUIRE_XDP();
	REQUIRE_GLOBALS();
	/* bpf_loop callbacks (BPF_PSEUDO_FUNC) arrived in 5.17; calls in 4.16 */
	bool has_loop = wd_probe_helper(BPF_PROG_TYPE_XDP, BPF_FUNC_loop) == 1;
	struct wd_object *obj = wd_object_open(wd_test_obj("calls.o"), NULL);
	uint64_t out[4];
	assert_non_null(obj);
	if (!has_loop) {
		printf("note: no bpf_loop on this kernel: call_two not loaded\n");
		wd_prog_set_autoload(wd_object_prog(obj, "call_two"), false);
	}
	if (wd_object_load(obj, NULL))
		fail_msg("load calls.o: %s", wd_errmsg());
	assert_int_equal(run_xdp(obj, "call_one"), XDP_PASS);
	if (has_loop)
		assert_int_equal(run_xdp(obj, "call_two"), XDP_PASS);
	read_global(obj, ".bss", out, sizeof(out));
	assert_int_equal(out[0], 42);
	assert_int_equal(out[1], has_loop ? 3 : 0);
	assert_int_equal(out[2], has_loop ? 10 : 0);
	/* call_one carries twice() and add(): more than its own instructions */
	assert_true(wd_prog_insn_cnt(wd_object_prog(obj, "call_one")) > 10);
	wd_object_close(obj);
}

static void prog_array_and_map_in_map_slots_are_filled(void **state)
{
	(void)state;
	REQUIRE_XDP();
	WD_REQUIRE(wd_probe_ringbuf(), "ring buffers (5.8)");
	struct wd_object *obj = open_loaded("maps.o");
	uint32_t k0 = 0, k1 = 1, inner_id = 0, v32 = 0;
	uint64_t v = 0;
	/* the tail call lands in tail_target (PASS); a failed one returns DROP */
	assert_int_equal(run_xdp(obj, "use_maps"), XDP_PASS);
	assert_int_equal(wd_map_lookup(wd_object_map(obj, "array_map"), &k1, &v), 0);
	assert_int_equal(v, 77);
	assert_int_equal(wd_map_lookup(wd_object_map(obj, "hash_map"), &k0, &v), 0);
	assert_int_equal(v, 5);
	/* outer_map[0] is inner1, where use_maps stored 9 */
	assert_int_equal(wd_map_lookup(wd_object_map(obj, "outer_map"), &k0, &inner_id), 0);
	int inner = wd_sys_get_fd_by_id(BPF_MAP_GET_FD_BY_ID, inner_id);
	assert_true(inner >= 0);
	assert_int_equal(wd_sys_map_lookup(inner, &k0, &v32, 0), 0);
	assert_int_equal(v32, 9);
	close(inner);
	uint32_t k3 = 3, k2 = 2;
	assert_int_equal(wd_map_lookup(wd_object_map(obj, "outer_map"), &k3, &inner_id), 0);
	assert_int_equal(wd_map_lookup(wd_object_map(obj, "outer_map"), &k2, &inner_id), -ENOENT);
	wd_object_close(obj);
}

static void legacy_maps_section_loads_and_runs(void **state)
{
	(void)state;
	REQUIRE_XDP();
	struct wd_object *obj = open_loaded("legacy_maps.o");
	uint32_t k = 1, v32 = 0;
	uint64_t v = 0;
	assert_int_equal(run_xdp(obj, "legacy_count"), XDP_PASS);
	assert_int_equal(run_xdp(obj, "legacy_count"), XDP_PASS);
	assert_int_equal(wd_map_lookup(wd_object_map(obj, "counts"), &k, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(wd_map_lookup(wd_object_map(obj, "events"), &k, &v32), 0);
	assert_int_equal(v32, 1);
	wd_object_close(obj);
}

static void kconfig_externs_match_the_kernel_config(void **state)
{
	(void)state;
	REQUIRE_XDP();
	REQUIRE_GLOBALS();
	struct wd_kconfig *kc = wd_kconfig_load(NULL);
	if (!kc)
		WD_SKIP("no kernel config on this machine (/proc/config.gz, /boot/config-*)");
	struct wd_object *obj = open_loaded("kconfig.o");
	uint64_t seen[4];
	assert_int_equal(run_xdp(obj, "read_kconfig"), XDP_PASS);
	read_global(obj, ".bss", seen, sizeof(seen));
	assert_int_equal(seen[0], wd_kernel_version_code());
	assert_int_equal(seen[1], strtoull(wd_kconfig_get(kc, "CONFIG_HZ"), NULL, 0));
	assert_int_equal(seen[2], 1);
	assert_int_equal(seen[3], 0); /* __weak and unset */
	wd_kconfig_free(kc);
	wd_object_close(obj);
}

static void map_operations_and_batch_lookup(void **state)
{
	(void)state;
	REQUIRE_XDP();
	WD_REQUIRE(wd_probe_ringbuf(), "ring buffers (5.8)");
	struct wd_object *obj = open_loaded("maps.o");
	struct wd_map *m = wd_object_map(obj, "hash_map");
	uint32_t keys[16], n = 16, k, next;
	uint64_t vals[16], v;
	for (k = 10; k < 15; k++) {
		v = k * 100;
		assert_int_equal(wd_map_update(m, &k, &v, BPF_ANY), 0);
	}
	k = 10;
	assert_int_equal(wd_map_update(m, &k, &v, BPF_NOEXIST), -EEXIST);
	assert_int_equal(wd_map_delete(m, &k), 0);
	assert_int_equal(wd_map_lookup(m, &k, &v), -ENOENT);
	assert_int_equal(wd_map_next_key(m, NULL, &next), 0);
	assert_int_equal(wd_map_lookup_batch(m, keys, vals, &n), 0);
	assert_int_equal(n, 4);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(vals[i], keys[i] * 100);
	wd_object_close(obj);
}

static void pinning_puts_programs_and_maps_on_bpffs(void **state)
{
	(void)state;
	char dir[64], path[128];
	struct stat st;
	struct wd_object *obj = open_loaded("minimal.o");
	assert_true(wd_bpffs_ensure("/sys/fs/bpf") >= 0);
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/warden-test-%d", getpid());
	assert_int_equal(wd_object_pin(obj, dir), 0);
	snprintf(path, sizeof(path), "%s/minimal_tp", dir);
	assert_int_equal(stat(path, &st), 0);
	int fd = wd_obj_get(path);
	assert_true(fd >= 0);
	close(fd);
	wd_object_close(obj);
	/* pins outlive the object until removed */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(wd_map_unpin(path), 0);
	snprintf(path, sizeof(path), "%s/minimal_sock", dir);
	unlink(path); /* absent where the kernel refuses socket filters */
	snprintf(path, sizeof(path), "%s/maps", dir);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void pinned_by_name_map_is_shared_across_loads(void **state)
{
	(void)state;
	REQUIRE_XDP();
	char dir[64], path[128];
	uint32_t k = 0;
	uint64_t v = 0;
	assert_true(wd_bpffs_ensure("/sys/fs/bpf") >= 0);
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/warden-pin-%d", getpid());
	assert_int_equal(mkdir(dir, 0700), 0);
	struct wd_load_opts lo = { .sz = sizeof(lo), .pin_dir = dir };
	struct wd_object *a = wd_object_open(wd_test_obj("pinned.o"), NULL);
	struct wd_object *b = wd_object_open(wd_test_obj("pinned.o"), NULL);
	assert_int_equal(wd_object_load(a, &lo), 0);
	assert_int_equal(run_xdp(a, "bump"), XDP_PASS);
	wd_object_close(a);
	/* the second load reuses the pinned map: the count goes on */
	assert_int_equal(wd_object_load(b, &lo), 0);
	assert_int_equal(run_xdp(b, "bump"), XDP_PASS);
	assert_int_equal(wd_map_lookup(wd_object_map(b, "shared_counter"), &k, &v), 0);
	assert_int_equal(v, 2);
	/* a map of another shape under the same name is refused, by name */
	struct wd_object *c = wd_object_open(wd_test_obj("pinned_other.o"), NULL);
	assert_int_equal(wd_object_load(c, &lo), -EEXIST);
	assert_non_null(strstr(wd_errmsg(), "shared_counter"));
	wd_object_close(c);
	wd_object_close(b);
	snprintf(path, sizeof(path), "%s/shared_counter", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void pin_outside_bpffs_is_refused(void **state)
{
	(void)state;
	struct wd_object *obj = open_loaded("minimal.o");
	assert_int_equal(wd_prog_pin(wd_object_prog(obj, "minimal_tp"), "/tmp/warden-not-bpffs"), -EINVAL);
	assert_non_null(strstr(wd_errmsg(), "not on a bpffs"));
	wd_object_close(obj);
}

/* ---- error paths ----------------------------------------------------------- */

static void *read_obj(const char *name, size_t *size)
{
	int fd = open(wd_test_obj(name), O_RDONLY);
	struct stat st;
	assert_true(fd >= 0 && fstat(fd, &st) == 0);
	void *buf = malloc(st.st_size);
	assert_int_equal(read(fd, buf, st.st_size), st.st_size);
	close(fd);
	*size = st.st_size;
	return buf;
}

static void truncated_elf_fails_with_a_clear_error(void **state)
{
	(void)state;
	size_t size;
	char *buf = read_obj("maps.o", &size);
	/* every prefix of the file, in coarse steps: an error, never a crash */
	for (size_t n = 1; n < size; n += n < 256 ? 7 : 97) {
		struct wd_object *obj = wd_object_open_mem(buf, n, NULL);
		if (obj) { /* a prefix may still parse if only trailing debug data is cut */
			wd_object_close(obj);
			continue;
		}
		assert_true(strlen(wd_errmsg()) > 10);
	}
	struct wd_object *obj = wd_object_open_mem(buf, 40, NULL);
	assert_null(obj);
	assert_non_null(strstr(wd_errmsg(), "ELF"));
	free(buf);
}

static void wrong_elf_machine_is_named(void **state)
{
	(void)state;
	size_t size;
	char *buf = read_obj("minimal.o", &size);
	buf[18] = 62; /* e_machine = EM_X86_64 */
	buf[19] = 0;
	assert_null(wd_object_open_mem(buf, size, NULL));
	assert_non_null(strstr(wd_errmsg(), "not BPF"));
	free(buf);
}

/* As libbpf: no license section loads as non-GPL; only a GPL-only helper
 * fails then, and the message names the missing section. */
static void missing_license_loads_as_non_gpl(void **state)
{
	(void)state;
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_XDP), "XDP programs");
	struct wd_object *obj = wd_object_open(wd_test_obj("nolicense.o"), NULL);
	assert_non_null(obj);
	if (wd_object_load(obj, NULL))
		fail_msg("%s", wd_errmsg());
	wd_object_close(obj);
	obj = wd_object_open(wd_test_obj("nolicense_gpl.o"), NULL);
	assert_non_null(obj);
	assert_true(wd_object_load(obj, NULL) < 0);
	if (!strstr(wd_errmsg(), "GPL") || !strstr(wd_errmsg(), "no 'license' section"))
		fail_msg("message: %s", wd_errmsg());
	wd_object_close(obj);
}

static void relocation_to_missing_symbol_is_named(void **state)
{
	(void)state;
	assert_null(wd_object_open(wd_test_obj("missing_sym.o"), NULL));
	assert_non_null(strstr(wd_errmsg(), "nowhere_defined"));
}

static void map_definition_of_wrong_size_is_refused(void **state)
{
	(void)state;
	assert_null(wd_object_open(wd_test_obj("bad_mapdef.o"), NULL));
	assert_non_null(strstr(wd_errmsg(), "12 bytes"));
}

static void missing_file_names_the_path(void **state)
{
	(void)state;
	assert_null(wd_object_open("/nonexistent/x.o", NULL));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(wd_errmsg(), "/nonexistent/x.o"));
}

static void verifier_rejection_names_program_and_keeps_log(void **state)
{
	(void)state;
	REQUIRE_XDP();
	int fds_before = wd_test_fd_count(0);
	struct wd_object *obj = wd_object_open(wd_test_obj("bad_access.o"), NULL);
	assert_non_null(obj);
	assert_int_equal(wd_object_load(obj, NULL), -EACCES);
	const char *msg = wd_errmsg();
	assert_non_null(strstr(msg, "'null_deref'"));
	assert_non_null(strstr(msg, "map_value_or_null"));
	assert_non_null(strstr(msg, "bad_access.bpf.c:"));
	struct wd_prog *p = wd_object_prog(obj, "null_deref");
	assert_non_null(wd_prog_log(p));
	assert_non_null(strstr(wd_prog_log(p), "processed"));
	assert_true(wd_prog_fail_insn(p) >= 0);
	/* nothing half-loaded: the good program and the map were closed */
	assert_int_equal(wd_prog_fd(wd_object_prog(obj, "good_prog")), -1);
	assert_int_equal(wd_map_fd(wd_object_map(obj, "values")), -1);
	assert_int_equal(wd_test_fd_count(0), fds_before);
	/* without the bad program the object loads */
	assert_int_equal(wd_prog_set_autoload(p, false), 0);
	assert_int_equal(wd_object_load(obj, NULL), 0);
	assert_true(wd_prog_fd(wd_object_prog(obj, "good_prog")) >= 0);
	wd_object_close(obj);
}

static void verifier_log_grows_past_a_small_cap(void **state)
{
	(void)state;
	REQUIRE_XDP();
	struct wd_object *obj = wd_object_open(wd_test_obj("bad_access.o"), NULL);
	assert_non_null(obj);
	struct wd_load_opts lo = { .sz = sizeof(lo), .log_level = 2, .log_cap = 512 };
	/* the cap holds and the log is cut, but the error is still the
	 * verifier's own (EACCES and its message), not the log's ENOSPC */
	assert_int_equal(wd_object_load(obj, &lo), -EACCES);
	assert_non_null(strstr(wd_errmsg(), "map_value_or_null"));
	const char *cut = wd_prog_log(wd_object_prog(obj, "null_deref"));
	assert_true(strlen(cut) < 512 || strstr(cut, "log truncated"));
	lo.log_cap = 0; /* default cap: the whole level-2 log fits */
	assert_int_equal(wd_object_load(obj, &lo), -EACCES);
	assert_true(strlen(wd_prog_log(wd_object_prog(obj, "null_deref"))) > 512);
	wd_object_close(obj);
}

static void double_load_is_refused(void **state)
{
	(void)state;
	struct wd_object *obj = open_loaded("minimal.o");
	assert_int_equal(wd_object_load(obj, NULL), -EBUSY);
	wd_object_close(obj);
}

/* ---- RHEL/CentOS 7 played through the syscall seam (libbpf #230, #320) -------------- */

static void rhel7_loads_tracing_programs_and_refuses_the_rest(void **state)
{
	(void)state;
	assert_int_equal(wd_emulate("rhel7"), 0);
	struct wd_object *obj = wd_object_open(wd_test_obj("minimal.o"), NULL);
	assert_non_null(obj);
	/* socket filters are refused with EINVAL; the error says so */
	assert_int_equal(wd_object_load(obj, NULL), -EINVAL);
	assert_non_null(strstr(wd_errmsg(), "minimal_sock"));
	/* the tracepoint program alone loads: BTF is skipped, not fatal */
	wd_prog_set_autoload(wd_object_prog(obj, "minimal_sock"), false);
	assert_int_equal(wd_object_load(obj, NULL), 0);
	assert_true(wd_prog_fd(wd_object_prog(obj, "minimal_tp")) >= 0);
	wd_object_close(obj);
	/* global data needs 5.2: a clear error, not a crash */
	obj = wd_object_open(wd_test_obj("globals.o"), NULL);
	assert_true(wd_object_load(obj, NULL) < 0);
	wd_object_close(obj);
}

static const struct CMUnitTest loader_tests[] = {
	cmocka_unit_test(open_lists_programs_maps_and_sections),
	cmocka_unit_test(open_mem_and_open_path_agree),
	cmocka_unit_test(globals_are_initialized_and_settable_before_load),
	cmocka_unit_test(subprograms_and_callbacks_run),
	cmocka_unit_test(prog_array_and_map_in_map_slots_are_filled),
	cmocka_unit_test(legacy_maps_section_loads_and_runs),
	cmocka_unit_test(kconfig_externs_match_the_kernel_config),
	cmocka_unit_test(map_operations_and_batch_lookup),
	cmocka_unit_test(pinning_puts_programs_and_maps_on_bpffs),
	cmocka_unit_test(pinned_by_name_map_is_shared_across_loads),
	cmocka_unit_test(pin_outside_bpffs_is_refused),
	cmocka_unit_test(truncated_elf_fails_with_a_clear_error),
	cmocka_unit_test(wrong_elf_machine_is_named),
	cmocka_unit_test(missing_license_loads_as_non_gpl),
	cmocka_unit_test(relocation_to_missing_symbol_is_named),
	cmocka_unit_test(map_definition_of_wrong_size_is_refused),
	cmocka_unit_test(missing_file_names_the_path),
	cmocka_unit_test(verifier_rejection_names_program_and_keeps_log),
	cmocka_unit_test(verifier_log_grows_past_a_small_cap),
	cmocka_unit_test(double_load_is_refused),
	cmocka_unit_test_teardown(rhel7_loads_tracing_programs_and_refuses_the_rest, wd_test_restore_emulation),
};
WD_TEST_SET(wd_tests_loader, "loader", loader_tests);
