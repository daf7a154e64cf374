// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * USDT probe sites from a binary's .note.stapsdt notes (type 3, owner
 * "stapsdt"): the descriptor holds three addresses (probe nop, the
 * .stapsdt.base section's link-time address, semaphore or 0), then the
 * strings provider, name and arguments.  Addresses are link-time virtual
 * addresses: a uprobe wants file offsets, found through the PT_LOAD
 * segment holding each address.  A binary rewritten by prelink moved
 * .stapsdt.base but not the (non-allocated) notes: the difference between
 * the section's address and the note's base is added to every address.
 * https://sourceware.org/systemtap/wiki/UserSpaceProbeImplementation
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sys/error.h"
#include "usdt_notes.h"

#define NOTE_SEC  ".note.stapsdt"
#define BASE_SEC  ".stapsdt.base"
#define NOTE_TYPE 3

struct note {
	uint64_t loc, base, sema;
	const char *provider, *name, *args;
};

static Elf_Scn *section_by_name(Elf *elf, const char *want, GElf_Shdr *sh)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		if (!gelf_getshdr(scn, sh))
			return NULL;
		name = elf_strptr(elf, shstrndx, sh->sh_name);
		if (name && !strcmp(name, want))
			return scn;
	}
	return NULL;
}

/* The PT_LOAD segment holding vaddr: its file offset, and whether it is
 * executable.  -ENOENT when none does. */
static int segment_of(Elf *elf, uint64_t vaddr, uint64_t *off, bool *exec)
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
			*exec = ph.p_flags & PF_X;
			return 0;
		}
	}
	return -ENOENT;
}

/* Decode one note descriptor; -EINVAL when it is not a well-formed stapsdt note. */
static int decode_note(const GElf_Nhdr *nh, const char *buf, size_t name_off, size_t desc_off,
		       struct note *n)
{
	const char *d = buf + desc_off, *end = d + nh->n_descsz, *p;
	uint64_t addr[3];
	if (nh->n_type != NOTE_TYPE || nh->n_namesz != sizeof("stapsdt") ||
	    memcmp(buf + name_off, "stapsdt", sizeof("stapsdt")))
		return -EINVAL;
	if (nh->n_descsz < sizeof(addr) + 3)
		return -EINVAL;
	memcpy(addr, d, sizeof(addr));
	n->loc = addr[0];
	n->base = addr[1];
	n->sema = addr[2];
	n->provider = d + sizeof(addr);
	if (!(p = memchr(n->provider, '\0', (size_t)(end - n->provider))) || p + 1 >= end)
		return -EINVAL;
	n->name = p + 1;
	if (!(p = memchr(n->name, '\0', (size_t)(end - n->name))) || p + 1 > end)
		return -EINVAL;
	/* the argument string may be missing altogether in old notes */
	n->args = p + 1 < end && memchr(p + 1, '\0', (size_t)(end - p - 1)) ? p + 1 : "";
	return 0;
}

static int add_site(struct wd_usdt_sites *out, const struct wd_usdt_site *site)
{
	struct wd_usdt_site *v = realloc(out->v, (out->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	out->v = v;
	v[out->n] = *site;
	if (!(v[out->n].args = strdup(site->args))) {
		return -ENOMEM;
	}
	out->n++;
	return 0;
}

/* File offsets of a matching note's probe and semaphore. */
static int note_site(Elf *elf, const char *path, const struct note *n, uint64_t base_addr,
		     struct wd_usdt_site *site)
{
	uint64_t shift = base_addr && n->base ? base_addr - n->base : 0;
	bool exec;
	memset(site, 0, sizeof(*site));
	site->vaddr = n->loc + shift;
	site->args = (char *)n->args;
	if (segment_of(elf, site->vaddr, &site->file_off, &exec) || !exec)
		return wd_err(-ENOEXEC, "USDT %s:%s in %s: address 0x%llx is in no executable "
			      "segment (corrupt note?)", n->provider, n->name, path,
			      (unsigned long long)site->vaddr);
	if (!n->sema)
		return 0;
	if (segment_of(elf, n->sema + shift, &site->sema_off, &exec) || exec)
		return wd_err(-ENOEXEC, "USDT %s:%s in %s: semaphore 0x%llx is in no writable "
			      "data segment (corrupt note?)", n->provider, n->name, path,
			      (unsigned long long)(n->sema + shift));
	return 0;
}

/* "a:b, c:d" of every probe in the notes, for a message when none matched. */
static void list_probes(Elf_Data *data, char *buf, size_t size)
{
	size_t off = 0, name_off, desc_off, len = 0;
	GElf_Nhdr nh;
	buf[0] = '\0';
	while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0 && len < size) {
		struct note n;
		if (decode_note(&nh, data->d_buf, name_off, desc_off, &n))
			continue;
		char one[160];
		snprintf(one, sizeof(one), "%s:%s", n.provider, n.name);
		if (strstr(buf, one))
			continue;
		len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "", one);
	}
}

static int scan_notes(Elf *elf, const char *path, const char *provider, const char *name,
		      struct wd_usdt_sites *out)
{
	GElf_Shdr sh, base_sh;
	Elf_Scn *scn = section_by_name(elf, NOTE_SEC, &sh);
	uint64_t base_addr = section_by_name(elf, BASE_SEC, &base_sh) ? base_sh.sh_addr : 0;
	size_t off = 0, name_off, desc_off;
	Elf_Data *data;
	GElf_Nhdr nh;
	if (!scn || sh.sh_type != SHT_NOTE || !(data = elf_getdata(scn, NULL)))
		return wd_err(-ENOENT, "%s has no USDT probes (no %s section): was it built "
			      "with <sys/sdt.h> probes, or stripped of notes?", path, NOTE_SEC);
	while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		struct wd_usdt_site site;
		struct note n;
		int err;
		if (decode_note(&nh, data->d_buf, name_off, desc_off, &n) ||
		    strcmp(n.provider, provider) || strcmp(n.name, name))
			continue;
		if ((err = note_site(elf, path, &n, base_addr, &site)))
			return err;
		if ((err = add_site(out, &site)))
			return wd_err(err, "out of memory");
	}
	if (!out->n) {
		char have[512];
		list_probes(data, have, sizeof(have));
		return wd_err(-ENOENT, "no USDT probe %s:%s in %s (it has: %s)", provider, name,
			      path, *have ? have : "none");
	}
	return 0;
}

static int check_elf(Elf *elf, const char *path, bool *is_dyn)
{
	GElf_Ehdr eh;
	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh))
		return wd_err(-ENOEXEC, "%s is not an ELF file", path);
	if (gelf_getclass(elf) != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32))
		return wd_err(-ENOEXEC, "%s: ELF class differs from this process's", path);
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return wd_err(-ENOEXEC, "%s is neither an executable nor a shared library", path);
	*is_dyn = eh.e_type == ET_DYN;
	return 0;
}

int wd_usdt_find_sites(const char *path, const char *provider, const char *name,
		       struct wd_usdt_sites *out)
{
	Elf *elf;
	int fd, err;
	memset(out, 0, sizeof(*out));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return wd_err(-EINVAL, "libelf: %s", elf_errmsg(-1));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return wd_err(-errno, "cannot open %s: %s", path, strerror(errno));
	elf = elf_begin(fd, ELF_C_READ, NULL);
	err = elf ? check_elf(elf, path, &out->is_dyn) : wd_err(-ENOEXEC, "%s: %s", path,
								  elf_errmsg(-1));
	if (!err)
		err = scan_notes(elf, path, provider, name, out);
	elf_end(elf);
	close(fd);
	if (err)
		wd_usdt_sites_free(out);
	return err;
}

void wd_usdt_sites_free(struct wd_usdt_sites *s)
{
	for (size_t i = 0; s->v && i < s->n; i++)
		free(s->v[i].args);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* One line of /proc/PID/maps: "start-end perms offset dev inode   path". */
static bool maps_line(const char *line, uint64_t *start, uint64_t *end, char perms[8],
		      uint64_t *off, const char **path)
{
	unsigned long long s, e, o;
	int n = 0;
	if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &s, &e, perms, &o, &n) < 4 || !n)
		return false;
	*start = s;
	*end = e;
	*off = o;
	*path = line + n;
	return true;
}

int wd_usdt_proc_addr(pid_t pid, const char *path, uint64_t off, bool exec, uint64_t *addr)
{
	char file[64], line[4352];
	FILE *f;
	snprintf(file, sizeof(file), "/proc/%d/maps", (int)pid);
	if (!(f = fopen(file, "re")))
		return wd_err(-errno, "cannot read %s: %s", file, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		uint64_t start, end, moff;
		const char *p;
		char perms[8];
		line[strcspn(line, "\n")] = '\0';
		if (!maps_line(line, &start, &end, perms, &moff, &p) || strcmp(p, path))
			continue;
		if ((exec && perms[2] != 'x') || off < moff || off >= moff + (end - start))
			continue;
		*addr = start + (off - moff);
		fclose(f);
		return 0;
	}
	fclose(f);
	return wd_err(-ESRCH, "%s is not mapped at file offset 0x%llx in process %d%s", path,
		      (unsigned long long)off, (int)pid, exec ? " (executable)" : "");
}
