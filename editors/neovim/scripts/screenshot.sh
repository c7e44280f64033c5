#!/usr/bin/env bash
# Takes the README screenshots of a real Neovim (0.12 from the venv) in xterm on a virtual X
# display: a finding (shot 1), its code actions once the model has loaded (shot 2) and the buffer
# after the quick fix (3).
# Needs: apt-get install -y xvfb xterm imagemagick fonts-dejavu-core
# Usage: bash editors/neovim/scripts/screenshot.sh [output folder]   (default editors/neovim/images)
set -euo pipefail

HERE="$(cd "$(dirname "$0")/.." && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
OUT="${1:-$HERE/images}"
NVIM="${NVIM:-$REPO/.venv/bin/nvim}"
WORK="$(mktemp -d)"
mkdir -p "$OUT" "$WORK/project/.git"
OUT="$(cd "$OUT" && pwd)"
mkdir -p "$WORK/xdg" "$WORK/shots"
printf 'import yaml\n\n\ndef load(data):\n    return yaml.load(data)\n' > "$WORK/project/app.py"

# -displayfd: Xvfb picks a free display number and writes it to fd 3 once it is ready.
Xvfb -displayfd 3 -screen 0 1600x400x24 -nolisten tcp 3>"$WORK/display" >/dev/null 2>&1 &
XVFB=$!
cleanup() {
  kill "${XTERM:-}" 2>/dev/null || true
  kill "$XVFB" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  [ -s "$WORK/display" ] && break
  sleep 0.1
done
export DISPLAY=":$(head -n 1 "$WORK/display")"
export XDG_CONFIG_HOME="$WORK/xdg/config" XDG_DATA_HOME="$WORK/xdg/data"
export XDG_STATE_HOME="$WORK/xdg/state" XDG_CACHE_HOME="$WORK/xdg/cache"
export CODEREV_CACHE_DIR="$WORK/cache" CODEREV_SHOT_DIR="$WORK/shots"
export CODEREV_NVIM_PLUGIN="$HERE" CODEREV_NVIM_SERVER="$REPO/.venv/bin/coderev"

cd "$WORK/project"
xterm -geometry 140x16+0+0 -fa 'DejaVu Sans Mono' -fs 12 -bg '#14161b' -fg '#e0e2ea' -bw 0 \
  -xrm 'XTerm*allowTitleOps: false' -T coderev -e env TERM=xterm-256color COLORTERM=truecolor \
  "$NVIM" --clean --listen "$WORK/nvim.sock" -u "$HERE/scripts/screenshot.lua" app.py &
XTERM=$!

wait_for() {
  for _ in $(seq 1 900); do  # 90 s: shot 2 waits for the model to load
    [ -e "$WORK/shots/ready-$1" ] && return 0
    sleep 0.1
  done
  echo "screenshot: timed out waiting for shot $1" >&2
  return 1
}
shot() {
  sleep 0.7
  import -window root -trim +repage "$OUT/$1"
  echo "wrote $OUT/$1"
}

wait_for 1
shot neovim-finding.png
wait_for 2
shot neovim-quickfix.png
"$NVIM" --server "$WORK/nvim.sock" --remote-send '1<CR>' >/dev/null
wait_for 3
shot neovim-fixed.png
"$NVIM" --server "$WORK/nvim.sock" --remote-send '<Esc>:qall!<CR>' >/dev/null 2>&1 || true
