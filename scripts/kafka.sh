#!/usr/bin/env bash
# Throwaway single-node Apache Kafka broker (KRaft, combined broker+controller)
# for the test suite. Real broker, private ports, private state directory.
#
#   eval "$(scripts/kafka.sh start)"   # -> export TEST_KAFKA_BOOTSTRAP=127.0.0.1:19092
#   scripts/kafka.sh status            # exit 0 + export line if up, 1 if not
#   scripts/kafka.sh stop              # stop the broker and delete all its data
#   scripts/kafka.sh kill              # fault tests: SIGKILL the broker, KEEP its data
#   scripts/kafka.sh restart           # fault tests: start again on the kept data
#
# stdout carries only the `export` lines (so callers can eval it); every
# progress/diagnostic message goes to stderr.
#
# Environment knobs:
#   KAFKA_PORT              broker listener port          (default 19092)
#   KAFKA_CONTROLLER_PORT   KRaft controller port         (default 19093)
#   KAFKA_STATE_DIR         data/config/logs/pid (default <repo>/var/test-kafka;
#                           STATE_DIR is honoured as a fallback)
#   KAFKA_LIBS_DIR          jar cache            (default <repo>/.cache/kafka/libs)
#   KAFKA_HEAP_OPTS         JVM heap flags       (default -Xms256m -Xmx512m)
#   KAFKA_START_TIMEOUT     seconds to wait for readiness (default 90)
#   JAVA                    java binary          (default: java on PATH)
#   PYTHON                  python with aiokafka (default <repo>/.venv/bin/python)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATE_DIR="${KAFKA_STATE_DIR:-${STATE_DIR:-$REPO_ROOT/var/test-kafka}}"
LIBS_DIR="${KAFKA_LIBS_DIR:-$REPO_ROOT/.cache/kafka/libs}"
POM="$REPO_ROOT/deploy/kafka/pom.xml"
KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
JAVA="${JAVA:-java}"
PYTHON="${PYTHON:-$REPO_ROOT/.venv/bin/python}"

BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
PROPS="$STATE_DIR/server.properties"
LOG4J_CONF="$STATE_DIR/log4j2.properties"
PID_FILE="$STATE_DIR/kafka.pid"
LOG_DIR="$STATE_DIR/logs"
SERVER_LOG="$LOG_DIR/server.log"    # log4j2 output (the broker's real log)
CONSOLE_LOG="$LOG_DIR/console.log"  # JVM stdout/stderr (crashes, OOM, ...)
# Written last by a successful jar fetch; holds the pom's checksum so a partial
# download or a version bump in the pom triggers a re-fetch.
LIBS_STAMP="$LIBS_DIR/.fetched"

log() { printf '[kafka] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

print_exports() {
    printf 'export TEST_KAFKA_BOOTSTRAP=%s\n' "$BOOTSTRAP"
}

# ---------------------------------------------------------------- jars

pom_sum() { sha256sum "$POM" | cut -d' ' -f1; }

fetch_libs() {
    if [[ -f "$LIBS_STAMP" && "$(cat "$LIBS_STAMP")" == "$(pom_sum)" ]]; then
        return 0
    fi
    command -v mvn >/dev/null || die "mvn not found (needed once to fetch the Kafka jars)"
    log "fetching Kafka jars from Maven Central into $LIBS_DIR ..."
    # Download next to the target and swap in only on success, so an
    # interrupted fetch never leaves a half-populated classpath behind.
    local tmp="$LIBS_DIR.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$(dirname "$LIBS_DIR")"
    # mvn writes (colour codes, warnings) to stdout: keep stdout for exports only.
    if ! mvn -B -q -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
            -DoutputDirectory="$tmp" >&2; then
        rm -rf "$tmp"
        die "mvn dependency:copy-dependencies failed"
    fi
    pom_sum >"$tmp/.fetched"
    rm -rf "$LIBS_DIR"
    mv "$tmp" "$LIBS_DIR"
    log "fetched $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars"
}

# ---------------------------------------------------------------- process helpers

# Prints the broker pid if the pid file points at a live JVM running *our*
# server.properties (guards against a recycled pid after a reboot/crash).
running_pid() {
    [[ -f "$PID_FILE" ]] || return 1
    local pid
    pid="$(cat "$PID_FILE")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$PROPS" || return 1
    printf '%s\n' "$pid"
}

port_in_use() {
    # bash's /dev/tcp: a successful connect means somebody already listens.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A real protocol round-trip (metadata request via aiokafka) when the project
# venv exists; otherwise fall back to "log says started and port accepts TCP"
# so the script also works before the venv has been built.
USE_AIOKAFKA=""  # probed once, on first use
broker_ready() {
    if [[ -z "$USE_AIOKAFKA" ]]; then
        USE_AIOKAFKA=no
        if [[ -x "$PYTHON" ]] && "$PYTHON" -c 'import aiokafka' 2>/dev/null; then
            USE_AIOKAFKA=yes
        fi
    fi
    if [[ "$USE_AIOKAFKA" == yes ]]; then
        "$PYTHON" - "$BOOTSTRAP" <<'PY' >/dev/null 2>&1
import asyncio, sys
from aiokafka.admin import AIOKafkaAdminClient

async def main() -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=sys.argv[1], request_timeout_ms=3000)
    await admin.start()
    try:
        await admin.list_topics()
    finally:
        await admin.close()

asyncio.run(asyncio.wait_for(main(), 8))
PY
    else
        grep -q 'Kafka Server started' "$SERVER_LOG" 2>/dev/null && port_in_use "$KAFKA_PORT"
    fi
}

wipe_state() {
    # Cheap insurance against KAFKA_STATE_DIR=/ or similar accidents.
    case "$STATE_DIR" in
        / | "$HOME" | "$REPO_ROOT") die "refusing to delete STATE_DIR=$STATE_DIR" ;;
    esac
    rm -rf "$STATE_DIR"
}

show_logs() {
    local f
    for f in "$CONSOLE_LOG" "$SERVER_LOG"; do
        [[ -s "$f" ]] || continue
        log "---- last lines of $f ----"
        tail -n 40 "$f" >&2
    done
}

# ---------------------------------------------------------------- config

random_cluster_id() {
    # A Kafka cluster id is a 16-byte UUID in unpadded base64url (22 chars).
    # Generated here instead of `StorageTool random-uuid` to save a JVM start.
    # Ids starting with '-' are avoided, like Kafka's own Uuid.randomUuid(),
    # because the CLI would parse them as an option.
    local id
    while :; do
        id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
        [[ "$id" != -* ]] && break
    done
    printf '%s\n' "$id"
}

write_config() {
    mkdir -p "$STATE_DIR/data" "$LOG_DIR"
    cat >"$PROPS" <<EOF
# Generated by scripts/kafka.sh - throwaway test broker, do not edit.
node.id=1
process.roles=broker,controller
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$STATE_DIR/data

# Single node: every replicated internal topic must make do with one replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1

auto.create.topics.enable=true
num.partitions=3
# Tests should not sit through the 3 s "wait for more members" delay.
group.initial.rebalance.delay.ms=0
# Fewer internal partitions = much faster first consumer-group / transaction use
# (defaults are 50 each, all created on first use).
offsets.topic.num.partitions=5
transaction.state.log.num.partitions=5

# Small machine (2 cores, 512 MB heap): fewer threads, small cleaner buffer
# (default 128 MB would eat a quarter of the heap).
num.network.threads=2
num.io.threads=4
log.cleaner.dedupe.buffer.size=16777216
EOF

    # log4j2 properties format: parsed by log4j-core itself, no extra jars.
    cat >"$LOG4J_CONF" <<EOF
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $SERVER_LOG
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
# The broker dumps every config value at INFO on each (re)start; noise here.
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = WARN
EOF
}

# JVM command line shared by the storage formatter and the broker.
# KAFKA_HEAP_OPTS is a whitespace-separated list of flags, split on purpose.
read -ra HEAP_ARGS <<<"$KAFKA_HEAP_OPTS"
JAVA_CMD=("$JAVA" "${HEAP_ARGS[@]}" -XX:+UseG1GC -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$LOG4J_CONF" -cp "$LIBS_DIR/*")

# ---------------------------------------------------------------- commands

# Start the JVM on the formatted storage in $STATE_DIR and wait until it answers.
launch_broker() {
    log "starting broker on $BOOTSTRAP (controller 127.0.0.1:$KAFKA_CONTROLLER_PORT)"
    # setsid: own session, so a Ctrl-C in the calling make/pytest does not kill
    # the broker half-way; `stop` is the only way down.
    # All standard fds point away from the caller: `$(kafka.sh start)` would
    # otherwise wait for the broker to close the pipe, i.e. forever.
    # 9>&- : don't hand the start lock down to the long-lived JVM.
    # setsid execs in place (no job control here), so $! is the JVM's pid.
    setsid "${JAVA_CMD[@]}" kafka.Kafka "$PROPS" \
        </dev/null >"$CONSOLE_LOG" 2>&1 9>&- &
    echo $! >"$PID_FILE"

    local deadline=$((SECONDS + START_TIMEOUT))
    until broker_ready; do
        if ! running_pid >/dev/null; then
            show_logs
            die "broker process exited during startup (logs above; state kept in $STATE_DIR)"
        fi
        if ((SECONDS >= deadline)); then
            show_logs
            # Don't leave a half-started JVM behind; keep the logs to look at.
            kill_broker "$(cat "$PID_FILE")"
            die "broker not ready after ${START_TIMEOUT}s (stopped it; logs kept in $LOG_DIR)"
        fi
        sleep 0.5
    done
}

cmd_start() {
    local t0=$SECONDS pid
    if pid="$(running_pid)"; then
        if broker_ready; then
            log "already running (pid $pid) on $BOOTSTRAP"
            print_exports
            return 0
        fi
        log "pid $pid exists but the broker does not answer; restarting from scratch"
        cmd_stop
    elif [[ -e "$STATE_DIR" ]]; then
        # Left over from a crash/reboot: test data is disposable, start clean.
        log "removing stale state in $STATE_DIR"
        wipe_state
    fi

    command -v "$JAVA" >/dev/null || die "java not found (Kafka 4.x needs Java 17+)"
    local port
    for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
        port_in_use "$port" && die "port $port is already in use on 127.0.0.1 (set KAFKA_PORT / KAFKA_CONTROLLER_PORT)"
    done

    fetch_libs
    write_config

    local cluster_id
    cluster_id="$(random_cluster_id)"
    log "formatting storage (cluster id $cluster_id)"
    if ! "${JAVA_CMD[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$PROPS" \
            >>"$LOG_DIR/format.log" 2>&1; then
        cat "$LOG_DIR/format.log" >&2
        die "kafka-storage format failed"
    fi

    launch_broker
    log "ready on $BOOTSTRAP in $((SECONDS - t0))s (pid $(cat "$PID_FILE"), log $SERVER_LOG)"
    print_exports
}

# SIGTERM (controlled shutdown), then SIGKILL if the broker hangs.
kill_broker() {
    local pid="$1" i
    kill -TERM "$pid" 2>/dev/null || true
    # A single-node controlled shutdown normally takes a few seconds.
    for ((i = 0; i < 60; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.5
    done
    log "broker ignored SIGTERM for 30s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.25
    done
}

cmd_stop() {
    local pid
    if pid="$(running_pid)"; then
        log "stopping broker (pid $pid)"
        kill_broker "$pid"
    else
        log "not running"
    fi
    wipe_state
}

cmd_kill() {
    # A crash: SIGKILL, no controlled shutdown; the state dir (logs, offsets) stays for `restart`.
    local pid i
    if ! pid="$(running_pid)"; then
        log "not running"
        return 0
    fi
    log "killing broker (pid $pid), data kept in $STATE_DIR"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 40; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.25
    done
    die "broker pid $pid still alive after SIGKILL"
}

cmd_restart() {
    # Start the broker again on the same ports and the data `kill` kept (no re-format).
    local t0=$SECONDS pid port
    if pid="$(running_pid)"; then
        log "already running (pid $pid) on $BOOTSTRAP"
        print_exports
        return 0
    fi
    [[ -f "$PROPS" && -f "$STATE_DIR/data/meta.properties" ]] ||
        die "no formatted broker state in $STATE_DIR: use 'start'"
    for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
        port_in_use "$port" && die "port $port is already in use on 127.0.0.1"
    done
    launch_broker
    log "restarted on $BOOTSTRAP in $((SECONDS - t0))s (pid $(cat "$PID_FILE"))"
    print_exports
}

cmd_status() {
    local pid
    if pid="$(running_pid)" && broker_ready; then
        log "running (pid $pid) on $BOOTSTRAP"
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
