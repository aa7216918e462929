"""Application restriction files as Android writes them: text XML and ABX.

``DevicePolicyManager.setApplicationRestrictions`` ends in ``/data/system/users/<id>/
res_<pkg>.xml`` (AOSP ``UserManagerService.writeApplicationRestrictionsLAr`` / ``writeBundle``),
written through ``Xml.resolveSerializer``: text XML by ``FastXmlSerializer`` or, by default since
Android 12 (``persist.sys.binary_xml``), Android Binary XML (:mod:`simulator.abx`). The virtual
phone serves these bytes and the bundled captures are made with them; the reader of untrusted
files is :mod:`harness.parsers.restrictions`, which documents the content.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from simulator import abx
from simulator.abx import AttrValue, Element
from simulator.appconfig import AppConfig

ROOT = "restrictions"
ENTRY = "entry"
VALUE = "value"
KEY = "key"
TYPE = "type"
MULTIPLE = "m"

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1

_XML_DECLARATION = "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n"
# FastXmlSerializer.ESCAPE_TABLE: control characters as numeric references, and " & < >.
_XML_ESCAPES = {c: f"&#{c};" for c in range(0x20)} | {
    ord('"'): "&quot;",
    ord("&"): "&amp;",
    ord("<"): "&lt;",
    ord(">"): "&gt;",
}
_INDENT_CAP = 62  # length of FastXmlSerializer.sSpace, the most indentation it writes


def restrictions_to_xml(config: AppConfig) -> bytes:
    """The text XML ``FastXmlSerializer`` writes for ``config`` (indented, Android's escaping)."""
    writer = _FastXmlWriter()
    writer.element(_to_element(config))
    return writer.getvalue().encode("utf-8")


def restrictions_to_abx(config: AppConfig) -> bytes:
    """The ABX ``BinaryXmlSerializer`` writes for ``config`` (``m`` as an int attribute)."""
    return abx.encode(_to_element(config))


def _to_element(config: AppConfig) -> Element:
    """The ``<restrictions>`` tree ``writeBundle`` produces for ``config``."""
    return Element(ROOT, children=_entries(config.items()))


def _entries(items: Iterable[tuple[str, Any]]) -> tuple[Element, ...]:
    return tuple(_entry(key, value) for key, value in items)


def _entry(key: str, value: Any) -> Element:
    attributes: dict[str, AttrValue] = {KEY: key}
    if isinstance(value, bool):
        return Element(ENTRY, attributes | {TYPE: "b"}, text="true" if value else "false")
    if isinstance(value, int):
        if not _INT_MIN <= value <= _INT_MAX:
            raise ValueError(f"restriction {key!r}: integer outside Java's int range")
        return Element(ENTRY, attributes | {TYPE: "i"}, text=str(value))
    if isinstance(value, str):
        return Element(ENTRY, attributes | {TYPE: "s"}, text=value)
    if isinstance(value, AppConfig):
        return Element(ENTRY, attributes | {TYPE: "B"}, children=_entries(value.items()))
    if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
        values = tuple(Element(VALUE, text=v) for v in value)
        return Element(ENTRY, attributes | {TYPE: "sa", MULTIPLE: len(value)}, values)
    if isinstance(value, list) and all(isinstance(v, AppConfig) for v in value):
        bundles = tuple(Element(ENTRY, {TYPE: "B"}, _entries(v.items())) for v in value)
        return Element(ENTRY, attributes | {TYPE: "BA"}, bundles)
    raise ValueError(f"restriction {key!r}: {type(value).__name__} is not an Android type")


class _FastXmlWriter:
    """``FastXmlSerializer`` with ``indent-output``: same bytes, same quirks."""

    def __init__(self) -> None:
        self.out = [_XML_DECLARATION]
        self.nesting = 0
        self.in_tag = False
        self.line_start = True

    def getvalue(self) -> str:
        return "".join(self.out)

    def element(self, element: Element) -> None:
        if self.in_tag:
            self.out.append(">\n")
        self.out.append(" " * min(4 * self.nesting, _INDENT_CAP) + "<" + element.tag)
        self.nesting += 1
        self.in_tag = True
        for key, value in element.attributes.items():
            self.out.append(f' {key}="{str(value).translate(_XML_ESCAPES)}"')
        if element.text is not None:
            if self.in_tag:
                self.out.append(">")
                self.in_tag = False
            self.out.append(element.text.translate(_XML_ESCAPES))
            # Android checks the raw text, though a newline was written as &#10;.
            self.line_start = element.text.endswith("\n")
        else:
            self.line_start = False
        for child in element.children:
            self.element(child)
        self.nesting -= 1
        if self.in_tag:
            self.out.append(" />\n")
        else:
            if self.line_start:
                self.out.append(" " * min(4 * self.nesting, _INDENT_CAP))
            self.out.append(f"</{element.tag}>\n")
        self.line_start = True
        self.in_tag = False
