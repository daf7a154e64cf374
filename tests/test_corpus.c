// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Real-world differential test: BPF objects written by others (the kernel's
 * BPF selftests and samples from Debian's linux-source-6.1, built by
 * tests/corpus/build.sh into BUILD/tests/data/corpus/) loaded with
 * `warden load --pin` and with `bpftool prog loadall` (libbpf).  For each
 * object both load: the same program set, and per program the same type,
 * tag, translated instructions (map ids masked: compared by map name) and
 * func_info/line_info counts.  For an object both refuse: warden's one-line
 * error is printed.  The closing line counts tried/built/compared/identical.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "sys/sys.h"
#include "warden/warden.h"

#define MAX_PROGS 64

struct pinned_prog {
	char name[128];
	struct bpf_prog_info info;
	struct bpf_insn *insns;
	uint32_t cnt;
};

struct loaded {
	struct pinned_prog progs[MAX_PROGS];
	int n;
};

static void corpus_dir(char *buf, size_t size)
{
	const char *obj = getenv("WARDEN_OBJ_DIR");
	snprintf(buf, size, "%s/../tests/data/corpus", obj ? obj : "build/bpf");
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct pinned_prog *)a)->name, ((const struct pinned_prog *)b)->name);
}

static int prog_info(int fd, struct pinned_prog *p)
{
	uint32_t len = sizeof(p->info);
	memset(&p->info, 0, sizeof(p->info));
	if (wd_sys_obj_info(fd, &p->info, &len))
		return -1;
	p->cnt = p->info.xlated_prog_len / sizeof(struct bpf_insn);
	p->insns = calloc(p->cnt ? p->cnt : 1, sizeof(struct bpf_insn));
	struct bpf_prog_info again;
	memset(&again, 0, sizeof(again));
	again.xlated_prog_len = p->cnt * sizeof(struct bpf_insn);
	again.xlated_prog_insns = ptr_to_u64(p->insns);
	len = sizeof(again);
	return wd_sys_obj_info(fd, &again, &len);
}

/* Every pinned program directly under DIR (DIR/maps is skipped). */
static int read_pinned(const char *dir, struct loaded *l)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];
	l->n = 0;
	if (!d)
		return -errno;
	while ((e = readdir(d)) && l->n < MAX_PROGS) {
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_name[0] == '.' || stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		int fd = wd_sys_obj_get(path, 0);
		if (fd < 0)
			continue;
		struct pinned_prog *p = &l->progs[l->n];
		snprintf(p->name, sizeof(p->name), "%s", e->d_name);
		if (prog_info(fd, p) == 0)
			l->n++;
		else
			free(p->insns);
		close(fd);
	}
	closedir(d);
	qsort(l->progs, l->n, sizeof(l->progs[0]), cmp_name);
	return 0;
}

static void free_loaded(struct loaded *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->progs[i].insns);
	l->n = 0;
}

static void map_name_by_id(uint32_t id, char *name, size_t size)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	int fd = wd_sys_get_fd_by_id(BPF_MAP_GET_FD_BY_ID, id);
	memset(&info, 0, sizeof(info));
	snprintf(name, size, "?id%u", id);
	if (fd >= 0 && wd_sys_obj_info(fd, &info, &len) == 0)
		snprintf(name, size, "%s", info.name);
	if (fd >= 0)
		close(fd);
}

/* "" when the same, else why (one phrase). */
static void compare_prog(const struct pinned_prog *w, const struct pinned_prog *l, char *why, size_t size)
{
	why[0] = '\0';
	if (w->info.type != l->info.type) {
		snprintf(why, size, "type %u vs %u", w->info.type, l->info.type);
		return;
	}
	if (w->info.nr_func_info != l->info.nr_func_info || w->info.nr_line_info != l->info.nr_line_info) {
		snprintf(why, size, "func_info/line_info %u/%u vs %u/%u", w->info.nr_func_info,
			 w->info.nr_line_info, l->info.nr_func_info, l->info.nr_line_info);
		return;
	}
	if (w->cnt != l->cnt) {
		snprintf(why, size, "%u vs %u instructions", w->cnt, l->cnt);
		return;
	}
	bool maps_masked = false;
	for (uint32_t i = 0; i < w->cnt; i++) {
		const struct bpf_insn *x = &w->insns[i], *y = &l->insns[i];
		bool ld64 = x->code == (BPF_LD | BPF_IMM | BPF_DW);
		if (ld64 && i + 1 < w->cnt && x->src_reg == y->src_reg &&
		    (x->src_reg == BPF_PSEUDO_MAP_FD || x->src_reg == BPF_PSEUDO_MAP_VALUE)) {
			char n1[32], n2[32];
			map_name_by_id(x->imm, n1, sizeof(n1));
			map_name_by_id(y->imm, n2, sizeof(n2));
			if (strcmp(n1, n2) || x[1].imm != y[1].imm) {
				snprintf(why, size, "insn %u: map %s+%d vs %s+%d", i, n1, x[1].imm, n2, y[1].imm);
				return;
			}
			maps_masked = true;
			i++;
			continue;
		}
		if (ld64 && x->src_reg == BPF_PSEUDO_FUNC && y->src_reg == BPF_PSEUDO_FUNC) {
			i++;
			continue;
		}
		if (memcmp(x, y, sizeof(*x))) {
			snprintf(why, size, "insn %u: code 0x%02x/0x%02x imm %d/%d off %d/%d", i,
				 x->code, y->code, x->imm, y->imm, x->off, y->off);
			return;
		}
	}
	/* The tag hashes the instructions with map fds replaced by 0 and map
	 * values by their offset: equal instructions give equal tags unless
	 * maps were masked above (ids differ by nature). */
	if (!maps_masked && memcmp(w->info.tag, l->info.tag, sizeof(w->info.tag)))
		snprintf(why, size, "tags differ");
}

/* The last line "warden: load: ..." of warden's output. */
static void warden_error_line(const char *out, char *line, size_t size)
{
	const char *best = NULL;
	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, "warden: load:", 13))
			best = p;
	if (!best) {
		snprintf(line, size, "(no error line)");
		return;
	}
	size_t n = strcspn(best, "\n");
	snprintf(line, size, "%.*s", (int)(n < size ? n : size - 1), best);
}

static void rm_rf(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	wd_test_run(cmd, NULL);
}

/* Maps with LIBBPF_PIN_BY_NAME are pinned at /sys/fs/bpf/<map> by both
 * loaders (and reused by the second): what appeared during one object's
 * run is removed after it, so no object sees another's pins and nothing
 * stays behind. */
struct top_pins {
	char **names;
	int n;
};

static void top_pins_read(struct top_pins *p)
{
	DIR *d = opendir("/sys/fs/bpf");
	struct dirent *e;
	p->names = NULL;
	p->n = 0;
	while (d && (e = readdir(d))) {
		char **g = realloc(p->names, (p->n + 1) * sizeof(*g));
		if (!g)
			break;
		p->names = g;
		p->names[p->n++] = strdup(e->d_name);
	}
	if (d)
		closedir(d);
}

static void top_pins_free(struct top_pins *p)
{
	for (int i = 0; i < p->n; i++)
		free(p->names[i]);
	free(p->names);
}

static void remove_new_top_pins(const struct top_pins *before)
{
	struct top_pins now;
	top_pins_read(&now);
	for (int i = 0; i < now.n; i++) {
		bool old = false;
		for (int k = 0; k < before->n && !old; k++)
			old = before->names[k] && now.names[i] && !strcmp(before->names[k], now.names[i]);
		char path[512];
		struct stat st;
		snprintf(path, sizeof(path), "/sys/fs/bpf/%s", now.names[i] ? now.names[i] : ".");
		if (!old && stat(path, &st) == 0 && S_ISREG(st.st_mode))
			unlink(path);
	}
	top_pins_free(&now);
}

struct tally {
	int tried, built, compared, identical, differ, libbpf_only, warden_only, both_refuse;
};

/* 1 identical, 0 differs (printed), -1 not compared (printed). */
static int diff_one(const char *bpftool, const char *obj, const char *name, struct tally *t)
{
	char wdir[128], ldir[128], cmd[1024], line[600], *wout = NULL, *lout = NULL;
	struct loaded w, l;
	int rc_w, rc_l, result = 1;
	snprintf(wdir, sizeof(wdir), "/sys/fs/bpf/wd-corpus-w-%d", getpid());
	snprintf(ldir, sizeof(ldir), "/sys/fs/bpf/wd-corpus-l-%d", getpid());
	rm_rf(wdir);
	rm_rf(ldir);
	struct top_pins before;
	top_pins_read(&before);
	/* warden first: it mounts /sys/fs/bpf where a guest has none */
	snprintf(cmd, sizeof(cmd), "%s load --pin %s %s", wd_test_cli(), wdir, obj);
	rc_w = wd_test_run(cmd, &wout);
	snprintf(cmd, sizeof(cmd), "%s prog loadall %s %s", bpftool, obj, ldir);
	rc_l = wd_test_run(cmd, &lout);
	warden_error_line(wout ? wout : "", line, sizeof(line));
	if (rc_w && rc_l) {
		t->both_refuse++;
		printf("corpus: %-48s both refuse; %s\n", name, line);
		result = -1;
	} else if (rc_w) {
		t->libbpf_only++;
		printf("corpus: %-48s DIFFERS: libbpf loads, warden refuses: %s\n", name, line);
		result = 0;
	} else if (rc_l) {
		t->warden_only++;
		printf("corpus: %-48s warden loads, libbpf refuses\n", name);
		result = -1;
	} else {
		char why[200] = "";
		read_pinned(wdir, &w);
		read_pinned(ldir, &l);
		t->compared++;
		if (w.n != l.n)
			snprintf(why, sizeof(why), "%d vs %d programs", w.n, l.n);
		for (int i = 0; !why[0] && i < w.n; i++) {
			if (strcmp(w.progs[i].name, l.progs[i].name)) {
				snprintf(why, sizeof(why), "program '%s' vs '%s'", w.progs[i].name, l.progs[i].name);
				break;
			}
			char d[160];
			compare_prog(&w.progs[i], &l.progs[i], d, sizeof(d));
			if (d[0])
				snprintf(why, sizeof(why), "program '%s': %s", w.progs[i].name, d);
		}
		if (why[0]) {
			t->differ++;
			printf("corpus: %-48s DIFFERS: %s\n", name, why);
			result = 0;
		} else {
			t->identical++;
		}
		free_loaded(&w);
		free_loaded(&l);
	}
	fflush(stdout);
	free(wout);
	free(lout);
	rm_rf(wdir);
	rm_rf(ldir);
	remove_new_top_pins(&before);
	top_pins_free(&before);
	return result;
}

/* tried/built as tests/corpus/build.sh counted them (corpus/summary), and
 * the kernel it selected the objects on. */
static void read_build_counts(const char *dir, struct tally *t, char *kernel, size_t size)
{
	char path[512], fmt[64];
	int kept;
	kernel[0] = '\0';
	snprintf(path, sizeof(path), "%s/summary", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	snprintf(fmt, sizeof(fmt), "tried %%d built %%d kept %%d kernel %%%zus", size - 1);
	if (fscanf(f, fmt, &t->tried, &t->built, &kept, kernel) < 2)
		t->tried = t->built = 0;
	fclose(f);
}

/* Every object on the kernel the corpus was selected on.  In the guests
 * (TCG: 2-3 s an object, all took 15 min on 5.10) every 8th, and no
 * new object after GUEST_BUDGET_S seconds, so that make check stays short
 * and the group ends before its timeout; WARDEN_CORPUS_ALL=1 runs them all. */
#define GUEST_STRIDE 8
#define GUEST_BUDGET_S 120
static bool corpus_all(void)
{
	const char *all = getenv("WARDEN_CORPUS_ALL");
	return all && !strcmp(all, "1");
}

static int corpus_stride(const char *selected_on, const char *release)
{
	if (corpus_all() || !selected_on[0] || !strcmp(selected_on, release))
		return 1;
	return GUEST_STRIDE;
}

static void corpus_loads_like_libbpf(void **state)
{
	(void)state;
	char dir[512], bpftool[600], path[1100];
	struct tally t = { 0 };
	struct utsname u;
	corpus_dir(dir, sizeof(dir));
	if (access(dir, F_OK) && access("tests/corpus/build.sh", X_OK) == 0) {
		/* on the host: build (or copy from the cache) now */
		char cmd[1200];
		snprintf(cmd, sizeof(cmd), "tests/corpus/build.sh %s/..", getenv("WARDEN_OBJ_DIR") ?
			 getenv("WARDEN_OBJ_DIR") : "build/bpf");
		char *out = NULL;
		if (wd_test_run(cmd, &out))
			printf("corpus: build.sh failed:\n%s\n", out ? out : "");
		free(out);
	}
	if (access(dir, F_OK))
		WD_SKIP("no corpus at %s: run tests/corpus/build.sh BUILD_DIR (needs network once)", dir);
	snprintf(bpftool, sizeof(bpftool), "%s/bpftool", dir);
	if (access(bpftool, X_OK))
		snprintf(bpftool, sizeof(bpftool), "bpftool");
	char selected_on[128];
	read_build_counts(dir, &t, selected_on, sizeof(selected_on));
	uname(&u);
	int stride = corpus_stride(selected_on, u.release), run = 0;
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	assert_true(n >= 0);
	int bad = 0, objects = 0, over_budget = 0;
	time_t start = time(NULL);
	for (int i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		size_t len = strlen(nm);
		bool pick = len > 2 && !strcmp(nm + len - 2, ".o") && objects++ % stride == 0;
		if (pick && stride > 1 && time(NULL) - start > GUEST_BUDGET_S) {
			over_budget++;
			pick = false;
		}
		if (pick) {
			snprintf(path, sizeof(path), "%s/%s", dir, nm);
			run++;
			if (diff_one(bpftool, path, nm, &t) == 0)
				bad++;
		}
		free(ents[i]);
	}
	free(ents);
	if (stride > 1)
		printf("corpus: %d of %d objects run here (every %dth%s; WARDEN_CORPUS_ALL=1 for all)\n",
		       run, objects, stride, over_budget ? ", then the time budget ran out" : "");
	printf("corpus on %s: tried %d, built %d, selected %d; compared %d, identical %d, "
	       "differ %d; libbpf only %d, warden only %d, both refuse %d\n",
	       u.release, t.tried, t.built, objects, t.compared, t.identical, t.differ,
	       t.libbpf_only, t.warden_only, t.both_refuse);
	fflush(stdout);
	if (!objects)
		WD_SKIP("the corpus at %s is empty", dir);
	if (bad)
		fail_msg("%d of %d objects load differently under warden than under libbpf (see above)",
			 bad, objects);
}

static const struct CMUnitTest corpus_tests[] = {
	cmocka_unit_test(corpus_loads_like_libbpf),
};
WD_TEST_SET(wd_tests_corpus, "corpus", corpus_tests);
