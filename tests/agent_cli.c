// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>
#include "harness.h"
#include "agent_cli.h"

#define MAX_ARGS 32

void agent_cli_init(struct agent_cli *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "/tmp/warden-agent-cli.XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	snprintf(r->out, sizeof(r->out), "%s/events.json", r->dir);
	snprintf(r->stats, sizeof(r->stats), "%s/stats.json", r->dir);
	snprintf(r->err, sizeof(r->err), "%s/stderr.txt", r->dir);
}

char *agent_cli_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (f && getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	return buf;
}

static void exec_agent(struct agent_cli *r, const char *emulate, const char *const *extra)
{
	const char *argv[MAX_ARGS + 16];
	char bpf_dir[256];
	size_t n = 0;
	int fd = open(r->err, O_WRONLY | O_CREAT | O_APPEND, 0600);

	snprintf(bpf_dir, sizeof(bpf_dir), "%s", wd_test_obj("agent.o"));
	*strrchr(bpf_dir, '/') = '\0';
	dup2(fd, 1);
	dup2(fd, 2);
	if (emulate)
		setenv("WARDEN_EMULATE", emulate, 1);
	argv[n++] = wd_test_cli();
	argv[n++] = "run";
	argv[n++] = "--config";
	argv[n++] = "/dev/null";
	argv[n++] = "--output";
	argv[n++] = r->out;
	argv[n++] = "--stats-file";
	argv[n++] = r->stats;
	argv[n++] = "--stats-interval";
	argv[n++] = "0";
	argv[n++] = "--bpf-dir";
	argv[n++] = bpf_dir;
	for (size_t i = 0; extra[i] && i < MAX_ARGS; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

void agent_cli_start(struct agent_cli *r, const char *emulate, ...)
{
	const char *extra[MAX_ARGS + 1];
	size_t n = 0;
	va_list ap;

	va_start(ap, emulate);
	for (const char *a; n < MAX_ARGS && (a = va_arg(ap, const char *));)
		extra[n++] = a;
	va_end(ap);
	extra[n] = NULL;
	unlink(r->stats);
	r->pid = fork();
	assert_true(r->pid >= 0);
	if (r->pid == 0)
		exec_agent(r, emulate, extra);
	for (int i = 0; i < 1200 && access(r->stats, R_OK); i++) {
		if (waitpid(r->pid, NULL, WNOHANG) == r->pid) {
			char *e = agent_cli_slurp(r->err);
			fail_msg("warden run exited early: %s", e ? e : "");
		}
		usleep(50 * 1000);
	}
	if (access(r->stats, R_OK))
		fail_msg("warden run did not get ready within a minute");
}

static bool holds_all(const char *line, const char *const *parts)
{
	for (size_t i = 0; parts[i]; i++)
		if (!strstr(line, parts[i]))
			return false;
	return true;
}

static char *find_line(const char *text, const char *const *parts)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char *one = strndup(l, strcspn(l, "\n"));
		if (one && holds_all(one, parts))
			return one;
		free(one);
	}
	return NULL;
}

char *agent_cli_line(struct agent_cli *r, ...)
{
	const char *parts[MAX_ARGS + 1];
	char *line = NULL;
	size_t n = 0;
	va_list ap;

	va_start(ap, r);
	for (const char *a; n < MAX_ARGS && (a = va_arg(ap, const char *));)
		parts[n++] = a;
	va_end(ap);
	parts[n] = NULL;
	for (int i = 0; i < 100 && !line; i++) {
		char *text = agent_cli_slurp(r->out);
		line = find_line(text, parts);
		free(text);
		if (!line)
			usleep(100 * 1000);
	}
	return line;
}

void agent_cli_stop(struct agent_cli *r, const char *want)
{
	char *err;
	int status;

	kill(r->pid, SIGINT);
	assert_int_equal(waitpid(r->pid, &status, 0), r->pid);
	err = agent_cli_slurp(r->err);
	if (!WIFEXITED(status) || WEXITSTATUS(status) || (want && (!err || !strstr(err, want))))
		fail_msg("warden run: status 0x%x, want '%s' in:\n%s", status, want ? want : "",
			 err ? err : "");
	free(err);
}

void agent_cli_done(struct agent_cli *r)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", r->dir);
	assert_int_equal(system(cmd), 0);
}
