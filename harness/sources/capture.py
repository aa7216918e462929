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
from dataclasses import dataclass
from pathlib import Path

from harness.errors import CaptureError
from harness.sources.transport import Answer, Platform, TransportBase

FORMAT = 1
INDEX = "capture.json"
MAX_INDEX_BYTES = 1 << 20
MAX_FILE_BYTES = 16 << 20
OPTIONAL_PREFIX = "mdm."


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
        index = directory / INDEX
        where = str(index)
        try:
            if index.stat().st_size > MAX_INDEX_BYTES:
                raise CaptureError(f"{where}: larger than {MAX_INDEX_BYTES} bytes")
            doc = json.loads(index.read_bytes())
        except FileNotFoundError:
            raise CaptureError(f"{directory}: not a capture (no {INDEX})") from None
        except OSError as exc:
            raise CaptureError(f"{where}: cannot read ({type(exc).__name__})") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CaptureError(f"{where}: not valid JSON ({exc})") from None
        if not isinstance(doc, dict):
            raise CaptureError(f"{where}: expected a JSON object")
        if doc.get("format") != FORMAT:
            raise CaptureError(f"{where}: format must be {FORMAT}, got {doc.get('format')!r}")
        platform = doc.get("platform")
        if platform not in ("android", "ios"):
            raise CaptureError(f"{where}: platform must be 'android' or 'ios', got {platform!r}")
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
            if Path(file).name != file or file in (".", ".."):
                raise CaptureError(
                    f"{where}: entries[{i}].file {file!r} leaves the capture directory (a plain file name is expected)"
                )
            if entry["request"] in entries:
                raise CaptureError(f"{where}: entries[{i}]: request {entry['request']!r} recorded twice")
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
        path = self.directory / file
        try:
            if path.is_symlink() and not path.resolve().is_relative_to(self.directory.resolve()):
                raise CaptureError(
                    f"{self.directory}: file {file!r} for request {request!r} leaves the capture directory"
                )
            if path.stat().st_size > MAX_FILE_BYTES:
                raise CaptureError(f"{path}: larger than {MAX_FILE_BYTES} bytes (request {request!r})")
            return Answer(path.read_bytes(), status)
        except FileNotFoundError:
            raise CaptureError(f"{self.directory}: file {file!r} for request {request!r} is missing") from None
        except OSError as exc:
            raise CaptureError(f"{path}: cannot read ({type(exc).__name__})") from None


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
        raise CaptureError(f"{directory}: cannot write the capture ({exc.strerror or type(exc).__name__})") from None
    return directory
