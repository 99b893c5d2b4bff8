#!/usr/bin/env bash
# Runs every check and test of bianca, installing what is missing first.
#   scripts/test.sh
# Steps: system packages (scripts/setup.sh), a private throwaway PostGIS database for the
# tests (scripts/pg.sh: BIANCA_TEST_DATABASE_URL, or the DATABASE_URL you set; stopped and
# removed on exit), cargo fmt --check, cargo clippy -D warnings, cargo test (unit, oracle,
# CLI end-to-end and PostGIS tests).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

# one EXIT trap for everything to clean up: the test log and the private PostGIS
log=$(mktemp)
# shellcheck source=scripts/pg.sh
source scripts/pg.sh
trap 'pg_stop; rm -f "$log"' EXIT
pg_start

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check

echo "== cargo clippy" >&2
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test" >&2
cargo test --workspace --locked 2>&1 | tee "$log"
# one closing line for the whole run: the sum of every test binary's counts
awk '/^test result:/ { p += $4; f += $6; i += $8 }
     END { printf "bianca: %d passed, %d failed, %d skipped\n", p, f, i; exit (p == 0 || f > 0) }' "$log"
