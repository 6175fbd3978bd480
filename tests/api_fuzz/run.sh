#!/usr/bin/env bash
# Schema-driven API fuzzing: schemathesis reads the console's generated
# OpenAPI document from a live `hotline serve --demo` and sends it what the
# schemas allow and what they do not, checking that no answer is a server
# error and that every status, content type and body is documented.
#
#   tests/api_fuzz/run.sh            # builds the debug binary first
#   HOTLINE_BIN=path/to/hotline tests/api_fuzz/run.sh
#   HOTLINE_FUZZ_EXAMPLES=50 tests/api_fuzz/run.sh   # more or fewer (default 100)
#   HOTLINE_FUZZ_KEEP=dir tests/api_fuzz/run.sh        # keep the HAR files and the log
#
# Needs schemathesis on PATH (`pip install schemathesis==4.32.5`). Three
# runs, each with its own session: the demo supervisor (every route but the
# admins'), a department's handler (the work orders, which it sees masked
# where they are another department's) and the admin (the admins' routes,
# last, since they change accounts). Routes not fuzzed, and why:
#   POST /api/logout                 ends the session the run uses
#   the run's own login in /api/admin/users/{login}/...
#                                    a reset or a change of the account ends
#                                    its session (hooks.py keeps it out)
#   GET  /api/agent/ws, /api/supervisor/ws
#                                    WebSockets: an HTTP fuzzer cannot talk
#                                    to them (their 400 for a plain GET is
#                                    covered by the Rust tests)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/hotline-openapi-target}"
export CARGO_INCREMENTAL=0
if [[ -z "${HOTLINE_BIN:-}" ]]; then
  cargo build -q -p hotline
  HOTLINE_BIN="$CARGO_TARGET_DIR/debug/hotline"
fi
examples="${HOTLINE_FUZZ_EXAMPLES:-100}"
if command -v st >/dev/null; then
  schemathesis=(st)
elif python3 -c 'import schemathesis' 2>/dev/null; then
  schemathesis=(python3 -m schemathesis.cli)
else
  echo "schemathesis is not installed: pip install schemathesis==4.32.5" >&2
  exit 1
fi

work=$(mktemp -d)
pid=""
cleanup() {
  if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
http_port=$(free_port)
sip_port=$(free_port)
base="http://127.0.0.1:$http_port"
admin_password="fuzz-admin-password-0001"

mkdir -p "$work/data"
# An Open311 client (the hooks give its key where a request has one).
open311_key="fuzz-open311-key-0123456789"
printf '[[orders.open311_clients]]\nname = "fuzz"\napi_key = "%s"\n' "$open311_key" >"$work/hotline.toml"
(
  cd "$work"
  HOTLINE_IVR_SCRIPTS_DIR="$root/ivr_scripts" \
  HOTLINE_HTTP_LISTEN="127.0.0.1:$http_port" \
  HOTLINE_HTTP_METRICS_LISTEN=127.0.0.1:0 \
  HOTLINE_SIP_LISTEN="127.0.0.1:$sip_port" \
  HOTLINE_DATABASE_DATA_DIR="$work/data" \
  HOTLINE_DATABASE_URL="sqlite://$work/data/hotline.db" \
  HOTLINE_CONSOLE_SECURE_COOKIES=false \
  HOTLINE_CONSOLE_ADMIN_PASSWORD="$admin_password" \
  RUST_LOG="${RUST_LOG:-warn}" \
  exec "$HOTLINE_BIN" serve --demo
) >"$work/hotline.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do
  curl -fsS -o /dev/null "$base/api/openapi.json" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/hotline.log" >&2; exit 1; }
  sleep 0.5
done
curl -fsS -o "$work/openapi.json" "$base/api/openapi.json"

# Signs in; prints the Cookie header value and the CSRF token.
session() {
  local headers="$work/login.headers"
  local body
  body=$(curl -fsS -D "$headers" -H 'Content-Type: application/json' \
    -d "{\"login\":\"$1\",\"password\":\"$2\"}" "$base/api/login")
  local cookie
  cookie=$(grep -i '^set-cookie:' "$headers" | head -n1 | sed -E 's/^[^:]+: *//; s/;.*//' | tr -d '\r')
  local csrf
  csrf=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])' <<<"$body")
  echo "$cookie" "$csrf"
}

# The session answers /api/me (a run whose session died tested only 401s).
alive() {
  [[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $1" "$base/api/me")" == 200 ]]
}

fuzz() {
  local who=$1 cookie=$2 csrf=$3
  shift 3
  alive "$cookie" || { echo "no session for $who" >&2; return 1; }
  echo "== schemathesis as $who ($examples examples per operation)"
  # From the temporary folder: schemathesis keeps a cache where it runs.
  (cd "$work" && HOTLINE_FUZZ_LOGIN="$who" HOTLINE_FUZZ_OPEN311_KEY="$open311_key" PYTHONPATH="$root/tests/api_fuzz" SCHEMATHESIS_HOOKS=hooks \
  "${schemathesis[@]}" --no-color run "$work/openapi.json" \
    --url "$base" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --phases examples,coverage,fuzzing \
    --mode all \
    --max-examples "$examples" \
    --max-redirects 0 \
    --request-timeout 10 \
    --generation-deterministic \
    --generation-with-security-parameters false \
    --suppress-health-check all \
    --warnings off \
    --continue-on-failure \
    -H "Cookie: $cookie" \
    -H "X-CSRF-Token: $csrf" \
    --exclude-path /api/logout \
    --exclude-path /api/agent/ws \
    --exclude-path /api/supervisor/ws \
    --report har --report-har-path "$work/$who.har" \
    "$@") || return 1
  alive "$cookie" || { echo "$who's session ended during the run: its results are not worth much" >&2; return 1; }
}

# Both sessions first: fuzzing /api/login soon hits the login rate limit.
read -r supervisor_cookie supervisor_csrf <<<"$(session supervisor1 supervisor1-demo-pass)"
read -r admin_cookie admin_csrf <<<"$(session admin "$admin_password")"
read -r handler_cookie handler_csrf <<<"$(session handler-water handler-water-demo-pass)"

status=0
start=$(date +%s)
fuzz supervisor1 "$supervisor_cookie" "$supervisor_csrf" --exclude-path-regex '^/api/(admin/|audit$)' || status=1
# A department's handler reads other departments' orders masked.
fuzz handler-water "$handler_cookie" "$handler_csrf" --include-path-regex '^/api/orders' || status=1
fuzz admin "$admin_cookie" "$admin_csrf" --include-path-regex '^/api/(admin/|audit$)' || status=1
echo "== api fuzz: $(( $(date +%s) - start )) s"
if [[ -n "${HOTLINE_FUZZ_KEEP:-}" ]]; then
  mkdir -p "$HOTLINE_FUZZ_KEEP" && cp "$work"/*.har "$work/hotline.log" "$HOTLINE_FUZZ_KEEP/"
fi
if grep -q ' ERROR ' "$work/hotline.log"; then
  echo "the hotline logged errors while fuzzed:" >&2
  grep ' ERROR ' "$work/hotline.log" | head -n 20 >&2
  status=1
fi
exit "$status"
