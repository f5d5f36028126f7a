#!/usr/bin/env bash
# Memcached on 127.0.0.1:11211 for the memcached store tests (memjs).
# Idempotent: when something already answers `stats` there, nothing is changed.
set -euo pipefail
# shellcheck source=scripts/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HOST=127.0.0.1
PORT=${CLOAKROOM_MEMCACHED_PORT:-11211}

if memcached_probe "$HOST" "$PORT"; then
  log "memcached $HOST:$PORT already answering"
  exit 0
fi

apt_install memcached

# Installing the package may have started Debian's own daemon (its init script
# reads /etc/memcached.conf, which also binds 127.0.0.1:11211): check again
# before starting a second one that would only fail to bind.
if ! memcached_probe "$HOST" "$PORT"; then
  # memcached refuses to run as root without -u; the package creates "memcache".
  user=memcache
  id -u "$user" >/dev/null 2>&1 || user=root
  # -U 0: no UDP listener (the UDP amplification attacks of 2018, CVE-2018-1000115).
  # -m 64: 64 MiB is plenty for test sessions and keeps the 2-core box light.
  as_root memcached -d -u "$user" -l "$HOST" -p "$PORT" -U 0 -m 64 -c 1024 ||
    die "memcached failed to start on $HOST:$PORT"
fi

wait_for "memcached $HOST:$PORT" 10 memcached_probe "$HOST" "$PORT" ||
  die "memcached on $HOST:$PORT does not answer stats"
