"""Android Binary XML (ABX): a bounded decoder.

Since Android 12 ``system_server`` writes most of ``/data/system`` — including the application
restriction files that carry ``managementHint`` — in ABX instead of text XML
(``persist.sys.binary_xml``), so a reader of a rooted device or of a capture must understand it.

The format (AOSP ``BinaryXmlSerializer``/``BinaryXmlPullParser``), the :class:`Element` tree and
the encoder are in :mod:`simulator.abx`, which the virtual phone and the capture maker use too.

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

from harness.errors import ParseError
from simulator.abx import (
    ATTRIBUTE as _ATTRIBUTE,
)
from simulator.abx import (
    CDSECT as _CDSECT,
)
from simulator.abx import (
    COMMENT as _COMMENT,
)
from simulator.abx import (
    DOCDECL as _DOCDECL,
)
from simulator.abx import (
    DOUBLE as _DOUBLE,
)
from simulator.abx import (
    ENTITY_REF as _ENTITY_REF,
)
from simulator.abx import (
    EV_ATTR_STRING as _EV_ATTR_STRING,
)
from simulator.abx import (
    EV_END_DOCUMENT as _EV_END_DOCUMENT,
)
from simulator.abx import (
    EV_END_TAG as _EV_END_TAG,
)
from simulator.abx import (
    EV_START_DOCUMENT as _EV_START_DOCUMENT,
)
from simulator.abx import (
    EV_START_TAG as _EV_START_TAG,
)
from simulator.abx import (
    EV_TEXT as _EV_TEXT,
)
from simulator.abx import (
    FLOAT as _FLOAT,
)
from simulator.abx import (
    IGNORABLE_WHITESPACE as _IGNORABLE_WHITESPACE,
)
from simulator.abx import (
    INT as _INT,
)
from simulator.abx import (
    LONG as _LONG,
)
from simulator.abx import (
    MAGIC,
    AttrValue,
    Element,
)
from simulator.abx import (
    NEW_STRING as _NEW_STRING,
)
from simulator.abx import (
    PROCESSING_INSTRUCTION as _PROCESSING_INSTRUCTION,
)
from simulator.abx import (
    START_DOCUMENT as _START_DOCUMENT,
)
from simulator.abx import (
    TYPE_BOOLEAN_FALSE as _TYPE_BOOLEAN_FALSE,
)
from simulator.abx import (
    TYPE_BOOLEAN_TRUE as _TYPE_BOOLEAN_TRUE,
)
from simulator.abx import (
    TYPE_BYTES_BASE64 as _TYPE_BYTES_BASE64,
)
from simulator.abx import (
    TYPE_BYTES_HEX as _TYPE_BYTES_HEX,
)
from simulator.abx import (
    TYPE_DOUBLE as _TYPE_DOUBLE,
)
from simulator.abx import (
    TYPE_FLOAT as _TYPE_FLOAT,
)
from simulator.abx import (
    TYPE_INT as _TYPE_INT,
)
from simulator.abx import (
    TYPE_INT_HEX as _TYPE_INT_HEX,
)
from simulator.abx import (
    TYPE_LONG as _TYPE_LONG,
)
from simulator.abx import (
    TYPE_LONG_HEX as _TYPE_LONG_HEX,
)
from simulator.abx import (
    TYPE_NULL as _TYPE_NULL,
)
from simulator.abx import (
    TYPE_STRING as _TYPE_STRING,
)
from simulator.abx import (
    TYPE_STRING_INTERNED as _TYPE_STRING_INTERNED,
)

#: Largest input accepted, in bytes (device files of interest are a few kilobytes).
MAX_INPUT_BYTES = 8 * 1024 * 1024
#: Deepest element nesting accepted.
MAX_DEPTH = 64
#: Most interned strings accepted (the format allows 65535; restriction files use six).
MAX_INTERNED_STRINGS = 4096

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

_FIXED_ATTRIBUTE_TYPES = {
    _TYPE_INT: _INT,
    _TYPE_INT_HEX: _INT,
    _TYPE_LONG: _LONG,
    _TYPE_LONG_HEX: _LONG,
    _TYPE_FLOAT: _FLOAT,
    _TYPE_DOUBLE: _DOUBLE,
}


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
        if entity[:1] == "#" and digits.isascii() and digits.isdigit() and len(digits.lstrip("0")) <= 7:
            code = int(digits)
            if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                return chr(code)
        raise self.error(start, "unknown entity reference")
