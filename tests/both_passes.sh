#!/usr/bin/env bash
# `make test` with TEST_DATABASE_URL / TEST_REDIS_URL set: the SQLite pass and the
# PostgreSQL + Redis pass run side by side (they share no database, no Redis and no port:
# each test server takes a free one), which on two cores takes about two thirds of running
# them one after the other. The SQLite pass's output follows the other's; either failing
# fails the whole.
set -uo pipefail
python="$1"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
echo "== pytest on SQLite, in-process cache and rate limits (in the background; its output follows)"
env -u TEST_DATABASE_URL -u TEST_REDIS_URL "$python" -m pytest -p no:cacheprovider >"$log" 2>&1 &
sqlite_pid=$!
echo "== pytest on ${TEST_DATABASE_URL:+PostgreSQL }${TEST_REDIS_URL:+Redis}"
"$python" -m pytest -p no:cacheprovider
server_status=$?
wait "$sqlite_pid"
sqlite_status=$?
echo "== pytest on SQLite: output"
cat "$log"
echo "== SQLite pass exit $sqlite_status, PostgreSQL/Redis pass exit $server_status"
[ "$sqlite_status" -eq 0 ] && [ "$server_status" -eq 0 ]
