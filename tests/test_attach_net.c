// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * XDP, TC and cgroup attach, on this kernel, in a world each test builds:
 * two network namespaces joined by a veth pair (wdv0 in A at 10.77.0.1,
 * wdv1 in B at 10.77.0.2), the test thread living in A; UDP packets to port
 * 7777 are counted by tests/bpf/net_pkt.bpf.c.  Cgroup tests make a cgroup
 * v2 directory (mounting cgroup2 when none is mounted, as in a bare VM) and a
 * child process in it, in a network namespace of its own with lo up, that
 * connects, sends to 127.0.0.1 and reads a sysctl on command.  Old kernels
 * are played through the fault seam.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include "harness.h"
#include "attach/attach.h"
#include "host/netlink.h"
#include "sys/sys.h"
#include "warden/warden.h"
#include "warden/link.h"
#include "warden/testing.h"

#define PORT 7777

/* ---- the network world ----------------------------------------------------- */

struct netenv {
	char ns_a[64], ns_b[64];
	int orig_ns, ifindex;
	int sock_a, sock_b;     /* UDP sockets living in A and in B */
	struct wd_object *obj;
};

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024], *out = NULL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int rc = wd_test_run(cmd, &out);
	if (rc)
		printf("# %s -> %d: %s", cmd, rc, out ? out : "");
	free(out);
	return rc;
}

/* stdout of a command (malloc'd), "" on failure */
static char *sh_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sh_out(const char *fmt, ...)
{
	char cmd[1024], *out = NULL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	wd_test_run(cmd, &out);
	return out ? out : strdup("");
}

static int enter_ns(const char *name)
{
	char path[128];
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	return r;
}

static int udp_socket_in(const char *ns, struct netenv *e)
{
	if (enter_ns(ns))
		return -1;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	enter_ns(e->ns_a);
	return fd;
}

static int build_world(struct netenv *e)
{
	snprintf(e->ns_a, sizeof(e->ns_a), "warden-test-%d-a", (int)getpid());
	snprintf(e->ns_b, sizeof(e->ns_b), "warden-test-%d-b", (int)getpid());
	sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; true", e->ns_a, e->ns_b);
	if (sh("ip netns add %s && ip netns add %s", e->ns_a, e->ns_b) ||
	    sh("ip -n %s link add wdv0 type veth peer name wdv1 netns %s", e->ns_a, e->ns_b) ||
	    sh("ip -n %s addr add 10.77.0.1/24 dev wdv0 && ip -n %s link set wdv0 up && "
	       "ip -n %s link set lo up", e->ns_a, e->ns_a, e->ns_a) ||
	    sh("ip -n %s addr add 10.77.0.2/24 dev wdv1 && ip -n %s link set wdv1 up",
	       e->ns_b, e->ns_b))
		return -1;
	e->orig_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (e->orig_ns < 0 || enter_ns(e->ns_a))
		return -1;
	e->ifindex = if_nametoindex("wdv0");
	e->sock_a = udp_socket_in(e->ns_a, e);
	e->sock_b = udp_socket_in(e->ns_b, e);
	return e->ifindex > 0 && e->sock_a >= 0 && e->sock_b >= 0 ? 0 : -1;
}

static int fault_no_links(int cmd, const union bpf_attr *attr, void *ctx)
{
	(void)attr;
	(void)ctx;
	return cmd == BPF_LINK_CREATE ? EINVAL : 0; /* a kernel before 5.7 */
}

static bool emulating(void)
{
	return strcmp(wd_emulate_current(), "none") != 0;
}

static int net_setup(void **state)
{
	struct netenv *e = calloc(1, sizeof(*e));
	e->orig_ns = e->sock_a = e->sock_b = -1;
	*state = e;
	if (emulating())
		return 0; /* the test skips */
	if (build_world(e)) {
		printf("# could not build the veth world\n");
		return -1;
	}
	e->obj = wd_object_open(wd_test_obj("net_pkt.o"), NULL);
	if (!e->obj || wd_object_load(e->obj, NULL)) {
		printf("# net_pkt.o: %s\n", wd_errmsg());
		return -1;
	}
	return 0;
}

static int net_teardown(void **state)
{
	struct netenv *e = *state;
	wd_sys_set_fault(NULL, NULL);
	wd_emulate_from_env();
	wd_object_close(e->obj);
	if (e->sock_a >= 0)
		close(e->sock_a);
	if (e->sock_b >= 0)
		close(e->sock_b);
	if (e->orig_ns >= 0) {
		setns(e->orig_ns, CLONE_NEWNET);
		close(e->orig_ns);
	}
	if (e->ns_a[0])
		sh("ip netns del %s; ip netns del %s", e->ns_a, e->ns_b);
	free(e);
	return 0;
}

static void send_udp(int fd, const char *dst, int n)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	inet_pton(AF_INET, dst, &sa.sin_addr);
	for (int i = 0; i < n; i++)
		assert_true(sendto(fd, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa)) == 1);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static uint64_t count(struct wd_object *obj, uint32_t slot)
{
	uint64_t v = 0;
	assert_int_equal(wd_map_lookup(wd_object_map(obj, "counts"), &slot, &v), 0);
	return v;
}

/* Wait (up to 2 s) for the counter to reach want; return what it holds. */
static uint64_t wait_count(struct wd_object *obj, uint32_t slot, uint64_t want)
{
	uint64_t v = 0;
	for (int i = 0; i < 200 && (v = count(obj, slot)) < want; i++)
		sleep_ms(10);
	sleep_ms(50); /* and nothing more arrives */
	return count(obj, slot);
}

static struct wd_prog *prog(struct netenv *e, const char *name)
{
	struct wd_prog *p = wd_object_prog(e->obj, name);
	assert_non_null(p);
	return p;
}

/* Packets from B to A count in slot; after detach they stop counting. */
static void counts_then_stops(struct netenv *e, struct wd_link *link, uint32_t slot, bool egress)
{
	int fd = egress ? e->sock_a : e->sock_b;
	const char *dst = egress ? "10.77.0.2" : "10.77.0.1";
	uint64_t base = count(e->obj, slot);
	send_udp(fd, dst, 5);
	assert_int_equal(wait_count(e->obj, slot, base + 5), base + 5);
	assert_int_equal(wd_link_detach(link), 0);
	send_udp(fd, dst, 5);
	sleep_ms(200);
	assert_int_equal(count(e->obj, slot), base + 5);
}

#define NET_TEST_START(e, state)                                                   \
	struct netenv *e = *(state);                                               \
	if (emulating())                                                            \
		WD_SKIP("network attach needs the real kernel (WARDEN_EMULATE=%s "     \
			"cannot load XDP/TC programs)", wd_emulate_current())

/* ---- XDP ------------------------------------------------------------------ */

static void xdp_link_generic_counts_and_stops(void **state)
{
	NET_TEST_START(e, state);
	struct wd_xdp_opts o = { .sz = sizeof(o), .flags = XDP_FLAGS_SKB_MODE };
	struct wd_link *l = wd_prog_attach_xdp(prog(e, "count_xdp"), e->ifindex, &o);
	if (!l)
		fail_msg("%s", wd_errmsg());
	assert_non_null(strstr(wd_link_describe(l), "xdp wdv0"));
	assert_non_null(strstr(wd_link_describe(l), "(link, generic)"));
	assert_true(wd_link_fd(l) >= 0);
	counts_then_stops(e, l, 0, false);
}

static void xdp_link_native_on_veth(void **state)
{
	NET_TEST_START(e, state);
	struct wd_xdp_opts o = { .sz = sizeof(o), .flags = XDP_FLAGS_DRV_MODE };
	struct wd_link *l = wd_prog_attach_xdp(prog(e, "count_xdp"), e->ifindex, &o);
	if (!l)
		fail_msg("%s", wd_errmsg());
	assert_non_null(strstr(wd_link_describe(l), "native"));
	counts_then_stops(e, l, 0, false);
}

static void xdp_netlink_fallback_counts_and_detaches(void **state)
{
	NET_TEST_START(e, state);
	struct wd_xdp_opts o = { .sz = sizeof(o), .flags = XDP_FLAGS_SKB_MODE };
	wd_sys_set_fault(fault_no_links, NULL);
	struct wd_link *l = wd_prog_attach_xdp(prog(e, "count_xdp"), e->ifindex, &o);
	if (!l)
		fail_msg("%s", wd_errmsg());
	assert_non_null(strstr(wd_link_describe(l), "(netlink, generic)"));
	assert_int_equal(wd_link_fd(l), -1);
	char *out = sh_out("ip -n %s link show dev wdv0", e->ns_a);
	assert_non_null(strstr(out, "xdpgeneric"));
	free(out);
	counts_then_stops(e, l, 0, false);
	out = sh_out("ip -n %s link show dev wdv0", e->ns_a);
	assert_null(strstr(out, "xdp"));
	free(out);
}

/* The kernel's extended ack reaches the error line. */
static void xdp_netlink_busy_shows_kernel_message(void **state)
{
	NET_TEST_START(e, state);
	struct wd_xdp_opts o = { .sz = sizeof(o), .flags = XDP_FLAGS_SKB_MODE };
	wd_sys_set_fault(fault_no_links, NULL);
	struct wd_link *l = wd_prog_attach_xdp(prog(e, "count_xdp"), e->ifindex, &o);
	if (!l)
		fail_msg("%s", wd_errmsg());
	assert_null(wd_prog_attach_xdp(prog(e, "count_xdp"), e->ifindex, &o));
	printf("# %s\n", wd_errmsg());
	assert_int_equal(errno, EBUSY);
	assert_non_null(strstr(wd_errmsg(), "wdv0"));
	assert_non_null(strstr(wd_errmsg(), "(kernel: "));
	assert_non_null(strstr(wd_errmsg(), "already has an XDP program"));
	/* and a link cannot take the hook either */
	wd_sys_set_fault(NULL, NULL);
	assert_null(wd_prog_attach_xdp(prog(e, "count_xdp"), e->ifindex, &o));
	printf("# %s\n", wd_errmsg());
	assert_int_equal(wd_link_detach(l), 0);
}

static void xdp_bad_ifindex_names_interface(void **state)
{
	NET_TEST_START(e, state);
	assert_null(wd_prog_attach_xdp(prog(e, "count_xdp"), 99999, NULL));
	assert_int_equal(errno, ENODEV);
	printf("# %s\n", wd_errmsg());
	assert_non_null(strstr(wd_errmsg(), "count_xdp"));
	assert_non_null(strstr(wd_errmsg(), "ifindex 99999"));
	assert_null(strchr(wd_errmsg(), '\n'));
	assert_null(wd_prog_attach_tc(prog(e, "count_tc_in"), 99999, NULL));
	assert_int_equal(errno, ENODEV);
	assert_non_null(strstr(wd_errmsg(), "ifindex 99999"));
}

static void xdp_api_refuses_other_program_types(void **state)
{
	NET_TEST_START(e, state);
	assert_null(wd_prog_attach_xdp(prog(e, "count_tc_in"), e->ifindex, NULL));
	assert_int_equal(errno, EINVAL);
	printf("# %s\n", wd_errmsg());
	assert_non_null(strstr(wd_errmsg(), "sched_cls"));
	assert_non_null(strstr(wd_errmsg(), "XDP needs SEC(\"xdp\")"));
	assert_null(wd_prog_attach_tc(prog(e, "count_xdp"), e->ifindex, NULL));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(wd_errmsg(), "TC needs"));
}

/* ---- TC ------------------------------------------------------------------- */

static void tcx_ingress_and_egress_count_and_stop(void **state)
{
	NET_TEST_START(e, state);
	WD_REQUIRE(wd_probe_bpf_link(WD_LINK_TCX), "tcx links (BPF_TCX_INGRESS, 6.6+)");
	struct wd_tc_opts eg = { .sz = sizeof(eg), .egress = true };
	struct wd_link *in = wd_prog_attach_tc(prog(e, "count_tc_in"), e->ifindex, NULL);
	if (!in)
		fail_msg("%s", wd_errmsg());
	struct wd_link *out = wd_prog_attach_tc(prog(e, "count_tc_out"), e->ifindex, &eg);
	if (!out)
		fail_msg("%s", wd_errmsg());
	assert_string_equal(wd_link_describe(in), "tcx wdv0 (ifindex 2) ingress");
	assert_non_null(strstr(wd_link_describe(out), "egress"));
	char *q = sh_out("tc -n %s qdisc show dev wdv0", e->ns_a);
	assert_null(strstr(q, "clsact")); /* tcx needs no qdisc */
	free(q);
	counts_then_stops(e, in, 1, false);
	counts_then_stops(e, out, 2, true);
}

static bool has(const char *cmd_out, const char *needle)
{
	return strstr(cmd_out, needle) != NULL;
}

static void tc_netlink_filter_named_and_qdisc_removed(void **state)
{
	NET_TEST_START(e, state);
	struct wd_tc_opts o = { .sz = sizeof(o), .force_netlink = true };
	char name[64];
	struct wd_link *l = wd_prog_attach_tc(prog(e, "count_tc_in"), e->ifindex, &o);
	if (!l)
		fail_msg("%s", wd_errmsg());
	printf("# %s\n", wd_link_describe(l));
	assert_non_null(strstr(wd_link_describe(l), "tc wdv0 (ifindex 2) ingress (netlink, prio"));
	snprintf(name, sizeof(name), "warden_%d_", (int)getpid());
	char *f = sh_out("tc -n %s filter show dev wdv0 ingress", e->ns_a);
	assert_true(has(f, name) && has(f, "_count_tc_in") && has(f, "direct-action"));
	free(f);
	counts_then_stops(e, l, 1, false);
	f = sh_out("tc -n %s filter show dev wdv0 ingress", e->ns_a);
	assert_false(has(f, "warden_"));
	free(f);
	f = sh_out("tc -n %s qdisc show dev wdv0", e->ns_a);
	assert_false(has(f, "clsact")); /* warden made it, nothing left on it */
	free(f);
}

static void tc_netlink_egress_with_priority_and_handle(void **state)
{
	NET_TEST_START(e, state);
	struct wd_tc_opts o = { .sz = sizeof(o), .egress = true, .force_netlink = true,
				.priority = 7, .handle = 0x42 };
	struct wd_link *l = wd_prog_attach_tc(prog(e, "count_tc_out"), e->ifindex, &o);
	if (!l)
		fail_msg("%s", wd_errmsg());
	assert_non_null(strstr(wd_link_describe(l), "egress (netlink, prio 7 handle 0x42)"));
	char *f = sh_out("tc -n %s filter show dev wdv0 egress", e->ns_a);
	assert_true(has(f, "pref 7") && has(f, "handle 0x42"));
	free(f);
	/* the same priority and handle again: the kernel says why */
	assert_null(wd_prog_attach_tc(prog(e, "count_tc_other"), e->ifindex, &o));
	printf("# %s\n", wd_errmsg());
	assert_int_equal(errno, EEXIST);
	counts_then_stops(e, l, 2, true);
}

/* A kernel before 6.6 (no tcx): the netlink path without being asked. */
static void tc_falls_back_to_netlink_without_tcx(void **state)
{
	NET_TEST_START(e, state);
	wd_sys_set_fault(fault_no_links, NULL);
	struct wd_link *l = wd_prog_attach_tc(prog(e, "count_tc_in"), e->ifindex, NULL);
	if (!l)
		fail_msg("%s", wd_errmsg());
	assert_non_null(strstr(wd_link_describe(l), "ingress (netlink, prio"));
	counts_then_stops(e, l, 1, false);
}

/* The qdisc stays while another filter uses it, and when warden did not make it. */
static void tc_netlink_qdisc_kept_while_used_or_foreign(void **state)
{
	NET_TEST_START(e, state);
	struct wd_tc_opts o = { .sz = sizeof(o), .force_netlink = true };
	struct wd_link *a = wd_prog_attach_tc(prog(e, "count_tc_in"), e->ifindex, &o);
	struct wd_link *b = wd_prog_attach_tc(prog(e, "count_tc_other"), e->ifindex, &o);
	if (!a || !b)
		fail_msg("%s", wd_errmsg());
	assert_int_equal(wd_link_detach(a), 0);
	char *q = sh_out("tc -n %s qdisc show dev wdv0", e->ns_a);
	assert_true(has(q, "clsact"));
	free(q);
	counts_then_stops(e, b, 3, false);
	q = sh_out("tc -n %s qdisc show dev wdv0", e->ns_a);
	assert_false(has(q, "clsact"));
	free(q);
	/* a clsact someone else made is never removed */
	assert_int_equal(sh("tc -n %s qdisc add dev wdv0 clsact", e->ns_a), 0);
	a = wd_prog_attach_tc(prog(e, "count_tc_in"), e->ifindex, &o);
	if (!a)
		fail_msg("%s", wd_errmsg());
	assert_int_equal(wd_link_detach(a), 0);
	q = sh_out("tc -n %s qdisc show dev wdv0", e->ns_a);
	assert_true(has(q, "clsact"));
	free(q);
}

/* A child attaches a netlink filter and is SIGKILLed; returns its pid. */
static pid_t crash_child(struct netenv *e)
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
		    !wd_prog_attach_tc(wd_object_prog(obj, "count_tc_other"), e->ifindex, &o))
			_exit(1);
		(void)!write(p[1], "r", 1);
		for (;;)
			pause();
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return pid;
}

static void tc_crash_sweeper_removes_dead_owner_only(void **state)
{
	NET_TEST_START(e, state);
	char name[64], *f, *q, *before_f, *before_q;
	before_f = sh_out("tc -n %s filter show dev wdv0 ingress", e->ns_a);
	before_q = sh_out("tc -n %s qdisc show dev wdv0", e->ns_a);
	/* 1: the child made the qdisc and the filter, then died */
	pid_t pid = crash_child(e);
	snprintf(name, sizeof(name), "warden_%d_", (int)pid);
	f = sh_out("tc -n %s filter show dev wdv0 ingress", e->ns_a);
	assert_true(has(f, name)); /* a netlink filter outlives its process */
	free(f);
	assert_true(wd_cleanup_stale_net(true) >= 1);
	f = sh_out("tc -n %s filter show dev wdv0 ingress", e->ns_a);
	assert_true(has(f, name)); /* dry run touched nothing */
	free(f);
	assert_true(wd_cleanup_stale_net(false) >= 2); /* filter + qdisc */
	f = sh_out("tc -n %s filter show dev wdv0 ingress", e->ns_a);
	q = sh_out("tc -n %s qdisc show dev wdv0", e->ns_a);
	assert_string_equal(f, before_f);
	assert_string_equal(q, before_q);
	free(f);
	free(q);

	/* 2: a live owner's filter (and the qdisc it made) stay */
	struct wd_tc_opts o = { .sz = sizeof(o), .force_netlink = true };
	struct wd_link *mine = wd_prog_attach_tc(prog(e, "count_tc_in"), e->ifindex, &o);
	if (!mine)
		fail_msg("%s", wd_errmsg());
	pid = crash_child(e);
	snprintf(name, sizeof(name), "warden_%d_", (int)pid);
	assert_true(wd_cleanup_stale_net(false) >= 1);
	f = sh_out("tc -n %s filter show dev wdv0 ingress", e->ns_a);
	assert_false(has(f, name));
	snprintf(name, sizeof(name), "warden_%d_", (int)getpid());
	assert_true(has(f, name));
	free(f);
	counts_then_stops(e, mine, 1, false);
	q = sh_out("tc -n %s qdisc show dev wdv0", e->ns_a);
	assert_string_equal(q, before_q);
	free(q);
	free(before_f);
	free(before_q);
}

/* ---- cgroup ------------------------------------------------------------------ */

struct cgenv {
	char root[300], dir[512];
	bool mounted;           /* root is a cgroup2 mount this test made */
	int cg_fd, cmd[2], ack[2];
	pid_t child;
	struct wd_object *obj;
};

/* Is path a mount point (listed in mountinfo)? */
static bool mounted_at(const char *path)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[1024], mnt[256];
	bool found = false;
	while (f && !found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %*s %*s %255s", mnt) == 1 && strcmp(mnt, path) == 0;
	if (f)
		fclose(f);
	return found;
}

/* The cgroup v2 mount point: from mountinfo, else mount one (a bare VM has
 * none): at /sys/fs/cgroup where nothing is mounted there, as systemd does,
 * else (cgroup v1 owns it) at /tmp/warden-cgroup2.  *mounted: ours to unmount. */
static int cgroup2_root(char *buf, size_t size, bool *mounted)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[1024];
	int found = 0;
	*mounted = false;
	while (f && !found && fgets(line, sizeof(line), f)) {
		char mnt[256], *sep = strstr(line, " - cgroup2 ");
		found = sep && sscanf(line, "%*s %*s %*s %*s %255s", mnt) == 1;
		if (found)
			snprintf(buf, size, "%s", mnt);
	}
	if (f)
		fclose(f);
	if (found)
		return 0;
	struct stat st;
	if (stat("/sys/fs/cgroup", &st) == 0 && S_ISDIR(st.st_mode) &&
	    !mounted_at("/sys/fs/cgroup")) {
		snprintf(buf, size, "/sys/fs/cgroup");
	} else {
		snprintf(buf, size, "/tmp/warden-cgroup2");
		mkdir(buf, 0755);
	}
	if (mount("cgroup2", buf, "cgroup2", 0, NULL)) {
		int err = -errno;
		printf("# no cgroup v2 mounted, and mounting one at %s failed: %s\n", buf,
		       strerror(-err));
		return err;
	}
	printf("# no cgroup v2 mounted: mounted one at %s for the test\n", buf);
	*mounted = true;
	return 0;
}

/* lo up in the calling thread's network namespace (a new one starts with it
 * down). */
static int lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = -1;
	if (s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		r = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	if (s >= 0)
		close(s);
	return r;
}

static void cg_child(struct cgenv *c)
{
	char cmd;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close(c->cmd[1]);
	close(c->ack[0]);
	/* Its own network namespace with lo up: the traffic counted is the
	 * child's only, whatever state the host's lo is in (down in a bare VM). */
	if (unshare(CLONE_NEWNET) || lo_up())
		dprintf(STDOUT_FILENO, "# cgroup child: no network namespace with lo up "
			"of its own: %s\n", strerror(errno));
	(void)!write(c->ack[1], "r", 1); /* ready: its lo_up() socket is not counted */
	while (read(c->cmd[0], &cmd, 1) == 1 && cmd == 'g') {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		char buf[16];
		int s = socket(AF_INET, SOCK_DGRAM, 0);
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			(void)!send(s, "x", 1, 0);
		close(s);
		int fd = open("/proc/sys/net/ipv4/ip_forward", O_RDONLY);
		(void)!read(fd, buf, sizeof(buf));
		close(fd);
		(void)!write(c->ack[1], "k", 1);
	}
	_exit(0);
}

static int cg_setup(void **state)
{
	struct cgenv *c = calloc(1, sizeof(*c));
	char procs[600];
	*state = c;
	c->cg_fd = -1;
	if (emulating())
		return 0;
	if (cgroup2_root(c->root, sizeof(c->root), &c->mounted)) {
		c->root[0] = '\0';
		return 0; /* the test skips */
	}
	snprintf(c->dir, sizeof(c->dir), "%s/warden-net-test-%d", c->root, (int)getpid());
	if (mkdir(c->dir, 0755) && errno != EEXIST)
		return -1;
	c->cg_fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->cg_fd < 0 || pipe(c->cmd) || pipe(c->ack))
		return -1;
	c->child = fork();
	if (c->child < 0)
		return -1;
	if (c->child == 0)
		cg_child(c);
	close(c->cmd[0]);
	close(c->ack[1]);
	char ready;
	if (read(c->ack[0], &ready, 1) != 1) /* before it joins the cgroup */
		return -1;
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", c->dir);
	FILE *f = fopen(procs, "w");
	if (!f || fprintf(f, "%d\n", (int)c->child) < 0 || fclose(f))
		return -1;
	c->obj = wd_object_open(wd_test_obj("net_cgroup.o"), NULL);
	if (!c->obj || wd_object_load(c->obj, NULL)) {
		printf("# net_cgroup.o: %s\n", wd_errmsg());
		return -1;
	}
	return 0;
}

static int cg_teardown(void **state)
{
	struct cgenv *c = *state;
	wd_sys_set_fault(NULL, NULL);
	wd_emulate_from_env();
	wd_object_close(c->obj);
	if (c->child > 0) {
		close(c->cmd[1]); /* EOF: the child exits */
		close(c->ack[0]);
		kill(c->child, SIGKILL);
		waitpid(c->child, NULL, 0);
	}
	if (c->cg_fd >= 0)
		close(c->cg_fd);
	if (c->dir[0])
		rmdir(c->dir);
	if (c->mounted && umount2(c->root, MNT_DETACH))
		printf("# unmounting the cgroup2 at %s: %s\n", c->root, strerror(errno));
	free(c);
	return 0;
}

static void cg_round(struct cgenv *c, int n)
{
	char k;
	for (int i = 0; i < n; i++) {
		assert_int_equal(write(c->cmd[1], "g", 1), 1);
		assert_int_equal(read(c->ack[0], &k, 1), 1);
	}
}

static void cgroup_attach_all_count_and_stop(void **state, bool legacy)
{
	struct cgenv *c = *state;
	static const char *const progs[] = { "count_connect4", "count_egress",
					     "count_sock_create", "count_sysctl" };
	struct wd_link *l[4];
	uint64_t after[4];
	if (emulating())
		WD_SKIP("cgroup attach needs the real kernel (WARDEN_EMULATE=%s)",
			wd_emulate_current());
	if (!c->root[0])
		WD_SKIP("no cgroup v2 hierarchy and none could be mounted");
	if (legacy)
		wd_sys_set_fault(fault_no_links, NULL);
	for (int i = 0; i < 4; i++) {
		l[i] = wd_prog_attach_cgroup(wd_object_prog(c->obj, progs[i]), c->cg_fd);
		if (!l[i])
			fail_msg("%s", wd_errmsg());
		printf("# %s\n", wd_link_describe(l[i]));
		assert_non_null(strstr(wd_link_describe(l[i]), legacy ? "(prog_attach)" : "(link)"));
		assert_non_null(strstr(wd_link_describe(l[i]), c->dir));
	}
	cg_round(c, 3);
	for (uint32_t i = 0; i < 4; i++)
		after[i] = count(c->obj, i);
	printf("# after 3 rounds: connect4 %llu, egress %llu, sock_create %llu, sysctl %llu\n",
	       (unsigned long long)after[0], (unsigned long long)after[1],
	       (unsigned long long)after[2], (unsigned long long)after[3]);
	for (uint32_t i = 0; i < 4; i++)
		assert_true(after[i] >= 3);
	assert_int_equal(after[0], 3); /* one connect() per round */
	assert_int_equal(after[2], 3); /* one socket() per round */
	for (int i = 0; i < 4; i++)
		assert_int_equal(wd_link_detach(l[i]), 0);
	cg_round(c, 2);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(count(c->obj, i), after[i]);
}

static void cgroup_link_counts_and_stops(void **state)
{
	cgroup_attach_all_count_and_stop(state, false);
}

static void cgroup_prog_attach_fallback_counts_and_stops(void **state)
{
	cgroup_attach_all_count_and_stop(state, true);
}

static void cgroup_refuses_non_cgroup_program(void **state)
{
	struct cgenv *c = *state;
	if (emulating() || !c->root[0])
		WD_SKIP("no cgroup v2 or emulating an old kernel");
	struct wd_object *o = wd_object_open(wd_test_obj("net_pkt.o"), NULL);
	assert_non_null(o);
	assert_int_equal(wd_object_load(o, NULL), 0);
	assert_null(wd_prog_attach_cgroup(wd_object_prog(o, "count_xdp"), c->cg_fd));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(wd_errmsg(), "not a cgroup program"));
	assert_null(wd_prog_attach_cgroup(wd_object_prog(c->obj, "count_connect4"), 9999));
	assert_int_equal(errno, EBADF);
	wd_object_close(o);
}

#define NT(f) cmocka_unit_test_setup_teardown(f, net_setup, net_teardown)
#define CT(f) cmocka_unit_test_setup_teardown(f, cg_setup, cg_teardown)

static const struct CMUnitTest attach_net_tests[] = {
	NT(xdp_link_generic_counts_and_stops),
	NT(xdp_link_native_on_veth),
	NT(xdp_netlink_fallback_counts_and_detaches),
	NT(xdp_netlink_busy_shows_kernel_message),
	NT(xdp_bad_ifindex_names_interface),
	NT(xdp_api_refuses_other_program_types),
	NT(tcx_ingress_and_egress_count_and_stop),
	NT(tc_netlink_filter_named_and_qdisc_removed),
	NT(tc_netlink_egress_with_priority_and_handle),
	NT(tc_falls_back_to_netlink_without_tcx),
	NT(tc_netlink_qdisc_kept_while_used_or_foreign),
	NT(tc_crash_sweeper_removes_dead_owner_only),
	CT(cgroup_link_counts_and_stops),
	CT(cgroup_prog_attach_fallback_counts_and_stops),
	CT(cgroup_refuses_non_cgroup_program),
};
WD_TEST_SET(attach_net_set, "attach", attach_net_tests);
