"""Devices read from sources once per run, and shared by every case and worker that uses them.

A live phone read for every case would cost a run three round trips per case and let the
phone change under the run; a capture would be parsed again for every case. The first case (or
``run --device``, before any case) reads a source, and the snapshot is kept for the process;
every case gets its own copy, since a case changes its device (enrolment, EMM steps). Workers
are forked after the snapshots were taken (:func:`prefetch`), so they share them.

A source that cannot be read is remembered too: each case of that device is then an ``error``
with the same one-line message, and the other devices of the run go on.

The source registry and readers are imported when a first source is read: a run of simulated
devices never reads one, and they are a good part of start-up. The options (and so a bad
``$ATTESTLAB_SOURCE_TIMEOUT``) are read at once: their module is not the registry's.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from harness.source_options import SourceOptions
from simulator.device import AnyDevice
from simulator.errors import AttestlabError

if TYPE_CHECKING:
    from harness.sources import SourceSpec

_snapshots: dict[str, AnyDevice | AttestlabError] = {}
_options = SourceOptions()


def configure(options: SourceOptions) -> None:
    """Start a run: how live sources are opened (``--adb-key``), and no snapshot yet."""
    global _options
    _options = options
    _snapshots.clear()


def _key(spec: str | SourceSpec, base: Path | None) -> str:
    from harness.sources import parse_spec

    # ``isinstance(spec, str)``, not ``isinstance(spec, SourceSpec)``: pytester's in-process runs
    # drop the modules a run imported, so a spec parsed by a module kept from an earlier run can
    # be of another generation of the SourceSpec class.
    return str((parse_spec(spec) if isinstance(spec, str) else spec).resolved(base))


def take(spec: str | SourceSpec, *, base: Path | None = None) -> AnyDevice | AttestlabError:
    """The snapshot of a source (read now if it was not yet), or why it could not be read."""
    key = _key(spec, base)
    if key not in _snapshots:
        from harness.readers import read_source

        try:
            _snapshots[key] = read_source(key, options=_options)
        except AttestlabError as exc:
            _snapshots[key] = exc
    return _snapshots[key]


def device(spec: str | SourceSpec, *, base: Path | None = None) -> AnyDevice:
    """A case's own copy of the source's device; the read's error if it could not be read."""
    snapshot = take(spec, base=base)
    if isinstance(snapshot, AttestlabError):
        raise type(snapshot)(*snapshot.args)
    return copy.deepcopy(snapshot)


def remember(spec: str | SourceSpec, error: AttestlabError, *, base: Path | None = None) -> None:
    """Record that a source could not be read (its read passed the run's deadline)."""
    _snapshots[_key(spec, base)] = error


def prefetch(specs: Iterable[tuple[str, Path | None]]) -> None:
    """Read these sources now (before workers fork); failures wait for their cases."""
    for spec, base in specs:
        take(spec, base=base)
