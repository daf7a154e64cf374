#!/bin/sh
# bench/fleet/run.sh BUILD_DIR [SECONDS]: the fleet sink against a
# clickhouse-server started here (127.0.0.1, free ports, a temporary data
# directory, removed at the end).  Prints rows/s sustained, CPU per row of
# wd_fleet_push and of the sink's threads, bytes per row on the wire, and the
# spool replay rate.
set -eu
O=${1:-build}
SECS=${2:-10}
BIN=$O/bench/bench_fleet
SERVER=$(command -v clickhouse-server || echo /usr/bin/clickhouse-server)
[ -x "$BIN" ] || { echo "bench/fleet: $BIN missing: make O=$O $BIN" >&2; exit 1; }
[ -x "$SERVER" ] || { echo "bench/fleet: clickhouse-server is not installed (apt-get install clickhouse-server)" >&2; exit 1; }

DIR=$(mktemp -d /tmp/warden-bench-fleet.XXXXXX)
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
	rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

# a port nobody listens on (checked with ss)
free_port() {
	while :; do
		p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}
HTTP=$(free_port); TCP=$(free_port); INTER=$(free_port)

cat > "$DIR/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$DIR/server.log</log><errorlog>$DIR/server.err.log</errorlog></logger>
  <http_port>$HTTP</http_port><tcp_port>$TCP</tcp_port><interserver_http_port>$INTER</interserver_http_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$DIR/data/</path><tmp_path>$DIR/data/tmp/</tmp_path>
  <user_files_path>$DIR/data/user_files/</user_files_path><format_schema_path>$DIR/data/format_schemas/</format_schema_path>
  <users_config>$DIR/users.xml</users_config>
  <default_profile>default</default_profile><default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size><uncompressed_cache_size>268435456</uncompressed_cache_size>
  <timezone>UTC</timezone>
</yandex>
XML
cat > "$DIR/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML

start_server() {
	"$SERVER" --config-file="$DIR/config.xml" >"$DIR/stdout.log" 2>&1 &
	PID=$!
	i=0
	until curl -sf "http://127.0.0.1:$HTTP/" --data-binary 'SELECT 1' >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 300 ] || { echo "bench/fleet: clickhouse-server did not start (see $DIR)" >&2; exit 1; }
		sleep 0.1
	done
}
stop_server() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=; }
q() { curl -sf "http://127.0.0.1:$HTTP/" --data-binary "$1"; }

start_server
N=0
# a fresh table for each run: the runs reuse sequence numbers
fresh() {
	N=$((N + 1))
	URL=clickhouse://127.0.0.1:$HTTP/bench.events_$N
	"$O/warden" fleet init "$URL" >/dev/null
}
echo "bench/fleet: clickhouse-server $(q 'SELECT version()') on 127.0.0.1:$HTTP, $(nproc) CPUs; rows are exec events with ~800 bytes of ECS JSON"

echo "== as fast as the sink takes them, default batches (1 MiB or 1 s), gzip level 1"
fresh
$BIN throughput "$URL" "$DIR/spool" "$SECS" 1
echo "== the same, gzip level 6"
fresh
$BIN throughput "$URL" "$DIR/spool" "$SECS" 6
echo "== the same, 8 MiB batches (fewer, larger parts for ClickHouse)"
fresh
BATCH_BYTES=8388608 $BIN throughput "$URL" "$DIR/spool" "$SECS" 1
echo "== paced at 5000 rows/s (a busy host): CPU per row at a steady rate"
fresh
$BIN throughput "$URL" "$DIR/spool" "$SECS" 1 5000

echo "== spool: server stopped, 200000 rows into the spool, server started, replay"
fresh
t0=$(date +%s)
stop_server
echo "(server stopped in $(( $(date +%s) - t0 )) s)"
$BIN fill "$URL" "$DIR/spool" 200000
start_server
$BIN replay "$URL" "$DIR/spool"
echo "rows in ClickHouse after the replay (FINAL): $(q "SELECT count() FROM bench.events_$N FINAL")"
