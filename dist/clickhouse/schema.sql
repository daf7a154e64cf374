-- warden fleet: the table the sink inserts into (ClickHouse 18.16 and later).
--
-- `warden fleet init clickhouse://[user[:password]@]host:port/DB.TABLE` runs
-- this file with the identifiers warden (database), events (table),
-- events_all (the Distributed table) and warden_cluster (the cluster)
-- replaced by those of the URL and --cluster; run as it is, it creates
-- warden.events:
--     clickhouse-client --multiquery < dist/clickhouse/schema.sql
-- The columns are those of fleet/row.c; docs/fleet.md describes each.

CREATE DATABASE IF NOT EXISTS warden;

-- One row per event.  ReplacingMergeTree: rows with the same sorting key are
-- one row after a merge, and at once with FINAL.  The key ends with
-- (boot_id, seq) and its other columns are functions of the event, so two
-- rows share a key exactly when they are the same (host_id, boot_id, seq): a
-- batch replayed from the spool never counts twice:
--     SELECT count() FROM warden.events FINAL
-- Sorted by kind first (every fleet question names its kinds: exec, connect,
-- stats), then host and time: "kind and time" and "host and time" both read
-- a narrow range of the primary index.
CREATE TABLE IF NOT EXISTS warden.events
(
    time         DateTime,   -- wall clock, seconds (18.16 has no DateTime64)
    nsec         UInt32,     -- nanoseconds within that second
    host_id      String,     -- /etc/machine-id
    host_name    String,
    boot_id      String,     -- /proc/sys/kernel/random/boot_id
    seq          UInt64,     -- per host and boot, from 1
    kind         String,     -- exec, fork, exit, connect, ... stats
    category     String,     -- process, file, network, host
    pid          UInt32,
    tid          UInt32,
    ppid         UInt32,
    uid          UInt32,
    gid          UInt32,
    euid         UInt32,
    auid         UInt32,     -- loginuid, 4294967295 when unset
    comm         String,
    exe          String,     -- executable path
    args         String,     -- argv joined by spaces
    path         String,     -- file events: the path; exec: the file executed
    path2        String,     -- rename, link, symlink: the new name
    container_id String,
    cgroup_id    UInt64,
    ns_pid       UInt32,     -- namespace inode numbers
    ns_mnt       UInt32,
    ns_net       UInt32,
    ns_user      UInt32,
    ns_uts       UInt32,
    ns_cgroup    UInt32,
    src_ip       String,     -- text form, v4 or v6 (18.16 has no IPv6 type)
    dst_ip       String,
    src_port     UInt16,
    dst_port     UInt16,
    transport    String,     -- tcp, udp
    memfd        UInt8,      -- exec: the binary was a memfd (warden.exec.memfd)
    deleted      UInt8,      -- exec: the binary was unlinked (warden.exec.deleted)
    dropped      UInt64,     -- stats: the agent's drops since it started (the sink's are in event)
    ret          Int32,      -- 0 or -errno of a failed operation
    start_ns     UInt64,     -- task start (boot clock): (host_id, boot_id, pid, start_ns) is one process
    parent_start_ns UInt64,  -- the parent's: exec trees join on (ppid, parent_start_ns)
    event        String      -- the whole event, ECS JSON (visitParamExtract* reads it)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(time)
ORDER BY (kind, host_id, time, boot_id, seq)
SETTINGS index_granularity = 8192;

-- An example over a cluster of shards: create warden.events on every shard
-- (this file on each, or ON CLUSTER with ZooKeeper), list them in
-- <remote_servers><warden_cluster> of config.xml, and point the agents (or
-- queries) at events_all.  Sharded by host: all the rows of a host, and every
-- replay of them, land on one shard, where FINAL deduplicates them.
-- `warden fleet init` creates it only when the cluster is in system.clusters.
CREATE TABLE IF NOT EXISTS warden.events_all AS warden.events
ENGINE = Distributed(warden_cluster, warden, events, cityHash64(host_id));
