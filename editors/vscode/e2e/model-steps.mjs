// The steps of the end-to-end test (e2e/run.mjs) that need the bundled model runtime: the Quick
// Fix menu while the model is still loading, and a verified AI fix applied with Ctrl+.
import fs from 'node:fs';
import { focusEntry, openFile, quickFixMenu, sleep, until } from './harness.mjs';

export const LOADING = 'AI fix: the model is still loading';
const AI_FIX = /^AI fix \(model [^,]+, verified: .+\)$/;
const REJECT = /^Reject the AI fix/;

/** A file whose finding the shipped default model fixes (tests/lsp/test_model_features.py). */
export const AI_FILE = 'config_loader.py';
export const AI_SOURCE = 'import yaml\n\n\ndef load_config(stream):\n    return yaml.load(stream)\n';
export const AI_EXPECTED = AI_SOURCE.replace('yaml.load(stream)', 'yaml.safe_load(stream)');

/**
 * While the model loads, the menu lists "AI fix: the model is still loading" (the server's
 * disabled code action, which the extension shows in the plain Quick Fix menu); choosing it
 * explains. `titles` is the open menu's.
 */
export async function explainLoading(page, editor, where, titles, log) {
    if (!titles.includes(LOADING)) {
        throw new Error(`the model is loading but the Quick Fix menu does not say so: ${JSON.stringify(titles)}`);
    }
    await focusEntry(page, titles, (text) => text === LOADING);
    await page.keyboard.press('Enter');
    const toast = page.locator('.notification-toast', { hasText: 'The local model is still loading' });
    await toast.first().waitFor();
    log(`"${LOADING}" chosen: ${(await toast.first().innerText()).replace(/\s+/g, ' ')}`);
    await page.keyboard.press('Escape');
    return quickFixMenu(page, editor, where); // the menu again, for the rule's fix
}

/**
 * Opens AI_FILE, asks for quick fixes until the AI fix is offered (the model loads, then answers
 * within the server's wait or by the next request), applies it and checks the saved file.
 */
export async function applyAiFix({ page, workspace, shot, log, timeout }) {
    const editor = await openFile(page, AI_FILE, 'yaml.load');
    await editor.locator('.squiggly-error, .squiggly-warning').first().waitFor();
    const where = '5:17'; // inside `yaml.load`
    let titles = [];
    let asked = 0;
    await until(
        async () => {
            asked += 1;
            titles = await quickFixMenu(page, editor, where);
            if (titles.some((t) => AI_FIX.test(t))) {
                return true;
            }
            await page.keyboard.press('Escape');
            await sleep(1000);
            return false;
        },
        () => `no AI fix offered after ${asked} requests; last menu: ${JSON.stringify(titles)}`,
        timeout,
        0,
    );
    log(`quick fixes with the model (request ${asked}): ${JSON.stringify(titles)}`);
    // turn the AI fix down first: no edit, the finding stays, the server records a reject event
    const rejected = await focusEntry(page, titles, (text) => REJECT.test(text));
    await page.keyboard.press('Enter');
    await sleep(500);
    await editor.locator('.squiggly-error, .squiggly-warning').first().waitFor();
    await editor.locator('.view-line', { hasText: 'yaml.load(stream)' }).waitFor();
    log(`chose "${rejected}": the finding and the code stay`);
    titles = await quickFixMenu(page, editor, where);
    const title = await focusEntry(page, titles, (text) => AI_FIX.test(text));
    await shot('ai-fix');
    await page.keyboard.press('Enter');
    await editor.locator('.view-line', { hasText: 'yaml.safe_load(stream)' }).waitFor();
    await editor.locator('.squiggly-error, .squiggly-warning').first().waitFor({ state: 'detached' });
    log(`applied "${title}"`);
    await page.keyboard.press('Control+S');
    const file = `${workspace}/${AI_FILE}`;
    await until(
        () => fs.readFileSync(file, 'utf8') === AI_EXPECTED,
        () => `${AI_FILE} on disk is not the AI fix's result:\n${fs.readFileSync(file, 'utf8')}`,
    );
    log(`saved: ${AI_FILE} now calls yaml.safe_load`);
    await shot('ai-fixed');
}
