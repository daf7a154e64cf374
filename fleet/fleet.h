/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The fleet sink: the agent's events into ClickHouse over its HTTP interface
 * (libcurl), batched, compressed, from a thread of its own, with an on-disk
 * spool when the server cannot take them.  Independent of the agent: it takes
 * typed rows (struct wd_fleet_row) plus the event's whole JSON line; the
 * adapter from the agent's event lives above both (cli/run.c).
 */
#ifndef WARDEN_FLEET_H
#define WARDEN_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wd_fleet;

struct wd_fleet_opts {
	size_t sz;                  /* sizeof(struct wd_fleet_opts) */
	const char *host_id;        /* default: /etc/machine-id */
	const char *host_name;      /* default: gethostname() */
	const char *boot_id;        /* default: /proc/sys/kernel/random/boot_id */
	const char *password_file;  /* read the password from here (never argv) */
	const char *spool_dir;      /* default /var/lib/warden/spool */
	uint64_t spool_max_bytes;   /* default 256 MiB */
	unsigned int batch_ms;      /* flush at least this often (default 1000) */
	size_t batch_bytes;         /* or when a batch reaches this (default 1 MiB, uncompressed) */
	unsigned int timeout_ms;    /* per insert (default 5000) */
};

/* One event as typed columns; strings may be NULL. */
struct wd_fleet_row {
	uint64_t time_ns;           /* wall clock */
	uint64_t seq;               /* per host and boot, monotonic */
	const char *kind;           /* "exec", "connect", ... */
	const char *category;       /* "process", "file", "network", "host" */
	uint32_t pid, tid, ppid;
	uint32_t uid, gid, euid, auid;
	const char *comm, *exe;
	const char *args;           /* argv joined by spaces */
	const char *path, *path2;
	const char *container_id;
	uint64_t cgroup_id;
	uint32_t ns_pid, ns_mnt, ns_net, ns_user, ns_uts, ns_cgroup;
	const char *src_ip, *dst_ip;/* text form, v4 or v6 */
	uint16_t src_port, dst_port;
	const char *transport;      /* "tcp", "udp" */
	const char *json;           /* the whole event */
	size_t json_len;
};

/* url: clickhouse://[user[:password]@]host:port/database.table.  Checks the
 * server, the credentials and the table at once: one clear error (*err) and
 * NULL on failure. */
struct wd_fleet *wd_fleet_open(const char *url, const struct wd_fleet_opts *opts,
			       char *err, size_t errlen);
/* Queue one row; never blocks on the network.  0, or -ENOBUFS when the row
 * was dropped (counted, by cause). */
int wd_fleet_push(struct wd_fleet *f, const struct wd_fleet_row *row);
/* Flush what is queued (to the server, else to the spool) and stop. */
void wd_fleet_close(struct wd_fleet *f);

struct wd_fleet_stats {
	uint64_t rows_queued, rows_sent, rows_spooled, rows_replayed;
	uint64_t batches_sent, batches_failed, bytes_sent;
	uint64_t dropped_spool_full, dropped_queue_full;
	uint64_t spool_bytes;
};
void wd_fleet_get_stats(struct wd_fleet *f, struct wd_fleet_stats *st);

/* Create the database, table (dist/clickhouse/schema.sql) and the example
 * Distributed table.  0 or -errno with *err set. */
int wd_fleet_init(const char *url, const struct wd_fleet_opts *opts, char *err, size_t errlen);

#endif
