/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * USDT probe sites (usdt_notes.c): where provider:name sits in a binary,
 * from its .note.stapsdt notes, and where a file offset is mapped in a
 * process.  https://sourceware.org/systemtap/wiki/UserSpaceProbeImplementation
 */
#ifndef WARDEN_USDT_NOTES_H
#define WARDEN_USDT_NOTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One probe site of provider:name in a binary. */
struct wd_usdt_site {
	uint64_t vaddr;          /* link-time address, prelink-adjusted */
	uint64_t file_off;       /* of the nop: what a uprobe takes */
	uint64_t sema_off;       /* file offset of the semaphore, 0 none */
	char *args;              /* argument string of the note */
};

struct wd_usdt_sites {
	struct wd_usdt_site *v;
	size_t n;
	bool is_dyn;             /* ET_DYN: PIE or shared library */
};

/* Every site of provider:name in the ELF file `path`.  -ENOENT when there is
 * none (the message names the probes the binary does have). */
int wd_usdt_find_sites(const char *path, const char *provider, const char *name,
		       struct wd_usdt_sites *out);
void wd_usdt_sites_free(struct wd_usdt_sites *s);

/* Address in process pid of file offset `off` of `path`, from
 * /proc/PID/maps (the mapping of that file that covers the offset).
 * `exec`: only executable mappings. */
int wd_usdt_proc_addr(pid_t pid, const char *path, uint64_t off, bool exec, uint64_t *addr);

#endif
