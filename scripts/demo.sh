#!/usr/bin/env bash
# The quick start: builds bianca, generates the synthetic Tuscany demo data, imports
# it into the embedded store (out/demo/bianca.db, no server needed) with the rollout
# uploads (BUL open data and synthetic monthly files), classifies it into a snapshot,
# classifies the Italia 5G grid from the mobile rasters, prints the summary and serves it
# (tiles and API, with the mobile white areas) on http://127.0.0.1:8080/.
# Per-unit results and statistics also go to ./out/demo/.
#   scripts/demo.sh [--units N] [--bind ADDR:PORT] [--no-serve]
set -euo pipefail
cd "$(dirname "$0")/.."

UNITS=200000
BIND=127.0.0.1:8080
SERVE=1
while [ $# -gt 0 ]; do
  case "$1" in
    --units) UNITS="$2"; shift 2 ;;
    --bind) BIND="$2"; shift 2 ;;
    --no-serve) SERVE=0; shift ;;
    *) echo "usage: scripts/demo.sh [--units N] [--bind ADDR:PORT] [--no-serve]" >&2; exit 2 ;;
  esac
done

bash scripts/setup.sh
cargo build --release --locked -q
BIANCA=${CARGO_TARGET_DIR:-target}/release/bianca
DATA=out/demo/data
mkdir -p out/demo

DB=out/demo/bianca.db
# the data is generated each time (about 10 s for 200,000 units, nearly all of it the mobile
# rasters; the same seed gives the same bytes); when
# it differs from the stored demo's (another --units, another bianca version), a store of
# the other data would mix two coverages: start it afresh
"$BIANCA" synth --units "$UNITS" --out "$DATA" --rasters 2> out/demo/synth.log
SUM=$(cd "$DATA" && cat units.csv coverage.fgb declarations.csv comuni.geojson progress/*.csv *.tif | sha256sum | cut -c1-16)
if [ "$(cat "$DATA/.checksum" 2>/dev/null)" != "$SUM" ]; then
  rm -f "$DB" "$DB-wal" "$DB-shm" out/demo/planner.token
  echo "$SUM" > "$DATA/.checksum"
fi
head -1 out/demo/synth.log

# importing the same file again is detected by checksum and does nothing
"$BIANCA" --database-url "$DB" import units "$DATA/units.csv" --public
"$BIANCA" --database-url "$DB" import coverage "$DATA/coverage.fgb" --public
"$BIANCA" --database-url "$DB" import declarations "$DATA/declarations.csv" --public
# the operators' 4G/5G coverage rasters (signal or speed per pixel): kept whole in the store,
# sampled at every unit by the snapshot, drawn by value class in the planners' coverage layer
for f in "$DATA"/mobile_*.tif; do
  "$BIANCA" --database-url "$DB" import coverage "$f" --public -q
done
# the comuni's boundaries (ISTAT / Openpolis), with provinces and regions dissolved from them
"$BIANCA" --database-url "$DB" import areas "$DATA/comuni.geojson" -q

# the rollout: Infratel's BUL open data for Tuscany (per comune, reported before
# 2023-05-19) and the synthetic monthly uploads (per-address Italia 1 Giga work, 5G sites);
# the same file again is a no-op
"$BIANCA" --database-url "$DB" progress upload data/progress/bul_stato_lavori_toscana.csv \
  --date 2023-05-19 > out/demo/progress-uploads.log 2>&1
for f in "$DATA"/progress/*.csv; do
  month=$(basename "$f" .csv | grep -o '[0-9]\{4\}-[0-9]\{2\}$')
  "$BIANCA" --database-url "$DB" progress upload "$f" \
    --date "$(date -d "$month-01 +1 month -1 day" +%F)" >> out/demo/progress-uploads.log 2>&1
done
echo "Rollout progress: $(grep -c 'stored as upload' out/demo/progress-uploads.log) new uploads (out/demo/progress-uploads.log)"

"$BIANCA" --database-url "$DB" classify \
  --snapshot "demo-$(date -u +%Y%m%dT%H%M%S)" \
  --rules eu2013-nga,eu2023-gigabit,it-1giga-2026,bead \
  --reference-year 2025 \
  --out out/demo/units.gpkg \
  --stats out/demo/stats.csv --mobile-stats

# mobile: the Italia 5G pixels of Tuscany against footprints and the operators' rasters, and
# the mobile white areas the map shows in its mobile view
"$BIANCA" grid italia-5g --coverage "$DATA/coverage.fgb" "$DATA"/mobile_*.tif \
  --areas "$DATA/comuni.geojson" --units "$DATA/units.csv" --population "$DATA/population.tif" \
  --reference-year 2025 --out-raster out/demo/italia5g.tif --out-polygons out/demo/mobile_white.gpkg

echo
"$BIANCA" --database-url "$DB" snapshots list
echo
echo "Store: $DB (bianca --database-url $DB snapshots list|export|diff)"
echo "Per-unit results: out/demo/units.gpkg (open it in QGIS); statistics: out/demo/stats.csv"
echo "Italia 5G: out/demo/italia5g.tif (pixels), out/demo/mobile_white.gpkg (eligible areas)"
echo "Static public site: bianca --database-url $DB export-public out/demo/site --mobile-areas out/demo/mobile_white.gpkg"

# a planner token for the demo (the full view: exact speeds, confidential datasets)
if [ ! -s out/demo/planner.token ]; then
  (umask 077; "$BIANCA" --database-url "$DB" tokens create --role planner --label demo \
    2>/dev/null > out/demo/planner.token)
fi
echo "Demo planner token (out/demo/planner.token): $(cat out/demo/planner.token)"

if [ "$SERVE" = 1 ]; then
  echo
  echo "The map (Ctrl-C stops the server):"
  echo "  public map:        http://$BIND/"
  echo "  planner workspace: http://$BIND/planner   (token: $(cat out/demo/planner.token))"
  echo "  API:               http://$BIND/api/v1/   (OpenAPI: /api/v1/openapi.json)"
  exec "$BIANCA" --database-url "$DB" serve --bind "$BIND" --mobile-areas out/demo/mobile_white.gpkg
fi
