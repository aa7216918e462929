"""Managed app configuration: the key/value tree an EMM delivers to an app.

The same type carries Android application restrictions (``RestrictionsManager`` bundles) and iOS
managed configuration (the ``com.apple.configuration.managed`` dictionary), because Okta Verify
reads the same keys from both. Values keep their real types so that a reader can tell a
``managementHint`` sent as a string from one sent as something else:

==================  =====================  ===========================
Python value        Android restriction    iOS plist
==================  =====================  ===========================
``str``             ``s``                  ``<string>``
``bool``            ``b``                  ``<true/>`` / ``<false/>``
``int``             ``i``                  ``<integer>``
``tuple[str, ...]`` ``sa`` (string array)  ``<array>`` of strings
``AppConfig``       ``B`` (bundle)         ``<dict>``
``list[AppConfig]`` ``BA`` (bundle array)  ``<array>`` of dicts
==================  =====================  ===========================

iOS may also carry ``float``, ``bytes`` and ``datetime`` leaves.  Any value may be a secret, so the
``repr`` redacts every string leaf.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from simulator.secret import redact_leaves


def _freeze(value: Any) -> Any:
    if isinstance(value, AppConfig):
        return value
    if isinstance(value, Mapping):
        return AppConfig(value)
    if isinstance(value, list):
        if all(isinstance(v, Mapping) for v in value):
            return [_freeze(v) for v in value]
        return tuple(_freeze(v) for v in value)
    if isinstance(value, tuple):
        return tuple(_freeze(v) for v in value)
    return value


class AppConfig(Mapping[str, Any]):
    """An immutable, redacting mapping of configuration keys to typed values."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self._data: dict[str, Any] = {str(k): _freeze(v) for k, v in (data or {}).items()}

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"AppConfig({redact_leaves(self)!r})"

    __str__ = __repr__

    def to_plain(self) -> dict[str, Any]:
        """Nested plain ``dict``/``list`` values, for serializers (plist, XML, JSON)."""

        def plain(value: Any) -> Any:
            if isinstance(value, AppConfig):
                return value.to_plain()
            if isinstance(value, list):
                return [plain(v) for v in value]
            if isinstance(value, tuple):
                return [plain(v) for v in value]
            return value

        return {k: plain(v) for k, v in self._data.items()}

    def redacted(self) -> dict[str, Any]:
        """The same tree with every string leaf redacted: safe for reports and logs."""
        result: dict[str, Any] = redact_leaves(self)
        return result


#: The configuration of an app that has none, shared (an AppConfig is immutable): what a
#: look-up returns for a missing package, ~3 a sign-in, without building one each time.
EMPTY_CONFIG = AppConfig()
