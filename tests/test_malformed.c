// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Malformed objects (issue 13): each case takes a test object, breaks one
 * thing in its bytes, and expects open to fail with one line naming the
 * cause, the process's fd count unchanged.  Then truncation at every section
 * boundary, legacy map definitions of every wrong size, raw BTF cases, and
 * the fuzz findings kept in fuzz/regress/ (replayed here).
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"
#include "spec/btf.h"
#include "spec/spec.h"
#include "load/core.h"
#include "sys/error.h"
#include "warden/warden.h"

struct blob { uint8_t *b; size_t n; };

static struct blob read_obj(const char *name)
{
	struct blob o = { 0 };
	struct stat st;
	int fd = open(wd_test_obj(name), O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	o.n = st.st_size;
	o.b = malloc(o.n);
	assert_non_null(o.b);
	assert_int_equal(read(fd, o.b, o.n), (ssize_t)o.n);
	close(fd);
	return o;
}

static Elf64_Shdr *shdr(struct blob *o, size_t i)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)o->b;
	return (Elf64_Shdr *)(o->b + eh->e_shoff) + i;
}

static size_t nr_shdrs(struct blob *o)
{
	return ((Elf64_Ehdr *)o->b)->e_shnum;
}

static const char *shname(struct blob *o, size_t i)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)o->b;
	return (const char *)o->b + shdr(o, eh->e_shstrndx)->sh_offset + shdr(o, i)->sh_name;
}

static Elf64_Shdr *sec_by_name(struct blob *o, const char *name)
{
	for (size_t i = 1; i < nr_shdrs(o); i++)
		if (!strcmp(shname(o, i), name))
			return shdr(o, i);
	fail_msg("no section '%s' in the test object", name);
	return NULL;
}

static Elf64_Shdr *sec_by_type(struct blob *o, uint32_t type)
{
	for (size_t i = 1; i < nr_shdrs(o); i++)
		if (shdr(o, i)->sh_type == type)
			return shdr(o, i);
	fail_msg("no section of type %u", type);
	return NULL;
}

/* The relocation section of the first code section. */
static Elf64_Shdr *code_rel(struct blob *o)
{
	for (size_t i = 1; i < nr_shdrs(o); i++)
		if (shdr(o, i)->sh_type == SHT_REL && (shdr(o, shdr(o, i)->sh_info)->sh_flags & SHF_EXECINSTR))
			return shdr(o, i);
	fail_msg("no code relocations");
	return NULL;
}

static Elf64_Sym *sym_by_name(struct blob *o, const char *name)
{
	Elf64_Shdr *st = sec_by_type(o, SHT_SYMTAB);
	const char *strs = (const char *)o->b + shdr(o, st->sh_link)->sh_offset;
	Elf64_Sym *s = (Elf64_Sym *)(o->b + st->sh_offset);
	for (size_t i = 0; i < st->sh_size / sizeof(*s); i++)
		if (!strcmp(strs + s[i].st_name, name))
			return &s[i];
	fail_msg("no symbol '%s'", name);
	return NULL;
}

/* The SECTION symbol of the section holding `func`. */
static Elf64_Sym *section_sym_of(struct blob *o, const char *func)
{
	Elf64_Shdr *st = sec_by_type(o, SHT_SYMTAB);
	Elf64_Sym *s = (Elf64_Sym *)(o->b + st->sh_offset), *f = sym_by_name(o, func);
	for (size_t i = 0; i < st->sh_size / sizeof(*s); i++)
		if (ELF64_ST_TYPE(s[i].st_info) == STT_SECTION && s[i].st_shndx == f->st_shndx)
			return &s[i];
	fail_msg("no section symbol");
	return NULL;
}

/* One line, not empty, no dangling "...: ", no raw control character. */
static void assert_one_line(const char *m)
{
	size_t n = strlen(m);
	assert_true(n > 0);
	assert_false(m[n - 1] == ' ' || m[n - 1] == ':');
	for (const unsigned char *p = (const unsigned char *)m; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			fail_msg("control character 0x%02x in '%s'", *p, m);
}

/* open must fail with a message holding `expect`; fds unchanged. */
static void expect_open_error(const struct blob *o, size_t n, const char *expect, const char *what)
{
	struct wd_open_opts oo = { .sz = sizeof(oo), .name = "bad.o" };
	int before = wd_test_fd_count(0);
	struct wd_object *obj = wd_object_open_mem(o->b, n, &oo);
	if (obj) {
		wd_object_close(obj);
		fail_msg("%s: opened, expected '%s'", what, expect);
	}
	const char *m = wd_errmsg();
	assert_one_line(m);
	if (expect && !strstr(m, expect))
		fail_msg("%s: '%s' does not say '%s'", what, m, expect);
	assert_int_equal(wd_test_fd_count(0), before);
}

/* ---- the table: one case per class ----------------------------------------- */

typedef void (*mutate_fn)(struct blob *o);

static void rodata_lies(struct blob *o) { sec_by_name(o, ".rodata")->sh_size = 0xfffffffe; }
static void bss_2g(struct blob *o) { sec_by_name(o, ".bss")->sh_size = 0x7fffffff; }
static void bss_2_40(struct blob *o) { sec_by_name(o, ".bss")->sh_size = 1ull << 40; }
static void data_2_40(struct blob *o) { sec_by_name(o, ".data")->sh_size = 1ull << 40; }
static void license_past_end(struct blob *o) { sec_by_name(o, "license")->sh_offset = o->n - 2; }
static void sections_overlap(struct blob *o)
{
	sec_by_name(o, "license")->sh_offset = sec_by_name(o, "xdp")->sh_offset;
}
static void prog_sec_zeroed(struct blob *o)
{
	Elf64_Shdr *s = sec_by_name(o, "xdp");
	uint32_t name = s->sh_name;
	memset(s, 0, sizeof(*s));
	s->sh_name = name;
}
static void symtab_entsize(struct blob *o) { sec_by_type(o, SHT_SYMTAB)->sh_entsize = 1; }
static void symtab_bad_link(struct blob *o) { sec_by_type(o, SHT_SYMTAB)->sh_link = 0; }
static void rel_entsize(struct blob *o) { code_rel(o)->sh_entsize = 8; }
static void rel_bad_link(struct blob *o) { code_rel(o)->sh_link = 0; }
static void rel_size_odd(struct blob *o) { code_rel(o)->sh_size -= 3; }
static void rel_sym_past_table(struct blob *o)
{
	Elf64_Rel *r = (Elf64_Rel *)(o->b + code_rel(o)->sh_offset);
	r->r_info = ELF64_R_INFO(0xffff, ELF64_R_TYPE(r->r_info));
}
static void section_sym_as_func(struct blob *o)
{
	Elf64_Sym *s = section_sym_of(o, "legacy_count");
	s->st_info = ELF64_ST_INFO(STB_LOCAL, STT_FUNC);
}
static void func_without_insns(struct blob *o)
{
	Elf64_Sym *f = sym_by_name(o, "legacy_count");
	f->st_value = sec_by_name(o, "xdp")->sh_size;
	f->st_size = 0;
}
static void func_outside(struct blob *o) { sym_by_name(o, "legacy_count")->st_size += 8; }
static void func_name_past_strtab(struct blob *o) { sym_by_name(o, "legacy_count")->st_name = 0xfffffff0; }
static void section_name_with_newline(struct blob *o)
{
	/* "xdp" -> "x\ndp"-like: a newline and an ESC in the name of a section
	 * that then fails (its header zeroed) */
	Elf64_Shdr *s = sec_by_name(o, "xdp");
	char *name = (char *)o->b + shdr(o, ((Elf64_Ehdr *)o->b)->e_shstrndx)->sh_offset + s->sh_name;
	name[1] = '\n';
	name[2] = 0x1b;
	s->sh_type = SHT_NULL;
}
static void not_bpf(struct blob *o) { ((Elf64_Ehdr *)o->b)->e_machine = EM_X86_64; }
static void shstrndx_past(struct blob *o) { ((Elf64_Ehdr *)o->b)->e_shstrndx = 0x7fff; }

struct mcase {
	const char *obj;
	mutate_fn mutate;
	const char *expect;
	const char *what;
};

static const struct mcase cases[] = {
	{ "globals.o", rodata_lies, "section '.rodata': 4294967294 bytes at offset", ".rodata 0xfffffffe" },
	{ "globals.o", bss_2g, "section '.bss': 2147483647 bytes of global data", ".bss 0x7fffffff" },
	{ "globals.o", bss_2_40, "section '.bss': 1099511627776 bytes", ".bss 2^40" },
	{ "globals.o", data_2_40, "section '.data': 1099511627776 bytes at offset", ".data 2^40" },
	{ "legacy_maps.o", license_past_end, "section 'license'", "offset past the end" },
	{ "legacy_maps.o", sections_overlap, "overlap", "overlapping sections" },
	{ "legacy_maps.o", prog_sec_zeroed, "function 'legacy_count': its section 'xdp' holds no instructions",
	  "zeroed program section header" },
	{ "legacy_maps.o", symtab_entsize, "section '.symtab': entry size 1", "symtab entsize" },
	{ "legacy_maps.o", symtab_bad_link, "string table (sh_link 0)", "symtab sh_link" },
	{ "legacy_maps.o", rel_entsize, "section '.relxdp': entry size 8", "rel entsize" },
	{ "legacy_maps.o", rel_size_odd, "section '.relxdp': entry size 16", "rel size not whole" },
	{ "legacy_maps.o", rel_bad_link, "section '.relxdp': relocations against section 0", "rel sh_link" },
	{ "legacy_maps.o", rel_sym_past_table, "symbol index 65535 past the symbol table", "symbol index" },
	{ "legacy_maps.o", section_sym_as_func, "has no name", "SECTION symbol turned FUNC" },
	{ "legacy_maps.o", func_without_insns, "function 'legacy_count' in section 'xdp' has no instructions",
	  "program symbol without instructions" },
	{ "legacy_maps.o", func_outside, "function 'legacy_count' lies outside section 'xdp'", "func size" },
	{ "legacy_maps.o", func_name_past_strtab, "has no name (string offset 4294967280)", "symbol name" },
	{ "legacy_maps.o", section_name_with_newline, "section 'x\\n\\x1b' holds", "control characters escaped" },
	{ "legacy_maps.o", not_bpf, "not BPF", "machine" },
	{ "legacy_maps.o", shstrndx_past, "bad header or name offset", "shstrndx" },
};

static void malformed_objects_each_give_their_one_line_error(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct blob o = read_obj(cases[i].obj);
		cases[i].mutate(&o);
		expect_open_error(&o, o.n, cases[i].expect, cases[i].what);
		printf("# %-36s %s\n", cases[i].what, wd_errmsg());
		free(o.b);
	}
	/* an empty buffer */
	expect_open_error(&(struct blob){ (uint8_t *)"", 0 }, 0, "'bad.o': empty buffer", "empty");
}

/* Truncated at every section's start and end: refused, never read past. */
static void truncation_at_every_section_boundary(void **state)
{
	(void)state;
	const char *objs[] = { "legacy_maps.o", "globals.o", "core_fields.o" };
	int n = 0;
	for (size_t k = 0; k < sizeof(objs) / sizeof(objs[0]); k++) {
		struct blob o = read_obj(objs[k]);
		for (size_t i = 1; i < nr_shdrs(&o); i++) {
			Elf64_Shdr *s = shdr(&o, i);
			size_t cuts[] = { s->sh_offset, s->sh_offset + s->sh_size / 2,
					  s->sh_offset + s->sh_size };
			for (size_t c = 0; c < 3; c++) {
				if (cuts[c] >= o.n || !cuts[c])
					continue;
				/* a copy of exactly that length, so ASan sees any read past it */
				struct blob t = { malloc(cuts[c]), cuts[c] };
				memcpy(t.b, o.b, t.n);
				expect_open_error(&t, t.n, NULL, "truncated");
				free(t.b);
				n++;
			}
		}
		free(o.b);
	}
	printf("# %d truncations refused\n", n);
	assert_true(n > 50);
}

/* struct bpf_map_def is 20 bytes: every shorter or uneven 'maps' section. */
static void legacy_map_definitions_of_every_wrong_size(void **state)
{
	(void)state;
	struct blob o = read_obj("legacy_maps.o");
	uint64_t good = sec_by_name(&o, "maps")->sh_size;
	for (uint64_t size = 0; size < good; size++) {
		struct blob t = { malloc(o.n), o.n };
		memcpy(t.b, o.b, o.n);
		sec_by_name(&t, "maps")->sh_size = size;
		expect_open_error(&t, t.n, "map", "legacy map size");
		free(t.b);
	}
	free(o.b);
}

/* ---- raw BTF ----------------------------------------------------------------- */

struct raw_btf {
	struct btf_header h;
	uint32_t types[64];
};

static size_t btf_build(struct raw_btf *r, const uint32_t *types, size_t ntypes_words,
			const char *strs, size_t strs_len)
{
	memset(r, 0, sizeof(*r));
	r->h.magic = BTF_MAGIC;
	r->h.version = BTF_VERSION;
	r->h.hdr_len = sizeof(r->h);
	r->h.type_off = 0;
	r->h.type_len = ntypes_words * 4;
	r->h.str_off = r->h.type_len;
	r->h.str_len = strs_len;
	memcpy(r->types, types, r->h.type_len);
	memcpy((uint8_t *)r->types + r->h.type_len, strs, strs_len);
	return sizeof(r->h) + r->h.type_len + strs_len;
}

static void btf_loops_and_bad_offsets(void **state)
{
	(void)state;
	struct raw_btf r;
	struct wd_btf *btf;
	/* [1] const -> [2], [2] volatile -> [1]: a loop without a pointer */
	const uint32_t loop[] = { 0, BTF_INFO_ENC(BTF_KIND_CONST, 0, 0), 2,
				  0, BTF_INFO_ENC(BTF_KIND_VOLATILE, 0, 0), 1 };
	size_t n = btf_build(&r, loop, 6, "\0a", 3);
	btf = wd_btf_parse(&r, n, NULL);
	assert_non_null(btf);
	assert_int_equal(wd_btf_skip_mods(btf, 1, true), 0);
	assert_true(wd_btf_size(btf, 1) < 0); /* no size, and no endless walk */
	wd_btf_free(btf);
	/* an array of itself */
	const uint32_t arr[] = { 0, BTF_INFO_ENC(BTF_KIND_ARRAY, 0, 0), 0, 1, 1, 5 };
	n = btf_build(&r, arr, 6, "\0", 1);
	btf = wd_btf_parse(&r, n, NULL);
	assert_non_null(btf);
	assert_true(wd_btf_size(btf, 1) < 0);
	wd_btf_free(btf);
	/* a name offset past the strings */
	const uint32_t far[] = { 100, BTF_INFO_ENC(BTF_KIND_INT, 0, 0), 4, BTF_INT_ENC(0, 0, 32) };
	n = btf_build(&r, far, 4, "\0int", 5);
	wd_err_clear();
	assert_null(wd_btf_parse(&r, n, NULL));
	assert_one_line(wd_errmsg());
	assert_non_null(strstr(wd_errmsg(), "name offset 100 past the string section"));
	/* types and strings overlapping (found by fuzz_btf) */
	n = btf_build(&r, far, 4, "\0int", 5);
	r.h.str_off = 4;
	r.h.str_len = 4;
	((uint8_t *)r.types)[7] = 0;
	wd_err_clear();
	assert_null(wd_btf_parse(&r, n, NULL));
	assert_non_null(strstr(wd_errmsg(), "overlap"));
	/* a type record cut short */
	n = btf_build(&r, far, 3, "\0", 1);
	wd_err_clear();
	assert_null(wd_btf_parse(&r, n, NULL));
	assert_one_line(wd_errmsg());
}

/* ---- fuzz findings, replayed ------------------------------------------------- */

static int replay_dir(const char *dir, int (*feed)(const uint8_t *, size_t))
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	while (d && (de = readdir(d))) {
		char path[512];
		struct stat st;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		assert_true(fd >= 0 && fstat(fd, &st) == 0);
		uint8_t *b = malloc(st.st_size ? st.st_size : 1);
		assert_int_equal(read(fd, b, st.st_size), st.st_size);
		close(fd);
		if (feed(b, st.st_size))
			fail_msg("%s: %s", path, wd_errmsg());
		free(b);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* 0 when the parser answered well: parsed, or one-line error. */
static int feed_elf(const uint8_t *b, size_t n)
{
	struct wd_spec *spec = NULL;
	wd_err_clear();
	if (wd_spec_parse(b, n, "regress.o", &spec) == 0) {
		wd_spec_free(spec);
		return 0;
	}
	assert_one_line(wd_errmsg());
	return 0;
}

/* fuzz_core's findings: every CO-RE relocation resolved against this
 * kernel's BTF; a failure must still give one line. */
static int feed_core(const uint8_t *b, size_t n)
{
	struct wd_core_targets t;
	struct wd_spec *spec = NULL;
	char desc[512];
	if (feed_elf(b, n) || wd_spec_parse(b, n, "regress.o", &spec))
		return 0;
	if (!spec->btf || access("/sys/kernel/btf/vmlinux", R_OK) ||
	    wd_core_targets_init(&t, "/sys/kernel/btf/vmlinux")) {
		wd_spec_free(spec);
		return 0;
	}
	t.modules = false;
	for (size_t i = 0; i < spec->nr_secs; i++)
		for (size_t k = 0; k < spec->secs[i].nr_core_relos; k++) {
			struct wd_core_res res;
			if (wd_core_resolve(spec->btf, &spec->secs[i].core_relos[k], &t, &res, desc,
					    sizeof(desc)) < 0) {
				assert_one_line(wd_errmsg());
				assert_string_not_equal(wd_errmsg(), "no error"); /* a cause */
			}
		}
	wd_core_targets_free(&t);
	wd_spec_free(spec);
	return 0;
}

static int feed_btf(const uint8_t *b, size_t n)
{
	struct wd_btf_support none = { 0 };
	size_t sz;
	wd_err_clear();
	struct wd_btf *btf = wd_btf_parse(b, n, NULL);
	if (!btf) {
		assert_one_line(wd_errmsg());
		return 0;
	}
	for (uint32_t id = 1; id < wd_btf_type_cnt(btf); id++)
		wd_btf_size(btf, id);
	free(wd_btf_sanitized(btf, &none, &sz));
	wd_btf_free(btf);
	return 0;
}

static void fuzz_findings_replay(void **state)
{
	(void)state;
	const char *src = getenv("WARDEN_SRC_DIR");
	char dir[400];
	int n = 0;
	snprintf(dir, sizeof(dir), "%s/fuzz/regress", src ? src : ".");
	if (access(dir, R_OK))
		WD_SKIP("no %s (run from the source tree or set WARDEN_SRC_DIR)", dir);
	snprintf(dir, sizeof(dir), "%s/fuzz/regress/elf", src ? src : ".");
	n += replay_dir(dir, feed_elf);
	snprintf(dir, sizeof(dir), "%s/fuzz/regress/core", src ? src : ".");
	n += replay_dir(dir, feed_core);
	snprintf(dir, sizeof(dir), "%s/fuzz/regress/btf", src ? src : ".");
	n += replay_dir(dir, feed_btf);
	printf("# %d fuzz findings replayed\n", n);
	assert_true(n > 0);
}

static const struct CMUnitTest malformed_tests[] = {
	cmocka_unit_test(malformed_objects_each_give_their_one_line_error),
	cmocka_unit_test(truncation_at_every_section_boundary),
	cmocka_unit_test(legacy_map_definitions_of_every_wrong_size),
	cmocka_unit_test(btf_loops_and_bad_offsets),
	cmocka_unit_test(fuzz_findings_replay),
};
WD_TEST_SET(malformed_set, "loader", malformed_tests);
