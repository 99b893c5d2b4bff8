#!/usr/bin/env bash
# Installs what bianca needs to build and test on Debian 12, if it is missing:
# GDAL (libgdal-dev, gdal-bin), pkg-config, PostgreSQL 15 with PostGIS 3 for the test
# database (postgresql-15-postgis-3, see scripts/pg.sh), libpq-dev and libsqlite3-dev, the
# DejaVu fonts (map labels), Node.js and npm; then the web map's npm packages (viewer/).
# Safe to run again: it installs nothing when everything is there. Needs root (or sudo)
# only when something is missing.
set -euo pipefail

PKGS=(libgdal-dev gdal-bin pkg-config postgresql-15-postgis-3 libpq-dev libsqlite3-dev
  fonts-dejavu-core)
# the web map's JavaScript comes from npm (viewer/package-lock.json)
command -v npm >/dev/null || PKGS+=(nodejs npm)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  apt_install() {
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
  }
  $SUDO apt-get update -q || $SUDO apt-get update -q
  # a first try once failed with "cannot access archive": retry once
  apt_install || { sleep 5; $SUDO apt-get update -q; apt_install; }
fi

command -v cargo >/dev/null || { echo "setup: cargo not found: install Rust (rustup) first" >&2; exit 1; }

# the web map's packages, pinned by viewer/package-lock.json (built into the binary)
VIEWER="$(dirname "$0")/../viewer"
if [ ! -f "$VIEWER/node_modules/.package-lock.json" ] \
  || [ "$VIEWER/package-lock.json" -nt "$VIEWER/node_modules/.package-lock.json" ]; then
  echo "setup: npm ci in viewer/" >&2
  (cd "$VIEWER" && npm ci --no-audit --no-fund --loglevel=error)
fi
