// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `make install` into a DESTDIR (group "agent"): the tree, the soname, the
 * unit's ExecStart, pkg-config through PKG_CONFIG_PATH and
 * PKG_CONFIG_SYSROOT_DIR, and examples/exec_count.c built against the
 * installed tree and run with the installed BPF object.  Needs the source
 * tree, make, cc and pkg-config (the build host; QEMU guests skip it).
 */
#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"

static bool have(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null", tool);
	return wd_test_run(cmd, NULL) == 0;
}

static void expect_file(const char *root, const char *rel, mode_t mode)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	if (stat(path, &st))
		fail_msg("make install did not install %s (%s)", rel, strerror(errno));
	if (mode && (st.st_mode & 07777) != mode)
		fail_msg("%s has mode %o, expected %o", rel, st.st_mode & 07777, mode);
}

static bool file_contains(const char *path, const char *needle)
{
	char *cmd, *out = NULL;
	int rc;

	assert_true(asprintf(&cmd, "grep -F -q -- '%s' '%s'", needle, path) > 0);
	rc = wd_test_run(cmd, &out);
	free(cmd);
	free(out);
	return rc == 0;
}

static void test_make_install_destdir(void **state)
{
	char dest[] = "/tmp/wd-install-XXXXXX", bin[512], *out = NULL, *cmd, odir[512];
	const char *o;
	int rc;
	if (wd_test_emulating())
		WD_SKIP("WARDEN_EMULATE=%s: installing does not depend on the kernel (the host row runs it)",
			wd_emulate_current());
	(void)state;

	if (access("Makefile", R_OK) || access("agent/agent.mk", R_OK))
		WD_SKIP("not run from the source tree (make install needs it)");
	if (!have("make") || !have("cc") || !have("pkg-config"))
		WD_SKIP("make, cc or pkg-config missing (a QEMU guest: the build host runs this)");
	snprintf(bin, sizeof(bin), "%s", wd_test_cli());
	snprintf(odir, sizeof(odir), "%s", dirname(bin));
	o = odir;
	assert_non_null(mkdtemp(dest));

	assert_true(asprintf(&cmd, "make -s --no-print-directory O=%s PREFIX=/usr DESTDIR=%s install", o, dest) > 0);
	rc = wd_test_run(cmd, &out);
	free(cmd);
	if (rc)
		fail_msg("make install: exit %d\n%s", rc, out);
	free(out);

	expect_file(dest, "/usr/bin/warden", 0755);
	expect_file(dest, "/usr/lib/libwarden.so.0.1.0", 0755);
	expect_file(dest, "/usr/lib/libwarden.so.0", 0);
	expect_file(dest, "/usr/lib/libwarden.so", 0);
	expect_file(dest, "/usr/lib/libwarden.a", 0644);
	expect_file(dest, "/usr/include/warden/warden.h", 0644);
	expect_file(dest, "/usr/include/warden/events.h", 0644);
	expect_file(dest, "/usr/lib/pkgconfig/libwarden.pc", 0644);
	expect_file(dest, "/usr/lib/warden/bpf/execsnoop.o", 0644);
	expect_file(dest, "/usr/share/man/man1/warden.1", 0644);
	expect_file(dest, "/usr/lib/systemd/system/warden.service", 0644);
	expect_file(dest, "/etc/warden/warden.conf", 0644);

	/* the soname, the unit pointing at the installed binary */
	assert_true(asprintf(&cmd, "readelf -d %s/usr/lib/libwarden.so.0.1.0 | grep -q 'soname: \\[libwarden.so.0\\]'",
			     dest) > 0);
	if (have("readelf"))
		assert_int_equal(wd_test_run(cmd, NULL), 0);
	free(cmd);
	assert_true(asprintf(&cmd, "%s/usr/lib/systemd/system/warden.service", dest) > 0);
	assert_true(file_contains(cmd, "ExecStart=/usr/bin/warden run"));
	assert_true(file_contains(cmd, "Type=notify"));
	free(cmd);

	/* pkg-config as a program built against the installed tree sees it */
	assert_true(asprintf(&cmd, "PKG_CONFIG_PATH=%s/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=%s "
			     "pkg-config --cflags --libs libwarden", dest, dest) > 0);
	rc = wd_test_run(cmd, &out);
	free(cmd);
	if (rc || !strstr(out, "-lwarden") || !strstr(out, dest))
		fail_msg("pkg-config: exit %d: %s", rc, out);
	free(out);

	/* examples/exec_count.c against the installed headers and .so */
	assert_true(asprintf(&cmd, "cc -std=gnu11 -Wall -Werror examples/exec_count.c -o %s/exec_count "
			     "$(PKG_CONFIG_PATH=%s/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=%s "
			     "pkg-config --cflags --libs libwarden)", dest, dest, dest) > 0);
	rc = wd_test_run(cmd, &out);
	free(cmd);
	if (rc)
		fail_msg("building examples/exec_count.c against the installed tree: %s", out);
	free(out);
	if (geteuid() == 0) {
		/* the installed library, the installed BPF object, a real exec */
		assert_true(asprintf(&cmd, "(sleep 0.3; /bin/true) & LD_LIBRARY_PATH=%s/usr/lib %s/exec_count "
				     "%s/usr/lib/warden/bpf/execsnoop.o 1; wait", dest, dest, dest) > 0);
		rc = wd_test_run(cmd, &out);
		free(cmd);
		if (rc || !strstr(out, "exec records") || strstr(out, " 0 exec records"))
			fail_msg("exec_count against the installed tree: exit %d: %s", rc, out);
		free(out);
	}

	/* a second install keeps the administrator's config */
	assert_true(asprintf(&cmd, "echo '# mine' > %s/etc/warden/warden.conf && "
			     "make -s --no-print-directory O=%s PREFIX=/usr DESTDIR=%s install && "
			     "grep -qx '# mine' %s/etc/warden/warden.conf", dest, o, dest, dest) > 0);
	rc = wd_test_run(cmd, &out);
	free(cmd);
	if (rc)
		fail_msg("second make install overwrote the config: %s", out);
	free(out);

	assert_true(asprintf(&cmd, "rm -rf '%s'", dest) > 0);
	wd_test_run(cmd, NULL);
	free(cmd);
}

static const struct CMUnitTest install_tests[] = {
	cmocka_unit_test(test_make_install_destdir),
};
WD_TEST_SET(install_set, "agent", install_tests);
