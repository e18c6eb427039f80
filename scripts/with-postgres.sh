#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL server on 127.0.0.1, then stop it and delete its data.
#
#   scripts/with-postgres.sh COMMAND...
#
# Installs Debian's postgresql package when the server binaries are missing (needs root, as in CI).
# Exports TEST_POSTGRES_URL (an admin URL; tests create one database per test). Where PostgreSQL
# cannot be had, it says so and runs COMMAND without it (the PostgreSQL tests then skip), except
# under CI=true, where that is an error: CI must test both backends.
set -uo pipefail

find_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
  done
  return 1
}

fail_or_skip() {
  echo "with-postgres: $*" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  echo "with-postgres: running without PostgreSQL; its tests will be skipped" >&2
  exec "$@"
}

PGBIN=$(find_bin)
if [ -z "$PGBIN" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "with-postgres: installing Debian's postgresql package" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
      || fail_or_skip "apt-get install postgresql failed" "$@"
    PGBIN=$(find_bin)
  fi
  [ -n "$PGBIN" ] || { echo "with-postgres: no PostgreSQL server binaries" >&2; [ "${CI:-}" = "true" ] && exit 1; exec "$@"; }
fi

DATA=$(mktemp -d /tmp/dangjian-pg.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
RUN_AS=()
if [ "$(id -u)" = "0" ]; then
  # PostgreSQL refuses to run as root: run it as the 'postgres' system user (created by the package).
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$DATA"
  RUN_AS=(runuser -u postgres --)
fi

cleanup() {
  "${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$DATA/db" -m immediate stop >/dev/null 2>&1
  rm -rf "$DATA"
}
trap cleanup EXIT

"${RUN_AS[@]}" "$PGBIN/initdb" -D "$DATA/db" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$DATA/initdb.log" 2>&1 \
  || { cat "$DATA/initdb.log" >&2; [ "${CI:-}" = "true" ] && exit 1; cleanup; trap - EXIT; exec "$@"; }
"${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$DATA/db" -l "$DATA/server.log" -w -t 60 \
  -o "-h 127.0.0.1 -p $PORT -k $DATA -c fsync=off -c full_page_writes=off -c max_connections=200" start >/dev/null \
  || { cat "$DATA/server.log" >&2; [ "${CI:-}" = "true" ] && exit 1; cleanup; trap - EXIT; exec "$@"; }

export TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
echo "with-postgres: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT" >&2
"$@"
