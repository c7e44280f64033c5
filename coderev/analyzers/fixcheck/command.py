"""Command fixes: ``subprocess.run("ls -l", shell=True)`` -> ``subprocess.run(["ls", "-l"])``.

Verified when the argument list is exactly what the shell would have split the literal into, the
literal used nothing only a shell gives (pipes, redirection, globbing, variables, ``;``, ``&&``,
quotes a shell would interpret, builtins), the shell is off, and every other argument is kept.
"""

from __future__ import annotations

import shlex

from coderev.analyzers.finding import Verification, failed
from coderev.analyzers.fixcheck.common import Change, Node, arguments, keyword, same_tokens, text
from coderev.analyzers.fixes import SHELL_BUILTINS, SHELL_META, SHELL_SCRIPT
from coderev.analyzers.literals import string_value


def _split(args: list[Node]) -> tuple[Node | None, Node | None, list[Node]]:
    """(command argument, shell= argument, the rest)."""
    command = args[0] if args and keyword(args[0]) is None else None
    shell = next((a for a in args if keyword(a) == "shell"), None)
    rest = [a for a in args if a is not command and a is not shell]
    return command, shell, rest


def check_command(change: Change) -> Verification:
    before, after = change.before, change.after
    if before.type != "call" or after.type != "call":
        return failed("no check for this command form")
    function_a, function_b = before.child_by_field_name("function"), after.child_by_field_name("function")
    if function_a is None or function_b is None or text(function_a) != text(function_b):
        return failed("the fix calls a different function")
    command_a, shell_a, rest_a = _split(arguments(before))
    command_b, shell_b, rest_b = _split(arguments(after))
    if command_a is None or command_b is None:
        return failed("the command is not the first argument")
    literal = string_value(command_a)
    if literal is None:
        return failed("the original command is not a plain string literal")
    if SHELL_META.search(literal):
        return failed("the command needs a shell (pipes, redirection, globbing, variables or quoting)")
    words = shlex.split(literal)
    if not words or words[0] in SHELL_BUILTINS:
        return failed("the command is a shell builtin or keyword")
    if SHELL_SCRIPT.search(words[0]):
        return failed("the command is a shell script, which may need the shell to run")
    if any(keyword(a) == "executable" for a in arguments(after)):
        return failed("an executable= argument still names the program to run")
    if command_b.type != "list":
        return failed("the new command is not an argument list")
    argv = [string_value(e) for e in command_b.named_children if e.type != "comment"]
    if argv != words:
        return failed("the argument list differs from the shell's split of the command")
    if shell_a is None or text(shell_a.child_by_field_name("value") or shell_a) != "True":
        return failed("the original call did not turn the shell on")
    if shell_b is not None and text(shell_b.child_by_field_name("value") or shell_b) != "False":
        return failed("the shell is still on")
    if len(rest_a) != len(rest_b) or not all(same_tokens(x, y) for x, y in zip(rest_a, rest_b, strict=True)):
        return failed("the fix changes other arguments")
    return Verification(True, (f"argv {argv!r} is the shell's split of the literal", "no shell",
                               "every other argument kept"))
