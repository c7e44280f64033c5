// Helpers of the end-to-end test (e2e/run.mjs): command-line options, code-server's health and
// logs, polling, the slot store lock, and the VS Code gestures the steps share.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const STEP_TIMEOUT = 60_000;

export function option(name, fallback) {
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

export function freePort() {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.on('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const { port } = server.address();
            server.close(() => resolve(port));
        });
    });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns something truthy; throws `what()` after `timeout` ms. */
export async function until(check, what, timeout = STEP_TIMEOUT, every = 100) {
    const deadline = Date.now() + timeout;
    for (;;) {
        const found = await check();
        if (found) {
            return found;
        }
        if (Date.now() > deadline) {
            throw new Error(typeof what === 'function' ? what() : what);
        }
        await sleep(every);
    }
}

export async function waitHealthy(url, child) {
    await until(async () => {
        if (child.exitCode !== null) {
            throw new Error(`code-server exited with ${child.exitCode}`);
        }
        try {
            return (await fetch(`${url}/healthz`)).ok;
        } catch {
            return false; // not listening yet
        }
    }, 'code-server did not become healthy', STEP_TIMEOUT, 250);
}

/** The newest VS Code log file of that name under `logs` (the "coderev" output channel: coderev.log). */
export function readLog(logs, name) {
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
        walk(logs);
    } catch {
        return '';
    }
    found.sort();
    return found.length > 0 ? fs.readFileSync(found[found.length - 1], 'utf8') : '';
}

/**
 * Holds the slot store's lock (`<store>/.lock`, flock) as another coderev process using the same
 * store does: the language server's model engine waits for it before loading a slot, so the
 * model stays "loading" until `release()`, however fast this machine is.
 */
export async function holdStoreLock(store, python) {
    fs.mkdirSync(store, { recursive: true });
    const script =
        'import fcntl, os, sys\n' +
        'fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)\n' +
        'fcntl.flock(fd, fcntl.LOCK_EX)\n' +
        'print("locked", flush=True)\n' +
        'sys.stdin.read()\n';
    const child = spawn(python, ['-c', script, path.join(store, '.lock')], { stdio: ['pipe', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    await until(() => output.includes('locked') || child.exitCode !== null, 'the slot store lock was not taken');
    if (!output.includes('locked')) {
        throw new Error(`${python} could not take the slot store lock (exit ${child.exitCode})`);
    }
    return {
        async release() {
            if (child.exitCode === null) {
                child.stdin.end();
                await until(() => child.exitCode !== null, 'the slot store lock was not released', 10_000);
            }
        },
    };
}

const clean = (text) => text.replace(/\s+/g, ' ').trim();

/** Quick Open a workspace file and wait for its text in the editor. */
export async function openFile(page, name, text) {
    await page.keyboard.press('Control+P');
    const quickInput = page.locator('.quick-input-widget input');
    await quickInput.waitFor();
    await quickInput.fill(name);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.tab.active', { hasText: name }).waitFor();
    const editor = page.locator('.editor-instance .monaco-editor').first();
    await editor.locator('.view-line', { hasText: text }).first().waitFor();
    return editor;
}

/** Puts the cursor at `line:column` (Go to Line) and opens the Quick Fix menu; returns its titles. */
export async function quickFixMenu(page, editor, where, attempts = 3) {
    await page.keyboard.press('Control+G');
    const quickInput = page.locator('.quick-input-widget input');
    await quickInput.waitFor();
    await quickInput.fill(`:${where}`);
    await page.keyboard.press('Enter');
    await editor.locator('textarea').first().focus().catch(() => undefined);
    await page.keyboard.press('Control+.');
    const rows = page.locator('.action-widget .monaco-list-row');
    const none = page.locator('.monaco-editor-overlaymessage', { hasText: 'No code actions available' });
    // VS Code can answer Ctrl+. from a request it cancelled a moment before (the trace shows no new
    // codeAction request reaching the server) and say "No code actions available"; a user presses
    // again, and so does this, a bounded number of times.
    const shown = await Promise.race([
        rows.first().waitFor().then(() => 'rows'),
        none.first().waitFor({ timeout: 60_000 }).then(() => 'none').catch(() => 'rows'),
    ]);
    if (shown === 'none' && attempts > 1) {
        await page.keyboard.press('Escape');
        await sleep(500);
        return quickFixMenu(page, editor, where, attempts - 1);
    }
    await rows.first().waitFor();
    return (await rows.allInnerTexts()).map(clean);
}

/** Moves the Quick Fix menu's focus to the first entry whose title passes `wanted`; returns it. */
export async function focusEntry(page, titles, wanted) {
    const focused = page.locator('.action-widget .monaco-list-row.focused');
    for (let i = 0; i <= titles.length; i++) {
        const text = clean(await focused.first().innerText({ timeout: 2000 }).catch(() => ''));
        if (wanted(text)) {
            return text;
        }
        await page.keyboard.press('ArrowDown');
    }
    throw new Error(`the Quick Fix menu has no entry to focus among ${JSON.stringify(titles)}`);
}
