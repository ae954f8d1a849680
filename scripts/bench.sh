#!/usr/bin/env bash
# `make bench`: start a real PostgreSQL and a real Kafka on private ports (as scripts/test.sh
# does), run every benchmark in bench/ against them, then stop both. A server that was already
# running (the test servers someone else is using) is used as it is and left running.
set -euo pipefail
cd "$(dirname "$0")/.."

started=()
cleanup() {
    local i
    for ((i = ${#started[@]} - 1; i >= 0; i--)); do
        scripts/"${started[i]}".sh stop || true
    done
}
trap cleanup EXIT

for server in postgres kafka; do
    scripts/"$server".sh status >/dev/null 2>&1 || started+=("$server")
done
# Capture first: `eval "$(failing command)"` would hide the failure from `set -e`.
pg_env="$(scripts/postgres.sh start)"
eval "$pg_env"
kafka_env="$(scripts/kafka.sh start)"
eval "$kafka_env"
export TEST_POSTGRES_URL TEST_KAFKA_BOOTSTRAP

.venv/bin/python -m bench "$@"
