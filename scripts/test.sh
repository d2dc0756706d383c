#!/usr/bin/env bash
# make test: the whole suite against PostgreSQL. DATABASE_URL if set, else an embedded
# PostgreSQL started for this run (in a fresh temporary folder) and stopped after.
# REDIS_URL / CELERY_BROKER_URL are used when set. Exits with pytest's code.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

pgdir=""
if [ -z "${DATABASE_URL:-}" ]; then
  pgdir="$(mktemp -d /tmp/cozonpay-test-pg.XXXXXX)"
  DATABASE_URL="$(python scripts/devdb.py start --data "$pgdir")" || { echo "could not start embedded PostgreSQL"; exit 2; }
  export DATABASE_URL
  echo "embedded PostgreSQL for this run: $DATABASE_URL"
fi
cleanup() {
  if [ -n "$pgdir" ]; then python scripts/devdb.py stop --data "$pgdir"; rm -rf "$pgdir"; fi
}
trap cleanup EXIT

python -m pytest -n "${PYTEST_WORKERS:-auto}" "$@"
