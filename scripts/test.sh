#!/usr/bin/env bash
# `make test`: start a real PostgreSQL and a real Kafka (KRaft) on private ports, run the whole
# suite against them, stop both, and fail on any failure - including "no tests collected".
set -euo pipefail
cd "$(dirname "$0")/.."

cleanup() {
    scripts/kafka.sh stop || true
    scripts/postgres.sh stop || true
}
trap cleanup EXIT

# Capture first: `eval "$(failing command)"` would hide the failure from `set -e`.
pg_env="$(scripts/postgres.sh start)"
eval "$pg_env"
kafka_env="$(scripts/kafka.sh start)"
eval "$kafka_env"
export TEST_POSTGRES_URL TEST_KAFKA_BOOTSTRAP

# The dashboard's browser test drives Debian's Chromium through Playwright (never
# `playwright install`): install the package when it is missing.
if ! command -v chromium >/dev/null; then
    sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

status=0
.venv/bin/python -m pytest "$@" || status=$?
if [[ $status -eq 5 ]]; then
    echo "pytest collected no tests: treating as a failure" >&2
    status=1
fi
exit $status
