// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * warden detach DIR: undo `warden load --pin DIR --attach`.  The pinned links
 * (DIR/links/<prog>) are what keeps the attachments alive after the command;
 * removing a pin drops the kernel's last reference, and the kernel detaches.
 * Then the program and map pins, and the directories, go too.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "cli.h"

#define BPF_FS_MAGIC_NUMBER 0xcafe4a11

static const char detach_usage[] =
	"usage: warden detach DIR\n"
	"\n"
	"Remove what 'warden load --pin DIR [--attach]' left: the pinned links under\n"
	"DIR/links (the kernel then detaches the programs), the program pins DIR/<prog>,\n"
	"the map pins DIR/maps/<map>, and the directories.  DIR must be on bpffs.\n";

/* Unlink every pin directly in dir; rmdir it.  Returns pins removed or -errno. */
static int remove_pins(const char *dir, bool must_exist)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0, err = 0;

	if (!d)
		return errno == ENOENT && !must_exist ? 0 : -errno;
	while ((e = readdir(d))) {
		char path[4400];
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) || S_ISDIR(st.st_mode))
			continue;
		if (unlink(path)) {
			err = -errno;
			fprintf(stderr, "warden: detach: %s: %s\n", path, strerror(errno));
			continue;
		}
		n++;
	}
	closedir(d);
	if (!err && rmdir(dir) && errno != ENOTEMPTY)
		err = -errno;
	return err ? err : n;
}

static int cmd_detach(int argc, char **argv)
{
	char sub[4200];
	struct statfs fs;
	int links, progs, maps;

	if (argc == 2 && cli_is_help(argv[1])) {
		fputs(detach_usage, stdout);
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-')
		return cli_usage_error("detach", "expected one directory (what --pin was given)");
	if (statfs(argv[1], &fs))
		return cli_fail("detach", "%s: %s", argv[1], strerror(errno));
	if ((unsigned long)fs.f_type != BPF_FS_MAGIC_NUMBER)
		return cli_fail("detach", "%s is not on bpffs: nothing of warden's is pinned there",
				argv[1]);
	snprintf(sub, sizeof(sub), "%s/links", argv[1]);
	links = remove_pins(sub, false);
	snprintf(sub, sizeof(sub), "%s/maps", argv[1]);
	maps = remove_pins(sub, false);
	progs = remove_pins(argv[1], true);
	if (links < 0 || maps < 0 || progs < 0)
		return cli_fail("detach", "%s: %s", argv[1],
				strerror(-(links < 0 ? links : maps < 0 ? maps : progs)));
	printf("detached %d link%s; unpinned %d program%s and %d map%s\n", links,
	       links == 1 ? "" : "s", progs, progs == 1 ? "" : "s", maps, maps == 1 ? "" : "s");
	return 0;
}

WD_CLI_COMMAND("detach", cmd_detach, "remove the links, programs and maps 'load --pin DIR' pinned");
