// End-to-end test of the packaged extension in real VS Code (code-server) driven through
// headless Chromium with playwright-core: open a Python file with a known finding, see its
// squiggle and its Problems row, apply the quick fix with Ctrl+., see the finding cleared; the
// language status item (short enough not to be cut off) and Show Status report the model's state;
// Reset learned preferences runs. With the model runtime in the .vsix: while the model is held
// loading (the slot store's lock), Ctrl+. says so; once it has loaded, a verified AI fix is
// applied with Ctrl+. (e2e/model-steps.mjs).
//
//   node e2e/run.mjs --code-server DIR --vsix FILE --out DIR [--workspace DIR] [--rules-only]
//
// DIR of --code-server is where e2e/install-code-server.sh installed code-server. --rules-only:
// the .vsix has no model runtime (skips the model steps). A PNG screenshot is written to --out at
// every step (and failure.png plus the VS Code logs when a step fails). Exit code 0 when every
// step passed. Environment: CODEREV_CACHE_DIR is passed on to the server (a temporary directory
// when unset); CHROMIUM overrides /usr/bin/chromium; CODEREV_E2E_PYTHON is the Python that holds
// the slot store lock (default python3); CODEREV_E2E_SETTINGS (JSON) adds user settings and
// CODEREV_E2E_EXPECT_LAUNCH is the launch line expected in the coderev log (default "server:
// bundled coderev").
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { focusEntry, freePort, holdStoreLock, openFile, option, quickFixMenu, readLog, STEP_TIMEOUT, until, waitHealthy } from './harness.mjs';
import { AI_FILE, AI_SOURCE, applyAiFix, explainLoading } from './model-steps.mjs';

const RULE = 'python.insecure-deserialization.yaml-load';
const SOURCE = 'import yaml\n\ndef load(data):\n    return yaml.load(data)\n';
const withModel = !process.argv.includes('--rules-only');

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
const dataDir = path.join(run, 'coderev-data'); // the model slot store: $CODEREV_DATA_DIR/slots
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
if (withModel) {
    fs.writeFileSync(path.join(workspace, AI_FILE), AI_SOURCE);
}
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
    CODEREV_DATA_DIR: dataDir,
};
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const log = (message) => console.log(`[${elapsed()}] ${message}`);
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
const coderevLog = () => readLog(path.join(userData, 'logs'), 'coderev.log');

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
let storeLock;
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
    if (withModel) {
        storeLock = await holdStoreLock(path.join(dataDir, 'slots'), process.env.CODEREV_E2E_PYTHON || 'python3');
        log('slot store locked: the model stays loading until the rule quick fix is done');
    }

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // detached: its own process group, so that the file watcher and the extension host (and the
    // language server under it) all go with `kill -- -PGID`.
    const serverLog = fs.openSync(path.join(out, 'code-server.log'), 'w');
    server = spawn(process.execPath, [...codeServerArgs, '--bind-addr', `127.0.0.1:${port}`, workspace], {
        env,
        detached: true,
        stdio: ['ignore', serverLog, serverLog],
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

    await page.locator('.monaco-workbench').click({ position: { x: 640, y: 400 } }).catch(() => undefined);
    const editor = await openFile(page, 'app.py', 'yaml.load');
    const quickInput = page.locator('.quick-input-widget input');
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
    await until(() => fs.readFileSync(settingsFile, 'utf8').includes(RULE), 'settings.json was not saved');
    await page.keyboard.press('Control+W');
    await page.locator('.tab.active', { hasText: 'app.py' }).waitFor();
    const count = (pattern) => (coderevLog().match(pattern) ?? []).length;
    await until(
        () => count(/a coderev setting changed/g) >= 1 && count(/server started/g) >= 2,
        () => `the server was not restarted after the settings change:\n${coderevLog()}`,
    );
    await editor.locator('.squiggly-warning').first().waitFor();
    await editor.locator('.squiggly-error').first().waitFor({ state: 'detached' });
    log('setting changed: server restarted, the finding is now a warning');
    await shot('setting-changed');

    // The language status item (the `{}` next to "Python" in the status bar): the server and the
    // model's state from the server's coderev/status report, in a few words, with a Details link.
    await page.locator('[id="status.languageStatus"]').click();
    const expectedState = withModel ? /coderev · model loading/ : /coderev · rules only/;
    const languageStatus = page.locator('.hover-language-status', { hasText: expectedState });
    await languageStatus.first().waitFor();
    await page.waitForTimeout(500); // let the hover finish fading in
    const hover = await languageStatus.first().evaluate((row) => {
        const box = (element) => {
            const rect = element?.getBoundingClientRect();
            return { left: rect?.left ?? 0, right: rect?.right ?? Infinity };
        };
        const content = row.closest('.monaco-hover-content');
        const link = row.querySelector('a.monaco-link');
        return {
            text: row.innerText.replace(/\s+/g, ' ').trim(),
            label: row.querySelector('.left')?.textContent ?? '',
            overflow: content ? content.scrollWidth - content.clientWidth : -1,
            hover: box(row.closest('.monaco-hover')),
            link: { text: link?.textContent ?? '', ...box(link) },
            viewport: window.innerWidth,
        };
    });
    log(`language status: ${JSON.stringify(hover)}`);
    // Was: "coderev running · rules only (model off)" + the launch command line as the detail,
    // wider than the hover, which cut it (and its "Show Log" link) off at the window's right edge.
    if (hover.overflow > 1 || hover.label.length > 48 || hover.link.text !== 'Details' || hover.link.right > Math.min(hover.viewport, hover.hover.right)) {
        throw new Error(`the language status hover is cut off or too long: ${JSON.stringify(hover)}`);
    }
    await shot('language-status');
    await page.keyboard.press('Escape');
    await page.mouse.move(640, 300); // off the status bar, or its hover comes back in later shots

    // Ctrl+. on the finding (line 4, column 17: inside `yaml.load`): the rule's fix, and while the
    // model is held loading, an entry that says so.
    const where = '4:17';
    let titles = await quickFixMenu(page, editor, where);
    log(`quick fixes: ${JSON.stringify(titles)}`);
    if (withModel) {
        titles = await explainLoading(page, editor, where, titles, log);
    }
    await focusEntry(page, titles, (text) => text.startsWith('Fix:'));
    await shot('quick-fix');
    await page.keyboard.press('Enter');

    // The fix is applied: new text, no squiggle, no Problems row.
    await editor.locator('.view-line', { hasText: 'yaml.safe_load' }).waitFor();
    await squiggle.first().waitFor({ state: 'detached' });
    await problem.first().waitFor({ state: 'detached' });
    log('fix applied; squiggle and Problems row gone');
    await page.keyboard.press('Control+S');
    await until(
        () => fs.readFileSync(appPy, 'utf8').includes('yaml.safe_load(data)'),
        () => `app.py on disk was not fixed:\n${fs.readFileSync(appPy, 'utf8')}`,
    );
    log('saved: app.py on disk now calls yaml.safe_load');
    const expected = process.env.CODEREV_E2E_EXPECT_LAUNCH || 'server: bundled coderev';
    if (!coderevLog().includes(expected)) {
        throw new Error(`the server log lacks "${expected}":\n${coderevLog()}`);
    }
    await shot('fixed');
    await storeLock?.release();

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
    if (!/model: (ready|loading|rules only|off)/.test(statusText) || !statusText.includes('launch: bundled coderev')) {
        throw new Error(`Show Status does not report the launch and the model: ${statusText}`);
    }
    log(`Show Status: ${statusText}`);
    await palette('coderev: Reset learned preferences');
    await page.locator('.notification-toast', { hasText: 'learned preferences reset in 1 workspace root' }).first().waitFor();
    log('Reset learned preferences: the server reset the workspace');
    await shot('commands');

    if (withModel) {
        await palette('Notifications: Clear All Notifications');
        await page.keyboard.press('Control+Shift+M'); // the Problems panel again (Show Status opened the log)
        await applyAiFix({ page, workspace, shot, log, timeout: 150_000 });
    }
    const finalLog = coderevLog();
    if (/SYS\d{3}|\[error\]/.test(finalLog)) {
        throw new Error(`the coderev log has errors:\n${finalLog}`);
    }
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
    await storeLock?.release().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    if (server?.pid) {
        for (const signal of ['SIGTERM', 'SIGKILL']) {
            try {
                process.kill(-server.pid, signal);
            } catch {
                // already gone
            }
            await new Promise((r) => setTimeout(r, 500));
        }
    }
    fs.writeFileSync(path.join(out, 'coderev.log'), coderevLog());
    fs.writeFileSync(path.join(out, 'result.json'), JSON.stringify({ passed: !failed, workspace, cacheDir, seconds: (Date.now() - started) / 1000 }) + '\n');
    // The run folder (VS Code's user data, the installed extension, the browser profile) is
    // removed after a pass; after a failure it stays, and its VS Code logs are in --out too.
    if (!process.env.CODEREV_E2E_KEEP_RUN) {
        fs.rmSync(failed ? path.join(run, 'chromium') : run, { recursive: true, force: true });
    }
}
process.exit(failed ? 1 : 0);
