"""Yardsticks: work that measures the machine, not our code, timed in the same run as our code.

Why: an absolute rate (MB/s, captures/s, reads/s) moves 2x with the load of the shared machine,
so a goal stated as one passes or fails with the neighbours' test suites. A goal stated as a
ratio to a yardstick doing comparable work with the standard library, measured in short slices
just before and just after each slice of ours (:func:`interleaved`), moves far less: load that
hits one hits the other alike. The yardsticks here are the standard library (or plain sockets)
doing what our code does, on the same bytes where there are bytes:

- :func:`stdlib_capture_reader`: a capture's files read from disk and taken apart with ``json``,
  ``ElementTree`` and ``str`` methods (what our parsers do, without our parsers);
- :func:`record_conversation` + :class:`RawTrips`: the bytes one device read moves, turn by turn,
  replayed over a raw loopback TCP connection to a server process with no ADB logic.

(ABX's yardstick, ElementTree on the text XML of the same restrictions, lives in bench_abx,
which makes the document.)
"""

from __future__ import annotations

import json
import multiprocessing
import socket
import statistics
import threading
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def rate(work: Callable[[], int], seconds: float) -> float:
    """Units per second of ``work`` (it returns the units it did) over at least ``seconds``."""
    done, began = 0, time.perf_counter()
    while True:
        done += work()
        elapsed = time.perf_counter() - began
        if elapsed >= seconds:
            return done / elapsed


@dataclass(frozen=True)
class Paired:
    """Rates of ours and of the yardstick (mean of the slices before and after each of ours)."""

    ours: list[float]
    yardstick: list[float]

    @property
    def ratios(self) -> list[float]:
        return [o / y for o, y in zip(self.ours, self.yardstick, strict=True)]

    @property
    def ratio(self) -> float:
        """Median over rounds of ours / its neighbouring yardstick."""
        return statistics.median(self.ratios)

    def summary(self) -> dict[str, Any]:
        return {
            "ours_per_s": round(statistics.median(self.ours), 1),
            "yardstick_per_s": round(statistics.median(self.yardstick), 1),
            "ratio": round(self.ratio, 3),
            "ratio_rounds": [round(r, 3) for r in self.ratios],
        }


def interleaved(ours: Callable[[], int], yardstick: Callable[[], int], seconds: float, rounds: int) -> Paired:
    """``rounds`` rounds of yardstick, ours, yardstick (half, whole, half of a slice) in
    ``seconds`` in all, after one warm-up slice of each."""
    per = seconds / (2 * rounds)
    rate(ours, per / 2)
    rate(yardstick, per / 2)
    mine: list[float] = []
    sticks: list[float] = []
    for _ in range(rounds):
        before, measured, after = rate(yardstick, per / 2), rate(ours, per), rate(yardstick, per / 2)
        mine.append(measured)
        sticks.append((before + after) / 2)
    return Paired(mine, sticks)


def stdlib_capture_reader(directories: Sequence[Path]) -> Callable[[], int]:
    """Read every file of each capture and take it apart with the standard library alone:
    ``json.loads`` for JSON, ``ElementTree`` for text XML, lines split at their first ``:`` or
    ``=`` for text; binary files (ABX) only read. Returns the number of captures done."""

    def one(directory: Path) -> None:
        for path in sorted(directory.iterdir()):
            data = path.read_bytes()
            if path.suffix == ".json":
                json.loads(data)
            elif data.startswith(b"<?xml") or data.startswith(b"<"):
                ElementTree.fromstring(data)
            elif path.suffix == ".txt":
                for line in data.decode("utf-8", "replace").splitlines():
                    key, _, value = line.strip().partition(":")
                    if not value:
                        key.partition("=")

    def work() -> int:
        for directory in directories:
            one(directory)
        return len(directories)

    work()  # fail before timing anything
    return work


#: One turn of a conversation: (True if the client sends, number of bytes).
Turn = tuple[bool, int]


def record_conversation(target: tuple[str, int], drive: Callable[[str], object]) -> list[Turn]:
    """The turns of the TCP conversation ``drive`` has with ``target``, through a forwarding
    proxy: ``drive`` gets the proxy's HOST:PORT and must open one connection to it."""
    chunks: list[Turn] = []
    lock = threading.Lock()
    listener = socket.create_server(("127.0.0.1", 0))

    def pump(source: socket.socket, sink: socket.socket, client: bool) -> None:
        while data := source.recv(65536):
            with lock:
                chunks.append((client, len(data)))
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)

    def serve() -> None:
        inbound, _ = listener.accept()
        outbound = socket.create_connection(target)
        with inbound, outbound:
            back = threading.Thread(target=pump, args=(outbound, inbound, False))
            back.start()
            pump(inbound, outbound, True)
            back.join()

    server = threading.Thread(target=serve)
    server.start()
    try:
        drive(f"127.0.0.1:{listener.getsockname()[1]}")
    finally:
        server.join(timeout=30)
        listener.close()
    turns: list[Turn] = []
    for client, size in chunks:
        if turns and turns[-1][0] == client:
            turns[-1] = (client, turns[-1][1] + size)
        else:
            turns.append((client, size))
    return turns


def _walk(sock: socket.socket, turns: Sequence[Turn], client: bool) -> None:
    """Send our turns, receive exactly the other side's."""
    for sender, size in turns:
        if sender == client:
            sock.sendall(bytes(size))
            continue
        while size:
            data = sock.recv(min(size, 65536))
            if not data:
                raise ConnectionError("raw trip: the other side closed early")
            size -= len(data)


def _replay_server(listener: socket.socket, turns: Sequence[Turn]) -> None:
    while True:
        connection, _ = listener.accept()
        with connection:
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            _walk(connection, turns, client=False)


class RawTrips:
    """Raw loopback TCP trips replaying ``turns`` (new connection each, as a read makes one)
    against a forked server process (the phone is a process of its own as well)."""

    def __init__(self, turns: Sequence[Turn]) -> None:
        self.turns = list(turns)
        self.bytes = sum(size for _, size in self.turns)

    @contextmanager
    def serving(self) -> Iterator[Callable[[], int]]:
        """Yields the trip (returns 1 trip); the server process is killed at the end."""
        listener = socket.create_server(("127.0.0.1", 0))
        address = listener.getsockname()
        process = multiprocessing.get_context("fork").Process(
            target=_replay_server, args=(listener, self.turns), daemon=True
        )
        process.start()
        listener.close()

        def trip() -> int:
            with socket.create_connection(address) as sock:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                _walk(sock, self.turns, client=True)
            return 1

        try:
            trip()  # fail before timing anything
            yield trip
        finally:
            process.kill()
            process.join()
