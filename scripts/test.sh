#!/usr/bin/env bash
# Runs every check and test of bianca, installing what is missing first.
#   scripts/test.sh
# Steps: system packages (scripts/setup.sh), cargo fmt --check, cargo clippy -D warnings,
# cargo test (unit, oracle, CLI end-to-end tests).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check

echo "== cargo clippy" >&2
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked 2>&1 | tee "$log"
# one closing line for the whole run: the sum of every test binary's counts
awk '/^test result:/ { p += $4; f += $6; i += $8 }
     END { printf "bianca: %d passed, %d failed, %d skipped\n", p, f, i; exit (p == 0 || f > 0) }' "$log"
