#!/usr/bin/env bash
# Store figures: importing a registry of N synthetic units (default 1,000,000) and its
# coverage into the embedded SQLite store and into PostGIS (COPY), then classifying it into
# a snapshot. Prints one table. Uses DATABASE_URL when set, else a private PostGIS
# (scripts/pg.sh).
#   scripts/bench-store.sh [UNITS]          (also: scripts/bench.sh store [UNITS])
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
N=${1:-1000000}
BENCH_DIR=${BENCH_DIR:-$ROOT/.bench}
DIR=$BENCH_DIR/store-$N
bash scripts/setup.sh
cargo build --release --locked -q
BIANCA=${CARGO_TARGET_DIR:-$ROOT/target}/release/bianca
mkdir -p "$DIR"
[ -f "$DIR/synth/units.csv" ] || "$BIANCA" synth --units "$N" --out "$DIR/synth" 2>/dev/null

# shellcheck source=scripts/pg.sh
source scripts/pg.sh
trap pg_stop EXIT
pg_start
PG=$BIANCA_TEST_DATABASE_URL
SQLITE=$DIR/bianca.db
: > "$DIR/log"

secs() { # command... -> wall seconds of the command
  local t0 t1
  t0=$(date +%s.%N)
  "$@" > /dev/null 2>> "$DIR/log"
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}

declare -A T
for backend in sqlite postgis; do
  if [ $backend = sqlite ]; then
    rm -f "$SQLITE" "$SQLITE-wal" "$SQLITE-shm"; URL=$SQLITE
  else
    URL=$PG
    psql -q "$PG" -c "DROP SCHEMA IF EXISTS bench CASCADE; CREATE SCHEMA bench" >/dev/null
    URL="$PG?options=-csearch_path%3Dbench,public"
  fi
  "$BIANCA" --database-url "$URL" db migrate 2>> "$DIR/log"
  T[$backend,units]=$(secs "$BIANCA" --database-url "$URL" import units "$DIR/synth/units.csv")
  T[$backend,read]=$(grep -o 'read [0-9.]*s, store [0-9.]*s' "$DIR/log" | tail -1)
  T[$backend,coverage]=$(secs "$BIANCA" --database-url "$URL" import coverage "$DIR/synth/coverage.fgb" -q)
  T[$backend,snapshot]=$(secs "$BIANCA" --database-url "$URL" classify --snapshot s1 --rules eu2013-nga,it-1giga-2026 --reference-year 2025 -q)
  T[$backend,export]=$(secs "$BIANCA" --database-url "$URL" snapshots export s1 --out "$DIR/export-$backend.parquet")
done
read_s=$(secs "$BIANCA" classify --units "$DIR/synth/units.csv" --coverage "$DIR/synth/coverage.fgb" --rules eu2013-nga,it-1giga-2026 --reference-year 2025 --stats "$DIR/stats.csv" -q)
fp=$(grep -c . "$DIR/synth/units.csv" || true)

echo
echo "## store, $N synthetic units ($(nproc) cores)"
echo
echo "| step | embedded SQLite s | PostGIS s |"
echo "|---|---|---|"
echo "| import units ($((fp - 1)) rows; read CSV + write) | ${T[sqlite,units]} | ${T[postgis,units]} |"
echo "| of which (bianca's own split) | ${T[sqlite,read]} | ${T[postgis,read]} |"
echo "| import coverage (synth footprints) | ${T[sqlite,coverage]} | ${T[postgis,coverage]} |"
echo "| classify --snapshot (read store, classify, write results + stats) | ${T[sqlite,snapshot]} | ${T[postgis,snapshot]} |"
echo "| snapshots export --out .parquet | ${T[sqlite,export]} | ${T[postgis,export]} |"
echo
echo "For reference, file-to-file classify of the same files (--stats only): ${read_s} s."
awk -v n="$N" -v s="${T[postgis,units]}" 'BEGIN { printf "PostGIS import: %.0f units/s end to end\n", n / s }'
