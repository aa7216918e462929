"""``attestlab org add-platform``: the configuration it adds is one the org accepts, the file keeps
what the admin wrote, the key is never shown, and bad input is one line with exit 2."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from simulator.device import Platform
from simulator.verifier.orgfile import load_org
from tests.helpers import FIXTURES, attestlab, managed_scenario

JAMF = ("--provider", "Jamf Pro", "--enrollment-link", "https://jamf.example.com/enroll")


def _copy(tmp_path: Path, name: str) -> Path:
    path = tmp_path / "org.yaml"
    shutil.copyfile(FIXTURES / "orgs" / name, path)
    return path


def test_the_added_configuration_makes_a_device_managed(tmp_path: Path) -> None:
    """ios-only.yaml has no Android configuration: after add-platform, a scenario whose EMM
    delivers the new key is judged managed (the file loads, and the key is the org's)."""
    org = _copy(tmp_path, "ios-only.yaml")
    result = attestlab("org", "add-platform", org, "--platform", "android", *JAMF)
    assert result.code == 0, result.err
    assert result.err == ""  # one configuration for Android: nothing to warn about
    loaded, secrets = load_org(org)
    [config] = loaded.configs_for(Platform.ANDROID)
    assert (config.name, config.provider, config.enrollment_link) == ("android-2", "Jamf Pro", JAMF[3])
    assert f"configuration {config.name}" in result.out and "managementHint" in result.out
    secret = secrets[config.name].reveal()
    assert secret not in result.out + result.err
    assert f"{secret[:2]}…({len(secret)})" in result.out

    scenario = tmp_path / "s.yaml"
    scenario.write_text(managed_scenario("new-config", org).replace("intune-android", config.name))
    run = attestlab("run", scenario, "--org", org, "--json", tmp_path / "r.json")
    assert run.code == 0, run.out + run.err
    assert secret not in run.out + run.err + (tmp_path / "r.json").read_text()


def test_the_file_keeps_its_comments_values_and_permissions(tmp_path: Path) -> None:
    org = _copy(tmp_path, "standard.yaml")
    before = org.read_text()
    org.chmod(0o600)
    assert attestlab("org", "add-platform", org, "--platform", "ios", *JAMF).code == 0
    after = org.read_text()
    new_item = after.index("  - name: ios-3\n")
    assert after[:new_item] == before[: before.index("policy:")]  # inserted before the next key
    assert after[after.index("policy:") :] == before[before.index("policy:") :]
    assert stat.S_IMODE(org.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["org.yaml"]  # no .part file left
    loaded, _ = load_org(org)
    assert [c.name for c in loaded.configs_for(Platform.IOS)] == ["ws1-ios", "ios-3"]  # the new one is latest


def test_an_empty_flow_list_becomes_a_block_list(tmp_path: Path) -> None:
    org = _copy(tmp_path, "none.yaml")
    assert attestlab("org", "add-platform", org, "--platform", "android", *JAMF).code == 0
    text = org.read_text()
    assert text.startswith("# No endpoint management") and "endpoint_management:\n  - name: android-1\n" in text
    assert [c.name for c in load_org(org)[0].configs] == ["android-1"]


def test_a_layout_it_cannot_edit_is_rewritten_and_says_so(tmp_path: Path) -> None:
    org = tmp_path / "org.yaml"
    org.write_text(
        "# flow style\norg_url: https://acme.okta.com\nendpoint_management: [{name: a, platform: android, "
        "provider: P, enrollment_link: 'https://p.example/', secret_sha256: " + "ab" * 32 + "}]\n"
    )
    result = attestlab("org", "add-platform", org, "--platform", "ios", *JAMF)
    assert result.code == 0, result.err
    assert "comments and layout could not be kept" in result.out
    assert [c.name for c in load_org(org)[0].configs] == ["a", "ios-2"]


def test_a_second_configuration_for_a_platform_warns_and_is_added(tmp_path: Path) -> None:
    """Okta allows it; users are then sent to the earliest configuration's enrollment page."""
    org = _copy(tmp_path, "earliest-only.yaml")
    result = attestlab("org", "add-platform", org, "--platform", "android", *JAMF)
    assert result.code == 0, result.err
    [warning] = result.err.splitlines()
    assert warning.startswith("warning: 3 android configurations (ws1-android, intune-android, android-3)")
    assert "earliest" in warning and "earliest-only only ws1-android's key" in warning
    assert len(load_org(org)[0].configs_for(Platform.ANDROID)) == 3


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--platform", "windows", *JAMF], "--platform: must be one of 'android', 'ios'"),
        (["--platform", "ios", "--provider", "P", "--enrollment-link", "http://p.example/"], "--enrollment-link:"),
        (["--platform", "ios", "--provider", "P", "--enrollment-link", "https://"], "--enrollment-link:"),
        (["--platform", "ios", "--provider", "P", "--enrollment-link", "not a url"], "--enrollment-link:"),
        (["--platform", "ios", "--provider", "  ", "--enrollment-link", JAMF[3]], "--provider: must not be empty"),
        (["--platform", "ios", "--provider", "a\nb", "--enrollment-link", JAMF[3]], "--provider: must be text"),
        (["--platform", "ios", "--enrollment-link", JAMF[3]], "missing option --provider"),
    ],
)
def test_bad_options_are_one_line_and_leave_the_file(tmp_path: Path, args: list[str], line: str) -> None:
    org = _copy(tmp_path, "standard.yaml")
    before = org.read_text()
    result = attestlab("org", "add-platform", org, *args)
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith(f"attestlab: error: {line}") and result.err.count("\n") == 1, result.err
    assert org.read_text() == before


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("missing.yaml", None, "cannot read org file"),
        ("bad.yaml", "org_url: http://acme.okta.com\n", "org.yaml:1: org_url"),
    ],
)
def test_a_missing_or_invalid_file_is_one_line(tmp_path: Path, name: str, content: str | None, says: str) -> None:
    org = tmp_path / name
    if content is not None:
        org = tmp_path / "org.yaml"
        org.write_text(content)
    result = attestlab("org", "add-platform", org, "--platform", "ios", *JAMF)
    assert (result.code, result.out) == (2, "")
    assert result.err.count("\n") == 1 and str(org.name) in result.err and says in result.err, result.err
    assert not (tmp_path / "missing.yaml").exists()


def test_help_names_the_options() -> None:
    result = attestlab("org", "add-platform", "-h")
    assert result.code == 0, result.err
    assert all(o in result.out for o in ("--platform <android|ios>", "--provider TEXT", "--enrollment-link URL"))


def test_a_symlink_is_written_through_and_debug_logs_no_key(tmp_path: Path) -> None:
    org = _copy(tmp_path, "standard.yaml")
    link = tmp_path / "link.yaml"
    link.symlink_to(org.name)
    result = attestlab("--debug", "org", "add-platform", link, "--platform", "android", *JAMF)
    assert result.code == 0, result.err
    assert link.is_symlink()
    secret = load_org(org)[1]["android-3"].reveal()
    assert secret not in result.out + result.err
