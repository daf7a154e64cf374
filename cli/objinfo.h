/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel BPF objects as `warden ps` and `warden prog` describe them: full
 * program names, tags, load times, map ids; owners (comm(pid)) and pin
 * paths; what a link (or a perf event a process holds) is attached to.
 */
#ifndef WARDEN_CLI_OBJINFO_H
#define WARDEN_CLI_OBJINFO_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum obj_kind { OBJ_PROG, OBJ_MAP, OBJ_LINK, OBJ__N };

/* The program's whole name: the kernel keeps 15 characters, the BTF
 * func_info of the main function has the rest (as bpftool does). */
void prog_full_name(int fd, const struct bpf_prog_info *info, char *buf, size_t size);
/* 16 hex digits of the program tag. */
void prog_tag_str(const struct bpf_prog_info *info, char *buf, size_t size);
/* Load time (ns since boot) as Unix ns, and as "2026-11-29T21:00:00Z". */
uint64_t prog_load_unix_ns(const struct bpf_prog_info *info);
void prog_load_time_str(const struct bpf_prog_info *info, char *buf, size_t size);
/* The ids of the maps the program uses (malloc'd, *n of them), or NULL. */
uint32_t *prog_map_ids(int fd, uint32_t *n);

/* Owners and pins of every object, gathered once from /proc and bpffs. */
struct owner { enum obj_kind kind; uint32_t id; int pid; char comm[16]; };
struct pin { enum obj_kind kind; uint32_t id; char *path; };
/* A program attachment known from a process's perf event or raw
 * tracepoint fd (BPF_TASK_FD_QUERY), for kernels without perf links. */
struct fd_attach { uint32_t prog_id; int pid; char what[192]; };
struct host_objs {
	struct owner *owners; size_t nr_owners;
	struct pin *pins; size_t nr_pins;
	struct fd_attach *fd_attach; size_t nr_fd_attach;
};
void host_objs_scan(struct host_objs *h, bool pins);
void host_objs_free(struct host_objs *h);
struct json;
/* The owners and pins of one object: JSON arrays "pids" ({pid, comm}) and
 * "pinned" (paths), or lines "\tpid comm(pid)" and "\tpinned PATH". */
void host_objs_print_owners(const struct host_objs *h, enum obj_kind kind, uint32_t id,
			    struct json *j);

/* An object named on the command line (`warden map`, `warden prog`) at
 * argv[*i]: ID | id ID | pinned PATH | name NAME.  0 with *how, *arg (the
 * path or name) and, for an id, *id, past the words taken; or exit status 2
 * after one line naming `noun` ("map", "program"). */
enum obj_ref { OBJ_REF_ID, OBJ_REF_PINNED, OBJ_REF_NAME };
int obj_ref_parse(const char *cmd, const char *noun, int argc, char **argv, int *i,
		  enum obj_ref *how, const char **arg, uint32_t *id);

/* A link: its kind ("tracepoint", "uprobe", "raw_tracepoint", "fentry",
 * "cgroup", "xdp", ...) and attach point ("syscalls:sys_enter_getpid",
 * "/usr/bin/bash+0x1234", "ifindex 2 (eth0)"). */
struct link_desc {
	uint32_t id, prog_id, type;
	char kind[32], attach[192];
};
int link_describe(int fd, struct link_desc *d);
const char *link_type_name(uint32_t type);

#endif
