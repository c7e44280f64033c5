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
 * The server's keys from a `coderev` section (a WorkspaceConfiguration or a plain object), with
 * flat dotted keys (`model.enabled`), which the server accepts as they are in its schema.
 */
export function pickServerSettings(section: unknown): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (section === null || typeof section !== 'object') {
        return out;
    }
    const source = section as Record<string, unknown>;
    for (const key of SERVER_KEYS) {
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
    return pickServerSettings(out);
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
