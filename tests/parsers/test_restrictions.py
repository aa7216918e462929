"""Tests of the application-restrictions reader and writers, text XML and ABX.

The text documents are what ``FastXmlSerializer`` (indent-output on) writes for
``UserManagerService.writeBundle``; the ABX ones are assembled byte by byte from the
``BinaryXmlSerializer`` format, not produced by the encoder under test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from harness.errors import ParseError
from harness.parsers.restrictions import MAX_RESTRICTIONS_BYTES, parse_restrictions
from simulator.appconfig import AppConfig
from simulator.restrictions_file import restrictions_to_abx, restrictions_to_xml
from tests.helpers import examples, spiced_texts

NAME = "/data/system/users/10/res_com.okta.android.auth.xml"
SECRET = "3zr7Q~vw4C16FS2bH8UfS1gJ5cL6sj~x_U9PQ"


def raises_naming(what: str = "") -> AbstractContextManager[pytest.ExceptionInfo[ParseError]]:
    """A one-line ParseError that names the file and a byte offset."""
    pattern = rf"^{re.escape(NAME)}: (?=[^\n]*offset \d+)[^\n]*{what}[^\n]*$"
    return pytest.raises(ParseError, match=pattern)


def typed(value: Any) -> Any:
    """The value with every leaf tagged by its type, so that True and 1 differ."""
    if isinstance(value, AppConfig):
        return ("B", {key: typed(item) for key, item in value.items()})
    if isinstance(value, list):
        return ("BA", [typed(item) for item in value])
    if isinstance(value, tuple):
        return ("sa", [typed(item) for item in value])
    return (type(value).__name__, value)


# ---------------------------------------------------------------------------------------------
# Hand-assembled ABX (BinaryXmlSerializer: event = type << 4 | token, u16 lengths)
# ---------------------------------------------------------------------------------------------


def u16(value: int) -> bytes:
    return value.to_bytes(2, "big")


def utf(text: str) -> bytes:
    raw = text.encode()
    return u16(len(raw)) + raw


def new(text: str) -> bytes:
    return b"\xff\xff" + utf(text)


def start(name_or_ref: str | int) -> bytes:  # START_TAG | TYPE_STRING_INTERNED
    return b"\x32" + (new(name_or_ref) if isinstance(name_or_ref, str) else u16(name_or_ref))


def end(ref: int) -> bytes:  # END_TAG | TYPE_STRING_INTERNED
    return b"\x33" + u16(ref)


def attr(name_or_ref: str | int, value: str) -> bytes:  # ATTRIBUTE | TYPE_STRING
    name = new(name_or_ref) if isinstance(name_or_ref, str) else u16(name_or_ref)
    return b"\x2f" + name + utf(value)


def text(value: str) -> bytes:  # TEXT | TYPE_STRING
    return b"\x24" + utf(value)


HEAD = b"ABX\x00" + b"\x10"  # magic, START_DOCUMENT | TYPE_NULL
TAIL = b"\x11"  # END_DOCUMENT | TYPE_NULL
# Interned string table as the documents below build it: restrictions #0, entry #1, key #2,
# type #3, then per document.
OKTA_ABX = (
    HEAD
    + start("restrictions")
    + start("entry") + attr("key", "managementHint") + attr("type", "s") + text(SECRET) + end(1)
    + start(1) + attr(2, "domainName") + attr(3, "s") + text("acme.okta.com") + end(1)
    + end(0)
    + TAIL
)  # fmt: skip

# Android 14 BundlePolicySerializer: m written with attributeInt (ATTRIBUTE | TYPE_INT).
ARRAYS_AND_BUNDLES_ABX = (
    HEAD
    + start("restrictions")
    + start("entry") + attr("key", "hosts") + attr("type", "sa")
    + b"\x6f" + new("m") + (2).to_bytes(4, "big")  # interned #4
    + start("value") + text("a.example.com") + end(5)  # interned #5
    + start(5) + text("  b.example.com\n") + end(5)
    + end(1)
    + start(1) + attr(2, "legacy") + attr(3, "sa") + attr(4, "1")  # m as a string attribute
    + start(5) + end(5)  # <value/>: no text event at all
    + end(1)
    + start(1) + attr(2, "bundle") + attr(3, "B")
    + start(1) + attr(2, "enabled") + attr(3, "b") + text("TRUE") + end(1)
    + start(1) + attr(2, "retries") + attr(3, "i") + text(" -7 ") + end(1)
    + end(1)
    + start(1) + attr(2, "servers") + attr(3, "BA")
    + start(1) + attr(3, "B")
    + start(1) + attr(2, "port") + attr(3, "i") + text("443") + end(1)
    + end(1)
    + start(1) + attr(3, "B") + end(1)
    + end(1)
    + start(1) + attr(2, "empty") + attr(3, "s") + end(1)
    + end(0)
    + TAIL
)  # fmt: skip

ARRAYS_AND_BUNDLES = AppConfig(
    {
        "hosts": ("a.example.com", "b.example.com"),
        "legacy": ("",),
        "bundle": {"enabled": True, "retries": -7},
        "servers": [{"port": 443}, {}],
        "empty": "",
    }
)


def test_hand_assembled_okta_abx() -> None:
    config = parse_restrictions(OKTA_ABX, name=NAME)
    assert config == AppConfig({"managementHint": SECRET, "domainName": "acme.okta.com"})


def test_hand_assembled_arrays_and_bundles_abx() -> None:
    config = parse_restrictions(ARRAYS_AND_BUNDLES_ABX, name=NAME)
    assert typed(config) == typed(ARRAYS_AND_BUNDLES)


def test_writer_produces_the_hand_assembled_bytes() -> None:
    config = AppConfig({"managementHint": SECRET, "domainName": "acme.okta.com"})
    assert restrictions_to_abx(config) == OKTA_ABX


# ---------------------------------------------------------------------------------------------
# Text XML as FastXmlSerializer writes it
# ---------------------------------------------------------------------------------------------

ANDROID_XML = f"""\
<?xml version='1.0' encoding='utf-8' standalone='yes' ?>
<restrictions>
    <entry key="managementHint" type="s">{SECRET}</entry>
    <entry key="hosts" type="sa" m="2">
        <value>a.example.com</value>
        <value>b&amp;c &quot;q&quot; &lt;x&gt;&#10;        </value>
    </entry>
    <entry key="bundle" type="B">
        <entry key="enabled" type="b">false</entry>
        <entry key="nested" type="B" />
    </entry>
    <entry key="servers" type="BA">
        <entry type="B">
            <entry key="port" type="i">443</entry>
        </entry>
        <entry type="B" />
    </entry>
    <entry key="empty" type="s"></entry>
    <entry key="tab" type="s">a&#9;b</entry>
</restrictions>
"""
ANDROID_CONFIG = AppConfig(
    {
        "managementHint": SECRET,
        "hosts": ("a.example.com", 'b&c "q" <x>\n'),
        "bundle": {"enabled": False, "nested": {}},
        "servers": [{"port": 443}, {}],
        "empty": "",
        "tab": "a\tb",
    }
)


def test_xml_writer_matches_fast_xml_serializer() -> None:
    assert restrictions_to_xml(ANDROID_CONFIG) == ANDROID_XML.encode()


def test_xml_reader() -> None:
    expected = dict(ANDROID_CONFIG) | {"hosts": ("a.example.com", 'b&c "q" <x>')}
    assert typed(parse_restrictions(ANDROID_XML.encode(), name=NAME)) == typed(AppConfig(expected))


def test_empty_restrictions() -> None:
    xml = restrictions_to_xml(AppConfig())
    assert xml == b"<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<restrictions />\n"
    assert parse_restrictions(xml, name=NAME) == AppConfig()
    assert parse_restrictions(restrictions_to_abx(AppConfig()), name=NAME) == AppConfig()


@pytest.mark.parametrize(
    ("raw", "value"),
    [("true", True), ("True", True), (" TRUE\n", True), ("false", False), ("yes", False)],
)
def test_boolean_is_java_parse_boolean(raw: str, value: bool) -> None:
    xml = f'<restrictions><entry key="b" type="b">{raw}</entry></restrictions>'
    assert parse_restrictions(xml.encode(), name=NAME)["b"] is value


def test_values_are_trimmed_like_java_string_trim() -> None:
    xml = '<restrictions><entry key="k" type="s">&#10;\u00a0x y\t </entry></restrictions>'
    assert parse_restrictions(xml.encode(), name=NAME)["k"] == "\u00a0x y"


# ---------------------------------------------------------------------------------------------
# Round trip through both formats
# ---------------------------------------------------------------------------------------------

# XML 1.0 cannot carry most C0 controls, U+FFFE/U+FFFF or surrogates, even as references.
_XML_CHARS = st.characters(
    exclude_categories=["Cs"],
    exclude_characters=[chr(c) for c in range(0x20) if c not in (9, 10, 13)] + ["\ufffe", "\uffff"],
)
_SPECIAL = st.sampled_from(["😀", "𝄞", "中", "é", "&", "<", '"', " ", "\n", "\t", "\r"])
xml_texts = spiced_texts(_XML_CHARS, _SPECIAL, max_size=20)
abx_texts = spiced_texts(st.characters(exclude_categories=["Cs"]), _SPECIAL, max_size=20)


def configs(texts: st.SearchStrategy[str], depth: int = 3) -> st.SearchStrategy[dict[str, Any]]:
    """Restrictions up to ``depth`` bundles deep (B in B, BA of B), keys unique by construction.

    Built level by level rather than with ``st.recursive`` (which retries every draw that passes
    its leaf limit) and with dicts from lists of pairs rather than ``st.dictionaries`` (which
    redraws a key already taken): both retries made most of these tests' time.
    """
    leaves = st.one_of(
        texts,
        st.booleans(),
        st.integers(min_value=-(2**31), max_value=2**31 - 1),
        st.lists(texts, max_size=4).map(tuple),
    )

    def bundles(values: st.SearchStrategy[Any], size: int) -> st.SearchStrategy[dict[str, Any]]:
        return st.lists(st.tuples(texts, values), max_size=size).map(dict)

    values = leaves
    for _ in range(depth):
        inner = bundles(values, 4)
        values = st.one_of(leaves, inner, st.lists(inner, max_size=3))
    return bundles(values, 6)


def trimmed(value: Any) -> Any:
    """What Android's readEntry hands the app: every leaf string String.trim()-med."""
    if isinstance(value, str):
        return value.strip("".join(map(chr, range(0x21))))
    if isinstance(value, dict):
        return {key: trimmed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [trimmed(item) for item in value]
    if isinstance(value, tuple):
        return tuple(trimmed(item) for item in value)
    return value


# Budgets: 100 examples a round trip. Branch coverage of the reader and both writers is the same
# at 60, 150 and 3,000 (deep) examples, and at 100 each feature of the generated configs (a
# bundle or bundle array three deep, empty bundles, arrays and strings, whitespace at either end,
# each spice character, astral characters) is drawn in 13 or more of them.


def check_round_trip(plain: dict[str, Any], write: Callable[[AppConfig], bytes]) -> None:
    parsed = parse_restrictions(write(AppConfig(plain)), name=NAME)
    assert typed(parsed) == typed(AppConfig(trimmed(plain)))


@pytest.mark.slow
@settings(max_examples=examples(100))
@given(configs(xml_texts))
@example({"": "", "k": (), "b": {}, "l": [], "n": 0})
@example({"k": "\U0001f600 x \U0001d11e", "a": ("", " ", "😀"), "BA": [{"x": [{}]}]})
def test_round_trip_xml(plain: dict[str, Any]) -> None:
    """Any config text XML can carry, read back from both formats: so they also read the same."""
    check_round_trip(plain, restrictions_to_xml)
    check_round_trip(plain, restrictions_to_abx)


@pytest.mark.slow
@settings(max_examples=examples(100))
@given(configs(abx_texts))
@example({"nul": "a\x00b", "ctl": "\x01\x7f", "k": (), "b": {}, "l": [], "bool": True})
def test_round_trip_abx(plain: dict[str, Any]) -> None:
    check_round_trip(plain, restrictions_to_abx)


@pytest.mark.parametrize(
    "value",
    [2**31, 1.5, b"raw", ("a", 1), [{"a": 1}, "b"], None],
)
def test_writers_refuse_values_android_cannot_hold(value: Any) -> None:
    config = AppConfig({"k": value})
    for write in (restrictions_to_xml, restrictions_to_abx):
        with pytest.raises(ValueError, match="'k'"):
            write(config)


# ---------------------------------------------------------------------------------------------
# Hostile and malformed files
# ---------------------------------------------------------------------------------------------

BILLION_LAUGHS = f"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<restrictions><entry key="managementHint" type="s">{SECRET}&lol9;</entry></restrictions>
"""

EXTERNAL_ENTITY = f"""<?xml version="1.0"?>
<!DOCTYPE restrictions [<!ENTITY xxe SYSTEM "file:///data/system/users/0/{SECRET}.xml">]>
<restrictions><entry key="managementHint" type="s">&xxe;</entry></restrictions>
"""

EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE restrictions SYSTEM "http://attacker.example/evil.dtd">
<restrictions />
"""


def entry_xml(attributes: str, body: str = SECRET) -> bytes:
    return f"<restrictions><entry {attributes}>{body}</entry></restrictions>".encode()


@pytest.mark.parametrize(
    ("data", "what"),
    [
        pytest.param(BILLION_LAUGHS.encode(), "a DTD (<!DOCTYPE>), which is not accepted", id="billion-laughs"),
        pytest.param(EXTERNAL_ENTITY.encode(), "a DTD (<!DOCTYPE>), which is not accepted", id="external-entity"),
        pytest.param(EXTERNAL_DTD.encode(), "a DTD (<!DOCTYPE>), which is not accepted", id="external-dtd"),
        pytest.param(entry_xml('key="managementHint" type="s"', "&xxe;"), "malformed XML", id="undefined"),
        pytest.param(entry_xml('key="managementHint" type="s"')[:-5], "malformed", id="cut-xml"),
        pytest.param(entry_xml('key="managementHint" type="S"'), "unknown type 'S'", id="bad-type"),
        pytest.param(entry_xml('key="managementHint"'), "unknown type missing", id="no-type"),
        pytest.param(entry_xml('type="s"'), "entry without a key", id="no-key"),
        pytest.param(entry_xml('key="n" type="i"'), "not a 32-bit integer", id="bad-int"),
        pytest.param(entry_xml('key="n" type="i"', "2147483648"), "32-bit", id="int-range"),
        pytest.param(entry_xml('key="n" type="i"', "١٢"), "32-bit", id="non-ascii-digits"),
        pytest.param(
            entry_xml('key="a" type="sa" m="2"', f"<value>{SECRET}</value>"),
            "m=2 but 1 values",
            id="sa-count",
        ),
        pytest.param(entry_xml('key="a" type="sa"', ""), "needs a count", id="sa-no-m"),
        pytest.param(entry_xml('key="a" type="sa" m="x"', ""), "needs a count", id="sa-bad-m"),
        pytest.param(
            entry_xml('key="a" type="sa" m="1"', f"<item>{SECRET}</item>"),
            "expected <value>",
            id="sa-item",
        ),
        pytest.param(entry_xml('key="a" type="s" m="1"'), "m attribute", id="m-on-string"),
        pytest.param(
            entry_xml('key="a" type="BA"', f'<entry type="s">{SECRET}</entry>'),
            "only B entries",
            id="ba-item",
        ),
        pytest.param(
            entry_xml('key="a" type="s"', f"<b>{SECRET}</b>"),
            "element inside a text value",
            id="nested-in-s",
        ),
        pytest.param(f"<config>{SECRET}</config>".encode(), "not <restrictions>", id="root"),
        pytest.param(
            f"<restrictions><item>{SECRET}</item></restrictions>".encode(),
            "expected <entry>",
            id="child",
        ),
        pytest.param(b"", "malformed XML", id="empty"),
        pytest.param(b"<restrictions>" + b"<entry>" * 100, "nesting deeper than 64", id="too-deep"),
    ],
)
def test_bad_xml(data: bytes, what: str) -> None:
    with raises_naming(re.escape(what)) as caught:
        parse_restrictions(data, name=NAME)
    assert SECRET not in str(caught.value)


BAD_TYPE_ABX = (
    HEAD
    + start("restrictions")
    + start("entry") + attr("key", "managementHint") + attr("type", "string") + text(SECRET)
    + end(1) + end(0)
    + TAIL
)  # fmt: skip


def test_bad_type_in_abx_names_the_entry_offset() -> None:
    offset = BAD_TYPE_ABX.index(b"\x32\xff\xff\x00\x05entry")
    with raises_naming(f"<entry> at offset {offset}: entry 'managementHint': unknown type") as e:
        parse_restrictions(BAD_TYPE_ABX, name=NAME)
    assert SECRET not in str(e.value)


def test_typed_type_attribute_in_abx_is_refused() -> None:
    data = BAD_TYPE_ABX.replace(b"\x2f\xff\xff\x00\x04type\x00\x06string", b"\x6f\xff\xff\x00\x04type\x00\x00\x00\x01")
    with raises_naming("unknown type missing"):
        parse_restrictions(data, name=NAME)


@pytest.mark.parametrize("cut", range(len(OKTA_ABX)))
def test_truncated_abx(cut: int) -> None:
    with raises_naming() as caught:
        parse_restrictions(OKTA_ABX[:cut], name=NAME)
    assert SECRET not in str(caught.value)


def test_oversize_file() -> None:
    padding = b" " * MAX_RESTRICTIONS_BYTES
    data = b"<restrictions>" + padding + b"</restrictions>"
    with raises_naming(f"exceed the {MAX_RESTRICTIONS_BYTES}-byte limit"):
        parse_restrictions(data, name=NAME)
    with raises_naming("exceed"):
        parse_restrictions(OKTA_ABX + padding, name=NAME)
