#!/usr/bin/env bash
# Installs the Debian packages a test setup needs, only those whose file is missing:
#   apt-install.sh FILE=PACKAGE [FILE=PACKAGE ...]
# (e.g. /usr/bin/nvim=neovim). Needs apt-get and root or sudo (CI runs as root); prints the
# packages it installed. Used by editors/neovim/scripts/install-test-deps.sh and
# deploy/scripts/install-test-deps.sh.
set -euo pipefail

missing=()
for pair in "$@"; do
  file="${pair%%=*}"
  package="${pair#*=}"
  [ -e "$file" ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-install: no apt-get here; install by hand: ${missing[*]}" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "apt-install: installed ${missing[*]}"
