#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and local development (the same one CI starts).
#
#   eval "$(tools/postgres.sh start)"   # prints `export DECISIONFRAME_TEST_POSTGRES=...`
#   tools/postgres.sh stop              # stops it and deletes its data directory
#   tools/postgres.sh status
#
# The cluster lives in $DECISIONFRAME_PG_DIR (default /tmp/decisionframe-pg-$USER), listens
# on a unix socket in that directory and on 127.0.0.1:$DECISIONFRAME_PG_PORT (default 55432).
# Socket connections are trusted (the directory is private to the server's user); TCP
# connections need a password (scram-sha-256), so tests can check that decisionframe takes a
# password from the environment or a pgpass file. The superuser is `postgres`.
#
# initdb refuses to run as root: as root, the server runs as the `postgres` system user
# (created by Debian's package). With `--install`, Debian's postgresql package is installed
# when no server binaries are found (what .ci/run does on a fresh machine).
set -euo pipefail

command="${1:-}"
install="no"
[[ "${2:-}" == "--install" ]] && install="yes"

dir="${DECISIONFRAME_PG_DIR:-/tmp/decisionframe-pg-${USER:-$(id -un)}}"
port="${DECISIONFRAME_PG_PORT:-55432}"
data="$dir/data"

find_bindir() {
  local candidate
  if command -v pg_config >/dev/null 2>&1; then
    candidate="$(pg_config --bindir)"
    [[ -x "$candidate/initdb" ]] && { echo "$candidate"; return 0; }
  fi
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [[ -x "$candidate/initdb" ]] && { echo "$candidate"; return 0; }
  done
  return 1
}

as_server_user() {
  if [[ "$(id -u)" == "0" ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

dsn() {
  echo "host=$dir port=$port user=postgres dbname=postgres"
}

start() {
  local bindir
  if ! bindir="$(find_bindir)"; then
    if [[ "$install" == "yes" ]]; then
      echo "installing Debian's postgresql (for the PostgreSQL store tests)" >&2
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
      bindir="$(find_bindir)"
    else
      echo "no PostgreSQL server binaries found; run \`make postgres\` (installs Debian's" \
        "postgresql) or apt-get install postgresql" >&2
      exit 1
    fi
  fi
  if [[ -f "$data/postmaster.pid" ]] && as_server_user "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    echo "export DECISIONFRAME_TEST_POSTGRES='$(dsn)'"
    return 0
  fi
  mkdir -p "$dir"
  chmod 700 "$dir"
  if [[ "$(id -u)" == "0" ]]; then
    chown postgres: "$dir"
  fi
  if [[ ! -f "$data/PG_VERSION" ]]; then
    as_server_user "$bindir/initdb" -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 || {
      cat "$dir/initdb.log" >&2
      exit 1
    }
  fi
  # fsync off: a test cluster thrown away at exit need not survive a power cut (much faster).
  as_server_user "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 30 \
    -o "-k $dir -p $port -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=60" \
    start >/dev/null || {
    cat "$dir/server.log" >&2
    exit 1
  }
  echo "export DECISIONFRAME_TEST_POSTGRES='$(dsn)'"
}

stop() {
  local bindir
  bindir="$(find_bindir)" || return 0
  if [[ -f "$data/postmaster.pid" ]]; then
    as_server_user "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case "$command" in
  start) start ;;
  stop) stop ;;
  status)
    bindir="$(find_bindir)" && as_server_user "$bindir/pg_ctl" -D "$data" status ;;
  *)
    echo "usage: tools/postgres.sh start [--install] | stop | status" >&2
    exit 2
    ;;
esac
