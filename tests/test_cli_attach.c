// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `warden load --attach` where a section cannot say where: XDP and TC with
 * --iface (in a network namespace of the test's own), cgroup programs with
 * --cgroup (a cgroup v2 directory the test makes), --keep-going, and --pin
 * DIR that keeps links after the command until `warden detach DIR`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "harness.h"
#include "warden/bpf.h"

static int run(const char *args, char **out)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "%s %s", wd_test_cli(), args);
	return wd_test_run(cmd, out);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* The id of the link pinned at path (0: none). */
static uint32_t link_id(const char *path)
{
	struct bpf_link_info info = { 0 };
	uint32_t len = sizeof(info);
	int fd = wd_sys_obj_get(path, 0);
	if (fd < 0)
		return 0;
	if (wd_sys_obj_info(fd, &info, &len))
		info.id = 0;
	close(fd);
	return info.id;
}

static void load_attach_without_iface_says_what_is_missing(void **state)
{
	char args[512], *out = NULL;
	(void)state;
	snprintf(args, sizeof(args), "load --attach --duration 0.2 %s", wd_test_obj("net_pkt.o"));
	assert_int_equal(run(args, &out), 1);
	assert_non_null(strstr(out, "needs a network interface: --iface IFACE"));
	free(out);
	snprintf(args, sizeof(args), "load --iface lo %s", wd_test_obj("net_pkt.o"));
	assert_int_equal(run(args, &out), 2);   /* --iface without --attach */
	free(out);
}

static void load_attach_iface_attaches_xdp_and_tc(void **state)
{
	char cmd[1024], *out = NULL;
	(void)state;
	if (system("command -v unshare >/dev/null 2>&1 && command -v ip >/dev/null 2>&1"))
		WD_SKIP("no unshare(1) or ip(8) to make a network namespace");
	snprintf(cmd, sizeof(cmd), "unshare -n sh -c 'ip link set lo up && %s load --attach "
		 "--iface lo --tc ingress --duration 0.2 %s'", wd_test_cli(),
		 wd_test_obj("net_pkt.o"));
	int rc = wd_test_run(cmd, &out);
	if (rc)
		fail_msg("%s exited %d:\n%s", cmd, rc, out);
	assert_int_equal(count(out, "\nattached "), 4);
	assert_non_null(strstr(out, "attached count_xdp"));
	assert_non_null(strstr(out, "lo (ifindex 1)"));
	free(out);
}

static void load_attach_cgroup_attaches_cgroup_programs(void **state)
{
	char dir[] = "/tmp/wd-cg2-XXXXXX", child[64], args[512], *out = NULL;
	(void)state;
	assert_non_null(mkdtemp(dir));
	if (mount("none", dir, "cgroup2", 0, NULL)) {
		rmdir(dir);
		WD_SKIP("cannot mount cgroup2: %s", strerror(errno));
	}
	snprintf(child, sizeof(child), "%s/warden-test", dir);
	mkdir(child, 0755);
	snprintf(args, sizeof(args), "load --attach --cgroup %s --duration 0.2 %s", child,
		 wd_test_obj("net_cgroup.o"));
	int rc = run(args, &out);
	rmdir(child);
	umount(dir);
	rmdir(dir);
	if (rc)
		fail_msg("warden %s exited %d:\n%s", args, rc, out);
	assert_int_equal(count(out, "\nattached "), 4);
	free(out);
	snprintf(args, sizeof(args), "load --attach --cgroup /tmp %s", wd_test_obj("net_cgroup.o"));
	assert_int_equal(run(args, &out), 2);
	assert_non_null(strstr(out, "not a cgroup v2 directory"));
	free(out);
}

static void load_attach_keep_going_lists_failures(void **state)
{
	char args[512], *out = NULL;
	(void)state;
	snprintf(args, sizeof(args), "load --attach --keep-going --duration 0.2 %s",
		 wd_test_obj("preflight_tp.o"));
	assert_int_equal(run(args, &out), 1);
	assert_non_null(strstr(out, "failed   tp_missing"));
	assert_non_null(strstr(out, "--keep-going: 1 program not attached"));
	free(out);
}

static void load_pin_keeps_links_until_detach(void **state)
{
	char dir[128], args[512], path[256], *out = NULL;
	struct stat st;
	(void)state;
	WD_REQUIRE(wd_probe_bpf_link(WD_LINK_PERF_EVENT), "perf_event links (5.15+)");
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/warden-test-pin-%d", getpid());
	snprintf(args, sizeof(args), "load --attach --pin %s %s", dir, wd_test_obj("minimal.o"));
	if (run(args, &out))
		fail_msg("warden %s:\n%s", args, out);
	free(out);
	snprintf(path, sizeof(path), "%s/links/minimal_tp", dir);
	assert_int_equal(stat(path, &st), 0);
	uint32_t id = link_id(path);                    /* outlived the command */
	assert_true(id > 0);
	snprintf(args, sizeof(args), "detach %s", dir);
	assert_int_equal(run(args, &out), 0);
	assert_non_null(strstr(out, "detached 1 link"));
	free(out);
	int fd = wd_sys_get_fd_by_id(BPF_LINK_GET_FD_BY_ID, id);   /* gone with its pin */
	if (fd >= 0)
		close(fd);
	assert_int_equal(fd, -ENOENT);
	assert_int_not_equal(stat(dir, &st), 0);
	assert_int_equal(run("detach /tmp", &out), 1);   /* not bpffs */
	free(out);
}

static const struct CMUnitTest cli_attach_tests[] = {
	cmocka_unit_test(load_attach_without_iface_says_what_is_missing),
	cmocka_unit_test(load_attach_iface_attaches_xdp_and_tc),
	cmocka_unit_test(load_attach_cgroup_attaches_cgroup_programs),
	cmocka_unit_test(load_attach_keep_going_lists_failures),
	cmocka_unit_test(load_pin_keeps_links_until_detach),
};
WD_TEST_SET(cli_attach_set, "attach", cli_attach_tests);
