"""Every parser of device output is bounded: each test pushes one bound of one parser.

Inputs are what an attacker (or a broken device) can put in a capture: an input at the size cap,
nesting past the depth cap, numbers with thousands of digits, tokens of megabytes, encodings the
formats do not use. Each must end as one :class:`ParseError` line (or parse), never as a raw
Python exception, a hang or memory in proportion to anything but the input. Time is not
asserted here (benchmarks do that): on the old code these inputs ran for minutes to hours.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.errors import ParseError
from harness.parsers import abx
from harness.parsers.android_text import MAX_OUTPUT_CHARS, parse_getprop
from harness.parsers.ios_plists import MAX_DEPTH, parse_cloud_configuration, parse_intune_ios_xml
from harness.parsers.restrictions import parse_restrictions
from simulator.appconfig import AppConfig
from simulator.restrictions_file import restrictions_to_abx
from tests.helpers import one_line

NAME = "capture: getprop"


def one_line_error(call: Callable[..., object], *args: object, **kwargs: object) -> str:
    return one_line(ParseError, lambda: call(*args, **kwargs))


# -- getprop: linear at the 8 MiB cap -------------------------------------------------------


def test_getprop_lines_that_never_close_at_the_cap() -> None:
    text = ("[a]: [x\n" * (MAX_OUTPUT_CHARS // 8 + 1))[:MAX_OUTPUT_CHARS]
    assert one_line_error(parse_getprop, text, name=NAME) == f"{NAME}: line 1: the value of a is not closed by ']'"


def test_getprop_one_value_of_four_million_lines_at_the_cap() -> None:
    body = "y\n" * (MAX_OUTPUT_CHARS // 2 - 8)
    props = parse_getprop("[a]: [x\n" + body + "z]\n", name=NAME)
    assert props["a"] == "x\n" + body + "z"


@pytest.mark.slow
def test_getprop_many_properties_at_the_cap() -> None:
    # ~570,000 one-character properties, made in one join (a loop of appends took 0.5 s of CPU)
    # and cut after the last whole line within the cap.
    text = "".join(map("[p{}]: [v]\n".format, range(MAX_OUTPUT_CHARS // 10)))
    text = text[: text.rindex("\n", 0, MAX_OUTPUT_CHARS) + 1]
    assert len(text) <= MAX_OUTPUT_CHARS and len(text) > MAX_OUTPUT_CHARS - 20
    assert len(parse_getprop(text, name=NAME)) == text.count("\n")


def test_getprop_over_the_cap() -> None:
    message = one_line_error(parse_getprop, "[a]: [b]\n" + "x" * MAX_OUTPUT_CHARS, name=NAME)
    assert f"more than the {MAX_OUTPUT_CHARS} accepted" in message


def test_getprop_unclosed_value_is_reported_at_its_own_line() -> None:
    text = "[ok]: [1]\n[a]: [x\n[b]: [y]\n"
    assert one_line_error(parse_getprop, text, name=NAME) == f"{NAME}: line 2: the value of a is not closed by ']'"


# -- XML plists: memory and time bounded by the input ----------------------------------------


def test_plist_attribute_of_four_megabytes_is_refused() -> None:
    data = b'<plist version="1.0"><dict><key>IsSupervised</key><true a="' + b"x" * 4_000_000 + b'"/></dict></plist>'
    assert "has attributes" in one_line_error(parse_cloud_configuration, data, name="x")


def test_plist_comment_of_four_megabytes_parses() -> None:
    data = b"<plist><dict><key>IsSupervised</key><!--" + b"x" * 4_000_000 + b"--><true/></dict></plist>"
    assert parse_cloud_configuration(data, name="x") is True


def test_plist_nested_long_keys_parse_within_the_depth_cap() -> None:
    key = b"k" * 40_000  # 60 levels x 40 KB of keys: every key path would be 2.4 MB long
    levels = MAX_DEPTH - 2
    data = b"<dict>" + (b"<key>" + key + b"</key><dict>") * levels + b"</dict>" * levels + b"</dict>"
    config = parse_intune_ios_xml(data, name="x")
    assert list(config.keys()) == [key.decode()]


def test_plist_nesting_past_the_cap_names_a_shortened_path() -> None:
    data = b"<dict>" + (b"<key>" + b"k" * 1000 + b"</key><dict>") * 100 + b"</dict>" * 100 + b"</dict>"
    message = one_line_error(parse_intune_ios_xml, data, name="x")
    assert f"nesting deeper than {MAX_DEPTH} levels" in message and len(message) < 8_000


@pytest.mark.parametrize("digits", [5000, 21])
def test_plist_integer_with_too_many_digits(digits: int) -> None:
    data = b"<dict><key>n</key><integer>" + b"9" * digits + b"</integer></dict>"
    assert "<integer> text is not a valid integer at n" in one_line_error(parse_intune_ios_xml, data, name="x")


def test_plist_in_utf7_is_refused() -> None:
    data = b"<?xml version='1.0' encoding='utf-7'?><plist><dict/></plist>"
    assert "unsupported encoding" in one_line_error(parse_cloud_configuration, data, name="x")


# -- restriction files (text XML and ABX) ----------------------------------------------------

RES = "<?xml version='1.0' encoding='{encoding}' standalone='yes' ?>\n<restrictions>{body}</restrictions>"


def test_type_i_with_5000_digits_is_a_parse_error() -> None:
    data = RES.format(encoding="utf-8", body=f'<entry key="n" type="i">{"9" * 5000}</entry>').encode()
    assert "type i value is not a 32-bit integer" in one_line_error(parse_restrictions, data, name="res.xml")


def test_type_i_with_leading_zeros_is_read_as_java_does() -> None:
    data = RES.format(encoding="utf-8", body='<entry key="n" type="i">000000000000042</entry>').encode()
    assert parse_restrictions(data, name="res.xml") == AppConfig({"n": 42})


def test_restrictions_in_utf7_are_refused() -> None:
    data = RES.format(encoding="utf-7", body="").encode()
    assert "unsupported encoding" in one_line_error(parse_restrictions, data, name="res.xml")


def test_abx_entity_with_5000_digits_is_a_parse_error() -> None:
    doc = restrictions_to_abx(AppConfig({"k": "v"}))
    digits = b"#" + b"9" * 5000
    # An ENTITY_REF event (6 | TYPE_STRING) in the root element, before its end tag.
    entity = b"\x26" + len(digits).to_bytes(2, "big") + digits
    end_root = doc.rindex(b"\x33")
    data = doc[:end_root] + entity + doc[end_root:]
    assert "unknown entity reference" in one_line_error(parse_restrictions, data, name="res.xml")


def test_abx_depth_cap() -> None:
    depth = abx.MAX_DEPTH + 1
    data = b"ABX\x00\x10" + b"\x32\xff\xff\x00\x01a" + b"\x32\x00\x00" * (depth - 1) + b"\x33\x00\x00" * depth + b"\x11"
    assert f"nesting deeper than {abx.MAX_DEPTH}" in one_line_error(abx.decode, data, name="res.xml")
