-- Processes that ran a binary from a memfd (fileless: memfd_create + execveat)
-- or from a file already unlinked, across the fleet, the last 24 hours.
-- Typed columns only: memfd and deleted are warden.exec.memfd and
-- warden.exec.deleted of the exec event.
SELECT
    time,
    host_name,
    container_id,
    pid,
    ppid,
    uid,
    euid,
    exe,
    args,
    memfd,
    deleted
FROM warden.events FINAL
WHERE kind = 'exec'
  AND (memfd = 1 OR deleted = 1)
  AND time > now() - INTERVAL 1 DAY
ORDER BY time DESC
LIMIT 1000
