"""Redacting the device policy engine's values in ``dumpsys device_policy`` (Android 14+).

The samples follow AOSP's printing code line for line (:mod:`tests.parsers.policy_dumps`).
"""

from __future__ import annotations

import pytest

from harness.parsers.android_text import DevicePolicy, parse_device_policy
from harness.parsers.policy_values import redact_policy_values
from tests.parsers.policy_dumps import BUNDLE, HEAD, HUB, MULTILINE, SECRET, engine


def redacted_line(depth: int) -> str:
    return f"{' ' * depth}BundlePolicyValue {{ mValue= <redacted by attestlab capture> }}\n"


@pytest.mark.parametrize("indent_blank_lines", [True, False], ids=["as-printed", "blank-lines-trimmed"])
@pytest.mark.parametrize("value", [BUNDLE, MULTILINE], ids=["one-line", "multi-line"])
def test_every_bundle_value_is_replaced_and_nothing_else(value: str, indent_blank_lines: bool) -> None:
    text = HEAD + engine(value, indent_blank_lines)
    out = redact_policy_values(text)
    assert SECRET not in out and "managementHint" not in out
    expected = HEAD + engine("@", indent_blank_lines)
    expected = expected.replace(f"{' ' * 12}BundlePolicyValue {{ mValue= @ }}\n", redacted_line(12))
    expected = expected.replace(f"{' ' * 10}BundlePolicyValue {{ mValue= @ }}\n", redacted_line(10))
    assert out == expected
    assert parse_device_policy(out, name="dumpsys") == parse_device_policy(text, name="dumpsys")
    assert parse_device_policy(out, name="dumpsys") == DevicePolicy(None, {10: HUB})


def test_crlf_output_keeps_its_line_endings() -> None:
    text = (HEAD + engine(BUNDLE)).replace("\n", "\r\n")
    out = redact_policy_values(text)
    assert SECRET not in out
    assert out == redact_policy_values(HEAD + engine(BUNDLE)).replace("\n", "\r\n")


def test_output_without_policy_values_is_unchanged() -> None:
    text = HEAD + "  Local Policies: \n\n  Global Policies: \n\n  Keep profiles running: false\n"
    assert redact_policy_values(text) is text


def test_a_parcelled_bundle_is_replaced_too() -> None:
    # Bundle.toString before the map is unparcelled: nothing secret, and nothing lost either.
    text = HEAD + engine("Bundle[mParcelledData.dataSize=412]")
    out = redact_policy_values(text)
    assert "mParcelledData" not in out and out.count("<redacted by attestlab capture>") == 2
