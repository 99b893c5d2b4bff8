#!/usr/bin/env bash
# Progress uploads at scale: generates two monthly per-address progress files of N rows
# each (default 1M: N civici, one row each, in 40 comuni of Florence province), then times
# `bianca progress upload` into a fresh embedded store (and into PostGIS when DATABASE_URL
# is set), a second upload of the next month against that history, and the reports.
# Prints wall time and peak memory (GNU time) of each step.
#
#   scripts/bench.sh progress [ROWS]        (or scripts/bench-progress.sh [ROWS])
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
DIR=${BENCH_DIR:-.bench}/progress
mkdir -p "$DIR"
command -v /usr/bin/time >/dev/null || { echo "bench: needs GNU time (apt install time)" >&2; exit 1; }
cargo build --release --locked -q
B=$PWD/target/release/bianca

# 40 current comuni of the province of Florence (the ISTAT list has gaps in the numbers)
CODES=$(grep '^048' data/istat/comuni.csv | cut -d, -f1 | head -40 | tr '\n' ' ')
gen() { # month
  awk -v n="$ROWS" -v m="$1" -v codes="$CODES" 'BEGIN {
    nc = split(codes, cc, " ");
    print "operator_id,plan,lot,istat_comune,civico_id,street,number,lat,lon,ui_count,technology,status,status_date,planned_start,planned_ready,ready_date,sellable_date,max_down,max_up,note";
    split("planned design_final design_exec permits in_works works_closed testing completed sellable", st, " ");
    for (i = 0; i < n; i++) {
      c = cc[1 + i % nc];
      s = 1 + (i % 7) + m; if (s > 9) s = 9;
      printf "OpNet,PI1G,L%d,%s,C%08d,Via Roma,%d,43.%06d,11.%06d,%d,FTTH,%s,2025-%02d-15,2024-10-01,2025-12-31,,,1000,200,\n",
        i % 12, c, i, 1 + i % 200, i % 1000000, (i * 7) % 1000000, 1 + i % 4, st[s], m
    }
  }'
}
F1=$DIR/progress-$ROWS-m1.csv
F2=$DIR/progress-$ROWS-m2.csv
[ -f "$F1" ] || gen 1 > "$F1"
[ -f "$F2" ] || gen 2 > "$F2"
echo "bench-progress: $ROWS rows per file ($(du -h "$F1" | cut -f1)), $(nproc) cores"

measure() { # label command...
  /usr/bin/time -f "%e %M" -o "$DIR/time" "$@" >/dev/null 2>"$DIR/err" || {
    cat "$DIR/err" >&2; exit 1; }
  read -r secs kb <"$DIR/time"
  printf "  %-44s %8.2f s  %6d MiB peak\n" "$LABEL" "$secs" "$((kb / 1024))"
}

run_on() { # url
  local url=$1
  LABEL="upload month 1 (fresh store)" measure "$B" --database-url "$url" progress upload "$F1"
  LABEL="upload month 2 (checked against month 1)" measure "$B" --database-url "$url" progress upload "$F2"
  LABEL="report per comune as of 2025-03-01" measure "$B" --database-url "$url" progress report --as-of 2025-03-01 --no-classification --format csv
  LABEL="series of the total, monthly" measure "$B" --database-url "$url" progress series --to 2025-06-30 --format csv
}

echo "embedded SQLite:"
rm -f "$DIR/store.db"*
run_on "$DIR/store.db"
if [ -n "${DATABASE_URL:-}" ]; then
  echo "PostGIS ($DATABASE_URL):"
  "$B" --database-url "$DATABASE_URL" db migrate >/dev/null
  run_on "$DATABASE_URL"
fi
