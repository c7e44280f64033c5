// How the language server is launched: an explicit command (`coderev.path`), the Python
// packages bundled in the extension (`useBundled`), or the environment's coderev
// (`fromEnvironment`).
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Executable } from 'vscode-languageclient/node';
import { ClientSettings } from './settings';

/** Written by scripts/bundle-server.mjs next to bundled/libs. */
interface BundleInfo {
    python: string; // "3.11": the compiled packages in bundled/libs need this Python version
    platform: string; // e.g. "linux-x86_64"
    coderev: string; // the bundled coderev version
    model_runtime?: boolean; // whether ctranslate2 and sentencepiece are in bundled/libs
}

export interface ServerLaunch {
    executable: Executable;
    /** One line for the log and the status item: what runs, and why. */
    description: string;
    /**
     * Why the model must stay off whatever the settings say (the bundled server was built
     * without the model runtime), or undefined when the server may use it.
     */
    modelUnavailable?: string;
}

export class LaunchError extends Error {}

function readBundle(extensionPath: string): BundleInfo | undefined {
    try {
        const text = fs.readFileSync(path.join(extensionPath, 'bundled', 'bundle.json'), 'utf8');
        return JSON.parse(text) as BundleInfo;
    } catch {
        return undefined;
    }
}

/** "3.11" for a Python interpreter, or undefined when it cannot be run. */
function pythonVersion(command: string[]): Promise<string | undefined> {
    return new Promise((resolve) => {
        const [file, ...args] = command;
        execFile(
            file,
            [...args, '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'],
            { timeout: 10000 },
            (error, stdout) => resolve(error ? undefined : stdout.trim()),
        );
    });
}

function onPath(name: string): string | undefined {
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
        if (!dir) {
            continue;
        }
        for (const candidate of process.platform === 'win32' ? [path.join(dir, `${name}.exe`)] : [path.join(dir, name)]) {
            try {
                fs.accessSync(candidate, fs.constants.X_OK);
                if (fs.statSync(candidate).isFile()) {
                    return candidate;
                }
            } catch {
                // not here
            }
        }
    }
    return undefined;
}

function baseEnv(settings: ClientSettings): NodeJS.ProcessEnv {
    return {
        ...process.env,
        PYTHONUNBUFFERED: '1',
        PYTHONDONTWRITEBYTECODE: '1',
        CODEREV_MODEL_ENABLED: settings.modelEnabled ? '1' : '0',
    };
}

function withServe(command: string[]): string[] {
    return command.length === 1 ? [command[0], 'serve'] : command;
}

export async function resolveServer(
    extensionPath: string,
    settings: ClientSettings,
    cwd: string | undefined,
): Promise<ServerLaunch> {
    const env = baseEnv(settings);
    if (settings.path.length > 0) {
        const [command, ...args] = withServe(settings.path);
        return {
            executable: { command, args, options: { cwd, env } },
            description: `coderev.path: ${[command, ...args].join(' ')}`,
        };
    }
    if (settings.importStrategy === 'fromEnvironment') {
        if (settings.interpreter.length > 0) {
            const [command, ...args] = settings.interpreter;
            return {
                executable: { command, args: [...args, '-P', '-m', 'coderev.server.lsp'], options: { cwd, env } },
                description: `environment: ${settings.interpreter.join(' ')} -m coderev.server.lsp`,
            };
        }
        const coderev = onPath('coderev');
        if (!coderev) {
            throw new LaunchError(
                'importStrategy is "fromEnvironment" but no `coderev` is on PATH; install it ' +
                    '(pip install coderev-lsp) or set coderev.interpreter or coderev.path.',
            );
        }
        return {
            executable: { command: coderev, args: ['serve'], options: { cwd, env } },
            description: `environment: ${coderev} serve`,
        };
    }
    const bundle = readBundle(extensionPath);
    if (!bundle) {
        throw new LaunchError(
            'this build of the extension has no bundled server (bundled/bundle.json is missing); ' +
                'set coderev.importStrategy to "fromEnvironment" or coderev.path.',
        );
    }
    const candidates: string[][] =
        settings.interpreter.length > 0
            ? [settings.interpreter]
            : [`python${bundle.python}`, 'python3', 'python'].flatMap((name) => {
                  const found = onPath(name);
                  return found ? [[found]] : [];
              });
    const tried: string[] = [];
    for (const candidate of candidates) {
        const version = await pythonVersion(candidate);
        tried.push(`${candidate.join(' ')} (${version ?? 'does not run'})`);
        if (version === bundle.python) {
            const [command, ...args] = candidate;
            const libs = path.join(extensionPath, 'bundled', 'libs');
            const pythonPath = [libs, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter);
            // A rules-only build (`CODEREV_BUNDLE_MODEL=0 make vsix`) cannot load a model:
            // start its server with the model off rather than let it try.
            const modelUnavailable =
                bundle.model_runtime === false ? 'this build of the extension has no model runtime' : undefined;
            if (modelUnavailable) {
                env.CODEREV_MODEL_ENABLED = '0';
            }
            return {
                modelUnavailable,
                executable: {
                    command,
                    // -P: do not put the working directory (the user's workspace, which may well
                    // hold a `server` package of its own) in front of the bundled packages.
                    args: [...args, '-P', '-m', 'coderev.server.lsp'],
                    options: { cwd, env: { ...env, PYTHONPATH: pythonPath, PYTHONNOUSERSITE: '1' } },
                },
                description: `bundled coderev ${bundle.coderev}: ${candidate.join(' ')} -m coderev.server.lsp`,
            };
        }
    }
    throw new LaunchError(
        `the bundled server needs Python ${bundle.python} (${bundle.platform}); ` +
            `found ${tried.length > 0 ? tried.join(', ') : 'no python3 on PATH'}. ` +
            `Install Python ${bundle.python}, set coderev.interpreter, or use importStrategy "fromEnvironment".`,
    );
}

export function workspaceCwd(): string | undefined {
    const folder = vscode.workspace.workspaceFolders?.[0];
    return folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined;
}
