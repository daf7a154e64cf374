// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The man page against the commands themselves: every subcommand that
 * `warden help` lists has a section in docs/man/warden.1 (".SS" titles that
 * start with its name), every long option its --help shows appears in that
 * section, and a bad option is a usage error (exit 2, one line), as the
 * page's EXIT STATUS says. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"

#define MAN_PAGE "docs/man/warden.1"

static int run_cli(const char *args, char **out)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "%s %s", wd_test_cli(), args);
	return wd_test_run(cmd, out);
}

/* The names under "commands:" of `warden help`, NULL-terminated (free the
 * array and *buf). */
static char **command_names(char **buf)
{
	char **names = calloc(64, sizeof(*names));
	char *line, *save = NULL, *p;
	size_t n = 0;

	assert_non_null(names);
	assert_int_equal(run_cli("help", buf), 0);
	p = strstr(*buf, "commands:\n");
	assert_non_null(p);
	for (line = strtok_r(p + 10, "\n", &save); line && *line == ' ' && n < 63;
	     line = strtok_r(NULL, "\n", &save)) {
		char *name = line + strspn(line, " ");

		name[strcspn(name, " ")] = '\0';
		names[n++] = name;
	}
	assert_true(n >= 10);
	return names;
}

static bool is_opt_char(char c)
{
	return isalnum((unsigned char)c) || c == '-';
}

/* The sections of the page (read_page: "\-" as "-"): lines from a ".SS" whose
 * title (quotes dropped) starts with `cmd` and a blank or the end, to the
 * next ".SS" or ".SH". */
static char *man_section(const char *page, const char *cmd)
{
	size_t cap = strlen(page) + 1, len = 0, clen = strlen(cmd);
	char *out = calloc(1, cap);
	bool in = false;

	assert_non_null(out);
	for (const char *l = page; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) + 1 : strlen(l);

		if (!strncmp(l, ".SS ", 4) || !strncmp(l, ".SH ", 4)) {
			const char *t = l + 4 + (l[4] == '"');
			in = !strncmp(l, ".SS ", 4) && !strncmp(t, cmd, clen) &&
			     (t[clen] == ' ' || t[clen] == '"' || t[clen] == '\n');
		}
		if (in) {
			memcpy(out + len, l, n);
			len += n;
		}
		l += n;
	}
	return out;
}

static char *unescape_dashes(const char *s)
{
	char *out = strdup(s), *w = out;

	assert_non_null(out);
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] == '-')
			s++;
		*w++ = *s;
	}
	*w = '\0';
	return out;
}

/* `--opt` as a whole token in text. */
static bool has_option(const char *text, const char *opt, size_t len)
{
	for (const char *p = strstr(text, opt); p; p = strstr(p + 1, opt)) {
		if ((p == text || !is_opt_char(p[-1])) && !is_opt_char(p[len]) &&
		    !strncmp(p, opt, len))
			return true;
	}
	return false;
}

static char *read_page(void)
{
	FILE *f = fopen(MAN_PAGE, "re");
	char *page, *plain;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	page = calloc(1, (size_t)n + 1);
	assert_non_null(page);
	assert_int_equal(fread(page, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	plain = unescape_dashes(page);
	free(page);
	return plain;
}

/* Appends to *missing, for cmd, each long option of its --help (other than
 * --help) that its man section lacks, and "no section" when it has none. */
static void compare_command(const char *page, const char *cmd, char *missing, size_t cap)
{
	char args[128], *help = NULL, *sec = man_section(page, cmd);

	snprintf(args, sizeof(args), "%s --help", cmd);
	assert_int_equal(run_cli(args, &help), 0);
	if (!*sec)
		snprintf(missing + strlen(missing), cap - strlen(missing), "  %s: no .SS section\n", cmd);
	for (const char *p = strstr(help, "--"); p; p = strstr(p + 1, "--")) {
		size_t len = 2;
		char opt[160];

		if (p > help && is_opt_char(p[-1]))
			continue;
		while (is_opt_char(p[len]) && len < 64)
			len++;
		if (len == 2 || !strncmp(p, "--help", len > 6 ? len : 6))
			continue;
		char tok[72];
		snprintf(tok, sizeof(tok), "%.*s", (int)len, p);
		snprintf(opt, sizeof(opt), "  %s: %s\n", cmd, tok);
		if (*sec && !has_option(sec, tok, len) && !strstr(missing, opt)) /* once is enough */
			snprintf(missing + strlen(missing), cap - strlen(missing), "%s", opt);
	}
	free(help);
	free(sec);
}

static void man_page_documents_every_option_of_every_command(void **state)
{
	char *page = read_page(), *buf = NULL, **names, missing[4096] = "";
	(void)state;

	if (!page)
		WD_SKIP("%s not shipped here (kernel-matrix guest)", MAN_PAGE);
	names = command_names(&buf);
	for (char **c = names; *c; c++)
		compare_command(page, *c, missing, sizeof(missing));
	free(names);
	free(buf);
	free(page);
	if (*missing)
		fail_msg("%s lacks what --help shows:\n%s", MAN_PAGE, missing);
}

/* The comparison itself can fail: an option that is nowhere in the page. */
static void man_page_check_finds_a_missing_option(void **state)
{
	char *page = read_page(), *sec;
	(void)state;

	if (!page)
		WD_SKIP("%s not shipped here (kernel-matrix guest)", MAN_PAGE);
	sec = man_section(page, "run");
	assert_true(has_option(sec, "--pid-tree", 10));
	assert_false(has_option(sec, "--pid", 5));          /* a prefix is not the option */
	assert_false(has_option(sec, "--no-such-option", 16));
	free(sec);
	sec = man_section(page, "no-such-command");
	assert_string_equal(sec, "");
	free(sec);
	free(page);
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Usage errors exit 2 with one line naming the command, for every command
 * (and the subcommands of map, prog and fleet). */
static void every_command_exits_2_on_a_bad_option(void **state)
{
	static const char *const subs[] = { "map show", "map dump", "prog show", "prog dump xlated",
					    "fleet init" };
	char *buf = NULL, **names, args[128], *out;
	(void)state;

	names = command_names(&buf);
	for (char **c = names; *c; c++) {
		snprintf(args, sizeof(args), "%s --no-such-option-wd", *c);
		int st = run_cli(args, &out);
		if (st != 2 || count_lines(out) != 1 || !strstr(out, *c))
			fail_msg("'warden %s': exit %d (want 2), %d lines:\n%s", args, st, count_lines(out),
				 out);
		free(out);
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(args, sizeof(args), "%s --no-such-option-wd", subs[i]);
		int st = run_cli(args, &out);
		if (st != 2 || count_lines(out) != 1)
			fail_msg("'warden %s': exit %d (want 2), %d lines:\n%s", args, st, count_lines(out),
				 out);
		free(out);
	}
	free(names);
	free(buf);
}

static const struct CMUnitTest man_tests[] = {
	cmocka_unit_test(man_page_documents_every_option_of_every_command),
	cmocka_unit_test(man_page_check_finds_a_missing_option),
	cmocka_unit_test(every_command_exits_2_on_a_bad_option),
};
WD_TEST_SET(man_set, "doctor", man_tests);
