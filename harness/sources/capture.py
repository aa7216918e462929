"""Capture directories (DESIGN.md §2): a replayable record of what a source read from a device.

::

    capture.json   {"format": 1, "platform": "android"|"ios", "source": "...", "captured_at": "...",
                    "entries": [{"request": "pm list users", "file": "pm_list_users.txt", "status": 0}]}
    <files>        raw outputs exactly as the device returned them

Replaying answers the same requests from the files; a request the capture lacks is a
:class:`~harness.errors.CaptureError` naming it, except the optional MDM answers (``mdm.*``),
whose absence the readers turn into "could not read" facts. Reads are bounded and paths may not
leave the capture directory.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from harness.errors import CaptureError
from harness.sources.transport import Answer, Platform, TransportBase
from simulator.errors import os_error_text
from simulator.jsonfile import load_json

FORMAT = 1
INDEX = "capture.json"
MAX_INDEX_BYTES = 1 << 20
MAX_FILE_BYTES = 16 << 20
#: Longest file name accepted (bytes): what Linux and macOS file systems allow.
MAX_NAME_BYTES = 255
OPTIONAL_PREFIX = "mdm."
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


def _show_name(file: str) -> str:
    """A file name from the index, escaped (it may hold control characters) and shortened."""
    shown = ascii(file)
    return shown if len(shown) <= 80 else shown[:78] + "…'"


def _file_name_problem(file: str) -> str | None:
    """Why ``file`` cannot name a file of the capture, or None."""
    if Path(file).name != file or file in ("", ".", ".."):
        return "leaves the capture directory (a plain file name is expected)"
    if "\0" in file:
        return "holds a NUL character"
    try:
        encoded = file.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (a lone surrogate)"
    if len(encoded) > MAX_NAME_BYTES:
        return f"is longer than {MAX_NAME_BYTES} bytes"
    return None


def read_capture_file(directory: Path, file: str, limit: int) -> bytes:
    """The bytes of ``directory/file``, read only if it is a regular file of the capture.

    A capture is handed over by someone else: its files are untrusted in kind as well as in
    content. A FIFO would block the read forever and a device node (``/dev/zero``) never end, so
    the file must be regular, which is checked twice: on the path (``lstat``, before opening,
    so that no device is ever opened) and on the open descriptor (``fstat``, the file actually
    read). It is opened without following a symlink (``O_NOFOLLOW``) and without blocking
    (``O_NONBLOCK``); its size is checked before reading and the read stops at ``limit``. A
    symlink is followed only to a regular file inside the capture, resolved first; a file with
    several hard links is refused, since another link may be a file outside the capture that
    the symlink rule would refuse. Raises :class:`FileNotFoundError` for a missing file (the
    caller says which request needed it) and :class:`CaptureError` for every refusal.
    """
    path = directory / file
    root = directory.resolve()
    try:
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(root):
                raise CaptureError(
                    f"{directory}: file {_show_name(file)} is a symlink that leaves the capture directory"
                )
            path = target
        before = path.lstat()
        if not stat.S_ISREG(before.st_mode):
            raise CaptureError(f"{path}: not a regular file (a capture holds only regular files)")
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise CaptureError(f"{path}: cannot read: {os_error_text(exc)}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) != (before.st_dev, before.st_ino):
            raise CaptureError(f"{path}: not a regular file (it changed while being opened)")
        if info.st_nlink > 1:
            raise CaptureError(
                f"{path}: has {info.st_nlink} hard links (a capture holds its own files: copy it instead)"
            )
        if info.st_size > limit:
            raise CaptureError(f"{path}: larger than {limit} bytes")
        chunks = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        raise CaptureError(f"{path}: cannot read: {os_error_text(exc)}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise CaptureError(f"{path}: larger than {limit} bytes (it grew while being read)")
    return data


@dataclass(slots=True)
class Capture(TransportBase):
    """A loaded capture directory, the in-memory twin of a live transport: answers are read
    from disk when asked for."""

    directory: Path
    platform: Platform
    source: str
    captured_at: str
    entries: dict[str, tuple[str, int]]

    @classmethod
    def load(cls, directory: str | Path) -> Capture:
        directory = Path(directory)
        where = str(directory / INDEX)
        try:
            if not directory.is_dir():
                problem = "no such directory" if not directory.exists() else "not a directory"
                raise CaptureError(f"{directory}: not a capture ({problem})")
            raw = read_capture_file(directory, INDEX, MAX_INDEX_BYTES)
        except FileNotFoundError:
            raise CaptureError(f"{directory}: not a capture (no {INDEX})") from None
        except OSError as exc:  # the directory itself (a name too long...)
            raise CaptureError(f"{directory}: cannot read: {os_error_text(exc)}") from None
        except ValueError:
            raise CaptureError(f"{directory!r}: the path holds a NUL character") from None
        doc = load_json(raw, name=where, error=CaptureError)
        if not isinstance(doc, dict):
            raise CaptureError(f"{where}: expected a JSON object")
        if doc.get("format") != FORMAT:
            raise CaptureError(f"{where}: format must be {FORMAT}")
        platform = doc.get("platform")
        if platform not in ("android", "ios"):
            raise CaptureError(f"{where}: platform must be 'android' or 'ios'")
        raw_entries = doc.get("entries")
        if not isinstance(raw_entries, list):
            raise CaptureError(f"{where}: 'entries' must be a list")
        entries: dict[str, tuple[str, int]] = {}
        for i, entry in enumerate(raw_entries):
            if (
                not isinstance(entry, dict)
                or not isinstance(entry.get("request"), str)
                or not isinstance(entry.get("file"), str)
            ):
                raise CaptureError(f"{where}: entries[{i}] needs string 'request' and 'file'")
            status = entry.get("status", 0)
            if not isinstance(status, int) or isinstance(status, bool):
                raise CaptureError(f"{where}: entries[{i}].status must be an integer")
            file = entry["file"]
            refusal = _file_name_problem(file)
            if refusal is not None:
                raise CaptureError(f"{where}: entries[{i}].file {_show_name(file)} {refusal}")
            if entry["request"] in entries:
                raise CaptureError(f"{where}: entries[{i}]: request {_show_name(entry['request'])} recorded twice")
            entries[entry["request"]] = (file, status)
        return cls(directory, platform, str(doc.get("source", "")), str(doc.get("captured_at", "")), entries)

    @property
    def spec(self) -> str:
        return f"capture:{self.directory}"

    def has(self, request: str) -> bool:
        return request in self.entries

    def ask(self, request: str) -> Answer | None:
        """The recorded answer; None for a missing optional (``mdm.*``) request."""
        if request not in self.entries:
            if request.startswith(OPTIONAL_PREFIX):
                return None
            raise CaptureError(f"{self.directory}: the capture has no answer for request {request!r}")
        file, status = self.entries[request]
        try:
            return Answer(read_capture_file(self.directory, file, MAX_FILE_BYTES), status)
        except FileNotFoundError:
            raise CaptureError(f"{self.directory}: file {file!r} for request {request!r} is missing") from None


#: Longest file name written for a request (the rest is cut; names stay unique).
MAX_NAME = 120


def file_name(request: str, answer: Answer) -> str:
    """A plain file name for a request's answer, as the bundled captures name theirs:
    ``pm list users`` -> ``pm_list_users.txt``; a pulled file keeps its own name (``.txt``
    added to adb's error text); plists end in ``.plist``."""
    stem = request.replace("/", " ").replace("'", " ").split()
    name = "_".join(stem)[:MAX_NAME] or "answer"
    if request.startswith("pull ") and answer.status == 0:
        return name
    if answer.data.startswith(b"bplist00") or (
        answer.data.startswith(b"<?xml") and b"<!DOCTYPE plist" in answer.data[:200]
    ):
        return f"{name}.plist"
    return f"{name}.txt"


def write_capture(
    directory: str | Path, *, platform: Platform, source: str, captured_at: str, answers: list[tuple[str, Answer]]
) -> Path:
    """Write a capture directory (which must not exist yet, or be empty) that replays ``answers``."""
    directory = Path(directory)
    try:
        if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
            raise CaptureError(f"{directory}: exists and is not an empty directory (choose a new one)")
        directory.mkdir(parents=True, exist_ok=True)
        entries: list[dict[str, object]] = []
        used: set[str] = {INDEX}
        for request, answer in answers:
            name = file_name(request, answer)
            stem, dot, suffix = name.rpartition(".") if "." in name else (name, "", "")
            for n in range(2, len(answers) + 2):
                if name not in used:
                    break
                name = f"{stem}-{n}{dot}{suffix}"
            used.add(name)
            (directory / name).write_bytes(answer.data)
            entries.append({"request": request, "file": name, "status": answer.status})
        index = {
            "format": FORMAT,
            "platform": platform,
            "source": source,
            "captured_at": captured_at,
            "entries": entries,
        }
        (directory / INDEX).write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise CaptureError(f"{directory}: cannot write the capture: {os_error_text(exc)}") from None
    return directory
