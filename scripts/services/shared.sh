#!/usr/bin/env bash
# The servers this machine kind (node-svc) normally runs before a session:
# PostgreSQL 127.0.0.1:5432 (trust, user postgres), MariaDB 127.0.0.1:3306
# (root, empty password) and Redis 127.0.0.1:6379 (no persistence). Each is
# probed; one that is down is started with the same command the machine uses
# (/work/.library/env/machines/node-svc.md); database `test` is ensured in both
# SQL servers. Never stops or reconfigures a server that answers.
set -euo pipefail
# shellcheck source=scripts/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Client tools for the probes below (the servers themselves come with the machine).
apt_install postgresql-client mariadb-client redis-tools

failed=()

# --- Redis 6379 ---
if redis_probe 127.0.0.1 6379; then
  log "redis 127.0.0.1:6379 already answering"
else
  command -v redis-server >/dev/null || apt_install redis-server
  as_root mkdir -p /var/lib/redis /var/log/redis
  # --save "" --appendonly no: the machine's Redis keeps nothing on disk; ours neither.
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log ||
    warn "redis-server did not start (see /var/log/redis/ci.log)"
  wait_for "redis 127.0.0.1:6379" 15 redis_probe 127.0.0.1 6379 || failed+=(redis)
fi

# --- PostgreSQL 5432 ---
if pg_probe 127.0.0.1 5432; then
  log "postgresql 127.0.0.1:5432 already answering"
else
  [[ -d /etc/postgresql ]] || die "PostgreSQL server is not installed (no /etc/postgresql); \
this machine kind ships it — install postgresql and set trust auth for 127.0.0.1"
  # Newest installed major, should a machine ever carry two.
  pgver=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
  # /run is a tmpfs: after a machine restart the socket dir may be gone.
  as_root install -d -o postgres -g postgres -m 2775 /run/postgresql
  as_root pg_ctlcluster --skip-systemctl-redirect "$pgver" main start ||
    warn "pg_ctlcluster $pgver main start failed"
  wait_for "postgresql 127.0.0.1:5432" 30 pg_probe 127.0.0.1 5432 || failed+=(postgresql)
fi
if pg_probe 127.0.0.1 5432; then
  has_test=$(psql -h 127.0.0.1 -U postgres -d postgres -XAtqc \
    "SELECT 1 FROM pg_database WHERE datname = 'test'")
  if [[ $has_test != 1 ]]; then
    psql -h 127.0.0.1 -U postgres -d postgres -Xqc 'CREATE DATABASE test' ||
      failed+=(postgresql-db-test)
    log "postgresql: created database test"
  fi
fi

# --- MariaDB 3306 ---
if mariadb_probe 127.0.0.1 3306; then
  log "mariadb 127.0.0.1:3306 already answering"
else
  [[ -x /usr/sbin/mariadbd ]] || die "MariaDB server is not installed (/usr/sbin/mariadbd)"
  if ! mariadb-admin --protocol=tcp -h 127.0.0.1 -uroot --connect-timeout=2 ping >/dev/null 2>&1 &&
    ! mariadb-admin ping >/dev/null 2>&1; then
    as_root install -d -o mysql -g mysql /run/mysqld
    as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd ||
      warn "mariadbd did not start"
  fi
  # The server answers ping over its socket before a TCP root login may work:
  # wait for the socket, then fix the login below if TCP still refuses it.
  wait_for "mariadb (socket)" 30 mariadb-admin --connect-timeout=2 ping || failed+=(mariadb)
  if ! mariadb_probe 127.0.0.1 3306 && mariadb-admin ping >/dev/null 2>&1; then
    # root over the unix socket (unix_socket auth) can grant what mysql2 needs:
    # root@127.0.0.1 with an empty password over TCP.
    log "mariadb: enabling root@127.0.0.1 with an empty password for TCP clients"
    as_root mariadb -uroot -e "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
      GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; FLUSH PRIVILEGES;" ||
      true
  fi
  wait_for "mariadb 127.0.0.1:3306" 10 mariadb_probe 127.0.0.1 3306 || failed+=(mariadb-tcp)
fi
if mariadb_probe 127.0.0.1 3306; then
  mariadb --protocol=tcp -h 127.0.0.1 -uroot -e 'CREATE DATABASE IF NOT EXISTS test' ||
    failed+=(mariadb-db-test)
fi

((${#failed[@]} == 0)) || die "shared services not ready: ${failed[*]}"
log "shared services up: postgresql :5432, mariadb :3306, redis :6379 (database test in both)"
