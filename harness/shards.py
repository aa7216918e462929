"""The ``K/N`` spelling of a shard (``--shard 2/4``, ``run.shard`` in a JSON report).

Its own small module because ``report merge`` reads it too, and importing
:mod:`harness.matrix` (the scenario loader behind it) cost ``report merge`` ~0.3 s.
"""

from __future__ import annotations

import re

from harness.errors import InputError

#: The most shards a run is split into. CI runs one job per shard (a GitHub Actions matrix has at
#: most 256 jobs); without a bound ``--shard 1/10000000000`` planned a list of ten billion shard
#: sizes (an OverflowError traceback, or gigabytes), and 5,000 digits passed ``str.isdigit``
#: but not ``int()``.
MAX_SHARDS = 1000
_SHARD_SPEC = re.compile(r"([1-9][0-9]{0,3})/([1-9][0-9]{0,3})")


def shard_of(text: str) -> tuple[int, int] | None:
    """K and N of ``K/N`` with 1 <= K <= N <= :data:`MAX_SHARDS` (ASCII digits), else None: the
    one reader of the spelling, for ``--shard`` and for ``run.shard`` in the reports merged."""
    match = _SHARD_SPEC.fullmatch(text)
    if match is None:
        return None
    k, n = int(match[1]), int(match[2])
    return (k, n) if k <= n <= MAX_SHARDS else None


def parse_shard(text: str) -> tuple[int, int]:
    """``--shard K/N``; the value is not echoed, as no usage error echoes one (harness.usage)."""
    parsed = shard_of(text)
    if parsed is None:
        raise InputError(f"--shard: must be K/N with 1 <= K <= N <= {MAX_SHARDS}, e.g. 2/4")
    return parsed
