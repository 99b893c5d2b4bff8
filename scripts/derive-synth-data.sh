#!/usr/bin/env bash
# Regenerates data/synth/ (the reference data embedded by `bianca synth`) from the shared
# source datasets. Usage: scripts/derive-synth-data.sh [SHARED_DATA_DIR]
# SHARED_DATA_DIR defaults to ../shared/data (relative to the repository root).
# Needs: ogr2ogr (gdal-bin), gzip, awk, sort (POSIX). Output is byte-for-byte reproducible.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC="${1:-../shared/data}"
OUT=data/synth
mkdir -p "$OUT"
export LC_ALL=C

# 1. Comuni of Tuscany: the openpolis TopoJSON (simplified with shared arcs, so neighbouring
#    comuni keep no gaps and no overlaps), converted to GeoJSON with five decimals and only
#    the code/name/province/region properties.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
ogr2ogr -f GeoJSON "$tmp/comuni.geojson" \
  "$SRC/tuscany-comuni/limits_R_9_municipalities.topo.json" \
  -a_srs EPSG:4326 -lco RFC7946=YES -lco COORDINATE_PRECISION=5 \
  -select com_istat_code,name,prov_istat_code,prov_acr,reg_istat_code
mv "$tmp/comuni.geojson" "$OUT/comuni.geojson"

# 2. Street names per comune from Infratel's "civici scoperti 2028" list: per comune the
#    150 streets with most civici (ties by name), each with up to 3 of its civici
#    (plain numbers with an optional /letter; SNC and 0 dropped).
#    The source has U+FFFD after some apostrophes (LIBERTA'<U+FFFD>): removed.
#    Output: com_istat_code<TAB>strada<TAB>civico civico civico, sorted, gzip -n.
zcat "$SRC/infratel-2025-civici-scoperti/civici_scoperti_2028_toscana.csv.gz" \
  | tail -n +2 \
  | sed 's/\xef\xbf\xbd//g' \
  | awk -F, '{
      key = $4 "\t" $5
      n[key]++
      if ($6 ~ /^[1-9][0-9]?[0-9]?[0-9]?(\/[A-Z])?$/ && m[key] < 3) {
        civ[key] = (m[key]++ == 0 ? $6 : civ[key] " " $6)
      }
    }
    END { for (k in n) print k "\t" n[k] "\t" civ[k] }' \
  | sort -t "$(printf '\t')" -k1,1 -k3,3nr -k2,2 \
  | awk -F'\t' '$1 != prev { prev = $1; c = 0 } ++c <= 150 { print $1 "\t" $2 "\t" $4 }' \
  > "$tmp/streets.tsv"
gzip -9 -n -c "$tmp/streets.tsv" > "$OUT/streets.tsv.gz"

ls -l "$OUT"
