// The extension's settings (namespace `coderev`): the client-only ones that decide how the
// server is started, and the server's own ones (docs/settings.md), which are forwarded to it.
import * as vscode from 'vscode';

export const NAMESPACE = 'coderev';

export type ImportStrategy = 'useBundled' | 'fromEnvironment';

/**
 * Settings the extension itself reads; changing one restarts the server. `modelEnabled`
 * (`coderev.model.enabled`) is also a server setting, forwarded like the others.
 */
export interface ClientSettings {
    path: string[];
    interpreter: string[];
    importStrategy: ImportStrategy;
    modelEnabled: boolean;
}

/**
 * The server's settings, as in coderev/server/lsp/settings.py (SCHEMA). Only these keys are sent to the
 * server: it reports any other key under `coderev` as an unknown setting (SYS001).
 */
export const SERVER_KEYS: readonly string[] = [
    'select',
    'ignore',
    'severity',
    'exclude',
    'honorForeignSuppressions',
    'maxFileSize',
    'ruleDirs',
    'fileBudgetSeconds',
    'runMode',
    'debounceMs',
    'workspaceScan',
    'scanConcurrency',
    'cacheDir',
    'learning.enabled',
    'learning.schedule',
    'learning.minPairs',
    'learning.idleMinutes',
    'learning.cpuBudgetSeconds',
    'learning.checkpointMinutes',
    'learning.method',
    'model.enabled',
    'model.storePath',
    'model.device',
    'model.computeType',
    'model.timeoutMs',
    'model.p95LatencyMs',
    'model.shadowSample',
    'model.healthIntervalS', // renamed: still forwarded (set only by the user), the server warns
    'engine.url',
    'engine.healthIntervalS',
    'ai.fixes',
    'ai.review',
    'ai.reviewPauseMs',
];

export function getClientSettings(scope?: vscode.ConfigurationScope): ClientSettings {
    const config = vscode.workspace.getConfiguration(NAMESPACE, scope);
    const strategy = config.get<string>('importStrategy', 'useBundled');
    return {
        path: config.get<string[]>('path', []).filter((part) => part.length > 0),
        interpreter: config.get<string[]>('interpreter', []).filter((part) => part.length > 0),
        importStrategy: strategy === 'fromEnvironment' ? 'fromEnvironment' : 'useBundled',
        modelEnabled: config.get<boolean>('model.enabled', true),
    };
}

/**
 * The value of a dotted key (`model.enabled`) in a settings object: VS Code answers for the
 * `coderev` section with nested objects (`{model: {enabled: true}}`), a plain object may also
 * hold the flat key itself.
 */
function lookup(source: Record<string, unknown>, key: string): unknown {
    if (source[key] !== undefined) {
        return source[key];
    }
    let node: unknown = source;
    for (const part of key.split('.')) {
        if (node === null || typeof node !== 'object') {
            return undefined;
        }
        node = (node as Record<string, unknown>)[part];
    }
    return node;
}

/**
 * Renamed keys (docs/settings.md, "Renamed settings"): sent only when the user set them. VS Code
 * gives a declared setting without a default its type's default (0 for an integer), so reading
 * the section alone would send the old name on every start and the server would warn (SYS012).
 */
const RENAMED_KEYS = new Set(['model.healthIntervalS']);

/** Whether the user set a key anywhere (user, workspace or folder settings) for ``scope``. */
export function userSet(scope?: vscode.ConfigurationScope | null): (key: string) => boolean {
    const config = vscode.workspace.getConfiguration(NAMESPACE, scope);
    return (key) => {
        const seen = config.inspect(key);
        return seen !== undefined &&
            [seen.globalValue, seen.workspaceValue, seen.workspaceFolderValue].some((v) => v !== undefined);
    };
}

/**
 * The server's keys from a `coderev` section (a WorkspaceConfiguration or a plain object), with
 * flat dotted keys (`model.enabled`), which the server accepts as they are in its schema; a
 * renamed key only where ``isSet`` says the user set it.
 */
export function pickServerSettings(
    section: unknown, isSet: (key: string) => boolean = () => true,
): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (section === null || typeof section !== 'object') {
        return out;
    }
    const source = section as Record<string, unknown>;
    for (const key of SERVER_KEYS) {
        if (RENAMED_KEYS.has(key) && !isSet(key)) {
            continue;
        }
        const value = lookup(source, key);
        if (value !== undefined) {
            out[key] = value;
        }
    }
    return out;
}

export function getServerSettings(scope?: vscode.ConfigurationScope): Record<string, unknown> {
    const config = vscode.workspace.getConfiguration(NAMESPACE, scope);
    const out: Record<string, unknown> = {};
    for (const key of SERVER_KEYS) {
        out[key] = config.get(key);
    }
    return pickServerSettings(out, userSet(scope));
}

/** Whether a configuration change concerns the server (every `coderev.*` setting but tracing). */
export function affectsServer(event: vscode.ConfigurationChangeEvent): boolean {
    if (!event.affectsConfiguration(NAMESPACE)) {
        return false;
    }
    // `model.enabled` is both: a server setting and the launcher's CODEREV_MODEL_ENABLED.
    const keys = ['path', 'interpreter', 'importStrategy', ...SERVER_KEYS];
    return keys.some((key) => event.affectsConfiguration(`${NAMESPACE}.${key}`));
}
