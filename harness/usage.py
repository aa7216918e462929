"""Command-line usage errors in plain words: ``--workers: must be at least 1``.

typer checks option values with pydantic and says so in pydantic's words (``Invalid value for
'--workers': Input should be greater than or equal to 1``); click, under it, has its own
(``0 is not in the range x>=1``). Users of a command-line tool expect what argparse and git
print: the option, a colon, what the value must be. Values are not echoed (a value typed into the
wrong option may be a secret).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Any

#: (pattern of a pydantic or click message, its plain wording); the first that matches wins.
#: Compiled on the first usage error, not at every start-up (the CLI imports this module for
#: :func:`seconds`).
_PLAIN: tuple[tuple[str, str], ...] = (
    # pydantic-core parses at most 4,300 digits (Python's own int limit).
    (r"integer, exceeded maximum size", "must be a whole number of at most 4300 digits"),
    (r"greater than or equal to (?P<n>\S+)", "must be at least {n}"),
    (r"less than or equal to (?P<n>\S+)", "must be at most {n}"),
    (r"greater than (?P<n>\S+)", "must be more than {n}"),
    (r"less than (?P<n>\S+)", "must be less than {n}"),
    (r"not in the range (?P<lo>[^<>=\s]+)<=x<=(?P<hi>[^<>=\s.]+)", "must be from {lo} to {hi}"),
    (r"not in the range x>=(?P<n>[^\s]+?)\.?$", "must be at least {n}"),
    (r"not in the range x<=(?P<n>[^\s]+?)\.?$", "must be at most {n}"),
    (r"valid integer|not a valid integer", "must be a whole number"),
    (r"valid number|not a valid float", "must be a number"),
    (r"valid boolean|not a valid boolean", "must be true or false"),
    (r"not one of (?P<choices>.+?)\.?$", "must be one of {choices}"),
    (r"^Input should be (?P<rest>.+)$", "must be {rest}"),
)


@functools.cache
def _rules() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(pattern), plain) for pattern, plain in _PLAIN)


def seconds(maximum: float) -> Callable[[object], float]:
    """A typer ``parser`` for a number of seconds from 0 to ``maximum``.

    typer's own ``min``/``max`` check a float with pydantic, where ``nan`` fails every
    comparison: ``--timeout nan`` was told "must be at most 86400", as if it were a number too
    big. The whole rule is one sentence here, whatever was wrong with the value (not a number,
    ``nan``, ``inf``, negative, too big).
    """
    rule = f"must be a number of seconds from 0 to {maximum:g}"

    def parse(value: object) -> float:
        try:
            number = float(str(value).strip())
        except ValueError:
            raise ValueError(rule) from None
        if not math.isfinite(number) or not 0 <= number <= maximum:
            raise ValueError(rule)
        return number

    return parse


def plain_value_error(message: str) -> str:
    """What a value must be, from a pydantic or click message about it."""
    # pydantic prefixes what a parser's ValueError says (:func:`seconds`, typer's choices).
    message = message.removeprefix("Value error, ")
    for pattern, plain in _rules():
        match = pattern.search(message)
        if match:
            return plain.format(**match.groupdict())
    return message.rstrip(".")


def _param_name(param: Any) -> str:
    """``--workers`` for an option (its longest spelling), ``SOURCE`` for an argument."""
    opts = [o for o in getattr(param, "opts", []) if o.startswith("-")]
    if opts:
        return str(max(opts, key=len))
    return str(getattr(param, "metavar", None) or getattr(param, "name", "argument")).upper()


def usage_line(exc: Exception) -> tuple[str, bool]:
    """One line for a usage error, and whether pointing at ``--help`` helps (it does for an
    unknown or missing option; for a value out of range the line says all)."""
    kind = type(exc).__name__
    param = getattr(exc, "param", None)
    message = str(getattr(exc, "message", "") or exc).strip()
    if kind == "MissingParameter" and param is not None:
        what = "option" if getattr(param, "opts", [""])[0].startswith("-") else "argument"
        metavar = getattr(param, "metavar", None)
        shown = _param_name(param) + (f" {metavar}" if what == "option" and metavar else "")
        return f"missing {what} {shown}", True
    if kind == "BadParameter" and param is not None:
        return f"{_param_name(param)}: {plain_value_error(message)}", False
    return message[:1].lower() + message[1:].rstrip("."), True
