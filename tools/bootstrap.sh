#!/usr/bin/env bash
# Installs what `make up` / `make test` need and is missing. Safe to run again: it only adds.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never UV_PYTHON="${UV_PYTHON:-python3.11}"

if ! command -v uv >/dev/null 2>&1 && [ ! -x "$HOME/.local/bin/uv" ]; then
  echo "bootstrap: installing uv"
  python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv
fi
UV="$(command -v uv 2>/dev/null || echo "$HOME/.local/bin/uv")"

# Python dependencies, exactly as locked.
"$UV" sync --frozen --quiet

# Prometheus + promtool (Debian's `prometheus` package): the monitoring tests run a real
# Prometheus, and `make up` starts one when the binary is here. Installed only when missing, and
# never started as a system service (it would take the fixed port 9090).
# prometheus-alertmanager: the integration tests send alerts through a real Alertmanager.
install_prometheus() {
  if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 &&
    command -v prometheus-alertmanager >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: prometheus/promtool missing and cannot apt-get install here (need root + apt)" >&2
    return 0
  fi
  echo "bootstrap: installing prometheus, prometheus-alertmanager (Debian packages) for the tests"
  local guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    guard=/usr/sbin/policy-rc.d
  fi
  local apt=(apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends prometheus
    prometheus-alertmanager)
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" >/dev/null 2>&1 ||
    { apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null 2>&1 &&
      DEBIAN_FRONTEND=noninteractive "${apt[@]}" >/dev/null; } ||
    echo "bootstrap: apt-get install prometheus prometheus-alertmanager failed" >&2
  if [ -n "$guard" ]; then rm -f "$guard"; fi
  # A package install may still have launched the daemon through systemd: stop it, we run our own.
  if command -v systemctl >/dev/null 2>&1; then
    systemctl stop prometheus prometheus-alertmanager >/dev/null 2>&1 || true
  fi
}
install_prometheus

# The web UI: Debian's nginx serves it (make up), Debian's chromium runs its browser tests (make
# test), node builds it. Installed only when missing; the browser never comes from anywhere else.
missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]} (apt)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  # Keep the package from starting a system nginx on :80: `make up` runs its own.
  rc_guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d && rc_guard=/usr/sbin/policy-rc.d
  fi
  $SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
  [ -z "$rc_guard" ] || $SUDO rm -f "$rc_guard"
fi
# Node dependencies exactly as locked, again only when the lock changed since the last install.
if [ ! -f web-ui/node_modules/.package-lock.json ] \
  || [ web-ui/package-lock.json -nt web-ui/node_modules/.package-lock.json ]; then
  echo "bootstrap: npm ci (web-ui)"
  (cd web-ui && npm ci --no-audit --no-fund --loglevel=error)
fi
