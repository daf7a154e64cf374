// stub-test.c: stand-in for build/tests/warden-test, used by `vm/matrix.sh --selftest`
// to test the harness itself. It follows the runner contract:
//   warden-test --group GROUP [--group GROUP...]   env WARDEN_OBJ_DIR=<dir of .o>
// and ends each group's output with "GROUP: N passed, N failed, N skipped".
// Built dynamically on purpose, so the initramfs library copying is exercised.
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

struct tally { int passed, failed, skipped; };

static void check(struct tally *t, const char *name, int ok, const char *why)
{
	if (ok) {
		printf("PASS %s\n", name);
		t->passed++;
	} else {
		printf("FAIL %s: %s\n", name, why);
		t->failed++;
	}
}

static void skip(struct tally *t, const char *name, const char *why)
{
	printf("SKIP %s: %s\n", name, why);
	t->skipped++;
}

/* Every group: the harness passed an object dir that holds at least one .o. */
static int obj_dir_has_objects(void)
{
	const char *dir = getenv("WARDEN_OBJ_DIR");
	struct dirent *e;
	int found = 0;
	DIR *d;

	if (!dir || !(d = opendir(dir)))
		return 0;
	while ((e = readdir(d)))
		if (strlen(e->d_name) > 2 && !strcmp(e->d_name + strlen(e->d_name) - 2, ".o"))
			found = 1;
	closedir(d);
	return found;
}

/* bpffs must be left unmounted by the harness: warden mounts it itself. */
static int bpffs_mounted(void)
{
	char line[512];
	int found = 0;
	FILE *f = fopen("/proc/self/mounts", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " bpf "))
			found = 1;
	fclose(f);
	return found;
}

static int run_group(const char *group)
{
	struct tally t = {0};
	const char *emulate = getenv("WARDEN_EMULATE");
	struct utsname u;

	uname(&u);
	printf("stub-test: group %s on %s%s%s\n", group, u.release,
	       emulate ? ", emulating " : "", emulate ? emulate : "");
	check(&t, "obj_dir_holds_bpf_objects", obj_dir_has_objects(), "WARDEN_OBJ_DIR unset or without .o");
	if (!strcmp(group, "attach"))
		check(&t, "kprobe_pmu_is_registered",
		      access("/sys/bus/event_source/devices/kprobe/type", R_OK) == 0,
		      "/sys/bus/event_source/devices/kprobe/type missing (CONFIG_KPROBES off?)");
	if (!strcmp(group, "doctor")) {
		if (bpffs_mounted())
			skip(&t, "bpffs_left_unmounted_by_harness", "bpffs already mounted here");
		else
			check(&t, "bpffs_left_unmounted_by_harness", 1, "");
	}
	fflush(stdout);
	/* STUB_HANG=<group> tests the group and guest timeouts. */
	if (getenv("STUB_HANG") && !strcmp(getenv("STUB_HANG"), group))
		for (;;)
			pause();
	/* STUB_LOCKUP=<group> tests the boot once more after a soft lockup:
	 * the console line the guest kernel prints, then no closing line, in
	 * the first boot only (the harness passes matrix_attempt=2 to the
	 * second). */
	if (getenv("STUB_LOCKUP") && !strcmp(getenv("STUB_LOCKUP"), group) && !getenv("matrix_attempt")) {
		printf("watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [stub-test:1]\n");
		fflush(stdout);
		abort();
	}
	/* STUB_CRASH=<group> tests the harness's "runner died before its closing line" path. */
	if (getenv("STUB_CRASH") && !strcmp(getenv("STUB_CRASH"), group))
		abort();
	printf("%s: %d passed, %d failed, %d skipped\n", group, t.passed, t.failed, t.skipped);
	fflush(stdout);
	return t.failed;
}

int main(int argc, char **argv)
{
	int groups = 0, failed = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--group") && i + 1 < argc) {
			failed += run_group(argv[++i]);
			groups++;
		} else {
			fprintf(stderr, "usage: %s --group GROUP [--group GROUP...]\n", argv[0]);
			return 2;
		}
	}
	return !groups ? 2 : failed ? 1 : 0;
}
