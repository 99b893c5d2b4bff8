#!/usr/bin/env bash
# Runs every check and test of bianca, installing what is missing first.
#   scripts/test.sh
# Steps: system packages (scripts/setup.sh), a private throwaway PostGIS database for the
# tests (scripts/pg.sh: BIANCA_TEST_DATABASE_URL, or the DATABASE_URL you set; stopped and
# removed on exit), cargo fmt --check, cargo clippy -D warnings, cargo test (unit, oracle,
# CLI end-to-end, server and PostGIS tests), then the web map in Debian's Chromium
# (viewer/test, playwright-core; screenshots in target/browser-screenshots/).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
# the browser tests use Debian's Chromium, never one a tool downloads
if ! command -v chromium >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium \
    || { $SUDO apt-get update -q; $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }
fi

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
cargo test --workspace --locked 2>&1 | tee "$log" || true

echo "== browser tests (viewer/test)" >&2
TARGET=${CARGO_TARGET_DIR:-$(pwd)/target}
(cd viewer && BIANCA_BIN="$TARGET/debug/bianca" node --test --test-reporter=tap test/*.test.mjs) 2>&1 \
  | tee -a "$log" || true
echo "screenshots of the map: $TARGET/browser-screenshots/" >&2

# one closing line for the whole run: the sum of every test binary's counts, and the
# browser tests' (node --test: "# pass N", "# fail N")
awk '/^test result:/ { p += $4; f += $6; i += $8 }
     /^# pass / { p += $3 } /^# (fail|cancelled) / { f += $3 } /^# (skipped|todo) / { i += $3 }
     /^error: test failed|^error: could not compile/ { f += 1 }
     END { printf "bianca: %d passed, %d failed, %d skipped\n", p, f, i; exit (p == 0 || f > 0) }' "$log"
