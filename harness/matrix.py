"""Device matrices: explicit lists, cross products, include / exclude rules, live sources and the
scenarios they run; and sharding across CI jobs.

A matrix file (YAML, docs/cli.md "Matrix file") lists devices the way Firebase Test Lab's
``--device`` does (``platform=android,model=Pixel 8,version=14``, or the same as a mapping),
cross products (``cross: [{platform: android, model: [Pixel 7, Pixel 8], emm: [intune,
workspace_one]}]``), ``exclude`` rules that remove the devices matching all their keys and
``include`` devices added after them (GitHub Actions' order), real devices (``- source:
adb-server:emulator-5554``) and a ``scenarios:`` selection by path glob and tag.

A matrix device's ``emm`` and ``okta_verify`` do not change a scenario: its expectations were
written for its own EMM and Okta Verify placement, so they *select* which scenarios run on the
device (:func:`harness.cases.runs_on`); model, OS version and manufacturer are what a matrix
varies. Every spelling of a SOURCE is the registry's (:func:`harness.sources.parse_spec`),
imported where a SOURCE is parsed: a run of simulated devices never imports it.

Sharding (``--shard K/N``) places cases by a hash of their id (:func:`shard`), so that N jobs
given the same inputs split the run without overlap and with even sizes.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from harness.errors import InputError
from harness.placements import ANDROID_PLACEMENTS, IOS_PLACEMENTS, PROVIDERS
from simulator.device import Platform
from simulator.errors import AttestlabError, ConfigError
from simulator.yamlfile import YamlDoc, read_yaml_file

if TYPE_CHECKING:
    from harness.select import ScenarioFilter

#: A device's keys (``os_version`` is ``version``'s long name) and the keys of a real device.
DEVICE_KEYS = ("platform", "model", "version", "os_version", "manufacturer", "emm", "okta_verify")
SOURCE_KEYS = ("source", "emm", "okta_verify")
#: The top-level keys of a matrix file (also how a matrix file is told from a scenario).
MATRIX_KEYS = frozenset({"devices", "cross", "exclude", "include", "scenarios"})
_SCENARIO_KEYS = ("paths", "tags")
PLACEMENTS = {Platform.ANDROID: ANDROID_PLACEMENTS, Platform.IOS: IOS_PLACEMENTS}
T = TypeVar("T")


def setup_label(emm: str | None, okta_verify: str | None) -> str:
    """`` · intune · Okta Verify work``: the EMM and placement a matrix device selects, in its
    label (and so its case ids) only when given, so matrices without them keep their ids."""
    parts = [
        ("no EMM" if emm == "none" else emm) if emm else None,
        f"Okta Verify {okta_verify}" if okta_verify else None,
    ]
    return "".join(f" · {part}" for part in parts if part)


@dataclass(frozen=True, slots=True)
class MatrixDevice:
    """A simulated device of the matrix; ``emm`` / ``okta_verify`` (None: any) choose the
    scenarios it runs."""

    platform: Platform
    model: str | None = None
    os_version: str | None = None
    manufacturer: str | None = None
    emm: str | None = None
    okta_verify: str | None = None

    @property
    def label(self) -> str:
        return simulated_label(self.platform, self.model, self.os_version) + setup_label(self.emm, self.okta_verify)


def simulated_label(platform: Platform, model: str | None, os_version: str | None) -> str:
    """``Pixel 8 · Android 14``; what is left open is left out (``Android``): the simulated phone
    then gets a generated model and version."""
    os_name = "Android" if platform is Platform.ANDROID else "iOS"
    system = f"{os_name} {os_version}" if os_version else os_name
    return f"{model} · {system}" if model else system


@dataclass(frozen=True, slots=True)
class SourceDevice:
    """A real device (``run --device SOURCE``, or ``source:`` in a matrix): scenarios of its
    platform run on what the source reads, instead of on their simulated device. ``emm`` and
    ``okta_verify`` say what the phone has, when the matrix says it: only scenarios written for
    that run on it. ``absent`` is why a live device could not be read (the pytest plugin skips
    its items with it)."""

    spec: str
    platform: Platform
    label: str
    emm: str | None = None
    okta_verify: str | None = None
    absent: str | None = None


@dataclass(frozen=True, slots=True)
class MatrixSource:
    """A ``source:`` entry of a matrix file, not read yet: ``spec`` with a capture directory made
    absolute against the matrix file's folder, ``where`` its ``file:line``."""

    spec: str
    where: str
    emm: str | None = None
    okta_verify: str | None = None


def source_label(spec: str) -> str:
    """``capture:/a/b/pixel6`` -> ``capture:pixel6``: short, and the same wherever the checkout is."""
    from harness.sources import parse_spec

    return parse_spec(spec).label


def source_device(spec: str, *, emm: str | None = None, okta_verify: str | None = None) -> SourceDevice:
    """A real device, read now, once, for the whole run (:mod:`harness.snapshots`).

    A capture that cannot be read is bad input and fails the run here; a live device that
    cannot be read makes only its own cases errors (its platform is known from its kind)."""
    from harness import snapshots
    from harness.sources import KINDS, parse_spec

    parsed = parse_spec(spec)
    absolute = parsed.resolved()
    snapshot = snapshots.take(absolute)
    known = KINDS[parsed.kind].platform
    if known is not None:
        return SourceDevice(str(absolute), Platform(known), parsed.label, emm, okta_verify)
    if isinstance(snapshot, AttestlabError):
        raise snapshot
    return SourceDevice(str(absolute), snapshot.platform, parsed.label, emm, okta_verify)


@dataclass(frozen=True, slots=True)
class Matrix:
    """A loaded matrix file: its devices in file order (simulated ones, and real ones still to
    read) and its scenario selection."""

    entries: tuple[MatrixDevice | MatrixSource, ...]
    scenarios: ScenarioFilter | None = None

    def read(self) -> list[MatrixDevice | SourceDevice]:
        """The devices, real ones read now (:func:`source_device`); a capture that cannot be
        read is an InputError naming the matrix line."""
        devices: list[MatrixDevice | SourceDevice] = []
        for entry in self.entries:
            if isinstance(entry, MatrixDevice):
                devices.append(entry)
                continue
            try:
                devices.append(source_device(entry.spec, emm=entry.emm, okta_verify=entry.okta_verify))
            except AttestlabError as exc:
                raise InputError(f"{entry.where}: {exc}") from None
        return list(dict.fromkeys(devices))


#: What a case runs on: the scenario's own device (None), a matrix device, or a real device.
CaseDevice = MatrixDevice | SourceDevice | None


_PAIR_START = re.compile(r",(?=\s*\w+\s*=)")
_VERSION = re.compile(r"\d{1,2}(\.\d{1,2}){0,2}")
#: Major versions a phone of the platform can run: Android 4 (the first with work profiles' ancestor,
#: multi-user) to 16; iOS 9 to 26. A version outside them is a typo or the other platform's.
_MAJORS = {Platform.ANDROID: range(4, 17), Platform.IOS: range(9, 27)}


def _os_name(platform: Platform) -> str:
    return "Android" if platform is Platform.ANDROID else "iOS"


def _version_problem(platform: Platform, version: str) -> str | None:
    name, majors = _os_name(platform), _MAJORS[platform]
    if _VERSION.fullmatch(version) and int(version.split(".")[0]) in majors:
        return None
    example = "14" if platform is Platform.ANDROID else "17.6.1"
    return f"version {version!r} is not an {name} version ({name} {majors.start} to {majors.stop - 1}, e.g. {example})"


def _check_value(key: str, value: str, platform: Platform | None, where: str) -> None:
    """A value that no device (of ``platform``, or of either platform when None) can have is an
    InputError naming ``where`` and what is allowed."""
    platforms = [platform] if platform is not None else list(Platform)
    problem: str | None = None
    if key == "platform" and value not in ("android", "ios"):
        problem = f"platform must be android or ios, got {value!r}"
    elif key == "version":
        problems = [_version_problem(p, value) for p in platforms]
        problem = problems[0] if all(problems) else None
    elif key == "emm" and value not in PROVIDERS:
        problem = f"emm {value!r} is not an EMM (allowed: {', '.join(PROVIDERS)})"
    elif key == "okta_verify":
        allowed = list(dict.fromkeys(v for p in platforms for v in PLACEMENTS[p]))
        if value not in allowed:
            on = f" on {_os_name(platform)}" if platform is not None else ""
            problem = f"okta_verify {value!r} is not a placement of Okta Verify{on} (allowed: {', '.join(allowed)})"
    if problem:
        raise InputError(f"{where}: {problem}")


def _fields(spec: str | dict[str, Any], *, where: str, keys: Iterable[str] = DEVICE_KEYS) -> dict[str, str]:
    """A device's ``key=value,...`` or mapping as strings, ``os_version`` as ``version``;
    an unknown key is an InputError."""
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
    allowed = tuple(keys)
    unknown = sorted(str(k) for k in set(fields) - set(allowed))
    if unknown:
        raise InputError(f"{where}: unknown device key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")
    if "os_version" in fields:
        fields.setdefault("version", fields.pop("os_version"))
    return {key: str(value) for key, value in fields.items() if value is not None}


def _device(fields: dict[str, str], where: str) -> MatrixDevice:
    platform = fields.get("platform")
    if platform not in ("android", "ios"):
        raise InputError(f"{where}: platform must be android or ios, got {platform!r}")
    for key in ("version", "emm", "okta_verify"):
        if key in fields:
            _check_value(key, fields[key], Platform(platform), where)
    return MatrixDevice(
        Platform(platform),
        fields.get("model"),
        fields.get("version"),
        fields.get("manufacturer"),
        fields.get("emm"),
        fields.get("okta_verify"),
    )


def parse_device_spec(spec: str | dict[str, Any], *, where: str) -> MatrixDevice:
    """``platform=android,model=Pixel 8,version=14`` (or the mapping) -> MatrixDevice."""
    return _device(_fields(spec, where=where), where)


def _source(spec: dict[str, Any], where: str, base: Path) -> MatrixSource:
    """``{source: adb-server:emulator-5554, emm: intune}``: the registry checks the spelling."""
    from harness.sources import KINDS, parse_spec

    fields = _fields(spec, where=where, keys=SOURCE_KEYS)
    try:
        parsed = parse_spec(fields["source"]).resolved(base)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    known = KINDS[parsed.kind].platform
    for key in ("emm", "okta_verify"):
        if key in fields:
            _check_value(key, fields[key], Platform(known) if known else None, where)
    return MatrixSource(str(parsed), where, fields.get("emm"), fields.get("okta_verify"))


def _entries(doc: YamlDoc, key: str, base: Path) -> list[tuple[str, dict[str, str] | MatrixSource]]:
    """The ``devices`` or ``include`` list: each a device's fields, or a real device."""
    items = doc.data.get(key) or []
    if not isinstance(items, list):
        raise InputError(f"{doc.where((key,))}: {key} is a list of devices")
    found: list[tuple[str, dict[str, str] | MatrixSource]] = []
    for i, item in enumerate(items):
        where = doc.where((key, i))
        if isinstance(item, dict) and "source" in item:
            found.append((where, _source(item, where, base)))
        else:
            found.append((where, _fields(item, where=where)))
    return found


def _mappings(doc: YamlDoc, key: str, what: str) -> Iterator[tuple[str, dict[Any, Any]]]:
    """The mappings listed under ``key`` (cross products, exclude rules) with their
    ``file:line``, their keys checked."""
    items = doc.data.get(key) or []
    if not isinstance(items, list):
        raise InputError(f"{doc.where((key,))}: {key} is a list of {what}s")
    for i, item in enumerate(items):
        where = doc.where((key, i))
        if not isinstance(item, dict) or not item:
            raise InputError(f"{where}: a {what} is a mapping of device keys")
        _fields({k: None for k in item}, where=where)
        yield where, item


def _crosses(doc: YamlDoc) -> list[tuple[str, dict[str, str]]]:
    """Every combination of every cross product, as device fields (checked later: an exclude
    may remove the combinations that cannot exist)."""
    found = []
    for where, cross in _mappings(doc, "cross", "cross product"):
        keys = ["version" if k == "os_version" else str(k) for k in cross]
        values = [v if isinstance(v, list) else [v] for v in cross.values()]
        for combo in itertools.product(*values):
            found.append((where, {k: str(v) for k, v in zip(keys, combo, strict=True) if v is not None}))
    return found


@dataclass(frozen=True, slots=True)
class _Rule:
    """An ``exclude`` entry: every key given must match (a list: any of its values)."""

    where: str
    values: dict[str, frozenset[str]]

    def matches(self, fields: dict[str, str]) -> bool:
        return all(fields.get(key) in allowed for key, allowed in self.values.items())


def _rules(doc: YamlDoc) -> list[_Rule]:
    found = []
    for where, rule in _mappings(doc, "exclude", "exclude rule"):
        values: dict[str, frozenset[str]] = {}
        for key, value in rule.items():
            key = "version" if key == "os_version" else str(key)
            listed = {str(v) for v in (value if isinstance(value, list) else [value])}
            for one in listed:  # of either platform: a rule may remove what one cannot have
                _check_value(key, one, None, where)
            values[key] = frozenset(listed)
        found.append(_Rule(where, values))
    return found


def _scenarios(doc: YamlDoc) -> ScenarioFilter | None:
    from harness.select import ScenarioFilter

    section = doc.data.get("scenarios")
    if section is None:
        return None
    where = doc.where(("scenarios",))
    if not isinstance(section, dict) or not section:
        raise InputError(f"{where}: scenarios is a mapping with paths and/or tags")
    unknown = sorted(str(k) for k in set(section) - set(_SCENARIO_KEYS))
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(unknown)} in scenarios (allowed: paths, tags)")
    lists: dict[str, tuple[str, ...]] = {}
    for key in _SCENARIO_KEYS:
        value = section.get(key, [])
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise InputError(f"{doc.where(('scenarios', key))}: scenarios.{key} is a list of non-empty strings")
        lists[key] = tuple(value)
    return ScenarioFilter(lists["paths"], lists["tags"])


def load_matrix(path: str | Path) -> Matrix:
    """Read a matrix file: ``devices`` and ``cross`` products, less the ``exclude`` matches,
    plus ``include``; a problem is an InputError naming the file and line."""
    path = Path(path)
    try:
        doc = read_yaml_file(path, what="matrix")
    except ConfigError as exc:
        raise InputError(str(exc)) from None
    data = doc.data
    if not isinstance(data, dict) or not data or not set(data) <= MATRIX_KEYS:
        unknown = sorted(str(k) for k in set(data) - MATRIX_KEYS) if isinstance(data, dict) else []
        extra = f" (unknown: {', '.join(unknown)})" if unknown else ""
        raise InputError(f"{doc.where(())}: a matrix has {', '.join(sorted(MATRIX_KEYS))}{extra}")
    base = path.parent
    candidates = [*_entries(doc, "devices", base), *_crosses(doc)]
    rules = _rules(doc)
    kept = [
        (where, entry)
        for where, entry in candidates
        if isinstance(entry, MatrixSource) or not any(r.matches(entry) for r in rules)
    ]
    for rule in rules:
        if not any(not isinstance(e, MatrixSource) and rule.matches(e) for _, e in candidates):
            raise InputError(f"{rule.where}: exclude matches no device of the matrix")
    kept += _entries(doc, "include", base)
    entries = [entry if isinstance(entry, MatrixSource) else _device(entry, where) for where, entry in kept]
    if not entries:
        raise InputError(f"{doc.where(())}: the matrix has no devices")
    return Matrix(tuple(dict.fromkeys(entries)), _scenarios(doc))


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
