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

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static bool wait_for_file(const char *path, pid_t agent, int ms)
{
	int status;

	for (int i = 0; i < ms / 50; i++) {
		if (!access(path, R_OK))
			return true;
		if (waitpid(agent, &status, WNOHANG) == agent)
			return false;
		usleep(50 * 1000);
	}
	return false;
}

/* The line of `out` that is a module_load event naming `name`, or NULL. */
static const char *module_event(const char *out, const char *name)
{
	char want[96];

	snprintf(want, sizeof(want), "\"name\":\"%s\"", name);
	for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *end = strchr(l, '\n');
		size_t n = end ? (size_t)(end - l) : strlen(l);
		char *line = strndup(l, n);
		bool hit = line && strstr(line, "\"module_load\"") && strstr(line, want);

		free(line);
		if (hit)
			return l;
	}
	return NULL;
}

static pid_t start_agent(const char *dir, char *out, char *stats, size_t len)
{
	char errf[256], bpf_dir[256];
	pid_t pid;

	snprintf(out, len, "%s/events.json", dir);
	snprintf(stats, len, "%s/stats.json", dir);
	snprintf(errf, sizeof(errf), "%s/stderr.txt", dir);
	snprintf(bpf_dir, sizeof(bpf_dir), "%s", wd_test_obj("agent.o"));
	*strrchr(bpf_dir, '/') = '\0';
	pid = fork();
	if (pid == 0) {
		int fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 1);
		dup2(fd, 2);
		execl(wd_test_cli(), wd_test_cli(), "run", "--config", "/dev/null", "--kinds",
		      "module_load", "--output", out, "--stats-interval", "0", "--stats-file", stats,
		      "--duration", "120", "--bpf-dir", bpf_dir, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void agent_module_load_event(void **state)
{
	char path[256], dir[] = "/tmp/warden-module.XXXXXX", out[256], stats[256], cmd[600];
	const char *name = NULL, *line;
	char *text;
	int fd, status;
	pid_t agent;
	(void)state;

	if (geteuid() != 0)
		WD_SKIP("needs root (BPF, finit_module)");
	if (access("/proc/modules", R_OK))
		WD_SKIP("this kernel has no loadable modules (CONFIG_MODULES off)");
	if (!find_spare(path, sizeof(path), &name))
		WD_SKIP("no unloaded, uncompressed dummy.ko or ifb.ko for this kernel under /lib/modules");
	if (access(wd_test_cli(), X_OK) || access(wd_test_obj("agent.o"), R_OK))
		WD_SKIP("%s or %s not built", wd_test_cli(), wd_test_obj("agent.o"));
	assert_non_null(mkdtemp(dir));
	agent = start_agent(dir, out, stats, sizeof(out));
	assert_true(agent > 0);
	if (!wait_for_file(stats, agent, 120 * 1000)) {
		snprintf(cmd, sizeof(cmd), "%s/stderr.txt", dir);
		text = slurp(cmd);
		kill(agent, SIGKILL);
		waitpid(agent, NULL, 0);
		fail_msg("warden run never got ready: %s", text ? text : "(no output)");
	}

	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	if (syscall(SYS_finit_module, fd, "", 0))
		fail_msg("finit_module %s: %s", path, strerror(errno));
	close(fd);

	for (int i = 0; i < 200 && !((text = slurp(out)) && module_event(text, name)); i++) {
		free(text);
		text = NULL;
		usleep(50 * 1000);
	}
	kill(agent, SIGINT);
	assert_int_equal(waitpid(agent, &status, 0), agent);
	if (syscall(SYS_delete_module, name, O_NONBLOCK))
		fprintf(stderr, "delete_module %s: %s\n", name, strerror(errno));
	line = text ? module_event(text, name) : NULL;
	if (!line)
		fail_msg("no module_load event for %s in %s:\n%s", name, out, text ? text : "");
	/* the loader is this process: the event names it */
	snprintf(cmd, sizeof(cmd), "\"pid\":%d", (int)getpid());
	if (!strstr(line, cmd) || !strstr(line, "\"event\":{"))
		fail_msg("the module_load line lacks the loading pid %d:\n%.*s", (int)getpid(),
			 (int)strcspn(line, "\n"), line);
	assert_true(WIFEXITED(status));
	free(text);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static const struct CMUnitTest agent_module_tests[] = {
	cmocka_unit_test(agent_module_load_event),
};

WD_TEST_SET(agent_module_set, "agent", agent_module_tests);
