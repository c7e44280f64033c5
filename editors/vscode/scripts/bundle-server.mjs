// Bundles the Python server into the extension: a wheel of the repository's working tree plus
// its runtime dependencies, installed into bundled/libs with `pip install --target`.
//
//   node scripts/bundle-server.mjs [--python /path/to/python3.11] [--with-model]
//
// The model runtime (ctranslate2, sentencepiece and their numpy: about 200 MB unpacked) is left
// out unless --with-model (or CODEREV_BUNDLE_MODEL=1) is given: the language server does not load
// a model yet, and without it the .vsix is a few MB.
//
// The compiled dependencies (tree-sitter, PyYAML, watchfiles, ctranslate2, ...) are wheels for
// this machine's platform and this Python's version, so a .vsix is built per platform and needs
// that Python version at run time (bundled/bundle.json records both; the extension checks).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const extension = path.resolve(here, '..');
const repo = path.resolve(extension, '..', '..');
const argPython = process.argv.indexOf('--python');
const python =
    argPython > 0 ? process.argv[argPython + 1] : process.env.CODEREV_BUNDLE_PYTHON || path.join(repo, '.venv', 'bin', 'python');

function run(file, args, options = {}) {
    console.log(`$ ${file} ${args.join(' ')}`);
    return execFileSync(file, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...options });
}

const withModel = process.argv.includes('--with-model') || process.env.CODEREV_BUNDLE_MODEL === '1';
const MODEL_RUNTIME = ['ctranslate2', 'sentencepiece'];

const bundled = path.join(extension, 'bundled');
fs.rmSync(bundled, { recursive: true, force: true });
fs.mkdirSync(bundled, { recursive: true });

// Build the wheel from a copy of the files git knows (tracked and untracked, not ignored), so
// stale build/ output and local caches never end up in the extension.
const source = fs.mkdtempSync(path.join(os.tmpdir(), 'coderev-bundle-'));
try {
    const files = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo })
        .split('\0')
        .filter((f) => f && !f.startsWith('editors/') && fs.existsSync(path.join(repo, f)));
    for (const file of files) {
        fs.mkdirSync(path.dirname(path.join(source, file)), { recursive: true });
        fs.copyFileSync(path.join(repo, file), path.join(source, file));
    }
    const wheels = path.join(source, 'wheels');
    run(python, ['-m', 'pip', 'wheel', '--quiet', '--no-deps', '--no-build-isolation', '-w', wheels, source]);
    const wheel = fs.readdirSync(wheels).find((f) => f.endsWith('.whl'));
    if (!wheel) {
        throw new Error('pip wheel produced no wheel');
    }
    const requirements = JSON.parse(
        run(python, ['-c', 'import json, tomllib; print(json.dumps(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))'], {
            cwd: source,
        }),
    ).filter((req) => withModel || !MODEL_RUNTIME.some((name) => req.toLowerCase().startsWith(name)));
    const pip = ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-compile', '--target', path.join(bundled, 'libs')];
    run(python, [...pip, '--only-binary=:all:', ...requirements]);
    run(python, [...pip, '--no-deps', '--upgrade', path.join(wheels, wheel)]);
} finally {
    fs.rmSync(source, { recursive: true, force: true });
}

// Console scripts carry this machine's interpreter path: useless in the extension.
fs.rmSync(path.join(bundled, 'libs', 'bin'), { recursive: true, force: true });
const info = JSON.parse(
    run(python, [
        '-c',
        'import json, sys, sysconfig, importlib.metadata as m; ' +
            'print(json.dumps({"python": "%d.%d" % sys.version_info[:2], ' +
            '"platform": sysconfig.get_platform(), "coderev": m.version("coderev-lsp"), ' +
            `"model_runtime": ${withModel ? 'True' : 'False'}}))`,
    ], { env: { ...process.env, PYTHONPATH: path.join(bundled, 'libs') } }),
);
fs.writeFileSync(path.join(bundled, 'bundle.json'), JSON.stringify(info, null, 2) + '\n');
console.log(
    `bundled coderev ${info.coderev} for Python ${info.python} on ${info.platform}` +
        (withModel ? ' with the model runtime' : ' without the model runtime'),
);
