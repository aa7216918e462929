"""The one YAML reader (scenarios, org files, matrices): bounded, plain values, line numbers.

Every YAML input is untrusted text, so it is read from the parser's event stream by a small
composer of our own rather than by PyYAML's, for three reasons:

* **Bounds.** PyYAML (and libyaml's C composer) expands an aliased node again at every use: nine
  nested levels of nine aliases build 9**9 objects from nine lines ("billion laughs"). Here an
  alias reuses the value its anchor built, and counts that value's size at every use against
  :data:`MAX_NODES`, so everything that walks the result later stays bounded too. Nesting is
  capped at :data:`MAX_DEPTH` *while parsing*: libyaml's scanner is quadratic in flow nesting
  depth and its C composer recurses (a file of 100,000 ``[`` crashes the process).
* **Plain values only.** A tag the formats do not define (``!!python/object/apply:...``,
  ``!!binary``, ``!!set``, a local ``!Ref``) is refused on scalars, lists and mappings alike;
  PyYAML's safe composer would drop a tag on a collection silently. Integers are kept to 64 bits
  (no field holds more; a 5,000-digit integer would otherwise cost quadratic time and break
  every later ``str()``), and a date that cannot exist (``T25:00:00Z``) is an error.
* **Lines.** The start line of every value is kept in a map from its path
  (``("endpoint_management", 0, "platform")``) so that a bad field is reported as ``file:line``.

Every failure is a one-line :class:`~simulator.errors.ConfigError` naming the file and line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import yaml

from simulator.errors import ConfigError, os_error_text, unicode_error_text
from simulator.secret import redact, shown

try:
    _Loader: type[Any] = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader

#: Largest YAML file read, in bytes.
MAX_YAML_BYTES = 1 << 20
#: Most values (scalars, lists, mappings) in one document, an alias counting its anchor's whole
#: value at every use. The bundled scenarios hold under 100; a big matrix a few thousand.
MAX_NODES = 50_000
#: Deepest nesting of lists and mappings.
MAX_DEPTH = 64
_TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels"
#: libyaml's own cap (0.2.6, in PyYAML 6.0.4's wheels: 1000 levels). Its scanner reads a flow
#: collection ahead while the collection may still turn out to be a key, up to 1024 characters of
#: one line, so ``[[[[...`` written on one line passes 1000 levels before the composer has seen 65;
#: the line is the same one, as the look-ahead never crosses a line.
_LIBYAML_TOO_DEEP = "exceeded maximum nesting depth"
#: Integers are bounded to what a field can hold: plist integers are 64-bit.
_INT_RANGE = range(-(2**63), 2**64)
_MAX_INT_TEXT = 100  # characters of an integer's text (digits, sign, ``_``, ``0x``) parsed at all

Path = tuple[str | int, ...]

_CORE = "tag:yaml.org,2002:"
_STR = _CORE + "str"
_SCALAR_TAGS = frozenset(_CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp"))
_SEQ_TAGS = frozenset({None, "!", _CORE + "seq"})
_MAP_TAGS = frozenset({None, "!", _CORE + "map"})
_KEY_TYPES = (str, int, bool, float)
_TAGS_ALLOWED = "only !!str, !!int, !!float, !!bool, !!null, !!timestamp, !!seq and !!map"

#: libyaml quotes what it could not handle (a tag, an alias, an anchor): in an org file that may
#: be a secret written without quotes (``secret: !x...``), so such text is redacted like a secret.
_QUOTED = re.compile(r"'((?:[^'\\]|\\.){8,})'" + r'|"((?:[^"\\]|\\.){8,})"')  # repr() of either quote


@dataclass(slots=True)
class YamlDoc:
    """A YAML file read: its data, and the line of each node by path, for file:line errors."""

    name: str
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)

    def line(self, path: Sequence[str | int]) -> int:
        """Line of the deepest part of ``path`` that exists in the document."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)

    def where(self, path: Sequence[str | int]) -> str:
        return f"{self.name}:{self.line(path)}"

    def error(
        self, path: Sequence[str | int], message: str, *, line_of: Sequence[str | int] | None = None
    ) -> ConfigError:
        """``file:line: path: message``; ``line_of`` takes the line from a longer path than the
        one named (an unknown key is named by its mapping, since the key may be a secret)."""
        field_name = ".".join(str(p) for p in path)
        where = self.where(path if line_of is None else line_of)
        return ConfigError(f"{where}: {field_name}: {message}" if field_name else f"{where}: {message}")


def read_yaml_file(path: str | PathLike[str], *, what: str) -> YamlDoc:
    """Read and parse a YAML file of at most :data:`MAX_YAML_BYTES`; ``what`` names it in errors
    (``org file``, ``scenario``...).

    The read itself is bounded, not only the size ``stat`` reports: a user may pass a pipe
    (``--org <(...)``), and a device node would report 0 bytes and never end.
    """
    shown = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_YAML_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read {what}: {os_error_text(exc)}") from None
    except ValueError:  # a NUL in the path
        raise ConfigError(f"{shown!r}: cannot read {what}: the path holds a NUL character") from None
    if len(raw) > MAX_YAML_BYTES:
        raise ConfigError(f"{shown}: larger than {MAX_YAML_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{shown}: cannot read {what}: {unicode_error_text(exc)}") from None
    return load_yaml(text, name=shown)


def load_yaml(text: str, *, name: str) -> YamlDoc:
    """Parse one YAML document within the bounds above; any problem is a ConfigError with the line."""
    if len(text) > MAX_YAML_BYTES:
        raise ConfigError(f"{name}: larger than {MAX_YAML_BYTES} bytes")
    try:
        loader = _Loader(text)
    except UnicodeEncodeError as exc:  # libyaml takes UTF-8: a lone surrogate cannot be
        raise ConfigError(f"{name}: a character that is not valid Unicode at position {exc.start}") from None
    try:
        doc = YamlDoc(name, None)
        doc.data = _Composer(loader, doc.lines).document()
        return doc
    except _Problem as exc:
        raise ConfigError(f"{name}:{exc.line}: invalid YAML: {exc.message}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        if exc.problem == _LIBYAML_TOO_DEEP:
            raise ConfigError(f"{name}:{line}: invalid YAML: {_TOO_DEEP}") from None
        problem = _QUOTED.sub(lambda m: f"'{redact(m.group(1) or m.group(2))}'", str(exc.problem or exc.context))
        raise ConfigError(f"{name}:{line}: invalid YAML: {problem}") from None
    except yaml.YAMLError:
        raise ConfigError(f"{name}: invalid YAML") from None
    finally:
        loader.dispose()


class _Problem(Exception):
    """A refusal of ours, at a line; turned into the ConfigError by :func:`load_yaml`."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(slots=True)
class _Open:
    """A list or mapping being filled; ``key`` is the mapping key waiting for its value."""

    value: list[Any] | dict[Any, Any]
    path: Path
    anchor: str | None
    count_at_start: int
    key: Any = None
    has_key: bool = False


class _Composer:
    """Builds plain data from parser events, one pass, with the bounds of this module."""

    def __init__(self, loader: Any, lines: dict[Path, int]) -> None:
        self.loader = loader
        self.lines = lines
        self.anchors: dict[str, tuple[Any, int]] = {}  # value, its size in values
        self.count = 0

    def document(self) -> Any:
        loader = self.loader
        loader.get_event()  # StreamStart
        if loader.check_event(yaml.StreamEndEvent):
            self.lines[()] = 1
            return None
        loader.get_event()  # DocumentStart
        root = self.value()
        loader.get_event()  # DocumentEnd
        if not loader.check_event(yaml.StreamEndEvent):
            raise _Problem(loader.peek_event().start_mark.line + 1, "expected a single document, found another")
        return root

    def value(self) -> Any:
        """The document's root value: events are consumed until it is complete."""
        stack: list[_Open] = []
        root: Any = None
        while True:
            event = self.loader.get_event()
            line = event.start_mark.line + 1
            if isinstance(event, yaml.CollectionEndEvent):
                done = stack.pop()
                if done.anchor is not None:
                    self.anchors[done.anchor] = (done.value, self.count - done.count_at_start + 1)
                if not stack:
                    return done.value
                continue
            parent = stack[-1] if stack else None
            if parent is not None and isinstance(parent.value, dict) and not parent.has_key:
                self.key(parent, event, line)
                continue
            if parent is None:
                path: Path = ()
            elif isinstance(parent.value, list):
                path = (*parent.path, len(parent.value))
            else:
                path = (*parent.path, str(parent.key))
            self.lines[path] = line
            if isinstance(event, yaml.AliasEvent):
                value, size = self.alias(event, line, stack)
                self.grow(size, line)
            elif isinstance(event, yaml.ScalarEvent):
                value = self.scalar(event, line)
                self.grow(1, line)
                if event.anchor is not None:
                    self.anchors[event.anchor] = (value, 1)
            else:
                value = self.collection(event, line, len(stack))
                self.grow(1, line)
            if parent is None:
                root = value
            elif isinstance(parent.value, list):
                parent.value.append(value)
            else:
                parent.value[parent.key] = value
                parent.has_key = False
            if isinstance(event, yaml.CollectionStartEvent):
                stack.append(_Open(value, path, event.anchor, self.count))
            elif parent is None:
                return root

    def key(self, mapping: _Open, event: Any, line: int) -> None:
        if isinstance(event, yaml.AliasEvent):
            key, _ = self.alias(event, line, [])
        elif isinstance(event, yaml.ScalarEvent):
            key = self.scalar(event, line)
            if event.anchor is not None:
                self.anchors[event.anchor] = (key, 1)
        else:
            raise _Problem(line, "mapping keys must be scalars")
        if not isinstance(key, _KEY_TYPES):
            raise _Problem(line, "mapping keys must be strings, numbers or booleans")
        assert isinstance(mapping.value, dict)
        if key in mapping.value:
            raise _Problem(line, f"duplicate key {shown(key)}")
        self.grow(1, line)
        mapping.key, mapping.has_key = key, True

    def grow(self, size: int, line: int) -> None:
        self.count += size
        if self.count > MAX_NODES:
            raise _Problem(line, f"more than {MAX_NODES} values (aliases count at every use)")

    def alias(self, event: Any, line: int, stack: list[_Open]) -> tuple[Any, int]:
        if event.anchor in self.anchors:
            return self.anchors[event.anchor]
        if any(frame.anchor == event.anchor for frame in stack):
            raise _Problem(line, "an alias inside the value of its own anchor (a cycle)")
        raise _Problem(line, "an alias to an anchor not defined before it")

    def collection(self, event: Any, line: int, depth: int) -> list[Any] | dict[Any, Any]:
        if depth >= MAX_DEPTH:
            raise _Problem(line, _TOO_DEEP)
        if isinstance(event, yaml.SequenceStartEvent):
            if event.tag not in _SEQ_TAGS:
                raise _Problem(line, f"tag not allowed on a list ({_TAGS_ALLOWED})")
            return []
        if event.tag not in _MAP_TAGS:
            raise _Problem(line, f"tag not allowed on a mapping ({_TAGS_ALLOWED})")
        return {}

    def scalar(self, event: Any, line: int) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            if not event.implicit[0]:  # quoted or block text: a string, as the resolver says
                return event.value
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == _STR:
            return event.value
        if tag not in _SCALAR_TAGS:
            if tag == _CORE + "merge":
                raise _Problem(line, "merge keys (<<) are not supported: write the fields out")
            raise _Problem(line, f"tag not allowed ({_TAGS_ALLOWED})")
        if tag == _CORE + "int" and len(event.value) > _MAX_INT_TEXT:
            raise _Problem(line, f"an integer of more than {_MAX_INT_TEXT} characters (quote it if it is text)")
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            value = self.loader.yaml_constructors[tag](self.loader, node)
        except (ValueError, OverflowError, TypeError, yaml.YAMLError):
            what = "date and time" if tag == _CORE + "timestamp" else tag.removeprefix(_CORE)
            raise _Problem(line, f"not a valid {what} (quote it if it is text)") from None
        if isinstance(value, int) and not isinstance(value, bool) and value not in _INT_RANGE:
            raise _Problem(line, "an integer beyond 64 bits (quote it if it is text)")
        return value
