"""Mutation fuzzing of every parser and file loader, seeded with the bundled files.

Hypothesis mutates real inputs (the captures' raw outputs, the catalog's scenarios, the org
files): bytes flipped, inserted, deleted, spans duplicated or cut. Whatever comes out, only the
project's own errors (:class:`simulator.errors.AttestlabError`) may escape, and each input must
finish within the ``deadline`` (time) and without growing memory past a bound. Example counts
are small so the suite stays fast; CI derandomizes Hypothesis (tests/conftest.py).
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.parsers import abx, android_text, ios_plists, restrictions
from harness.scenarios.loader import parse_scenario
from simulator.emm.intune import parse_android_json
from simulator.errors import AttestlabError
from simulator.jsonfile import load_json
from simulator.verifier.orgfile import parse_org_spec
from simulator.yamlfile import load_yaml
from tests.helpers import CAPTURES, CATALOG, ORGS

#: Most memory one input may allocate while it is parsed (inputs are at most a few KB).
MAX_BYTES_ALLOCATED = 64 * 1024 * 1024

FUZZ = settings(
    max_examples=40,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _files(folder: Path, pattern: str) -> list[bytes]:
    return [p.read_bytes() for p in sorted(folder.rglob(pattern)) if p.is_file()]


_KINDS = st.sampled_from(["flip", "insert", "delete", "repeat", "cut"])
_INSERTS = st.sampled_from([b"[", b"{", b"<", b"&", b"*a", b"&a ", b"!!", b"\x00", b"9" * 50])


def mutated(seeds: list[bytes]) -> st.SearchStrategy[bytes]:
    """A seed with one to four mutations. The seed strategy is made once, not in every draw:
    resolving a new ``sampled_from`` of the seeds each example was most of this module's time."""
    return _mutations(st.sampled_from(seeds))


@st.composite
def _mutations(draw: st.DrawFn, seeds: st.SearchStrategy[bytes]) -> bytes:
    data = bytearray(draw(seeds))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(_KINDS)
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(_INSERTS)
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif kind == "repeat":
            span = bytes(data[at : at + draw(st.integers(1, 32))])
            data[at:at] = span * draw(st.integers(2, 64))
        else:
            del data[at:]
    return bytes(data)


def only_our_errors(parse: Callable[[bytes], Any], data: bytes) -> None:
    tracemalloc.start()
    try:
        parse(data)
    except AttestlabError as exc:
        assert "\n" not in str(exc).strip()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < MAX_BYTES_ALLOCATED


def _text(parse: Callable[..., Any]) -> Callable[[bytes], Any]:
    return lambda data: parse(data.decode("utf-8", "surrogateescape"), name="fuzz")


ANDROID_TEXT = _files(CAPTURES / "android", "*.txt")
RESTRICTION_FILES = _files(CAPTURES / "android", "*.xml")  # text XML and ABX
PLISTS = _files(CAPTURES / "ios", "*.plist")

PARSERS: dict[str, tuple[Callable[[bytes], Any], list[bytes]]] = {
    "getprop": (_text(android_text.parse_getprop), ANDROID_TEXT),
    "pm-list-users": (_text(android_text.parse_users), ANDROID_TEXT),
    "pm-list-packages": (_text(android_text.parse_packages), ANDROID_TEXT),
    "dumpsys-device-policy": (_text(android_text.parse_device_policy), ANDROID_TEXT),
    "testdpc": (
        _text(lambda t, name: android_text.parse_testdpc_restrictions(t, package="com.okta.android.auth", name=name)),
        ANDROID_TEXT,
    ),
    "restrictions": (lambda d: restrictions.parse_restrictions(d, name="fuzz"), RESTRICTION_FILES),
    "abx": (lambda d: abx.decode(d, name="fuzz"), RESTRICTION_FILES),
    "lockdown": (lambda d: ios_plists.parse_lockdown_values(d, name="fuzz"), PLISTS),
    "installed-apps": (lambda d: ios_plists.parse_installed_apps(d, name="fuzz"), PLISTS),
    "profile-list": (lambda d: ios_plists.parse_profile_list(d, name="fuzz"), PLISTS),
    "mdm-profile-list": (lambda d: ios_plists.parse_mdm_profile_list(d, name="fuzz"), PLISTS),
    "managed-apps": (lambda d: ios_plists.parse_managed_application_list(d, name="fuzz"), PLISTS),
    "managed-config": (lambda d: ios_plists.parse_managed_application_configuration(d, name="fuzz"), PLISTS),
    "intune-ios-xml": (lambda d: ios_plists.parse_intune_ios_xml(d, name="fuzz"), PLISTS),
    "capture-json": (lambda d: load_json(d, name="fuzz", error=AttestlabError), _files(CAPTURES, "capture.json")),
}


@pytest.mark.parametrize("parser", sorted(PARSERS))
def test_parsers_raise_only_our_errors(parser: str) -> None:
    parse, seeds = PARSERS[parser]
    assert seeds, parser

    @FUZZ
    @given(mutated(seeds))
    def check(data: bytes) -> None:
        only_our_errors(parse, data)

    check()


SCENARIOS = sorted(CATALOG.rglob("*.yaml"))


def _scenario(data: bytes) -> Any:
    path = SCENARIOS[len(data) % len(SCENARIOS)]  # org paths resolve beside a real scenario
    return parse_scenario(load_yaml(data.decode("utf-8", "surrogateescape"), name="fuzz"), path)


def _org(data: bytes) -> Any:
    doc = load_yaml(data.decode("utf-8", "surrogateescape"), name="fuzz")
    return parse_org_spec(doc.data, doc)


LOADERS: dict[str, tuple[Callable[[bytes], Any], list[bytes]]] = {
    "scenario": (_scenario, [p.read_bytes() for p in SCENARIOS]),
    "org-file": (_org, _files(ORGS, "*.yaml")),
    "config-json": (
        lambda d: parse_android_json(d.decode("utf-8", "surrogateescape"), name="fuzz"),
        [
            b'{"kind": "androidenterprise#managedConfiguration", "managedProperty": '
            b'[{"key": "managementHint", "valueString": "x"}, {"key": "b", "valueBundle": {"c": [1, 2]}}]}'
        ],
    ),
}


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_file_loaders_raise_only_our_errors(loader: str) -> None:
    load, seeds = LOADERS[loader]

    @FUZZ
    @given(mutated(seeds))
    def check(data: bytes) -> None:
        only_our_errors(load, data)

    check()
