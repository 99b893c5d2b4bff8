#!/usr/bin/env bash
# Tile-serving figures: `bianca serve` on a synthetic Tuscany of N units (default 1,000,000)
# in the embedded store, loaded by wrk with 64 connections for 30 s over a realistic mix of
# tiles from zoom 5 to 15 (map views centred where people live, each asking the tiles of a
# 1024x768 viewport: areas, plus hexagons below zoom 13 or units from 13, plus coverage on a
# third of the views). Two runs: cold (a fresh server, every tile rendered on first request)
# and warm (the same list again, served from the tile cache). Prints tiles/s, p50 / p99,
# errors, bytes and the server's peak memory.
#   scripts/bench-serve.sh [UNITS]          (also: scripts/bench.sh serve [UNITS])
# Env: BENCH_DIR (.bench), DURATION (30s), CONNECTIONS (64).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
N=${1:-1000000}
BENCH_DIR=${BENCH_DIR:-$ROOT/.bench}
DIR=$BENCH_DIR/serve-$N
DURATION=${DURATION:-30s}
CONNECTIONS=${CONNECTIONS:-64}
bash scripts/setup.sh
if ! command -v wrk >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -q >/dev/null
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null \
    || $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null
fi
cargo build --release --locked -q
BIANCA=${CARGO_TARGET_DIR:-$ROOT/target}/release/bianca
mkdir -p "$DIR"
DB=$DIR/bianca.db
if [ ! -f "$DB" ]; then
  [ -f "$DIR/synth/units.csv" ] || "$BIANCA" synth --units "$N" --out "$DIR/synth" 2>/dev/null
  "$BIANCA" --database-url "$DB" import units "$DIR/synth/units.csv" --public -q
  "$BIANCA" --database-url "$DB" import coverage "$DIR/synth/coverage.fgb" --public -q
  "$BIANCA" --database-url "$DB" import declarations "$DIR/synth/declarations.csv" --public -q
  "$BIANCA" --database-url "$DB" import areas "$DIR/synth/comuni.geojson" -q
  "$BIANCA" --database-url "$DB" classify --snapshot bench --rules eu2013-nga,eu2023-gigabit \
    --reference-year 2025 -q
fi

# the tile list: deterministic, no tile twice
python3 - "$DIR/synth/units.csv" "$DIR/urls.txt" <<'PY'
import csv, math, random, sys
random.seed(11)
pts = []
with open(sys.argv[1]) as f:
    r = csv.reader(f); next(r)
    for i, row in enumerate(r):
        if i % 50 == 0:
            pts.append((float(row[1]), float(row[2])))
def tile(lon, lat, z):
    n = 2 ** z
    x = (lon + 180) / 360 * n
    la = math.radians(lat)
    y = (1 - math.log(math.tan(la) + 1 / math.cos(la)) / math.pi) / 2 * n
    return x, y
seen, urls = set(), []
# enough views that one pass over the list outlasts the cold run: every request of the
# cold run asks for a tile that has not been rendered yet
for v in range(150000):
    lon, lat = random.choice(pts)
    z = random.randint(5, 15)
    cx, cy = tile(lon, lat, z)
    layers = ["areas", "hexagons" if z < 13 else "units"]
    if v % 3 == 0:
        layers.append("coverage")
    # a 1024x768 viewport of 512-pixel tiles: 3 x 3 tiles around the centre
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            x, y = int(cx) + dx, int(cy) + dy
            if not (0 <= x < 2 ** z and 0 <= y < 2 ** z):
                continue
            for l in layers:
                u = f"/tiles/{l}/{z}/{x}/{y}.mvt"
                if u not in seen:
                    seen.add(u); urls.append(u)
random.shuffle(urls)
open(sys.argv[2], "w").write("\n".join(urls) + "\n")
PY
NURLS=$(wc -l < "$DIR/urls.txt")

cat > "$DIR/tiles.lua" <<'LUA'
-- each wrk thread takes every T-th URL from its own offset, so a pass over the list asks
-- for each tile once
local urls = {}
for line in io.lines(os.getenv("URLS")) do urls[#urls + 1] = line end
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  i = id
  step = tonumber(os.getenv("THREADS"))
end
function request()
  local u = urls[(i % #urls) + 1]
  i = i + step
  return wrk.format("GET", u, { ["Accept-Encoding"] = "gzip" })
end
LUA

PORT=18765
PID=""
trap '[ -n "$PID" ] && kill $PID 2>/dev/null || true' EXIT
start_server() {
  "$BIANCA" --database-url "$DB" serve --bind 127.0.0.1:$PORT --watch 0 --tile-cache-mb 1024 \
    2> "$DIR/serve.log" &
  PID=$!
  for _ in $(seq 1 600); do
    grep -q "listening on" "$DIR/serve.log" && return 0
    kill -0 $PID 2>/dev/null || { cat "$DIR/serve.log" >&2; exit 1; }
    sleep 0.2
  done
  echo "bench: the server did not start" >&2; exit 1
}
stop_server() { kill $PID; wait $PID 2>/dev/null || true; PID=""; }
run_wrk() { # label duration -> $DIR/wrk-label.txt
  URLS=$DIR/urls.txt THREADS=2 wrk -t2 -c"$CONNECTIONS" -d"$2" --latency \
    -s "$DIR/tiles.lua" "http://127.0.0.1:$PORT" > "$DIR/wrk-$1.txt"
}
requests() { awk '/requests in/ {print $1}' "$DIR/wrk-$1.txt"; }

# cold: a fresh server, and a run short enough that no tile is asked twice (the run is
# shortened and repeated on a fresh server until it does not wrap around the list)
COLD=${DURATION%s}
for _ in 1 2 3 4; do
  start_server
  run_wrk cold "${COLD}s"
  stop_server
  n=$(requests cold)
  [ "$n" -le "$NURLS" ] && break
  COLD=$(awk -v d="$COLD" -v n="$n" -v u="$NURLS" 'BEGIN { x = int(d * u / n * 0.8); print (x < 1 ? 1 : x) }')
done
start_server
load=$(grep -o 'loaded in [0-9.]*s' "$DIR/serve.log")
rss_loaded=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$PID/status)
hwm_loaded=$(awk '/VmHWM/ {print int($2/1024)}' /proc/$PID/status)
# warm: one pass to fill the cache, then the measured run
run_wrk fill "$DURATION"
run_wrk warm "$DURATION"
peak=$(awk '/VmHWM/ {print int($2/1024)}' /proc/$PID/status)
# tile sizes, gzipped, of the z5 tiles over Tuscany
z5=$(for l in hexagons units areas coverage; do for x in 16 17; do
  curl -s -o /dev/null -w "%{size_download} " -H 'Accept-Encoding: gzip' "http://127.0.0.1:$PORT/tiles/$l/5/$x/11.mvt"; done; done)
stop_server

field() { # file pattern -> value
  awk -v p="$2" '$1 == p { print $2; exit }' "$1"
}
row() { # label
  local f=$DIR/wrk-$1.txt
  local rps p50 p99 n non2xx sock
  rps=$(awk '/Requests\/sec/ {print $2}' "$f")
  p50=$(field "$f" "50%"); p99=$(field "$f" "99%")
  n=$(awk '/requests in/ {print $1}' "$f")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$f"); non2xx=${non2xx:-0}
  sock=$(awk '/Socket errors/ {print $0}' "$f"); sock=${sock:-none}
  echo "| $1 | $n | $rps | $p50 | $p99 | $non2xx | $sock |"
}
echo
echo "## bianca serve, $N synthetic units ($(nproc) cores, wrk -t2 -c$CONNECTIONS -d$DURATION)"
echo
echo "$NURLS distinct tiles (z5-z15, areas / hexagons / units / coverage); snapshot $load"
echo
echo "| run | requests | tiles/s | p50 | p99 | non-2xx | socket errors |"
echo "|---|---|---|---|---|---|---|"
row cold
row warm
echo
echo "cold: a fresh server for ${COLD} s, every request a tile not rendered before; warm: 30 s after a"
echo "pass that filled the cache."
echo
echo "Server memory: ${rss_loaded} MiB resident after loading (peak while loading ${hwm_loaded} MiB),"
echo "${peak} MiB peak with a full cache (VmHWM; the tile cache may hold up to 1024 MiB)."
if [ "$(requests cold)" -gt "$NURLS" ]; then
  echo "Note: the cold run made more requests than there are distinct tiles: part of it was warm."
fi
echo "z5 tiles over Tuscany, gzipped bytes (x=16, 17; hexagons units areas coverage): $z5"
