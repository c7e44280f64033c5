// Bundles the Python server into the extension: a wheel of the repository's working tree plus
// its runtime dependencies, model runtime included, installed into bundled/libs with
// `pip install --target`.
//
//   node scripts/bundle-server.mjs [--python /path/to/python3.11] [--without-model]
//
// The model runtime (ctranslate2, sentencepiece and their numpy: about 200 MB unpacked) is what
// AI fixes and reviews run on; --without-model (or CODEREV_BUNDLE_MODEL=0) leaves it out for a
// rules-only extension of a few MB, whose server always starts with the model off.
//
// The compiled dependencies (tree-sitter, PyYAML, watchfiles, ctranslate2, ...) are wheels for
// this machine's platform and this Python's version, so a .vsix is built per platform (as
// ruff-vscode does: `vsce package --target <target>`) and needs that Python version at run time.
// bundled/bundle.json records the Python version, the platform and the VS Code target derived
// from it (linux-x64, linux-arm64, alpine-x64, darwin-x64, darwin-arm64, win32-x64, win32-arm64),
// which scripts/package.mjs passes to vsce; the extension checks the Python version.
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

const withModel = !process.argv.includes('--without-model') && process.env.CODEREV_BUNDLE_MODEL !== '0';
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

// Console scripts carry this machine's interpreter path: useless in the extension. numpy's own
// test suites (about 15 MB) are never imported.
const libs = path.join(bundled, 'libs');
fs.rmSync(path.join(libs, 'bin'), { recursive: true, force: true });
for (const entry of fs.existsSync(path.join(libs, 'numpy')) ? fs.readdirSync(path.join(libs, 'numpy'), { recursive: true }) : []) {
    if (path.basename(entry) === 'tests') {
        fs.rmSync(path.join(libs, 'numpy', entry), { recursive: true, force: true });
    }
}

/** The `vsce package --target` of a Python platform: the wheels in bundled/libs run only there. */
function vsceTarget({ platform, machine, musl }) {
    const arch = { x86_64: 'x64', amd64: 'x64', aarch64: 'arm64', arm64: 'arm64', armv7l: 'armhf' }[machine.toLowerCase()];
    const system = platform.startsWith('linux')
        ? musl ? 'alpine' : 'linux'
        : platform.startsWith('macosx') ? 'darwin' : platform.startsWith('win') ? 'win32' : undefined;
    if (!arch || !system) {
        throw new Error(`no VS Code target for the Python platform ${platform} (${machine})`);
    }
    return `${system}-${arch}`;
}

const info = JSON.parse(
    run(python, [
        '-c',
        'import json, platform, sys, sysconfig, importlib.metadata as m; ' +
            'print(json.dumps({"python": "%d.%d" % sys.version_info[:2], ' +
            '"platform": sysconfig.get_platform(), "machine": platform.machine(), ' +
            '"musl": sys.platform == "linux" and platform.libc_ver()[0] != "glibc", ' +
            '"coderev": m.version("coderev-lsp"), ' +
            `"model_runtime": ${withModel ? 'True' : 'False'}}))`,
    ], { env: { ...process.env, PYTHONPATH: libs } }),
);
info.target = process.env.CODEREV_VSCE_TARGET || vsceTarget(info);
if (withModel) {
    // The runtime must import from the bundle with this Python, or the .vsix would ship a model
    // it cannot run (a wheel for another platform, a missing shared library).
    const check = `import sys; sys.path.insert(0, ${JSON.stringify(libs)}); import ctranslate2, sentencepiece; ` +
        'print("model runtime: ctranslate2", ctranslate2.__version__, "sentencepiece", sentencepiece.__version__)';
    console.log(run(python, ['-I', '-c', check]).trim());
}
fs.writeFileSync(path.join(bundled, 'bundle.json'), JSON.stringify(info, null, 2) + '\n');
console.log(
    `bundled coderev ${info.coderev} for Python ${info.python} on ${info.platform} (target ${info.target})` +
        (withModel ? ' with the model runtime' : ' without the model runtime'),
);
