#!/usr/bin/env bash
# Answer + 3 s prompt + hang-up through the whole hotline, over SIP: SIPp
# calls the release binary at a fixed rate (each call is answered, hears the
# language menu for 3 s, hangs up), twice in a row in the same hotline
# process, with the hotline's RSS read before, between and after, to show
# the memory going back to its idle figure (no leak per call).
# Reference in the same run: the same SIPp load against a SIPp UAS.
#
#   bench/media/prompt_calls.sh [rate] [seconds]     default: 500 20
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
rate="${1:-500}"
seconds="${2:-20}"
work="$(mktemp -d)"
cleanup() {
  [ -z "${hotline_pid:-}" ] || kill "$hotline_pid" 2>/dev/null || true
  pkill -f "sipp -sn uas -i 127.0.0.1 -p 5190" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
command -v sipp >/dev/null || { echo "SIPp is needed: apt-get install sip-tester" >&2; exit 1; }
(cd "$root" && cargo build --release -q -p hotline)
target_dir="${CARGO_TARGET_DIR:-$root/target}"
calls=$((rate * seconds))

rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

load() {  # target name
  (cd "$work" && timeout $((seconds * 3 + 60)) sipp "$1" -sn uac -s 12345 -r "$rate" -m "$calls" -d 3000 \
      -i 127.0.0.1 -p 5198 -buff_size 4194304 -l $((rate * 6)) -trace_stat -stf "$2.csv" -fd 1 \
      >/dev/null 2>&1) || true
  python3 - "$work/$2.csv" "$2" <<'PY'
import sys
rows = [l.rstrip('\n').split(';') for l in open(sys.argv[1]) if l.strip()]
head, last = rows[0], rows[-1]
get = lambda k: last[head.index(k)]
print(f"{sys.argv[2]:<22} completed {get('SuccessfulCall(C)'):>6}  failed {get('FailedCall(C)'):>4}  "
      f"retransmissions {get('Retransmissions(C)'):>5}  achieved {float(get('CallRate(C)')):.0f} calls/s")
PY
}

echo "== $rate calls/s of answer + 3 s prompt + hang-up, $seconds s per round (about $((rate * 3)) concurrent calls)"
echo "-- reference: SIPp UAS (answers, no media)"
(cd "$work" && sipp -sn uas -i 127.0.0.1 -p 5190 -buff_size 4194304 -bg >/dev/null 2>&1) || true
sleep 0.5
load 127.0.0.1:5190 reference
pkill -f "sipp -sn uas -i 127.0.0.1 -p 5190" || true

echo "-- hotline (SIP + IVR playing the language menu + media + SQLite store)"
mkdir -p "$work/hotline"
(cd "$work/hotline" && exec env HOTLINE_SIP_LISTEN=127.0.0.1:5191 HOTLINE_HTTP_LISTEN=127.0.0.1:8199 HOTLINE_HTTP_METRICS_LISTEN=127.0.0.1:0 \
  HOTLINE_IVR_SCRIPTS_DIR="$root/ivr_scripts" HOTLINE_SIP_TRUSTED_SOURCES='["127.0.0.1"]' \
  HOTLINE_SIP_MAX_CALLS=12000 HOTLINE_SIP_RTP_PORT_MIN=10000 HOTLINE_SIP_RTP_PORT_MAX=59999 HOTLINE_LOG_LEVEL=error "$target_dir/release/hotline" serve >"$work/hotline.log" 2>&1) &
hotline_pid=$!
sleep 2
idle=$(rss "$hotline_pid")
cpu0=$(awk '{print $14+$15}' "/proc/$hotline_pid/stat")
load 127.0.0.1:5191 "hotline round 1"
sleep 5
after1=$(rss "$hotline_pid")
load 127.0.0.1:5191 "hotline round 2"
sleep 5
after2=$(rss "$hotline_pid")
cpu1=$(awk '{print $14+$15}' "/proc/$hotline_pid/stat")
ticks=$(getconf CLK_TCK)
echo "hotline RSS: idle ${idle} KiB, after round 1 ${after1} KiB, after round 2 ${after2} KiB"
echo "hotline CPU: $(python3 -c "print(round(($cpu1-$cpu0)/$ticks, 1))") s for $((2 * calls)) calls"
echo "call events logged instead of stored: $(grep -c 'hotline::events::lost' "$work/hotline.log" || true)"
