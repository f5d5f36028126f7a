#!/usr/bin/env bash
# Debian's Chromium (/usr/bin/chromium) for the browser tests (playwright-core
# with executablePath). Never a downloaded browser: `npx playwright install`
# cannot reach its CDN from these machines, Debian's package can be installed.
set -euo pipefail
# shellcheck source=scripts/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CHROMIUM=${CLOAKROOM_TEST_CHROMIUM:-/usr/bin/chromium}

fresh=0
if ! pkg_installed chromium || ! pkg_installed fonts-dejavu-core ||
  ! pkg_installed fonts-liberation; then
  fresh=1
fi
# Fonts: without any, pages render as empty boxes and text metrics in
# screenshots are meaningless. DejaVu covers Latin/Greek/Cyrillic, Liberation
# is metric-compatible with Arial/Times/Courier that pages name in CSS.
apt_install chromium fonts-dejavu-core fonts-liberation

[[ -x "$CHROMIUM" ]] || die "chromium installed but $CHROMIUM is not executable"
version=$("$CHROMIUM" --version 2>/dev/null) || die "$CHROMIUM --version failed"
[[ $version == Chromium* ]] || die "unexpected $CHROMIUM --version output: $version"

# A real headless render, only right after an install (or when asked): it takes
# a second or two, and services.sh must stay fast when everything is up.
# Flags as on this machine kind's own probe: root needs --no-sandbox, and the
# background-networking flags keep Chromium from dialling Google on a closed network.
if ((fresh)) || [[ -n "${CLOAKROOM_CHROMIUM_RENDER_CHECK:-}" ]]; then
  profile=$(mktemp -d)
  trap 'rm -rf "$profile"' EXIT
  dom=$(timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --user-data-dir="$profile" \
    --dump-dom 'data:text/html,<p id=x>cloakroom-ok</p>' 2>/dev/null) ||
    die "headless chromium failed to render a page"
  [[ $dom == *cloakroom-ok* ]] || die "headless chromium rendered no DOM: $dom"
  log "chromium renders headless"
fi
log "$version at $CHROMIUM"
