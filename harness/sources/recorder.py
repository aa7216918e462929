"""Record what any transport answers, to write it as a capture (``attestlab capture``).

The recorder is a transport wrapped around another one: the reader runs against it exactly as
against the live device, and every answer passes through on its way. A batch is recorded as
the single requests it holds (a capture answers request by request), in the order asked, so
``capture:DIR`` replays the same read. Platform-neutral: an Android read records shell commands
and pulls, an iOS read its service calls; optional answers a source did not have (``None``) are
left out, as the capture format wants.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from harness.sources.capture import write_capture
from harness.sources.transport import Answer, Transport, Wrapper


class Recorder(Wrapper):
    def __init__(self, inner: Transport) -> None:
        super().__init__(inner)
        self.answers: dict[str, Answer] = {}

    def ask(self, request: str) -> Answer | None:
        return self._keep([request], [self.inner.ask(request)])[0]

    def ask_many(self, requests: Sequence[str]) -> list[Answer | None]:
        return self._keep(requests, self.inner.ask_many(requests))

    def _keep(self, requests: Sequence[str], answers: list[Answer | None]) -> list[Answer | None]:
        for request, answer in zip(requests, answers, strict=True):
            if answer is not None:
                self.answers.setdefault(request, answer)
        return answers

    def write(self, directory: str | Path, redact: Callable[[str, Answer], Answer] | None = None) -> Path:
        """The capture of everything answered so far, each answer passed through ``redact``
        (what the capture may hold of it) when given."""
        answers = [(r, redact(r, a) if redact else a) for r, a in self.answers.items()]
        return write_capture(
            directory,
            platform=self.platform,
            source=self.spec,
            captured_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            answers=answers,
        )
