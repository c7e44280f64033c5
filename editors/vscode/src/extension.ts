// Activation: the log and trace channels, the language client, the commands, and a restart
// whenever a coderev setting changes.
import * as vscode from 'vscode';
import {
    LanguageClient,
    LanguageClientOptions,
    RevealOutputChannelOn,
    State,
} from 'vscode-languageclient/node';
import { LaunchError, resolveServer, workspaceCwd } from './server';
import { affectsServer, getClientSettings, getServerSettings, NAMESPACE, pickServerSettings } from './settings';
import { LANGUAGES, ServerStatus, StatusItem } from './status';

const SERVER_NAME = 'coderev';
const STATUS_NOTIFICATION = 'coderev/status';

let client: LanguageClient | undefined;
let log: vscode.LogOutputChannel;
let trace: vscode.OutputChannel;
let status: StatusItem;
let restarting: Promise<void> = Promise.resolve();

export async function activate(context: vscode.ExtensionContext): Promise<void> {
    log = vscode.window.createOutputChannel(SERVER_NAME, { log: true });
    trace = vscode.window.createOutputChannel(`${SERVER_NAME} Trace`);
    status = new StatusItem();
    context.subscriptions.push(log, trace, status);
    log.info(`coderev extension ${context.extension.packageJSON.version} in ${vscode.env.appName} ${vscode.version}`);

    context.subscriptions.push(
        vscode.commands.registerCommand('coderev.restart', () => restart(context, 'the restart command')),
        vscode.commands.registerCommand('coderev.showStatus', () => {
            log.show(true);
            log.info(status.summary().replace(/\n/g, '; '));
            void vscode.window.showInformationMessage(status.summary());
        }),
    );

    let pending: NodeJS.Timeout | undefined;
    context.subscriptions.push(
        vscode.workspace.onDidChangeConfiguration((event) => {
            if (!affectsServer(event)) {
                return;
            }
            // The settings UI writes on every keystroke: restart once it has settled.
            if (pending) {
                clearTimeout(pending);
            }
            pending = setTimeout(() => void restart(context, 'a coderev setting changed'), 500);
        }),
        { dispose: () => pending && clearTimeout(pending) },
    );

    await restart(context, 'activation');
}

export async function deactivate(): Promise<void> {
    await stop();
}

function restart(context: vscode.ExtensionContext, reason: string): Promise<void> {
    // One at a time, in order; a failed restart does not block the next one.
    restarting = restarting.catch(() => undefined).then(async () => {
        log.info(`(re)starting the server: ${reason}`);
        await stop();
        await start(context);
    });
    return restarting;
}

async function stop(): Promise<void> {
    const running = client;
    client = undefined;
    if (!running) {
        return;
    }
    try {
        await running.stop(5000);
    } catch (error) {
        log.warn(`stopping the server: ${String(error)}`);
    }
    await running.dispose();
}

async function start(context: vscode.ExtensionContext): Promise<void> {
    const settings = getClientSettings();
    status.setState('starting');
    let launch;
    try {
        launch = await resolveServer(context.extensionPath, settings, workspaceCwd());
    } catch (error) {
        const message = error instanceof LaunchError ? error.message : String(error);
        log.error(`cannot start the server: ${message}`);
        status.setState('error', message);
        void vscode.window.showErrorMessage(`coderev: ${message}`, 'Show Log').then((choice) => {
            if (choice) {
                log.show();
            }
        });
        return;
    }
    log.info(`server: ${launch.description}`);
    status.setLaunch(launch.description, settings.modelEnabled);

    const clientOptions: LanguageClientOptions = {
        documentSelector: LANGUAGES.flatMap((language) => [
            { scheme: 'file', language },
            { scheme: 'untitled', language },
        ]),
        outputChannel: log,
        traceOutputChannel: trace,
        revealOutputChannelOn: RevealOutputChannelOn.Never,
        initializationOptions: getServerSettings(),
        middleware: {
            workspace: {
                // VS Code answers for the whole `coderev` section, client-only settings included;
                // the server knows only its own keys and reports any other one (SYS001).
                configuration: async (params, token, next) => {
                    const values = await next(params, token);
                    if (!Array.isArray(values)) {
                        return values;
                    }
                    return values.map((value, i) =>
                        params.items[i]?.section === NAMESPACE ? pickServerSettings(value) : value,
                    );
                },
            },
            executeCommand: async (command, args, next) => {
                // From the command palette (or a key binding) `coderev.dismiss` and `coderev.accept`
                // come without arguments: use the coderev finding under the cursor.
                if (args.length === 0 && (command === 'coderev.dismiss' || command === 'coderev.accept')) {
                    const payload = payloadAtCursor();
                    if (!payload) {
                        void vscode.window.showInformationMessage('coderev: no coderev finding at the cursor.');
                        return undefined;
                    }
                    args = [payload];
                }
                return next(command, args);
            },
        },
    };
    const next = new LanguageClient(SERVER_NAME, 'coderev', { run: launch.executable, debug: launch.executable }, clientOptions);
    next.onDidChangeState((event) => {
        if (event.newState === State.Running) {
            status.setState('running');
        } else if (event.newState === State.Starting) {
            status.setState('starting');
        } else if (client === next) {
            status.setState('stopped', 'the server stopped; run "coderev: Restart Server"');
        }
    });
    client = next;
    try {
        await next.start();
        next.onNotification(STATUS_NOTIFICATION, (params: ServerStatus) => status.setServerStatus(params));
        log.info('server started');
    } catch (error) {
        log.error(`the server failed to start: ${String(error)}`);
        status.setState('error', 'the server failed to start; see the coderev output');
    }
}

function payloadAtCursor(): Record<string, unknown> | undefined {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
        return undefined;
    }
    const position = editor.selection.active;
    const diagnostic = vscode.languages
        .getDiagnostics(editor.document.uri)
        .find((d) => d.source === SERVER_NAME && d.range.contains(position));
    // vscode-languageclient keeps the LSP `data` (fingerprint, rule id, fix) on its diagnostics.
    const data = (diagnostic as { data?: Record<string, unknown> } | undefined)?.data;
    if (!diagnostic || !data || !data.fingerprint) {
        return undefined;
    }
    return {
        uri: editor.document.uri.toString(),
        fingerprint: data.fingerprint,
        ruleId: data.ruleId ?? (typeof diagnostic.code === 'object' ? diagnostic.code.value : diagnostic.code),
        language: data.language ?? editor.document.languageId,
        line: diagnostic.range.start.line,
        fix: data.fix ?? null,
    };
}
