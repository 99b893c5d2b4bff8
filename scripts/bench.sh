#!/usr/bin/env bash
# Measures bianca against the peer engines of ../shared/peers on the same files, in one run,
# and prints one table: wall time, join time, pairs per second, peak memory, bianca's ratio
# to each peer, and whether every engine produced the same per-comune table.
#
#   scripts/bench.sh [SIZE] [ENGINE ...]      SIZE: tiny|small|medium|large (default medium)
#   scripts/bench.sh store [UNITS]            the store: import and snapshot figures
#                                             (scripts/bench-store.sh, default 1M units)
#   scripts/bench.sh serve [UNITS]            tile serving under load: tiles/s, p50 / p99,
#                                             memory (scripts/bench-serve.sh, 1M units)
#   scripts/bench.sh progress [ROWS]          progress uploads and reports: time, memory
#                                             (scripts/bench-progress.sh, 1M rows)
#   scripts/bench.sh match [ROWS]             address matching on Infratel's civici lists:
#                                             shares per method, right/wrong, time for 1M
#                                             (scripts/bench-match.sh)
#   scripts/bench.sh mobile [UNITS]           mobile rasters: classify 1M units against four
#                                             operators' rasters, Italia 5G pixels and H3
#                                             hexagons of Tuscany (scripts/bench-mobile.sh)
#                                             ENGINES: default "sedonadb geopandas duckdb"
# Env: PEERS_DIR (../shared/peers), BENCH_DIR (.bench), PEERS_VENV (/tmp/peers/venv),
#      PEERS_DATA (BENCH_DIR/data), REPEATS (1), SKIP_PEERS=1 to time bianca alone,
#      BIANCA_RUNS (3: bianca's figure is the median of these runs).
# Installs what is missing: python3-venv, time, procps (apt), the peers' Python packages
# (pip, into PEERS_VENV). Generating `medium` takes about a minute, `large` two.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = store ]; then shift; exec bash scripts/bench-store.sh "$@"; fi
if [ "${1:-}" = serve ]; then shift; exec bash scripts/bench-serve.sh "$@"; fi
if [ "${1:-}" = progress ]; then shift; exec bash scripts/bench-progress.sh "$@"; fi
if [ "${1:-}" = match ]; then shift; exec bash scripts/bench-match.sh "$@"; fi
if [ "${1:-}" = mobile ]; then shift; exec bash scripts/bench-mobile.sh "$@"; fi
ROOT=$(pwd)
SIZE=${1:-medium}; shift || true
ENGINES=${*:-sedonadb geopandas duckdb}
PEERS_DIR=${PEERS_DIR:-$ROOT/../shared/peers}
BENCH_DIR=${BENCH_DIR:-$ROOT/.bench}
PEERS_VENV=${PEERS_VENV:-/tmp/peers/venv}
export PEERS_DATA=${PEERS_DATA:-$BENCH_DIR/data}
export PEERS_OUT=$BENCH_DIR/out
REPEATS=${REPEATS:-1}
PY=$PEERS_VENV/bin/python

[ -d "$PEERS_DIR" ] || { echo "bench: no peer harness at $PEERS_DIR (set PEERS_DIR)" >&2; exit 1; }
bash scripts/setup.sh
need=()
for p in python3-venv time procps; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -q && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
fi
if ! "$PY" -c "import sedonadb, duckdb, geopandas, scipy" 2>/dev/null; then
  echo "bench: installing the peers' Python packages into $PEERS_VENV" >&2
  python3 -m venv "$PEERS_VENV"
  "$PY" -m pip install -q -r "$PEERS_DIR/requirements.txt"
fi

# the harness writes results next to itself: run a copy
mkdir -p "$BENCH_DIR" "$PEERS_OUT"
rm -rf "$BENCH_DIR/peers"
cp -r "$PEERS_DIR" "$BENCH_DIR/peers"
chmod -R u+w "$BENCH_DIR/peers"
rm -f "$BENCH_DIR/peers/results/results.jsonl" "$PEERS_OUT"/*_"$SIZE".csv

if [ ! -f "$PEERS_DATA/$SIZE/points.parquet" ]; then
  echo "bench: generating $SIZE into $PEERS_DATA" >&2
  "$PY" "$BENCH_DIR/peers/gen.py" "$SIZE" --out "$PEERS_DATA" --formats parquet,csv,fgb,fgb_points >&2
fi
D=$PEERS_DATA/$SIZE

cargo build --release --locked -q
BIANCA=${CARGO_TARGET_DIR:-$ROOT/target}/release/bianca

# bianca: process start to per-comune table written, like the peers
run_bianca() { # threads tag table
  local threads=$1 tag=$2 table=$3
  /usr/bin/time -v -o "$BENCH_DIR/bianca_$tag.time" \
    "$BIANCA" --threads "$threads" classify \
      --units "$D/points.parquet" --coverage "$D/footprints.parquet" \
      --rules eu2013-nga,eu2023-gigabit --reference-year 2025 \
      --stats "$table" --stats-format peers \
      2> "$BENCH_DIR/bianca_$tag.err"
}
# the peers' protocol: each run waits for an idle CPU (the harness's idle_wait.py, as its
# run.sh does), and the figure is a median; bianca's runs are short, so BIANCA_RUNS (3) of
# them (the first after the build above is also the one with a cold page cache)
idle() { "$PY" "$BENCH_DIR/peers/idle_wait.py" 60 0.3 > /dev/null || true; }
BIANCA_RUNS=${BIANCA_RUNS:-3}
rm -f "$BENCH_DIR"/bianca_t2_*.time "$BENCH_DIR"/bianca_t2_*.err
echo "== bianca on $SIZE ($(nproc) cores): $(uptime)" >&2
for k in $(seq 1 "$BIANCA_RUNS"); do
  idle; run_bianca 2 "t2_$k" "$PEERS_OUT/bianca_$SIZE.csv"
done
idle; run_bianca 1 t1 "$BENCH_DIR/bianca_1thread_$SIZE.csv"
# with per-unit results written too (GeoParquet), for the record
/usr/bin/time -v -o "$BENCH_DIR/bianca_out.time" \
  "$BIANCA" classify --units "$D/points.parquet" --coverage "$D/footprints.parquet" \
    --rules eu2013-nga,eu2023-gigabit --reference-year 2025 \
    --out "$BENCH_DIR/units_$SIZE.parquet" 2> "$BENCH_DIR/bianca_out.err"

if [ "${SKIP_PEERS:-0}" != 1 ]; then
  (cd "$BENCH_DIR/peers" && PY=$PY REPEATS=$REPEATS MAX_EXTRA=1 IDLE_WAIT=60 ./run.sh "$SIZE" $ENGINES) \
    > "$BENCH_DIR/peers_$SIZE.log" 2>&1 || true
fi

"$PY" - "$BENCH_DIR" "$SIZE" "$PEERS_OUT" <<'PYEOF'
import json, os, re, sys, glob, hashlib
bench, size, out = sys.argv[1:4]

def time_v(path):
    t = open(path).read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1)
    parts = [float(p) for p in wall.split(":")]
    secs = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024
    return secs, rss

def bianca(tag):
    wall, rss = time_v(f"{bench}/bianca_{tag}.time")
    err = open(f"{bench}/bianca_{tag}.err").read()
    pairs = int(re.search(r"([\d,]+) unit-footprint pairs", err).group(1).replace(",", ""))
    cls = float(re.search(r"classify ([\d.]+)s", err).group(1))
    return dict(engine="bianca", wall=wall, join=cls, rss=rss, pairs=pairs)

runs = sorted((bianca(os.path.basename(p)[len("bianca_"):-len(".time")])
               for p in glob.glob(f"{bench}/bianca_t2_*.time")), key=lambda r: r["wall"])
# the median run (by wall time) stands for bianca, like the peers' medians
rows = [runs[len(runs) // 2]]
one = bianca("t1")
out_run = bianca("out")
res = f"{bench}/peers/results/results.jsonl"
if os.path.exists(res):
    for line in open(res):
        r = json.loads(line)
        if r.get("size") != size or r.get("contended"):
            continue
        rows.append(dict(engine=r["engine"], wall=r.get("wall_s") or 0, join=r.get("join_s") or 0,
                         rss=r.get("max_rss_mb") or 0, pairs=r.get("n_pairs") or 0))

b = rows[0]
print(f"\n## classify, {size}: bianca vs peers (same files, one run)\n")
print("| engine | wall s | join+classify s | pairs/s (M) | peak RSS MB | bianca faster by (wall) |")
print("|---|---|---|---|---|---|")
for r in rows:
    pps = r["pairs"] / r["join"] / 1e6 if r["join"] else 0
    ratio = r["wall"] / b["wall"] if b["wall"] else 0
    print(f"| {r['engine']} | {r['wall']:.2f} | {r['join']:.2f} | {pps:.1f} | {r['rss']:.0f} | {ratio:.1f}x |")
print(f"\nbianca, 2 threads, {len(runs)} runs (median above): wall "
      + ", ".join(f"{r['wall']:.2f}" for r in runs) + " s.")
print(f"bianca, 1 thread: join+classify {one['join']:.2f} s, wall {one['wall']:.2f} s; "
      f"2 threads are {one['join'] / b['join']:.2f}x faster at join+classify.")
print(f"bianca with per-unit GeoParquet output too: wall {out_run['wall']:.2f} s, peak RSS {out_run['rss']:.0f} MB.")

tables = {}
for f in sorted(glob.glob(f"{out}/*_{size}.csv")):
    tables[os.path.basename(f)[: -len(f"_{size}.csv")]] = hashlib.sha256(open(f, "rb").read()).hexdigest()[:16]
one_t = f"{bench}/bianca_1thread_{size}.csv"
if os.path.exists(one_t):
    tables["bianca (1 thread)"] = hashlib.sha256(open(one_t, "rb").read()).hexdigest()[:16]
print("\nPer-comune tables (sha256 prefix):")
for k, v in tables.items():
    print(f"  {k:<20} {v}")
same = len(set(tables.values())) == 1
print("IDENTICAL" if same else "DIFFERENT: the engines disagree")
sys.exit(0 if same else 1)
PYEOF
