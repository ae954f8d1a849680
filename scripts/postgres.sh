#!/usr/bin/env bash
# Throwaway PostgreSQL server for the test suite: real postgres, private port,
# private data directory, tuned for speed (no durability - it is test data).
#
#   eval "$(scripts/postgres.sh start)"
#       # -> export TEST_POSTGRES_URL=postgresql+asyncpg://loanrisk:loanrisk@127.0.0.1:55432
#       #    (no database name: tests append /scoring, /officers, /warnings,
#       #     /gateway or /test - all five are created here)
#   scripts/postgres.sh status   # exit 0 + export line if up, 1 if not
#   scripts/postgres.sh stop     # stop the server and delete its data
#   scripts/postgres.sh kill     # fault tests: crash-stop (immediate), KEEP the data
#   scripts/postgres.sh restart  # fault tests: start again on the kept data
#
# stdout carries only the `export` lines (so callers can eval it); every
# progress/diagnostic message goes to stderr.
#
# Environment knobs:
#   PG_PORT        TCP port on 127.0.0.1        (default 55432)
#   PG_STATE_DIR   data dir, socket, log        (default <repo>/var/test-pg)
#   PG_BINDIR      directory holding initdb/pg_ctl/psql (default: newest
#                  /usr/lib/postgresql/*/bin, else whatever is on PATH)
#   PG_SYNCHRONOUS_COMMIT  off (default: fastest) or on; the fault tests (tests/faults) kill
#                  the server and need every acknowledged commit to survive that
#   PG_SHARED_BUFFERS  PostgreSQL's page cache (default 1GB): the 1M-loan bench book is
#                  ~630 MB, and the default 128 MB had its hot indexes read and evicted
#                  under load (docs/operations.md sizes it for production)
#   PG_RUN_USER    unprivileged user the server runs as when this script runs
#                  as root - postgres refuses to run as root (default loanrisk-pg)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATE_DIR="${PG_STATE_DIR:-$REPO_ROOT/var/test-pg}"
PG_PORT="${PG_PORT:-55432}"
PG_RUN_USER="${PG_RUN_USER:-loanrisk-pg}"
PG_SYNCHRONOUS_COMMIT="${PG_SYNCHRONOUS_COMMIT:-off}"
PG_SHARED_BUFFERS="${PG_SHARED_BUFFERS:-1GB}"

APP_ROLE=loanrisk
APP_PASSWORD=loanrisk
DATABASES=(scoring officers warnings gateway test)

DATA_DIR="$STATE_DIR/data"
SOCKET_DIR="$STATE_DIR/run"
PG_LOG="$STATE_DIR/postgres.log"

log() { printf '[postgres] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

print_exports() {
    printf 'export TEST_POSTGRES_URL=postgresql+asyncpg://%s:%s@127.0.0.1:%s\n' \
        "$APP_ROLE" "$APP_PASSWORD" "$PG_PORT"
}

# ---------------------------------------------------------------- binaries

find_bindir() {
    if [[ -n "${PG_BINDIR:-}" ]]; then
        [[ -x "$PG_BINDIR/pg_ctl" ]] && { printf '%s\n' "$PG_BINDIR"; return 0; }
        return 1
    fi
    # Debian keeps the server binaries off PATH, one dir per major version.
    local dir
    dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -V | tail -n 1)"
    if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
        printf '%s\n' "$dir"
        return 0
    fi
    if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        dirname "$(readlink -f "$(command -v pg_ctl)")"
        return 0
    fi
    return 1
}

install_postgres() {
    log "initdb/pg_ctl not found; installing Debian's postgresql package"
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || die "not root and no sudo: install the 'postgresql' package first"
        sudo=(sudo)
    fi
    # On a fresh image the apt lists may be empty, so refresh them first.
    # Note: the package's postinst also creates (and may start) a 'main'
    # cluster on port 5432; that one is unrelated to and unused by the tests.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2
}

# ---------------------------------------------------------------- run-as user

# Postgres refuses to run as root. When we are root, initdb/pg_ctl run as a
# dedicated unprivileged system user that owns the state dir.
as_pg() {
    # cd /: the caller's cwd (e.g. /root) may be unreadable for that user,
    # which makes initdb/postgres complain.
    if ((EUID == 0)); then
        (cd / && runuser -u "$PG_RUN_USER" -- "$@")
    else
        (cd / && "$@")
    fi
}

ensure_run_user() {
    ((EUID == 0)) || return 0
    id -u "$PG_RUN_USER" >/dev/null 2>&1 && return 0
    log "creating system user $PG_RUN_USER to run the test server"
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin "$PG_RUN_USER"
}

# ---------------------------------------------------------------- helpers

port_in_use() {
    # bash's /dev/tcp: a successful connect means somebody already listens.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

is_running() {
    [[ -n "${BINDIR:-}" && -f "$DATA_DIR/PG_VERSION" ]] || return 1
    as_pg "$BINDIR/pg_ctl" -D "$DATA_DIR" status >/dev/null 2>&1
}

psql_admin() {
    # TCP + trust auth as the bootstrap superuser; -X ignores any ~/.psqlrc.
    "$BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" \
        -U postgres -d postgres "$@"
}

ensure_databases() {
    # Idempotent: role and databases are only created when missing.
    local db sql
    sql="DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$APP_ROLE') THEN
    CREATE ROLE $APP_ROLE LOGIN SUPERUSER PASSWORD '$APP_PASSWORD';
  END IF;
END \$\$;"
    for db in "${DATABASES[@]}"; do
        # CREATE DATABASE cannot run inside DO/a transaction: let \gexec run
        # the statement only when the SELECT yields it.
        sql+="
SELECT 'CREATE DATABASE $db OWNER $APP_ROLE'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db') \\gexec"
    done
    psql_admin <<<"$sql" >&2
}

wipe_state() {
    # Cheap insurance against PG_STATE_DIR=/ or similar accidents.
    case "$STATE_DIR" in
        / | "$HOME" | "$REPO_ROOT") die "refusing to delete PG_STATE_DIR=$STATE_DIR" ;;
    esac
    rm -rf "$STATE_DIR"
}

# ---------------------------------------------------------------- commands

cmd_start() {
    local t0=$SECONDS
    if [[ -n "${PG_BINDIR:-}" && ! -x "$PG_BINDIR/pg_ctl" ]]; then
        die "PG_BINDIR=$PG_BINDIR has no pg_ctl"
    fi
    if ! BINDIR="$(find_bindir)"; then
        install_postgres
        BINDIR="$(find_bindir)" || die "postgresql installed but initdb/pg_ctl still not found"
    fi

    if is_running; then
        # Line 4 of postmaster.pid is the port the server actually listens on.
        local running_port
        running_port="$(sed -n 4p "$DATA_DIR/postmaster.pid")"
        if [[ "$running_port" == "$PG_PORT" ]]; then
            log "already running on 127.0.0.1:$PG_PORT ($DATA_DIR)"
            ensure_databases
            print_exports
            return 0
        fi
        log "running on port $running_port but PG_PORT=$PG_PORT; restarting from scratch"
        cmd_stop
    fi
    if [[ -e "$STATE_DIR" ]]; then
        # Left over from a crash/reboot (and fsync=off makes it untrustworthy
        # anyway): start from a clean cluster.
        log "removing stale state in $STATE_DIR"
        wipe_state
    fi
    port_in_use "$PG_PORT" && die "port $PG_PORT is already in use on 127.0.0.1 (set PG_PORT)"

    ensure_run_user
    mkdir -p "$DATA_DIR" "$SOCKET_DIR"
    chmod 700 "$DATA_DIR"
    if ((EUID == 0)); then
        chown -R "$PG_RUN_USER:" "$STATE_DIR"
        as_pg test -w "$DATA_DIR" ||
            die "user $PG_RUN_USER cannot reach $DATA_DIR (a parent directory is not world-searchable); set PG_STATE_DIR to e.g. /tmp/test-pg"
    fi

    log "initdb ($("$BINDIR/postgres" --version)) in $DATA_DIR"
    # --no-sync: nothing to make durable for a throwaway cluster.
    if ! as_pg "$BINDIR/initdb" -D "$DATA_DIR" -U postgres -E UTF8 --locale=C \
            --auth-local=trust --auth-host=trust --no-sync >"$STATE_DIR/initdb.log" 2>&1; then
        cat "$STATE_DIR/initdb.log" >&2
        die "initdb failed"
    fi

    # Unix socket paths are limited to ~107 bytes; with a deep checkout fall
    # back to TCP only rather than failing (everything here uses TCP anyway).
    local socket_dirs="$SOCKET_DIR"
    if (($(printf '%s/.s.PGSQL.%s' "$SOCKET_DIR" "$PG_PORT" | wc -c) > 100)); then
        log "state dir path too long for a unix socket; TCP only"
        socket_dirs=""
    fi

    # Appended settings win over initdb's defaults earlier in the file.
    as_pg tee -a "$DATA_DIR/postgresql.conf" >/dev/null <<EOF

# ---- scripts/postgres.sh: private, disposable test server ----
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$socket_dirs'
max_connections = 200
# Writers lock the entities a batch touches (an advisory lock each, docs/operations.md).
max_locks_per_transaction = 256
shared_buffers = $PG_SHARED_BUFFERS
# Speed over durability: a crash just means "run start again".
fsync = off
synchronous_commit = $PG_SYNCHRONOUS_COMMIT
full_page_writes = off
EOF
    # Trust everything that can reach it: the socket lives in our private dir
    # and TCP is bound to 127.0.0.1 only.
    as_pg tee "$DATA_DIR/pg_hba.conf" >/dev/null <<EOF
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  trust
host    all       all   127.0.0.1/32   trust
EOF

    log "starting on 127.0.0.1:$PG_PORT"
    # pg_ctl -w waits until the server accepts connections. The postmaster
    # gets its stdio redirected to the -l file, so `$(postgres.sh start)`
    # does not hang on an inherited pipe; 9>&- keeps our lock out of it.
    if ! as_pg "$BINDIR/pg_ctl" -D "$DATA_DIR" -l "$PG_LOG" -w -t 60 start >&2 9>&-; then
        tail -n 40 "$PG_LOG" >&2 || true
        die "pg_ctl start failed (state kept in $STATE_DIR; run '$0 stop' to clean up)"
    fi

    ensure_databases
    log "ready on 127.0.0.1:$PG_PORT in $((SECONDS - t0))s, databases: ${DATABASES[*]}"
    print_exports
}

cmd_stop() {
    BINDIR="$(find_bindir)" || BINDIR=""
    if [[ ! -e "$STATE_DIR" ]]; then
        log "not running"
        return 0
    fi
    if is_running; then
        log "stopping server"
        # fast = disconnect clients and shut down cleanly; immediate if stuck.
        if ! as_pg "$BINDIR/pg_ctl" -D "$DATA_DIR" -m fast -w -t 30 stop >&2; then
            as_pg "$BINDIR/pg_ctl" -D "$DATA_DIR" -m immediate -w -t 10 stop >&2 || true
        fi
    fi
    # Last resort (e.g. binaries gone): kill the postmaster from its pid file.
    local pid
    if [[ -f "$DATA_DIR/postmaster.pid" ]]; then
        pid="$(head -n 1 "$DATA_DIR/postmaster.pid")"
        if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
            [[ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" == "$DATA_DIR" ]]; then
            log "killing postmaster $pid"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 1
        fi
    fi
    wipe_state
}

cmd_kill() {
    # Like a crash (SIGQUIT to the postmaster: no checkpoint, clients cut off) but the data
    # directory stays, so `restart` brings the same databases back (tests/faults).
    BINDIR="$(find_bindir)" || die "postgres binaries not found"
    if ! is_running; then
        log "not running"
        return 0
    fi
    log "killing the server on 127.0.0.1:$PG_PORT (data kept in $DATA_DIR)"
    as_pg "$BINDIR/pg_ctl" -D "$DATA_DIR" -m immediate -w -t 30 stop >&2
}

cmd_restart() {
    # Start the server again on the data directory `kill` kept (crash recovery runs first).
    BINDIR="$(find_bindir)" || die "postgres binaries not found"
    [[ -f "$DATA_DIR/PG_VERSION" ]] || die "no data directory in $STATE_DIR: use 'start'"
    if is_running; then
        log "already running on 127.0.0.1:$PG_PORT"
        print_exports
        return 0
    fi
    port_in_use "$PG_PORT" && die "port $PG_PORT is already in use on 127.0.0.1"
    log "restarting on 127.0.0.1:$PG_PORT with the kept data"
    if ! as_pg "$BINDIR/pg_ctl" -D "$DATA_DIR" -l "$PG_LOG" -w -t 60 start >&2 9>&-; then
        tail -n 40 "$PG_LOG" >&2 || true
        die "pg_ctl start failed"
    fi
    print_exports
}

cmd_status() {
    BINDIR="$(find_bindir)" || BINDIR=""
    if is_running; then
        log "running on 127.0.0.1:$PG_PORT ($DATA_DIR)"
        print_exports
        return 0
    fi
    log "not running"
    return 1
}

main() {
    case "${1:-}" in
        start | stop | status | kill | restart) ;;
        *)
            echo "usage: $0 {start|stop|status|kill|restart}" >&2
            exit 2
            ;;
    esac
    # Serialise concurrent invocations (e.g. parallel make targets). The lock
    # lives next to the state dir because `stop` deletes the state dir.
    mkdir -p "$(dirname "$STATE_DIR")"
    exec 9>"$STATE_DIR.lock"
    flock 9
    case "$1" in
        start) cmd_start ;;
        stop) cmd_stop ;;
        status) cmd_status ;;
        kill) cmd_kill ;;
        restart) cmd_restart ;;
    esac
}

main "$@"
