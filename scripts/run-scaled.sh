#!/usr/bin/env bash
# `make run-scaled`: Parley as it runs when scaled out, on one machine. Two daphne processes on ports
# 8001 and 8002 share the PostgreSQL of DATABASE_URL and the Redis of REDIS_URL (the channel layer
# carries a message sent through one port to the sockets of the other), with the background worker.
# Ctrl+C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-.venv/bin}
PORTS=${SCALED_PORTS:-8001 8002}

missing=()
[ -n "${DATABASE_URL:-}" ] || missing+=("DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/parley)")
[ -n "${REDIS_URL:-}" ] || missing+=("REDIS_URL (e.g. redis://127.0.0.1:6379/0)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "make run-scaled needs PostgreSQL and Redis shared by its processes; set:" >&2
  printf '  %s\n' "${missing[@]}" >&2
  echo "(the embedded SQLite database and in-memory channel layer cannot be shared: use make run)" >&2
  exit 2
fi

"$BIN/python" manage.py migrate --noinput
"$BIN/python" manage.py collectstatic --noinput --verbosity 0

pids=()
stop() {
  trap - INT TERM EXIT
  [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null || true
  wait || true
}
trap stop INT TERM EXIT

for port in $PORTS; do
  "$BIN/daphne" -b 127.0.0.1 -p "$port" config.asgi:application &
  pids+=($!)
  echo "Parley process $! is at http://127.0.0.1:$port/"
done
# The background worker beside them, on the same database: offers, story pruning, unread e-mails.
"$BIN/python" manage.py resume_offers
"$BIN/python" manage.py schedule_background_jobs
"$BIN/python" manage.py db_worker --no-reload &
pids+=($!)
echo "Background worker $! runs the jobs"

echo "Ctrl+C stops them all."
# Whichever process ends first (a crash, a signal) ends the others too.
wait -n "${pids[@]}"
