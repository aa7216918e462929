"""Application restriction files: what an EMM set for an app, as Android keeps it on disk.

``DevicePolicyManager.setApplicationRestrictions`` ends in ``/data/system/users/<id>/
res_<pkg>.xml`` (AOSP ``services/core/java/com/android/server/pm/UserManagerService.java``,
``writeApplicationRestrictionsLAr``/``readApplicationRestrictionsLAr``) and, with the Android
14+ device-policy engine, in ``/data/system/AppRestrictions_<pkg><hash>.xml``
(``services/devicepolicy/.../BundlePolicySerializer.java``, the same code copied). Both are
written through ``Xml.resolveSerializer``: text XML by ``FastXmlSerializer`` or, by default
since Android 12, Android Binary XML (:mod:`harness.parsers.abx`). Readers tell them apart by
the ``ABX\\0`` magic, as ``Xml.resolvePullParser`` does.

The content (``writeBundle``/``readEntry``)::

    <restrictions>
      <entry key="managementHint" type="s">3zr7Q~...</entry>      s: string
      <entry key="flag" type="b">true</entry>                      b: boolean
      <entry key="n" type="i">42</entry>                           i: integer
      <entry key="list" type="sa" m="2"><value>a</value><value>b</value></entry>
      <entry key="bundle" type="B"><entry .../>...</entry>         B: nested bundle
      <entry key="bundles" type="BA"><entry type="B">...</entry>...</entry>
    </restrictions>

Reading follows ``readEntry`` where it decides what the app sees: every leaf text is
``String.trim()``-med (characters up to U+0020 at either end), a missing text is ``""``,
``b`` is ``Boolean.parseBoolean`` (``"true"`` in any case, anything else false), ``m`` may be
a string attribute (text XML, ``UserManagerService`` before Android 14) or an int attribute
(``attributeInt`` in ABX). It is stricter than Android where Android would silently read
something else than was written: an unknown or missing ``type``, an ``m`` that does not match
the ``<value>`` count, a non-decimal ``i`` or one outside Java's ``int``, unexpected elements —
all :class:`~harness.errors.ParseError`, naming the file and the byte offset of the entry,
never its value.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any, cast

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from harness.errors import ParseError
from harness.parsers import abx
from simulator.abx import AttrValue, Element
from simulator.appconfig import AppConfig
from simulator.device import JAVA_TRIMMED
from simulator.restrictions_file import ENTRY as _ENTRY
from simulator.restrictions_file import KEY as _KEY
from simulator.restrictions_file import MULTIPLE as _MULTIPLE
from simulator.restrictions_file import ROOT as _ROOT
from simulator.restrictions_file import TYPE as _TYPE
from simulator.restrictions_file import VALUE as _VALUE

#: Largest restriction file accepted, in bytes, text or ABX.
MAX_RESTRICTIONS_BYTES = 8 * 1024 * 1024


_JAVA_INT = re.compile(r"[+-]?[0-9]+")
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1

#: What defusedxml refused, in words (Android writes none of these).
_REFUSED: dict[type[Exception], str] = {
    DTDForbidden: "a DTD (<!DOCTYPE>), which is not accepted",
    EntitiesForbidden: "an entity declaration, which is not accepted",
    ExternalReferenceForbidden: "an external reference, which is not accepted",
}


def parse_restrictions(data: bytes, *, name: str) -> AppConfig:
    """Read a ``res_<pkg>.xml`` / ``AppRestrictions_<pkg>...xml`` file, text XML or ABX."""
    if len(data) > MAX_RESTRICTIONS_BYTES:
        raise ParseError(
            f"{name}: {len(data)} bytes at offset 0 exceed the "
            f"{MAX_RESTRICTIONS_BYTES}-byte limit for a restrictions file"
        )
    root = abx.decode(data, name=name) if abx.is_abx(data) else _parse_xml(data, name=name)
    if root.tag != _ROOT:
        raise ParseError(f"{name}: root element at offset {root.offset} is not <{_ROOT}>")
    return _Reader(name).bundle(root)


class _Reader:
    """Maps a decoded ``<restrictions>`` tree to :class:`AppConfig`, as ``readEntry`` does."""

    def __init__(self, name: str) -> None:
        self.name = name

    def error(self, element: Element, what: str) -> ParseError:
        return ParseError(f"{self.name}: <{element.tag}> at offset {element.offset}: {what}")

    def bundle(self, container: Element) -> AppConfig:
        values: dict[str, Any] = {}
        for entry in container.children:
            if entry.tag != _ENTRY:
                raise self.error(entry, f"expected <{_ENTRY}>")
            key = entry.attributes.get(_KEY)
            if not isinstance(key, str):
                raise self.error(entry, "entry without a key")
            values[key] = self.value(entry, key)  # later duplicates win, as in a Bundle
        return AppConfig(values)

    def value(self, entry: Element, key: str) -> Any:
        kind = entry.attributes.get(_TYPE)
        if _MULTIPLE in entry.attributes and kind != "sa":
            raise self.error(entry, f"entry {key!r}: m attribute on a non-array entry")
        if kind == "s":
            return self.text(entry)
        if kind == "b":
            return self.text(entry).lower() == "true"
        if kind == "i":
            return self.integer(entry, key)
        if kind == "sa":
            return self.strings(entry, key)
        if kind == "B":
            return self.bundle(entry)
        if kind == "BA":
            return [self.bundle(self.bundle_item(item, key)) for item in entry.children]
        shown = repr(kind)[:24] if isinstance(kind, str) else "missing"
        raise self.error(entry, f"entry {key!r}: unknown type {shown}")

    def text(self, element: Element) -> str:
        if element.children:
            raise self.error(element.children[0], "element inside a text value")
        return (element.text or "").strip(JAVA_TRIMMED)

    def integer(self, entry: Element, key: str) -> int:
        text = self.text(entry)
        # Integer.parseInt takes leading zeros; past them, 10 digits is the most an int holds
        # (and int() of thousands of digits is quadratic, past 4300 refused by Python itself).
        if (
            not _JAVA_INT.fullmatch(text)
            or len(text.lstrip("+-").lstrip("0")) > 10
            or not _INT_MIN <= int(text) <= _INT_MAX
        ):
            raise self.error(entry, f"entry {key!r}: type i value is not a 32-bit integer")
        return int(text)

    def strings(self, entry: Element, key: str) -> tuple[str, ...]:
        count = self.count(entry, key, entry.attributes.get(_MULTIPLE))
        for item in entry.children:
            if item.tag != _VALUE:
                raise self.error(item, f"entry {key!r}: expected <{_VALUE}>")
        if count != len(entry.children):
            raise self.error(entry, f"entry {key!r}: m={count} but {len(entry.children)} values")
        return tuple(self.text(item) for item in entry.children)

    def count(self, entry: Element, key: str, value: AttrValue) -> int:
        if isinstance(value, str) and value.isascii() and value.isdigit():
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        raise self.error(entry, f"entry {key!r}: type sa needs a count attribute m")

    def bundle_item(self, item: Element, key: str) -> Element:
        if item.tag != _ENTRY or item.attributes.get(_TYPE) != "B":
            raise self.error(item, f"entry {key!r}: a bundle array holds only B entries")
        return item


def _parse_xml(data: bytes, *, name: str) -> Element:
    """Parse text XML with defusedxml (no DTD, no entities) into the same tree ABX gives."""
    target = _TreeTarget(name)
    parser = DefusedXMLParser(target=target, forbid_dtd=True)
    target.expat = parser.parser
    try:
        parser.feed(data)
        # Our target's close() result; expat itself refuses a document without a root.
        root = cast(Element, parser.close())
    except DefusedXmlException as exc:
        raise ParseError(
            f"{name}: refused XML at offset {parser.parser.CurrentByteIndex}: {_REFUSED.get(type(exc), 'unsafe XML')}"
        ) from None
    except (ValueError, LookupError):  # expat: an encoding it cannot read (utf-7, unknown names)
        raise ParseError(f"{name}: XML in an unsupported encoding (Android writes UTF-8)") from None
    except ET.ParseError as exc:
        line, column = exc.position
        offset = parser.parser.ErrorByteIndex
        where = f"offset {offset if offset >= 0 else len(data)} (line {line}, column {column})"
        raise ParseError(f"{name}: malformed XML at {where}") from None
    return root


class _TreeTarget:
    """ElementTree parser target building :class:`Element` with byte offsets and a depth bound."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.expat: Any = None  # the pyexpat parser, for byte offsets
        # Open elements with their text pieces and children so far.
        self.stack: list[tuple[Element, list[str], list[Element]]] = []
        self.root: Element | None = None

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        offset = self.expat.CurrentByteIndex
        if len(self.stack) >= abx.MAX_DEPTH:
            raise ParseError(f"{self.name}: nesting deeper than {abx.MAX_DEPTH} at offset {offset}")
        element = Element(tag, dict(attrib), (), None, offset)
        if self.stack:
            self.stack[-1][2].append(element)
        else:
            self.root = element
        self.stack.append((element, [], []))

    def data(self, text: str) -> None:
        if self.stack:
            self.stack[-1][1].append(text)

    def end(self, tag: str) -> None:
        element, parts, children = self.stack.pop()
        if parts:
            element.text = "".join(parts)
        element.children = tuple(children)

    def close(self) -> Element | None:
        return self.root
