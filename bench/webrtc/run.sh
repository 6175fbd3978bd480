#!/usr/bin/env bash
# WebRTC leg benchmark: one command, see README.md beside this file.
# Extra arguments go to the benchmark (e.g. --levels 100,200 --opus-levels 50 --churn 0).
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -p hotline-webrtc --example webrtc_bench
exec "$target/release/examples/webrtc_bench" "$@"
