// Activation: the log and trace channels, the language client, the commands, and a restart
// whenever a coderev setting changes.
import * as vscode from 'vscode';
import {
    LanguageClient,
    LanguageClientOptions,
    RevealOutputChannelOn,
    State,
} from 'vscode-languageclient/node';
import { EXPLAIN_DISABLED, explainDisabled, showDisabledInQuickFixMenu } from './codeActions';
import { LaunchError, resolveServer, workspaceCwd } from './server';
import { affectsServer, getClientSettings, getServerSettings, NAMESPACE, pickServerSettings, userSet } from './settings';
import { LANGUAGES, StatusItem } from './status';

const SERVER_NAME = 'coderev';
/** The dependency files the server reads (coderev/analyzers/deps/files.py). */
const DEPENDENCY_FILES =
    '**/{*requirements*.txt,constraints*.txt,requirements/*.txt,pyproject.toml,poetry.lock,uv.lock,Pipfile.lock,' +
    'package-lock.json,npm-shrinkwrap.json,yarn.lock,pnpm-lock.yaml,go.mod,go.sum,pom.xml,gradle.lockfile,' +
    'buildscript-gradle.lockfile}';
/** The model engine's state: a notification on every change, and a request of the same name. */
const STATUS_METHOD = 'coderev/status';
const RESET_LEARNING = 'coderev.resetLearning';

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
        vscode.commands.registerCommand(EXPLAIN_DISABLED, explainDisabled),
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
    if (launch.modelUnavailable && settings.modelEnabled) {
        log.info(`model off: ${launch.modelUnavailable} (a rules-only build; \`make vsix\` includes the model runtime)`);
    }
    status.setLaunch(launch.description, settings.modelEnabled && !launch.modelUnavailable, launch.modelUnavailable);
    // What the server gets: its own keys, with the model off when this launch cannot run one.
    const forServer = (section: unknown, scopeUri?: string): Record<string, unknown> => {
        const values = pickServerSettings(section, userSet(scopeUri ? vscode.Uri.parse(scopeUri) : null));
        return launch.modelUnavailable ? { ...values, 'model.enabled': false } : values;
    };

    const clientOptions: LanguageClientOptions = {
        documentSelector: [
            ...LANGUAGES.flatMap((language) => [
                { scheme: 'file', language },
                { scheme: 'untitled', language },
            ]),
            // Manifests and lock files, whatever language VS Code gives them: the server checks
            // their dependencies against vulnerability advisories (docs/dependencies.md).
            { scheme: 'file', pattern: DEPENDENCY_FILES },
        ],
        outputChannel: log,
        traceOutputChannel: trace,
        revealOutputChannelOn: RevealOutputChannelOn.Never,
        initializationOptions: forServer(getServerSettings()),
        middleware: {
            provideCodeActions: async (document, range, context, token, next) =>
                showDisabledInQuickFixMenu(await next(document, range, context, token), context),
            workspace: {
                // VS Code answers for the whole `coderev` section, client-only settings included;
                // the server knows only its own keys and reports any other one (SYS001).
                configuration: async (params, token, next) => {
                    const values = await next(params, token);
                    if (!Array.isArray(values)) {
                        return values;
                    }
                    return values.map((value, i) =>
                        params.items[i]?.section === NAMESPACE ? forServer(value, params.items[i]?.scopeUri) : value,
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
                const result = await next(command, args);
                if (command === RESET_LEARNING) {
                    reportReset(result);
                }
                return result;
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
    // Registered before start: the server may report its first state right after `initialized`.
    next.onNotification(STATUS_METHOD, (params: unknown) => {
        if (client === next) {
            status.setServerStatus(params);
        }
    });
    client = next;
    try {
        await next.start();
        log.info('server started');
    } catch (error) {
        log.error(`the server failed to start: ${String(error)}`);
        status.setState('error', 'the server failed to start; see the coderev output');
        return;
    }
    // The state as of now (a notification sent before the handler was in place is not lost).
    try {
        const current = await next.sendRequest(STATUS_METHOD, {});
        if (client === next) {
            status.setServerStatus(current);
        }
    } catch (error) {
        log.debug(`${STATUS_METHOD} request: ${String(error)}`);
    }
}

/**
 * `coderev.resetLearning` is the server's command (vscode-languageclient registers it from the
 * server's executeCommandProvider, the palette entry is in package.json): say what it did.
 */
function reportReset(result: unknown): void {
    const roots = (result as { roots?: unknown } | null | undefined)?.roots;
    const where = typeof roots === 'number' ? ` in ${roots} workspace root${roots === 1 ? '' : 's'}` : '';
    log.info(`learned preferences reset${where}`);
    void vscode.window.showInformationMessage(`coderev: learned preferences reset${where}.`);
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
