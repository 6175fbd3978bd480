#!/usr/bin/env bash
# SIP flood. The full hotline (release build, IVR, media, SQLite) on
# 127.0.0.1 with 127.0.0.1 as its trusted trunk. SIPp places legitimate calls
# from the trunk (100 calls/s, 2 s each) in two phases of the same run:
#   1. reference: the legitimate calls alone;
#   2. flood: the same calls while attackers on other loopback addresses
#      send to the same SIP port:
#        127.0.0.2        SIPp INVITE flood at full speed (no retransmissions)
#        127.0.0.3        SIPp calls held open (-d 60 s: the per-source call cap)
#        127.0.0.4-11     SIPp INVITE floods from 8 addresses
#        127.0.0.12       REGISTER guessing (wrong digests for agent1, agent2, ...)
#        127.0.0.13       garbage, truncated, oversize and 64 KiB UDP datagrams
#        127.0.0.14       TCP: many connections from one address
#        127.0.0.15       INVITEs never ACKed, no RTP (what a spoofed source sees)
# Every attacker stops by itself (a count and a duration). Reports the
# legitimate calls' failures and response times, the hotline's CPU and peak
# RSS in each phase, what every attacker sent and what came back to its
# address (its own sockets' counts: SIPp's message log, flood_tools.py's
# counters, sinks on the RTP port its SDP named), and the hotline's guard
# counters from /metrics. Only 127.0.0.1 (the hotline's ports) is a target.
#
#   bench/sip/flood.sh
#   DURATION=30 ATTACKS="garbage tcp" bench/sip/flood.sh     # a subset
#
# Knobs (defaults): DURATION (60 s per phase), LEGIT_RATE (100), LEGIT_HOLD_MS
# (2000), FLOOD_RATE (5000 calls/s for 127.0.0.2), MULTI_RATE (500 calls/s
# for each of 127.0.0.4-11), GARBAGE_PPS (0: as fast as Python sends),
# REGISTER_RATE (200 guesses/s), TCP_CONNECTIONS (200 per cycle), TAIL (35 s
# after the flood for retransmissions, BYEs and RTP still on their way),
# ATTACKS (flood hold multi register garbage tcp noack).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/bench/sip"
tools="$here/flood_tools.py"
dur="${DURATION:-60}"
legit_rate="${LEGIT_RATE:-100}"
legit_hold="${LEGIT_HOLD_MS:-2000}"
flood_rate="${FLOOD_RATE:-5000}"
multi_rate="${MULTI_RATE:-500}"
garbage_pps="${GARBAGE_PPS:-0}"
register_rate="${REGISTER_RATE:-200}"
tcp_connections="${TCP_CONNECTIONS:-200}"
tail_s="${TAIL:-35}"
attacks="${ATTACKS:-flood hold multi register garbage tcp noack}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/hotline-helper-target}"
legit_calls=$((legit_rate * dur))
adur=$((dur - 2))            # attackers start 1 s after the legitimate calls
start_s=$SECONDS

command -v sipp >/dev/null || { echo "SIPp is needed: apt-get install sip-tester" >&2; exit 1; }
work="$(mktemp -d /tmp/hotline-flood.XXXXXX)"
# SIPp's message logs (how its bytes are counted) can reach a few hundred MB.
logs="$(mktemp -d /dev/shm/hotline-flood.XXXXXX 2>/dev/null || mktemp -d /tmp/hotline-flood-logs.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -z "${server_pid:-}" ] || kill "$server_pid" 2>/dev/null || true
  sleep 0.5
  [ -n "${KEEP:-}" ] && echo "kept: $work" || rm -rf "$work"
  rm -rf "$logs"
}
trap cleanup EXIT

echo "building (nice -n 10, CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
(cd "$root" && nice -n 10 cargo build --release -q -p hotline)
bin="$CARGO_TARGET_DIR/release/hotline"

free_port() {  # a port free for UDP and TCP on 127.0.0.1, from $1 up
  python3 - "$1" <<'PY'
import socket, sys
p = int(sys.argv[1])
while True:
    try:
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(socket.AF_INET, kind); s.bind(("127.0.0.1", p)); s.close()
        print(p); break
    except OSError:
        p += 1
PY
}
sip_port=$(free_port 5170)
http_port=$(free_port 8170)
metrics_port=$(free_port 9470)
legit_port=$(free_port 5270)
# The attackers' addresses must be ours alone.
busy=$(ss -Hantu 2>/dev/null | awk '{print $5}' | grep -E '^127\.0\.0\.([2-9]|1[0-5]):' || true)
[ -z "$busy" ] || { echo "127.0.0.2-15 are in use by something else: $busy" >&2; exit 1; }

mkdir -p "$work/hotline"
(cd "$work/hotline" && exec env HOTLINE_SIP_LISTEN="127.0.0.1:$sip_port" HOTLINE_HTTP_LISTEN="127.0.0.1:$http_port" HOTLINE_HTTP_METRICS_LISTEN="127.0.0.1:$metrics_port" \
  HOTLINE_IVR_SCRIPTS_DIR="$root/ivr_scripts" HOTLINE_SIP_TRUSTED_SOURCES='["127.0.0.1"]' \
  HOTLINE_SIP_MAX_CALLS=12000 HOTLINE_SIP_RTP_PORT_MIN=10000 HOTLINE_SIP_RTP_PORT_MAX=59999 \
  HOTLINE_LOG_LEVEL=warn "$bin" serve --demo >"$work/hotline.log" 2>&1) &
server_pid=$!
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$http_port/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { echo "the hotline did not start:" >&2; cat "$work/hotline.log" >&2; exit 1; }
  sleep 0.2
done
echo "hotline pid $server_pid on 127.0.0.1:$sip_port (UDP+TCP), metrics on :$metrics_port; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

has() { [[ " $attacks " == *" $1 "* ]]; }

# A SIPp attacker: SIPp on $ip:5200, a sink on the RTP port its SDP names
# (7010), and after SIPp exits a sink on its SIP port until the phase's end.
sipp_attacker() {
  local name=$1 ip=$2 end_epoch=$3; shift 3
  local d="$work/flood/$name"
  mkdir -p "$d"
  python3 "$tools" sink --bind "$ip" --ports 7010,7011 --duration $((end_epoch - $(date +%s))) --out "$d/rtp.json" &
  local sink=$!
  (cd "$d" && timeout -k 5 $((adur + 10)) sipp "127.0.0.1:$sip_port" -sf "$here/flood_caller.xml" -s 12345 \
      -i "$ip" -p 5200 -mp 7000 -buff_size 4194304 -nostdin -timeout "${adur}s" \
      -trace_stat -stf stat.csv -fd 5 -trace_msg -message_file "$logs/$name.log" "$@" >/dev/null 2>&1) || true
  local left=$((end_epoch - $(date +%s)))
  [ "$left" -gt 0 ] && python3 "$tools" sink --bind "$ip" --ports 5200 --duration "$left" --out "$d/tail.json" || true
  wait "$sink" || true
  python3 "$tools" sipp-summary --msglog "$logs/$name.log" --stat "$d/stat.csv" --bind "$ip" \
    --label "$name" --rtp-sink "$d/rtp.json" --tail-sink "$d/tail.json" --out "$work/flood/attack-$name.json"
  [ -n "${KEEP:-}" ] && mv "$logs/$name.log" "$d/messages.log" || rm -f "$logs/$name.log"
}

start_attackers() {
  local end_epoch=$(( $(date +%s) + adur + tail_s ))
  local target="127.0.0.1:$sip_port" f="$work/flood"
  if has flood; then
    sipp_attacker a-invite-flood 127.0.0.2 "$end_epoch" -r "$flood_rate" -m $((flood_rate * adur)) -l 40000 \
      -d 1000 -nr -recv_timeout 4000 -max_recv_loops 100000 -max_sched_loops 100000 & pids+=($!)
  fi
  if has hold; then
    sipp_attacker a-held-calls 127.0.0.3 "$end_epoch" -r 50 -m $((50 * adur)) -l 300 -d 60000 & pids+=($!)
  fi
  if has multi; then
    for i in $(seq 4 11); do
      sipp_attacker "b-invite-$i" "127.0.0.$i" "$end_epoch" -r "$multi_rate" -m $((multi_rate * adur)) -l 4000 -d 10000 & pids+=($!)
    done
  fi
  if has register; then
    (python3 "$tools" register --bind 127.0.0.12 --target "$target" --rate "$register_rate" \
       --send-secs "$adur" --duration $((adur + tail_s)) --out "$f/attack-c-register.json" \
     && python3 "$tools" label --file "$f/attack-c-register.json" --label c-register-guessing) & pids+=($!)
  fi
  if has garbage; then
    (python3 "$tools" garbage --bind 127.0.0.13 --target "$target" --pps "$garbage_pps" --duration "$adur" \
       --out "$f/attack-d-garbage.json" \
     && python3 "$tools" label --file "$f/attack-d-garbage.json" --label d-garbage-udp) & pids+=($!)
  fi
  if has tcp; then
    (python3 "$tools" tcp --bind 127.0.0.14 --target "$target" --connections "$tcp_connections" \
       --duration "$adur" --out "$f/attack-e-tcp.json" \
     && python3 "$tools" label --file "$f/attack-e-tcp.json" --label e-tcp-connections) & pids+=($!)
  fi
  if has noack; then
    (python3 "$tools" noack --bind 127.0.0.15 --target "$target" --rate 20 --count 400 --send-secs 20 \
       --duration $((adur + tail_s)) --out "$f/attack-a-noack.json" \
     && python3 "$tools" label --file "$f/attack-a-noack.json" --label a-invite-never-acked) & pids+=($!)
  fi
}

# CPU of this script's finished descendants (SIPp, the attackers, the tools),
# in seconds: bash's `times` (getrusage of reaped children).
children_cpu() {  # no pipe or $(...) around `times`: in a subshell it would count nothing
  times >"$work/times.txt"
  python3 -c "import re,sys; print(sum(int(m)*60+float(s) for m,s in re.findall(r'(\d+)m([\d.]+)s', open(sys.argv[1]).read().splitlines()[1])))" "$work/times.txt"
}

metrics() { curl -fs "http://127.0.0.1:$metrics_port/metrics" >"$work/$1" || echo "(no /metrics)" >&2; }

phase() {
  local name=$1 d="$work/$1"
  mkdir -p "$d"
  echo "== $name: $legit_calls legitimate calls at $legit_rate/s$( [ "$name" = flood ] && echo ", attackers: $attacks")"
  local cpu0
  children_cpu >"$work/cpu0.txt"; cpu0=$(cat "$work/cpu0.txt")
  python3 "$tools" monitor --pid "$server_pid" --duration $((dur + 45)) --stop-file "$d/stop" --out "$d/monitor.json" &
  local mon=$!
  (cd "$d" && timeout -k 5 $((dur + 45)) sipp "127.0.0.1:$sip_port" -sn uac -s 12345 -r "$legit_rate" -m "$legit_calls" \
      -d "$legit_hold" -i 127.0.0.1 -p "$legit_port" -mp 7100 -buff_size 4194304 -nostdin -timeout "$((dur + 40))s" \
      -trace_stat -stf legit.csv -fd 1 -trace_err -error_file legit_errors.log >/dev/null 2>&1) &
  local legit=$!
  if [ "$name" = flood ]; then sleep 1; start_attackers; fi
  wait "$legit" || true
  touch "$d/stop"; wait "$mon" || true
  if [ "$name" = flood ]; then
    echo "   legitimate calls done after $((SECONDS - phase_start)) s; waiting for the attackers' tails (up to ${tail_s} s)"
    for p in "${pids[@]}"; do wait "$p" || true; done
    pids=()
  fi
  # Load generators' CPU (SIPp, attackers, tools; tails included) as % of
  # one core over the phase's wall time.
  children_cpu >"$work/cpu1.txt"
  python3 -c "print(round(($(cat "$work/cpu1.txt") - $cpu0) / max(1, $SECONDS - $phase_start) * 100))" >"$d/generators_cpu.txt"
}

phase_start=$SECONDS
phase reference
log_lines_ref=$(wc -l <"$work/hotline.log")
sleep 3
metrics metrics-after-reference.txt
phase_start=$SECONDS
mkdir -p "$work/flood"
phase flood
sleep 2
metrics metrics-after-flood.txt
kill -0 "$server_pid" 2>/dev/null || echo "THE HOTLINE EXITED during the run" >&2

python3 "$tools" report --work "$work" --calls "$legit_calls" --rate "$legit_rate" --hold-ms "$legit_hold"
echo
echo "== hotline log (level warn): lines during the reference, then during the flood, by message"
for part in ref flood; do
  if [ $part = ref ]; then head -n "$log_lines_ref" "$work/hotline.log"; else tail -n +"$((log_lines_ref + 1))" "$work/hotline.log"; fi \
    | sed -E 's/\x1b\[[0-9;]*m//g' | { grep -E ' (WARN|ERROR) ' || true; } \
    | sed -E 's/^[^ ]+ +//; s/(call|id|source|user)=[^ ]+/\1=…/g; s/[0-9]+(\.[0-9]+)*/N/g' | cut -c1-160 | sort | uniq -c | sort -rn | head -8 \
    | sed "s/^/   $part: /" || true
done
echo "wall time: $((SECONDS - start_s)) s"
