#!/usr/bin/env bash
# One-time install of code-server (VS Code 1.100.3 in the browser) for the end-to-end test,
# offline apart from the npm registry, into $1 (default: <repo>/.cache/editors/code-server).
# Recipe: /work/shared/EDITOR-TESTING.md. Needs the Debian packages chromium, ripgrep,
# libkrb5-dev and build-essential (see editors/vscode/README.md). Skips when already installed.
set -euo pipefail
VERSION=4.100.3
HERE="$(cd "$(dirname "$0")" && pwd)"
DEST="${1:-$HERE/../../../.cache/editors/code-server}"
mkdir -p "$DEST"
DEST="$(cd "$DEST" && pwd)"
MARKER="$DEST/.installed-$VERSION"
if [[ -f "$MARKER" ]]; then
    echo "code-server $VERSION already installed in $DEST"
    exit 0
fi
for tool in chromium rg make g++; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y chromium ripgrep libkrb5-dev build-essential" >&2; exit 1; }
done
rm -rf "$DEST"/node_modules "$DEST"/package.json "$DEST"/package-lock.json
cd "$DEST"
echo '{"private": true}' > package.json
export npm_config_nodedir=/usr JOBS=2 npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
npm install "code-server@$VERSION" --ignore-scripts --no-save
npm rebuild argon2 --build-from-source
GYP="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")/node_modules/node-gyp/bin/node-gyp.js"
[[ -f "$GYP" ]] || GYP=/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js
cd node_modules/code-server/lib/vscode
npm install --omit=dev --ignore-scripts
npm rebuild @vscode/spdlog native-watchdog @vscode/deviceid
(cd node_modules/node-pty && node "$GYP" rebuild)
(cd node_modules/kerberos && node "$GYP" rebuild)
mkdir -p node_modules/@vscode/ripgrep/bin && ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
ln -sfn node_modules node_modules.asar
ln -sf code-linux.sh bin/remote-cli/code-server
ln -sf browser-linux.sh bin/helpers/browser.sh
(cd extensions && npm install --omit=dev)
touch "$MARKER"
echo "code-server $VERSION installed in $DEST"
