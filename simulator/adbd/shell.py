"""A small POSIX-sh subset that answers the commands the readers send, from the phone model.

What adbd's ``shell:`` service gives a client is ``/system/bin/sh -c COMMAND`` with stdout and
stderr merged and no exit status, so readers batch commands and add exit-status sentinels
(``pm list users; echo __rc=$?``). Supported, exactly:

* lists: commands separated by ``;``, newlines, ``&&`` and ``||`` (left to right, equal
  precedence, as sh); ``#`` comments at the start of a word;
* words: unquoted, ``'single'`` (literal), ``"double"`` (``\\``, ``"``, ``$`` escapes and
  expansion), backslash escapes; expansion of ``$?`` / ``${?}`` only (any other ``$NAME`` is
  empty, as an unset variable);
* redirections ``2>&1``, ``1>&2``, ``>/dev/null``, ``2>/dev/null`` (other targets: the file
  system is read-only, as ``/`` is on a phone);
* commands: ``echo [-n]``, ``true``, ``false``, ``exit [N]``, ``id``, ``getprop [NAME
  [DEFAULT]]``, ``pm list users``, ``pm list packages [--user N] [-3|-s|-e|-d|-u] [FILTER]``,
  ``dumpsys device_policy``, ``dumpsys activity [--user N] service COMPONENT ARGS...`` (TestDPC's
  ``get-app-restrictions``), ``cat FILE...``, ``ls [PATH...]``, ``abx2xml FILE -``, and on rooted models
  ``su [0|root] COMMAND...`` / ``su [0|root] -c SCRIPT``.

Anything else — pipes, subshells, variables, globbing — answers as sh does for a missing
command or a syntax error, so a reader relying on it fails visibly rather than quietly.
"""

from __future__ import annotations

import errno as errnos
from collections.abc import Callable
from dataclasses import dataclass, field

from simulator.abx import MAGIC as ABX_MAGIC
from simulator.adbd import outputs
from simulator.adbd.phone import SHELL_REFUSED_MESSAGE, FileAccessError, Phone
from simulator.errors import AttestlabError

SH = "/system/bin/sh"


class ShellSyntaxError(AttestlabError):
    pass


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------

_OPERATORS = ("&&", "||", ";", "\n")


@dataclass(slots=True)
class Word:
    """A word as parts: literal text, or ``None`` for a ``$?`` expansion."""

    parts: list[str | None] = field(default_factory=list)

    def expand(self, status: int) -> str:
        return "".join(str(status) if part is None else part for part in self.parts)


@dataclass(slots=True)
class Command:
    words: list[Word] = field(default_factory=list)
    #: (fd, target) in order: target is "&1", "&2" or "/dev/null".
    redirections: list[tuple[int, str]] = field(default_factory=list)


def tokenize(script: str) -> list[Command | str]:
    """Commands and the operators between them."""
    items: list[Command | str] = []
    command = Command()
    word: Word | None = None
    i, n = 0, len(script)

    def literal(text: str) -> None:
        nonlocal word
        if word is None:
            word = Word()
        word.parts.append(text)

    def end_word() -> None:
        nonlocal word
        if word is not None:
            command.words.append(word)
            word = None

    def end_command(op: str) -> None:
        nonlocal command
        end_word()
        if command.words or command.redirections:
            items.append(command)
        elif op in ("&&", "||"):
            raise ShellSyntaxError(f"syntax error: '{op}' unexpected")
        items.append(op)
        command = Command()

    while i < n:
        c = script[i]
        if c in " \t":
            end_word()
            i += 1
        elif c == "#" and word is None:
            while i < n and script[i] != "\n":
                i += 1
        elif script.startswith(("&&", "||"), i):
            end_command(script[i : i + 2])
            i += 2
        elif c in ";\n":
            end_command(c)
            i += 1
        elif c in "|&()<`":
            raise ShellSyntaxError(f"'{c}' is not supported by the virtual phone's shell")
        elif c == ">" or (c in "12" and script.startswith(">", i + 1) and word is None):
            fd = int(c) if c in "12" else 1
            i += 2 if c in "12" else 1
            if script.startswith(("&1", "&2"), i):
                target, i = script[i : i + 2], i + 2
            else:
                while i < n and script[i] in " \t":
                    i += 1
                start = i
                while i < n and script[i] not in " \t;\n&|<>()":
                    i += 1
                target = script[start:i]
            if target not in ("&1", "&2", "/dev/null"):
                raise ShellSyntaxError(f"can't create {target or 'newline'}: Read-only file system")
            command.redirections.append((fd, target))
        elif c == "\\":
            if i + 1 < n and script[i + 1] != "\n":
                literal(script[i + 1])
            i += 2
        elif c == "'":
            end = script.find("'", i + 1)
            if end < 0:
                raise ShellSyntaxError("syntax error: unterminated quoted string")
            literal(script[i + 1 : end])
            i = end + 1
        elif c == '"':
            i += 1
            if word is None:
                word = Word()
            while True:
                if i >= n:
                    raise ShellSyntaxError("syntax error: unterminated quoted string")
                d = script[i]
                if d == '"':
                    i += 1
                    break
                if d == "\\" and i + 1 < n and script[i + 1] in '\\"$`\n':
                    literal(script[i + 1])
                    i += 2
                elif d == "$":
                    i = _dollar(script, i, word)
                else:
                    literal(d)
                    i += 1
        elif c == "$":
            if word is None:
                word = Word()
            i = _dollar(script, i, word)
        else:
            literal(c)
            i += 1
    end_word()
    if command.words or command.redirections:
        items.append(command)
    return items


def _dollar(script: str, i: int, word: Word) -> int:
    """Expand at ``script[i] == '$'``; returns the index after the expansion."""
    if script.startswith("$?", i):
        word.parts.append(None)
        return i + 2
    if script.startswith("${?}", i):
        word.parts.append(None)
        return i + 4
    j = i + 1
    if script.startswith("{", j):
        end = script.find("}", j)
        return end + 1 if end > 0 else len(script)
    while j < len(script) and (script[j].isalnum() or script[j] == "_"):
        j += 1
    if j == i + 1:
        word.parts.append("$")
    return j  # an unset variable: empty


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------


class _Exit(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


@dataclass(slots=True)
class _Output:
    """Merged stdout+stderr in order, with per-command redirection."""

    chunks: list[bytes] = field(default_factory=list)
    targets: dict[int, str] = field(default_factory=lambda: {1: "out", 2: "out"})

    def write(self, fd: int, text: str | bytes) -> None:
        if self.targets.get(fd, "out") == "out":
            self.chunks.append(text.encode("utf-8") if isinstance(text, str) else text)


Builtin = Callable[["Shell", list[str], _Output], int]


class Shell:
    """One ``sh -c`` run on the phone; ``as_root`` is the uid it runs as (0 or shell's 2000)."""

    def __init__(self, phone: Phone, *, as_root: bool | None = None) -> None:
        self.phone = phone
        self.as_root = phone.adbd_is_root if as_root is None else as_root
        self.status = 0

    def run(self, script: str) -> bytes:
        out = _Output()
        self.run_into(script, out)
        return b"".join(out.chunks)

    def run_into(self, script: str, out: _Output) -> int:
        try:
            items = tokenize(script)
        except ShellSyntaxError as exc:
            out.write(2, f"{SH}: {exc}\n")
            self.status = 2
            return self.status
        skip = False
        try:
            for item in items:
                if isinstance(item, str):
                    if item == "&&":
                        skip = self.status != 0
                    elif item == "||":
                        skip = self.status == 0
                    else:
                        skip = False
                    continue
                if skip:
                    continue
                self.status = self.execute(item, out)
        except _Exit as done:
            self.status = done.status
        return self.status

    def execute(self, command: Command, out: _Output) -> int:
        args = [word.expand(self.status) for word in command.words]
        saved = dict(out.targets)
        for fd, target in command.redirections:
            if target == "/dev/null":
                out.targets[fd] = "null"
            else:
                out.targets[fd] = out.targets[int(target[1])]
        try:
            if not args:
                return 0
            builtin = _COMMANDS.get(args[0])
            if builtin is None or (args[0] == "su" and not self.phone.has_su):
                out.write(2, f"{SH}: {args[0]}: inaccessible or not found\n")
                return 127
            return builtin(self, args[1:], out)
        finally:
            out.targets = saved


# -- commands ---------------------------------------------------------------------------------


def _echo(shell: Shell, args: list[str], out: _Output) -> int:
    newline = True
    if args[:1] == ["-n"]:
        newline, args = False, args[1:]
    out.write(1, " ".join(args) + ("\n" if newline else ""))
    return 0


def _exit(shell: Shell, args: list[str], out: _Output) -> int:
    raise _Exit(int(args[0]) & 0xFF if args and args[0].isdigit() else shell.status)


def _id(shell: Shell, args: list[str], out: _Output) -> int:
    if shell.as_root:
        out.write(1, "uid=0(root) gid=0(root) groups=0(root) context=u:r:su:s0\n")
    else:
        out.write(1, "uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log) context=u:r:shell:s0\n")
    return 0


def _getprop(shell: Shell, args: list[str], out: _Output) -> int:
    props = shell.phone.properties()
    if not args:
        out.write(1, outputs.getprop(props))
    else:
        out.write(1, props.get(args[0], args[1] if len(args) > 1 else "") + "\n")
    return 0


def _user_option(args: list[str], out: _Output, tool: str) -> tuple[int, list[str]] | None:
    """Take ``--user N`` out of ``args``; None (after an error line) when N is not a number."""
    rest: list[str] = []
    user = 0
    i = 0
    while i < len(args):
        if args[i] == "--user":
            value = args[i + 1] if i + 1 < len(args) else ""
            if not value.isdigit():
                out.write(2, f"Error: {tool}: bad user id {value!r}\n")
                return None
            user = int(value)
            i += 2
        else:
            rest.append(args[i])
            i += 1
    return user, rest


def _pm(shell: Shell, args: list[str], out: _Output) -> int:
    device = shell.phone.device
    if args[:2] == ["list", "users"]:
        out.write(1, outputs.users(device))
        return 0
    if args[:2] == ["list", "packages"]:
        parsed = _user_option(args[2:], out, "pm")
        if parsed is None:
            return 255
        user_id, rest = parsed
        options = [a for a in rest if a.startswith("-")]
        unknown = [a for a in options if a not in ("-3", "-s", "-e", "-d", "-u")]
        if unknown:
            out.write(2, f"Error: Unknown option: {unknown[0]}\n")
            return 255
        filters = [a for a in rest if not a.startswith("-")]
        if shell.phone.shell_refused(user_id, as_root=shell.as_root):
            out.write(2, f"Error: java.lang.SecurityException: {SHELL_REFUSED_MESSAGE.format(user=user_id)}\n")
            return 0
        user = device.users.get(user_id)
        if user is not None:
            owner = user.profile_owner or (device.device_owner if user_id == 0 else None)
            out.write(1, outputs.packages(user, filters[0] if filters else None, owner=owner))
        return 0
    out.write(2, f"Unknown command: {args[0] if args else ''}\n" if args else "usage: pm [subcommand] [options]\n")
    return 255


def _dumpsys(shell: Shell, args: list[str], out: _Output) -> int:
    if args == ["device_policy"]:
        out.write(1, outputs.device_policy(shell.phone.device))
        return 0
    if args[:1] == ["activity"]:
        parsed = _user_option(args[1:], out, "dumpsys")
        if parsed is None:
            return 0
        user_id, rest = parsed
        if rest[:1] == ["service"] and len(rest) >= 2:
            return _activity_service(shell, user_id, rest[1], rest[2:], out)
        out.write(2, "attestlab virtual phone: only 'dumpsys activity service' is answered\n")
        return 0
    out.write(2, f"Can't find service: {args[0] if args else ''}\n")
    return 0


def _activity_service(shell: Shell, user_id: int, name: str, args: list[str], out: _Output) -> int:
    """``dumpsys activity --user N service NAME ARGS``: only TestDPC's bound admin service runs."""
    device = shell.phone.device
    user = device.users.get(user_id)
    owner = None if user is None else user.profile_owner or (device.device_owner if user_id == 0 else None)
    full = outputs.TESTDPC_SERVICE.replace("/.", f"/{outputs.TESTDPC}.")
    if (
        user is None
        or user.paused
        or not user.running
        or owner is None
        or owner.split("/", 1)[0] != outputs.TESTDPC
        or not (name in full or name == outputs.TESTDPC_SERVICE)
    ):
        out.write(1, f"No services match: {name}\nUse -h for help.\n")
        return 0
    lines: list[str] = []
    if args[:1] == ["get-app-restrictions"] and len(args) > 1:
        if len(args) == 2:
            lines = outputs.testdpc_restrictions(
                outputs.TESTDPC, "UserManager", device.restrictions_for(user_id, outputs.TESTDPC)
            )
        else:
            for package in args[1:]:
                lines += outputs.testdpc_restrictions(
                    package, "DevicePolicyManager", device.restrictions_for(user_id, package)
                )
    else:
        lines = ["attestlab virtual phone: this TestDPC answers only get-app-restrictions"]
    out.write(1, outputs.dumpsys_service(outputs.TESTDPC_SERVICE, user_id, 5000 + user_id, lines))
    return 0


def _cat(shell: Shell, args: list[str], out: _Output) -> int:
    status = 0
    for path in args:
        try:
            data = shell.phone.read(path, as_root=shell.as_root)
        except FileAccessError as exc:
            out.write(2, f"cat: {path}: {exc.strerror}\n")
            status = 1
            continue
        out.write(1, data)
    return status


def _ls(shell: Shell, args: list[str], out: _Output) -> int:
    """toybox ``ls`` writing to a pipe: one name per line, sorted; ``-1``/``-a`` accepted."""
    paths = [a for a in args if not a.startswith("-")] or ["/"]
    status = 0
    for path in paths:
        try:
            entries = shell.phone.list(path, as_root=shell.as_root)
        except FileAccessError as exc:
            if exc.errno == errnos.ENOTDIR:
                out.write(1, path + "\n")
                continue
            out.write(2, f"ls: {path}: {exc.strerror}\n")
            status = 1
            continue
        if len(paths) > 1:
            out.write(1, f"{path}:\n")
        out.write(1, "".join(f"{name}\n" for name in sorted(entries)))
    return status


def _abx2xml(shell: Shell, args: list[str], out: _Output) -> int:
    """``abx2xml INPUT OUTPUT`` (``com.android.commands.abx.Abx``), here with OUTPUT ``-`` only."""
    if len(args) != 2 or args[1] != "-":
        out.write(2, "usage: abx2xml [-i] input [output]\n")
        return 1
    path = args[0]
    try:
        data = shell.phone.read(path, as_root=shell.as_root)
    except FileAccessError as exc:
        code = errnos.errorcode[exc.errno]
        out.write(
            2,
            f'Exception in thread "main" java.io.FileNotFoundException: {path}: open failed: {code} ({exc.strerror})\n',
        )
        return 1
    if not data.startswith(ABX_MAGIC):
        out.write(2, f'Exception in thread "main" java.io.IOException: {path}: not Android Binary XML\n')
        return 1
    out.write(1, shell.phone.as_text_xml(path))
    return 0


def _su(shell: Shell, args: list[str], out: _Output) -> int:
    """``su [0|root] COMMAND...`` (AOSP ``su``) and ``su [0|root] -c SCRIPT`` (Magisk)."""
    if args[:1] in (["0"], ["root"]):
        args = args[1:]
    root = Shell(shell.phone, as_root=True)
    if args[:1] == ["-c"]:
        return root.run_into(" ".join(args[1:2]), out)
    if not args:
        out.write(2, "su: the virtual phone has no interactive su\n")
        return 1
    return root.run_into(" ".join(_quote(a) for a in args), out)


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"


_COMMANDS: dict[str, Builtin] = {
    "echo": _echo,
    "true": lambda shell, args, out: 0,
    "false": lambda shell, args, out: 1,
    "exit": _exit,
    "id": _id,
    "getprop": _getprop,
    "pm": _pm,
    "dumpsys": _dumpsys,
    "cat": _cat,
    "ls": _ls,
    "abx2xml": _abx2xml,
    "su": _su,
}
