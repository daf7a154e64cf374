// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The agent's start-up loads only what it runs: per event kind the
 * programs of the variant chosen, none of the later variants (each costs
 * its verification: exec_tp was 0.75 s of a 3 s start-up when every
 * variant was loaded).  Checked through the engine's counters and
 * `warden run --explain`, never by timing (bench/agent measures that).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "harness.h"
#include "agent/engine.h"
#include "warden/testing.h"

static int ignore(void *ctx, const struct wd_event *ev)
{
	(void)ctx;
	(void)ev;
	return 0;
}

static void skip_unless_agent(void)
{
	if (geteuid() != 0)
		WD_SKIP("needs root");
	if (access(wd_test_obj("agent.o"), R_OK))
		WD_SKIP("no %s", wd_test_obj("agent.o"));
	if (wd_test_emulating())
		WD_SKIP("emulating an old kernel (%s): the legacy object has one variant per kind",
			wd_emulate_current());
}

static struct wd_agent *start(uint64_t kinds)
{
	struct wd_agent_opts o = { .sz = sizeof(o) };
	char err[512];
	struct wd_agent *a;

	o.filter.kinds = kinds;
	/* a uid nobody runs as: nothing reaches the consumer (not a pid
	 * tree: that attaches fork and exit whatever the kinds) */
	o.filter.uid = 0x7ffffffe;
	o.bpf_dir = getenv("WARDEN_OBJ_DIR") ? getenv("WARDEN_OBJ_DIR") : "build/bpf";
	a = wd_agent_start(&o, ignore, NULL, err, sizeof(err));
	if (!a)
		fail_msg("wd_agent_start: %s", err);
	return a;
}

/* The process kinds have a raw_tp and a tracepoint variant of their own
 * programs: only the chosen one's is in the kernel. */
static void agent_startup_loads_chosen_variants_only(void **state)
{
	static const struct {
		enum wd_event_kind kind;
		const char *raw, *tp;
	} proc[] = {
		{ WD_EV_EXEC, "exec_raw", "exec_tp" },
		{ WD_EV_FORK, "fork_raw", "fork_tp" },
		{ WD_EV_EXIT, "exit_raw", "exit_tp" },
	};
	struct wd_agent_startup st;
	(void)state;

	skip_unless_agent();
	struct wd_agent *a = start(0);
	wd_agent_get_startup(a, &st);
	printf("programs loaded %u, object loads %u, start-up %.1f ms (load %.1f, attach %.1f)\n",
	       st.progs_loaded, st.object_loads, st.total_ns / 1e6, st.load_ns / 1e6, st.attach_ns / 1e6);
	for (size_t i = 0; i < sizeof(proc) / sizeof(proc[0]); i++) {
		const char *v = wd_agent_variant(a, proc[i].kind);
		assert_non_null(v);
		bool raw = !strcmp(v, "raw_tp");
		printf("%s: %s\n", wd_event_kind_name(proc[i].kind), v);
		assert_true(wd_agent_prog_loaded(a, raw ? proc[i].raw : proc[i].tp));
		assert_false(wd_agent_prog_loaded(a, raw ? proc[i].tp : proc[i].raw));
	}
	assert_true(st.object_loads >= 1);
	assert_true(st.progs_loaded >= 3);
	assert_true(st.total_ns >= st.load_ns + st.attach_ns);
	wd_agent_stop(a);
}

/* One kind asked for: its programs and nothing of the other kinds. */
static void agent_startup_one_kind_loads_its_programs(void **state)
{
	static const char *const others[] = { "exec_raw", "exec_tp", "exec_fail", "fork_raw", "fork_tp",
					       "exit_raw", "exit_tp", "sys_exit_proc", "sys_exit_net",
					       "sys_exit_sys", "sock_state" };
	struct wd_agent_startup st;
	(void)state;

	skip_unless_agent();
	struct wd_agent *a = start(1ull << WD_EV_FILE_OPEN);
	wd_agent_get_startup(a, &st);
	assert_non_null(wd_agent_variant(a, WD_EV_FILE_OPEN));
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		if (wd_agent_prog_loaded(a, others[i]))
			fail_msg("%s loaded for --kinds open", others[i]);
	}
	/* the stash and the file program, or the LSM program */
	assert_in_range(st.progs_loaded, 1, 2);
	assert_int_equal(wd_agent_variant(a, WD_EV_EXEC) == NULL, 1);
	wd_agent_stop(a);
}

/* `warden run --explain`: the programs-loaded line names the chosen
 * variants' programs and no program of a variant marked not loaded. */
static void agent_startup_explain_lists_loaded(void **state)
{
	char cmd[1024], line[2048], loaded[2048] = "";
	bool raw_chosen = false, tp_chosen = false;
	(void)state;

	skip_unless_agent();
	if (access(wd_test_cli(), X_OK))
		WD_SKIP("no %s", wd_test_cli());
	snprintf(cmd, sizeof(cmd), "WARDEN_BPF_DIR=%s %s run --explain --kinds process 2>&1",
		 getenv("WARDEN_OBJ_DIR") ? getenv("WARDEN_OBJ_DIR") : "build/bpf", wd_test_cli());
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		fputs(line, stdout);
		if (!strncmp(line, "exec ", 5)) {
			raw_chosen = strstr(line, " raw_tp ") != NULL;
			tp_chosen = !raw_chosen && strstr(line, " tracepoint ") != NULL;
			if (raw_chosen)
				assert_non_null(strstr(line, "tracepoint: not needed"));
		}
		if (!strncmp(line, "programs loaded:", 16))
			snprintf(loaded, sizeof(loaded), "%s", line);
	}
	assert_int_equal(pclose(p), 0);
	assert_true(raw_chosen || tp_chosen);
	assert_true(loaded[0]);
	assert_non_null(strstr(loaded, raw_chosen ? " exec_raw" : " exec_tp"));
	assert_null(strstr(loaded, raw_chosen ? " exec_tp" : " exec_raw"));
	assert_null(strstr(loaded, " sys_exit_file"));  /* not a process kind */
}

static const struct CMUnitTest agent_startup_tests[] = {
	cmocka_unit_test(agent_startup_loads_chosen_variants_only),
	cmocka_unit_test(agent_startup_one_kind_loads_its_programs),
	cmocka_unit_test(agent_startup_explain_lists_loaded),
};

WD_TEST_SET(agent_startup_set, "agent", agent_startup_tests);
