#!/usr/bin/env bash
# Full-flow load: citizens call, go through the IVR (language, department)
# into the department queues; agents' phones ring, agents answer after a
# random ring, talk a random time with audio both ways through the hotline's
# bridge, hang up and set a disposition; citizens answer the survey. The
# arrival rate steps up; each step reports calls completed per second and
# lost calls, read from the hotline's own event log:
#
#   lost = entered a queue and neither reached an agent, nor was abandoned
#          by the caller, nor was moved on by an overflow rule.
#
# Two load generators, each a step of its own at every rate:
#   sipp      SIPp citizens (bench/flow/citizen.xml) and `hotline simulate`
#             agents (--agents only);
#   simulate  `hotline simulate` as both the citizens and the agents.
#
# Everything shares this machine (2 cores here): the hotline, the load
# generators and their RTP. The CPU each used is reported beside the rates,
# so the figures can be read as ratios rather than bare absolutes.
#
# Usage: bench/flow/run.sh [--rates "60 120 240"] [--agents 100]
#                          [--seconds 60] [--modes "sipp simulate"]
#                          [--talk 2s..6s] [--ring 0.5s..2s]
#                          [--wrap-up 0.5s..1.5s] [--callgrind]
#
# --callgrind runs the hotline under valgrind's callgrind and reports the
# instructions it executed per completed call from the first call on (the
# counters are zeroed when the calls start and dumped when they are over):
# a count, not a time, so two binaries can be compared on a busy machine.
# Callgrind runs the hotline some fifty times slower on one core: keep the
# rate low (20 calls a minute with 10 agents is fine here) and fix the
# random parts (--talk 3s..3s --ring 1s..1s --wrap-up 1s..1s).
# Needs: a release build (made here, or HOTLINE_BIN=path), sipp (Debian
# sip-tester), python3, curl.
set -euo pipefail

RATES="60 120 240 480"
AGENTS=100
SECONDS_PER_STEP=60
MODES="sipp simulate"
TALK="2s..6s"
RING="0.5s..2s"
WRAP_UP="0.5s..1.5s"
CALLGRIND=0
while [ $# -gt 0 ]; do
    case "$1" in
        --rates) RATES="$2"; shift 2 ;;
        --agents) AGENTS="$2"; shift 2 ;;
        --seconds) SECONDS_PER_STEP="$2"; shift 2 ;;
        --modes) MODES="$2"; shift 2 ;;
        --talk) TALK="$2"; shift 2 ;;
        --ring) RING="$2"; shift 2 ;;
        --wrap-up) WRAP_UP="$2"; shift 2 ;;
        --callgrind) CALLGRIND=1; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/bench/flow"
command -v sipp >/dev/null || { echo "sipp is missing: apt-get install sip-tester" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is missing" >&2; exit 1; }
[ "$CALLGRIND" = 0 ] || command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 1; }
# HOTLINE_BIN=path skips the build (to measure a binary built earlier).
BIN="${HOTLINE_BIN:-$ROOT/target/release/hotline}"
[ -n "${HOTLINE_BIN:-}" ] || (cd "$ROOT" && cargo build --release -p hotline >/dev/null)

SIP_PORT=5980
HTTP_PORT=8980
SIPP_PORT=5990
WORK="$(mktemp -d /tmp/hotline-flow.XXXXXX)"
trap 'jobs -p | xargs -r kill 2>/dev/null || true' EXIT

# The citizens' voice for SIPp: 20 s of a 440 Hz tone, G.711 mu-law.
python3 - "$WORK/voice.ul" <<'EOF'
import math, sys
def ulaw(s):
    bias, clip = 0x84, 32635
    sign = 0x80 if s < 0 else 0
    s = min(abs(s), clip) + bias
    exp = 7
    while exp > 0 and not (s & (0x4000 >> (7 - exp))):
        exp -= 1
    mant = (s >> (exp + 3)) & 0x0F
    return ~(sign | (exp << 4) | mant) & 0xFF
with open(sys.argv[1], "wb") as f:
    f.write(bytes(ulaw(int(6000 * math.sin(2 * math.pi * 440 * i / 8000))) for i in range(8000 * 20)))
EOF

cpu_seconds() { # utime + stime of a live process, in seconds
    python3 -c "import os,sys; f=open('/proc/%s/stat'%sys.argv[1]).read().rsplit(')',1)[1].split(); print((int(f[11])+int(f[12]))/os.sysconf('SC_CLK_TCK'))" "$1" 2>/dev/null || echo 0
}

latest_cpu() { # pid, the last reading: a process that exited reads 0, keep the last live one
    local now; now=$(cpu_seconds "$1")
    python3 -c "print(max($now, $2))"
}

wait_for() { # file, text, seconds, pid that must stay alive
    for _ in $(seq 1 $(( $3 * 10 ))); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        kill -0 "$4" 2>/dev/null || break
        sleep 0.1
    done
    echo "timed out waiting for '$2' in $1:" >&2; tail -20 "$1" >&2; return 1
}

# Under --callgrind: the hotline runs in valgrind; its counters are zeroed
# when the calls start and dumped when they are over.
WRAP=""
if [ "$CALLGRIND" = 1 ]; then
    WRAP="valgrind --tool=callgrind --callgrind-out-file=$WORK/callgrind.%p"
fi
start_counting() { # pid
    [ "$CALLGRIND" = 1 ] || return 0
    callgrind_control -z "$1" >/dev/null
}
instructions_counted() { # pid dir: the instructions since start_counting, or nothing
    [ "$CALLGRIND" = 1 ] || return 0
    callgrind_control -d "$1" >/dev/null
    local dump; dump=$(ls -t "$WORK"/callgrind."$1".* 2>/dev/null | head -1)
    cp "$dump" "$2/callgrind.out"
    awk '/^(summary|totals):/ { print $2; exit }' "$dump"
}

run_step() { # mode rate
    local mode=$1 rate=$2 dir="$WORK/$1-$2"
    mkdir -p "$dir/scripts" "$dir/data"
    cp "$HERE/flow.toml" "$dir/scripts/"
    ln -s "$ROOT/ivr_scripts/prompts" "$dir/scripts/prompts"
    cp "$WORK/voice.ul" "$dir/voice.ul"
    local calls=$(( rate * SECONDS_PER_STEP / 60 ))

    HOTLINE_SIP_LISTEN=127.0.0.1:$SIP_PORT HOTLINE_HTTP_LISTEN=127.0.0.1:$HTTP_PORT HOTLINE_HTTP_METRICS_LISTEN=127.0.0.1:0 \
    HOTLINE_DATABASE_DATA_DIR="$dir/data" HOTLINE_DATABASE_URL="sqlite://$dir/data/hotline.db" \
    HOTLINE_IVR_SCRIPTS_DIR="$dir/scripts" HOTLINE_IVR_SCRIPT=flow \
    HOTLINE_CONSOLE_SECURE_COOKIES=false HOTLINE_CONSOLE_LOGIN_ATTEMPTS_PER_MINUTE=100000 \
    HOTLINE_SIP_RTP_PORT_MIN=20000 HOTLINE_SIP_RTP_PORT_MAX=29999 HOTLINE_LOG_LEVEL=warn \
    HOTLINE_SIP_TRUSTED_SOURCES='["127.0.0.1"]' \
        $WRAP "$BIN" serve --demo --demo-agents "$AGENTS" >"$dir/hotline.out" 2>"$dir/hotline.log" &
    local hotline=$!
    for _ in $(seq 1 3000); do
        curl -sf "http://127.0.0.1:$HTTP_PORT/health" >/dev/null 2>&1 && break
        sleep 0.1
    done

    local sim_args=(simulate --sip 127.0.0.1:$SIP_PORT --http 127.0.0.1:$HTTP_PORT
        --agents "$AGENTS" --ring "$RING" --talk "$TALK" --wrap-up "$WRAP_UP"
        --rtp-ports 40000-49999 --report-every 10s --drain 90s --seed "$rate")
    local generator_cpu=0 sipp_status=0 hotline_cpu_start=0
    if [ "$mode" = sipp ]; then
        # Agents only; SIPp does not know when an agent answers, so the agents end every call.
        HOTLINE_LOG_LEVEL=warn "$BIN" "${sim_args[@]}" --agent-hangs-up 1 \
            >"$dir/simulate.out" 2>"$dir/simulate.log" &
        local simulate=$!
        wait_for "$dir/simulate.out" "taking calls" 600 $simulate
        hotline_cpu_start=$(cpu_seconds $hotline)
        start_counting $hotline
        local sim_cpu_start; sim_cpu_start=$(cpu_seconds $simulate)
        (cd "$dir" && sipp 127.0.0.1:$SIP_PORT -sf "$HERE/citizen.xml" -s 12345 \
            -i 127.0.0.1 -p $SIPP_PORT -mp 30000 -r "$rate" -rp 60000 -m "$calls" -l 100000 \
            -buff_size 4194304 -timeout 900s -trace_screen -trace_err \
            >/dev/null 2>&1) &
        local sipp=$!
        local sipp_cpu=0
        while kill -0 $sipp 2>/dev/null; do
            local pid; pid=$(pgrep -P $sipp sipp || true)
            [ -n "$pid" ] && sipp_cpu=$(latest_cpu "$pid" "$sipp_cpu")
            sleep 1
        done
        wait $sipp || sipp_status=$?
        local sim_cpu; sim_cpu=$(cpu_seconds $simulate)
        kill -INT $simulate; wait $simulate || true
        generator_cpu=$(python3 -c "print($sipp_cpu + $sim_cpu - $sim_cpu_start)")
    else
        HOTLINE_LOG_LEVEL=warn "$BIN" "${sim_args[@]}" --calls-per-minute "$rate" \
            --calls "$calls" --abandon-share 0 --keys "1|2,1|2|3|4|0" \
            >"$dir/simulate.out" 2>"$dir/simulate.log" &
        local simulate=$!
        wait_for "$dir/simulate.out" "taking calls" 600 $simulate
        hotline_cpu_start=$(cpu_seconds $hotline)
        start_counting $hotline
        local sim_cpu_start; sim_cpu_start=$(cpu_seconds $simulate)
        local sim_cpu=0
        while kill -0 $simulate 2>/dev/null; do
            sim_cpu=$(latest_cpu $simulate "$sim_cpu")
            sleep 1
        done
        wait $simulate || sipp_status=$?
        generator_cpu=$(python3 -c "print($sim_cpu - $sim_cpu_start)")
    fi
    # CPU used from the first call on (start-up, demo seeding and agent
    # logins left out).
    local hotline_cpu; hotline_cpu=$(python3 -c "print($(cpu_seconds $hotline) - $hotline_cpu_start)")
    local instructions; instructions=$(instructions_counted $hotline "$dir")
    kill -TERM $hotline; wait $hotline || true

    python3 - "$dir/data/hotline.db" "$mode" "$rate" "$calls" "$hotline_cpu" "$generator_cpu" "$sipp_status" "$instructions" <<'EOF'
import json, sqlite3, sys
db, mode, rate, offered, hotline_cpu, generator_cpu, status, instructions = sys.argv[1:]
rows = sqlite3.connect(db).execute("select call_id, at_ms, kind, payload from call_events").fetchall()
calls = {}
for call, at, kind, payload in rows:
    calls.setdefault(call, []).append((at, kind, payload))
def has(events, kind): return any(k == kind for _, k, _ in events)
citizens = {c: e for c, e in calls.items() if has(e, "call_started")}
queued = [e for e in citizens.values() if has(e, "queued")]
answered = [e for e in queued if has(e, "agent_answered")]
abandoned = [e for e in queued if has(e, "abandoned") and not has(e, "agent_answered")]
overflowed = [e for e in queued if has(e, "overflowed") and not has(e, "agent_answered")]
lost = len(queued) - len(answered) - len(abandoned) - len(overflowed)
completed = [e for e in answered if has(e, "ended") and has(e, "wrap_up_done")]
starts = sorted(at for e in citizens.values() for at, k, _ in e if k == "call_started")
ends = sorted(at for e in completed for at, k, _ in e if k == "ended")
waits = sorted(json.loads(p)["wait_ms"] for e in answered for _, k, p in e if k == "agent_answered")
bad_ends = sum(1 for e in citizens.values() for _, k, p in e
               if k == "ended" and json.loads(p)["cause"] not in ("bye", "local_hangup"))
# The rate of a stream of events in its middle 90 %: a few stragglers at
# either end (a call whose survey timed out) do not bend it.
def rate_of(times):
    if len(times) < 20:
        return (len(times) - 1) / max((times[-1] - times[0]) / 1000, 0.001) if len(times) > 1 else 0.0
    low, high = int(0.05 * len(times)), int(0.95 * len(times))
    return (high - low) / max((times[high] - times[low]) / 1000, 0.001)
pct = lambda p: waits[min(len(waits) - 1, int(p * len(waits)))] / 1000 if waits else 0
done = len(completed)
print(f"{mode:<8} {int(rate):>4}/min offered {int(offered):>4} | calls {len(citizens):>4} arriving {rate_of(starts):5.2f}/s"
      f" | queued {len(queued):>4} answered {len(answered):>4} abandoned {len(abandoned)} overflowed {len(overflowed)} lost {lost}"
      f" bad-ends {bad_ends} | completed {done:>4} at {rate_of(ends):5.2f}/s"
      f" | wait p50 {pct(0.5):4.1f} s p95 {pct(0.95):4.1f} s"
      f" | CPU ms/call: hotline {float(hotline_cpu) * 1000 / max(done, 1):5.1f}, generator {float(generator_cpu) * 1000 / max(done, 1):5.1f}"
      f" | generator exit {status}"
      + (f" | instructions/call: hotline {int(instructions) / max(done, 1) / 1e6:.2f} M" if instructions else ""))
EOF
    # Free the ports before the next step.
    sleep 2
}

echo "full-flow benchmark: $AGENTS agents, talk $TALK, $SECONDS_PER_STEP s of arrivals per step; work dir $WORK"
for rate in $RATES; do
    for mode in $MODES; do
        run_step "$mode" "$rate"
    done
done
