// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `warden load --pin DIR` / wd_object_pin(): internal maps (obj.rodata,
 * obj.bss, ...) pinned with '_' for '.' (bpffs refuses '.' in names), all or
 * nothing, and a name already taken named with what is in the way.  On a
 * bpffs mounted for the test in a temporary directory.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/bpf.h>
#include "harness.h"
#include "warden/features.h"
#include "warden/warden.h"

struct tmp_bpffs {
	char dir[64];
};

static void mount_tmp_bpffs(struct tmp_bpffs *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/wd-bpffs-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	if (mount("bpf", t->dir, "bpf", 0, "mode=0700")) {
		int e = errno;
		rmdir(t->dir);
		WD_SKIP("cannot mount a bpffs at %s: %s", t->dir, strerror(e));
	}
}

static void rm_tree(const char *dir)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s/*", dir);
	wd_test_run(cmd, NULL);
}

static void umount_tmp_bpffs(struct tmp_bpffs *t)
{
	rm_tree(t->dir);
	umount2(t->dir, MNT_DETACH);
	rmdir(t->dir);
}

/* Entries of DIR (not . and ..), counted; fails on a name with a '.'. */
static int count_entries_without_dots(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	assert_non_null(d);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (strchr(e->d_name, '.'))
			fail_msg("%s/%s: a pin name with '.'", dir, e->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static void cli_pins_global_data_maps_with_underscores(void **state)
{
	(void)state;
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_XDP), "XDP programs");
	struct tmp_bpffs t;
	char cmd[512], path[256], *out = NULL;
	struct stat st;
	mount_tmp_bpffs(&t);
	snprintf(cmd, sizeof(cmd), "%s load --pin %s/g %s", wd_test_cli(), t.dir, wd_test_obj("globals.o"));
	int rc = wd_test_run(cmd, &out);
	if (rc != 0) {
		umount_tmp_bpffs(&t);
		fail_msg("'%s' exited %d:\n%s", cmd, rc, out);
	}
	free(out);
	snprintf(path, sizeof(path), "%s/g/maps/globals_rodata", t.dir);
	int has_rodata = stat(path, &st) == 0;
	snprintf(path, sizeof(path), "%s/g/maps/globals_bss", t.dir);
	int has_bss = stat(path, &st) == 0;
	snprintf(path, sizeof(path), "%s/g/maps", t.dir);
	int maps = count_entries_without_dots(path);
	snprintf(path, sizeof(path), "%s/g/run_globals", t.dir);
	int has_prog = stat(path, &st) == 0;
	umount_tmp_bpffs(&t);
	assert_true(has_rodata);
	assert_true(has_bss);
	assert_true(has_prog);
	assert_true(maps >= 5); /* .data .rodata .bss .data.custom .rodata.custom ... */
}

/* The 2nd pin fails (a map pinned at its place beforehand): the 1st pin is
 * removed again, the directories the pin made too, and the message says
 * what is in the way. */
static void pin_failing_part_way_leaves_nothing_pinned(void **state)
{
	(void)state;
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_XDP), "XDP programs");
	struct tmp_bpffs t;
	char dir[128], maps[160], path[256], first[256];
	struct stat st;
	mount_tmp_bpffs(&t);
	struct wd_object *obj = wd_object_open(wd_test_obj("globals.o"), NULL);
	assert_non_null(obj);
	assert_int_equal(wd_object_load(obj, NULL), 0);
	struct wd_prog *p = wd_object_next_prog(obj, NULL);
	struct wd_map *m = wd_object_next_map(obj, NULL);
	assert_non_null(p);
	assert_non_null(m);
	assert_null(wd_object_next_prog(obj, p)); /* one program: the 2nd pin is the 1st map */
	snprintf(dir, sizeof(dir), "%s/obj", t.dir);
	snprintf(maps, sizeof(maps), "%s/maps", dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(mkdir(maps, 0700), 0);
	char name[64];
	snprintf(name, sizeof(name), "%s", wd_map_name(m));
	for (char *c = name; *c; c++)
		if (*c == '.')
			*c = '_';
	snprintf(path, sizeof(path), "%s/%s", maps, name);
	assert_int_equal(wd_map_pin(wd_object_next_map(obj, m), path), 0); /* in the way */
	int err = wd_object_pin(obj, dir);
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s", wd_errmsg());
	snprintf(first, sizeof(first), "%s/%s", dir, wd_prog_name(p));
	int first_left = stat(first, &st) == 0;
	int dir_kept = stat(maps, &st) == 0;    /* existed before: stays */
	wd_object_close(obj);
	umount_tmp_bpffs(&t);
	assert_int_equal(err, -EEXIST);
	assert_false(first_left);
	assert_true(dir_kept);
	if (!strstr(msg, "a pinned map is in the way") || !strstr(msg, name))
		fail_msg("message does not say what is in the way: %s", msg);
}

/* Into a fresh directory: a failure removes the directories it made too. */
static void pin_failure_removes_the_directories_it_made(void **state)
{
	(void)state;
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_XDP), "XDP programs");
	struct tmp_bpffs t;
	char dir[128], path[256];
	struct stat st;
	mount_tmp_bpffs(&t);
	struct wd_object *obj = wd_object_open(wd_test_obj("globals.o"), NULL);
	assert_non_null(obj);
	assert_int_equal(wd_object_load(obj, NULL), 0);
	snprintf(dir, sizeof(dir), "%s/fresh", t.dir);
	assert_int_equal(wd_object_pin(obj, dir), 0);
	/* again into the same place: the very first pin is in the way */
	snprintf(path, sizeof(path), "%s/again", t.dir);
	assert_int_equal(symlink(dir, path), 0);
	int err = wd_object_pin(obj, path);
	int kept = stat(dir, &st) == 0;   /* the first, complete pin is untouched */
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s", wd_errmsg());
	wd_object_close(obj);
	umount_tmp_bpffs(&t);
	assert_int_equal(err, -EEXIST);
	assert_true(kept);
	assert_non_null(strstr(msg, "a pinned program is in the way"));
}

static const struct CMUnitTest pin_tests[] = {
	cmocka_unit_test(cli_pins_global_data_maps_with_underscores),
	cmocka_unit_test(pin_failing_part_way_leaves_nothing_pinned),
	cmocka_unit_test(pin_failure_removes_the_directories_it_made),
};
WD_TEST_SET(wd_tests_load_pin, "loader", pin_tests);
