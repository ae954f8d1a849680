#!/usr/bin/env bash
# `make soak`: the steady mixed load of bench/soak.py (SOAK_SECONDS, default 600) through the
# gateway. Default: the services on the test PostgreSQL of scripts/postgres.sh (its own port
# and data dir; started here if it is not running and then stopped again, one already running
# is left running), no broker. SOAK_STORE=sqlite: the embedded setup of `make run` (SQLite
# files, no broker), nothing started.
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

if [[ "${SOAK_STORE:-postgres}" == postgres ]]; then
    scripts/postgres.sh status >/dev/null 2>&1 || started+=(postgres)
    # Capture first: `eval "$(failing command)"` would hide the failure from `set -e`.
    pg_env="$(scripts/postgres.sh start)"
    eval "$pg_env"
    export TEST_POSTGRES_URL
fi

.venv/bin/python -m bench.soak "$@"
