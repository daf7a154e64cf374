-- New outbound destinations per host: (address, port, transport) a host
-- reached in the last hour and never in the 7 days before.  Outbound are
-- TCP connects and UDP sends to a new peer; loopback is left out.
SELECT
    any(host_name) AS host,
    dst_ip,
    dst_port,
    transport,
    min(time) AS first_seen,
    count() AS times,
    arraySlice(groupUniqArray(exe), 1, 10) AS executables
FROM warden.events FINAL
WHERE kind IN ('connect', 'udp_send')
  AND time > now() - INTERVAL 8 DAY
  AND dst_ip != ''
  AND NOT (dst_ip LIKE '127.%' OR dst_ip = '::1')
GROUP BY host_id, dst_ip, dst_port, transport
HAVING first_seen > now() - INTERVAL 1 HOUR
ORDER BY host, first_seen
