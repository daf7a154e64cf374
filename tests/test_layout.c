// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The architecture, checked: libwarden.so exports the public API and
 * nothing else, and the layer check (scripts/check-layers.sh) passes on this
 * tree and fails, naming the pair, on an upward include or a circle.
 * Host only: the guests have neither the sources nor nm.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"

static void require_source_tree(void)
{
	if (access("scripts/check-layers.sh", X_OK) || access("include/warden/warden.h", R_OK))
		WD_SKIP("no source tree here (the tests run from a checkout; a guest has none)");
}

/* The build directory: where WARDEN_BIN lives. */
static const char *build_dir(void)
{
	static char dir[4096];
	const char *slash;
	snprintf(dir, sizeof(dir), "%s", wd_test_cli());
	slash = strrchr(dir, '/');
	if (slash)
		dir[slash - dir] = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	return dir;
}

static void exported_symbols_are_exactly_the_public_api(void **state)
{
	char cmd[8192], *exported = NULL, *declared = NULL;
	(void)state;
	require_source_tree();
	snprintf(cmd, sizeof(cmd), "%s/libwarden.so", build_dir());
	if (access(cmd, R_OK))
		WD_SKIP("%s not built", cmd);
	if (system("command -v nm >/dev/null 2>&1"))
		WD_SKIP("nm (binutils) is not installed");
	snprintf(cmd, sizeof(cmd), "nm -D --defined-only %s/libwarden.so | awk '$2 == \"T\" "
		 "{ print $3 }' | sort", build_dir());
	assert_int_equal(wd_test_run(cmd, &exported), 0);
	assert_int_equal(wd_test_run("./scripts/public-symbols.sh $(ls include/warden/*.h | "
				     "grep -v -e doctor.h -e tailcalls.h)", &declared), 0);
	if (strcmp(exported, declared)) {
		char *diff = NULL;
		snprintf(cmd, sizeof(cmd), "bash -c 'diff <(nm -D --defined-only %s/libwarden.so | "
			 "awk \"\\$2 == \\\"T\\\" { print \\$3 }\" | sort) <(./scripts/public-symbols.sh "
			 "$(ls include/warden/*.h | grep -v -e doctor.h -e tailcalls.h))'", build_dir());
		wd_test_run(cmd, &diff);
		print_error("exported (<) vs declared (>):\n%s\n", diff ? diff : "?");
		free(diff);
	}
	assert_string_equal(exported, declared);
	assert_true(strlen(declared) > 1000);   /* the header list was read at all */
	free(exported);
	free(declared);
}

static void layer_check_passes_on_this_tree(void **state)
{
	char cmd[4200], *out = NULL;
	(void)state;
	require_source_tree();
	snprintf(cmd, sizeof(cmd), "./scripts/check-layers.sh %s", build_dir());
	int rc = wd_test_run(cmd, &out);
	if (rc)
		print_error("%s\n", out);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "layers: ok"));
	free(out);
}

/* A tree of its own in a temporary directory: files given as path=content. */
static char *fake_tree(const char *const *files)
{
	char tmpl[] = "/tmp/wd-layers-XXXXXX", cmd[512];
	char *root = mkdtemp(tmpl) ? strdup(tmpl) : NULL;
	assert_non_null(root);
	for (; *files; files += 2) {
		char path[512];
		FILE *f;
		snprintf(path, sizeof(path), "%s/%s", root, files[0]);
		snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname %s)\"", path);
		assert_int_equal(system(cmd), 0);
		assert_non_null(f = fopen(path, "w"));
		fputs(files[1], f);
		fclose(f);
	}
	return root;
}

static void run_check_on(const char *root, char **out)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "LAYERS_ROOT=%s %s/scripts/check-layers.sh -",
		 root, getcwd((char[512]){ 0 }, 512));
	assert_int_not_equal(wd_test_run(cmd, out), 0);
}

static void remove_tree(char *root)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
	free(root);
}

static void layer_check_names_an_upward_include(void **state)
{
	static const char *const files[] = {
		"include/warden/warden.h", "",
		"lib/sys/sys.c", "#include \"load/internal.h\"\n",
		"lib/load/internal.h", "",
		NULL,
	};
	char *root, *out = NULL;
	(void)state;
	require_source_tree();
	root = fake_tree(files);
	run_check_on(root, &out);
	assert_non_null(strstr(out, "include runs up or across: lib/sys/sys.c -> lib/load/internal.h"));
	free(out);
	remove_tree(root);
}

static void layer_check_names_a_circle(void **state)
{
	static const char *const files[] = {
		"include/warden/warden.h", "",
		"lib/load/a.c", "#include \"b.h\"\n", "lib/load/a.h", "",
		"lib/load/b.c", "#include \"a.h\"\n", "lib/load/b.h", "",
		NULL,
	};
	char *root, *out = NULL;
	(void)state;
	require_source_tree();
	root = fake_tree(files);
	run_check_on(root, &out);
	assert_non_null(strstr(out, "import circle"));
	assert_non_null(strstr(out, "lib/load/a"));
	assert_non_null(strstr(out, "lib/load/b"));
	free(out);
	remove_tree(root);
}

static const struct CMUnitTest layout_tests[] = {
	cmocka_unit_test(exported_symbols_are_exactly_the_public_api),
	cmocka_unit_test(layer_check_passes_on_this_tree),
	cmocka_unit_test(layer_check_names_an_upward_include),
	cmocka_unit_test(layer_check_names_a_circle),
};
WD_TEST_SET(layout_set, "loader", layout_tests);
