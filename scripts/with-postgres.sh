#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL: initdb in a temp dir, start on a
# free port on 127.0.0.1, export ROLLOUT_PANEL_TEST_PG (a superuser URL), run
# the command, then stop the server and delete the directory.
#   scripts/with-postgres.sh cargo nextest run
# With --keep DIR the cluster lives in DIR: created on the first run, started
# again on later ones, stopped (not deleted) at the end — for benchmarks
# whose seed takes minutes (cargo bench --bench poll reuses its databases).
#   scripts/with-postgres.sh --keep target/bench-pg cargo bench --bench poll
set -euo pipefail

keep=""
if [ "${1:-}" = "--keep" ]; then
  keep=${2:?with-postgres: --keep needs a directory}
  shift 2
fi

bindir=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
  if [ -x "$d/initdb" ]; then bindir=$d; break; fi
done
if [ -z "$bindir" ] && command -v pg_config >/dev/null 2>&1; then
  bindir=$(pg_config --bindir)
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "with-postgres: PostgreSQL server binaries not found (apt-get install postgresql-15)" >&2
  exit 1
fi

if [ -n "$keep" ]; then
  mkdir -p "$keep"
  base=$(cd "$keep" && pwd)
else
  base=$(mktemp -d -t rollout-pg-XXXXXX)
fi
as=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres:postgres "$base"
  as=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cleanup() {
  if [ -n "$keep" ]; then
    "${as[@]}" "$bindir/pg_ctl" -D "$base/data" -m fast stop >/dev/null 2>&1 || true
  else
    "${as[@]}" "$bindir/pg_ctl" -D "$base/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$base"
  fi
}
trap cleanup EXIT

if [ ! -f "$base/data/PG_VERSION" ]; then
  "${as[@]}" "$bindir/initdb" -D "$base/data" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >"$base/initdb.log" 2>&1 \
    || { cat "$base/initdb.log" >&2; exit 1; }
fi
"${as[@]}" "$bindir/pg_ctl" -D "$base/data" -l "$base/server.log" -w -t 30 \
  -o "-p $port -k $base -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null || { cat "$base/server.log" >&2; exit 1; }
echo "with-postgres: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"

export ROLLOUT_PANEL_TEST_PG="postgres://postgres@127.0.0.1:$port/postgres"
"$@"
