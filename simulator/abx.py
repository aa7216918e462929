"""Android Binary XML (ABX): the format, its element tree and a faithful encoder.

Since Android 12 ``system_server`` writes most of ``/data/system`` — including the application
restriction files that carry ``managementHint`` — in ABX instead of text XML
(``persist.sys.binary_xml``). The virtual phone (:mod:`simulator.adbd`) serves such files and
the bundled captures are made with this encoder; the bounded decoder that reads untrusted device
bytes lives with the other parsers (:mod:`harness.parsers.abx`) and shares these definitions.

The format, as defined by AOSP ``frameworks/base/core/java/com/android/internal/util/``
``BinaryXmlSerializer.java`` (writer), ``BinaryXmlPullParser.java`` (reader) and
``FastDataOutput.java`` / ``FastDataInput.java`` (primitives; the same classes moved to
``frameworks/libs/modules-utils`` as ``com.android.modules.utils`` in Android 13):

* the magic ``ABX\\0`` (``41 42 58 00``: "ABX" and protocol version 0);
* then a stream of events, each one byte: the low nibble is an ``XmlPullParser`` token
  (START_DOCUMENT 0, END_DOCUMENT 1, START_TAG 2, END_TAG 3, TEXT 4, CDSECT 5, ENTITY_REF 6,
  IGNORABLE_WHITESPACE 7, PROCESSING_INSTRUCTION 8, COMMENT 9, DOCDECL 10) or the internal
  ATTRIBUTE 15, and the high nibble a data type (NULL 1, STRING 2, STRING_INTERNED 3,
  BYTES_HEX 4, BYTES_BASE64 5, INT 6, INT_HEX 7, LONG 8, LONG_HEX 9, FLOAT 10, DOUBLE 11,
  BOOLEAN_TRUE 12, BOOLEAN_FALSE 13);
* START_DOCUMENT/END_DOCUMENT carry TYPE_NULL and nothing else; START_TAG/END_TAG carry an
  interned tag name; text-like tokens carry TYPE_STRING and a string; ATTRIBUTE carries an
  interned name and then a value whose encoding its type names: big-endian u16 length + bytes
  for BYTES_*, big-endian int32/int64 for INT*/LONG*, IEEE 754 big-endian for FLOAT/DOUBLE,
  nothing for NULL and BOOLEAN_*;
* a string is a big-endian u16 byte length and "modified UTF-8" as ART writes it (NUL as
  ``C0 80``; supplementary characters as 4-byte sequences, the ``kUtfUse4ByteSequence``
  behaviour noted in ``android/util/CharsetUtils.java``; the 3-byte-sequence variant encodes
  them as surrogate pairs). An interned string is a u16 index into the strings seen so far, or
  ``0xFFFF`` followed by a new string, which takes the next index (while fewer than 65535).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

MAGIC = b"ABX\x00"

# Event tokens (low nibble): org.xmlpull.v1.XmlPullParser constants, plus ABX's ATTRIBUTE.
START_DOCUMENT = 0
END_DOCUMENT = 1
START_TAG = 2
END_TAG = 3
TEXT = 4
CDSECT = 5
ENTITY_REF = 6
IGNORABLE_WHITESPACE = 7
PROCESSING_INSTRUCTION = 8
COMMENT = 9
DOCDECL = 10
ATTRIBUTE = 15

# Data types (high nibble), BinaryXmlSerializer.TYPE_*.
TYPE_NULL = 1 << 4
TYPE_STRING = 2 << 4
TYPE_STRING_INTERNED = 3 << 4
TYPE_BYTES_HEX = 4 << 4
TYPE_BYTES_BASE64 = 5 << 4
TYPE_INT = 6 << 4
TYPE_INT_HEX = 7 << 4
TYPE_LONG = 8 << 4
TYPE_LONG_HEX = 9 << 4
TYPE_FLOAT = 10 << 4
TYPE_DOUBLE = 11 << 4
TYPE_BOOLEAN_TRUE = 12 << 4
TYPE_BOOLEAN_FALSE = 13 << 4

NEW_STRING = 0xFFFF
MAX_UTF_BYTES = 0xFFFF

# Whole event bytes the writer emits most.
EV_START_DOCUMENT = START_DOCUMENT | TYPE_NULL
EV_END_DOCUMENT = END_DOCUMENT | TYPE_NULL
EV_START_TAG = START_TAG | TYPE_STRING_INTERNED
EV_END_TAG = END_TAG | TYPE_STRING_INTERNED
EV_TEXT = TEXT | TYPE_STRING
EV_ATTR_STRING = ATTRIBUTE | TYPE_STRING

# FastDataOutput's fixed-size primitives: big-endian.
INT = struct.Struct(">i")
LONG = struct.Struct(">q")
FLOAT = struct.Struct(">f")
DOUBLE = struct.Struct(">d")


AttrValue = str | int | float | bool | bytes | None
"""A decoded attribute value.

INT/INT_HEX/LONG/LONG_HEX all decode to ``int`` and FLOAT/DOUBLE to ``float`` (hex versus
decimal is only how ``abx2xml`` prints them); BYTES_* to ``bytes``; NULL to ``None``.
"""


@dataclass(slots=True)
class Element:
    """One element of a decoded document.

    ``children`` is a tuple: a decoded tree is read, not edited, and a leaf then needs no list
    of its own (one allocation less per element, and one object less for the cyclic collector
    to walk: 15% of the decode time). ``text`` is ``None`` when the element held no text event
    at all and ``""`` when it held an empty one (Android writes ``text("")`` for an empty
    string value); text split across several events is joined. ``offset`` is the byte offset
    of the element's start tag in the input, for error messages; it takes no part in equality.
    """

    tag: str
    attributes: dict[str, AttrValue] = field(default_factory=dict)
    children: tuple[Element, ...] = ()
    text: str | None = None
    offset: int = field(default=-1, compare=False)

    def __repr__(self) -> str:
        # Text and attribute values may be secrets (managementHint): show only their shape.
        text = "None" if self.text is None else f"<{len(self.text)} chars>"
        return (
            f"Element({self.tag!r}, attributes={sorted(self.attributes)!r}, "
            f"children={len(self.children)}, text={text}, offset={self.offset})"
        )


def encode(root: Element) -> bytes:
    """Encode a tree exactly as ``BinaryXmlSerializer`` writes the same event sequence.

    An element's text (when not ``None``, even ``""``) is written before its children.
    Attribute types follow the Python value: ``str`` as STRING, ``bool`` as BOOLEAN_*, ``int``
    as INT (LONG beyond 32 bits), ``float`` as DOUBLE, ``bytes`` as BYTES_BASE64, ``None`` as
    NULL. Raises ``ValueError`` for what Android could not write either: a string over 65535
    encoded bytes, a lone surrogate, an integer beyond 64 bits.
    """
    encoder = _Encoder()
    encoder.out.append(EV_START_DOCUMENT)
    encoder.element(root)
    encoder.out.append(EV_END_DOCUMENT)
    return bytes(encoder.out)


class _Encoder:
    """FastDataOutput's primitives over a growing buffer, with its interning table."""

    __slots__ = ("interned", "out")

    def __init__(self) -> None:
        self.out = bytearray(MAGIC)
        self.interned: dict[str, int] = {}

    def element(self, element: Element) -> None:
        out = self.out
        out.append(EV_START_TAG)
        self.interned_utf(element.tag)
        for key, value in element.attributes.items():
            self.attribute(key, value)
        if element.text is not None:
            out.append(EV_TEXT)
            self.utf(element.text)
        for child in element.children:
            self.element(child)
        out.append(EV_END_TAG)
        self.interned_utf(element.tag)

    def attribute(self, key: str, value: AttrValue) -> None:
        out = self.out
        if isinstance(value, str):
            out.append(ATTRIBUTE | TYPE_STRING)
            self.interned_utf(key)
            self.utf(value)
        elif isinstance(value, bool):
            out.append(ATTRIBUTE | (TYPE_BOOLEAN_TRUE if value else TYPE_BOOLEAN_FALSE))
            self.interned_utf(key)
        elif isinstance(value, int):
            wide = not -(2**31) <= value < 2**31
            out.append(ATTRIBUTE | (TYPE_LONG if wide else TYPE_INT))
            self.interned_utf(key)
            try:
                out += (LONG if wide else INT).pack(value)
            except struct.error:
                raise ValueError(f"attribute {key!r}: integer beyond 64 bits") from None
        elif isinstance(value, float):
            out.append(ATTRIBUTE | TYPE_DOUBLE)
            self.interned_utf(key)
            out += DOUBLE.pack(value)
        elif isinstance(value, bytes):
            if len(value) > MAX_UTF_BYTES:
                raise ValueError(f"attribute {key!r}: over {MAX_UTF_BYTES} bytes")
            out.append(ATTRIBUTE | TYPE_BYTES_BASE64)
            self.interned_utf(key)
            out += len(value).to_bytes(2, "big")
            out += value
        else:
            out.append(ATTRIBUTE | TYPE_NULL)
            self.interned_utf(key)

    def utf(self, text: str) -> None:
        # ART's modified UTF-8 with 4-byte sequences: standard UTF-8 except NUL as C0 80.
        raw = text.encode("utf-8").replace(b"\x00", b"\xc0\x80")
        if len(raw) > MAX_UTF_BYTES:
            raise ValueError(f"string of {len(raw)} bytes exceeds ABX's {MAX_UTF_BYTES}")
        self.out += len(raw).to_bytes(2, "big")
        self.out += raw

    def interned_utf(self, text: str) -> None:
        ref = self.interned.get(text)
        if ref is not None:
            self.out += ref.to_bytes(2, "big")
            return
        self.out += b"\xff\xff"
        self.utf(text)
        if len(self.interned) < NEW_STRING:
            self.interned[text] = len(self.interned)
