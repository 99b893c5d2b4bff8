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
cargo test --workspace --locked
