#!/usr/bin/env bash
# Redis behind Sentinel for the sentinel store tests: master 127.0.0.1:6390,
# replica :6391, three sentinels :26379-26381 watching master "cloakroom"
# (quorum 2). Debian's redis-server (sentinel mode is the same binary);
# data and config under .services/redis-sentinel/ in the repo (gitignored).
# Idempotent: when the sentinels agree on a master that answers, nothing changes.
# The failover test never touches these: it starts its own on other ports.
set -euo pipefail
# shellcheck source=scripts/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HOST=127.0.0.1
NAME=cloakroom
MASTER=6390
REPLICA=6391
SENTINELS=(26379 26380 26381)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir="$root/.services/redis-sentinel"

# sentinel_ok <port>: the sentinel names a master that answers as master,
# with one replica and the two other sentinels known.
sentinel_ok() {
  local addr info
  addr=$(timeout 2 redis-cli -h "$HOST" -p "$1" SENTINEL get-master-addr-by-name "$NAME" 2>/dev/null | tr -d '\r') || return 1
  [[ -n $addr ]] || return 1
  # shellcheck disable=SC2086 # "host\nport" split on purpose
  set -- $addr
  [[ "$(timeout 2 redis-cli -h "$1" -p "$2" ROLE 2>/dev/null | head -1 | tr -d '\r')" == master ]] || return 1
  info=$(timeout 2 redis-cli -h "$HOST" -p "${SENTINELS[0]}" SENTINEL master "$NAME" 2>/dev/null | tr -d '\r' | paste - -) || return 1
  grep -q $'^num-slaves\t1$' <<<"$info" && grep -q $'^num-other-sentinels\t2$' <<<"$info"
}
all_ok() {
  local p
  for p in "${SENTINELS[@]}"; do sentinel_ok "$p" || return 1; done
}

if all_ok; then
  log "redis sentinel $HOST:${SENTINELS[0]}-${SENTINELS[-1]} (master $NAME) already ok"
  exit 0
fi

apt_install redis-server redis-tools

# start_data <port> [replicaof-port]
start_data() {
  local p=$1
  redis_probe "$HOST" "$p" && return 0
  mkdir -p "$dir/$p"
  {
    printf 'port %s\nbind %s\ndaemonize yes\ndir %s\n' "$p" "$HOST" "$dir/$p"
    printf 'pidfile %s/redis.pid\nlogfile %s/redis.log\nsave ""\nappendonly no\nmaxmemory 64mb\n' "$dir/$p" "$dir/$p"
    [[ -n ${2:-} ]] && printf 'replicaof %s %s\n' "$HOST" "$2"
  } >"$dir/$p/redis.conf"
  redis-server "$dir/$p/redis.conf" || die "redis-server failed to start on $HOST:$p"
}

start_data "$MASTER"
start_data "$REPLICA" "$MASTER"
for p in "$MASTER" "$REPLICA"; do
  wait_for "redis $HOST:$p" 10 redis_probe "$HOST" "$p" || die "redis $HOST:$p does not answer PING"
done

for p in "${SENTINELS[@]}"; do
  redis_probe "$HOST" "$p" && continue
  mkdir -p "$dir/s$p"
  # Sentinel rewrites its own config file (known replicas, sentinels, epochs),
  # so it lives in the writable data dir. Small timeouts: a test setup, seconds matter.
  cat >"$dir/s$p/sentinel.conf" <<CONF
port $p
bind $HOST
daemonize yes
dir $dir/s$p
pidfile $dir/s$p/sentinel.pid
logfile $dir/s$p/sentinel.log
sentinel monitor $NAME $HOST $MASTER 2
sentinel down-after-milliseconds $NAME 3000
sentinel failover-timeout $NAME 10000
CONF
  redis-server "$dir/s$p/sentinel.conf" --sentinel || die "sentinel failed to start on $HOST:$p"
done

wait_for "redis sentinel $HOST:${SENTINELS[0]}-${SENTINELS[-1]} (master $NAME, 1 replica, 3 sentinels)" 30 all_ok ||
  die "sentinels do not agree on a healthy master $NAME (see $dir/s*/sentinel.log)"
