#!/usr/bin/env bash
# Media engine benchmark: one command, see README.md beside this file.
# Extra arguments go to the benchmark (e.g. --levels 500,1000 --seconds 10).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -p hotline-media --example media_bench
exec target/release/examples/media_bench "$@"
