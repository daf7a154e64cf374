// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The clsact marker (issue 13, item 8): warden process A makes the clsact
 * qdisc and dies; B, alive, has a filter on the same qdisc.  The sweep keeps
 * the qdisc for B, and must keep A's marker too: once B is gone, the next
 * sweep is what removes the qdisc.  Before the fix the marker went in the
 * first sweep and the qdisc stayed forever.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "attach/attach.h"
#include "host/netlink.h"
#include "warden/warden.h"
#include "warden/link.h"
#include "warden/testing.h"

static int shf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int shf(char **out, const char *fmt, ...)
{
	char cmd[512], *o = NULL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int rc = wd_test_run(cmd, &o);
	if (out)
		*out = o ? o : strdup("");
	else
		free(o);
	return rc;
}

/* A child attaches `prog` through clsact + cls_bpf and waits; SIGKILL ends it. */
static pid_t tc_owner(int ifindex, const char *prog)
{
	int p[2];
	char c;
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct wd_tc_opts o = { .sz = sizeof(o), .force_netlink = true };
		struct wd_object *obj = wd_object_open(wd_test_obj("net_pkt.o"), NULL);
		if (!obj || wd_object_load(obj, NULL) ||
		    !wd_prog_attach_tc(wd_object_prog(obj, prog), ifindex, &o))
			_exit(1);
		(void)!write(p[1], "r", 1);
		for (;;)
			pause();
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

/* What a failed assertion leaves is undone by the teardown. */
static struct { pid_t a, b; char ns[64]; int orig; } env = { .orig = -1 };

static void kill_owner(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = 0;
}

static int marker_teardown(void **state)
{
	(void)state;
	kill_owner(&env.a);
	kill_owner(&env.b);
	if (env.orig >= 0) {
		setns(env.orig, CLONE_NEWNET);
		close(env.orig);
		env.orig = -1;
	}
	if (env.ns[0]) {
		wd_cleanup_stale_net(false); /* the markers of the netns about to go */
		shf(NULL, "ip netns del %s", env.ns);
		env.ns[0] = '\0';
	}
	return 0;
}

static bool marker_exists(int ifindex, pid_t pid)
{
	char path[256];
	struct stat st;
	wd_tc_mark_path(path, sizeof(path), wd_netns_ino(), ifindex, pid);
	return stat(path, &st) == 0;
}

static bool has_clsact(const char *ns)
{
	char *q = NULL;
	shf(&q, "tc -n %s qdisc show dev wdm0", ns);
	bool yes = strstr(q, "clsact") != NULL;
	free(q);
	return yes;
}

static void marker_kept_while_a_live_owner_uses_the_qdisc(void **state)
{
	(void)state;
	char *ns = env.ns;
	int fd, ifindex;
	if (strcmp(wd_emulate_current(), "none"))
		WD_SKIP("netlink TC is not played by the emulation profile");
	snprintf(env.ns, sizeof(env.ns), "warden-test-%d-mark", (int)getpid());
	shf(NULL, "ip netns del %s 2>/dev/null; true", ns);
	if (shf(NULL, "ip netns add %s && ip -n %s link add wdm0 type veth peer name wdm1 && "
		"ip -n %s link set wdm0 up", ns, ns, ns))
		WD_SKIP("cannot build a netns with a veth pair (ip netns, veth)");
	char path[128];
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	env.orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(env.orig >= 0 && fd >= 0);
	assert_int_equal(setns(fd, CLONE_NEWNET), 0);
	close(fd);
	ifindex = if_nametoindex("wdm0");
	assert_true(ifindex > 0);

	/* A makes the qdisc (and its marker), B joins it, A dies */
	pid_t a = env.a = tc_owner(ifindex, "count_tc_in");
	assert_true(marker_exists(ifindex, a));
	env.b = tc_owner(ifindex, "count_tc_other");
	assert_false(marker_exists(ifindex, env.b)); /* B did not make it */
	kill_owner(&env.a);

	assert_true(wd_cleanup_stale_net(false) >= 1); /* A's filter */
	assert_true(has_clsact(ns));                  /* B's filter is on it */
	assert_true(marker_exists(ifindex, a));        /* the fix */
	/* a second sweep while B lives changes nothing */
	assert_int_equal(wd_cleanup_stale_net(false), 0);
	assert_true(has_clsact(ns));
	assert_true(marker_exists(ifindex, a));

	kill_owner(&env.b);
	assert_true(wd_cleanup_stale_net(false) >= 2); /* B's filter, then the qdisc */
	assert_false(has_clsact(ns));
	assert_false(marker_exists(ifindex, a));

}

static const struct CMUnitTest marker_tests[] = {
	cmocka_unit_test_teardown(marker_kept_while_a_live_owner_uses_the_qdisc, marker_teardown),
};
WD_TEST_SET(cleanup_marker_set, "attach", marker_tests);
