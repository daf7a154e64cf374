// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * warden-test [--group G]... [--list] [FILTER]: runs the test sets registered
 * with WD_TEST_SET (any order, each test builds its own world), per group,
 * and closes with "N passed, N failed, N skipped".  WARDEN_EMULATE=rhel7
 * plays an old kernel through the syscall seam for the whole run.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "warden/bpf.h"
#include "warden/testing.h"

extern const struct wd_test_set *const __start_wd_tests[];
extern const struct wd_test_set *const __stop_wd_tests[];

int wd_test_skipped;
const char *wd_test_current = "?";

/* The default run: these groups in this order, then any other group a test
 * set registers (so no set is left out by forgetting this list), except the
 * groups that run on their own (scripts/run-tests.sh asks for them). */
static const char *const own_run_groups[] = { "corpus" };
static const char *const all_groups[] = { "loader", "core", "attach", "consumers", "doctor",
					   "agent", "fleet", "crash" };
#define NR_GROUPS (sizeof(all_groups) / sizeof(all_groups[0]))

const char *wd_test_obj(const char *name)
{
	static __thread char path[4096];
	const char *dir = getenv("WARDEN_OBJ_DIR");
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "build/bpf", name);
	return path;
}

int wd_test_kernel_at_least(int major, int minor)
{
	struct utsname u;
	int a = 0, b = 0;
	if (uname(&u) || sscanf(u.release, "%d.%d", &a, &b) != 2)
		return 0;
	return a > major || (a == major && b >= minor);
}

int wd_test_restore_emulation(void **state)
{
	(void)state;
	wd_emulate("none");
	return wd_emulate_from_env() < 0 ? -1 : 0;
}

int wd_test_emulating(void)
{
	const char *e = wd_emulate_current();
	return e && *e && strcmp(e, "none");
}

const char *wd_test_cli(void)
{
	const char *bin = getenv("WARDEN_BIN");
	return bin ? bin : "build/warden";
}

double wd_test_now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void wd_test_sleep_s(double s)
{
	struct timespec t = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

long wd_test_env_long(const char *name, long dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtol(v, NULL, 0) : dflt;
}

int wd_test_fd_count(int pid)
{
	char path[64];
	struct dirent *e;
	int n = 0;
	DIR *d;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/fd");
	if (!(d = opendir(path)))
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - (!pid || pid == getpid());   /* the listing's own fd */
}

char *wd_test_cli_expect(int want, const char *fmt, ...)
{
	char args[2048], cmd[2600], *out = NULL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s %s", wd_test_cli(), args);
	int rc = wd_test_run(cmd, &out);
	if (rc != want) {
		fprintf(stderr, "'warden %s' exited %d, not %d:\n%s\n", args, rc, want, out);
		free(out);
		fail_msg("unexpected exit status");
	}
	return out;
}

void wd_test_expect_in(const char *out, const char *needle)
{
	if (!strstr(out, needle))
		fail_msg("'%s' not in:\n%s", needle, out);
}

void wd_test_own_comm(char *comm, size_t size)
{
	int fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
	ssize_t n;
	assert_true(fd >= 0);
	n = read(fd, comm, size - 1);
	close(fd);
	assert_true(n > 0);
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
}

int wd_test_count_links(int (*match)(const char *prog_name))
{
	uint32_t id = 0;
	int n = 0;
	while (wd_sys_get_next_id(BPF_LINK_GET_NEXT_ID, id, &id) == 0) {
		struct bpf_link_info li;
		struct bpf_prog_info pi;
		uint32_t len = sizeof(li);
		int fd = wd_sys_get_fd_by_id(BPF_LINK_GET_FD_BY_ID, id), pfd;
		if (fd < 0)
			continue;
		memset(&li, 0, sizeof(li));
		if (wd_sys_obj_info(fd, &li, &len) == 0 &&
		    (pfd = wd_sys_get_fd_by_id(BPF_PROG_GET_FD_BY_ID, li.prog_id)) >= 0) {
			memset(&pi, 0, sizeof(pi));
			len = sizeof(pi);
			if (wd_sys_obj_info(pfd, &pi, &len) == 0 && match(pi.name))
				n++;
			close(pfd);
		}
		close(fd);
	}
	return n;
}

int wd_test_run(const char *cmd, char **out)
{
	char *full = NULL;
	size_t cap = 0, len = 0;
	FILE *p;
	int st;
	if (asprintf(&full, "%s 2>&1", cmd) < 0)
		return -1;
	p = popen(full, "r");
	free(full);
	if (!p)
		return -1;
	char buf[4096];
	size_t n;
	char *acc = NULL;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			char *nb = realloc(acc, cap);
			if (!nb)
				break;
			acc = nb;
		}
		memcpy(acc + len, buf, n);
		len += n;
	}
	if (acc)
		acc[len] = '\0';
	else
		acc = strdup("");
	st = pclose(p);
	if (out)
		*out = acc;
	else
		free(acc);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

struct totals { int passed, failed, skipped; };

static void run_group(const char *group, const char *filter, struct totals *all)
{
	struct totals t = { 0 };
	for (const struct wd_test_set *const *s = __start_wd_tests; s < __stop_wd_tests; s++) {
		const struct wd_test_set *set = *s;
		if (strcmp(set->group, group))
			continue;
		for (size_t i = 0; i < set->count; i++) {
			const struct CMUnitTest *tc = &set->tests[i];
			if (filter && !strstr(tc->name, filter))
				continue;
			int skipped_before = wd_test_skipped;
			wd_test_current = tc->name;
			/* one test per cmocka group: a failure never hides the next test */
			int failed = _cmocka_run_group_tests(tc->name, tc, 1, NULL, NULL);
			if (wd_test_skipped > skipped_before)
				t.skipped++;
			else if (failed)
				t.failed++;
			else
				t.passed++;
		}
	}
	printf("%s: %d passed, %d failed, %d skipped\n", group, t.passed, t.failed, t.skipped);
	fflush(stdout);
	all->passed += t.passed;
	all->failed += t.failed;
	all->skipped += t.skipped;
}

int main(int argc, char **argv)
{
	const char *groups[NR_GROUPS + 16];
	const char *filter = NULL;
	size_t ng = 0;
	struct totals all = { 0 };
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--group") && i + 1 < argc && ng < NR_GROUPS)
			groups[ng++] = argv[++i];
		else if (!strcmp(argv[i], "--list")) {
			for (const struct wd_test_set *const *s = __start_wd_tests; s < __stop_wd_tests; s++)
				for (size_t k = 0; k < (*s)->count; k++)
					printf("%s %s\n", (*s)->group, (*s)->tests[k].name);
			return 0;
		} else
			filter = argv[i];
	}
	if (wd_emulate_from_env() < 0) {
		fprintf(stderr, "warden-test: unknown WARDEN_EMULATE profile\n");
		return 2;
	}
	setenv("CMOCKA_MESSAGE_OUTPUT", "stdout", 0);
	if (!ng) {
		for (size_t i = 0; i < NR_GROUPS; i++)
			groups[ng++] = all_groups[i];
		for (const struct wd_test_set *const *s = __start_wd_tests; s < __stop_wd_tests; s++) {
			bool listed = false;
			for (size_t i = 0; i < ng && !listed; i++)
				listed = !strcmp(groups[i], (*s)->group);
			for (size_t i = 0; i < sizeof(own_run_groups) / sizeof(own_run_groups[0]); i++)
				listed = listed || !strcmp(own_run_groups[i], (*s)->group);
			if (!listed && ng < sizeof(groups) / sizeof(groups[0]))
				groups[ng++] = (*s)->group;
		}
	}
	for (size_t i = 0; i < ng; i++)
		run_group(groups[i], filter, &all);
	if (ng == 1) /* the matrix parses "GROUP: N passed, ..." as the closing line */
		return all.failed ? 1 : 0;
	printf("%d passed, %d failed, %d skipped\n", all.passed, all.failed, all.skipped);
	return all.failed ? 1 : 0;
}
