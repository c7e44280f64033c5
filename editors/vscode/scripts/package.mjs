// Packages the extension for the platform its bundled server was built for (scripts/bundle-server.mjs
// writes the target into bundled/bundle.json): `vsce package --target <target>`, which names the
// file coderev-<target>-<version>.vsix and marks it for that platform only, as ruff-vscode ships
// one .vsix per platform. Prints the file, its size and what it holds.
//
//   node scripts/package.mjs
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const extension = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = JSON.parse(fs.readFileSync(path.join(extension, 'bundled', 'bundle.json'), 'utf8'));
const manifest = JSON.parse(fs.readFileSync(path.join(extension, 'package.json'), 'utf8'));
if (!bundle.target) {
    throw new Error('bundled/bundle.json has no target: run scripts/bundle-server.mjs first');
}
const file = path.join(extension, `${manifest.name}-${bundle.target}-${manifest.version}.vsix`);
const repository = 'https://github.com/coderev/coderev';
execFileSync(
    process.execPath,
    [
        path.join(extension, 'node_modules', '@vscode', 'vsce', 'vsce'),
        'package',
        '--target', bundle.target,
        '--out', file,
        // The bundled rule files hold fake credentials on purpose (the secret rules' examples).
        '--allow-package-all-secrets',
        '--baseContentUrl', `${repository}/blob/HEAD/editors/vscode`,
        '--baseImagesUrl', `${repository}/raw/HEAD/editors/vscode`,
    ],
    { cwd: extension, stdio: 'inherit' },
);
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
console.log(
    `${path.basename(file)}: ${mb(fs.statSync(file).size)}, target ${bundle.target}, Python ${bundle.python}, ` +
        (bundle.model_runtime ? 'with the model runtime (AI fixes and reviews)' : 'rules only (no model runtime)'),
);
