// The language status item (the `{}` in the status bar next to the language mode): server
// state, what runs, and the active model slot once the server reports one.
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

/**
 * What the server may report in a `coderev/status` notification. The server does not send one
 * yet; when it does, `modelSlot` names the active model slot (e.g. "default int8 cpu").
 */
export interface ServerStatus {
    modelSlot?: string | null;
    message?: string;
}

export class StatusItem implements vscode.Disposable {
    private readonly item: vscode.LanguageStatusItem;
    private state: ServerState = 'starting';
    private launch = '';
    private error = '';
    private modelEnabled = true;
    private modelSlot: string | null | undefined;

    constructor() {
        this.item = vscode.languages.createLanguageStatusItem(
            'coderev.status',
            LANGUAGES.map((language) => ({ language })),
        );
        this.item.name = 'coderev';
        this.item.command = { title: 'Show Log', command: 'coderev.showStatus' };
        this.render();
    }

    setState(state: ServerState, error = ''): void {
        this.state = state;
        this.error = error;
        if (state !== 'running') {
            this.modelSlot = undefined;
        }
        this.render();
    }

    setLaunch(description: string, modelEnabled: boolean): void {
        this.launch = description;
        this.modelEnabled = modelEnabled;
        this.render();
    }

    setServerStatus(status: ServerStatus): void {
        if (status.modelSlot !== undefined) {
            this.modelSlot = status.modelSlot;
        }
        this.render();
    }

    summary(): string {
        const lines = [`coderev server: ${this.state}${this.error ? ` (${this.error})` : ''}`];
        if (this.launch) {
            lines.push(`launch: ${this.launch}`);
        }
        lines.push(`model: ${this.modelText()}`);
        return lines.join('\n');
    }

    private modelText(): string {
        if (!this.modelEnabled) {
            return 'off (coderev.model.enabled)';
        }
        if (this.modelSlot === undefined) {
            return 'not reported by the server';
        }
        return this.modelSlot ?? 'none';
    }

    private render(): void {
        const icons: Record<ServerState, string> = {
            starting: '$(loading~spin)',
            running: '$(shield)',
            stopped: '$(circle-slash)',
            error: '$(error)',
        };
        const slot = this.state === 'running' && this.modelEnabled && this.modelSlot ? ` · ${this.modelSlot}` : '';
        this.item.text = `${icons[this.state]} coderev ${this.state}${slot}`;
        this.item.busy = this.state === 'starting';
        this.item.severity =
            this.state === 'error'
                ? vscode.LanguageStatusSeverity.Error
                : this.state === 'stopped'
                  ? vscode.LanguageStatusSeverity.Warning
                  : vscode.LanguageStatusSeverity.Information;
        this.item.detail = this.error || this.launch;
    }

    dispose(): void {
        this.item.dispose();
    }
}
