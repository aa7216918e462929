"""Every field of the scenario format (docs/scenarios.md) given a value of the wrong type.

Each is a load error through the CLI: exit 2, one line ``file:line: field: what is wrong``, the
line that of the field, and never the value itself (a secret pasted into the wrong field must not
reach a CI log). Before, a list or mapping where a string goes was often turned into its Python
text (``tags: [1, {a: 1}]``, ``description: [..]``), a list as ``managementHint`` made the case
fail at run time, and a list as ``add_platform.name`` crashed with a traceback.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import ORGS, attestlab

#: Secret-shaped text planted inside the wrong values: it must never be echoed.
SECRET = "Xq9~ab7Kc2Lm0Np4Rs6Tu8"
ORG_SECRET = "3zr7Q~vw4C16FS2bH8UfS1gJ5cL6sj~x_U9PQ"

ANDROID: dict[str, Any] = {
    "name": "typed",
    "description": "d",
    "tags": ["t"],
    "org": str(ORGS / "standard.yaml"),
    "device": {
        "platform": "android",
        "model": "Pixel 8",
        "os_version": "14",
        "manufacturer": "Google",
        "okta_verify": "work",
        "enrolled": True,
        "secure_folder": False,
        "key_algorithm": "RS256",
        "emm": {
            "provider": "intune",
            "settings": {"enrollment_type": "managed_devices", "required": True, "android_mode": "work_profile"},
            "config": {"managementHint": "${secret:intune-android}", "domainName": "acme", "rows": ["a", "b"]},
            "custom_values": {"deviceTag": "x"},
        },
    },
    "steps": [
        {"sign_in": {"browser": "work", "private_browsing": False}, "expect": {"decision": "managed"}},
        {"reset_secret": "intune-android"},
        {"emm_push": {"config": {"managementHint": "${secret:intune-android}"}}},
        {"add_platform": {"name": "n", "platform": "ios", "provider": "P", "enrollment_link": "https://e.example/"}},
        {"install_okta_verify": {"profile": "work", "enroll": True}},
        {"pause_work_profile": False},
        {"move_to_work_profile": None},
        {
            "sign_in": None,
            "expect": {
                "reason": "managed",
                "access": True,
                "remediation": {"title": "T", "http_status": 200},
                "findings": ["hint_key_case"],
            },
        },
        {"check_inventory": None, "expect": {"status": "managed"}},
        {"delete_platform": "n"},
    ],
    "skip": "not run: the loader is what is tested",
}

IOS: dict[str, Any] = {
    "name": "typed-ios",
    "org": str(ORGS / "standard.yaml"),
    "device": {
        "platform": "ios",
        "okta_verify": "user",
        "supervised": False,
        "management_rejected": False,
        "emm": {
            "provider": "workspace_one",
            "settings": {"delivery": "automatic", "managed_access": True, "send_configuration": True},
            "ios": {"make_managed_if_user_installed": True, "sso_extension": True},
            "config": {"managementHint": "${secret:ws1-ios}", "OktaVerify.OrgUrl": "https://acme.okta.com"},
        },
    },
    "steps": [{"take_over_app": None}, {"sign_in": None, "expect": {"decision": "managed"}}],
}

INLINE_ORG: dict[str, Any] = {
    "org_url": "https://acme.okta.com",
    "endpoint_management": [
        {
            "name": "intune-android",
            "platform": "android",
            "provider": "Microsoft Intune",
            "enrollment_link": "https://portal.manage.microsoft.com/",
            "secret": ORG_SECRET,
            "created": "2026-01-05T10:00:00Z",
        }
    ],
    "policy": {"device": {"registered": True, "managed": True}},
    "multiple_configs": "any-match",
}

A_MAPPING = {SECRET: SECRET}
A_LIST = [SECRET]
A_NUMBER = 12345678901
S, B, N, L, M = "a string", "true or false", "an integer", "a list", "a mapping"

#: (base, path to the field, wrong value, what the message must say after ``field: ``).
CASES: list[tuple[dict[str, Any], tuple[str | int, ...], Any, str]] = [
    (ANDROID, ("name",), A_LIST, f"expected {S}, got a list"),
    (ANDROID, ("description",), A_MAPPING, f"expected {S}, got a mapping"),
    (ANDROID, ("tags",), SECRET, f"expected {L}, got a string"),
    (ANDROID, ("tags", 0), A_MAPPING, f"expected {S}, got a mapping"),
    (ANDROID, ("org",), A_NUMBER, "expected a path to an org file or an inline org mapping"),
    (ANDROID, ("device",), A_LIST, f"expected {M}, got a list"),
    (ANDROID, ("steps",), A_MAPPING, f"expected {L}, got a mapping"),
    (ANDROID, ("skip",), True, f"expected {S}, got a boolean"),
    (ANDROID, ("device", "platform"), A_LIST, "a list is not one of: android, ios"),
    (ANDROID, ("device", "model"), A_LIST, "expected a string or a number, got a list"),
    (ANDROID, ("device", "os_version"), A_MAPPING, "expected a string or a number, got a mapping"),
    (ANDROID, ("device", "manufacturer"), True, "expected a string or a number, got a boolean"),
    (ANDROID, ("device", "okta_verify"), A_LIST, "a list is not one of: work, personal, both, none"),
    (ANDROID, ("device", "enrolled"), SECRET, f"expected {B}, got a string"),
    (ANDROID, ("device", "secure_folder"), 1, f"expected {B}, got an integer"),
    (IOS, ("device", "supervised"), A_LIST, f"expected {B}, got a list"),
    (IOS, ("device", "management_rejected"), "no", f"expected {B}, got a string"),
    (ANDROID, ("device", "key_algorithm"), A_MAPPING, "a mapping is not one of: RS256, ES256"),
    (ANDROID, ("device", "emm"), A_LIST, f"expected {M}, got a list"),
    (ANDROID, ("device", "source"), A_NUMBER, f"expected {S}, got an integer"),
    (ANDROID, ("device", "emm", "provider"), A_LIST, "a list is not one of: intune, workspace_one, none"),
    (ANDROID, ("device", "emm", "settings"), A_LIST, f"expected {M}, got a list"),
    (ANDROID, ("device", "emm", "settings", "required"), "yes", f"expected {B}, got a string"),
    (ANDROID, ("device", "emm", "settings", "enrollment_type"), A_LIST, "a list is not one of: managed_devices"),
    (ANDROID, ("device", "emm", "settings", "android_mode"), 3, "3 is not one of: work_profile"),
    (IOS, ("device", "emm", "settings", "delivery"), A_MAPPING, "a mapping is not one of: automatic, on_demand"),
    (IOS, ("device", "emm", "settings", "managed_access"), A_LIST, f"expected {B}, got a list"),
    (IOS, ("device", "emm", "settings", "send_configuration"), "true", f"expected {B}, got a string"),
    (IOS, ("device", "emm", "ios"), A_LIST, f"expected {M}, got a list"),
    (IOS, ("device", "emm", "ios", "sso_extension"), A_MAPPING, f"expected {B}, got a mapping"),
    (IOS, ("device", "emm", "ios", "make_managed_if_user_installed"), 0, f"expected {B}, got an integer"),
    (ANDROID, ("device", "emm", "config"), A_LIST, "expected a mapping of configuration keys to values, got a list"),
    (ANDROID, ("device", "emm", "config", "managementHint"), [1, 2], f"expected {S}, got a list"),
    (IOS, ("device", "emm", "config", "managementHint"), [1, 2], f"expected {S}, got a list"),
    (ANDROID, ("device", "emm", "config", "managementHint"), A_NUMBER, f"expected {S}, got an integer"),
    (IOS, ("device", "emm", "config", "managementHint"), A_MAPPING, f"expected {S}, got a mapping"),
    (ANDROID, ("device", "emm", "config", "domainName"), A_LIST, f"expected {S}, got a list"),
    (IOS, ("device", "emm", "config", "OktaVerify.OrgUrl"), True, f"expected {S}, got a boolean"),
    (ANDROID, ("device", "emm", "config", "rows"), [1, SECRET], "an Android list holds only strings"),
    (ANDROID, ("device", "emm", "config", "rows"), 1.5, "expected a string, true or false or an integer, got a number"),
    (ANDROID, ("device", "emm", "config", "rows"), 2**40, "an Android integer is from -2147483648 to 2147483647"),
    (IOS, ("device", "emm", "config", "OktaVerify.OrgUrl"), None, f"expected {S}, got nothing (null)"),
    (ANDROID, ("device", "emm", "config_json"), A_MAPPING, f"expected {S}, got a mapping"),
    (IOS, ("device", "emm", "config_xml"), A_LIST, f"expected {S}, got a list"),
    (ANDROID, ("device", "emm", "custom_values"), A_LIST, f"expected {M}, got a list"),
    (ANDROID, ("device", "emm", "custom_values", "deviceTag"), A_LIST, "expected a string or a number, got a list"),
    (ANDROID, ("steps", 0), A_NUMBER, "unknown step"),
    (ANDROID, ("steps", 0, "sign_in"), A_LIST, f"expected {M}, got a list"),
    (ANDROID, ("steps", 0, "sign_in", "browser"), A_LIST, "a list is not one of: work, personal"),
    (ANDROID, ("steps", 0, "sign_in", "private_browsing"), "no", f"expected {B}, got a string"),
    (ANDROID, ("steps", 0, "sign_in", "attack"), A_MAPPING, "a mapping is not one of: replay"),
    (ANDROID, ("steps", 1, "reset_secret"), A_LIST, f"expected {S}, got a list"),
    (ANDROID, ("steps", 2, "emm_push"), A_LIST, f"expected {M}, got a list"),
    (ANDROID, ("steps", 2, "emm_push", "config"), A_LIST, "expected a mapping of configuration keys to values"),
    (ANDROID, ("steps", 2, "emm_push", "config", "managementHint"), A_LIST, f"expected {S}, got a list"),
    (ANDROID, ("steps", 3, "add_platform"), A_LIST, f"expected {M}, got a list"),
    (ANDROID, ("steps", 3, "add_platform", "name"), A_LIST, f"expected {S}, got a list"),
    (ANDROID, ("steps", 3, "add_platform", "platform"), A_LIST, "a list is not one of: android, ios"),
    (ANDROID, ("steps", 3, "add_platform", "provider"), A_NUMBER, f"expected {S}, got an integer"),
    (ANDROID, ("steps", 3, "add_platform", "enrollment_link"), A_LIST, f"expected {S}, got a list"),
    (ANDROID, ("steps", 3, "add_platform", "secret"), A_NUMBER, f"expected {S}, got an integer"),
    (ANDROID, ("steps", 3, "add_platform", "secret"), A_LIST, f"expected {S}, got a list"),
    (ANDROID, ("steps", 9, "delete_platform"), A_MAPPING, f"expected {S}, got a mapping"),
    (ANDROID, ("steps", 4, "install_okta_verify"), A_LIST, f"expected {M}, got a list"),
    (ANDROID, ("steps", 4, "install_okta_verify", "profile"), A_LIST, "a list is not one of: work, personal"),
    (ANDROID, ("steps", 4, "install_okta_verify", "enroll"), "yes", f"expected {B}, got a string"),
    (IOS, ("steps", 0, "take_over_app"), A_LIST, "take_over_app takes no argument, got a list"),
    (ANDROID, ("steps", 5, "pause_work_profile"), A_MAPPING, f"expected {B}, got a mapping"),
    (ANDROID, ("steps", 6, "move_to_work_profile"), SECRET, "move_to_work_profile takes no argument, got a string"),
    (ANDROID, ("steps", 0, "expect"), A_LIST, f"expected {M}, got a list"),
    (ANDROID, ("steps", 0, "expect", "decision"), A_LIST, "a list is not one of: managed, not_managed, error"),
    (ANDROID, ("steps", 7, "expect", "reason"), A_MAPPING, "a mapping is not one of: managed"),
    (ANDROID, ("steps", 7, "expect", "access"), "false", f"expected {B}, got a string"),
    (ANDROID, ("steps", 7, "expect", "remediation"), A_LIST, f"expected {M}, got a list"),
    (ANDROID, ("steps", 7, "expect", "remediation", "title"), A_LIST, f"expected {S}, got a list"),
    (ANDROID, ("steps", 7, "expect", "remediation", "provider"), A_NUMBER, f"expected {S}, got an integer"),
    (ANDROID, ("steps", 7, "expect", "remediation", "link"), A_MAPPING, f"expected {S}, got a mapping"),
    (ANDROID, ("steps", 7, "expect", "remediation", "http_status"), "200", f"expected {N}, got a string"),
    (ANDROID, ("steps", 7, "expect", "findings"), "hint_key_case", f"expected {L}, got a string"),
    (ANDROID, ("steps", 7, "expect", "findings", 0), A_LIST, "a list is not one of: hint_key_case"),
    (ANDROID, ("steps", 8, "expect", "status"), A_LIST, "a list is not one of: managed, not_managed, none"),
    # The inline org (docs/scenarios.md, "The org"), read by the org file's own rules.
    (ANDROID, ("org", "org_url"), A_LIST, "must be an https:// URL like https://example.okta.com"),
    (ANDROID, ("org", "endpoint_management"), A_MAPPING, "must be a list"),
    (ANDROID, ("org", "endpoint_management", 0), SECRET, "must be a mapping"),
    (ANDROID, ("org", "endpoint_management", 0, "name"), A_LIST, "must be text"),
    (ANDROID, ("org", "endpoint_management", 0, "platform"), A_LIST, "a list is not one of: android, ios"),
    (ANDROID, ("org", "endpoint_management", 0, "provider"), A_MAPPING, "must be text"),
    (ANDROID, ("org", "endpoint_management", 0, "enrollment_link"), A_NUMBER, "must be an http:// or https:// URL"),
    (ANDROID, ("org", "endpoint_management", 0, "secret"), A_LIST, "invalid secret key"),
    (ANDROID, ("org", "endpoint_management", 0, "created"), A_NUMBER, "must be a date and time like"),
    (ANDROID, ("org", "policy"), A_LIST, "must be a mapping"),
    (ANDROID, ("org", "policy", "device"), SECRET, "must be a mapping"),
    (ANDROID, ("org", "policy", "device", "registered"), "yes", "must be true or false"),
    (ANDROID, ("org", "policy", "device", "managed"), 1, "must be true or false"),
    (ANDROID, ("org", "multiple_configs"), A_LIST, "a list is not one of: any-match, earliest-only"),
]


def _edit(base: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    if path[0] == "org" and len(path) > 1:
        doc["org"] = copy.deepcopy(INLINE_ORG)
    if path[:3] == ("device", "emm", "config_json") or path[:3] == ("device", "emm", "config_xml"):
        del doc["device"]["emm"]["config"]
    here: Any = doc
    for part in path[:-1]:
        here = here[part]
    here[path[-1]] = value
    return doc


def _line(text: str, path: tuple[str | int, ...]) -> set[int]:
    """The lines of the field at ``path``: its key's and its value's (they differ for a block)."""
    node = yaml.compose(text)
    lines = {1}
    for part in path:
        if isinstance(part, int):
            node = node.value[part]
            lines = {node.start_mark.line + 1}
        else:
            key, node = next((k, v) for k, v in node.value if k.value == part)
            lines = {key.start_mark.line + 1, node.start_mark.line + 1}
    return lines


def test_the_base_scenarios_load(tmp_path: Path) -> None:
    """Each case below is one edit away from a file that loads (and from an inline org that does)."""
    for base in (ANDROID, IOS, {**ANDROID, "org": INLINE_ORG}):
        (tmp_path / "s.yaml").write_text(yaml.safe_dump(base))
        result = attestlab("run", tmp_path / "s.yaml", "--collect-only")
        assert result.code == 0, result.err


@pytest.mark.parametrize(
    ("base", "path", "value", "message"),
    CASES,
    ids=[f"{'.'.join(map(str, p))}={type(v).__name__}" for _, p, v, _ in CASES],
)
def test_a_wrong_type_is_a_load_error_naming_file_line_and_field(
    tmp_path: Path, base: dict[str, Any], path: tuple[str | int, ...], value: Any, message: str
) -> None:
    file = tmp_path / "s.yaml"
    text = yaml.safe_dump(_edit(base, path, value), sort_keys=False)
    file.write_text(text)
    result = attestlab("run", file, "-q")
    assert result.code == 2, result.out
    assert result.out == ""
    err = result.err.rstrip("\n")
    assert "\n" not in err and "Traceback" not in err
    prefix, _, rest = err.partition(f"{file}:")
    assert prefix == "attestlab: error: ", err
    line, _, said = rest.partition(": ")
    assert int(line) in _line(text, path), (err, text)
    named, _, said = said.partition(": ")
    # The field itself, or (a list item, a secret) the field holding it.
    assert named in (".".join(map(str, path)), ".".join(map(str, path[:-1]))), err
    assert message in said, err
    assert SECRET not in err and ORG_SECRET not in err
