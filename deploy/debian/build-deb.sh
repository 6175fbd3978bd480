#!/usr/bin/env bash
# Builds the Debian package hotline_<version>_<arch>.deb from the workspace:
# /usr/bin/hotline, the shipped IVR scripts and prompts under
# /usr/share/hotline/ivr_scripts, /etc/hotline/hotline.toml (a conffile),
# the systemd unit, and the maintainer scripts (postinst makes the hotline
# system user and /var/lib/hotline; purge removes both).
#
#   deploy/debian/build-deb.sh                 # release build
#   deploy/debian/build-deb.sh --profile dev   # the test build (CI: no second build)
#   deploy/debian/build-deb.sh --out DIR       # where the .deb goes (default: the target dir)
#
# Only dpkg-deb (Debian's dpkg) is needed besides cargo.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
profile=release
target=${CARGO_TARGET_DIR:-$root/target}
out=$target/debian
while [ $# -gt 0 ]; do
  case $1 in
    --profile) profile=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--profile release|dev] [--out DIR]" >&2; exit 2 ;;
  esac
done

(cd "$root" && cargo build --quiet --profile "$profile" -p hotline --bin hotline)
case $profile in dev) bin_dir=debug ;; *) bin_dir=$profile ;; esac
binary=$target/$bin_dir/hotline
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)
arch=$(dpkg --print-architecture)
[ -n "$version" ] || { echo "no version in $root/Cargo.toml" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# The binary without its debug sections (the test build's are 300 MB).
install -d "$stage/usr/bin"
objcopy --strip-debug "$binary" "$stage/usr/bin/hotline"
chmod 0755 "$stage/usr/bin/hotline"
install -D -m 0644 "$here/hotline.service" "$stage/lib/systemd/system/hotline.service"
install -D -m 0640 "$here/hotline.toml" "$stage/etc/hotline/hotline.toml"
# The scripts as committed (git ls-files: no editor or generated leftovers).
(cd "$root" && git ls-files -z ivr_scripts) | while IFS= read -r -d '' file; do
  install -D -m 0644 "$root/$file" "$stage/usr/share/hotline/$file"
done
chmod 0755 "$stage"/usr/share/hotline/ivr_scripts/prompts/*.sh
doc=$stage/usr/share/doc/hotline
install -D -m 0644 "$root/README.md" "$doc/README.md"
install -m 0644 "$root/deploy/hotline.example.toml" "$doc/hotline.example.toml"
install -m 0644 "$here/privileged-port.conf" "$doc/privileged-port.conf"
cat >"$doc/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: hotline

Files: *
License: Apache-2.0
 On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0.
COPYRIGHT

install -d "$stage/DEBIAN"
install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$stage/DEBIAN/"
echo "/etc/hotline/hotline.toml" >"$stage/DEBIAN/conffiles"
cat >"$stage/DEBIAN/control" <<CONTROL
Package: hotline
Version: $version
Architecture: $arch
Maintainer: Hotline developers <hotline@example.invalid>
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Depends: libc6 (>= 2.34), libgcc-s1, adduser
Section: comm
Priority: optional
Homepage: https://example.invalid/hotline
Description: citizen hotline: SIP, IVR, ACD, agent console and call records
 One number for every question, request and complaint a city's citizens
 have: a SIP server that answers, an IVR driven by scripted menus, queues
 that offer calls to agents, a web console that pops the citizen's record,
 work orders for the departments, and one call log and citizen record.
 Runs as the hotline user under systemd, with its data in /var/lib/hotline.
CONTROL

mkdir -p "$out"
deb=$out/hotline_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz -z6 --build "$stage" "$deb" >/dev/null
echo "$deb"
