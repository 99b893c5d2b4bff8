#!/usr/bin/env bash
# A private, throwaway PostgreSQL 15 + PostGIS cluster for bianca's tests.
#
# Sourced (scripts/test.sh does this):
#   source scripts/pg.sh
#   pg_start          # exports BIANCA_TEST_DATABASE_URL
#   trap pg_stop EXIT # stops the cluster and removes its directory
# If DATABASE_URL is already set, pg_start starts nothing and uses it as
# BIANCA_TEST_DATABASE_URL instead.
#
# Run by hand:
#   eval "$(scripts/pg.sh start)"   # prints export lines for the URL and BIANCA_PG_DIR
#   scripts/pg.sh stop [DIR]        # DIR defaults to $BIANCA_PG_DIR
#
# The cluster lives in a fresh temporary directory (data, log, unix socket), listens on
# 127.0.0.1 only on a free port, trusts local connections and runs with fsync off: it is
# for tests only. initdb refuses to run as root, so as root the server runs as the
# `postgres` system user. Binaries: $BIANCA_PG_BIN (default /usr/lib/postgresql/15/bin),
# installed by scripts/setup.sh (postgresql-15-postgis-3).

# Directory of the cluster pg_start created in this shell; empty when there is none.
_bianca_pg_dir=${_bianca_pg_dir:-}

_bianca_pg_die() {
  echo "pg: $*" >&2
  return 1
}

# Runs a command as the user owning the cluster: postgres when we are root, else ourselves.
# Runs in the cluster directory so a root-only working directory does not upset postgres.
_bianca_pg_as() {
  local dir=$1
  shift
  if [ "$(id -u)" -eq 0 ]; then
    if command -v runuser >/dev/null 2>&1; then
      (cd "$dir" && runuser -u postgres -- "$@")
    else
      # shellcheck disable=SC2016 # expanded by the inner sh, on purpose
      (cd "$dir" && su postgres -s /bin/sh -c '"$0" "$@"' -- "$@")
    fi
  else
    (cd "$dir" && "$@")
  fi
}

# Prints a TCP port on 127.0.0.1 that nothing listens on.
_bianca_pg_free_port() {
  if command -v python3 >/dev/null 2>&1 &&
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null; then
    return 0
  fi
  local p
  for ((p = 54320; p < 54420; p++)); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  _bianca_pg_die "no free TCP port found in 54320-54419"
}

_bianca_pg_now_ms() {
  local t=${EPOCHREALTIME:-}
  if [ -n "$t" ]; then
    t=${t//[.,]/}
    echo $((10#$t / 1000))
  else
    echo $(($(date +%s) * 1000))
  fi
}

pg_start() {
  if [ -n "${DATABASE_URL:-}" ]; then
    export BIANCA_TEST_DATABASE_URL="$DATABASE_URL"
    echo "pg: using DATABASE_URL, no private PostGIS started" >&2
    return 0
  fi
  if [ -n "$_bianca_pg_dir" ]; then
    _bianca_pg_die "a private PostGIS is already running in $_bianca_pg_dir (call pg_stop first)"
    return 1
  fi

  local bin=${BIANCA_PG_BIN:-/usr/lib/postgresql/15/bin}
  local b
  for b in initdb pg_ctl; do
    [ -x "$bin/$b" ] || {
      _bianca_pg_die "$bin/$b not found: install postgresql-15-postgis-3 (bash scripts/setup.sh)"
      return 1
    }
  done
  local psql=$bin/psql
  [ -x "$psql" ] || psql=$(command -v psql) || {
    _bianca_pg_die "psql not found: install postgresql-client-15"
    return 1
  }

  local start_ms dir
  start_ms=$(_bianca_pg_now_ms)
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || {
      _bianca_pg_die "running as root but there is no postgres system user to run the server as"
      return 1
    }
    # /tmp, not $TMPDIR: the postgres user must be able to reach the directory
    dir=$(mktemp -d /tmp/bianca-pg.XXXXXX) || return 1
    _bianca_pg_dir=$dir
    chown postgres: "$dir" || { pg_stop; return 1; }
  else
    dir=$(mktemp -d "${TMPDIR:-/tmp}/bianca-pg.XXXXXX") || return 1
    _bianca_pg_dir=$dir
  fi

  if ! _bianca_pg_as "$dir" "$bin/initdb" -D "$dir/data" -U postgres -A trust \
    -E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    pg_stop
    _bianca_pg_die "initdb failed (output above)"
    return 1
  fi
  # overwrite in place: the files keep their owner
  printf '%s\n' 'local all all trust' 'host all all 127.0.0.1/32 trust' >"$dir/data/pg_hba.conf"
  cat >>"$dir/data/postgresql.conf" <<EOF

# bianca test cluster: throwaway, never durable
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
full_page_writes = off
synchronous_commit = off
EOF

  # the port may be taken between picking and binding: try a few
  local port="" attempt started=""
  for attempt in 1 2 3; do
    port=$(_bianca_pg_free_port) || { pg_stop; return 1; }
    if _bianca_pg_as "$dir" "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
      -o "-p $port" start >/dev/null 2>&1; then
      started=1
      break
    fi
    grep -q "Address already in use" "$dir/postgres.log" 2>/dev/null || break
    echo "pg: port $port taken, retrying (attempt $attempt)" >&2
  done
  if [ -z "$started" ]; then
    tail -n 20 "$dir/postgres.log" >&2 2>/dev/null
    pg_stop
    _bianca_pg_die "the private PostgreSQL did not start (log above)"
    return 1
  fi

  local q=("$psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
  local have
  have=$(PGCONNECT_TIMEOUT=10 "${q[@]}" -d postgres -Atc \
    "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'") || {
    pg_stop
    _bianca_pg_die "cannot connect to the private PostgreSQL on 127.0.0.1:$port"
    return 1
  }
  if [ "$have" != 1 ]; then
    pg_stop
    _bianca_pg_die "the postgis extension is not installed for PostgreSQL 15: install postgresql-15-postgis-3 (bash scripts/setup.sh)"
    return 1
  fi
  if ! "${q[@]}" -d postgres -c "CREATE DATABASE bianca_test" >&2 ||
    ! "${q[@]}" -d bianca_test -c "CREATE EXTENSION postgis" >&2; then
    pg_stop
    _bianca_pg_die "could not create database bianca_test with postgis"
    return 1
  fi

  export BIANCA_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/bianca_test"
  local ms=$(($(_bianca_pg_now_ms) - start_ms))
  printf 'pg: private PostGIS on 127.0.0.1:%s in %s, ready in %d.%01d s\n' \
    "$port" "$dir" $((ms / 1000)) $((ms % 1000 / 100)) >&2
}

pg_stop() {
  local dir=$_bianca_pg_dir
  _bianca_pg_dir=""
  [ -n "$dir" ] || return 0
  case "$(basename -- "$dir")" in
    bianca-pg.*) ;;
    *)
      echo "pg: refusing to remove $dir: not a bianca-pg.* directory" >&2
      return 0
      ;;
  esac
  [ -d "$dir" ] || return 0
  local bin=${BIANCA_PG_BIN:-/usr/lib/postgresql/15/bin}
  if [ -f "$dir/data/postmaster.pid" ]; then
    _bianca_pg_as "$dir" "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    # if pg_ctl could not stop it, end the postmaster we started, by its pid
    local pid=""
    [ -f "$dir/data/postmaster.pid" ] && read -r pid <"$dir/data/postmaster.pid" 2>/dev/null
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
    fi
  fi
  rm -rf -- "$dir" || true
  return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case "${1:-}" in
    start)
      pg_start
      printf 'export BIANCA_TEST_DATABASE_URL=%q\n' "$BIANCA_TEST_DATABASE_URL"
      if [ -n "$_bianca_pg_dir" ]; then printf 'export BIANCA_PG_DIR=%q\n' "$_bianca_pg_dir"; fi
      ;;
    stop)
      _bianca_pg_dir=${2:-${BIANCA_PG_DIR:-}}
      [ -n "$_bianca_pg_dir" ] || { echo "pg: stop: give the directory or set BIANCA_PG_DIR" >&2; exit 1; }
      pg_stop
      ;;
    *)
      echo "usage: scripts/pg.sh start|stop [DIR]  (or source it and call pg_start / pg_stop)" >&2
      exit 2
      ;;
  esac
fi
