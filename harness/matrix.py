"""Device matrices: explicit lists and cross products, and sharding across CI jobs.

A matrix file (YAML) lists devices the way Firebase Test Lab's ``--device`` does
(``platform=android,model=Pixel 8,version=14``, or the same as a mapping) and/or cross products
(``cross: [{platform: [android], model: [Pixel 7, Pixel 8], version: ["13", "14"]}]``). Every
scenario runs on every matrix device of its platform; the scenario's own device settings (where
Okta Verify is, which EMM) stay, only model and OS version change.

Sharding (``--shard K/N``) deals cases round-robin after a stable sort by case id, so that N jobs
given the same inputs split the run without overlap and with even sizes.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from harness.errors import InputError
from harness.sources import KINDS, parse_spec
from simulator.device import Platform
from simulator.errors import AttestlabError, ConfigError
from simulator.yamlfile import read_yaml_file

_KEYS = {"platform", "model", "version", "os_version", "manufacturer"}
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class MatrixDevice:
    platform: Platform
    model: str | None = None
    os_version: str | None = None
    manufacturer: str | None = None

    @property
    def label(self) -> str:
        return simulated_label(self.platform, self.model, self.os_version)


def simulated_label(platform: Platform, model: str | None, os_version: str | None) -> str:
    """``Pixel 8 · Android 14``; what is left open is left out (``Android``): the simulated phone
    then gets a generated model and version."""
    os_name = "Android" if platform is Platform.ANDROID else "iOS"
    system = f"{os_name} {os_version}" if os_version else os_name
    return f"{model} · {system}" if model else system


@dataclass(frozen=True, slots=True)
class SourceDevice:
    """A real device in the matrix (``run --device SOURCE``): scenarios of its platform run on
    what the source reads, instead of on their simulated device."""

    spec: str
    platform: Platform
    label: str


def source_label(spec: str) -> str:
    """``capture:/a/b/pixel6`` -> ``capture:pixel6``: short, and the same wherever the checkout is."""
    return parse_spec(spec).label


def source_device(spec: str) -> SourceDevice:
    """A ``--device SOURCE``, read now, once, for the whole run (:mod:`harness.snapshots`).

    A capture that cannot be read is bad input and fails the run here; a live device that
    cannot be read makes only its own cases errors (its platform is known from its kind)."""
    from harness import snapshots

    parsed = parse_spec(spec)
    absolute = parsed.resolved()
    snapshot = snapshots.take(absolute)
    known = KINDS[parsed.kind].platform
    if known is not None:
        return SourceDevice(str(absolute), Platform(known), parsed.label)
    if isinstance(snapshot, AttestlabError):
        raise snapshot
    return SourceDevice(str(absolute), snapshot.platform, parsed.label)


#: What a case runs on: the scenario's own device (None), a matrix device, or a real device.
CaseDevice = MatrixDevice | SourceDevice | None


_PAIR_START = re.compile(r",(?=\s*\w+\s*=)")
_VERSION = re.compile(r"\d{1,2}(\.\d{1,2}){0,2}")
#: Major versions a phone of the platform can run: Android 4 (the first with work profiles' ancestor,
#: multi-user) to 16; iOS 9 to 26. A version outside them is a typo or the other platform's.
_MAJORS = {Platform.ANDROID: range(4, 17), Platform.IOS: range(9, 27)}


def _check_version(platform: Platform, version: str, where: str) -> None:
    name = "Android" if platform is Platform.ANDROID else "iOS"
    majors = _MAJORS[platform]
    if not _VERSION.fullmatch(version) or int(version.split(".")[0]) not in majors:
        raise InputError(
            f"{where}: version {version!r} is not an {name} version "
            f"({name} {majors.start} to {majors.stop - 1}, e.g. {'14' if name == 'Android' else '17.6.1'})"
        )


def parse_device_spec(spec: str | dict[str, Any], *, where: str) -> MatrixDevice:
    """``platform=android,model=Pixel 8,version=14`` (or the mapping) -> MatrixDevice."""
    if isinstance(spec, str):
        fields: dict[str, Any] = {}
        # A comma starts a new pair only before ``key=``: model ids such as iPhone15,2 keep theirs.
        for part in filter(None, (p.strip() for p in _PAIR_START.split(spec))):
            key, sep, value = part.partition("=")
            if not sep:
                raise InputError(f"{where}: {part!r} is not key=value")
            fields[key.strip()] = value.strip()
    elif isinstance(spec, dict):
        fields = dict(spec)
    else:
        raise InputError(f"{where}: a device is 'key=value,...' or a mapping")
    unknown = set(fields) - _KEYS
    if unknown:
        raise InputError(
            f"{where}: unknown device key(s) {', '.join(sorted(unknown))} (allowed: {', '.join(sorted(_KEYS))})"
        )
    platform = fields.get("platform")
    if platform not in ("android", "ios"):
        raise InputError(f"{where}: platform must be android or ios, got {platform!r}")
    version = fields.get("version", fields.get("os_version"))
    if version is not None:
        _check_version(Platform(platform), str(version), where)
    return MatrixDevice(
        Platform(platform),
        str(fields["model"]) if "model" in fields else None,
        str(version) if version is not None else None,
        str(fields["manufacturer"]) if "manufacturer" in fields else None,
    )


def load_matrix(path: str | Path) -> list[MatrixDevice]:
    path = Path(path)
    try:
        doc = read_yaml_file(path, what="matrix")
    except ConfigError as exc:
        raise InputError(str(exc)) from None
    data = doc.data
    if not isinstance(data, dict) or not set(data) <= {"devices", "cross"} or not data:
        raise InputError(f"{doc.where(())}: a matrix has 'devices' and/or 'cross'")
    devices = [parse_device_spec(d, where=doc.where(("devices", i))) for i, d in enumerate(data.get("devices") or [])]
    for i, cross in enumerate(data.get("cross") or []):
        where = doc.where(("cross", i))
        if not isinstance(cross, dict):
            raise InputError(f"{where}: a cross product is a mapping of lists")
        keys = list(cross)
        values = [v if isinstance(v, list) else [v] for v in cross.values()]
        devices += [
            parse_device_spec(dict(zip(keys, combo, strict=True)), where=where) for combo in itertools.product(*values)
        ]
    if not devices:
        raise InputError(f"{doc.where(())}: the matrix has no devices")
    return list(dict.fromkeys(devices))


def parse_shard(text: str) -> tuple[int, int]:
    """``K/N`` with 1 <= K <= N."""
    k, sep, n = text.partition("/")
    if not sep or not k.isdigit() or not n.isdigit() or not 1 <= int(k) <= int(n):
        raise InputError(f"--shard {text!r}: expected K/N with 1 <= K <= N, e.g. 2/4")
    return int(k), int(n)


def shard(items: Iterable[T], index: int, total: int, key: Callable[[T], str]) -> list[T]:
    """Shard ``index`` (1-based) of ``total``: deterministic, balanced, and stable.

    Every item prefers the shard its key hashes to; items are placed in hash order, and one that
    finds its shard full goes to the next shard with room. A shard holds ``n // total`` items,
    or one more for the first ``n % total`` shards to need it, so sizes are within one of each
    other. Because placement follows the hash, not a position in a sorted list, a case added
    to the catalog moves only the few cases whose shard overflows (round-robin over sorted ids
    moved three quarters of them), and each CI shard keeps re-running the same cases.
    """
    keyed = sorted((_digest(key(item)), i, item) for i, item in enumerate(items))
    base, extra = divmod(len(keyed), total)
    counts = [0] * total
    mine: list[tuple[int, T]] = []
    for digest, position, item in keyed:
        for step in range(total):
            target = (digest + step) % total
            if counts[target] < base or (counts[target] == base and extra > 0):
                extra -= counts[target] == base
                counts[target] += 1
                break
        if target == index - 1:
            mine.append((position, item))
    return [item for _, item in sorted(mine, key=lambda pair: pair[0])]


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")
