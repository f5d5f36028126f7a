#!/usr/bin/env bash
# Installs (Debian packages only) and starts every server the test suites need,
# then prints what is up. Idempotent and fast when everything already answers:
# each piece probes first and only installs or starts what is missing.
#
#   bash scripts/services.sh              # all pieces   (also: npm run services)
#   bash scripts/services.sh memcached    # only the named pieces
#
# Pieces live in scripts/services/<name>.sh and follow the contract in
# scripts/services/lib.sh. redis-cluster and redis-sentinel are run when their
# scripts exist. Exits non-zero when any piece failed, after trying all of them.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/services/lib.sh
source "$here/services/lib.sh"

all=(shared memcached chromium redis-cluster redis-sentinel wrk)
declare -A endpoint=(
  [shared]="postgres :5432, mariadb :3306, redis :6379"
  [memcached]="127.0.0.1:11211"
  [chromium]="/usr/bin/chromium"
  [redis-cluster]="127.0.0.1:7000-7005 (3 masters, 3 replicas)"
  [redis-sentinel]="sentinels 127.0.0.1:26379-26381, master :6390"
  [wrk]="/usr/bin/wrk (bench load generator)"
)
pieces=("$@")
((${#pieces[@]})) || pieces=("${all[@]}")

# wrk is one small package, not a server: no script of its own.
install_wrk() { apt_install wrk && command -v wrk >/dev/null; }

CLOAKROOM_APT_STAMP=$(mktemp)
export CLOAKROOM_APT_STAMP
trap 'rm -f "$CLOAKROOM_APT_STAMP"' EXIT

declare -A status=() took=()
started=$(now)
any_failed=0
for piece in "${pieces[@]}"; do
  t0=$(now)
  script="$here/services/$piece.sh"
  if [[ $piece == wrk ]]; then
    # Subshell: apt_install dies (exit) on failure, which must not end this loop.
    if (install_wrk); then status[$piece]=up; else status[$piece]=FAILED; fi
  elif [[ -f $script ]]; then
    log "--- $piece"
    # </dev/null: CI has no stdin; nothing here may wait for an answer.
    if bash "$script" </dev/null; then status[$piece]=up; else status[$piece]=FAILED; fi
  elif [[ " ${all[*]} " == *" $piece "* ]]; then
    status[$piece]=absent
    endpoint[$piece]="(no scripts/services/$piece.sh)"
  else
    status[$piece]="FAILED (unknown piece; known: ${all[*]})"
  fi
  [[ ${status[$piece]} == FAILED* ]] && any_failed=1
  took[$piece]=$(awk -v s="$t0" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }')
done

total=$(awk -v s="$started" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }')
{
  printf '[services] %-15s %-8s %6s  %s\n' piece status seconds endpoint
  for piece in "${pieces[@]}"; do
    printf '[services] %-15s %-8s %6s  %s\n' "$piece" "${status[$piece]}" "${took[$piece]}" \
      "${endpoint[$piece]:-}"
  done
  printf '[services] total %s s\n' "$total"
} >&2
exit "$any_failed"
