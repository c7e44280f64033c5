// Code actions from the server, as VS Code's menus show them.
import * as vscode from 'vscode';

/** The command of the entry that stands for a disabled coderev code action in the Ctrl+. menu. */
export const EXPLAIN_DISABLED = 'coderev.explainDisabledAction';

type Actions = (vscode.Command | vscode.CodeAction)[] | null | undefined;

/**
 * VS Code lists disabled code actions only when a specific kind was asked for (a key binding of
 * `editor.action.codeAction` with a `kind`, the Refactor menu): the plain Quick Fix menu (Ctrl+.)
 * leaves them out, so the server's disabled "AI fix: the model is still loading" would never show
 * there. For that menu a disabled action becomes an entry that shows its reason when chosen;
 * everywhere else (the light bulb, requests for a kind) it stays disabled, as the server sent it.
 */
export function showDisabledInQuickFixMenu(actions: Actions, context: vscode.CodeActionContext): Actions {
    if (!actions || context.triggerKind !== vscode.CodeActionTriggerKind.Invoke || context.only !== undefined) {
        return actions;
    }
    return actions.map((action) => {
        if (!(action instanceof vscode.CodeAction) || action.disabled === undefined) {
            return action;
        }
        const reason = action.disabled.reason;
        action.disabled = undefined;
        action.command = { title: action.title, command: EXPLAIN_DISABLED, arguments: [reason] };
        return action;
    });
}

/** Shows the reason of a disabled action chosen from the Ctrl+. menu. */
export function explainDisabled(reason: unknown): void {
    void vscode.window.showInformationMessage(`coderev: ${typeof reason === 'string' ? reason : 'not available yet.'}`);
}
