"""The one interface every device source speaks: ask a request, get an answer.

httpx has transports with an in-memory twin (``MockTransport``); attestlab's sources follow the
same idea. A transport knows nothing about Okta Verify or managed configuration: it answers
requests (Android: a shell command such as ``pm list users`` or a sync pull ``pull /data/...``;
iOS: a service call such as ``lockdown.all_values``) with raw bytes and an exit status. The
readers (:mod:`harness.readers`) decide what to ask, so a replayed capture
(:class:`harness.sources.capture.Capture`) and a live device are read by the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, Protocol, Self, runtime_checkable

Platform = Literal["android", "ios"]


def port_number(text: str) -> int | None:
    """A TCP port from its decimal spelling (0 to 65535), else None: the one reader for every
    ``HOST:PORT`` attestlab takes (``adb:``, ``$ADB_SERVER_SOCKET``, ``$ANDROID_ADB_SERVER_PORT``,
    ``device serve --listen``). ASCII digits only: ``str.isdigit`` passes ``'²'`` and 5,000
    digits, which ``int()`` then refuses with a traceback."""
    return int(text) if 1 <= len(text) <= 5 and text.isascii() and text.isdigit() and int(text) <= 65535 else None


@dataclass(frozen=True, slots=True)
class Answer:
    """A device's answer to one request: the raw bytes and the exit status (0 = success)."""

    data: bytes
    status: int


#: A transport's single call, and its batch call (answers in the order asked).
Ask = Callable[[str], "Answer | None"]
AskMany = Callable[[Sequence[str]], "list[Answer | None]"]


@runtime_checkable
class Transport(Protocol):
    """A source of answers about one device.

    ``ask`` returns None only for an optional request the source cannot answer (the MDM's side
    of an iPhone, ``mdm.*``); every other failure raises :class:`harness.errors.SourceError`.
    """

    @property
    def spec(self) -> str:
        """The SOURCE spec it was opened from (``capture:DIR``), used in messages."""

    @property
    def platform(self) -> Platform:
        """The device's platform, known before anything is read."""

    def ask(self, request: str) -> Answer | None: ...

    def ask_many(self, requests: Sequence[str]) -> list[Answer | None]:
        """Answers to several independent requests, in order, in as few round trips as the
        source allows (a live phone: one shell script, one sync session). A request's answer
        never depends on another one of the same batch."""

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class TransportBase:
    """Context-manager plumbing shared by the concrete transports, and a batch that asks one
    request after the other (what a capture does: it records and replays single requests)."""

    def ask(self, request: str) -> Answer | None:
        raise NotImplementedError

    def ask_many(self, requests: Sequence[str]) -> list[Answer | None]:
        return [self.ask(request) for request in requests]

    def close(self) -> None:
        """Release the connection; a no-op for transports that hold none."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def origin_of(transport: Transport, request: str) -> str:
    """Where a transport's answer to ``request`` comes from, in words: its ``origin(request)``
    when it has one (a live device, ``--mdm`` files), else its spec."""
    origin = getattr(transport, "origin", None)
    return str(origin(request)) if callable(origin) else transport.spec


class Wrapper(TransportBase):
    """A transport around another one (recording it, adding answers to it): its spec, platform,
    the origin of its answers and closing pass through; asking is the subclass's business."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner

    @property
    def spec(self) -> str:
        return self.inner.spec

    @property
    def platform(self) -> Platform:
        return self.inner.platform

    def origin(self, request: str) -> str:
        return origin_of(self.inner, request)

    def close(self) -> None:
        self.inner.close()
