"""Parsers for the text that Android shell commands print, producing :mod:`simulator.device` parts.

A live device (``adb``) and a capture replay the same bytes, so both go through these functions.
Every parser takes the raw output and the ``name`` of the command or file it came from (used in
error messages), bounds the input size, accepts CRLF line endings (``adb`` on Windows, or a pty
that turns ``\\n`` into ``\\r\\n``), rejects a shell error (``/system/bin/sh: pm: not found``)
and raises :class:`harness.errors.ParseError` — one line, naming ``name`` and the line number,
never a value — on anything it does not recognise: a source that cannot tell must say so rather
than report an empty device.

Formats, from the code that prints them:

* ``getprop``: ``[name]: [value]`` per property (``system/core/toolbox/getprop.cpp``); a value
  holding newlines (``persist.sys.boot.reason.history``) continues on the next lines up to ``]``.
* ``pm list users``: ``Users:`` then ``"\\t" + UserInfo.toString() + (" running" | "")`` per user,
  from ``PackageManagerShellCommand.runListUsers`` and, since Android 12, the non-verbose branch
  of ``UserManagerServiceShellCommand.runList`` (which keeps the string unchanged because
  Tradefed parses it; the user type is only printed by ``cmd user list -v``, another format).
  ``UserInfo.toString()`` is ``"UserInfo{" + id + ":" + name + ":" +
  Integer.toHexString(flags) + "}"`` in every AOSP release since users appeared (4.2): the flags
  are always hexadecimal (a paused work profile: ``FLAG_QUIET_MODE`` 0x80, e.g. ``10b0``).
* A ``pm`` command for a user with the ``no_debugging_features`` restriction: the
  ``java.lang.SecurityException: Shell does not have permission to access user N`` that
  ``UserController.handleIncomingUser`` throws, printed by ``BasicShellCommandHandler.exec`` after
  ``Exception occurred while executing '...':`` (exit 255), or as one ``Error: ...`` line
  (:func:`shell_refusal`).
* ``pm list packages``: ``"package:" + [sourceDir + "="] + packageName`` followed by the
  optional columns `` versionCode:N`` (``--show-versioncode``), ``  installer=P`` (``-i``) and
  `` uid:N`` (``-U``) (``PackageManagerShellCommand.runListPackages``).
* ``dumpsys device_policy``: ``DevicePolicyManagerService.dump`` prints
  ``Current Device Policy Manager state:`` and, indented under it, ``Owners.dump`` (Android
  10-12) / ``OwnersData.dump`` (13+): ``Device Owner: `` then ``admin=``, ``name=``,
  ``package=``, ``canAccessDeviceIds=`` (10) or ``isOrganizationOwnedDevice=`` (11+) and
  ``User ID: N``; ``Profile Owner (User N): `` then the same fields without ``User ID``. Android
  15 drops ``name=``. ``admin=`` is ``ComponentName.toString()``: ``ComponentInfo{pkg/cls}``.
* TestDPC ``get-app-restrictions``: ``ShellCommand.printAppRestrictions`` (googlesamples/
  android-testdpc) prints ``"%d app restriction%s%s for %s"`` — count, plural ``s``, source,
  package, with no space before the source — then ``"  %s = %s"`` per key, or ``"No app
  restrictions (from %s) for %s"``. The source is ``DevicePolicyManager`` for each package asked
  when two or more are given; with exactly one, TestDPC prints its *own* restrictions with source
  ``UserManager``. Through ``dumpsys activity service`` the output is wrapped by
  ``ActiveServices.dumpService``: a ``SERVICE <component> <hash> pid=...`` line, ``  Client:``
  and the service's lines prefixed with four spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from harness.errors import ParseError
from simulator.appconfig import AppConfig
from simulator.device import FLAG_MANAGED_PROFILE, AndroidUser, ProfileKind

#: Largest output accepted, in characters (a full ``dumpsys device_policy`` is tens of kilobytes).
MAX_OUTPUT_CHARS = 8 * 1024 * 1024

_SHELL_ERROR = re.compile(r"(?:/system/bin/sh|/bin/sh|sh): ")
#: A Java package name as ``PackageParser.validateName`` accepts it: segments start with a letter.
_PACKAGE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*")


def _error(name: str, line: int, what: str) -> ParseError:
    return ParseError(f"{name}: line {line}: {what}")


def _checked(text: str, name: str) -> str:
    """The output after the checks every format shares: its size, and no shell error."""
    if len(text) > MAX_OUTPUT_CHARS:
        raise ParseError(f"{name}: output is {len(text)} characters, more than the {MAX_OUTPUT_CHARS} accepted")
    # A shell error replaces the whole output, so only the first line is checked (a later line
    # starting with "sh: " may be part of a multi-line value). It is not echoed: the shell
    # repeats parts of the command line, which may carry values.
    rest = text.lstrip()
    if rest:
        start = text.rfind("\n", 0, len(text) - len(rest)) + 1
        end = text.find("\n", start)
        if _SHELL_ERROR.match(text[start : end if end >= 0 else len(text)]):
            raise _error(name, text.count("\n", 0, start) + 1, "the shell reported an error instead of command output")
    return text


def _lines(text: str, name: str) -> list[str]:
    """The output's lines without line terminators, after :func:`_checked`."""
    return [line.rstrip("\r") for line in _checked(text, name).split("\n")]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


# ---------------------------------------------------------------------------------------------
# getprop
# ---------------------------------------------------------------------------------------------

#: Where a property starts: ``[name]: [`` at the start of a line.
_PROPERTY_START = re.compile(r"^\[([^\[\]\s]+)\]: \[", re.M)
_LINE_END_CR = re.compile(r"\r+(?=\n|\Z)")


def parse_getprop(text: str, *, name: str) -> dict[str, str]:
    """``getprop`` output as a dict of property name to value.

    Values may be empty and may contain ``]``, ``:`` and newlines, so a value ends at the first
    line ending in ``]`` that is followed by the next property (or by the end of the output):
    the text between two property starts is the first one's value plus ``]``. A property line
    inside an unfinished value therefore means the value was never closed. The starts are found
    in one regular-expression pass and everything else is slicing: linear time on any input
    (a search for each value's end, line by line or by a lazy pattern, is quadratic on lines
    that never close, and hours at the size cap).
    """
    text = _LINE_END_CR.sub("", _checked(text, name))
    starts = _PROPERTY_START.finditer(text)
    start = next(starts, None)
    first = start.start() if start else len(text)
    if text[:first].strip():
        junk = len(text[:first]) - len(text[:first].lstrip())
        raise _error(name, text.count("\n", 0, junk) + 1, "not a '[name]: [value]' property line")
    props: dict[str, str] = {}
    while start is not None:
        following = next(starts, None)  # one ahead, lazily: an error stops the scan at once
        if following is not None:
            value = text[start.end() : following.start() - 1]
        else:  # the last one runs to the last line that is not blank
            tail = text[start.end() :].split("\n")
            while len(tail) > 1 and not tail[-1].strip():
                tail.pop()
            value = "\n".join(tail)
        key = start.group(1)
        if not value.endswith("]"):
            raise _error(name, text.count("\n", 0, start.start()) + 1, f"the value of {key} is not closed by ']'")
        if key in props:
            raise _error(name, text.count("\n", 0, start.start()) + 1, f"property {key} is listed twice")
        props[key] = value[:-1]
        start = following
    if not props:
        raise ParseError(f"{name}: no properties (getprop always prints some)")
    return props


# ---------------------------------------------------------------------------------------------
# pm list users
# ---------------------------------------------------------------------------------------------

_USER_LINE = re.compile(r"UserInfo\{(\d{1,9}):(.*):([0-9A-Fa-f]{1,8})\}( running)?")
#: Samsung Knox reserves these user ids for Secure Folder (model: observed 150 on every device
#: seen; Knox's ``SemPersonaManager`` treats 150-160 as Secure Folder ids).
_SECURE_FOLDER_IDS = range(150, 161)
_SECURE_FOLDER_NAME = "secure folder"


def parse_users(text: str, *, name: str) -> list[AndroidUser]:
    """``pm list users`` output as users with ``kind``, ``flags`` and ``running`` set.

    The flags are the *last* colon field, so a name may itself contain colons (``Team: Sales``).
    Packages, restrictions and profile owners are left empty: other commands tell those.
    """
    lines = _lines(text, name)
    numbered = [(n, line.strip()) for n, line in enumerate(lines, 1) if line.strip()]
    if not numbered:
        raise ParseError(f"{name}: empty output (pm list users always lists user 0)")
    header_line, header = numbered[0]
    if header != "Users:":
        raise _error(name, header_line, "expected the 'Users:' header")
    users: list[AndroidUser] = []
    for number, line in numbered[1:]:
        match = _USER_LINE.fullmatch(line)
        if match is None:
            raise _error(name, number, "not a 'UserInfo{id:name:flags}' line")
        user_id, user_name = int(match.group(1)), match.group(2)
        if any(u.id == user_id for u in users):
            raise _error(name, number, f"user {user_id} is listed twice")
        flags = int(match.group(3), 16)  # Integer.toHexString: always hexadecimal
        users.append(
            AndroidUser(
                user_id,
                user_name,
                _profile_kind(user_id, user_name, flags),
                flags,
                running=match.group(4) is not None,
            )
        )
    if not users:
        raise ParseError(f"{name}: 'Users:' lists no user")
    return users


def _profile_kind(user_id: int, user_name: str, flags: int) -> ProfileKind:
    """User 0 is personal; Secure Folder before the work check, since Knox sets the managed bit."""
    if user_id == 0:
        return ProfileKind.PERSONAL
    if user_name.strip().casefold() == _SECURE_FOLDER_NAME or user_id in _SECURE_FOLDER_IDS:
        return ProfileKind.SECURE_FOLDER
    if flags & FLAG_MANAGED_PROFILE:
        return ProfileKind.WORK
    return ProfileKind.OTHER


# ---------------------------------------------------------------------------------------------
# pm list packages
# ---------------------------------------------------------------------------------------------

#: A trailing column: `` versionCode:N``, `` uid:N[,N]``, ``  installer=P`` or a newer one alike.
_PACKAGE_COLUMN = re.compile(r"[A-Za-z]+[:=]\S*")


def parse_packages(text: str, *, name: str) -> set[str]:
    """``pm list packages`` output (any of ``-f``, ``-U``, ``-i``, ``--show-versioncode``).

    Empty output means no package matched. With ``-f`` the APK path precedes the package and
    itself contains ``=`` (``/data/app/~~base64==/...``), so the package follows the last ``=``.
    """
    packages: set[str] = set()
    for number, line in enumerate(_lines(text, name), 1):
        if not line.strip():
            continue
        if not line.startswith("package:"):
            raise _error(name, number, "not a 'package:' line")
        words = line[len("package:") :].split()
        package = words[0].rpartition("=")[2] if words else ""
        if not _PACKAGE_NAME.fullmatch(package):
            raise _error(name, number, "no valid package name after 'package:'")
        if not all(_PACKAGE_COLUMN.fullmatch(column) for column in words[1:]):
            raise _error(name, number, f"unexpected text after package {package}")
        packages.add(package)
    return packages


#: ``UserController.handleIncomingUser`` / ``PackageManagerService.enforceShellRestriction``: the
#: shell (uid 2000) asked about a user with the ``no_debugging_features`` restriction.
_SHELL_REFUSED = re.compile(
    r"(?:Error: )?java\.lang\.SecurityException: Shell does not have permission to access user (\d{1,9})"
)
_EXCEPTION_HEADER = re.compile(r"Exception occurred while executing '[^']*':")


def shell_refusal(text: str, *, name: str) -> int | None:
    """The user the shell was refused for, when a ``pm`` command answered with that refusal.

    Two forms are printed (status 0 or 255): ``BasicShellCommandHandler.exec`` catches the
    exception and prints a blank line, ``Exception occurred while executing 'list':``, then the
    stack trace, whose first line is ``java.lang.SecurityException: Shell does not have
    permission to access user 150`` (``UserController`` appends a line of callers); older and
    some OEM ``pm`` builds print ``Error: java.lang.SecurityException: ...`` on one line. Only
    the first line of output (after the optional header) counts: a refusal is the whole answer.
    """
    lines = [line.strip() for line in _lines(text, name) if line.strip()]
    if lines and _EXCEPTION_HEADER.fullmatch(lines[0]):
        lines = lines[1:]
    match = _SHELL_REFUSED.fullmatch(lines[0]) if lines else None
    return int(match.group(1)) if match else None


# ---------------------------------------------------------------------------------------------
# dumpsys device_policy
# ---------------------------------------------------------------------------------------------

_STATE_HEADER = "Current Device Policy Manager state:"
_DEVICE_OWNER_HEADER = "Device Owner:"
_PROFILE_OWNER_HEADER = re.compile(r"Profile Owner \(User (\d{1,9})\):")
_COMPONENT_INFO = re.compile(r"ComponentInfo\{([^{}]*)\}")
_JAVA_CLASS = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")


@dataclass(frozen=True, slots=True)
class DevicePolicy:
    """Who owns the device and its profiles, as ``dumpsys device_policy`` reports it.

    Components are ``package/class`` with the class fully qualified.
    """

    device_owner: str | None = None
    #: User id -> profile owner component.
    profile_owners: dict[int, str] = field(default_factory=dict)


def parse_device_policy(text: str, *, name: str) -> DevicePolicy:
    """The device owner and the profile owners from ``dumpsys device_policy`` (Android 10-15).

    Owner blocks are found by their header at any indentation and end at the first line that is
    not indented deeper than the header; other sections (enabled admins, admin services, the
    policy engine) are ignored. No owner at all is a valid answer, but only for real
    ``device_policy`` output: the state header must be present.
    """
    lines = _lines(text, name)
    if not any(line.strip() == _STATE_HEADER for line in lines):
        raise ParseError(f"{name}: no '{_STATE_HEADER}' line: not dumpsys device_policy output")
    device_owner: str | None = None
    profile_owners: dict[int, str] = {}
    for index, line in enumerate(lines):
        header = line.strip()
        if not header.startswith(("Device Owner:", "Profile Owner (")):
            continue
        profile = _PROFILE_OWNER_HEADER.fullmatch(header)
        if header == _DEVICE_OWNER_HEADER:
            if device_owner is not None:
                raise _error(name, index + 1, "a second device owner")
            device_owner = _owner_component(lines, index, name)
        elif profile is not None:
            user_id = int(profile.group(1))
            if user_id in profile_owners:
                raise _error(name, index + 1, f"a second profile owner for user {user_id}")
            profile_owners[user_id] = _owner_component(lines, index, name)
        else:
            raise _error(name, index + 1, "malformed owner header")
    return DevicePolicy(device_owner, profile_owners)


def _owner_component(lines: list[str], header: int, name: str) -> str:
    """The ``admin=`` component of the owner block under ``lines[header]``."""
    depth = _indent(lines[header])
    fields: dict[str, tuple[int, str]] = {}
    for index in range(header + 1, len(lines)):
        line = lines[index]
        if not line.strip() or _indent(line) <= depth:
            break
        key, sep, value = line.strip().partition("=")
        if sep and key in ("admin", "package"):
            if key in fields:
                raise _error(name, index + 1, f"a second {key}= line in the owner block")
            fields[key] = (index + 1, value)
    if "admin" not in fields:
        raise _error(name, header + 1, "owner block without an admin= line")
    component = _component(fields["admin"][1], name, fields["admin"][0])
    if "package" in fields and fields["package"][1] != component.partition("/")[0]:
        raise _error(name, fields["package"][0], "package= differs from the admin= component's package")
    return component


def _component(value: str, name: str, line: int) -> str:
    """``ComponentInfo{pkg/cls}`` or ``pkg/cls`` as ``pkg/cls``, a leading ``.`` expanded the way
    ``ComponentName.unflattenFromString`` does."""
    info = _COMPONENT_INFO.fullmatch(value)
    package, slash, cls = (info.group(1) if info else value).partition("/")
    if cls.startswith("."):
        cls = package + cls
    if not (slash and _PACKAGE_NAME.fullmatch(package) and _JAVA_CLASS.fullmatch(cls)):
        raise _error(name, line, "admin= is not a component 'package/class'")
    return f"{package}/{cls}"


# ---------------------------------------------------------------------------------------------
# TestDPC get-app-restrictions
# ---------------------------------------------------------------------------------------------

_RESTRICTIONS_HEADER = re.compile(r"(\d{1,6}) app restriction(s?)[A-Z][A-Za-z]* for (\S+)")
_NO_RESTRICTIONS = re.compile(r"No app restrictions \(from [A-Z][A-Za-z]*\) for (\S+)")
#: ``ActiveServices.dumpService`` wrapper lines; ``nothing to dump`` is ``Service.dump``'s
#: default, printed by any other running TestDPC service that ``dumpsys`` also matched.
_DUMPSYS_SERVICE = re.compile(r"SERVICE \S+ [0-9a-f]+ pid=.*")
_DUMPSYS_NOISE = ("Client:", "nothing to dump")
_ENTRY_SEPARATOR = " = "


def parse_testdpc_restrictions(text: str, *, package: str, name: str) -> AppConfig:
    """The application restrictions TestDPC reports for ``package``.

    Returns an empty :class:`AppConfig` when TestDPC says the package has none, and raises
    :class:`ParseError` when the output does not mention the package at all (TestDPC asked with a
    single package prints its own restrictions instead). Every value is a ``str``: TestDPC prints
    ``String.valueOf(value)``, so a boolean, integer or nested ``Bundle[{...}]`` set by another
    DPC arrives as its text, and a value with a newline cannot be told from garbage (refused).
    A line ``  managementHint = a=b`` keeps everything after the first `` = ``. The header's
    count must match the entries that follow.
    """
    lines = _lines(text, name)
    seen: set[str] = set()
    found: AppConfig | None = None
    index = 0
    while index < len(lines):
        stripped = lines[index].strip()
        index += 1
        number = index
        if not stripped or stripped in _DUMPSYS_NOISE or _DUMPSYS_SERVICE.fullmatch(stripped):
            continue
        empty = _NO_RESTRICTIONS.fullmatch(stripped)
        header = _RESTRICTIONS_HEADER.fullmatch(stripped)
        if empty is not None:
            subject, config = empty.group(1), AppConfig()
        elif header is not None:
            count, plural, subject = header.groups()
            if int(count) == 0 or (plural == "s") != (int(count) > 1):
                raise _error(name, number, "restriction count and plural disagree")
            config = _restriction_entries(lines, index, int(count), name)
            index += int(count)
        else:
            raise _error(name, number, "not a TestDPC get-app-restrictions line")
        if subject in seen:
            raise _error(name, number, f"restrictions of {subject} reported twice")
        seen.add(subject)
        if subject == package:
            found = config
    if found is None:
        raise ParseError(
            f"{name}: no restrictions reported for {package} (TestDPC given a single package prints its own: pass two)"
        )
    return found


def _restriction_entries(lines: list[str], first: int, count: int, name: str) -> AppConfig:
    """The ``count`` ``key = value`` lines from ``lines[first]``, indented two past the header."""
    prefix = lines[first - 1][: _indent(lines[first - 1])] + "  "
    entries: dict[str, str] = {}
    for index in range(first, first + count):
        line = lines[index] if index < len(lines) else ""
        key, sep, value = line[len(prefix) :].partition(_ENTRY_SEPARATOR)
        if not (line.startswith(prefix) and sep and key.strip() == key and key):
            raise _error(name, index + 1, f"expected restriction {index - first + 1} of {count}")
        if key in entries:
            raise _error(name, index + 1, f"restriction {key} listed twice")
        entries[key] = value
    return AppConfig(entries)
