"""pytest-xdist scheduling that keeps each physical phone's items on one worker.

Imported by :mod:`harness.pytest_plugin` only on an xdist controller that has a phone to
schedule. Why a scheduler of our own rather than ``--dist loadgroup`` and the ``xdist_group``
marks alone: loadgroup learns an item's group from an ``@group`` suffix that each *worker*
writes into the item's node id (``item._nodeid``, pytest-xdist ``remote.py``), and pytest 9.2
keeps node ids elsewhere (``Node._id``, a ``NodeId``), so with pytest-xdist 3.8 the suffix is
silently lost and a phone's items spread over the workers (pytest-dev/pytest-xdist#1386; its
maintainers would rather stop mutating node ids at all, #1119). The controller can tell the
group from the node id as it is: a scenario item is named ``<scenario>[<device label>]``
(:func:`harness.cases.case_id`) and a phone's label is its SOURCE, ``adb:HOST:PORT``,
``adb-server:SERIAL`` or ``ios:UDID`` (:attr:`harness.sources.SourceSpec.label`).
"""

from __future__ import annotations

from xdist.scheduler import LoadGroupScheduling

from harness.pytest_plugin import PHYSICAL_KINDS


def device_scope(nodeid: str) -> str | None:
    """The phone an item runs on (its SOURCE, the label's first word), from its node id; None
    for any other item."""
    _, bracket, rest = nodeid.rpartition("[")
    label = rest.removesuffix("]")
    if bracket and label != rest and label.partition(":")[0] in PHYSICAL_KINDS:
        return label.partition(" ")[0]
    return None


class DeviceScheduling(LoadGroupScheduling):  # type: ignore[misc]  # pytest-xdist is untyped
    """``loadgroup`` whose groups are also the phones: a phone's items form one unit of work,
    every other item is its own (as with ``--dist load``), and ``xdist_group`` suffixes that
    workers did write (``--dist loadgroup`` given by hand, pytest < 9.2) still group."""

    def _split_scope(self, nodeid: str) -> str:
        scope: str = super()._split_scope(nodeid)
        if scope != nodeid:  # an @group suffix: a phone's own is its label
            return scope
        return device_scope(nodeid) or nodeid
