"""A device source that never answers, as a hung adb session does: ``stuck:NAME``.

Its ``ask`` blocks in ``recv`` on a socket nobody writes to (a real blocking system call, which
is what a stuck device leaves a reader in). When ``STUCK_MARKER`` names a file, the process
writes its pid there first, so a test knows which process is stuck and when.

``register()`` adds the kind to the one SOURCE registry; ``python tests/run/stuck_source.py
ARGS`` runs the ``attestlab`` command with it registered (for tests that need a real process,
to send it real signals).
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

from harness import sources
from harness.sources.transport import Answer, Platform, TransportBase


class Stuck(TransportBase):
    def __init__(self, spec: sources.SourceSpec) -> None:
        self._spec = str(spec)
        self._ours, self._theirs = socket.socketpair()

    @property
    def spec(self) -> str:
        return self._spec

    @property
    def platform(self) -> Platform:
        return "android"

    def ask(self, request: str) -> Answer | None:
        marker = os.environ.get("STUCK_MARKER")
        if marker:
            Path(marker).write_text(str(os.getpid()))
        self._ours.recv(1)  # nobody ever writes
        raise AssertionError("a stuck source answered")

    def close(self) -> None:
        self._ours.close()
        self._theirs.close()


#: The registry entry of ``stuck:NAME``.
KIND = sources.Kind("stuck:NAME", lambda spec, options: Stuck(spec), "android")


def register() -> None:
    sources.KINDS["stuck"] = KIND


if __name__ == "__main__":
    register()
    from harness.cli import main

    sys.argv[0] = "attestlab"
    sys.exit(main())
