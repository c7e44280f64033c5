// The language status item (the `{}` in the status bar next to the language mode): server
// state, what runs, and the model engine's state from the server's `coderev/status` report.
import * as vscode from 'vscode';

export const LANGUAGES: readonly string[] = [
    'python',
    'javascript',
    'javascriptreact',
    'typescript',
    'typescriptreact',
    'go',
    'java',
];

export type ServerState = 'starting' | 'running' | 'stopped' | 'error';

/** The model engine's modes, as the server reports them. */
export type ModelMode = 'disabled' | 'loading' | 'ready' | 'fallback';

const MODES: readonly string[] = ['disabled', 'loading', 'ready', 'fallback'];

/**
 * The payload of the server's `coderev/status` notification and request (coderev/server/lsp/model.py).
 * Every field may be missing: an older server sends less, and the item shows what it gets.
 */
export interface ServerStatus {
    mode?: ModelMode | string;
    /** "coderev-default 1.0.0 int8 cpu" when ready, else null. */
    modelSlot?: string | null;
    production?: string | null;
    experimental?: string | null;
    device?: string | null;
    computeType?: string | null;
    breaker?: string | null;
    error?: { code?: string; message?: string } | null;
    queueDepth?: number | null;
    languages?: string[] | null;
    workerPid?: number | null;
}

/** The fields of a status payload that are usable, from anything the server sent. */
export function normalizeStatus(raw: unknown): ServerStatus {
    if (raw === null || typeof raw !== 'object') {
        return {};
    }
    const source = raw as Record<string, unknown>;
    const text = (value: unknown): string | null | undefined =>
        typeof value === 'string' ? value : value === null ? null : undefined;
    const out: ServerStatus = {};
    if (typeof source.mode === 'string') {
        out.mode = source.mode;
    }
    out.modelSlot = text(source.modelSlot);
    out.production = text(source.production);
    out.experimental = text(source.experimental);
    out.device = text(source.device);
    out.computeType = text(source.computeType);
    out.breaker = text(source.breaker);
    if (source.error === null) {
        out.error = null;
    } else if (typeof source.error === 'object' && source.error !== undefined) {
        const error = source.error as Record<string, unknown>;
        out.error = {
            code: typeof error.code === 'string' ? error.code : undefined,
            message: typeof error.message === 'string' ? error.message : undefined,
        };
    }
    if (typeof source.queueDepth === 'number') {
        out.queueDepth = source.queueDepth;
    }
    if (Array.isArray(source.languages)) {
        out.languages = source.languages.filter((l): l is string => typeof l === 'string');
    }
    if (typeof source.workerPid === 'number') {
        out.workerPid = source.workerPid;
    }
    return out;
}

/** One short line for the model: "ready coderev-default 1.0.0 int8 cpu", "rules only (PRV005)". */
export function modelSummary(status: ServerStatus | undefined, modelEnabled = true, offReason?: string): string {
    if (!modelEnabled) {
        return `off (${offReason ?? 'coderev.model.enabled'})`;
    }
    if (status === undefined || status.mode === undefined) {
        return 'not reported by the server';
    }
    const code = status.error?.code;
    switch (status.mode) {
        case 'ready':
            return `ready ${status.modelSlot ?? status.production ?? ''}`.trim();
        case 'loading':
            return 'loading';
        case 'fallback':
            return `rules only (${code ?? 'model unavailable'})`;
        case 'disabled':
            return code ? `rules only (${code})` : 'rules only (model disabled)';
        default:
            return MODES.includes(status.mode) ? status.mode : `unknown state "${status.mode}"`;
    }
}

/**
 * At most `max` characters. The language status hover is as wide as its widest row and is
 * anchored near the window's right edge: a long text or detail was cut off there (with the
 * item's "Details" link), so the item stays short and Show Status has the rest.
 */
export function clip(text: string, max = 32): string {
    return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The slot of a ready model without its compute type and device: "coderev-default 1.0.0". */
export function slotName(status: ServerStatus): string {
    const slot = status.modelSlot ?? status.production ?? '';
    return slot.split(' ').slice(0, 2).join(' ');
}

/** The item's text (after "coderev") and detail for a running server: a few words each. */
export function modelLabel(status: ServerStatus | undefined, modelEnabled: boolean): { text: string; detail: string } {
    if (!modelEnabled) {
        return { text: ' · rules only', detail: 'model off' };
    }
    const code = status?.error?.code;
    switch (status?.mode) {
        case undefined:
            return { text: ' running', detail: '' };
        case 'ready':
            return { text: ' · model ready', detail: slotName(status) };
        case 'loading':
            return { text: ' · model loading', detail: '' };
        case 'fallback':
            return { text: ' · rules only', detail: code ?? 'model unavailable' };
        case 'disabled':
            return { text: ' · rules only', detail: code ?? 'model off' };
        default:
            return { text: ' running', detail: `model ${String(status?.mode)}` };
    }
}

export class StatusItem implements vscode.Disposable {
    private readonly item: vscode.LanguageStatusItem;
    private state: ServerState = 'starting';
    private launch = '';
    private error = '';
    private modelEnabled = true;
    private modelOffReason: string | undefined;
    private model: ServerStatus | undefined;

    constructor() {
        this.item = vscode.languages.createLanguageStatusItem(
            'coderev.status',
            LANGUAGES.map((language) => ({ language })),
        );
        this.item.name = 'coderev';
        // Everything the item leaves out: server state and launch, model slot, error message, device.
        this.item.command = { title: 'Details', command: 'coderev.showStatus', tooltip: 'coderev: Show Status' };
        this.render();
    }

    setState(state: ServerState, error = ''): void {
        this.state = state;
        this.error = error;
        if (state !== 'running') {
            this.model = undefined;
        }
        this.render();
    }

    /** How the server was started; `offReason` says why the model is off when the setting is on. */
    setLaunch(description: string, modelEnabled: boolean, offReason?: string): void {
        this.launch = description;
        this.modelEnabled = modelEnabled;
        this.modelOffReason = offReason;
        this.render();
    }

    /** A `coderev/status` payload (notification or request answer); malformed fields are ignored. */
    setServerStatus(raw: unknown): void {
        const status = normalizeStatus(raw);
        if (status.mode === undefined && status.modelSlot === undefined) {
            return; // nothing usable: keep what is shown
        }
        this.model = status;
        this.render();
    }

    /** The model's state as last reported, or undefined. */
    serverStatus(): ServerStatus | undefined {
        return this.model;
    }

    summary(): string {
        const lines = [`coderev server: ${this.state}${this.error ? ` (${this.error})` : ''}`];
        if (this.launch) {
            lines.push(`launch: ${this.launch}`);
        }
        lines.push(`model: ${modelSummary(this.model, this.modelEnabled, this.modelOffReason)}`);
        const model = this.model;
        if (this.modelEnabled && model) {
            if (model.error?.code || model.error?.message) {
                lines.push(`model error: ${[model.error.code, model.error.message].filter(Boolean).join(' ')}`);
            }
            const details = [
                model.device ? `device ${model.device}` : '',
                model.computeType ? `compute type ${model.computeType}` : '',
                model.breaker ? `breaker ${model.breaker}` : '',
                typeof model.queueDepth === 'number' ? `queue ${model.queueDepth}` : '',
                model.experimental ? `experimental ${model.experimental}` : '',
            ].filter(Boolean);
            if (details.length > 0) {
                lines.push(`model details: ${details.join(', ')}`);
            }
        }
        return lines.join('\n');
    }

    private render(): void {
        const icons: Record<ServerState, string> = {
            starting: '$(loading~spin)',
            running: '$(shield)',
            stopped: '$(circle-slash)',
            error: '$(error)',
        };
        const running = this.state === 'running';
        // Short (the hover was cut off at the window's edge): Details (Show Status) has the rest.
        const label = running
            ? modelLabel(this.model, this.modelEnabled)
            : { text: ` ${this.state}`, detail: this.state === 'error' ? 'see Details' : this.state === 'stopped' ? 'run Restart Server' : '' };
        this.item.text = `${icons[this.state]} coderev${clip(label.text)}`;
        this.item.detail = clip(label.detail);
        this.item.busy = this.state === 'starting' || (running && this.modelEnabled && this.model?.mode === 'loading');
        this.item.severity =
            this.state === 'error'
                ? vscode.LanguageStatusSeverity.Error
                : this.state === 'stopped' || (running && this.modelEnabled && this.model?.mode === 'fallback')
                  ? vscode.LanguageStatusSeverity.Warning
                  : vscode.LanguageStatusSeverity.Information;
        this.item.accessibilityInformation = { label: `coderev${label.text}${label.detail ? `, ${label.detail}` : ''}` };
    }

    dispose(): void {
        this.item.dispose();
    }
}
