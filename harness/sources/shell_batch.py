"""Several shell commands in one ``shell:`` stream, each answer cut out by an exit-status sentinel.

ADB's ``shell:`` service (protocol v1) returns stdout and stderr merged and no exit status
(DOMAIN.md §8), and every command costs a round trip (an OPEN, the service start, the CLSE).
A batch runs the commands one after the other in one script; after each, ``echo`` prints a
sentinel carrying the command's index and ``$?``::

    getprop; echo <nonce>:0:$?; pm list users; echo <nonce>:1:$?

The nonce is fresh and unguessable for every batch (128 random bits), so nothing a device
prints — a restriction value, a package name, a hostile app's output — can forge a sentinel,
and the index catches a stream cut short. A sentinel may start mid-line (output without a final
newline, a binary file), so each answer is byte for byte what the command printed; only plain
``echo`` and ``$?`` are needed from the device's shell.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence

from harness.sources.transport import Answer


def new_nonce() -> str:
    return secrets.token_hex(16)


def script(commands: Sequence[str], nonce: str) -> str:
    """The one shell command line that runs ``commands`` with a sentinel after each."""
    for command in commands:
        if "\n" in command or "\r" in command or nonce in command:
            raise ValueError(f"command {command!r} cannot be batched")
    return "; ".join(f"{command}; echo {nonce}:{i}:$?" for i, command in enumerate(commands))


class BatchCutShort(Exception):
    """The stream ended before the sentinel of ``commands[index]``."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


def split(output: bytes, commands: Sequence[str], nonce: str) -> list[Answer]:
    """Cut a batch's output into one answer per command; BatchCutShort when one is missing."""
    sentinel = re.compile(re.escape(nonce.encode()) + rb":(\d+):(\d+)\r?\n")
    answers: list[Answer] = []
    position = 0
    for index in range(len(commands)):
        match = sentinel.search(output, position)
        if match is None or int(match.group(1)) != index:
            raise BatchCutShort(index)
        answers.append(Answer(output[position : match.start()], int(match.group(2))))
        position = match.end()
    return answers
