#!/usr/bin/env bash
# Calls per second. SIPp calls (INVITE, 200, ACK, 100 ms, BYE, 200), stepping
# the rate up, against three targets in the same run on the same machine:
#   1. reference: a SIPp UAS (what SIPp itself can do here);
#   2. sip layer: hotline-sip's answer_server example (transactions, dialogs,
#      SDP; no media) - the shape of the Asterisk anchor (Answer, Hangup);
#   3. hotline: the full binary (a media leg, the IVR menu playing, every
#      call event written to SQLite).
# For each rate: calls completed, failed, SIPp retransmissions, achieved rate.
# A target's result is the highest rate with 0 failed and 0 retransmissions.
#
#   bench/sip/cps.sh [rates...]     default: 1000 2000 3000 4000 5000 6000 8000
#   SECONDS_PER_STEP=10 TARGETS="sip" bench/sip/cps.sh 4000 5000
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
rates=("$@")
[ ${#rates[@]} -gt 0 ] || rates=(1000 2000 3000 4000 5000 6000 8000)
step_s="${SECONDS_PER_STEP:-10}"
targets="${TARGETS:-reference sip hotline}"
work="$(mktemp -d)"
cleanup() {
  pkill -f "sipp -sn uas -i 127.0.0.1 -p 5090" 2>/dev/null || true
  [ -z "${server_pid:-}" ] || kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
command -v sipp >/dev/null || { echo "SIPp is needed: apt-get install sip-tester" >&2; exit 1; }
(cd "$root" && cargo build --release -q -p hotline && cargo build --release -q -p hotline-sip --example answer_server)
target_dir="${CARGO_TARGET_DIR:-$root/target}"

step() {
  local target=$1 rate=$2 name=$3
  local n=$((rate * step_s))
  (cd "$work" && timeout $((step_s * 4 + 30)) sipp "$target" -sn uac -s 12345 -r "$rate" -m "$n" -d 100 \
      -i 127.0.0.1 -p 5098 -buff_size 4194304 -l $((rate * 2)) -trace_stat -stf "$name.csv" -fd 1 \
      >/dev/null 2>&1) || true
  python3 - "$work/$name.csv" "$rate" <<'PY'
import sys
rows = [l.rstrip('\n').split(';') for l in open(sys.argv[1]) if l.strip()]
head, last = rows[0], rows[-1]
get = lambda k: last[head.index(k)]
print(sys.argv[2], get('SuccessfulCall(C)'), get('FailedCall(C)'), get('Retransmissions(C)'), round(float(get('CallRate(C)'))))
PY
}

run_target() {
  local label=$1 target=$2
  echo "== $label"
  echo "rate completed failed retransmissions achieved_cps"
  for rate in "${rates[@]}"; do step "$target" "$rate" "$label-$rate"; sleep 1; done
}

for t in $targets; do
  case $t in
    reference)
      # SIPp exits with 99 when it goes to the background.
      (cd "$work" && sipp -sn uas -i 127.0.0.1 -p 5090 -buff_size 4194304 -bg >/dev/null 2>&1) || true
      sleep 0.5
      run_target "reference (SIPp UAS)" 127.0.0.1:5090
      pkill -f "sipp -sn uas -i 127.0.0.1 -p 5090" || true ;;
    sip)
      "$target_dir/release/examples/answer_server" 127.0.0.1:5092 2>/dev/null &
      server_pid=$!
      sleep 0.5
      run_target "sip layer (hotline-sip answer_server)" 127.0.0.1:5092
      echo "answer_server RSS after the run: $(ps -o rss= -p "$server_pid") KiB"
      kill "$server_pid"; server_pid= ;;
    hotline)
      mkdir -p "$work/hotline-bench-5091"
      (cd "$work/hotline-bench-5091" && exec env HOTLINE_SIP_LISTEN=127.0.0.1:5091 HOTLINE_HTTP_LISTEN=127.0.0.1:8099 HOTLINE_HTTP_METRICS_LISTEN=127.0.0.1:0 \
        HOTLINE_IVR_SCRIPTS_DIR="$root/ivr_scripts" HOTLINE_SIP_TRUSTED_SOURCES='["127.0.0.1"]' \
        HOTLINE_SIP_MAX_CALLS=12000 HOTLINE_SIP_RTP_PORT_MIN=10000 HOTLINE_SIP_RTP_PORT_MAX=59999 HOTLINE_LOG_LEVEL=error "$target_dir/release/hotline" serve >"$work/hotline.log" 2>&1) &
      server_pid=$!
      sleep 1.5
      run_target "hotline (IVR + media + SQLite store)" 127.0.0.1:5091
      echo "hotline RSS after the run: $(ps -o rss= -p "$server_pid") KiB"
      echo "call events logged instead of stored (writer saturated): $(grep -c 'hotline::events::lost' "$work/hotline.log" || true)"
      kill "$server_pid"; server_pid= ;;
  esac
done
