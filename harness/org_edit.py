"""``attestlab org add-platform``: add an endpoint-management configuration to an org file.

The org itself adds the platform (:meth:`simulator.verifier.org.Org.add_platform`, as the
scenario step ``add_platform`` does): it names the configuration, stamps its creation time and
generates the secret key (``secrets.SystemRandom``). This module only reads the file, writes it
back and says what the admin must do next.

Writing back keeps the file as the admin wrote it: the new configuration is inserted as text after
the last item of the ``endpoint_management`` block list, so comments and layout stay. PyYAML
cannot round-trip comments, so when the file's layout is not one that insertion handles (a flow
list ``[...]``, no list yet), the file is dumped again from its values and its comments are lost;
either way the result is parsed back and must equal the old values plus the new configuration
before it replaces the file (atomically, with the file's permissions: it holds secret keys).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from harness.errors import InputError
from harness.report.atomic import AtomicFile
from simulator.device import Platform
from simulator.secret import Secret
from simulator.verifier.configs import EndpointConfig
from simulator.verifier.orgfile import build_org, parse_org_spec, read_org_file
from simulator.yamlfile import YamlDoc, load_yaml

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Text written without quotes when YAML reads it back unchanged: names, providers, URLs.
_PLAIN = re.compile(r"[A-Za-z][\w .,:/~()-]*[\w/)]")


def check_enrollment_link(value: str) -> str:
    """An ``https://`` URL with a host: where Okta sends users of unmanaged devices."""
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme != "https" or not parts.hostname or re.search(r"\s", value):
        raise ValueError("must be an https:// URL like https://portal.manage.microsoft.com/")
    return value


def check_provider(value: str) -> str:
    """The "Device management provider" users are shown: text on one line."""
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    if _CONTROL.search(value):
        raise ValueError("must be text on one line (no control characters)")
    return value


@dataclass(frozen=True, slots=True)
class Added:
    """What ``add-platform`` did: the new configuration, its key, and the platform's others."""

    config: EndpointConfig
    secret: Secret
    same_platform: list[EndpointConfig]  # earliest first, the new one included
    earliest_only: bool
    comments_lost: bool


def add_platform(path: Path, platform: Platform, provider: str, enrollment_link: str) -> Added:
    """Add a configuration to the org file at ``path`` and write the file back."""
    spec, doc = read_org_file(path)
    if not path.is_file():
        raise InputError(f"{path}: not a regular file: add-platform rewrites the org file in place")
    org, _ = build_org(spec)
    config, secret = org.add_platform(platform, provider, enrollment_link)
    timed = all(c.created is not None for c in spec.endpoint_management)
    entry: dict[str, Any] = {
        "name": config.name,
        "platform": platform.value,
        "provider": provider,
        "enrollment_link": enrollment_link,
        "secret": secret.reveal(),
    }
    if timed:  # else the file's order decides, as for the configurations without ``created``
        whole = config.created.replace(microsecond=0)  # a readable time, where it still sorts last
        later = all(c.created is None or c.created < whole for c in spec.endpoint_management)
        entry["created"] = whole if later else config.created
    expected = dict(doc.data)
    expected["endpoint_management"] = [*(doc.data.get("endpoint_management") or []), entry]
    text = _inserted(path.read_text(encoding="utf-8"), doc, entry)
    written = load_yaml(text, name=str(path)) if text is not None else None
    comments_lost = written is None or written.data != expected
    if comments_lost:
        text = yaml.safe_dump(expected, sort_keys=False, allow_unicode=True, width=1000)
        written = load_yaml(text, name=str(path))
        if written.data != expected:
            raise InputError(f"{path}: cannot write the org file back without changing its values")
    assert text is not None and written is not None
    parse_org_spec(expected, written)  # the file it leaves must load
    target = Path(os.path.realpath(path))
    with AtomicFile(target, str(path), mode=target.stat().st_mode, what="org file") as out:
        out.write(text)
    return Added(
        config,
        secret,
        org.configs_for(platform),
        spec.multiple_configs == "earliest-only",
        comments_lost,
    )


def _scalar(key: str, value: object) -> str:
    """A value as YAML: secret keys quoted (as the bundled org files do), other text plain
    where YAML reads it back as the same text, else a JSON string (a valid YAML scalar)."""
    if isinstance(value, str):
        plain = key != "secret" and bool(_PLAIN.fullmatch(value)) and yaml.safe_load(f"k: {value}") == {"k": value}
        return value if plain else json.dumps(value)
    assert isinstance(value, datetime)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _inserted(text: str, doc: YamlDoc, entry: dict[str, Any]) -> str | None:
    """``text`` with ``entry`` as a new item after the last of ``endpoint_management``'s block
    list, or at the end when the file has no such key; None when the layout is another."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    items = doc.data.get("endpoint_management")
    if "endpoint_management" not in doc.data:
        return "".join(lines) + "endpoint_management:\n" + _item(entry, "  ")
    if items == []:  # ``endpoint_management: []`` on its key's line becomes a block list
        at = doc.lines.get(("endpoint_management",), 0)
        empty = re.fullmatch(r"endpoint_management:\s*\[\s*\]\s*(#.*)?\n", lines[at - 1]) if at else None
        if empty is None:
            return None
        comment = f"  {empty.group(1)}" if empty.group(1) else ""
        return "".join([*lines[: at - 1], f"endpoint_management:{comment}\n", _item(entry, "  "), *lines[at:]])
    if not isinstance(items, list):
        return None
    last = doc.lines.get(("endpoint_management", len(items) - 1))
    if last is None or last > len(lines):
        return None
    item_line = lines[last - 1]
    match = re.match(r"^( *)- ", item_line)
    if match is None:
        return None
    indent = match.group(1)
    end = last  # index of the first line after the last item
    while end < len(lines):
        line = lines[end]
        if line.strip() and not line.lstrip().startswith("#") and not line.startswith((" ", "\t")):
            break  # the next top-level key (or a document marker)
        end += 1
    while end > last and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1  # blank lines and column-0 comments before the next key belong to it
    return "".join([*lines[:end], _item(entry, indent), *lines[end:]])


def _item(entry: dict[str, Any], indent: str) -> str:
    """``entry`` as one item of a block list, its ``- `` at ``indent``."""
    return "".join(f"{indent}{'  ' if i else '- '}{k}: {_scalar(k, v)}\n" for i, (k, v) in enumerate(entry.items()))
