#!/usr/bin/env bash
# The Debian package end to end on this machine, as a new operator meets it
# (CI runs this after the tests; it needs root, apt and SIPp):
#   1. build the package and install it with apt;
#   2. check the unit (systemd-analyze verify, and its exposure offline);
#   3. start the unit's ExecStart as its user with its limits and working
#      directory (systemd is not PID 1 here, so it runs as the unit would);
#   4. over HTTPS with the certificate the first start made: the first
#      admin signs in, chooses a password, creates an agent and a phone
#      (deploy/debian/operator.py); a SIPp phone registers with the
#      printed secret; a SIPp citizen calls 12345;
#   5. `hotline reload` as the service's user; stop it (SIGTERM), find the call in the store, back it up with the
#      packaged binary, restore it elsewhere and find the call there too;
#   6. purge the package: binary, user, configuration and data are gone.
#
#   deploy/debian/test-package.sh [--profile dev|release]   (default dev)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
profile=dev
[ "${1:-}" = "--profile" ] && profile=$2
say() { echo "== package: $*"; }
fail() { echo "!! package: $*" >&2; [ -f "${log:-/nonexistent}" ] && tail -n 40 "$log" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "run as root (it installs a package)"
command -v sipp >/dev/null || fail "SIPp (sip-tester) is needed"
if dpkg -s hotline >/dev/null 2>&1; then
  fail "a hotline package is installed already: apt-get purge hotline first"
fi

work=$(mktemp -d)
chmod 0755 "$work"
log=$work/hotline.log
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  if dpkg -s hotline >/dev/null 2>&1; then apt-get purge -y -qq hotline >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

say "building ($profile)"
deb=$("$here/build-deb.sh" --profile "$profile" --out "$work")
say "installing $(basename "$deb") with apt"
apt-get install -y -qq "$deb" >/dev/null
getent passwd hotline >/dev/null || fail "no hotline user"
[ "$(stat -c %U:%a /var/lib/hotline)" = "hotline:750" ] || fail "/var/lib/hotline: $(stat -c %U:%a /var/lib/hotline)"
[ "$(stat -c %G:%a /etc/hotline/hotline.toml)" = "hotline:640" ] || fail "/etc/hotline/hotline.toml: $(stat -c %G:%a /etc/hotline/hotline.toml)"
[ -f /usr/share/hotline/ivr_scripts/menu.toml ] || fail "no shipped scripts"

unit=/lib/systemd/system/hotline.service
say "checking the unit"
systemd-analyze verify "$unit" || fail "systemd-analyze verify $unit"
systemd-analyze security --offline=yes "$unit" 2>/dev/null | tail -n 1
unit_key() { sed -n "s/^$1=//p" "$unit" | tail -n 1; }
exec_start=$(unit_key ExecStart)
user=$(unit_key User)
workdir=$(unit_key WorkingDirectory)
nofile=$(unit_key LimitNOFILE)
rtprio=$(unit_key LimitRTPRIO)
# A container may hold the hard limit below the unit's (systemd would raise
# it; root without CAP_SYS_RESOURCE cannot): then the hard limit it is.
hard_nofile=$(ulimit -Hn)
if [ "$hard_nofile" != unlimited ] && [ "$hard_nofile" -lt "$nofile" ]; then
  say "LimitNOFILE=$nofile is above this machine's hard limit: $hard_nofile"
  nofile=$hard_nofile
fi
hard_rtprio=$(ulimit -Hr)
if [ "$hard_rtprio" != unlimited ] && [ "$hard_rtprio" -lt "$rtprio" ]; then
  say "LimitRTPRIO=$rtprio is above this machine's hard limit: $hard_rtprio (the media clock runs unprioritised)"
  rtprio=$hard_rtprio
fi

say "the packaged binary finds its configuration from any directory"
(cd / && runuser -u "$user" -- hotline config | grep -q 'scripts_dir = "/usr/share/hotline/ivr_scripts"') \
  || fail "hotline config run in / did not read /etc/hotline/hotline.toml"

say "starting '$exec_start' as $user in $workdir (LimitNOFILE=$nofile LimitRTPRIO=$rtprio)"
# shellcheck disable=SC2086 # ExecStart is a command line
(cd "$workdir" && exec prlimit --nofile="$nofile" --rtprio="$rtprio" -- \
  setpriv --reuid="$user" --regid="$user" --init-groups --no-new-privs --inh-caps=-all --bounding-set=-all -- \
  $exec_start) >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  grep -q "hotline ready" "$log" && break
  kill -0 "$pid" 2>/dev/null || fail "the service exited"
  sleep 0.2
done
grep -q "hotline ready" "$log" || fail "not ready after 20 s"
first_password=$(sed -n 's/.*account is "admin" with password "\([^"]*\)".*/\1/p' "$log")
[ -n "$first_password" ] || fail "the first start printed no admin password"
ca=/var/lib/hotline/tls/http.crt
[ -f "$ca" ] || fail "the first start made no HTTPS certificate ($ca)"
[ "$(stat -c %U "$ca")" = hotline ] || fail "$ca is not the service's"

say "HTTPS: the admin signs in, chooses a password, creates an agent and a phone"
secret=$(python3 "$here/operator.py" https://localhost:8443 "$ca" "$first_password" \
  "package-admin-password-2026" agent7) || fail "the operator's first steps"

say "a SIPp phone registers as agent7 with the printed secret"
for _ in $(seq 1 50); do grep -q "phone added" "$log" && break; sleep 0.1; done
grep -q "phone added" "$log" || fail "the registrar never heard of agent7's phone"
(cd / && sipp 127.0.0.1:5060 -sf "$root/tests/sipp/register_auth.xml" -s agent7 -au agent7 -ap "$secret" \
    -i 127.0.0.1 -p 5399 -m 1 -timeout 20s -timeout_error >"$work/register.out" 2>&1 \
  || fail "agent7's phone did not register: $(tail -n 5 "$work/register.out")")
say "a SIPp citizen calls 12345 and hangs up after 3 s"
(cd / && sipp 127.0.0.1:5060 -sn uac -s 12345 -m 1 -d 3000 -i 127.0.0.1 -p 5398 -timeout 30s -timeout_error \
  >"$work/call.out" 2>&1) || fail "the call failed: $(tail -n 5 "$work/call.out")"

curl -fsS http://127.0.0.1:9464/metrics >"$work/metrics" || fail "no /metrics on 127.0.0.1:9464"
grep -q '^hotline_sip_messages_in_total' "$work/metrics" || fail "/metrics lacks the SIP counters"

say "hotline reload as the service's user (what ExecReload's SIGHUP does, checked first)"
(cd / && runuser -u hotline -- hotline reload >"$work/reload.out" 2>&1) || fail "hotline reload: $(cat "$work/reload.out")"
for _ in $(seq 1 50); do grep -q "configuration reloaded" "$log" && break; sleep 0.1; done
grep -q "configuration reloaded" "$log" || fail "the running hotline did not reload"

say "stopping (SIGTERM)"
kill -TERM "$pid"
wait "$pid" || fail "the service exited with $?"
pid=
grep -q "hotline stopped" "$log" || fail "no clean stop"
calls() { python3 -c 'import sqlite3,sys; print(sqlite3.connect("file:"+sys.argv[1]+"?mode=ro", uri=True).execute("SELECT count(*) FROM calls").fetchone()[0])' "$1"; }
[ "$(calls /var/lib/hotline/hotline.db)" -ge 1 ] || fail "no call in the store"

say "backup with the packaged binary, restore into an empty directory"
install -d -o hotline -g hotline "$work/backup" "$work/restored"
runuser -u hotline -- hotline backup "$work/backup/b1" >/dev/null || fail "hotline backup"
(cd / && runuser -u hotline -- env HOTLINE_DATABASE_DATA_DIR="$work/restored" \
  HOTLINE_DATABASE_URL="sqlite://$work/restored/hotline.db" hotline restore "$work/backup/b1" >/dev/null) \
  || fail "hotline restore"
[ "$(calls "$work/restored/hotline.db")" = "$(calls /var/lib/hotline/hotline.db)" ] || fail "the restored store lacks calls"

say "purging"
apt-get purge -y -qq hotline >/dev/null
for gone in /usr/bin/hotline /etc/hotline /var/lib/hotline /usr/share/hotline "$unit"; do
  [ ! -e "$gone" ] || fail "$gone is still there after purge"
done
! getent passwd hotline >/dev/null || fail "the hotline user is still there after purge"
say "installed, served a call over SIP and the console over HTTPS, backed up, restored and purged"
