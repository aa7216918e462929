"""The plugin's fixtures for users' own tests, as a user's test file sees them in its own pytest run.

Each test writes a small test file and runs a real inner pytest session on it (``pytester``), so
option handling, indirect parametrisation and skips are pytest's own. The example users copy,
``tests/examples/test_my_org.py``, runs in the outer suite as it is.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.plugin.inner import PLUGIN

ROOT = Path(__file__).resolve().parents[2]
ORGS = ROOT / "fixtures" / "orgs"
CAPTURES = ROOT / "fixtures" / "captures"

#: A user's test that prints what it was given (fingerprints, never a secret).
PRINTS = """
import hashlib

def _fp(value):
    return hashlib.sha256(value.encode()).hexdigest()[:12]

def test_world(attestlab_org, attestlab_secrets, attestlab_device, attestlab_factory):
    s = attestlab_factory.provision("ios", __import__("simulator.emm").emm.Intune)
    print("ORG", attestlab_org.org_url, sorted(attestlab_secrets))
    print("DEVICE", attestlab_device.platform.value, attestlab_device.identity.serial)
    print("PROVISIONED", s.config.name, _fp(s.secret.reveal()), s.chain.sign_in().outcome.value)
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess(*PLUGIN, "-n", "0", "-s", *args)


def printed(result: pytest.RunResult, tag: str) -> str:
    """The line the inner test printed after ``tag`` (``-s`` output follows the file's name)."""
    return next(line[line.index(tag + " ") :] for line in result.outlines if tag + " " in line)


def test_the_default_org_and_a_provisioned_iphone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=PRINTS)
    result = run(pytester)
    result.assert_outcomes(passed=1)
    assert printed(result, "ORG") == "ORG https://acme.okta.com ['intune-android', 'ws1-ios']"
    assert printed(result, "DEVICE").startswith("DEVICE android ")
    name, _, outcome = printed(result, "PROVISIONED").split()[1:]
    assert (name, outcome) == ("intune-ios", "managed")


def test_attestlab_org_reads_the_file_given(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=PRINTS)
    result = run(pytester, "--attestlab-org", str(ORGS / "ws1-android-intune-ios.yaml"))
    result.assert_outcomes(passed=1)
    org = (ORGS / "ws1-android-intune-ios.yaml").read_text()
    assert all(name in org for name in eval(printed(result, "ORG").split(" ", 2)[2]))


def test_the_same_seed_builds_the_same_world_and_another_seed_another(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=PRINTS)
    first, again = run(pytester), run(pytester)
    other = run(pytester, "--attestlab-seed", "7")
    worlds = [(printed(r, "DEVICE"), printed(r, "PROVISIONED")) for r in (first, again, other)]
    assert worlds[0] == worlds[1]
    assert worlds[2][0] != worlds[0][0] and worlds[2][1] != worlds[0][1]


def test_a_device_read_from_a_source_and_its_okta_verify(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user="""
def test_captured(attestlab_device, attestlab_okta_verify):
    print("READ", attestlab_device.platform.value, attestlab_okta_verify.in_work_profile)
"""
    )
    capture = CAPTURES / "android" / "pixel6-android12-intune-abx"
    result = run(pytester, "--attestlab-device", f"capture:{capture}")
    result.assert_outcomes(passed=1)
    assert printed(result, "READ") == "READ android True"


def test_an_absent_device_or_a_phone_without_okta_verify_skips_saying_why(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    pytester.makepyfile(
        test_user="""
import pytest

def test_fresh_phone_has_no_okta_verify(attestlab_okta_verify):
    pass

@pytest.mark.parametrize("attestlab_device", ["capture:%s"], indirect=True)
def test_unplugged(attestlab_device):
    pass
"""
        % (tmp_path / "unplugged")
    )
    result = run(pytester, "-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["*Okta Verify is not installed on*", "*device absent*unplugged*"])
