// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * uprobe/uretprobe on <binary>:<symbol>[+off] or a file offset, for one
 * process or all: the uprobe PMU (4.17; config1 = path, config2 = file
 * offset), else an uprobe_events entry named for crash cleanup.  The symbol
 * comes from the binary's .symtab (or .dynsym), and its virtual address
 * becomes a file offset through the PT_LOAD program header that holds it.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "attach.h"

static void copy_opts(struct wd_uprobe_opts *o, const struct wd_uprobe_opts *in)
{
	memset(o, 0, sizeof(*o));
	o->pid = -1;
	wd_opts_copy(o, sizeof(*o), in);
	o->sz = sizeof(*o);
}

struct sym_hit {
	uint64_t vaddr;
	int binding;      /* STB_* of the best match so far, -1 none */
	bool ambiguous;   /* two local symbols of that name at different places */
};

static void scan_symtab(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, const char *name,
			struct sym_hit *hit)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
	for (size_t i = 0; data && i < n; i++) {
		GElf_Sym sym;
		const char *s;
		int bind, type;
		if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		if (type != STT_FUNC && type != STT_GNU_IFUNC)
			continue;
		s = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!s || strcmp(s, name))
			continue;
		bind = GELF_ST_BIND(sym.st_info);
		if (hit->binding < 0 || (hit->binding == STB_LOCAL && bind != STB_LOCAL)) {
			hit->vaddr = sym.st_value;
			hit->binding = bind;
			hit->ambiguous = false;
		} else if (bind == STB_LOCAL && hit->binding == STB_LOCAL &&
			   hit->vaddr != sym.st_value) {
			hit->ambiguous = true;
		}
	}
}

/* Virtual address -> file offset through the PT_LOAD segment holding it. */
static int vaddr_to_offset(Elf *elf, uint64_t vaddr, uint64_t *off)
{
	size_t n;
	if (elf_getphdrnum(elf, &n))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_memsz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -ENOENT;
}

static int find_symbol(Elf *elf, const char *path, const char *name, uint64_t *off)
{
	struct sym_hit hit = { .binding = -1 };
	/* .symtab has everything; a stripped binary keeps only .dynsym */
	static const uint32_t kinds[] = { SHT_SYMTAB, SHT_DYNSYM };
	for (size_t k = 0; k < 2 && hit.binding < 0; k++) {
		Elf_Scn *scn = NULL;
		GElf_Shdr sh;
		while ((scn = elf_nextscn(elf, scn)))
			if (gelf_getshdr(scn, &sh) && sh.sh_type == kinds[k])
				scan_symtab(elf, scn, &sh, name, &hit);
	}
	if (hit.binding < 0)
		return wd_err(-ENOENT, "no function '%s' in the symbol tables of %s", name, path);
	if (hit.ambiguous)
		return wd_err(-ENOTUNIQ, "'%s' names several local functions in %s: "
			      "give a file offset instead", name, path);
	if (vaddr_to_offset(elf, hit.vaddr, off))
		return wd_err(-ENOENT, "%s: address 0x%llx of '%s' is in no loadable segment",
			      path, (unsigned long long)hit.vaddr, name);
	return 0;
}

/* File offset of function `name` in the ELF file `path`. */
static int symbol_offset(const char *path, const char *name, uint64_t *off)
{
	Elf *elf;
	int fd, err;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return wd_err(-EINVAL, "libelf: %s", elf_errmsg(-1));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return wd_err(-errno, "cannot open %s: %s", path, strerror(errno));
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		err = wd_err(-ENOEXEC, "%s is not an ELF file", path);
	else
		err = find_symbol(elf, path, name, off);
	elf_end(elf);
	close(fd);
	return err;
}

static struct wd_link *uprobe_pmu(struct wd_prog *prog, const char *path,
				  const struct wd_uprobe_opts *o, uint64_t off, const char *desc)
{
	int pfd = wd_pmu_probe_open("uprobe", o->retprobe, path, off, o->pid);
	if (pfd < 0) {
		wd_err(pfd, "attach '%s' to %s: perf_event_open on the uprobe PMU: %s",
		       prog->name, desc, strerror(-pfd));
		return wd_attach_fail(pfd);
	}
	return wd_perf_link(prog, pfd, 0, NULL, "%s (pmu)", desc);
}

static struct wd_link *uprobe_legacy(struct wd_prog *prog, const char *path,
				     const struct wd_uprobe_opts *o, uint64_t off, const char *desc)
{
	char target[PATH_MAX + 32];
	const char *base = strrchr(path, '/');
	if (strpbrk(path, " \t\n"))
		return wd_attach_fail(wd_err(-EINVAL, "attach '%s': uprobe_events cannot name "
					     "a path with blanks: %s", prog->name, path));
	snprintf(target, sizeof(target), "%s:0x%llx", path, (unsigned long long)off);
	return wd_legacy_attach(prog, "uprobe_events", o->retprobe,
				o->func ? o->func : base ? base + 1 : path, target, o->pid, 0, desc);
}

struct wd_link *wd_prog_attach_uprobe(struct wd_prog *prog, const char *binary,
				      const struct wd_uprobe_opts *opts)
{
	struct wd_uprobe_opts o;
	char path[PATH_MAX], desc[PATH_MAX + 300];
	uint64_t off = 0;
	int err;
	if ((err = wd_attach_check(prog, "uprobe")))
		return wd_attach_fail(err);
	copy_opts(&o, opts);
	if (!binary || !realpath(binary, path))
		return wd_attach_fail(wd_err(binary ? -errno : -EINVAL, "attach '%s': uprobe "
					     "binary '%s': %s", prog->name, binary ? binary : "",
					     binary ? strerror(errno) : "no path given"));
	if (o.func && (err = symbol_offset(path, o.func, &off))) {
		wd_err_prefix("attach '%s': uprobe: ", prog->name);
		return wd_attach_fail(err);
	}
	off += o.offset;
	snprintf(desc, sizeof(desc), "%s %s:%s+0x%llx", o.retprobe ? "uretprobe" : "uprobe",
		 path, o.func ? o.func : "", (unsigned long long)o.offset);
	if (o.pid >= 0)
		snprintf(desc + strlen(desc), sizeof(desc) - strlen(desc), " pid %d", o.pid);
	if (!o.force_legacy && wd_pmu_type("uprobe") >= 0)
		return uprobe_pmu(prog, path, &o, off, desc);
	if (!o.force_legacy)
		wd_debug("attach '%s': no uprobe PMU (before 4.17): using uprobe_events",
			 prog->name);
	return uprobe_legacy(prog, path, &o, off, desc);
}
