#!/usr/bin/env bash
# Installs what tests/observability needs besides the `test` extra: Debian's `prometheus` package
# (the Prometheus server and promtool, at /usr/bin). Does nothing when both are there. Needs root
# (CI runs as root) and Debian's package index; Chromium for the admin page screenshots comes from
# editors/vscode/e2e/install-system-deps.sh.
set -euo pipefail

if [ -x /usr/bin/prometheus ] && [ -x /usr/bin/promtool ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: no apt-get here; install Prometheus 2.x (prometheus, promtool) on the PATH by hand" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# --no-install-recommends; policy-rc.d keeps the packaged service from starting where there is no init
$SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
/usr/bin/promtool --version 2>&1 | head -n 1
