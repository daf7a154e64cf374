-- Hosts whose agent reported drops in the last 24 hours.  Stats records
-- (kind 'stats') carry counters since the agent started: the typed column
-- dropped is the agent's own drops (ring buffer, per-kind drops); the sink's
-- (queue full, spool full: outputs.clickhouse of the record) and the ring's
-- share are read from the record's JSON.  dropped_in_window is what grew
-- during the window for one agent run (boot_id, pid).
SELECT
    any(host_name) AS host,
    host_id,
    boot_id,
    pid AS agent_pid,
    max(dropped) AS dropped_since_start,
    max(dropped) - min(dropped) AS dropped_in_window,
    max(visitParamExtractUInt(event, 'lost_ring')) AS lost_ring,
    max(visitParamExtractUInt(event, 'dropped_queue_full')) AS sink_queue_full,
    max(visitParamExtractUInt(event, 'dropped_spool_full')) AS sink_spool_full,
    max(time) AS last_report
FROM warden.events FINAL
WHERE kind = 'stats'
  AND time > now() - INTERVAL 1 DAY
GROUP BY host_id, boot_id, pid
HAVING dropped_since_start > 0 OR sink_queue_full > 0 OR sink_spool_full > 0
ORDER BY dropped_in_window DESC, dropped_since_start DESC
