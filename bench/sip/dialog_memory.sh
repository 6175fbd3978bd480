#!/usr/bin/env bash
# Memory per idle established dialog (no media): SIPp sets up N calls that
# then stay up; once every transaction timer has run out (64·T1 = 32 s) the
# SIP layer holds only the dialogs. Reports (RSS with N dialogs - RSS idle)/N.
#
#   bench/sip/dialog_memory.sh [N]      default N = 10000
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
n="${1:-10000}"
rate=1000
work="$(mktemp -d)"
cleanup() { [ -z "${server_pid:-}" ] || kill "$server_pid" 2>/dev/null || true; [ -z "${sipp_pid:-}" ] || kill "$sipp_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
(cd "$root" && cargo build --release -q -p hotline-sip --example answer_server)
"${CARGO_TARGET_DIR:-$root/target}/release/examples/answer_server" 127.0.0.1:5093 2>/dev/null &
server_pid=$!
sleep 1
idle_kb=$(ps -o rss= -p "$server_pid")
hold_ms=$(( (n / rate + 60) * 1000 ))
(cd "$work" && sipp 127.0.0.1:5093 -sn uac -s 12345 -r "$rate" -m "$n" -l "$n" -d "$hold_ms" -i 127.0.0.1 -p 5097 \
   -buff_size 4194304 >/dev/null 2>&1) &
sipp_pid=$!
# Set-up time, then 64·T1 for the INVITE transactions to end.
sleep $(( n / rate + 40 ))
busy_kb=$(ps -o rss= -p "$server_pid")
echo "dialogs: $n   RSS idle: ${idle_kb} KiB   RSS with dialogs: ${busy_kb} KiB"
python3 -c "print(f'memory per idle dialog: {($busy_kb - $idle_kb) * 1024 / $n:.0f} bytes')"
