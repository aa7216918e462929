"""The one reader of untrusted JSON (capture indexes, Intune "Enter JSON data" exports): bounded.

``json.loads`` alone turns hostile input into Python exceptions: a 5,000-digit number raises
``ValueError`` (Python's int-string limit), a few thousand nested ``[`` a ``RecursionError``, and
a structure nested just below that limit breaks the next recursive walk instead. Here numbers are
kept to 64 bits, nesting to :data:`MAX_DEPTH`, and every failure is one line of the caller's error
type naming the input and where in it.
"""

from __future__ import annotations

import json
from typing import Any

from simulator.errors import AttestlabError, unicode_error_text

#: Deepest nesting of arrays and objects (the formats read here nest at most five levels).
MAX_DEPTH = 64
#: Longest integer text accepted: 64-bit values have at most 20 digits and a sign.
_MAX_INT_TEXT = 21


class _Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _parse_int(text: str) -> int:
    if len(text) > _MAX_INT_TEXT:
        raise _Refused(f"a number of {len(text)} digits (at most 64-bit integers)")
    return int(text)


def load_json(data: str | bytes, *, name: str, error: type[AttestlabError]) -> Any:
    """Parse ``data`` (UTF-8 when bytes) or raise ``error("<name>: ...")`` on anything wrong."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value = json.loads(text, parse_int=_parse_int)
    except UnicodeDecodeError as exc:
        raise error(f"{name}: {unicode_error_text(exc)}") from None
    except json.JSONDecodeError as exc:
        raise error(f"{name}: not JSON (line {exc.lineno}, column {exc.colno})") from None
    except _Refused as exc:
        raise error(f"{name}: {exc.message}") from None
    except RecursionError:
        raise error(f"{name}: nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:  # a number json itself cannot convert
        raise error(f"{name}: a number out of range") from None
    _check_depth(value, name, error)
    return value


def _check_depth(root: Any, name: str, error: type[AttestlabError]) -> None:
    stack = [(root, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise error(f"{name}: nested deeper than {MAX_DEPTH} levels")
            stack.extend((child, depth + 1) for child in (value.values() if isinstance(value, dict) else value))
