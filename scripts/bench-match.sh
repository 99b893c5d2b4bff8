#!/usr/bin/env bash
# Address matching (`bianca match`) on Infratel's lists of uncovered civici
# (../shared/data/infratel-2025-civici-scoperti, see its SOURCE.md; nothing of it is copied
# into the repository: every file lands in BENCH_DIR):
#
#  1. the Prato province list against the synthetic registry (`bianca synth --units N`,
#     default 1M): share per method;
#  2. the Prato list against a registry generated from the list's own streets, with
#     spelling variants and gaps injected and the truth kept (`bianca synth --civici`):
#     share per method, and how many of each method's matches are right;
#  3. ROWS addresses (default 1M: the Tuscany list, repeated) against the registry
#     generated from the Tuscany list: wall time and peak memory (GNU time), and the
#     shares and right/wrong counts of the Tuscany list itself.
#
#   scripts/bench.sh match [ROWS]        (or scripts/bench-match.sh [ROWS])
# Env: INFRATEL_DIR (the list's directory), BENCH_DIR (.bench), SYNTH_UNITS (1000000),
#      SEED (20240611). Needs python3 (standard library only) and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
DATA=${INFRATEL_DIR:-../shared/data/infratel-2025-civici-scoperti}
SYNTH_UNITS=${SYNTH_UNITS:-1000000}
SEED=${SEED:-20240611}
DIR=${BENCH_DIR:-.bench}/match
PRATO=$DATA/civici_scoperti_2028_prov_prato.csv
TOSCANA_GZ=$DATA/civici_scoperti_2028_toscana.csv.gz
[ -f "$PRATO" ] && [ -f "$TOSCANA_GZ" ] || {
  echo "bench-match: the Infratel lists are not in $DATA (set INFRATEL_DIR)" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "bench-match: needs GNU time (apt install time)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "bench-match: needs python3" >&2; exit 1; }
mkdir -p "$DIR"
cargo build --release --locked -q
B=${CARGO_TARGET_DIR:-$PWD/target}/release/bianca

measure() { # label command...: wall time and peak memory, stderr kept in $DIR/err
  /usr/bin/time -f "%e %M" -o "$DIR/time" "$@" >/dev/null 2>"$DIR/err" || {
    cat "$DIR/err" >&2; exit 1; }
  read -r secs kb <"$DIR/time"
  printf "  %-58s %8.2f s  %6d MiB peak\n" "$LABEL" "$secs" "$((kb / 1024))"
}

# per method: count, share, and (with a truth) how many are right; see scripts/bench-match.sh
score() { # matched.csv [registry.csv streets.csv]
  python3 - "$@" <<'PYEOF'
import csv, re, sys, collections
out = sys.argv[1]
truth = len(sys.argv) > 3
# a street of the truth: its letters and digits (as synth --civici groups the list's streets)
def norm(t): return re.sub(r"[^A-Z0-9]", "", t.upper())
# the same without particles: the list itself writes some streets both ways
# (STRADA MARCIALLA, STRADA DI MARCIALLA), so a "wrong" match may be a right one
PART = {"DI", "DEL", "DELLO", "DELLA", "DELL", "DEI", "DEGLI", "DELLE", "DA", "DAL",
        "DALLA", "IL", "LO", "LA", "LE", "GLI", "L", "D", "IN", "E"}
def loose(t): return "".join(w for w in re.split(r"[^A-Z0-9]+", t.upper()) if w not in PART)
if truth:
    units = {r["id"]: r for r in csv.DictReader(open(sys.argv[2], encoding="utf-8"))}
    present = {(u["comune"], norm(u["listed_street"])) for u in units.values()}
    streets = {(r["comune"], norm(r["listed_street"])): r
               for r in csv.DictReader(open(sys.argv[3], encoding="utf-8"))}
methods = ["exact", "normalised", "fuzzy_street", "nearest_number", "street_only",
           "comune_only", "unmatched"]
n, right, twice = collections.Counter(), collections.Counter(), collections.Counter()
rows = 0
for r in csv.DictReader(open(out, encoding="utf-8")):
    rows += 1
    m = r["method"]
    n[m] += 1
    if not truth:
        continue
    street = (r["com_istat_code"], norm(r["strada"]))
    u = units.get(r["unit_id"]) if r["unit_id"] else None
    same_street = u is not None and (u["comune"], norm(u["listed_street"])) == street
    if m in ("exact", "normalised", "fuzzy_street"):
        ok = same_street and u["listed_civico"] == r["civico"]
    elif m == "nearest_number":
        ok = same_street
    elif m == "street_only":
        s = streets.get(street)
        ok = s is not None and norm(r["matched_address"]) == norm(s["registry_street"])
    elif m == "comune_only":
        ok = street not in present  # the street is not in the registry: nothing better
    else:
        ok = False
    right[m] += ok
    if not ok and u is not None and loose(u["listed_street"]) == loose(r["strada"]):
        twice[m] += 1
print(f"    {rows} addresses")
print("    | method | addresses | share |" + (" right | wrong | of which the list writes both ways |" if truth else ""))
print("    |---|---|---|" + ("---|---|---|" if truth else ""))
for m in methods:
    line = f"    | {m} | {n[m]:,} | {100 * n[m] / max(rows, 1):.1f} % |"
    if truth:
        wrong = 0 if m in ("comune_only", "unmatched") else n[m] - right[m]
        miss = f"{n[m] - right[m]:,} (street in the registry)" if m == "comune_only" else "-"
        line += (f" {right[m]:,} | {wrong:,} | {twice[m]:,} |" if m != "comune_only"
                 else f" {right[m]:,} | {miss} | - |")
    print(line)
PYEOF
}

echo "bench-match: $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%dT%H:%MZ); load: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "1. Prato list ($(($(wc -l <"$PRATO") - 1)) rows) against the synthetic registry ($SYNTH_UNITS units, seed $SEED)"
[ -f "$DIR/synth-$SYNTH_UNITS/units.csv" ] ||
  "$B" synth --units "$SYNTH_UNITS" --seed "$SEED" --out "$DIR/synth-$SYNTH_UNITS" 2>/dev/null
LABEL="match" measure "$B" match --registry "$DIR/synth-$SYNTH_UNITS/units.csv" \
  --addresses "$PRATO" --out "$DIR/prato-vs-synth.csv"
score "$DIR/prato-vs-synth.csv"

echo "2. Prato list against a registry generated from it (synth --civici: variants and gaps injected)"
LABEL="synth --civici (Prato)" measure "$B" synth --civici "$PRATO" --seed "$SEED" --out "$DIR/civici-prato"
grep '^synth: seed' "$DIR/err" | sed 's/^/    /'
LABEL="match" measure "$B" match --registry "$DIR/civici-prato/registry.csv" \
  --addresses "$PRATO" --out "$DIR/prato-vs-civici.csv"
score "$DIR/prato-vs-civici.csv" "$DIR/civici-prato/registry.csv" "$DIR/civici-prato/streets.csv"

echo "3. $ROWS addresses (the Tuscany list repeated) against a registry generated from the Tuscany list"
TOSCANA=$DIR/toscana.csv
[ -f "$TOSCANA" ] || gzip -dc "$TOSCANA_GZ" >"$TOSCANA"
LABEL="synth --civici (Tuscany)" measure "$B" synth --civici "$TOSCANA" --seed "$SEED" --out "$DIR/civici-toscana"
grep '^synth: seed' "$DIR/err" | sed 's/^/    /'
BIG=$DIR/addresses-$ROWS.csv
[ -f "$BIG" ] || awk -v n="$ROWS" 'NR == 1 { h = $0; print; next } { l[++k] = $0 }
  END { for (i = 0; i < n; i++) print l[1 + i % k] }' "$TOSCANA" >"$BIG"
LABEL="match, $ROWS addresses, 2 threads" measure "$B" match \
  --registry "$DIR/civici-toscana/registry.csv" --addresses "$BIG" --out "$DIR/big-matched.csv"
grep -E '^  time:' "$DIR/err" | sed 's/^/  /'
LABEL="match, $ROWS addresses, 1 thread" measure "$B" --threads 1 match \
  --registry "$DIR/civici-toscana/registry.csv" --addresses "$BIG" --out "$DIR/big-matched-1.csv"
grep -E '^  time:' "$DIR/err" | sed 's/^/  /'
LABEL="match, the Tuscany list alone" measure "$B" match \
  --registry "$DIR/civici-toscana/registry.csv" --addresses "$TOSCANA" --out "$DIR/toscana-vs-civici.csv"
score "$DIR/toscana-vs-civici.csv" "$DIR/civici-toscana/registry.csv" "$DIR/civici-toscana/streets.csv"
