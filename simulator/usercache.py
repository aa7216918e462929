"""A cache, under the user's cache directory, of data that is slow to compute and safe to share.

It holds what every ``attestlab`` process would otherwise compute again before its first case:
the simulated world's RSA-2048 keys (~50 ms each to generate, two in a one-scenario run). They
are simulation data: they sign only for simulated orgs and phones (no real org ever trusts them).

Every entry can be computed again, so the cache can never make a run fail: a missing, unreadable
or damaged entry (each carries the SHA-256 of its payload) is computed again, and a directory
that cannot be written is simply no cache. Entries are written to a temporary file and renamed
into place, so processes running in parallel (workers, pytest-xdist, CI jobs sharing a home)
read a whole entry or none; when two write at once the last one wins, which is harmless because
nothing requires two processes to hold the same entry.

Where: ``$ATTESTLAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/attestlab``, else ``~/.cache/attestlab``;
``ATTESTLAB_NO_CACHE=1`` turns it off. See docs/design-notes.md, "Start-up".
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

DIR_ENV = "ATTESTLAB_CACHE_DIR"
OFF_ENV = "ATTESTLAB_NO_CACHE"
#: Entries larger than this are not read (the key pool at its 32 keys is ~55 KB).
MAX_ENTRY_BYTES = 4 * 2**20
_MAGIC = b"attestlab-cache sha256:"


def cache_dir() -> Path | None:
    """The cache directory, or None when the cache is turned off or there is no home."""
    if os.environ.get(OFF_ENV):
        return None
    configured = os.environ.get(DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base) / "attestlab"
    try:
        return Path.home() / ".cache" / "attestlab"
    except RuntimeError:  # no home directory to be found
        return None


def read(name: str) -> bytes | None:
    """The payload of entry ``name``, or None when it is absent, unreadable or damaged."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        with open(folder / name, "rb") as file:
            data = file.read(MAX_ENTRY_BYTES + 1)
    except OSError:
        return None
    head, sep, payload = data.partition(b"\n")
    if not sep or len(data) > MAX_ENTRY_BYTES or not head.startswith(_MAGIC):
        return None
    if hashlib.sha256(payload).hexdigest().encode() != head[len(_MAGIC) :]:
        return None
    return payload


def write(name: str, payload: bytes) -> bool:
    """Store ``payload`` as entry ``name`` (atomically); False when it could not be stored."""
    folder = cache_dir()
    if folder is None or len(payload) > MAX_ENTRY_BYTES:
        return False
    data = _MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temp, folder / name)
    except OSError:  # disk full, a read-only folder...: no cache entry, and no .part left behind
        with contextlib.suppress(OSError):
            os.unlink(temp)
        return False
    return True
