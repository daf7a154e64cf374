// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Iterators (group "attach"): tests/bpf/iter.bpf.c attached and read on the
 * running kernel.  The task iterator must list this very process (its tgid,
 * pid and comm, as /proc/self says); the map-element iterator must return
 * exactly the elements the test put in the map.  Error paths: a map
 * iterator without its map, a walk of a link that is no iterator.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "warden/features.h"
#include "warden/warden.h"
#include "warden/link.h"

static struct wd_object *load_iter(const char *prog)
{
	struct wd_object *obj = wd_object_open(wd_test_obj("iter.o"), NULL);
	struct wd_prog *p;
	int err;
	assert_non_null(obj);
	wd_object_for_each_prog(p, obj)
		wd_prog_set_autoload(p, !strcmp(wd_prog_name(p), prog));
	err = wd_object_load(obj, NULL);
	if (err == -EPERM || err == -EINVAL || err == -ENOENT) {
		char why[512];
		snprintf(why, sizeof(why), "%s", wd_errmsg());
		wd_object_close(obj);
		/* iterators came in 5.8; iter/bpf_map_elem in 5.9 */
		WD_SKIP("iterator %s does not load on this kernel: %s", prog, why);
	}
	if (err)
		fail_msg("load %s: %s", prog, wd_errmsg());
	return obj;
}

/* The number of lines "<tgid> <pid> <comm>" equal to this process's. */
static int count_self(const char *text)
{
	char want[64], comm[32];
	int hits = 0;
	wd_test_own_comm(comm, sizeof(comm));
	snprintf(want, sizeof(want), "%d %d %s\n", getpid(), getpid(), comm);
	for (const char *line = text; *line; ) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line + 1) : strlen(line);
		if (len == strlen(want) && !memcmp(line, want, len))
			hits++;
		line += len;
	}
	return hits;
}

static void task_iterator_lists_this_process(void **state)
{
	(void)state;
	struct wd_object *obj = load_iter("dump_task");
	struct wd_link *l = wd_prog_attach(wd_object_prog(obj, "dump_task"));
	char *text = NULL, parent[40];
	size_t len = 0;
	if (!l)
		fail_msg("attach: %s", wd_errmsg());
	assert_string_equal(wd_link_describe(l), "iter task");
	/* two walks of one link: each is complete on its own */
	for (int walk = 0; walk < 2; walk++) {
		assert_int_equal(wd_iter_read_all(l, &text, &len), 0);
		assert_int_equal(strlen(text), len);
		assert_true(len > 0 && text[len - 1] == '\n');
		/* the parent is listed too (task 1 may not be: this host hides it) */
		snprintf(parent, sizeof(parent), "\n%d %d ", getppid(), getppid());
		assert_true(!strncmp(text, parent + 1, strlen(parent + 1)) || strstr(text, parent));
		if (count_self(text) != 1)
			fail_msg("walk %d: pid %d listed %d times in %zu bytes", walk, getpid(),
				 count_self(text), len);
		free(text);
	}
	wd_object_close(obj);
}

/* The fd of wd_iter_create() is read by the caller, in small pieces too. */
static void task_iterator_fd_reads_in_pieces(void **state)
{
	(void)state;
	struct wd_object *obj = load_iter("dump_task");
	struct wd_link *l = wd_prog_attach_iter(wd_object_prog(obj, "dump_task"), NULL);
	char text[1 << 16], piece[7];
	size_t len = 0;
	ssize_t n;
	int fd;
	if (!l)
		fail_msg("attach: %s", wd_errmsg());
	fd = wd_iter_create(l);
	assert_true(fd >= 0);
	while ((n = read(fd, piece, sizeof(piece))) > 0 && len + (size_t)n < sizeof(text)) {
		memcpy(text + len, piece, (size_t)n);
		len += (size_t)n;
	}
	close(fd);
	assert_true(n == 0 || len + 8 > sizeof(text));
	text[len] = '\0';
	if (n == 0)
		assert_int_equal(count_self(text), 1);
	wd_object_close(obj);
}

struct elem { uint32_t key; uint64_t val; } __attribute__((packed));

static void map_elem_iterator_returns_every_element(void **state)
{
	(void)state;
	struct wd_object *obj = load_iter("dump_elem");
	struct wd_map *m = wd_object_map(obj, "walked");
	struct wd_iter_opts o = { .sz = sizeof(o), .map_fd = wd_map_fd(m) };
	uint64_t seen = 0;
	struct wd_link *l;
	char *out = NULL;
	size_t len = 0;
	for (uint32_t k = 1; k <= 5; k++) {
		uint64_t v = (uint64_t)k * 1000 + 7;
		assert_int_equal(wd_map_update(m, &k, &v, 0), 0);
	}
	l = wd_prog_attach_iter(wd_object_prog(obj, "dump_elem"), &o);
	if (!l)
		fail_msg("attach: %s", wd_errmsg());
	assert_int_equal(wd_iter_read_all(l, &out, &len), 0);
	assert_int_equal(len, 5 * sizeof(struct elem));
	for (size_t i = 0; i < 5; i++) {
		struct elem e;
		memcpy(&e, out + i * sizeof(e), sizeof(e));
		assert_true(e.key >= 1 && e.key <= 5);
		assert_int_equal(e.val, (uint64_t)e.key * 1000 + 7);
		seen |= 1u << e.key;
	}
	assert_int_equal(seen, 0x3e);
	free(out);
	wd_object_close(obj);
}

static void map_iterator_without_map_names_the_option(void **state)
{
	(void)state;
	struct wd_object *obj = load_iter("dump_elem");
	errno = 0;
	assert_null(wd_prog_attach(wd_object_prog(obj, "dump_elem")));
	assert_true(errno == EBADF || errno == EINVAL);
	printf("# %s\n", wd_errmsg());
	assert_non_null(strstr(wd_errmsg(), "iter bpf_map_elem"));
	assert_non_null(strstr(wd_errmsg(), "opts.map_fd"));
	wd_object_close(obj);
}

/* A raw_tp link is a bpf link but no iterator: the kernel says EINVAL. */
static void walk_of_a_non_iterator_link_fails_naming_it(void **state)
{
	(void)state;
	struct wd_object *obj = wd_object_open(wd_test_obj("attach_trace.o"), NULL);
	struct wd_prog *p;
	struct wd_link *l;
	char *out = (char *)1;
	assert_non_null(obj);
	wd_object_for_each_prog(p, obj)
		wd_prog_set_autoload(p, !strcmp(wd_prog_name(p), "raw_getpid"));
	assert_int_equal(wd_object_load(obj, NULL), 0);
	l = wd_prog_attach(wd_object_prog(obj, "raw_getpid"));
	assert_non_null(l);
	assert_int_equal(wd_iter_create(l), -EINVAL);
	assert_non_null(strstr(wd_errmsg(), "not an iterator link"));
	assert_non_null(strstr(wd_errmsg(), "raw_tp sys_enter"));
	assert_int_equal(wd_iter_read_all(l, &out, NULL), -EINVAL);
	assert_null(out);
	assert_int_equal(wd_iter_read_all(NULL, &out, NULL), -EINVAL);
	/* and an iterator attach of a program that is not one */
	assert_null(wd_prog_attach_iter(wd_object_prog(obj, "raw_getpid"), NULL));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(wd_errmsg(), "not an iterator"));
	wd_object_close(obj);
}

static const struct CMUnitTest iter_tests[] = {
	cmocka_unit_test(task_iterator_lists_this_process),
	cmocka_unit_test(task_iterator_fd_reads_in_pieces),
	cmocka_unit_test(map_elem_iterator_returns_every_element),
	cmocka_unit_test(map_iterator_without_map_names_the_option),
	cmocka_unit_test(walk_of_a_non_iterator_link_fails_naming_it),
};

WD_TEST_SET(iter_set, "attach", iter_tests);
