#!/usr/bin/env bash
# The centre's routing latency: from an agent becoming free to the order
# that rings their phone reaching the call's node, with 3 nodes of one
# centre (one leads the ACD, the others forward to it over PostgreSQL
# LISTEN/NOTIFY), 500 agents and 5,000 callers kept waiting; and the same
# load on one node alone (no bus) as the reference of the same run.
# `hotline bench-routing` runs the nodes' real ACD tasks, consoles (the
# screen-pop's lookup), event writers and the bus in one process; calls
# and phones are stand-ins (no SIP, no media). See bench/centre/README.md.
#
#   bench/centre/run.sh                      3 nodes and 1, defaults below
#   AGENTS=500 CALLERS=5000 TALK_MS=5000 SECONDS_PER_RUN=30 NODES="1 3" bench/centre/run.sh
#   PG_URL=postgres://postgres@127.0.0.1:5432/test bench/centre/run.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
pg_url="${PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
agents="${AGENTS:-500}"
callers="${CALLERS:-5000}"
talk_ms="${TALK_MS:-5000}"
seconds="${SECONDS_PER_RUN:-30}"
node_counts="${NODES:-1 3}"
command -v psql >/dev/null || { echo "psql is needed (apt-get install postgresql-client)" >&2; exit 1; }
(cd "$root" && cargo build --release -q -p hotline)
bin="${CARGO_TARGET_DIR:-$root/target}/release/hotline"
echo "Run on $(date -u +%F) ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)); talk ${talk_ms} ms on average, ${seconds} s measured"
echo "| nodes | agents | callers waiting | offers measured | offers/s | p50 ms | p90 ms | p99 ms | max ms | CPU ms/offer (nodes) | CPU ms/offer (PostgreSQL) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in $node_counts; do
  schema="bench_routing_$$_$n"
  psql "$pg_url" -qc "CREATE SCHEMA $schema" >/dev/null
  sep='?'; [[ "$pg_url" == *\?* ]] && sep='&'
  url="${pg_url}${sep}options=-c%20search_path%3D${schema}"
  HOTLINE_LOG_LEVEL="${HOTLINE_LOG_LEVEL:-warn}" "$bin" bench-routing --url "$url" --nodes "$n" \
    --agents "$agents" --callers "$callers" --talk-ms "$talk_ms" --seconds "$seconds" \
    2> >(grep -v '^\s*$' | tail -5 >&2) || status=$?
  psql "$pg_url" -qc "DROP SCHEMA $schema CASCADE" >/dev/null 2>&1 || true
  [ -z "${status:-}" ] || exit "$status"
done
