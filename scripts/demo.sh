#!/usr/bin/env bash
# The quick start: builds bianca, generates the synthetic Tuscany demo data (once) and
# classifies it, printing the summary. Outputs go to ./out/demo/.
#   scripts/demo.sh [--units N]
set -euo pipefail
cd "$(dirname "$0")/.."

UNITS=200000
while [ $# -gt 0 ]; do
  case "$1" in
    --units) UNITS="$2"; shift 2 ;;
    *) echo "usage: scripts/demo.sh [--units N]" >&2; exit 2 ;;
  esac
done

bash scripts/setup.sh
cargo build --release --locked -q
BIANCA=${CARGO_TARGET_DIR:-target}/release/bianca
DATA=out/demo/data
mkdir -p out/demo

if [ ! -f "$DATA/units.csv" ] || [ "$(cat "$DATA/.units" 2>/dev/null)" != "$UNITS" ]; then
  "$BIANCA" synth --units "$UNITS" --out "$DATA"
  echo "$UNITS" > "$DATA/.units"
fi

"$BIANCA" classify \
  --units "$DATA/units.csv" \
  --coverage "$DATA/coverage.fgb" \
  --declarations "$DATA/declarations.csv" \
  --rules eu2013-nga,eu2023-gigabit,it-1giga-2026,bead \
  --reference-year 2025 \
  --out out/demo/units.gpkg \
  --stats out/demo/stats.csv

echo
echo "Per-unit results: out/demo/units.gpkg (open it in QGIS); statistics: out/demo/stats.csv"
