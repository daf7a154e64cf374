-- The exec tree of one container: every exec in it with the program of the
-- process that started it, oldest first.  Replace CONTAINER_ID (twice: 18.16
-- has neither query parameters nor WITH inside subqueries), e.g.
--     sed s/CONTAINER_ID/$id/g container_exec_tree.sql | clickhouse-client
-- A process is (host_id, boot_id, pid, start_ns): the parent of an exec is
-- the last exec of (ppid, parent_start_ns) on that host, in the container or
-- not (the runtime's shim shows as the root's parent).  ppid -> pid are the
-- edges of the tree; 18.16 has no recursive queries to indent it.
SELECT
    host_name,
    time,
    ppid,
    pid,
    parent_exe,
    exe,
    args,
    uid
FROM
(
    SELECT host_id, host_name, boot_id, time, ppid, parent_start_ns, pid, exe, args, uid
    FROM warden.events FINAL
    WHERE kind = 'exec' AND container_id = 'CONTAINER_ID'
)
ANY LEFT JOIN
(
    SELECT host_id, boot_id, pid AS ppid, start_ns AS parent_start_ns, argMax(exe, time) AS parent_exe
    FROM warden.events FINAL
    WHERE kind = 'exec'
      AND host_id IN (SELECT host_id FROM warden.events WHERE kind = 'exec' AND container_id = 'CONTAINER_ID')
    GROUP BY host_id, boot_id, pid, start_ns
) USING (host_id, boot_id, ppid, parent_start_ns)
ORDER BY host_name, time
