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

# The admin browser test (tests/backoffice/test_browser.py) drives Debian's Chromium through
# Playwright (never a downloaded browser). Install it when it is missing and we may (root, apt-get);
# otherwise that one test is skipped and pytest's summary says why.
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    log="${TMPDIR:-/tmp}/cozonpay-chromium-install.log"
    echo "installing chromium for the browser test (apt-get, log in $log)"
    if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >"$log" 2>&1; then
      echo "could not install chromium (see $log): the browser test will be skipped"
    fi
  else
    echo "chromium is missing and cannot be installed here (needs root and apt-get): the browser test will be skipped"
  fi
fi

python -m pytest -n "${PYTEST_WORKERS:-auto}" "$@"
