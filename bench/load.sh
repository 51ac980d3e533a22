#!/usr/bin/env bash
# The load benchmark (bench/load.py) on a throwaway PostgreSQL server on loopback, which is
# removed afterwards. Arguments go to bench/load.py, e.g. bash bench/load.sh --quick.
# Run `bash scripts/test` once first: it sets up .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  echo "No .venv yet: run 'bash scripts/test' once first." >&2
  exit 2
fi
. scripts/_setup.sh
. scripts/_postgres.sh
trap stop_postgres EXIT
start_postgres
status=0
.venv/bin/python bench/load.py --database-url "$POSTGRES_URL" "$@" || status=$?
exit "$status"
