// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Feature probes against the running kernel, and under emulated old kernels. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include "harness.h"
#include "host/probe.h"
#include "sys/sys.h"
#include "warden/features.h"
#include "warden/testing.h"

/* Each test starts on the real kernel and leaves the profile of
 * $WARDEN_EMULATE (the whole run may be emulating an old kernel). */
static int setup(void **state)
{
	(void)state;
	wd_sys_set_fault(NULL, NULL);
	return wd_emulate("none");
}

static int teardown(void **state)
{
	(void)state;
	wd_sys_set_fault(NULL, NULL);
	wd_emulate("none");
	return wd_emulate_from_env();
}

/* ---- the running kernel -------------------------------------------------- */

static void prog_type_probe_reports_host_types_supported(void **state)
{
	(void)state;
	assert_int_equal(wd_probe_prog_type(BPF_PROG_TYPE_TRACEPOINT), 1);
	assert_int_equal(wd_probe_prog_type(BPF_PROG_TYPE_KPROBE), 1);
	assert_int_equal(wd_probe_prog_type(BPF_PROG_TYPE_SOCKET_FILTER), 1);
	assert_int_equal(wd_probe_prog_type(BPF_PROG_TYPE_XDP), 1);
	assert_int_equal(wd_probe_prog_type(BPF_PROG_TYPE_SCHED_CLS), 1);
	assert_int_equal(wd_probe_bpf(), 1);
	assert_int_equal(wd_probe_base_prog_type(), BPF_PROG_TYPE_TRACEPOINT);
}

static void prog_type_probe_reports_unknown_type_unsupported(void **state)
{
	(void)state;
	assert_int_equal(wd_probe_prog_type(200), 0);
	assert_int_equal(wd_probe_prog_type(BPF_PROG_TYPE_UNSPEC), 0);
}

/* fentry loads fail with EPERM on this host: "refused", never "unsupported". */
static void prog_type_probe_tells_refused_from_unsupported(void **state)
{
	(void)state;
	int r = wd_probe_prog_type(BPF_PROG_TYPE_TRACING);

	assert_int_not_equal(r, 0);
	if (r != 1)
		assert_int_equal(r, -EPERM);
	assert_string_equal(wd_probe_result_str(-EPERM),
			    "refused (EPERM: no privilege, or lockdown/LSM policy)");
	assert_int_not_equal(wd_probe_prog_type(BPF_PROG_TYPE_LSM), 0);
}

/* Expectations by the upstream version that added each feature: the probes
 * must agree with them on the host and in every kernel-matrix guest. */
#define SINCE(maj, min) wd_test_kernel_at_least(maj, min)

static void map_probes_match_upstream_versions(void **state)
{
	(void)state;
	if (wd_test_emulating())
		WD_SKIP("emulated kernel: the rhel7 tests check these probes");
	assert_int_equal(wd_probe_ringbuf(), SINCE(5, 8));
	assert_int_equal(wd_probe_map_type(BPF_MAP_TYPE_HASH), 1);
	assert_int_equal(wd_probe_map_type(BPF_MAP_TYPE_ARRAY_OF_MAPS), 1);
	assert_int_equal(wd_probe_map_type(BPF_MAP_TYPE_LPM_TRIE), 1);
	assert_int_equal(wd_probe_map_type(BPF_MAP_TYPE_TASK_STORAGE), SINCE(5, 11));
	assert_int_equal(wd_probe_map_type(BPF_MAP_TYPE_STRUCT_OPS), SINCE(5, 6));
	assert_int_equal(wd_probe_map_type(BPF_MAP_TYPE_UNSPEC), 0);
	assert_int_equal(wd_probe_map_type(250), 0);
}

static void helper_probe_tells_known_from_unknown_helpers(void **state)
{
	(void)state;
	assert_int_equal(wd_probe_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_probe_read_kernel), 1);
	assert_int_equal(wd_probe_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_map_lookup_elem), 1);
	assert_int_equal(wd_probe_helper(BPF_PROG_TYPE_KPROBE, 10000), 0);
	/* Known helper, not for this type: "program of this type cannot use helper". */
	assert_int_equal(wd_probe_helper(BPF_PROG_TYPE_SOCKET_FILTER, BPF_FUNC_sys_bpf), 0);
	/* Type unsupported: helper unsupported. */
	assert_int_equal(wd_probe_helper(200, BPF_FUNC_map_lookup_elem), 0);
}

static void btf_probes_match_upstream_versions(void **state)
{
	(void)state;
	if (wd_test_emulating())
		WD_SKIP("emulated kernel: the rhel7 tests check these probes");
	static const struct { int kind, maj, min; } since[] = {
		{ BTF_KIND_INT, 4, 18 }, { BTF_KIND_FUNC, 5, 0 }, { BTF_KIND_VAR, 5, 2 },
		{ BTF_KIND_DATASEC, 5, 2 }, { BTF_KIND_FLOAT, 5, 13 }, { BTF_KIND_DECL_TAG, 5, 16 },
		{ BTF_KIND_TYPE_TAG, 5, 17 }, { BTF_KIND_ENUM64, 6, 0 }, { WD_BTF_FUNC_GLOBAL, 5, 6 },
	};
	assert_int_equal(wd_probe_btf(), 1);
	assert_int_equal(wd_probe_kern_btf(), 1);
	for (size_t i = 0; i < sizeof(since) / sizeof(since[0]); i++) {
		int got = wd_probe_btf_kind(since[i].kind), want = SINCE(since[i].maj, since[i].min);
		if (got != want)
			fail_msg("BTF kind %d: probe says %d, upstream %d.%d says %d", since[i].kind,
				 got, since[i].maj, since[i].min, want);
	}
	assert_int_equal(wd_probe_btf_kind(99), -EINVAL);
	assert_true(wd_probe_kern_btf_func_id("bpf_fentry_test1") > 0);
	assert_int_equal(wd_probe_kern_btf_func_id("warden_no_such_function"), -ENOENT);
}

static void misc_probes_match_upstream_versions(void **state)
{
	(void)state;
	if (wd_test_emulating())
		WD_SKIP("emulated kernel: the rhel7 tests check these probes");
	assert_int_equal(wd_probe_prog_name(), 1);
	assert_int_equal(wd_probe_global_data(), 1);
	assert_int_equal(wd_probe_mmapable_array(), 1);
	assert_int_equal(wd_probe_batch_ops(), 1);
	assert_int_equal(wd_probe_bpf_cookie(), SINCE(5, 15));
}

static void link_probes_match_upstream_versions(void **state)
{
	(void)state;
	if (wd_test_emulating())
		WD_SKIP("emulated kernel: the rhel7 tests check these probes");
	assert_int_equal(wd_probe_bpf_link(WD_LINK_RAW_TP), 1);
	assert_int_equal(wd_probe_bpf_link(WD_LINK_CREATE), 1);
	assert_int_equal(wd_probe_bpf_link(WD_LINK_PERF_EVENT), SINCE(5, 15));
	assert_int_equal(wd_probe_bpf_link(WD_LINK_TCX), SINCE(6, 6));
	/* kprobe_multi (5.18) also needs CONFIG_FPROBE, off on this host */
	int r = wd_probe_bpf_link(WD_LINK_KPROBE_MULTI);
	assert_true(r == 0 || r == 1);
	assert_int_equal(wd_probe_bpf_link(0), -EINVAL);
	assert_string_equal(wd_link_kind_name(WD_LINK_PERF_EVENT), "perf_event");
}

/* ---- caching ---------------------------------------------------------------- */

static int syscalls;

static int count_fault(int cmd, const union bpf_attr *attr, void *ctx)
{
	(void)cmd;
	(void)attr;
	(void)ctx;
	syscalls++;
	return 0;
}

static void probe_results_are_cached_until_reset(void **state)
{
	(void)state;
	wd_probe_reset_cache();
	wd_sys_set_fault(count_fault, NULL);
	syscalls = 0;
	assert_int_equal(wd_probe_ringbuf(), 1);
	assert_int_equal(syscalls, 1);
	assert_int_equal(wd_probe_ringbuf(), 1);
	assert_int_equal(syscalls, 1);
	wd_probe_reset_cache();
	assert_int_equal(wd_probe_ringbuf(), 1);
	assert_int_equal(syscalls, 2);
}

/* ---- generic probe order -------------------------------------------------- */

static unsigned int first_prog_type;

static int tracing_refused_fault(int cmd, const union bpf_attr *attr, void *ctx)
{
	(void)ctx;
	if (cmd != BPF_PROG_LOAD)
		return 0;
	if (!first_prog_type)
		first_prog_type = attr->prog_type;
	return attr->prog_type == BPF_PROG_TYPE_TRACEPOINT ||
	       attr->prog_type == BPF_PROG_TYPE_KPROBE ? EINVAL : 0;
}

static void generic_probe_tries_tracing_first_socket_filter_last(void **state)
{
	(void)state;
	wd_probe_reset_cache();
	first_prog_type = 0;
	wd_sys_set_fault(tracing_refused_fault, NULL);
	assert_int_equal(wd_probe_bpf(), 1);
	assert_int_equal(first_prog_type, BPF_PROG_TYPE_TRACEPOINT);
	assert_int_equal(wd_probe_base_prog_type(), BPF_PROG_TYPE_SOCKET_FILTER);
	wd_probe_reset_cache();
}

static int eperm_fault(int cmd, const union bpf_attr *attr, void *ctx)
{
	(void)attr;
	(void)ctx;
	return cmd == BPF_PROG_LOAD || cmd == BPF_MAP_CREATE || cmd == BPF_BTF_LOAD ? EPERM : 0;
}

static void unprivileged_probes_say_refused_not_missing(void **state)
{
	(void)state;
	wd_probe_reset_cache();
	wd_sys_set_fault(eperm_fault, NULL);
	assert_int_equal(wd_probe_bpf(), -EPERM);
	assert_int_equal(wd_probe_prog_type(BPF_PROG_TYPE_XDP), -EPERM);
	assert_int_equal(wd_probe_map_type(BPF_MAP_TYPE_HASH), -EPERM);
	assert_int_equal(wd_probe_btf(), -EPERM);
	assert_int_equal(wd_probe_global_data(), -EPERM);
	wd_sys_set_fault(NULL, NULL);
	wd_probe_reset_cache();
}

/* ---- emulated kernels ----------------------------------------------------- */

static void rhel7_refuses_every_non_tracing_program_type(void **state)
{
	(void)state;
	assert_int_equal(wd_emulate("rhel7"), 0);
	assert_string_equal(wd_emulate_current(), "rhel7");
	assert_int_equal(wd_probe_prog_type(BPF_PROG_TYPE_SOCKET_FILTER), 0);
	assert_int_equal(wd_probe_prog_type(BPF_PROG_TYPE_XDP), 0);
	assert_int_equal(wd_probe_prog_type(BPF_PROG_TYPE_SCHED_CLS), 0);
	assert_int_equal(wd_probe_prog_type(BPF_PROG_TYPE_RAW_TRACEPOINT), 0);
	assert_int_equal(wd_probe_prog_type(BPF_PROG_TYPE_TRACING), 0);
	assert_int_equal(wd_probe_prog_type(BPF_PROG_TYPE_TRACEPOINT), 1);
	assert_int_equal(wd_probe_prog_type(BPF_PROG_TYPE_KPROBE), 1);
	assert_int_equal(wd_probe_prog_type(BPF_PROG_TYPE_PERF_EVENT), 1);
}

/* libbpf PRs #230 and #320: libbpf decided "no BPF at all" from a SOCKET_FILTER load. */
static void rhel7_generic_and_helper_probes_do_not_depend_on_socket_filter(void **state)
{
	(void)state;
	assert_int_equal(wd_emulate("rhel7"), 0);
	assert_int_equal(wd_probe_bpf(), 1);
	assert_int_equal(wd_probe_base_prog_type(), BPF_PROG_TYPE_TRACEPOINT);
	assert_int_equal(wd_probe_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_map_lookup_elem), 1);
	assert_int_equal(wd_probe_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_get_current_pid_tgid), 1);
	assert_int_equal(wd_probe_prog_name(), 1);
	/* 5.5 helper, unknown to the 4.18 back-port. */
	assert_int_equal(wd_probe_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_probe_read_kernel), 0);
	assert_int_equal(wd_probe_helper(BPF_PROG_TYPE_SOCKET_FILTER, BPF_FUNC_map_lookup_elem), 0);
}

static void rhel7_has_no_ringbuf_global_data_btf_or_links(void **state)
{
	(void)state;
	assert_int_equal(wd_emulate("rhel7"), 0);
	assert_int_equal(wd_probe_ringbuf(), 0);
	assert_int_equal(wd_probe_global_data(), 0);
	assert_int_equal(wd_probe_mmapable_array(), 0);
	assert_int_equal(wd_probe_batch_ops(), 0);
	assert_int_equal(wd_probe_bpf_cookie(), 0);
	assert_int_equal(wd_probe_btf(), 0);
	assert_int_equal(wd_probe_btf_kind(BTF_KIND_FUNC), 0);
	assert_int_equal(wd_probe_kern_btf(), 0);
	assert_int_equal(wd_probe_bpf_link(WD_LINK_RAW_TP), 0);
	assert_int_equal(wd_probe_bpf_link(WD_LINK_CREATE), 0);
	assert_int_equal(wd_probe_bpf_link(WD_LINK_PERF_EVENT), 0);
	assert_int_equal(wd_probe_map_type(BPF_MAP_TYPE_HASH), 1);
	assert_int_equal(wd_probe_map_type(BPF_MAP_TYPE_PERF_EVENT_ARRAY), 1);
	assert_int_equal(wd_probe_map_type(BPF_MAP_TYPE_QUEUE), 0);
}

static void no_btf_profile_refuses_only_btf(void **state)
{
	(void)state;
	assert_int_equal(wd_emulate("no-btf"), 0);
	assert_int_equal(wd_probe_btf(), 0);
	assert_int_equal(wd_probe_btf_kind(BTF_KIND_DATASEC), 0);
	assert_int_equal(wd_probe_ringbuf(), 1);
	assert_int_equal(wd_probe_global_data(), 1);
	assert_int_equal(wd_probe_prog_type(BPF_PROG_TYPE_XDP), 1);
}

static void emulate_rejects_unknown_profile_and_reads_env(void **state)
{
	(void)state;
	const char *env = getenv("WARDEN_EMULATE");
	char *saved = env ? strdup(env) : NULL;

	assert_int_equal(wd_emulate("rhel6"), -EINVAL);
	assert_string_equal(wd_emulate_current(), "none");
	setenv("WARDEN_EMULATE", "rhel7", 1);
	assert_int_equal(wd_emulate_from_env(), 0);
	assert_string_equal(wd_emulate_current(), "rhel7");
	assert_int_equal(wd_probe_prog_type(BPF_PROG_TYPE_XDP), 0);
	unsetenv("WARDEN_EMULATE");
	assert_int_equal(wd_emulate_from_env(), 0);
	assert_string_equal(wd_emulate_current(), "rhel7"); /* unset: left alone */
	assert_int_equal(wd_emulate(NULL), 0);
	assert_int_equal(wd_probe_prog_type(BPF_PROG_TYPE_XDP), 1);
	if (saved)
		setenv("WARDEN_EMULATE", saved, 1);
	free(saved);
}

/* ---- names -------------------------------------------------------------------- */

static void name_tables_cover_kernel_6_18(void **state)
{
	(void)state;
	assert_string_equal(wd_prog_type_name(BPF_PROG_TYPE_TRACEPOINT), "tracepoint");
	assert_string_equal(wd_prog_type_name(WD_PROG_TYPE_NETFILTER), "netfilter");
	assert_int_equal(wd_prog_type_count(), 33);
	assert_string_equal(wd_map_type_name(BPF_MAP_TYPE_RINGBUF), "ringbuf");
	assert_string_equal(wd_map_type_name(WD_MAP_TYPE_ARENA), "arena");
	assert_int_equal(wd_map_type_count(), 34);
	assert_string_equal(wd_helper_name(BPF_FUNC_map_lookup_elem), "bpf_map_lookup_elem");
	assert_string_equal(wd_helper_name(BPF_FUNC_probe_read_kernel), "bpf_probe_read_kernel");
	assert_string_equal(wd_helper_name(211), "bpf_cgrp_storage_delete");
	assert_int_equal(wd_helper_count(), 212);
	assert_string_equal(wd_attach_type_name(BPF_TRACE_FENTRY), "trace_fentry");
	assert_string_equal(wd_attach_type_name(57), "trace_uprobe_session");
	assert_int_equal(wd_attach_type_count(), 58);
	assert_null(wd_prog_type_name(33));
	assert_null(wd_helper_name(10000));
	for (unsigned int i = 0; i < wd_helper_count(); i++)
		assert_non_null(wd_helper_name(i));
	for (unsigned int i = 0; i < wd_map_type_count(); i++)
		assert_non_null(wd_map_type_name(i));
	for (unsigned int i = 0; i < wd_attach_type_count(); i++)
		assert_non_null(wd_attach_type_name(i));
	/* The host header's names agree where it has them. */
	assert_int_equal(BPF_FUNC_ktime_get_tai_ns, 208);
	assert_string_equal(wd_helper_name(BPF_FUNC_ktime_get_tai_ns), "bpf_ktime_get_tai_ns");
}

static void result_strings_read_well(void **state)
{
	(void)state;
	assert_string_equal(wd_probe_result_str(1), "yes");
	assert_string_equal(wd_probe_result_str(0), "no");
	assert_non_null(strstr(wd_probe_result_str(-EOPNOTSUPP), "unknown"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
static const struct CMUnitTest probe_tests[] = {
	T(prog_type_probe_reports_host_types_supported),
	T(prog_type_probe_reports_unknown_type_unsupported),
	T(prog_type_probe_tells_refused_from_unsupported),
	T(map_probes_match_upstream_versions),
	T(helper_probe_tells_known_from_unknown_helpers),
	T(btf_probes_match_upstream_versions),
	T(misc_probes_match_upstream_versions),
	T(link_probes_match_upstream_versions),
	T(probe_results_are_cached_until_reset),
	T(generic_probe_tries_tracing_first_socket_filter_last),
	T(unprivileged_probes_say_refused_not_missing),
	T(rhel7_refuses_every_non_tracing_program_type),
	T(rhel7_generic_and_helper_probes_do_not_depend_on_socket_filter),
	T(rhel7_has_no_ringbuf_global_data_btf_or_links),
	T(no_btf_profile_refuses_only_btf),
	T(emulate_rejects_unknown_profile_and_reads_env),
	T(name_tables_cover_kernel_6_18),
	T(result_strings_read_well),
};
#undef T
WD_TEST_SET(wd_tests_probe, "loader", probe_tests);
