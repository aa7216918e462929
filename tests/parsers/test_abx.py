"""Tests of the Android Binary XML decoder and encoder.

The hand-assembled documents are written byte by byte from the AOSP format (BinaryXmlSerializer,
FastDataOutput): event byte = (data type << 4) | token, u16 big-endian lengths, interned strings
as a u16 index or ``FF FF`` + a new string. They are not produced by the encoder under test.
"""

from __future__ import annotations

import math
import re
import struct
from contextlib import AbstractContextManager

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from harness.errors import ParseError
from harness.parsers.abx import MAX_INPUT_BYTES, decode, is_abx
from simulator.abx import Element, encode
from tests.helpers import examples, spiced_texts

NAME = "res_com.okta.android.auth.xml"
SECRET = "3zr7Q~vw4C16FS2bH8UfS1gJ5cL6sj~x_U9PQ"

MAGIC = b"\x41\x42\x58\x00"
START_DOCUMENT = b"\x10"  # START_DOCUMENT (0) | TYPE_NULL (1 << 4)
END_DOCUMENT = b"\x11"  # END_DOCUMENT (1) | TYPE_NULL
START_TAG = b"\x32"  # START_TAG (2) | TYPE_STRING_INTERNED (3 << 4)
END_TAG = b"\x33"  # END_TAG (3) | TYPE_STRING_INTERNED
TEXT = b"\x24"  # TEXT (4) | TYPE_STRING (2 << 4)
ATTR_STRING = b"\x2f"  # ATTRIBUTE (15) | TYPE_STRING


def u16(value: int) -> bytes:
    return value.to_bytes(2, "big")


def utf(raw: bytes) -> bytes:
    """FastDataOutput.writeUTF: u16 byte length, then the bytes."""
    return u16(len(raw)) + raw


def new(raw: bytes) -> bytes:
    """FastDataOutput.writeInternedUTF for a string not seen before."""
    return b"\xff\xff" + utf(raw)


def raises_at(what: str = "") -> AbstractContextManager[pytest.ExceptionInfo[ParseError]]:
    """A ParseError whose one-line message names the file and a byte offset."""
    pattern = rf"^{re.escape(NAME)}: (?=[^\n]*offset \d+)[^\n]*{what}[^\n]*$"
    return pytest.raises(ParseError, match=pattern)


# <restrictions><entry key="managementHint" type="s">SECRET</entry></restrictions>, as
# UserManagerService.writeBundle through BinaryXmlSerializer writes it.
OKTA_RES = (
    MAGIC
    + START_DOCUMENT
    + START_TAG + new(b"restrictions")  # interned #0
    + START_TAG + new(b"entry")  # interned #1
    + ATTR_STRING + new(b"key") + utf(b"managementHint")  # name interned #2
    + ATTR_STRING + new(b"type") + utf(b"s")  # name interned #3
    + TEXT + utf(SECRET.encode())
    + END_TAG + u16(1)
    + END_TAG + u16(0)
    + END_DOCUMENT
)  # fmt: skip


def test_hand_assembled_okta_restrictions_decode() -> None:
    root = decode(OKTA_RES, name=NAME)
    entry = Element("entry", {"key": "managementHint", "type": "s"}, text=SECRET)
    assert root == Element("restrictions", children=(entry,))
    assert root.offset == 5
    assert root.children[0].offset == 5 + 1 + 2 + 2 + 12


def test_encoder_writes_what_binary_xml_serializer_writes() -> None:
    entry = Element("entry", {"key": "managementHint", "type": "s"}, text=SECRET)
    assert encode(Element("restrictions", children=(entry,))) == OKTA_RES


def test_hand_assembled_typed_attributes() -> None:
    """Every attribute type of BinaryXmlSerializer, with a reused interned value."""
    data = (
        MAGIC
        + START_DOCUMENT
        + START_TAG + new(b"p")  # interned #0
        + b"\x3f" + new(b"si") + new(b"shared")  # STRING_INTERNED: name #1, value #2
        + b"\x3f" + new(b"again") + u16(2)  # STRING_INTERNED: value by reference to #2
        + b"\x4f" + new(b"hex") + u16(3) + b"\x00\xab\xff"  # BYTES_HEX
        + b"\x5f" + new(b"b64") + u16(0)  # BYTES_BASE64, empty
        + b"\x6f" + new(b"int") + b"\xff\xff\xff\xfe"  # INT -2
        + b"\x7f" + new(b"ihex") + b"\x7f\xff\xff\xff"  # INT_HEX
        + b"\x8f" + new(b"long") + b"\x80" + b"\x00" * 7  # LONG min
        + b"\x9f" + new(b"lhex") + b"\x00" * 7 + b"\x2a"  # LONG_HEX 42
        + b"\xaf" + new(b"float") + b"\x3f\xc0\x00\x00"  # FLOAT 1.5
        + b"\xbf" + new(b"double") + b"\xc0\x09\x21\xfb\x54\x44\x2d\x18"  # DOUBLE -pi
        + b"\xcf" + new(b"yes")  # BOOLEAN_TRUE
        + b"\xdf" + new(b"no")  # BOOLEAN_FALSE
        + b"\x1f" + new(b"nil")  # NULL
        + END_TAG + u16(0)
        + END_DOCUMENT
    )  # fmt: skip
    root = decode(data, name=NAME)
    assert root.attributes == {
        "si": "shared",
        "again": "shared",
        "hex": b"\x00\xab\xff",
        "b64": b"",
        "int": -2,
        "ihex": 2**31 - 1,
        "long": -(2**63),
        "lhex": 42,
        "float": 1.5,
        "double": -math.pi,
        "yes": True,
        "no": False,
        "nil": None,
    }
    assert root.children == () and root.text is None


def test_duplicate_attribute() -> None:
    data = (
        MAGIC + START_TAG + new(b"r")
        + ATTR_STRING + new(b"key") + utf(b"a")
        + ATTR_STRING + u16(1) + utf(SECRET.encode())
        + END_TAG + u16(0) + END_DOCUMENT
    )  # fmt: skip
    with raises_at("duplicate attribute 'key'") as caught:
        decode(data, name=NAME)
    assert SECRET not in str(caught.value)


def test_hand_assembled_text_events_and_modified_utf8() -> None:
    """Text split over TEXT/CDSECT/ENTITY_REF joins; comments and PIs are skipped; ART's
    modified UTF-8 (C0 80 for NUL, 4-byte or surrogate-pair supplementary characters)."""
    data = (
        MAGIC
        # no START_DOCUMENT: BinaryXmlPullParser accepts its absence
        + b"\x29" + utf(b" a comment ")  # COMMENT | TYPE_STRING, before the root
        + START_TAG + new(b"t")
        + TEXT + utf(b"a\xc0\x80b")  # NUL as C0 80
        + b"\x25" + utf(b"<cdata>")  # CDSECT
        + b"\x26" + utf(b"amp")  # ENTITY_REF &amp;
        + b"\x26" + utf(b"#233")  # ENTITY_REF &#233;
        + b"\x28" + utf(b"pi data")  # PROCESSING_INSTRUCTION
        + TEXT + utf(b"\xf0\x9f\x99\x82")  # U+1F642 as a 4-byte sequence
        + TEXT + utf(b"\xed\xa0\xbd\xed\xb8\x80")  # U+1F600 as a CESU surrogate pair
        + b"\x27" + utf(b"   ")  # IGNORABLE_WHITESPACE
        + END_TAG + u16(0)
        + END_DOCUMENT
    )  # fmt: skip
    assert decode(data, name=NAME).text == "a\x00b<cdata>&é🙂😀"


def test_is_abx() -> None:
    assert is_abx(OKTA_RES)
    assert not is_abx(b"<?xml version='1.0'?><restrictions/>")
    assert not is_abx(b"ABX")


# ---------------------------------------------------------------------------------------------
# Round trip
# ---------------------------------------------------------------------------------------------

texts = spiced_texts(st.characters(exclude_categories=["Cs"]), st.sampled_from("\x00😀𝄞中é"), max_size=40)
attribute_values = st.one_of(
    texts,
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.binary(max_size=40),
    st.none(),
)


def element_trees(depth: int = 4) -> st.SearchStrategy[Element]:
    """Elements nested up to ``depth`` levels, attribute names unique by construction.

    Built level by level rather than with ``st.recursive`` (which retries every draw past its leaf
    limit) and attributes from lists of pairs rather than ``st.dictionaries`` (which redraws a name
    already taken): those retries were most of this test's time.
    """
    attributes = st.lists(st.tuples(texts, attribute_values), max_size=4).map(dict)
    leaves = st.builds(Element, tag=texts, attributes=attributes, text=st.none() | texts)
    trees = leaves
    for _ in range(depth):
        children = st.lists(trees, max_size=4).map(tuple)
        trees = leaves | st.builds(Element, tag=texts, attributes=attributes, children=children, text=st.none() | texts)
    return trees


# 100 examples: with the explicit ones (modified UTF-8 in an attribute value and in the text of an
# element with children: branches a run of 80 random trees missed) three runs of 100 covered the
# same branches of the decoder and encoder as 200 examples did.
@pytest.mark.slow
@settings(max_examples=examples(100))
@given(element_trees())
@example(Element("", {"": ""}, text=""))
@example(Element("r", children=(Element("e", text="\x00"), Element("e", text=None))))
@example(Element("r", {"k": "\x00😀", "n": 1}, children=(Element("e"),), text="\x00😀"))
def test_round_trip(tree: Element) -> None:
    assert decode(encode(tree), name=NAME) == tree


def test_interned_table_overflow_still_round_trips() -> None:
    # Past 65535 interned strings FastDataOutput stops interning but still writes the string.
    tree = Element("r", children=tuple(Element(f"t{i}") for i in range(66_000)))
    data = encode(tree)
    assert decode(data, name=NAME, max_interned=65_535) == tree
    with raises_at("more than 4096 interned strings"):
        decode(data, name=NAME)


def test_encoder_refuses_what_android_could_not_write() -> None:
    with pytest.raises(ValueError, match="65535"):
        encode(Element("r", text="x" * 65_536))
    with pytest.raises(ValueError):
        encode(Element("r", text="\ud800"))
    with pytest.raises(ValueError, match="64 bits"):
        encode(Element("r", {"n": 2**63}))


def test_repr_hides_text_and_attribute_values() -> None:
    shown = repr(decode(OKTA_RES, name=NAME).children[0])
    assert SECRET not in shown and "managementHint" not in shown
    assert "entry" in shown and "key" in shown


# ---------------------------------------------------------------------------------------------
# Malformed input
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cut", range(len(OKTA_RES)))
def test_every_truncation_is_a_clean_parse_error(cut: int) -> None:
    with raises_at() as caught:
        decode(OKTA_RES[:cut], name=NAME)
    assert SECRET not in str(caught.value)


def test_truncation_inside_a_string_is_reported_at_its_event() -> None:
    cut = OKTA_RES.index(SECRET.encode()) + 5
    with raises_at(f"offset {OKTA_RES.index(TEXT + utf(SECRET.encode()))}: truncated"):
        decode(OKTA_RES[:cut], name=NAME)


def test_wrong_magic() -> None:
    with raises_at("wrong magic"):
        decode(b"<?xml version='1.0' ?><restrictions />", name=NAME)
    with raises_at("wrong magic"):
        decode(b"ABX\x01" + OKTA_RES[4:], name=NAME)


@pytest.mark.parametrize("event", [0x2B, 0x2C, 0x2D, 0x2E, 0x3B])
def test_unknown_token(event: int) -> None:
    data = MAGIC + START_DOCUMENT + START_TAG + new(b"r") + bytes([event]) + utf(b"x")
    with raises_at(f"offset {len(data) - 4}: unknown token"):
        decode(data + END_TAG + u16(0) + END_DOCUMENT, name=NAME)


@pytest.mark.parametrize("event", [0x0F, 0xEF, 0xFF])
def test_unknown_attribute_type(event: int) -> None:
    data = MAGIC + START_DOCUMENT + START_TAG + new(b"r") + bytes([event]) + new(b"a") + b"\0" * 8
    with raises_at("unknown attribute data type"):
        decode(data + END_TAG + u16(0) + END_DOCUMENT, name=NAME)


def test_known_token_with_a_wrong_data_type() -> None:
    data = MAGIC + START_TAG + new(b"r") + b"\x64" + b"\0\0\0\1" + END_TAG + u16(0) + END_DOCUMENT
    with raises_at("token 4 with unexpected data type 6"):
        decode(data, name=NAME)


@pytest.mark.parametrize(
    "raw",
    [b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\xbd", b"\xc0\x81", b"\xf8\x88\x80\x80\x80"],
)
def test_bad_utf8(raw: bytes) -> None:
    data = MAGIC + START_TAG + new(b"r") + TEXT + utf(SECRET.encode() + raw)
    with raises_at("not valid modified UTF-8") as caught:
        decode(data + END_TAG + u16(0) + END_DOCUMENT, name=NAME)
    assert SECRET not in str(caught.value)


def test_string_index_out_of_range() -> None:
    data = MAGIC + START_TAG + new(b"r") + START_TAG + u16(1) + END_TAG + u16(0) + END_DOCUMENT
    with raises_at("interned string index 1 out of range"):
        decode(data, name=NAME)


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (START_TAG + new(b"a") + END_TAG + new(b"b"), "end tag 'b' does not close 'a'"),
        (START_TAG + new(b"a"), "end of document inside element 'a'"),
        (END_TAG + new(b"a"), "end tag 'a' without a start tag"),
        (START_TAG + new(b"a") + END_TAG + u16(0) + START_TAG + u16(0), "second root"),
        (TEXT + utf(b"x"), "text outside the root"),
        (b"", "no root element"),
        (START_TAG + new(b"a") + TEXT + utf(b"") + ATTR_STRING + new(b"k") + utf(b""), "attr"),
        (START_DOCUMENT + START_TAG + new(b"a"), "START_DOCUMENT after the start"),
        (START_TAG + new(b"a") + b"\x26" + utf(b"xxe"), "unknown entity"),
    ],
)
def test_malformed_structure(body: bytes, what: str) -> None:
    with raises_at(re.escape(what)):
        decode(MAGIC + START_DOCUMENT + body + END_DOCUMENT, name=NAME)


def test_data_after_end_document() -> None:
    with raises_at(f"offset {len(OKTA_RES)}: data after the end"):
        decode(OKTA_RES + b"\x00", name=NAME)


def test_oversize_input() -> None:
    with raises_at(f"exceed the {MAX_INPUT_BYTES}-byte limit"):
        decode(OKTA_RES + bytes(MAX_INPUT_BYTES), name=NAME)


def test_depth_bound() -> None:
    deep = Element("d")
    for _ in range(64):
        deep = Element("d", children=(deep,))
    with raises_at("nesting deeper than 64"):
        decode(encode(deep), name=NAME)
    assert decode(encode(deep.children[0]), name=NAME) == deep.children[0]


def test_truncated_typed_attribute() -> None:
    data = MAGIC + START_TAG + new(b"r") + b"\x8f" + new(b"long") + struct.pack(">i", 7)
    with raises_at("truncated"):
        decode(data, name=NAME)
