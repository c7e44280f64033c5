#!/usr/bin/env bash
# Installs what tests/observability needs besides the `test` extra: Debian's `prometheus` package
# (the Prometheus server and promtool, at /usr/bin). Does nothing when both are there. Chromium for
# the admin page screenshots comes from editors/vscode/e2e/install-system-deps.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/apt-install.sh" /usr/bin/prometheus=prometheus /usr/bin/promtool=prometheus
/usr/bin/promtool --version 2>&1 | head -n 1
