#!/usr/bin/env bash
# A single-node Apache Kafka 4.1.1 broker (KRaft: broker and controller in one process) on 127.0.0.1, run from the
# Maven Central jars resolved by kafka/pom.xml. No Docker, no tarball.
#
#   scripts/kafka.sh start            resolve the jars (first time), format the storage (first time), start, wait
#                                     until the port accepts and the default topics exist; a no-op when running
#   scripts/kafka.sh stop             stop and wait for the process to exit
#   scripts/kafka.sh status           exit 0 and print the pid when running, exit 3 when not
#   scripts/kafka.sh topics           create the default topics that are missing (start does it too)
#   scripts/kafka.sh topic NAME [N]   create topic NAME with N partitions (default 1) unless it exists
#   scripts/kafka.sh clean            stop, then delete this port's data and logs
#   scripts/kafka.sh class CLASS ...  run a Kafka tool class (e.g. org.apache.kafka.tools.ProducerPerformance)
#
# Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_HEAP (1g), KAFKA_START_TIMEOUT (seconds, 120),
# KAFKA_TX_PARTITIONS (partitions of `transactions`, 4), KAFKA_RUN_DIR (default kafka/run/<port>: data, logs, pid).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KDIR="$ROOT/kafka"
LIB="$KDIR/lib"
PORT="${KAFKA_PORT:-9092}"
CPORT="${KAFKA_CONTROLLER_PORT:-9093}"
HEAP="${KAFKA_HEAP:-1g}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
TX_PARTITIONS="${KAFKA_TX_PARTITIONS:-4}"
# One run directory per port, so brokers on different ports never share (or mis-read) KRaft metadata.
RUN="${KAFKA_RUN_DIR:-$KDIR/run/$PORT}"
PIDFILE="$RUN/kafka.pid"
BOOTSTRAP="127.0.0.1:$PORT"

# Default topics: name and partitions. `transactions` is keyed by card id, so its partitions are the unit of scale-out.
DEFAULT_TOPICS=("transactions:$TX_PARTITIONS" "fraud-labels:4" "fraud-decisions:4" "fraud-alerts:1" "transactions-dlq:1")

log() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

for v in PORT CPORT START_TIMEOUT TX_PARTITIONS; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "KAFKA_${v/CPORT/CONTROLLER_PORT} must be a positive integer (got '${!v}')"
done
[ "$PORT" != "$CPORT" ] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ"

ensure_jars() {
  [ -f "$LIB/kafka_2.13-4.1.1.jar" ] && [ -f "$LIB/kafka-tools-4.1.1.jar" ] && [ -f "$LIB/log4j-slf4j-impl-2.24.3.jar" ] && return 0
  command -v mvn >/dev/null || die "mvn is required to resolve the Kafka jars (apt-get install maven)"
  log "resolving the Kafka jars from Maven Central into kafka/lib (first run)"
  mvn -B -q -f "$KDIR/pom.xml" dependency:copy-dependencies >&2 || die "mvn could not resolve the Kafka jars"
}

# Runs a Kafka tool class with a small heap and the quiet tools log config.
tool() {
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$KDIR/log4j2-tools.properties" -cp "$LIB/*" "$@"
}

pid_alive() {
  [ -f "$PIDFILE" ] || return 1
  local pid
  pid="$(cat "$PIDFILE")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q 'kafka\.Kafka' "/proc/$pid/cmdline" 2>/dev/null
}

port_accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

write_config() {
  mkdir -p "$RUN/data" "$RUN/logs"
  cat >"$RUN/server.properties" <<PROPS
# Written by scripts/kafka.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.quorum.bootstrap.servers=127.0.0.1:$CPORT
log.dirs=$RUN/data
num.partitions=1
default.replication.factor=1
# Topics are created on purpose (scripts/kafka.sh topics|topic, or an admin client), never by a typo.
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=8
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# Bounded disk use: a day, or 512 MB per partition, whichever comes first.
log.retention.hours=24
log.retention.bytes=536870912
log.segment.bytes=67108864
PROPS
}

format_storage() {
  [ -f "$RUN/data/meta.properties" ] && return 0
  local uuid
  uuid="$(tool kafka.tools.StorageTool random-uuid)"
  log "formatting storage in $RUN/data (cluster $uuid)"
  tool kafka.tools.StorageTool format -t "$uuid" -c "$RUN/server.properties" --standalone >"$RUN/logs/format.out" 2>&1 ||
    { cat "$RUN/logs/format.out" >&2; die "storage format failed"; }
}

# Creates the missing topics among "name:partitions" arguments; retries while the broker is still starting.
ensure_topics() {
  local deadline=$((SECONDS + START_TIMEOUT)) existing missing spec name parts
  while :; do
    if existing="$(tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --list 2>"$RUN/logs/topics.err")"; then
      missing=()
      for spec in "$@"; do
        name="${spec%%:*}"
        grep -qxF "$name" <<<"$existing" || missing+=("$spec")
      done
      local ok=1
      for spec in "${missing[@]}"; do
        name="${spec%%:*}"; parts="${spec##*:}"
        if tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
          --topic "$name" --partitions "$parts" --replication-factor 1 >/dev/null 2>>"$RUN/logs/topics.err"; then
          log "created topic $name ($parts partitions)"
        else
          ok=0
        fi
      done
      [ "$ok" = 1 ] && return 0
    fi
    [ "$SECONDS" -lt "$deadline" ] || { cat "$RUN/logs/topics.err" >&2; die "topics could not be created on $BOOTSTRAP"; }
    sleep 1
  done
}

start() {
  mkdir -p "$RUN/logs"
  if pid_alive; then
    ensure_topics "${DEFAULT_TOPICS[@]}"
    log "already running (pid $(cat "$PIDFILE")) on $BOOTSTRAP"
    return 0
  fi
  port_accepts "$PORT" && die "127.0.0.1:$PORT is in use by another process (not the broker of $RUN); set KAFKA_PORT"
  port_accepts "$CPORT" && die "127.0.0.1:$CPORT is in use by another process; set KAFKA_CONTROLLER_PORT"
  command -v java >/dev/null || die "java (17+) is required"
  ensure_jars
  write_config
  format_storage
  # setsid: the broker outlives the shell (and the test process) that started it, until `stop`.
  setsid java -Xms"$HEAP" -Xmx"$HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Dkafka.logs.dir="$RUN/logs" -Dlog4j2.configurationFile="$KDIR/log4j2.properties" \
    -cp "$LIB/*" kafka.Kafka "$RUN/server.properties" >"$RUN/logs/kafka.out" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  local deadline=$((SECONDS + START_TIMEOUT))
  until port_accepts "$PORT"; do
    if ! pid_alive; then
      tail -n 40 "$RUN/logs/kafka.out" "$RUN/logs/server.log" 2>/dev/null >&2 || true
      rm -f "$PIDFILE"
      die "the broker exited during start (logs in $RUN/logs)"
    fi
    [ "$SECONDS" -lt "$deadline" ] || { stop; die "the broker did not accept connections within ${START_TIMEOUT}s"; }
    sleep 0.2
  done
  ensure_topics "${DEFAULT_TOPICS[@]}"
  log "running (pid $(cat "$PIDFILE")) on $BOOTSTRAP, data in $RUN/data"
}

stop() {
  if ! pid_alive; then
    rm -f "$PIDFILE"
    log "not running"
    return 0
  fi
  local pid
  pid="$(cat "$PIDFILE")"
  kill -TERM "$pid"
  local deadline=$((SECONDS + 60))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "pid $pid did not exit within 60 s of SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.2
  done
  rm -f "$PIDFILE"
  log "stopped (pid $pid)"
}

status() {
  if pid_alive; then
    echo "kafka: running, pid $(cat "$PIDFILE"), $BOOTSTRAP"
    return 0
  fi
  echo "kafka: not running ($BOOTSTRAP)"
  return 3
}

cmd="${1:-}"
case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  topics) ensure_jars; mkdir -p "$RUN/logs"; ensure_topics "${DEFAULT_TOPICS[@]}" ;;
  topic)
    [ -n "${2:-}" ] || die "usage: scripts/kafka.sh topic NAME [PARTITIONS]"
    [[ "${3:-1}" =~ ^[1-9][0-9]*$ ]] || die "PARTITIONS must be a positive integer"
    ensure_jars; mkdir -p "$RUN/logs"; ensure_topics "$2:${3:-1}" ;;
  clean) stop; rm -rf "$RUN"; log "deleted $RUN" ;;
  class)
    [ -n "${2:-}" ] || die "usage: scripts/kafka.sh class CLASS [ARGS...]"
    # A full JIT and a bigger heap than tool(): this runs the perf tools, whose figures must not be the JVM's.
    ensure_jars; shift
    java -Xmx1g -Dlog4j2.configurationFile="$KDIR/log4j2-tools.properties" -cp "$LIB/*" "$@" ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2 ;;
esac
