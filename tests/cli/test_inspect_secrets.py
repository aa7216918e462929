"""``inspect`` never prints the text of a hint, even when the key itself looks like a lookup."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.helpers import CAPTURES, ORGS, attestlab

LOOKUP = "{CustomAttribute3}"  # what the capture's managementHint holds, literally
CAPTURE = CAPTURES / "ios" / "iphone15-ios18-unresolved-lookup"


def _org_whose_key_is_the_lookup_text(tmp_path: Path) -> Path:
    text = (
        "org_url: https://acme.okta.com\nendpoint_management:\n  - name: ws1-ios\n    platform: ios\n"
        "    provider: Workspace ONE UEM\n    enrollment_link: https://getwsone.com/\n"
        f"    secret: '{LOOKUP}'\n"
    )
    path = tmp_path / "org.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_key_that_looks_like_a_lookup_is_managed_and_not_called_unconfigured(tmp_path: Path) -> None:
    shutil.copytree(CAPTURE, tmp_path / "cap")
    result = attestlab("inspect", f"capture:{tmp_path / 'cap'}", "--org", _org_whose_key_is_the_lookup_text(tmp_path))
    assert result.code == 0, result
    assert "CustomAttribute3" not in result.out + result.err
    assert "unresolved_lookup" not in result.out and "not configured" not in result.out


def test_the_unresolved_lookup_finding_names_no_lookup_text() -> None:
    result = attestlab("inspect", f"capture:{CAPTURE}", "--org", ORGS / "standard.yaml", "--json")
    assert result.code == 1, result
    findings = {f["code"]: f["message"] for f in json.loads(result.out)["findings"]}
    assert "unresolved_lookup" in findings
    assert "CustomAttribute3" not in result.out + result.err
