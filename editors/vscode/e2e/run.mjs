// End-to-end test of the packaged extension in real VS Code (code-server) driven through
// headless Chromium with playwright-core: open a Python file with a known finding, see its
// squiggle and its Problems row, apply the quick fix with Ctrl+., see the finding cleared; the
// language status item and Show Status report the model's state; Reset learned preferences runs.
//
//   node e2e/run.mjs --code-server DIR --vsix FILE --out DIR [--workspace DIR]
//
// DIR of --code-server is where e2e/install-code-server.sh installed code-server. A PNG
// screenshot is written to --out at every step (and failure.png plus the VS Code logs when a step
// fails). Exit code 0 when every step passed. Environment: CODEREV_CACHE_DIR is passed on to the
// server (a temporary directory when unset); CHROMIUM overrides /usr/bin/chromium;
// CODEREV_E2E_SETTINGS (JSON) adds user settings and CODEREV_E2E_EXPECT_LAUNCH is the launch
// line expected in the coderev log (default "server: bundled coderev").
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const RULE = 'python.insecure-deserialization.yaml-load';
const SOURCE = 'import yaml\n\ndef load(data):\n    return yaml.load(data)\n';
const STEP_TIMEOUT = 60_000;

function option(name, fallback) {
    const i = process.argv.indexOf(name);
    if (i > 0 && process.argv[i + 1]) {
        return path.resolve(process.argv[i + 1]);
    }
    if (fallback !== undefined) {
        return fallback;
    }
    console.error(`missing ${name}`);
    process.exit(2);
}

const codeServerDir = option('--code-server');
const vsix = option('--vsix');
const out = option('--out');
const run = fs.mkdtempSync(path.join(os.tmpdir(), 'coderev-vscode-e2e-'));
const workspace = option('--workspace', path.join(run, 'workspace'));
const codeServer = path.join(codeServerDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const userData = path.join(run, 'user-data');
const extensions = path.join(run, 'extensions');
const home = path.join(run, 'home');
const cacheDir = process.env.CODEREV_CACHE_DIR || path.join(run, 'coderev-cache');
fs.mkdirSync(out, { recursive: true });
for (const dir of [workspace, path.join(userData, 'User'), extensions, home, cacheDir]) {
    fs.mkdirSync(dir, { recursive: true });
}
const appPy = path.join(workspace, 'app.py');
if (!fs.existsSync(appPy)) {
    fs.writeFileSync(appPy, SOURCE);
}
// Never opened: its finding shows up only once the Scan Workspace command has run.
const OTHER_RULE = 'python.weak-crypto.weak-hash';
fs.writeFileSync(path.join(workspace, 'other.py'), 'import hashlib\n\n\ndef digest(data):\n    return hashlib.md5(data).hexdigest()\n');
fs.writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify(
        {
            'security.workspace.trust.enabled': false,
            'telemetry.telemetryLevel': 'off',
            'workbench.startupEditor': 'none',
            'workbench.tips.enabled': false,
            'workbench.enableExperiments': false,
            'extensions.autoCheckUpdates': false,
            'extensions.autoUpdate': false,
            'extensions.ignoreRecommendations': true,
            'update.mode': 'none',
            'chat.commandCenter.enabled': false,
            'window.commandCenter': false,
            'editor.minimap.enabled': false,
            'editor.fontSize': 16,
            'coderev.trace.server': 'messages',
            // e.g. {"coderev.importStrategy": "fromEnvironment"} to try another launch
            ...JSON.parse(process.env.CODEREV_E2E_SETTINGS || '{}'),
        },
        null,
        2,
    ),
);

const env = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    CODEREV_CACHE_DIR: cacheDir,
};
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const log = (message) => console.log(`[${elapsed()}] ${message}`);

function freePort() {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.on('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const { port } = server.address();
            server.close(() => resolve(port));
        });
    });
}

async function waitHealthy(url, child) {
    const deadline = Date.now() + STEP_TIMEOUT;
    while (Date.now() < deadline) {
        if (child.exitCode !== null) {
            throw new Error(`code-server exited with ${child.exitCode}`);
        }
        try {
            const response = await fetch(`${url}/healthz`);
            if (response.ok) {
                return;
            }
        } catch {
            // not listening yet
        }
        await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error('code-server did not become healthy');
}

const codeServerArgs = [
    codeServer,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir', userData,
    '--extensions-dir', extensions,
];

/** The newest VS Code log file of that name (the extension's "coderev" output channel: coderev.log). */
function readLog(name) {
    const found = [];
    const walk = (dir) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) {
                walk(full);
            } else if (entry.name === name) {
                found.push(full);
            }
        }
    };
    try {
        walk(path.join(userData, 'logs'));
    } catch {
        return '';
    }
    found.sort();
    return found.length > 0 ? fs.readFileSync(found[found.length - 1], 'utf8') : '';
}

let step = 0;
let page;
async function shot(name) {
    step += 1;
    const file = path.join(out, `${String(step).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file });
    log(`screenshot ${file}`);
}

let server;
let browser;
let failed = false;
try {
    log(`installing ${vsix}`);
    const install = spawnSync(process.execPath, [...codeServerArgs, '--install-extension', vsix], {
        env,
        encoding: 'utf8',
        timeout: STEP_TIMEOUT,
    });
    if (install.status !== 0) {
        throw new Error(`--install-extension failed: ${install.stdout}${install.stderr}`);
    }

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // detached: its own process group, so that the file watcher and the extension host (and the
    // language server under it) all go with `kill -- -PGID`.
    server = spawn(process.execPath, [...codeServerArgs, '--bind-addr', `127.0.0.1:${port}`, workspace], {
        env,
        detached: true,
        stdio: ['ignore', fs.openSync(path.join(out, 'code-server.log'), 'w'), fs.openSync(path.join(out, 'code-server.log'), 'a')],
    });
    await waitHealthy(url, server);
    log(`code-server is up on ${url}`);

    browser = await chromium.launchPersistentContext(path.join(run, 'chromium'), {
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
        headless: true,
        viewport: { width: 1280, height: 800 },
        args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--disable-dev-shm-usage',
        ],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(STEP_TIMEOUT);
    await page.goto(`${url}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench').waitFor();
    log('workbench ready');

    // Open app.py with Quick Open.
    await page.locator('.monaco-workbench').click({ position: { x: 640, y: 400 } }).catch(() => undefined);
    await page.keyboard.press('Control+P');
    const quickInput = page.locator('.quick-input-widget input');
    await quickInput.waitFor();
    await quickInput.fill('app.py');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'app.py' }).first().waitFor();
    await page.keyboard.press('Enter');
    const editor = page.locator('.editor-instance .monaco-editor').first();
    await editor.locator('.view-line', { hasText: 'yaml.load' }).waitFor();
    await shot('opened');

    // The finding's squiggle.
    const squiggle = editor.locator('.squiggly-error, .squiggly-warning');
    await squiggle.first().waitFor();
    log('squiggle visible');
    await shot('squiggle');

    // Its row in the Problems panel.
    await page.keyboard.press('Control+Shift+M');
    const problem = page.locator('.markers-panel .monaco-list-row', { hasText: RULE });
    await problem.first().waitFor();
    log(`problems row: ${(await problem.first().innerText()).replace(/\s+/g, ' ')}`);
    await shot('problems');

    // A settings change restarts the server with the new settings: the error becomes a warning.
    // Edited the way a user does: Preferences: Open User Settings (JSON), new text, save, close.
    const settingsFile = path.join(userData, 'User', 'settings.json');
    const settings = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
    settings['coderev.severity'] = { [RULE]: 'warning' };
    await page.keyboard.press('Control+Shift+P');
    await quickInput.waitFor();
    await quickInput.fill('>Preferences: Open User Settings (JSON)');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Open User Settings (JSON)' }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.tab.active', { hasText: 'settings.json' }).waitFor();
    await page.locator('.editor-instance .monaco-editor .view-line', { hasText: 'telemetry' }).first().waitFor();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(JSON.stringify(settings, null, 2));
    await page.keyboard.press('Control+S');
    const saved = Date.now() + STEP_TIMEOUT;
    while (!fs.readFileSync(settingsFile, 'utf8').includes(RULE)) {
        if (Date.now() > saved) {
            throw new Error('settings.json was not saved');
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    await page.keyboard.press('Control+W');
    await page.locator('.tab.active', { hasText: 'app.py' }).waitFor();
    const count = (pattern) => (readLog('coderev.log').match(pattern) ?? []).length;
    const restarted = Date.now() + STEP_TIMEOUT;
    while (count(/a coderev setting changed/g) < 1 || count(/server started/g) < 2) {
        if (Date.now() > restarted) {
            throw new Error(`the server was not restarted after the settings change:\n${readLog('coderev.log')}`);
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    await editor.locator('.squiggly-warning').first().waitFor();
    await editor.locator('.squiggly-error').first().waitFor({ state: 'detached' });
    log('setting changed: server restarted, the finding is now a warning');
    await shot('setting-changed');

    // The language status item (the `{}` next to "Python" in the status bar) shows the server.
    await page.locator('[id="status.languageStatus"]').click();
    // ... and the model engine's state from the server's coderev/status report.
    const languageStatus = page.locator('.hover-language-status', { hasText: /coderev running · (ready|loading|rules only)/ });
    await languageStatus.first().waitFor();
    log(`language status: ${(await languageStatus.first().innerText()).replace(/\s+/g, ' ')}`);
    await page.waitForTimeout(500); // let the hover finish fading in
    await shot('language-status');
    await page.keyboard.press('Escape');

    // Put the cursor on the finding (line 4, column 17: inside `yaml.load`) and ask for fixes.
    await page.keyboard.press('Control+G');
    await quickInput.waitFor();
    await quickInput.fill(':4:17');
    await page.keyboard.press('Enter');
    await editor.locator('textarea').first().focus().catch(() => undefined);
    await page.keyboard.press('Control+.');
    const actions = page.locator('.action-widget .monaco-list-row');
    await actions.first().waitFor();
    const titles = (await actions.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    log(`quick fixes: ${JSON.stringify(titles)}`);
    const fixIndex = titles.findIndex((t) => t.startsWith('Fix:'));
    if (fixIndex < 0) {
        throw new Error(`no "Fix:" quick fix among ${JSON.stringify(titles)}`);
    }
    // Move the focus to the fix (the preferred action usually comes first) and apply it with Enter.
    const focusedRow = page.locator('.action-widget .monaco-list-row.focused');
    for (let i = 0; i < titles.length; i++) {
        const text = (await focusedRow.first().innerText({ timeout: 2000 }).catch(() => '')).replace(/\s+/g, ' ').trim();
        if (text.startsWith('Fix:')) {
            break;
        }
        await page.keyboard.press('ArrowDown');
    }
    await shot('quick-fix');
    await page.keyboard.press('Enter');

    // The fix is applied: new text, no squiggle, no Problems row.
    await editor.locator('.view-line', { hasText: 'yaml.safe_load' }).waitFor();
    await squiggle.first().waitFor({ state: 'detached' });
    await problem.first().waitFor({ state: 'detached' });
    log('fix applied; squiggle and Problems row gone');
    await page.keyboard.press('Control+S');
    const deadline = Date.now() + STEP_TIMEOUT;
    while (!fs.readFileSync(appPy, 'utf8').includes('yaml.safe_load(data)')) {
        if (Date.now() > deadline) {
            throw new Error(`app.py on disk was not fixed:\n${fs.readFileSync(appPy, 'utf8')}`);
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    log('saved: app.py on disk now calls yaml.safe_load');
    const serverLog = readLog('coderev.log');
    const expected = process.env.CODEREV_E2E_EXPECT_LAUNCH || 'server: bundled coderev';
    if (!serverLog.includes(expected)) {
        throw new Error(`the server log lacks "${expected}":\n${serverLog}`);
    }
    if (/SYS\d{3}|\[error\]/.test(serverLog)) {
        throw new Error(`the coderev log has errors:\n${serverLog}`);
    }
    await shot('fixed');

    // Commands from the palette: Scan Workspace finds other.py's finding; Show Status reports.
    const palette = async (title) => {
        await page.keyboard.press('Control+Shift+P');
        await quickInput.waitFor();
        await quickInput.fill(`>${title}`);
        await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
        await page.keyboard.press('Enter');
    };
    await palette('coderev: Scan Workspace');
    await page.locator('.markers-panel .monaco-list-row', { hasText: OTHER_RULE }).first().waitFor();
    log('Scan Workspace: other.py has its finding in the Problems panel');
    await palette('coderev: Show Status');
    const statusToast = page.locator('.notification-toast', { hasText: 'coderev server: running' });
    await statusToast.first().waitFor();
    const statusText = (await statusToast.first().innerText()).replace(/\s+/g, ' ');
    if (!/model: (ready|loading|rules only|off)/.test(statusText)) {
        throw new Error(`Show Status does not report the model: ${statusText}`);
    }
    log(`Show Status: ${statusText}`);
    await palette('coderev: Reset learned preferences');
    await page.locator('.notification-toast', { hasText: 'learned preferences reset in 1 workspace root' }).first().waitFor();
    log('Reset learned preferences: the server reset the workspace');
    await shot('commands');
    console.log(`E2E PASSED in ${elapsed()}`);
} catch (error) {
    failed = true;
    console.error(`E2E FAILED after ${elapsed()}: ${error instanceof Error ? error.stack : error}`);
    if (page) {
        await page.screenshot({ path: path.join(out, 'failure.png') }).catch(() => undefined);
    }
    try {
        fs.cpSync(path.join(userData, 'logs'), path.join(out, 'vscode-logs'), { recursive: true, force: true });
    } catch {
        // VS Code wrote no logs (it did not get that far)
    }
} finally {
    await browser?.close().catch(() => undefined);
    if (server?.pid) {
        try {
            process.kill(-server.pid, 'SIGTERM');
        } catch {
            // already gone
        }
        await new Promise((r) => setTimeout(r, 500));
        try {
            process.kill(-server.pid, 'SIGKILL');
        } catch {
            // gone
        }
    }
    fs.writeFileSync(path.join(out, 'coderev.log'), readLog('coderev.log'));
    fs.writeFileSync(path.join(out, 'result.json'), JSON.stringify({ passed: !failed, workspace, cacheDir, seconds: (Date.now() - started) / 1000 }) + '\n');
    // The run folder (VS Code's user data, the installed extension, the browser profile) is
    // removed after a pass; after a failure it stays, and its VS Code logs are in --out too.
    if (!process.env.CODEREV_E2E_KEEP_RUN) {
        fs.rmSync(failed ? path.join(run, 'chromium') : run, { recursive: true, force: true });
    }
}
process.exit(failed ? 1 : 0);
