#!/usr/bin/env bash
# Redis Cluster for the cluster store tests: 6 nodes (3 masters, 3 replicas)
# on 127.0.0.1:7000-7005, Debian's redis-server, data and config under
# .services/redis-cluster/<port>/ in the repo (gitignored).
# Idempotent: when every node already reports cluster_state:ok, nothing changes.
# A cluster that cannot recover (e.g. stale nodes.conf after a crash):
#   CLOAKROOM_REDIS_CLUSTER_RESET=1 bash scripts/services/redis-cluster.sh
set -euo pipefail
# shellcheck source=scripts/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HOST=127.0.0.1
PORTS=(7000 7001 7002 7003 7004 7005)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir="$root/.services/redis-cluster"

# cluster_node_ok <port>: this node answers and sees a healthy cluster of all six nodes.
cluster_node_ok() {
  local info
  info=$(timeout 2 redis-cli -h "$HOST" -p "$1" CLUSTER INFO 2>/dev/null | tr -d '\r') || return 1
  [[ $info == *"cluster_state:ok"* && $info == *"cluster_known_nodes:${#PORTS[@]}"* &&
    $info == *"cluster_slots_assigned:16384"* ]]
}
cluster_ok() {
  local p
  for p in "${PORTS[@]}"; do cluster_node_ok "$p" || return 1; done
}

if [[ -z "${CLOAKROOM_REDIS_CLUSTER_RESET:-}" ]] && cluster_ok; then
  log "redis cluster $HOST:${PORTS[0]}-${PORTS[-1]} already ok"
  exit 0
fi

apt_install redis-server redis-tools

if [[ -n "${CLOAKROOM_REDIS_CLUSTER_RESET:-}" ]]; then
  for p in "${PORTS[@]}"; do timeout 5 redis-cli -h "$HOST" -p "$p" SHUTDOWN NOSAVE >/dev/null 2>&1 || true; done
  rm -rf "$dir"
fi

for p in "${PORTS[@]}"; do
  redis_probe "$HOST" "$p" && continue
  mkdir -p "$dir/$p"
  # No persistence: test data only. cluster-node-timeout 2000 so a test cluster
  # notices a dead node in seconds. nodes.conf is kept so a restarted node rejoins.
  cat >"$dir/$p/redis.conf" <<CONF
port $p
bind $HOST
daemonize yes
dir $dir/$p
pidfile $dir/$p/redis.pid
logfile $dir/$p/redis.log
cluster-enabled yes
cluster-config-file nodes.conf
cluster-node-timeout 2000
save ""
appendonly no
maxmemory 64mb
CONF
  redis-server "$dir/$p/redis.conf" || die "redis-server failed to start on $HOST:$p (see $dir/$p/redis.log)"
done
for p in "${PORTS[@]}"; do
  wait_for "redis cluster node $HOST:$p" 10 redis_probe "$HOST" "$p" ||
    die "redis cluster node $HOST:$p does not answer PING (see $dir/$p/redis.log)"
done

# Fresh nodes (no slots anywhere): form the cluster. Nodes restarted with
# their nodes.conf find each other again by themselves.
slots=$(redis-cli -h "$HOST" -p "${PORTS[0]}" CLUSTER INFO | tr -d '\r' | sed -n 's/^cluster_slots_assigned://p')
if [[ $slots == 0 ]]; then
  nodes=()
  for p in "${PORTS[@]}"; do nodes+=("$HOST:$p"); done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log" 2>&1 ||
    die "redis-cli --cluster create failed (see $dir/create.log)"
fi

wait_for "redis cluster $HOST:${PORTS[0]}-${PORTS[-1]} (cluster_state:ok on every node)" 30 cluster_ok ||
  die "redis cluster is not ok; CLOAKROOM_REDIS_CLUSTER_RESET=1 bash $0 rebuilds it from scratch"
