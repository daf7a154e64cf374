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
	/* Extensions (after the lead's fields; zero means the default). */
	unsigned int retry_min_ms;  /* first back-off after a failed insert (default 250) */
	unsigned int retry_max_ms;  /* back-off cap while the server stays down (default 10000) */
	const char *cluster;        /* wd_fleet_init: cluster of the Distributed table (default "warden_cluster") */
	bool allow_offline_start;   /* wd_fleet_open: an unreachable server is not an error; spool until it answers */
	int compression_level;      /* gzip level 1..9 (default 1: see docs/fleet.md for the measured trade-off) */
	size_t queue_max_bytes;     /* sealed batches waiting in memory for the writer (gzip, spool): absorbs
				     * bursts; what a SIGKILL can lose is this plus the open batch
				     * (default 32 MiB) */
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
	/* Extensions (after the lead's fields). */
	bool memfd;                 /* exec: the executable is a memfd (warden.exec.memfd) */
	bool deleted;               /* exec: the executable was unlinked (warden.exec.deleted) */
	uint64_t dropped;           /* stats: events the agent dropped since start (ring, per kind) */
	int32_t ret;                /* 0, or -errno of a failed operation */
	uint64_t start_ns;          /* the task's start (boot clock): (pid, start_ns) is a process */
	uint64_t parent_start_ns;   /* the parent's: exec trees join on (ppid, parent_start_ns) */
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

/* Every batch is written to the spool (fsync'd) before its insert and
 * removed once ClickHouse has it, so a crash loses only what was still in
 * memory: the open batch and the one being written (see docs/fleet.md). */
struct wd_fleet_stats {
	uint64_t rows_queued;       /* accepted by wd_fleet_push */
	uint64_t rows_sent;         /* inserted (first try, retries and replays) */
	uint64_t rows_spooled;      /* rows of batches whose insert failed: kept on disk for replay */
	uint64_t rows_replayed;     /* inserted on a retry, or from an earlier run's spool */
	uint64_t batches_sent, batches_failed;  /* inserts that succeeded / attempts that failed */
	uint64_t bytes_sent;        /* on the wire for successful inserts: gzip body + request headers */
	uint64_t dropped_spool_full, dropped_queue_full;
	uint64_t spool_bytes;       /* now on disk (pending batches and rejected ones) */
	/* Extensions (after the lead's fields). */
	uint64_t dropped_spool_error; /* rows of batches the spool could not write (EIO, ENOSPC...) */
	uint64_t dropped_rejected;    /* rows of batches ClickHouse refused as bad data (HTTP 400): kept in <spool>/rejected/ */
	uint64_t rows_pending;        /* rows on disk waiting for an insert */
	uint64_t body_bytes_sent;     /* gzip bodies only */
	uint64_t raw_bytes;           /* JSONEachRow bytes before compression */
	char last_error[192];         /* the last failed insert, one line ("" if none) */
};
void wd_fleet_get_stats(struct wd_fleet *f, struct wd_fleet_stats *st);

/* Create the database, table (dist/clickhouse/schema.sql) and the example
 * Distributed table.  0 or -errno with *err set. */
int wd_fleet_init(const char *url, const struct wd_fleet_opts *opts, char *err, size_t errlen);

/* Extensions. */
/* Same as wd_fleet_init, and *note (may be NULL) tells what was created or
 * skipped ("distributed table skipped: no cluster 'warden_cluster' in system.clusters"). */
int wd_fleet_init_note(const char *url, const struct wd_fleet_opts *opts, char *note, size_t notelen,
		       char *err, size_t errlen);
/* wd_fleet_close, and the counters as they stand once everything is flushed
 * (sent or spooled): the agent's last stats record. */
void wd_fleet_close_stats(struct wd_fleet *f, struct wd_fleet_stats *st);
/* Total dropped rows, all causes (for the agent's stats records). */
uint64_t wd_fleet_stats_dropped(const struct wd_fleet_stats *st);

#endif
