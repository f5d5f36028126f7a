# shellcheck shell=bash
# Helpers sourced by scripts/services.sh and every scripts/services/<name>.sh.
#
# Contract for a piece script (shared.sh, memcached.sh, chromium.sh,
# redis-cluster.sh, redis-sentinel.sh):
#   - runnable as `bash scripts/services/<name>.sh` from any directory;
#   - idempotent: when its service already answers a real probe it changes nothing;
#   - exits 0 only when its service is up AND answering that probe, non-zero
#     with a "[services] ERROR: ..." line saying what is wrong otherwise.
#
# Usage inside a piece script:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   apt_install memcached
#   wait_for "memcached :11211" 10 memcached_probe 127.0.0.1 11211 || die "..."

# Sourcing twice (services.sh sources it, then a piece is sourced) is harmless.
[[ -n "${_CLOAKROOM_SERVICES_LIB:-}" ]] && return 0
_CLOAKROOM_SERVICES_LIB=1

log() { printf '[services] %s\n' "$*" >&2; }
warn() { printf '[services] WARNING: %s\n' "$*" >&2; }
die() {
  printf '[services] ERROR: %s\n' "$*" >&2
  exit 1
}

# Seconds since the epoch with microseconds (bash >= 5 has EPOCHREALTIME).
now() { printf '%s' "${EPOCHREALTIME:-$(date +%s.%N)}"; }

# wait_for "<name>" <timeout_s> <probe command...>
# Polls the probe every 0.2 s until it exits 0 or the deadline passes. The
# probe must be a real round trip (PING, pg_isready, SELECT 1, stats): an open
# port is not a ready server (MariaDB accepts TCP before it accepts logins).
wait_for() {
  local name=$1 timeout=$2
  shift 2
  local start deadline
  start=$(now)
  deadline=$(awk -v s="$start" -v t="$timeout" 'BEGIN { printf "%.6f", s + t }')
  while true; do
    if "$@" >/dev/null 2>&1; then
      log "$name is up ($(awk -v s="$start" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }') s)"
      return 0
    fi
    if awk -v n="$(now)" -v d="$deadline" 'BEGIN { exit !(n > d) }'; then
      printf '[services] ERROR: %s did not answer its probe within %s s: %s\n' \
        "$name" "$timeout" "$*" >&2
      return 1
    fi
    sleep 0.2
  done
}

# True when the Debian package is installed (not merely known, nor "config-files").
pkg_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

# Runs a command as root: directly when we are root (CI and sessions are), else via sudo.
as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    die "need root for: $* (not root and no sudo)"
  fi
}

# apt_install pkg...
# Installs only the packages that dpkg does not already report installed, so a
# machine that has everything pays one dpkg-query per package and no network.
# `apt-get update` runs at most once per process, and once per services.sh run. Lock timeout: other engineers'
# scripts may hold the dpkg lock on a shared machine.
apt_install() {
  local missing=() pkg
  for pkg in "$@"; do
    pkg_installed "$pkg" || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  log "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get -y -q -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef
    -o Dpkg::Options::=--force-confold)
  # services.sh exports CLOAKROOM_APT_STAMP (a temp file) so that the pieces
  # it runs as child processes share one "already updated" flag.
  local stamp=${CLOAKROOM_APT_STAMP:-}
  if [[ -z "${CLOAKROOM_APT_UPDATED:-}" && ! (-n $stamp && -s $stamp) ]]; then
    _apt_quiet as_root env DEBIAN_FRONTEND=noninteractive "${apt[@]}" update ||
      die "apt-get update failed"
    export CLOAKROOM_APT_UPDATED=1
    [[ -n $stamp ]] && echo updated >"$stamp"
  fi
  _apt_quiet as_root env DEBIAN_FRONTEND=noninteractive "${apt[@]}" install \
    --no-install-recommends "${missing[@]}" ||
    die "apt-get install ${missing[*]} failed"
}

# Runs apt quietly; on failure shows the tail of what it said, which names the
# cause. </dev/null: CI has no stdin, and no package may stop to ask a question.
_apt_quiet() {
  local out rc=0
  out=$(mktemp)
  "$@" </dev/null >"$out" 2>&1 || rc=$?
  ((rc == 0)) || tail -n 20 "$out" | sed 's/^/[services] apt: /' >&2
  rm -f "$out"
  return "$rc"
}

# --- Probes: each exits 0 only after a real round trip with the server. ---

# redis_probe [host] [port]: PING answered with PONG.
redis_probe() {
  [[ "$(timeout 2 redis-cli -h "${1:-127.0.0.1}" -p "${2:-6379}" PING 2>/dev/null)" == PONG ]]
}

# memcached_probe [host] [port]: the text-protocol `stats` command answered
# through bash's /dev/tcp (no nc needed), up to its closing END line.
memcached_probe() {
  (
    exec 3<>"/dev/tcp/${1:-127.0.0.1}/${2:-11211}" || exit 1
    printf 'stats\r\n' >&3
    saw_pid=1
    # read -t bounds a server that accepts but never answers.
    while IFS= read -r -t 2 line <&3; do
      line=${line%$'\r'}
      [[ $line == "STAT pid "* ]] && saw_pid=0
      [[ $line == END ]] && exit "$saw_pid"
    done
    exit 1
  ) 2>/dev/null
}

# pg_probe [host] [port]: pg_isready, then a real query as postgres.
pg_probe() {
  pg_isready -q -h "${1:-127.0.0.1}" -p "${2:-5432}" -t 2 &&
    psql -h "${1:-127.0.0.1}" -p "${2:-5432}" -U postgres -d postgres -XAtqc 'SELECT 1' >/dev/null
}

# mariadb_probe [host] [port]: ping, then SELECT 1 as root with an empty
# password over TCP, which is how the mysql2 driver in the tests logs in.
mariadb_probe() {
  mariadb-admin --protocol=tcp -h "${1:-127.0.0.1}" -P "${2:-3306}" -uroot --connect-timeout=2 \
    ping >/dev/null 2>&1 &&
    mariadb --protocol=tcp -h "${1:-127.0.0.1}" -P "${2:-3306}" -uroot --connect-timeout=2 \
      -Nse 'SELECT 1' >/dev/null
}
