"""Malformed scenario files: each is one InputError that starts with ``<file>:<line>:``.

The line is where the problem is (the YAML node's position), the message names the field and,
for a closed set, the allowed values, so that a QA engineer can fix the file without reading
attestlab's source (docs/scenarios.md, "Errors").
"""

from __future__ import annotations

import functools
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import runner
from harness.errors import InputError
from harness.results import CaseOutcome
from harness.scenarios import load_scenario
from harness.scenarios.loader import parse_scenario
from harness.scenarios.model import ACTIONS
from simulator.errors import AttestlabError
from simulator.verdict import Reason
from simulator.verifier.orgfile import parse_org_spec
from simulator.yamlfile import YamlDoc, read_yaml_file
from tests.helpers import ROOT, attestlab, catalog_secrets, managed_scenario, one_line

ORG = Path(__file__).resolve().parent.parent / "fixtures" / "orgs" / "standard.yaml"

GOOD = managed_scenario("good", "org.yaml")
PLATFORM = "  platform: android\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copy(ORG, tmp_path / "org.yaml")
    return tmp_path


def _write(folder: Path, text: str, name: str = "case.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _error(path: Path) -> str:
    return one_line(InputError, lambda: load_scenario(path))


def test_the_base_scenario_loads(folder: Path) -> None:
    """The malformed cases below are each one edit away from this valid file."""
    scenario = load_scenario(_write(folder, GOOD))
    assert scenario.name == "good"
    assert [s.action for s in scenario.steps] == ["sign_in"]


@pytest.mark.parametrize(
    ("text", "needle", "word"),
    [
        # bad indentation, tab indentation, duplicate key: each reported at its own line
        (GOOD.replace(PLATFORM, PLATFORM + " model: x\n"), " model: x", "invalid YAML"),
        (GOOD.replace(PLATFORM, "\tplatform: android\n"), "\tplatform", "invalid YAML"),
        (GOOD.replace(PLATFORM, PLATFORM + "  platform: ios\n"), "platform: ios", "duplicate key 'platform'"),
    ],
    ids=["indentation", "tab", "duplicate-key"],
)
def test_bad_yaml(folder: Path, text: str, needle: str, word: str) -> None:
    path = _write(folder, text)
    message = _error(path)
    assert message.startswith(f"{path}:{_line_of(text, needle)}: ")
    assert word in message


def test_unknown_step_lists_the_steps(folder: Path) -> None:
    text = GOOD + "  - reboot:\n"
    path = _write(folder, text)
    message = _error(path)
    assert message.startswith(f"{path}:{_line_of(text, 'reboot')}: steps.1: unknown step 'reboot'")
    assert all(action in message for action in ACTIONS)


def test_unknown_reason_lists_the_reasons(folder: Path) -> None:
    text = GOOD.replace("reason: managed", "reason: key_missing")
    path = _write(folder, text)
    message = _error(path)
    assert message.startswith(f"{path}:{_line_of(text, 'key_missing')}: steps.0.expect.reason: 'key_missing'")
    assert all(reason.value in message for reason in Reason)


def test_unknown_finding_lists_the_findings(folder: Path) -> None:
    text = GOOD.replace("reason: managed}", "reason: managed, findings: [hint_typo]}")
    path = _write(folder, text)
    message = _error(path)
    assert message.startswith(f"{path}:{_line_of(text, 'hint_typo')}: steps.0.expect.findings.0: 'hint_typo'")
    assert "hint_key_case" in message and "status_stale_until_signin" in message


def test_unknown_field_lists_the_fields(folder: Path) -> None:
    text = GOOD.replace(PLATFORM, PLATFORM + "  colour: blue\n")
    path = _write(folder, text)
    message = _error(path)
    assert message.startswith(f"{path}:{_line_of(text, 'colour')}: device: unknown field 'colour' (allowed: ")
    assert "okta_verify" in message and "secure_folder" in message


def test_unknown_expectation_value_lists_the_choices(folder: Path) -> None:
    text = GOOD.replace("decision: managed", "decision: trusted")
    path = _write(folder, text)
    message = _error(path)
    assert message.startswith(f"{path}:{_line_of(text, 'trusted')}: steps.0.expect.decision: 'trusted' is not one of: ")
    assert "not_managed" in message and "error" in message


def test_missing_org(folder: Path) -> None:
    path = _write(folder, GOOD.replace("org: org.yaml\n", ""))
    message = _error(path)
    assert message.startswith(f"{path}:1: ")
    assert "missing required field 'org'" in message


def test_org_file_not_found(folder: Path) -> None:
    text = GOOD.replace("org: org.yaml", "org: ../orgs/nowhere.yaml")
    path = _write(folder, text)
    message = _error(path)
    assert message.startswith(f"{path}:{_line_of(text, 'nowhere')}: org: ")
    assert "'../orgs/nowhere.yaml' not found" in message


def test_secret_of_an_unknown_configuration(folder: Path) -> None:
    text = GOOD.replace("${secret:intune-android}", "${secret:intune-ios}")
    path = _write(folder, text)
    message = _error(path)
    assert message.startswith(f"{path}:{_line_of(text, 'secret:intune-ios')}: device.emm.config: ")
    assert "no configuration named 'intune-ios'" in message
    assert "(have: intune-android, ws1-ios)" in message


def test_secret_of_a_hash_only_configuration(folder: Path) -> None:
    inline = (
        "org:\n"
        "  org_url: https://acme.okta.com\n"
        "  endpoint_management:\n"
        "    - {name: h, platform: android, provider: P, enrollment_link: 'https://e.example/',\n"
        f"       secret_sha256: {'ab' * 32}}}\n"
    )
    text = GOOD.replace("org: org.yaml\n", inline).replace("${secret:intune-android}", "${secret:h}")
    path = _write(folder, text)
    message = _error(path)
    assert "device.emm.config: ${secret:h}: the org gives only secret_sha256 for 'h'" in message


def test_secret_added_by_a_step_is_known(folder: Path) -> None:
    """``${secret:NAME}`` may name a configuration an add_platform step creates."""
    text = GOOD + (
        "  - add_platform: {name: new, platform: android, provider: P, enrollment_link: 'https://e.example/'}\n"
        "  - emm_push: {config: {managementHint: '${secret:new}'}}\n"
    )
    assert len(load_scenario(_write(folder, text)).steps) == 3


def test_expectation_on_a_step_that_judges_nothing(folder: Path) -> None:
    text = GOOD + "  - reset_secret: intune-android\n    expect: {decision: managed}\n"
    path = _write(folder, text)
    message = _error(path)
    assert message.startswith(f"{path}:{_line_of(text, 'expect: {decision: managed}')}: steps.1.expect: ")
    assert "only sign_in and check_inventory" in message


def test_wrong_type(folder: Path) -> None:
    text = GOOD.replace(PLATFORM, PLATFORM + "  enrolled: maybe\n")
    path = _write(folder, text)
    message = _error(path)
    line = _line_of(text, "enrolled")
    assert message.startswith(f"{path}:{line}: device.enrolled: expected true or false, got a string")


def test_unknown_attack_lists_the_attacks(folder: Path) -> None:
    text = GOOD.replace("  - sign_in:\n", "  - sign_in: {attack: brute_force}\n")
    path = _write(folder, text)
    message = _error(path)
    assert message.startswith(f"{path}:{_line_of(text, 'brute_force')}: steps.0.sign_in.attack: 'brute_force'")
    assert "replay" in message and "hs256_public_key" in message


def test_hostile_config_xml_is_refused(folder: Path) -> None:
    """config_xml is parsed with defusedxml: a DTD (entity expansion) is an input error, not a hang."""
    xml = '<!DOCTYPE d [<!ENTITY a "aaaa">]><dict><key>managementHint</key><string>&a;</string></dict>'
    text = GOOD.replace("platform: android", "platform: ios").replace(
        "    config:\n      managementHint: ${secret:intune-android}\n", f"    config_xml: '{xml}'\n"
    )
    path = _write(folder, text)
    message = _error(path)
    assert message == f"{path}:{_line_of(text, 'config_xml')}: XML entity declarations are refused"


def test_broken_file_alone_raises_and_among_others_is_an_error_case(folder: Path) -> None:
    """docs/scenarios.md, "Errors": exit 2 when it is the only file, an error case otherwise."""
    good = _write(folder, GOOD, "a-good.yaml")
    bad = _write(folder, GOOD + "  - reboot:\n", "b-bad.yaml")
    with pytest.raises(InputError, match=rf"^{re.escape(str(bad))}:\d+: steps\.1: unknown step"):
        runner.plan(runner.collect([bad]))
    plan = runner.plan(runner.collect([good, bad]))
    assert [s.name for s in plan.scenarios] == ["good"]
    (error,) = plan.load_errors
    assert error.outcome is CaseOutcome.ERROR
    assert error.message.startswith(f"{bad}:")


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("  - sign_in:\n", "  - sign_in: {private_browsing: maybe}\n", "private_browsing"),
        (PLATFORM, PLATFORM + "  key_algorithm: HS256\n", "RS256, ES256"),
        (PLATFORM, "  platform: ios\n  key_algorithm: RS256\n", "only Android"),
        ("  - sign_in:\n", "  - delete_device: {now: true}\n  - sign_in:\n", "delete_device"),
    ],
)
def test_channel_and_key_settings_are_checked(folder: Path, old: str, new: str, needle: str) -> None:
    text = GOOD.replace(old, new, 1)
    message = _error(_write(folder, text))
    assert needle in message


def test_channel_and_key_settings_load(folder: Path) -> None:
    text = GOOD.replace(PLATFORM, PLATFORM + "  key_algorithm: ES256\n").replace(
        "  - sign_in:\n", "  - delete_device\n  - reenroll_okta_verify\n  - sign_in: {private_browsing: true}\n"
    )
    scenario = load_scenario(_write(folder, text))
    assert scenario.device.key_algorithm == "ES256"
    assert [s.action for s in scenario.steps] == ["delete_device", "reenroll_okta_verify", "sign_in"]
    assert scenario.steps[-1].args == {"private_browsing": True}


# -- hostile YAML through the command, and one bad file among several -------------------------


def _laughs(path: Path) -> Path:
    lines = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "args",
    [
        ("run", "{f}"),
        ("run", "--org", "{f}", str(ROOT / "scenarios" / "android")),
        ("run", "--matrix", "{f}"),
        ("inspect", str(ROOT / "fixtures" / "captures" / "android" / "pixel6-android12-intune-abx"), "--org", "{f}"),
    ],
    ids=["run", "org", "matrix", "inspect-org"],
)
def test_nested_aliases_are_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    laughs = _laughs(tmp_path / "laughs.yaml")
    argv = [a.format(f=laughs) for a in args]
    if argv[0] == "inspect":
        argv[1] = "capture:" + argv[1]
    result = attestlab(*argv)
    assert result.code == 2, result
    assert result.err.count("\n") == 1 and str(laughs) in result.err
    assert "more than 50000 values" in result.err and "Traceback" not in result.err


HOSTILE = {
    "deep.yaml": "name: deep\nx: " + "[" * 500 + "]" * 500 + "\n",
    "bigint.yaml": GOOD.replace("name: good", "name: " + "9" * 5000),
    "tagged.yaml": GOOD.replace("steps:", "steps: !!python/object/apply:os.system"),
    "time.yaml": GOOD.replace("name: good", "name: bad-time\ndescription: 2026-01-05T25:00:00Z"),
    "org-path.yaml": GOOD.replace("org: org.yaml", "org: " + "o" * 300 + ".yaml"),
    "json.yaml": GOOD.replace(
        "    config:\n      managementHint: ${secret:intune-android}\n",
        "    config_json: '" + "[" * 3000 + "]" * 3000 + "'\n",
    ),
}


def test_hostile_files_are_error_cases_among_the_others(folder: Path) -> None:
    _write(folder, GOOD, "good.yaml")
    for name, text in HOSTILE.items():
        _write(folder, text, name)
    (folder / "org.yaml").rename(folder / "org.yml.keep")
    shutil.copy(folder / "org.yml.keep", folder / "org.yaml.txt")
    org = folder / "org.yaml.txt"
    good = folder / "good.yaml"
    good.write_text(GOOD.replace("org: org.yaml", f"org: {org.name}"), encoding="utf-8")
    for name in HOSTILE:
        path = folder / name
        path.write_text(path.read_text().replace("org: org.yaml", f"org: {org.name}"), encoding="utf-8")
    report = folder / "out" / "report.json"
    result = attestlab("run", *sorted(folder.glob("*.yaml")), "--json", report, "--seed", "1")
    assert result.code == 1, result
    cases = {c["scenario"]: c for c in json.loads(report.read_text())["cases"]}
    assert cases["good"]["outcome"] == "passed"
    errors = {c["id"]: c["message"] for c in cases.values() if c["outcome"] == "error"}
    assert len(errors) == len(HOSTILE), errors
    for message in errors.values():
        assert "\n" not in message and "Error" not in message and "Traceback" not in message
    words = " ".join(errors.values())
    for expected in (
        "nested deeper than 64 levels",
        "an integer of more than 100 characters",
        "tag not allowed",
        "not a valid date and time",
        "org file: file name too long",
    ):
        assert expected in words


# -- secrets in loader messages and reprs ------------------------------------------------------

SECRET = "3zr7Q~vw4C16FS2bH8UfS1gJ5cL6sj~x_U9PQ"


def _plantings(data: object, secret: str, path: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    """Every place a secret can be typed: each value, and a key beside each mapping's keys."""
    yield path
    if isinstance(data, dict):
        yield (*path, ("key",))
        for key, value in data.items():
            yield from _plantings(value, secret, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _plantings(value, secret, (*path, index))


def _planted(data: object, where: tuple[object, ...], secret: str) -> object:
    if not where:
        return secret
    head, rest = where[0], where[1:]
    if head == ("key",):
        assert isinstance(data, dict)
        return {**data, secret: "x"}
    assert isinstance(data, dict | list)
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[head] = _planted(data[head], rest, secret)  # type: ignore[index,call-overload]
    return copy


@functools.cache
def _catalog_files() -> tuple[YamlDoc, ...]:
    """The catalog's scenario and org files as the YAML reader gives them, read once for both
    planted secrets."""
    scenarios = sorted((ROOT / "scenarios").rglob("*.yaml"))
    orgs = sorted((ROOT / "fixtures" / "orgs").glob("*.yaml"))
    return tuple(read_yaml_file(path, what="catalog file") for path in scenarios + orgs)


@functools.cache
def _loader_messages(secret: str) -> list[str]:
    """Every loader error of the catalog's files with ``secret`` planted in one field at a time.

    The planted document goes to the loader as the YAML reader's own document type, with the
    file's line map: a planted string is nothing the reader itself checks (tags, aliases,
    integer sizes and dates are what it refuses), and re-reading ~3,000 documents through it was
    half of this scan's CPU. The JSON round trip gives the planted values the types a YAML file
    would (a date as text, as before)."""
    messages = []
    for original in _catalog_files():
        path = Path(original.name)
        for where in _plantings(original.data, secret):
            data = json.loads(json.dumps(_planted(original.data, where, secret), default=str))
            doc = YamlDoc(original.name, data, original.lines)
            try:
                if path.is_relative_to(ROOT / "scenarios"):
                    parse_scenario(doc, path)
                else:
                    parse_org_spec(doc.data, doc)
            except AttestlabError as exc:
                messages.append(str(exc))
    return messages


@pytest.mark.parametrize("secret", [SECRET, catalog_secrets()[-1]], ids=["example", "catalog"])
def test_no_loader_error_echoes_a_secret_planted_in_any_field(secret: str) -> None:
    messages = _loader_messages(secret)
    assert len(messages) > 500  # the planting reached many fields, and most are errors
    leaks = [m for m in messages if secret in m or secret[:10] in m]
    assert not leaks, leaks[:3]


def test_the_planting_scan_can_fail() -> None:
    """A message that quotes the value is caught by the scan above (the old ``{value!r}``)."""
    assert SECRET in f"no configuration named {SECRET!r}"
    assert any("'3z…(37)'" in m for m in _loader_messages(SECRET))


def test_reprs_redact_secrets_and_configurations(folder: Path) -> None:
    text = GOOD.replace(
        "steps:\n",
        f"steps:\n  - add_platform: {{name: extra, platform: ios, provider: X, "
        f"enrollment_link: 'https://x.example/', secret: '{SECRET}'}}\n"
        f"  - emm_push: {{config: {{managementHint: 'Literal~Key42'}}}}\n",
    ).replace("${secret:intune-android}", "Typed~Hint99")
    scenario = load_scenario(_write(folder, text))
    shown = repr(scenario) + repr(scenario.steps) + repr(scenario.device)
    for value in (SECRET, "Literal~Key42", "Typed~Hint99"):
        assert value not in shown
    assert "add_platform" in shown and "Secret(3z…(37))" in shown


#: The sample errors of docs/scenarios.md, "Errors", each from one edit of GOOD (in that order).
DOCUMENTED_ERRORS = {
    "unknown step": GOOD + "  - reboot:\n",
    "not one of": GOOD.replace("reason: managed}", "reason: key_missing}"),
    "unknown field": GOOD.replace(PLATFORM, PLATFORM + "  colour: blue\n"),
    "wrong type": GOOD.replace(PLATFORM, PLATFORM + "  enrolled: maybe\n"),
    "missing field": GOOD.replace("org: org.yaml\n", ""),
    "no org file": GOOD.replace("org: org.yaml", "org: nowhere.yaml"),
    "unknown secret": GOOD.replace("${secret:intune-android}", "${secret:nope}"),
    "unknown configuration": GOOD + "  - reset_secret: intune-androd\n",
    "bad YAML": GOOD.replace(PLATFORM, PLATFORM + "   model: x\n"),
}


def test_the_sample_errors_in_the_docs_are_the_loaders_own(tmp_path: Path) -> None:
    """docs/scenarios.md shows what a user sees; it drifted once (``device.colour: unknown
    field``, ``source: not read yet``), so the block is compared with the real messages."""
    text = (ROOT / "docs" / "scenarios.md").read_text()
    block = text[text.index("## Errors") :].split("```\n")[1]
    (tmp_path / "scenarios").mkdir()
    shutil.copy(ORG, tmp_path / "scenarios" / "org.yaml")
    said = []
    for scenario in DOCUMENTED_ERRORS.values():
        (tmp_path / "scenarios" / "x.yaml").write_text(scenario)
        result = attestlab("run", "scenarios/x.yaml", cwd=tmp_path)
        assert result.code == 2
        said.append(result.err.removeprefix("attestlab: error: ").rstrip("\n"))
    assert block.splitlines() == said
