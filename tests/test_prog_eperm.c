// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What a program load refused with EPERM and an empty verifier log says
 * (issue 13, item 10): as root on a kernel that refuses trampolines (this
 * development host, 6.18: fentry/fexit/LSM get EPERM although CAP_BPF and
 * CAP_SYS_ADMIN are held) it must not blame capabilities; without any
 * capability it must name the missing ones.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "warden/warden.h"

/* Load only `prog` of `obj_name`; the load's result, the message in *msg
 * (malloc'd). */
static int load_only(const char *obj_name, const char *prog, char **msg)
{
	struct wd_object *obj = wd_object_open(wd_test_obj(obj_name), NULL);
	struct wd_prog *p;
	int err;
	assert_non_null(obj);
	wd_object_for_each_prog(p, obj)
		wd_prog_set_autoload(p, !strcmp(wd_prog_name(p), prog));
	err = wd_object_load(obj, NULL);
	*msg = strdup(err ? wd_errmsg() : "");
	wd_object_close(obj);
	return err;
}

static void fentry_eperm_as_root_does_not_blame_capabilities(void **state)
{
	(void)state;
	char *msg;
	if (wd_test_emulating())
		WD_SKIP("an emulated old kernel refuses the object's global data before any program "
			"load; the EPERM of trampolines is this host's own");
	int err = load_only("attach_trace.o", "fent", &msg);
	if (err == -EPERM) {
		printf("# %s\n", msg);
		assert_non_null(strstr(msg, "program 'fent': the kernel refused trampoline programs"));
		assert_non_null(strstr(msg, "although this process holds CAP_BPF and CAP_SYS_ADMIN"));
		assert_non_null(strstr(msg, "lockdown"));
		assert_null(strstr(msg, "needs CAP_BPF"));
	} else if (err) {
		fail_msg("fentry load failed with %d, not EPERM: %s", err, msg);
	}
	free(msg);
	if (!err)
		WD_SKIP("this kernel loads fentry programs: no EPERM to explain");
}

/* Drop every capability of this (forked) process: effective, permitted
 * and inheritable sets empty, uid unchanged. */
static int drop_all_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	return (int)syscall(SYS_capset, &h, d);
}

static void eperm_without_capabilities_names_them(void **state)
{
	(void)state;
	int pfd[2], status;
	char buf[1024] = "";
	ssize_t n;
	pid_t pid;
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		char *msg;
		int err;
		close(pfd[0]);
		if (drop_all_caps())
			_exit(2);
		err = load_only("minimal.o", "minimal_tp", &msg);
		if (write(pfd[1], msg, strlen(msg)) < 0)
			_exit(3);
		_exit(err == -EPERM ? 0 : 1);
	}
	close(pfd[1]);
	n = read(pfd[0], buf, sizeof(buf) - 1);
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	buf[n > 0 ? n : 0] = '\0';
	printf("# %s\n", buf);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("unprivileged load: exit status 0x%x (want EPERM): %s", status, buf);
	assert_non_null(strstr(buf, "program 'minimal_tp'"));
	assert_non_null(strstr(buf, "needs CAP_BPF"));
	assert_non_null(strstr(buf, "this process has neither"));
}

static const struct CMUnitTest prog_eperm_tests[] = {
	cmocka_unit_test(fentry_eperm_as_root_does_not_blame_capabilities),
	cmocka_unit_test(eperm_without_capabilities_names_them),
};

WD_TEST_SET(prog_eperm_set, "loader", prog_eperm_tests);
