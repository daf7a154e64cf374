// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * struct_ops (group "loader"): tests/bpf/st_ops_cc.bpf.c, a TCP congestion
 * control written as a `struct tcp_congestion_ops` table, loaded and
 * registered in the running kernel.  Each run renames it (wdcc<pid>) before
 * load, through the map's initial value, so runs side by side never clash.
 * It must appear in /proc/sys/net/ipv4/tcp_available_congestion_control
 * once registered and be gone after detach and after object close.  The
 * .struct_ops.link variant (6.4+) registers through a link.  Error paths:
 * a name already registered, attach before load, a struct_ops program
 * attached alone, a map that is no struct_ops map.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "warden/btf.h"
#include "warden/features.h"
#include "warden/link.h"
#include "warden/spec.h"
#include "warden/warden.h"

#define CA_LIST "/proc/sys/net/ipv4/tcp_available_congestion_control"

/* Is `name` a word of tcp_available_congestion_control? */
static bool ca_registered(const char *name)
{
	char buf[4096], *tok, *save = NULL;
	FILE *f = fopen(CA_LIST, "r");
	size_t n;
	bool found = false;
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (tok = strtok_r(buf, " \n", &save); tok && !found; tok = strtok_r(NULL, " \n", &save))
		found = !strcmp(tok, name);
	return found;
}

/* Unregistering is done when the syscall returns; a link's release may
 * run a moment later (task work): wait up to 2 s for the state wanted. */
static bool ca_wait(const char *name, bool want)
{
	for (int i = 0; i < 200; i++) {
		if (ca_registered(name) == want)
			return true;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

static void require_struct_ops(void)
{
	if (access(CA_LIST, R_OK))
		WD_SKIP("no %s: this kernel has no TCP congestion control list", CA_LIST);
	WD_REQUIRE(wd_probe_map_type(BPF_MAP_TYPE_STRUCT_OPS), "struct_ops maps (5.6)");
	if (!wd_btf_vmlinux())
		WD_SKIP("struct_ops needs kernel BTF, and this kernel has none");
}

/* Index and byte offset of member `name` of struct `type` in `btf`; -1 if none. */
static int member_of(const struct wd_btf *btf, uint32_t type, const char *name, size_t *off)
{
	const struct btf_type *t = wd_btf_type(btf, type);
	const struct btf_member *mem = btf_extra(t);
	for (int i = 0; i < btf_vlen_of(t); i++)
		if (!strcmp(wd_btf_str(btf, mem[i].name_off), name)) {
			if (off)
				*off = btf_member_bit_off(t, &mem[i]) / 8;
			return i;
		}
	return -1;
}

/* Objects a test opened: closed by the teardown when an assertion jumps
 * out, so that no table stays registered (a plain struct_ops registration
 * outlives the process: the kernel holds the map). */
static struct wd_object *opened[4];

static struct wd_object *track(struct wd_object *obj)
{
	for (size_t i = 0; i < 4; i++)
		if (!opened[i]) {
			opened[i] = obj;
			return obj;
		}
	fail_msg("more than 4 objects open");
	return NULL;
}

static void close_tracked(struct wd_object *obj)
{
	for (size_t i = 0; i < 4; i++)
		if (opened[i] == obj)
			opened[i] = NULL;
	wd_object_close(obj);
}

static int close_all(void **state)
{
	(void)state;
	for (size_t i = 0; i < 4; i++) {
		wd_object_close(opened[i]);
		opened[i] = NULL;
	}
	return 0;
}

static struct wd_object *open_cc(const char *file, const char *map, char *ca, size_t size)
{
	struct wd_object *obj = wd_object_open(wd_test_obj(file), NULL);
	struct wd_map *m;
	size_t len;
	char *data;
	if (!obj)
		fail_msg("open %s: %s", file, wd_errmsg());
	track(obj);
	m = wd_object_map(obj, map);
	assert_non_null(m);
	data = wd_map_initial_value(m, &len);
	assert_non_null(data);
	size_t off = 0;
	assert_int_equal(wd_map_spec(m)->kind, WD_MAP_STRUCT_OPS);
	assert_true(member_of(wd_object_spec(obj)->btf, wd_map_spec(m)->st_ops_type_id, "name", &off) >= 0);
	assert_true(off + 16 <= len);
	snprintf(ca, size, "wdcc%d", (int)getpid() % 10000000);
	memset(data + off, 0, 16);
	memcpy(data + off, ca, strlen(ca));
	return obj;
}

/* Load, skipping when this kernel cannot (the reason printed). */
static void load_or_skip(struct wd_object *obj)
{
	int err = wd_object_load(obj, NULL);
	if (err && wd_test_emulating()) {
		char why[512];
		snprintf(why, sizeof(why), "%s", wd_errmsg());
		close_tracked(obj);
		WD_SKIP("struct_ops under emulation: %s", why);
	}
	if (err)
		fail_msg("load: %s", wd_errmsg());
}

/* The spec: one struct_ops map per variable, its members by byte offset. */
static void struct_ops_spec(void **state)
{
	(void)state;
	struct wd_object *obj = wd_object_open(wd_test_obj("st_ops_cc.o"), NULL);
	const struct wd_spec *s;
	const struct wd_map_spec *m = NULL;
	const char *want[] = { "ssthresh", "undo_cwnd", "cong_avoid" };
	assert_non_null(obj);
	s = wd_object_spec(obj);
	for (size_t i = 0; i < s->nr_maps; i++)
		if (s->maps[i].kind == WD_MAP_STRUCT_OPS)
			m = &s->maps[i];
	assert_non_null(m);
	assert_string_equal(m->name, "wd_cc");
	assert_int_equal(m->type, BPF_MAP_TYPE_STRUCT_OPS);
	assert_int_equal(m->key_size, 4);
	assert_int_equal(m->max_entries, 1);
	assert_int_equal(m->map_flags, 0);
	assert_string_equal(wd_btf_name(s->btf, m->st_ops_type_id), "tcp_congestion_ops");
	assert_int_equal(m->nr_init, 0);
	assert_int_equal(m->nr_st_ops_funcs, 3);
	for (size_t k = 0; k < 3; k++) {
		size_t off = 0;
		char prog[64];
		assert_true(member_of(s->btf, m->st_ops_type_id, want[k], &off) >= 0);
		snprintf(prog, sizeof(prog), "wd_cc_%s", want[k]);
		bool found = false;
		for (size_t i = 0; i < m->nr_st_ops_funcs; i++)
			found |= m->st_ops_funcs[i].off == off && !strcmp(m->st_ops_funcs[i].prog, prog);
		if (!found)
			fail_msg("member %s (offset %zu) does not name %s", want[k], off, prog);
	}
	wd_object_close(obj);
	obj = wd_object_open(wd_test_obj("st_ops_cc_link.o"), NULL);
	assert_non_null(obj);
	struct wd_map *lm = wd_object_map(obj, "wd_cc_link");
	assert_non_null(lm);
	assert_int_equal(wd_map_spec(lm)->map_flags, 1u << 13);   /* BPF_F_LINK */
	wd_object_close(obj);
}

/* Each program loads against its kernel member: type struct_ops, expected
 * attach type = the member's index in the kernel's struct. */
static void check_prog_members(struct wd_object *obj)
{
	const struct wd_btf *vml = wd_btf_vmlinux();
	uint32_t kt = wd_btf_find(vml, "tcp_congestion_ops", BTF_KIND_STRUCT);
	struct wd_prog *p;
	assert_true(kt > 0);
	wd_object_for_each_prog(p, obj) {
		const char *member = wd_prog_name(p) + strlen("wd_cc_");
		assert_int_equal(wd_prog_type(p), BPF_PROG_TYPE_STRUCT_OPS);
		assert_true(wd_prog_fd(p) >= 0);
		assert_int_equal(wd_prog_expected_attach_type(p), member_of(vml, kt, member, NULL));
	}
}

static void struct_ops_register_unregister(void **state)
{
	(void)state;
	char ca[32];
	require_struct_ops();
	struct wd_object *obj = open_cc("st_ops_cc.o", "wd_cc", ca, sizeof(ca));
	struct wd_map *m = wd_object_map(obj, "wd_cc");
	struct wd_link *l;
	load_or_skip(obj);
	check_prog_members(obj);
	assert_int_equal(wd_map_type(m), BPF_MAP_TYPE_STRUCT_OPS);
	assert_false(ca_registered(ca));
	l = wd_map_attach_struct_ops(m);
	if (!l)
		fail_msg("register %s: %s", ca, wd_errmsg());
	assert_true(ca_registered(ca));
	assert_int_equal(wd_link_fd(l), -1);
	assert_non_null(strstr(wd_link_describe(l), "wd_cc"));
	assert_int_equal(wd_link_detach(l), 0);
	assert_true(ca_wait(ca, false));
	/* a plain struct_ops map registers once (the kernel's rule) */
	assert_null(wd_map_attach_struct_ops(m));
	assert_int_equal(errno, EBUSY);
	assert_non_null(strstr(wd_errmsg(), "load the object again"));
	close_tracked(obj);
	/* a new load registers again; closing the object unregisters */
	obj = open_cc("st_ops_cc.o", "wd_cc", ca, sizeof(ca));
	load_or_skip(obj);
	if (!wd_map_attach_struct_ops(wd_object_map(obj, "wd_cc")))
		fail_msg("register %s after a reload: %s", ca, wd_errmsg());
	assert_true(ca_registered(ca));
	close_tracked(obj);
	if (!ca_wait(ca, false))
		fail_msg("%s is still registered after the object closed", ca);
}

static void struct_ops_register_by_link(void **state)
{
	(void)state;
	char ca[32];
	require_struct_ops();
	if (!wd_test_kernel_at_least(6, 4))
		WD_SKIP("struct_ops links (SEC(\".struct_ops.link\")) came in 6.4");
	struct wd_object *obj = open_cc("st_ops_cc_link.o", "wd_cc_link", ca, sizeof(ca));
	struct wd_map *m = wd_object_map(obj, "wd_cc_link");
	struct wd_link *l;
	load_or_skip(obj);
	check_prog_members(obj);
	l = wd_map_attach_struct_ops(m);
	if (!l)
		fail_msg("register %s by link: %s", ca, wd_errmsg());
	assert_true(wd_link_fd(l) >= 0);
	assert_true(ca_registered(ca));
	assert_int_equal(wd_link_detach(l), 0);
	if (!ca_wait(ca, false))
		fail_msg("%s is still registered after its link closed", ca);
	/* the value stays in the map (EBUSY on update): a second link works */
	l = wd_map_attach_struct_ops(m);
	if (!l)
		fail_msg("register %s by link again: %s", ca, wd_errmsg());
	assert_true(ca_registered(ca));
	close_tracked(obj);
	if (!ca_wait(ca, false))
		fail_msg("%s is still registered after the object closed", ca);
}

/* Two tables of one name: the second registration fails and says why. */
static void struct_ops_name_taken(void **state)
{
	(void)state;
	char ca[32], ca2[32];
	require_struct_ops();
	struct wd_object *a = open_cc("st_ops_cc.o", "wd_cc", ca, sizeof(ca));
	load_or_skip(a);
	struct wd_object *b = open_cc("st_ops_cc.o", "wd_cc", ca2, sizeof(ca2));
	load_or_skip(b);
	struct wd_link *la = wd_map_attach_struct_ops(wd_object_map(a, "wd_cc"));
	if (!la)
		fail_msg("register %s: %s", ca, wd_errmsg());
	struct wd_link *lb = wd_map_attach_struct_ops(wd_object_map(b, "wd_cc"));
	assert_null(lb);
	assert_int_equal(errno, EEXIST);
	assert_non_null(strstr(wd_errmsg(), "already registered"));
	assert_non_null(strstr(wd_errmsg(), "wd_cc"));
	close_tracked(b);
	assert_true(ca_registered(ca));   /* b's failure left a's table alone */
	close_tracked(a);
	assert_true(ca_wait(ca, false));
}

static void struct_ops_misuse(void **state)
{
	(void)state;
	char ca[32];
	require_struct_ops();
	struct wd_object *obj = open_cc("st_ops_cc.o", "wd_cc", ca, sizeof(ca));
	struct wd_map *m = wd_object_map(obj, "wd_cc");
	/* before load: nothing to register */
	assert_null(wd_map_attach_struct_ops(m));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(wd_errmsg(), "not a loaded struct_ops map"));
	load_or_skip(obj);
	/* a member program alone */
	assert_null(wd_prog_attach(wd_object_prog(obj, "wd_cc_ssthresh")));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(wd_errmsg(), "wd_map_attach_struct_ops"));
	/* a member program not loaded: the table cannot be filled */
	close_tracked(obj);
	obj = open_cc("st_ops_cc.o", "wd_cc", ca, sizeof(ca));
	wd_prog_set_autoload(wd_object_prog(obj, "wd_cc_undo_cwnd"), false);
	load_or_skip(obj);
	assert_null(wd_map_attach_struct_ops(wd_object_map(obj, "wd_cc")));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(wd_errmsg(), "wd_cc_undo_cwnd"));
	assert_false(ca_registered(ca));
	close_tracked(obj);
	/* a map that is no struct_ops map */
	obj = wd_object_open(wd_test_obj("maps.o"), NULL);
	assert_non_null(obj);
	struct wd_map *other = wd_object_next_map(obj, NULL);
	assert_non_null(other);
	assert_null(wd_map_attach_struct_ops(other));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(wd_errmsg(), "not a struct_ops map"));
	wd_object_close(obj);
}

static const struct CMUnitTest struct_ops_tests[] = {
	cmocka_unit_test(struct_ops_spec),
	cmocka_unit_test_teardown(struct_ops_register_unregister, close_all),
	cmocka_unit_test_teardown(struct_ops_register_by_link, close_all),
	cmocka_unit_test_teardown(struct_ops_name_taken, close_all),
	cmocka_unit_test_teardown(struct_ops_misuse, close_all),
};
WD_TEST_SET(wd_tests_struct_ops, "loader", struct_ops_tests);
