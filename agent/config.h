/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `warden run` settings: /etc/warden/warden.conf (ini, parsed by libinih)
 * and command-line flags into one struct.  Every option is documented in
 * dist/warden.conf and docs/man/warden.1.  A flag and a config key share one
 * setter (wd_config_set), so they accept the same values and give the same
 * errors.
 */
#ifndef WARDEN_AGENT_CONFIG_H
#define WARDEN_AGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WD_CONFIG_DEFAULT_PATH "/etc/warden/warden.conf"
#define WD_CONFIG_DEFAULT_STATS_FILE "/run/warden/stats.json"

struct wd_agent_config {
	/* [output] */
	bool out_stdout;             /* JSON/text lines to standard output */
	char *out_file;              /* JSON/text lines to this file, or NULL */
	bool format_text;            /* format = text (default json) */
	uint64_t rotate_size;        /* bytes; 0: never (default 0) */
	unsigned int rotate_keep;    /* default 5 */
	/* [clickhouse]: the fleet sink (fleet/fleet.h) */
	char *clickhouse_url;        /* clickhouse://..., or NULL */
	char *password_file;
	char *spool_dir;
	uint64_t spool_max_bytes;
	unsigned int batch_ms;
	/* [filter] */
	uint64_t kinds;              /* bit per enum wd_event_kind; 0: all */
	int32_t uid;                 /* -1: any */
	char *comm;
	char *cgroup_path;           /* cgroup2 path; resolved to cgroup_id by wd_config_finish */
	uint64_t cgroup_id;
	char *container_id;          /* a prefix of the container id (user space) */
	char *path_prefix;
	uint32_t pid_tree;           /* 0: no pid tree filter */
	/* [agent] */
	unsigned int latency_ms;     /* default 100 */
	unsigned int stats_interval; /* seconds between stats records; 0: none (default 60) */
	size_t ring_bytes;           /* 0: the engine's default */
	int transport;               /* enum wd_events_transport (0: auto) */
	char *bpf_dir;
	char *stats_file;            /* default WD_CONFIG_DEFAULT_STATS_FILE; "" or "none": off */
	double duration;             /* seconds; 0: until a signal (flag only) */
	bool outputs_from_flags;     /* a --output replaced the file's outputs */
};

void wd_config_init(struct wd_agent_config *c);
void wd_config_free(struct wd_agent_config *c);

/* Read an ini file.  A missing file is not an error unless must_exist.
 * 0, or -errno with one line in err: "FILE:LINE: [section] key: cause". */
int wd_config_load(struct wd_agent_config *c, const char *path, bool must_exist,
		   char *err, size_t errlen);

/* One setting, from the file or a flag: 0, or -EINVAL with err set (no
 * file/line prefix). */
int wd_config_set(struct wd_agent_config *c, const char *section, const char *key,
		  const char *value, char *err, size_t errlen);

/* --output VALUE: "-" or "stdout", "clickhouse://...", or a file path.
 * The first one from the command line replaces the config file's outputs. */
int wd_config_add_output(struct wd_agent_config *c, const char *value, bool from_flag,
			 char *err, size_t errlen);

/* After the file and the flags: defaults (stdout when no output), the
 * cgroup path to its id.  0 or -errno with err set. */
int wd_config_finish(struct wd_agent_config *c, char *err, size_t errlen);

/* "64K", "100M", "1G", "4096": bytes.  0 or -EINVAL. */
int wd_config_parse_size(const char *s, uint64_t *out);
/* "exec,connect", "file" (a category: every kind in it), "all".  0 or
 * -EINVAL naming the unknown word in err. */
int wd_config_parse_kinds(const char *s, uint64_t *out, char *err, size_t errlen);
/* cgroup v2 path (absolute, or relative to the cgroup2 mount) -> cgroup id. */
int wd_cgroup_path_to_id(const char *path, uint64_t *id);
/* The cgroup2 mount point (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a
 * hybrid host).  0 or -ENOENT. */
int wd_cgroup2_mount(char *buf, size_t len);

#endif
