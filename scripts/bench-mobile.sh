#!/usr/bin/env bash
# Mobile coverage rasters at scale: a synthetic Tuscany of N units (default 1M) with the
# mobile rasters of four operators at 100 m (six bands: 4G and 5G, in EPSG:32632, 32633 and
# 3035), then times and measures (GNU time: wall, peak memory):
#   - classify: the N units against the rasters alone, then rasters + footprints together;
#   - grid italia-5g: every 100 m EPSG:3035 pixel of Tuscany (about 2.3M in the territory)
#     against footprints and rasters, with the GeoTIFF and the dissolved areas written;
#   - grid h3: the resolution-9 hexagons of Tuscany under the three FCC presets.
#
#   scripts/bench.sh mobile [UNITS]         (or scripts/bench-mobile.sh [UNITS])
set -euo pipefail
cd "$(dirname "$0")/.."
UNITS=${1:-1000000}
DIR=${BENCH_DIR:-.bench}/mobile
mkdir -p "$DIR"
command -v /usr/bin/time >/dev/null || { echo "bench: needs GNU time (apt install time)" >&2; exit 1; }
cargo build --release --locked -q
B=${CARGO_TARGET_DIR:-$PWD/target}/release/bianca
D=$DIR/synth-$UNITS
echo "bench-mobile: $UNITS units, $(nproc) cores, $(uptime)"

measure() { # label command...
  /usr/bin/time -f "%e %M" -o "$DIR/time" "$@" >/dev/null 2>"$DIR/err" || {
    cat "$DIR/err" >&2; exit 1; }
  read -r secs kb <"$DIR/time"
  printf "  %-58s %8.2f s  %6d MiB peak\n" "$LABEL" "$secs" "$((kb / 1024))"
  grep -E "time:|pixels|dissolved|hexagons of" "$DIR/err" | sed 's/^/      /' || true
}

if [ ! -f "$D/population.tif" ]; then
  LABEL="synth $UNITS units + 6 rasters at 100 m" measure "$B" synth --units "$UNITS" --out "$D" --rasters
fi
RASTERS=("$D"/mobile_*.tif)
LABEL="classify $UNITS units x ${#RASTERS[@]} rasters (it-5g, fcc-4g-5-1)" measure \
  "$B" classify --units "$D/units.csv" --coverage "${RASTERS[@]}" \
    --rules it-5g,fcc-4g-5-1 --reference-year 2025 --stats "$DIR/stats.csv"
LABEL="classify $UNITS units x rasters + footprints + declarations" measure \
  "$B" classify --units "$D/units.csv" --coverage "$D/coverage.fgb" "${RASTERS[@]}" \
    --declarations "$D/declarations.csv" --rules it-5g,eu2013-nga,fcc-4g-5-1 \
    --reference-year 2025 --out "$DIR/units.parquet" --stats "$DIR/stats.csv" --mobile-stats
LABEL="grid italia-5g: Tuscany at 100 m (footprints + rasters)" measure \
  "$B" grid italia-5g --coverage "$D/coverage.fgb" "${RASTERS[@]}" --areas "$D/comuni.geojson" \
    --units "$D/units.csv" --population "$D/population.tif" --reference-year 2025 \
    --out-raster "$DIR/italia5g.tif" --out-polygons "$DIR/italia5g.gpkg"
LABEL="grid h3: Tuscany at resolution 9, three FCC presets" measure \
  "$B" grid h3 --coverage "$D/coverage.fgb" "${RASTERS[@]}" --areas "$D/comuni.geojson" \
    --units "$D/units.csv" --reference-year 2025 --out "$DIR/hexagons.parquet"
