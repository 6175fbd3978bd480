#!/usr/bin/env bash
# Calls per second through Kamailio into 1, 2 and 3 hotline nodes on one
# PostgreSQL, all on this machine's cores beside the load generator, with
# one node reached directly (no Kamailio) as the reference in the same run.
# SIPp citizens (tests/sipp/uac_through_a_proxy.xml: INVITE, 200, ACK via
# the record-route, -d ms, BYE) step the rate up. For each step: calls
# completed, failed, SIPp retransmissions, the achieved rate, the INVITE→200
# time (p50/p99 from SIPp's per-call trace), and the CPU seconds the nodes
# and Kamailio spent per 1,000 calls (from /proc).
#
#   bench/cluster/run.sh [rates...]          default: 200 400 800
#   NODES="1 2 3" SECONDS_PER_STEP=10 HOLD_MS=100 bench/cluster/run.sh 400
#   PG_URL=postgres://postgres@127.0.0.1:5432/test bench/cluster/run.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
rates=("$@")
[ ${#rates[@]} -gt 0 ] || rates=(200 400 800)
step_s="${SECONDS_PER_STEP:-10}"
hold_ms="${HOLD_MS:-100}"
node_counts="${NODES:-direct 1 2 3}"
pg_url="${PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null || true; done
  [ -n "${KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
for tool in sipp kamailio psql; do
  command -v $tool >/dev/null || { echo "$tool is needed (apt-get install sip-tester kamailio postgresql-client)" >&2; exit 1; }
done
(cd "$root" && cargo build --release -q -p hotline)
target_dir="${CARGO_TARGET_DIR:-$root/target}"
bin="$target_dir/release/hotline"
scenario="$root/tests/sipp/uac_through_a_proxy.xml"

# CPU ticks (user + system) of the given pids and their process groups.
ticks() {
  python3 - "$@" <<'PY'
import os, sys
groups = set(int(p) for p in sys.argv[1:])
total = 0
for d in os.listdir('/proc'):
    if not d.isdigit():
        continue
    try:
        f = open(f'/proc/{d}/stat').read().rsplit(')', 1)[1].split()
    except OSError:
        continue
    if int(d) in groups or int(f[2]) in groups:
        total += int(f[11]) + int(f[12])
print(total)
PY
}

start_nodes() {
  local count=$1 schema=$2
  local sep='?'; [[ "$pg_url" == *\?* ]] && sep='&'
  local url="${pg_url}${sep}options=-c%20search_path%3D${schema}"
  node_pids=(); node_addrs=()
  for i in $(seq 1 "$count"); do
    local dir="$work/$schema-n$i"; mkdir -p "$dir"
    local port=$((5160 + i)) rtp=$((10000 + i * 15000))
    (cd "$dir" && exec setsid env HOTLINE_SIP_LISTEN=127.0.0.1:$port HOTLINE_HTTP_LISTEN=127.0.0.1:$((8160 + i)) \
      HOTLINE_HTTP_METRICS_LISTEN=127.0.0.1:0 HOTLINE_DATABASE_URL="$url" HOTLINE_DATABASE_DATA_DIR="$dir" \
      HOTLINE_CLUSTER_NODE="n$i" HOTLINE_IVR_SCRIPTS_DIR="$root/ivr_scripts" \
      HOTLINE_SIP_TRUSTED_SOURCES='["127.0.0.1"]' HOTLINE_SIP_MAX_CALLS=3000 \
      HOTLINE_SIP_RTP_PORT_MIN=$rtp HOTLINE_SIP_RTP_PORT_MAX=$((rtp + 14999)) \
      HOTLINE_LOG_LEVEL=error "$bin" serve >"$dir/hotline.log" 2>&1) &
    node_pids+=($!); pids+=($!); node_addrs+=("127.0.0.1:$port"); disown
  done
  sleep 2
}

start_edge() {
  local list="$work/nodes.list"; : >"$list"
  for a in "${node_addrs[@]}"; do echo "1 sip:$a" >>"$list"; done
  setsid kamailio -f "$root/deploy/kamailio/kamailio.cfg" -DD -E -m "${KAMAILIO_SHM_MB:-512}" -M 8 -l udp:127.0.0.1:5160 \
    -Y "$work" -P "$work/kamailio.pid" -A "DISPATCHER_LIST=\"$list\"" >"$work/kamailio.log" 2>&1 &
  edge_pid=$!; pids+=($!); disown
  sleep 1.5
}

stop_all() {
  for p in "${node_pids[@]}" ${edge_pid:-}; do kill -KILL -- "-$p" 2>/dev/null || true; done
  edge_pid=
  sleep 1
}

step() {
  local target=$1 rate=$2 name=$3
  shift 3
  local n=$((rate * step_s))
  local before; before=$(ticks "$@")
  (cd "$work" && timeout $((step_s * 4 + 30)) sipp "$target" -sf "$scenario" -s 12345 -r "$rate" -m "$n" \
      -d "$hold_ms" -i 127.0.0.1 -p 5198 -buff_size 4194304 -l $((rate * 2)) \
      -trace_stat -stf "$name.csv" -fd 1 -trace_rtt -rtt_freq 1 -trace_err >/dev/null 2>&1) || true
  local after; after=$(ticks "$@")
  # Why calls failed, by SIPp's first words about each (to stderr).
  for f in "$work"/*_errors.log; do
    [ -e "$f" ] || continue
    grep -o "Aborting call on [^:]*: while expecting '[^']*' (index [0-9]*), received '[^ ]* [0-9]*" "$f" \
      | sort | uniq -c | sort -rn | head -3 | sed 's/^/    failed: /' >&2  || true
    mv "$f" "$f.$name"
  done
  python3 - "$work/$name.csv" "$work" "$rate" "$before" "$after" "$(getconf CLK_TCK)" <<'PY'
import glob, os, sys
stat, work, rate, before, after, hz = sys.argv[1:]
rows = [l.rstrip('\n').split(';') for l in open(stat) if l.strip()]
head, last = rows[0], rows[-1]
get = lambda k: last[head.index(k)]
rtts = []
for f in glob.glob(os.path.join(work, '*_rtt.csv')):
    for line in open(f).read().splitlines()[1:]:
        parts = line.split(';')
        if len(parts) >= 3:
            rtts.append(float(parts[1]))
    os.remove(f)
rtts.sort()
pct = lambda q: rtts[min(len(rtts) - 1, int(q * len(rtts)))] if rtts else float('nan')
done = int(get('SuccessfulCall(C)'))
cpu = (int(after) - int(before)) / int(hz)
per_k = cpu / done * 1000 if done else float('nan')
print(f"| {rate} | {done} | {get('FailedCall(C)')} | {get('Retransmissions(C)')} | "
      f"{round(float(get('CallRate(C)')))} | {pct(0.5):.1f} | {pct(0.99):.1f} | {cpu:.1f} | {per_k:.2f} |")
PY
}

echo "Run on $(date -u +%F) ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)); hold ${hold_ms} ms, ${step_s} s a step"
for count in $node_counts; do
  schema="cluster_bench_$$_${count}"
  psql "$pg_url" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" -c "CREATE SCHEMA $schema" >/dev/null 2>&1
  if [ "$count" = direct ]; then
    start_nodes 1 "$schema"
    target="${node_addrs[0]}"; measured=("${node_pids[@]}")
    echo; echo "== 1 node, reached directly (reference)"
  else
    start_nodes "$count" "$schema"
    start_edge
    target=127.0.0.1:5160; measured=("${node_pids[@]}" "$edge_pid")
    echo; echo "== $count node(s) behind Kamailio"
  fi
  echo "| offered cps | completed | failed | retransmissions | achieved cps | INVITE→200 p50 ms | p99 ms | CPU s (nodes + Kamailio) | CPU s per 1,000 calls |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for rate in "${rates[@]}"; do step "$target" "$rate" "c$count-$rate" "${measured[@]}"; sleep 2; done
  stop_all
  psql "$pg_url" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
done
