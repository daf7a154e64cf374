// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The agent's module_load event from a real module load, end to end through
 * `warden run`: the test loads a module that nothing has loaded yet
 * (finit_module(2)), finds the JSON line naming it, and unloads it.  A
 * kernel without CONFIG_MODULES (this project's CI host) skips; the matrix
 * guests carry a spare module for it (vm/matrix.sh GUEST_SPARE_MODULES).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>
#include "harness.h"
#include "agent_cli.h"

/* Modules a stock Debian kernel builds as =m that have no dependencies and
 * no side effect worth the name once loaded (no device appears until one is
 * asked for). */
static const char *const spare_modules[] = { "dummy", "ifb" };

static bool module_loaded(const char *name)
{
	char line[256];
	size_t n = strlen(name);
	FILE *f = fopen("/proc/modules", "r");
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f))
		found = !strncmp(line, name, n) && line[n] == ' ';
	if (f)
		fclose(f);
	return found;
}

/* A plain .ko of a spare module for this kernel, not loaded yet: the
 * guests' flat /lib/modules/RELEASE/NAME.ko (what vm/matrix.sh puts there),
 * or a distribution's uncompressed kernel/drivers/net/NAME.ko. */
static const char *find_spare(char *path, size_t len, const char **name)
{
	struct utsname u;

	if (uname(&u))
		return NULL;
	for (size_t i = 0; i < sizeof(spare_modules) / sizeof(spare_modules[0]); i++) {
		const char *m = spare_modules[i];
		if (module_loaded(m))
			continue;
		snprintf(path, len, "/lib/modules/%s/%s.ko", u.release, m);
		if (access(path, R_OK))
			snprintf(path, len, "/lib/modules/%s/kernel/drivers/net/%s.ko", u.release, m);
		if (!access(path, R_OK)) {
			*name = m;
			return path;
		}
	}
	return NULL;
}

static void agent_module_load_event(void **state)
{
	char path[256], want_name[96], want_pid[32];
	const char *name = NULL;
	struct agent_cli r;
	char *line;
	int fd;
	(void)state;

	if (geteuid() != 0)
		WD_SKIP("needs root (BPF, finit_module)");
	if (access("/proc/modules", R_OK))
		WD_SKIP("this kernel has no loadable modules (CONFIG_MODULES off)");
	if (!find_spare(path, sizeof(path), &name))
		WD_SKIP("no unloaded, uncompressed dummy.ko or ifb.ko for this kernel under /lib/modules");
	if (access(wd_test_cli(), X_OK) || access(wd_test_obj("agent.o"), R_OK))
		WD_SKIP("%s or %s not built", wd_test_cli(), wd_test_obj("agent.o"));
	agent_cli_init(&r);
	agent_cli_start(&r, NULL, "--kinds", "module_load", "--duration", "120", NULL);

	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	if (syscall(SYS_finit_module, fd, "", 0))
		fail_msg("finit_module %s: %s", path, strerror(errno));
	close(fd);
	/* the loader is this process: the event names it */
	snprintf(want_name, sizeof(want_name), "\"name\":\"%s\"", name);
	snprintf(want_pid, sizeof(want_pid), "\"pid\":%d", (int)getpid());
	line = agent_cli_line(&r, "\"module_load\"", want_name, want_pid, NULL);
	agent_cli_stop(&r, NULL);
	if (syscall(SYS_delete_module, name, O_NONBLOCK))
		fprintf(stderr, "delete_module %s: %s\n", name, strerror(errno));
	if (!line) {
		char *text = agent_cli_slurp(r.out);
		fail_msg("no module_load event for %s by pid %d in %s:\n%.2000s", name, (int)getpid(),
			 r.out, text ? text : "");
	}
	free(line);
	agent_cli_done(&r);
}

static const struct CMUnitTest agent_module_tests[] = {
	cmocka_unit_test(agent_module_load_event),
};

WD_TEST_SET(agent_module_set, "agent", agent_module_tests);
