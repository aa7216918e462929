"""Android Binary XML (ABX): a bounded decoder and a faithful encoder.

Since Android 12 ``system_server`` writes most of ``/data/system`` — including the application
restriction files that carry ``managementHint`` — in ABX instead of text XML
(``persist.sys.binary_xml``), so a reader of a rooted device or of a capture must understand it.

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

The decoder builds a small :class:`Element` tree (not ``xml.etree``: ABX has typed attribute
values and needs none of XML's entity machinery). Device output is untrusted, so it is bounded
(input size, depth, interned strings) and turns every malformation into
:class:`harness.errors.ParseError` naming the file and the byte offset of the event at fault —
never a string's content, which may be a secret. It is stricter than BinaryXmlPullParser where
that one reads on regardless: END_DOCUMENT is required (a cut file is an error, not a shorter
document) and nothing may follow it, each token must carry the data type the serializer writes,
an attribute name may not repeat, and malformed UTF-8 is an error rather than U+FFFD.
"""

from __future__ import annotations

import gc
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from harness.errors import ParseError

MAGIC = b"ABX\x00"

#: Largest input accepted, in bytes (device files of interest are a few kilobytes).
MAX_INPUT_BYTES = 8 * 1024 * 1024
#: Deepest element nesting accepted.
MAX_DEPTH = 64
#: Most interned strings accepted (the format allows 65535; restriction files use six).
MAX_INTERNED_STRINGS = 4096

# Event tokens (low nibble): org.xmlpull.v1.XmlPullParser constants, plus ABX's ATTRIBUTE.
_START_DOCUMENT = 0
_END_DOCUMENT = 1
_START_TAG = 2
_END_TAG = 3
_TEXT = 4
_CDSECT = 5
_ENTITY_REF = 6
_IGNORABLE_WHITESPACE = 7
_PROCESSING_INSTRUCTION = 8
_COMMENT = 9
_DOCDECL = 10
_ATTRIBUTE = 15

# Data types (high nibble), BinaryXmlSerializer.TYPE_*.
_TYPE_NULL = 1 << 4
_TYPE_STRING = 2 << 4
_TYPE_STRING_INTERNED = 3 << 4
_TYPE_BYTES_HEX = 4 << 4
_TYPE_BYTES_BASE64 = 5 << 4
_TYPE_INT = 6 << 4
_TYPE_INT_HEX = 7 << 4
_TYPE_LONG = 8 << 4
_TYPE_LONG_HEX = 9 << 4
_TYPE_FLOAT = 10 << 4
_TYPE_DOUBLE = 11 << 4
_TYPE_BOOLEAN_TRUE = 12 << 4
_TYPE_BOOLEAN_FALSE = 13 << 4

_NEW_STRING = 0xFFFF
_MAX_UTF_BYTES = 0xFFFF

# Whole event bytes of the hot paths, dispatched on directly.
_EV_ATTR_STRING = _ATTRIBUTE | _TYPE_STRING
_EV_START_TAG = _START_TAG | _TYPE_STRING_INTERNED
_EV_END_TAG = _END_TAG | _TYPE_STRING_INTERNED
_EV_TEXT = _TEXT | _TYPE_STRING
_EV_START_DOCUMENT = _START_DOCUMENT | _TYPE_NULL
_EV_END_DOCUMENT = _END_DOCUMENT | _TYPE_NULL

# Besides TEXT, events whose string joins the enclosing element's text, and those skipped, as
# BinaryXmlPullParser.next() does.
_MORE_TEXT_EVENTS = frozenset({_CDSECT | _TYPE_STRING, _ENTITY_REF | _TYPE_STRING})
_SKIPPED_EVENTS = frozenset(
    {
        _IGNORABLE_WHITESPACE | _TYPE_STRING,
        _PROCESSING_INSTRUCTION | _TYPE_STRING,
        _COMMENT | _TYPE_STRING,
        _DOCDECL | _TYPE_STRING,
    }
)
# Predefined entities resolved by BinaryXmlPullParser.resolveEntity.
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "apos": "'", "quot": '"'}

_INT = struct.Struct(">i")
_LONG = struct.Struct(">q")
_FLOAT = struct.Struct(">f")
_DOUBLE = struct.Struct(">d")
_FIXED_ATTRIBUTE_TYPES = {
    _TYPE_INT: _INT,
    _TYPE_INT_HEX: _INT,
    _TYPE_LONG: _LONG,
    _TYPE_LONG_HEX: _LONG,
    _TYPE_FLOAT: _FLOAT,
    _TYPE_DOUBLE: _DOUBLE,
}

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


def decode(
    data: bytes,
    *,
    name: str,
    max_bytes: int = MAX_INPUT_BYTES,
    max_depth: int = MAX_DEPTH,
    max_interned: int = MAX_INTERNED_STRINGS,
) -> Element:
    """Decode an ABX document to its root :class:`Element`.

    ``name`` (the file or request the bytes came from) prefixes every error. The document must
    be complete: one root element and the END_DOCUMENT event, with nothing after it.
    """
    if len(data) > max_bytes:
        raise ParseError(f"{name}: {len(data)} bytes at offset 0 exceed the {max_bytes}-byte limit")
    with _cyclic_gc_paused():
        return _Decoder(data, name, max_depth, max_interned).run()


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a tree is built.

    Decoding allocates a tree that cannot contain a reference cycle, yet each allocation burst
    makes the collector walk the growing tree again: a fifth of the decode time of a 5 MB
    file. Reference counting still frees everything as usual; the collector's previous state is
    restored even on error.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def is_abx(data: bytes) -> bool:
    """Whether ``data`` starts with the ABX magic, as Android's ``Xml.resolvePullParser`` checks."""
    return data[:4] == MAGIC


class _Decoder:
    """One decoding pass; the event loop keeps its hot state in local variables for speed."""

    __slots__ = ("buf", "interned", "max_depth", "max_interned", "name", "size")

    def __init__(self, data: bytes, name: str, max_depth: int, max_interned: int) -> None:
        self.buf = bytes(data)
        self.size = len(data)
        self.name = name
        self.max_depth = max_depth
        self.max_interned = max_interned
        self.interned: list[str] = []

    def error(self, offset: int, what: str) -> ParseError:
        return ParseError(f"{self.name}: invalid ABX at offset {offset}: {what}")

    def run(self) -> Element:
        buf = self.buf
        size = self.size
        if buf[:4] != MAGIC:
            if size < 4 and MAGIC.startswith(buf):
                raise self.truncated(0)
            raise self.error(0, "wrong magic (not Android Binary XML)")
        pos = 4
        if size > pos and buf[pos] == _EV_START_DOCUMENT:
            pos += 1
        interned = self.interned
        # Open ancestors of ``cur``, each with the text pieces and children seen so far (joined
        # at its end tag, so that many small text events cost linear time).
        stack: list[tuple[Element, list[str], list[Element]]] = []
        cur: Element | None = None
        parts: list[str] = []
        kids: list[Element] = []
        root: Element | None = None
        deepest = self.max_depth - 2
        value: AttrValue
        # The hot paths are written out inline, since a method call per event would cost a
        # third of the speed: a start tag with its attributes and, for the common leaf
        # element, its text and end tag; then text and end tags of elements with children.
        # Reading past the end raises IndexError (or struct.error), reported as truncation.
        start = pos
        try:
            while True:
                start = pos
                event = buf[pos]
                if event == _EV_START_TAG:
                    ref = buf[pos + 1] << 8 | buf[pos + 2]
                    pos += 3
                    try:
                        tag = interned[ref]
                    except IndexError:
                        tag, pos = self.new_interned(ref, pos, start)
                        ref = len(interned) - 1 if interned and interned[-1] is tag else -1
                    attrs: dict[str, AttrValue] = {}
                    element = Element(tag, attrs, (), None, start)
                    if cur is not None:
                        if len(stack) > deepest:
                            raise self.error(start, f"nesting deeper than {self.max_depth}")
                        kids.append(element)
                    elif root is None:
                        root = element
                    else:
                        raise self.error(start, "second root element")
                    # ATTRIBUTE events belong to the start tag they directly follow.
                    while True:
                        start = pos
                        event = buf[pos]
                        if event == _EV_ATTR_STRING:
                            key_ref = buf[pos + 1] << 8 | buf[pos + 2]
                            pos += 3
                            try:
                                key = interned[key_ref]
                            except IndexError:
                                key, pos = self.new_interned(key_ref, pos, start)
                            end = pos + 2 + (buf[pos] << 8 | buf[pos + 1])
                            if end > size:
                                raise self.truncated(start)
                            try:
                                value = buf[pos + 2 : end].decode()
                            except UnicodeDecodeError:
                                value = self.modified_utf8(pos + 2, end, start)
                            pos = end
                        elif event & 0x0F == _ATTRIBUTE:
                            key, pos = self.interned_utf(pos + 1, start)
                            value, pos = self.attribute_value(event & 0xF0, pos, start)
                        else:
                            break
                        if key in attrs:
                            raise self.error(start, f"duplicate attribute {key!r}")
                        attrs[key] = value
                    # A leaf: one text event (or none), then the end tag of the same name.
                    if event == _EV_TEXT:
                        end = pos + 3 + (buf[pos + 1] << 8 | buf[pos + 2])
                        if end + 3 <= size and buf[end] == _EV_END_TAG and buf[end + 1] << 8 | buf[end + 2] == ref:
                            try:
                                element.text = buf[pos + 3 : end].decode()
                            except UnicodeDecodeError:
                                element.text = self.modified_utf8(pos + 3, end, start)
                            pos = end + 3
                            continue
                    elif event == _EV_END_TAG and buf[pos + 1] << 8 | buf[pos + 2] == ref:
                        pos += 3
                        continue
                    if cur is not None:
                        stack.append((cur, parts, kids))
                    cur = element
                    parts = []
                    kids = []
                elif event == _EV_TEXT:
                    end = pos + 3 + (buf[pos + 1] << 8 | buf[pos + 2])
                    if end > size:
                        raise self.truncated(start)
                    try:
                        text = buf[pos + 3 : end].decode()
                    except UnicodeDecodeError:
                        text = self.modified_utf8(pos + 3, end, start)
                    pos = end
                    if cur is not None:
                        parts.append(text)
                    elif text.strip():
                        raise self.error(start, "text outside the root element")
                elif event == _EV_END_TAG:
                    ref = buf[pos + 1] << 8 | buf[pos + 2]
                    pos += 3
                    try:
                        tag = interned[ref]
                    except IndexError:
                        tag, pos = self.new_interned(ref, pos, start)
                    if cur is None:
                        raise self.error(start, f"end tag {tag!r} without a start tag")
                    if tag != cur.tag:
                        raise self.error(start, f"end tag {tag!r} does not close {cur.tag!r}")
                    if parts:
                        cur.text = parts[0] if len(parts) == 1 else "".join(parts)
                    if kids:
                        cur.children = tuple(kids)
                    cur, parts, kids = stack.pop() if stack else (None, [], [])
                elif event == _EV_END_DOCUMENT:
                    pos += 1
                    break
                else:
                    pos = self.rare_event(event, pos + 1, start, cur, parts)
        except (IndexError, struct.error):
            raise self.truncated(start) from None
        if cur is not None:
            raise self.error(start, f"end of document inside element {cur.tag!r}")
        if root is None:
            raise self.error(start, "no root element")
        if pos != size:
            raise self.error(pos, "data after the end of the document")
        return root

    def truncated(self, start: int) -> ParseError:
        return self.error(start, f"truncated (the data ends at offset {self.size})")

    def rare_event(self, event: int, pos: int, start: int, cur: Element | None, parts: list[str]) -> int:
        """Events Android writes rarely or never for restrictions; returns the new position."""
        token = event & 0x0F
        kind = event & 0xF0
        if event in _MORE_TEXT_EVENTS:
            text, pos = self.utf(pos, start)
            if token == _ENTITY_REF:
                text = self.resolve_entity(text, start)
            if cur is not None:
                parts.append(text)
            elif text.strip():
                raise self.error(start, "text outside the root element")
        elif event in _SKIPPED_EVENTS:
            _, pos = self.utf(pos, start)
        elif token == _ATTRIBUTE:
            raise self.error(start, "attribute not directly after a start tag")
        elif token == _START_DOCUMENT and kind == _TYPE_NULL:
            raise self.error(start, "START_DOCUMENT after the start")
        elif token > _DOCDECL:
            raise self.error(start, f"unknown token {token}")
        else:
            raise self.error(start, f"token {token} with unexpected data type {kind >> 4}")
        return pos

    def attribute_value(self, kind: int, pos: int, start: int) -> tuple[AttrValue, int]:
        buf = self.buf
        if kind == _TYPE_STRING_INTERNED:
            return self.interned_utf(pos, start)
        fixed = _FIXED_ATTRIBUTE_TYPES.get(kind)
        if fixed is not None:
            value: AttrValue = fixed.unpack_from(buf, pos)[0]
            return value, pos + fixed.size
        if kind == _TYPE_BOOLEAN_TRUE:
            return True, pos
        if kind == _TYPE_BOOLEAN_FALSE:
            return False, pos
        if kind == _TYPE_NULL:
            return None, pos
        if kind in (_TYPE_BYTES_HEX, _TYPE_BYTES_BASE64):
            length = buf[pos] << 8 | buf[pos + 1]
            end = pos + 2 + length
            if end > self.size:
                raise self.truncated(start)
            return buf[pos + 2 : end], end
        raise self.error(start, f"unknown attribute data type {kind >> 4}")

    def utf(self, pos: int, start: int) -> tuple[str, int]:
        buf = self.buf
        length = buf[pos] << 8 | buf[pos + 1]
        pos += 2
        end = pos + length
        if end > self.size:
            raise self.truncated(start)
        try:
            return buf[pos:end].decode(), end
        except UnicodeDecodeError:
            return self.modified_utf8(pos, end, start), end

    def interned_utf(self, pos: int, start: int) -> tuple[str, int]:
        buf = self.buf
        ref = buf[pos] << 8 | buf[pos + 1]
        if ref < len(self.interned):
            return self.interned[ref], pos + 2
        return self.new_interned(ref, pos + 2, start)

    def new_interned(self, ref: int, pos: int, start: int) -> tuple[str, int]:
        """A string reference that is not in the table: a new string, or an error."""
        if ref != _NEW_STRING:
            raise self.error(start, f"interned string index {ref} out of range")
        value, pos = self.utf(pos, start)
        if len(self.interned) < _NEW_STRING:  # a full table takes no more, as FastDataInput
            if len(self.interned) >= self.max_interned:
                raise self.error(start, f"more than {self.max_interned} interned strings")
            self.interned.append(value)
        return value, pos

    def modified_utf8(self, pos: int, end: int, start: int) -> str:
        """Decode what strict UTF-8 refused: ``C0 80`` NULs and 3-byte-encoded surrogate pairs."""
        raw = self.buf[pos:end].replace(b"\xc0\x80", b"\x00")
        try:
            text = raw.decode("utf-8", "surrogatepass")
            # Pair up surrogates; a lone one is corruption, not text.
            return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
        except UnicodeDecodeError:
            raise self.error(start, "string is not valid modified UTF-8") from None

    def resolve_entity(self, entity: str, start: int) -> str:
        if entity in _ENTITIES:
            return _ENTITIES[entity]
        digits = entity[1:]
        if entity[:1] == "#" and digits.isascii() and digits.isdigit():
            code = int(digits)
            if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                return chr(code)
        raise self.error(start, "unknown entity reference")


def encode(root: Element) -> bytes:
    """Encode a tree exactly as ``BinaryXmlSerializer`` writes the same event sequence.

    An element's text (when not ``None``, even ``""``) is written before its children.
    Attribute types follow the Python value: ``str`` as STRING, ``bool`` as BOOLEAN_*, ``int``
    as INT (LONG beyond 32 bits), ``float`` as DOUBLE, ``bytes`` as BYTES_BASE64, ``None`` as
    NULL. Raises ``ValueError`` for what Android could not write either: a string over 65535
    encoded bytes, a lone surrogate, an integer beyond 64 bits.
    """
    encoder = _Encoder()
    encoder.out.append(_EV_START_DOCUMENT)
    encoder.element(root)
    encoder.out.append(_EV_END_DOCUMENT)
    return bytes(encoder.out)


class _Encoder:
    """FastDataOutput's primitives over a growing buffer, with its interning table."""

    __slots__ = ("interned", "out")

    def __init__(self) -> None:
        self.out = bytearray(MAGIC)
        self.interned: dict[str, int] = {}

    def element(self, element: Element) -> None:
        out = self.out
        out.append(_EV_START_TAG)
        self.interned_utf(element.tag)
        for key, value in element.attributes.items():
            self.attribute(key, value)
        if element.text is not None:
            out.append(_EV_TEXT)
            self.utf(element.text)
        for child in element.children:
            self.element(child)
        out.append(_EV_END_TAG)
        self.interned_utf(element.tag)

    def attribute(self, key: str, value: AttrValue) -> None:
        out = self.out
        if isinstance(value, str):
            out.append(_ATTRIBUTE | _TYPE_STRING)
            self.interned_utf(key)
            self.utf(value)
        elif isinstance(value, bool):
            out.append(_ATTRIBUTE | (_TYPE_BOOLEAN_TRUE if value else _TYPE_BOOLEAN_FALSE))
            self.interned_utf(key)
        elif isinstance(value, int):
            wide = not -(2**31) <= value < 2**31
            out.append(_ATTRIBUTE | (_TYPE_LONG if wide else _TYPE_INT))
            self.interned_utf(key)
            try:
                out += (_LONG if wide else _INT).pack(value)
            except struct.error:
                raise ValueError(f"attribute {key!r}: integer beyond 64 bits") from None
        elif isinstance(value, float):
            out.append(_ATTRIBUTE | _TYPE_DOUBLE)
            self.interned_utf(key)
            out += _DOUBLE.pack(value)
        elif isinstance(value, bytes):
            if len(value) > _MAX_UTF_BYTES:
                raise ValueError(f"attribute {key!r}: over {_MAX_UTF_BYTES} bytes")
            out.append(_ATTRIBUTE | _TYPE_BYTES_BASE64)
            self.interned_utf(key)
            out += len(value).to_bytes(2, "big")
            out += value
        else:
            out.append(_ATTRIBUTE | _TYPE_NULL)
            self.interned_utf(key)

    def utf(self, text: str) -> None:
        # ART's modified UTF-8 with 4-byte sequences: standard UTF-8 except NUL as C0 80.
        raw = text.encode("utf-8").replace(b"\x00", b"\xc0\x80")
        if len(raw) > _MAX_UTF_BYTES:
            raise ValueError(f"string of {len(raw)} bytes exceeds ABX's {_MAX_UTF_BYTES}")
        self.out += len(raw).to_bytes(2, "big")
        self.out += raw

    def interned_utf(self, text: str) -> None:
        ref = self.interned.get(text)
        if ref is not None:
            self.out += ref.to_bytes(2, "big")
            return
        self.out += b"\xff\xff"
        self.utf(text)
        if len(self.interned) < _NEW_STRING:
            self.interned[text] = len(self.interned)
