#!/usr/bin/env bash
# End-to-end menu traversal at N concurrent callers: SIPp callers (RTP
# keys, RFC 4733) walk the case-status path of tests/ivr/agent_path.toml —
# a menu key, the 12-digit reference and #, the store lookup, the reference
# read back digit by digit, the status and department prompts, goodbye —
# about 30 s per call, so `rate × 30` callers are in the menus at once.
# (The shipped menu's path depends on the office hours of the moment; this
# one does not. Its prompts are the shipped ones.)
#
# Reported: calls completed and failed (SIPp), calls whose record shows the
# whole path (the store's call records: the reference collected, the case
# found, the department read), hotline CPU and RSS.
#
#   bench/ivr/traversal.sh [rate] [seconds]     default: 34 60 (≈1,000 at once)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
rate="${1:-34}"
seconds="${2:-60}"
work="$(mktemp -d)"
cleanup() {
  [ -z "${hotline_pid:-}" ] || kill "$hotline_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
command -v sipp >/dev/null || { echo "SIPp is needed: apt-get install sip-tester" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }
(cd "$root" && cargo build --release -q -p hotline)
bin="${CARGO_TARGET_DIR:-$root/target}/release/hotline"
calls=$((rate * seconds))

mkdir -p "$work/scripts" "$work/data"
cp "$root/tests/ivr/agent_path.toml" "$work/scripts/"
ln -s "$root/ivr_scripts/prompts" "$work/scripts/prompts"
(cd "$work/data" && exec env HOTLINE_SIP_LISTEN=127.0.0.1:5291 HOTLINE_HTTP_LISTEN=127.0.0.1:8299 HOTLINE_HTTP_METRICS_LISTEN=127.0.0.1:0 \
  HOTLINE_IVR_SCRIPTS_DIR="$work/scripts" HOTLINE_IVR_SCRIPT=agent_path \
  HOTLINE_SIP_TRUSTED_SOURCES='["127.0.0.1"]' HOTLINE_SIP_MAX_CALLS=2500 \
  HOTLINE_SIP_RTP_PORT_MIN=30000 HOTLINE_SIP_RTP_PORT_MAX=39999 \
  HOTLINE_CONSOLE_SECURE_COOKIES=false HOTLINE_LOG_LEVEL=error \
  "$bin" serve --demo >"$work/hotline.log" 2>&1) &
hotline_pid=$!
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:8299/health >/dev/null && break; sleep 0.2; done

# The demo citizen's case reference, as a supervisor finds it.
curl -sf -c "$work/cookies" -H 'Content-Type: application/json' \
  -d '{"login":"supervisor1","password":"supervisor1-demo-pass"}' http://127.0.0.1:8299/api/login >/dev/null
case_ref=$(curl -sf -b "$work/cookies" 'http://127.0.0.1:8299/api/citizens?q=13800138000&reason=traversal%20benchmark' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["open_cases"][0]["case_ref"])')
sed "s/CASE_DIGITS/$case_ref/" "$root/tests/sipp/citizen_checks_a_case.xml" > "$work/case.xml"

idle=$(awk '/VmRSS/ {print $2}' "/proc/$hotline_pid/status")
cpu0=$(awk '{print $14+$15}' "/proc/$hotline_pid/stat")
start=$(date +%s)
echo "== $rate callers/s for $seconds s, about $((rate * 30)) in the menus at once (case $case_ref)"
peak=0
(while kill -0 "$hotline_pid" 2>/dev/null; do
   r=$(awk '/VmRSS/ {print $2}' "/proc/$hotline_pid/status"); [ "$r" -gt "$peak" ] && peak=$r; echo "$peak" > "$work/peak"; sleep 1
 done) &
(cd "$work" && timeout $((seconds + 120)) sipp 127.0.0.1:5291 -sf case.xml -s 12345 -r "$rate" -m "$calls" \
   -i 127.0.0.1 -p 5298 -mi 127.0.0.1 -mp 40000 -buff_size 4194304 -l $((rate * 45)) \
   -trace_stat -stf stat.csv -fd 1 >/dev/null 2>&1) || true
cpu1=$(awk '{print $14+$15}' "/proc/$hotline_pid/stat")
wall=$(( $(date +%s) - start ))
python3 - "$work/stat.csv" <<'PY'
import sys
rows = [l.rstrip('\n').split(';') for l in open(sys.argv[1]) if l.strip()]
head, last = rows[0], rows[-1]
get = lambda k: last[head.index(k)]
print(f"SIPp: completed {get('SuccessfulCall(C)')}, failed {get('FailedCall(C)')}, retransmissions {get('Retransmissions(C)')}, max concurrent {max(int(r[head.index('CurrentCall')]) for r in rows[1:])}")
PY
kill -TERM "$hotline_pid"; wait "$hotline_pid" 2>/dev/null || true; hotline_pid=
python3 - "$work/data/data/hotline.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
total = db.execute("select count(*) from calls").fetchone()[0]
whole = db.execute("select count(*) from calls where ivr_path like '%case_enter>case_lookup>case_found>case_say_ref>case_status>case_department>goodbye%'").fetchone()[0]
print(f"call records: {total}, with the whole case-status path: {whole}")
PY
echo "hotline CPU: $(python3 -c "print(round(($cpu1-$cpu0)/$(getconf CLK_TCK), 1))") s over ${wall} s; RSS idle ${idle} KiB, peak $(cat "$work/peak") KiB"
