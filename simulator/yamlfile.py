"""YAML with line numbers, so that a bad field is reported as ``file:line``.

PyYAML's composer knows where every node starts; we keep those marks in a map from the path of
each value (``("endpoint_management", 0, "platform")``) to its 1-based line while constructing
the plain data, in one pass over the text.
"""

from __future__ import annotations

import pathlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import yaml

from simulator.errors import ConfigError
from simulator.secret import redact

try:
    _Loader: type[Any] = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader

MAX_YAML_BYTES = 1 << 20

Path = tuple[str | int, ...]

#: PyYAML quotes what it could not handle (a tag, an alias, an anchor): in an org file that may be
#: a secret written without quotes (``secret: !x...``), so such text is redacted like a secret.
_QUOTED = re.compile(r"'((?:[^'\\]|\\.){8,})'" + r'|"((?:[^"\\]|\\.){8,})"')  # repr() of either quote


class _KeyProblem(yaml.constructor.ConstructorError):
    """A mapping key we refuse (duplicate, not a scalar): keys are never secret, so shown as is."""


@dataclass(slots=True)
class YamlDoc:
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

    def error(self, path: Sequence[str | int], message: str) -> ConfigError:
        field_name = ".".join(str(p) for p in path)
        prefix = f"{self.where(path)}: {field_name}: " if field_name else f"{self.where(path)}: "
        return ConfigError(prefix + message)


def read_yaml_file(path: str | PathLike[str], *, what: str) -> YamlDoc:
    """Read and parse a YAML file of at most :data:`MAX_YAML_BYTES`; ``what`` names it in errors
    (``org file``, ``scenario``...)."""
    path = pathlib.Path(path)
    try:
        if path.stat().st_size > MAX_YAML_BYTES:
            raise ConfigError(f"{path}: larger than {MAX_YAML_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read {what} ({type(exc).__name__})") from None
    return load_yaml(text, name=str(path))


def load_yaml(text: str, *, name: str) -> YamlDoc:
    """Parse one YAML document; syntax errors become a ConfigError with the line."""
    if len(text) > MAX_YAML_BYTES:
        raise ConfigError(f"{name}: larger than {MAX_YAML_BYTES} bytes")
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDoc(name, None, {(): 1})
        doc = YamlDoc(name, None)
        doc.data = _construct(loader, node, (), doc.lines)
        return doc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = str(exc.problem or exc.context)
        if not isinstance(exc, _KeyProblem):
            problem = _QUOTED.sub(lambda m: f"'{redact(m.group(1) or m.group(2))}'", problem)
        raise ConfigError(f"{name}:{line}: invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: invalid YAML: {type(exc).__name__}") from None
    finally:
        loader.dispose()


def _construct(loader: Any, node: yaml.Node, path: Path, lines: dict[Path, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | bool | float):
                raise _KeyProblem(None, None, "mapping keys must be scalars", key_node.start_mark)
            if key in result:
                raise _KeyProblem(None, None, f"duplicate key {key!r}", key_node.start_mark)
            result[key] = _construct(loader, value_node, (*path, str(key)), lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(loader, item, (*path, i), lines) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
