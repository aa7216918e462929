"""``-k EXPR`` and ``-m EXPR``: choosing cases the way pytest users already know.

An expression is words joined with ``and``, ``or``, ``not`` and parentheses, as in pytest. For
``-k`` a word matches a case whose id contains it (ignoring case: ``-k "pixel and not hint"``);
for ``-m`` a word matches a case whose scenario has that tag or platform, with ``-`` and ``_``
alike (``-m "known_issue and ios"`` selects the tag ``known-issue``). pytest is not a dependency
of attestlab's core, so the small grammar lives here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import InputError

#: A compiled expression: given "does this word match?", does the whole expression match?
Matcher = Callable[[Callable[[str], bool]], bool]

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")
_KEYWORDS = {"and", "or", "not"}


def compile_expression(text: str, *, option: str) -> Matcher:
    """Parse ``text``; a malformed one is an InputError naming the option and the problem."""
    tokens = [m.group(1) for m in _TOKEN.finditer(text)]
    if not tokens:
        raise InputError(f"{option} {text!r}: empty expression")
    parser = _Parser(tokens, option, text)
    tree = parser.expression()
    if parser.position != len(tokens):
        raise InputError(f"{option} {text!r}: unexpected {tokens[parser.position]!r}")
    return tree


class _Parser:
    def __init__(self, tokens: list[str], option: str, text: str) -> None:
        self.tokens, self.option, self.text, self.position = tokens, option, text, 0

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self) -> str:
        token = self._peek()
        if token is None:
            raise InputError(f"{self.option} {self.text!r}: ends too early")
        self.position += 1
        return token

    def expression(self) -> Matcher:
        left = self._and()
        while self._peek() == "or":
            self._take()
            left = _either(left, self._and())
        return left

    def _and(self) -> Matcher:
        left = self._not()
        while self._peek() == "and":
            self._take()
            left = _both(left, self._not())
        return left

    def _not(self) -> Matcher:
        if self._peek() == "not":
            self._take()
            inner = self._not()
            return lambda match: not inner(match)
        return self._primary()

    def _primary(self) -> Matcher:
        token = self._take()
        if token == "(":
            inner = self.expression()
            if self._take() != ")":
                raise InputError(f"{self.option} {self.text!r}: missing ')'")
            return inner
        if token == ")" or token in _KEYWORDS:
            raise InputError(f"{self.option} {self.text!r}: unexpected {token!r}")
        return lambda match: match(token)


def _either(a: Matcher, b: Matcher) -> Matcher:
    return lambda match: a(match) or b(match)


def _both(a: Matcher, b: Matcher) -> Matcher:
    return lambda match: a(match) and b(match)


def tag_word(tag: str) -> str:
    """A tag as an expression word: ``known-issue`` and ``known_issue`` are one."""
    return tag.casefold().replace("-", "_")


@dataclass(frozen=True, slots=True)
class Selection:
    """What ``-k``, ``-m`` and ``--tag`` ask for; a case must satisfy all that are given."""

    keyword: Matcher | None = None
    marks: Matcher | None = None
    tags: tuple[str, ...] = ()

    @classmethod
    def from_options(cls, keyword: str | None, marks: str | None, tags: list[str] | None) -> Selection:
        """The selection the options ask for (the CLI makes none when it was given none of them)."""
        return cls(
            compile_expression(keyword, option="-k") if keyword is not None else None,
            compile_expression(marks, option="-m") if marks is not None else None,
            tuple(tag_word(t) for t in tags or ()),
        )

    def selects(self, case_id: str, tags: Iterator[str] | tuple[str, ...], platform: str) -> bool:
        words = {tag_word(t) for t in tags} | {platform}
        lowered = case_id.casefold()
        if self.keyword is not None and not self.keyword(lambda word: word.casefold() in lowered):
            return False
        if self.marks is not None and not self.marks(lambda word: tag_word(word) in words):
            return False
        return all(tag in words for tag in self.tags)


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A path glob as a regex over a ``/``-separated path, matched at any depth as ``.gitignore``
    matches: ``android/*`` matches ``.../scenarios/android/x.yaml`` whether the run was started
    on the catalog, on ``scenarios/`` or from a pytest rootdir. ``*`` and ``?`` stay inside one
    folder name, ``**`` crosses folders; a pattern naming a folder matches the files under it, and
    the ``.yaml`` suffix may be left out, as in case ids."""
    parts = []
    for token in re.split(r"(\*\*/?|\*|\?)", pattern.strip("/")):
        if token.startswith("**"):
            parts.append("(?:.*/)?" if token.endswith("/") else ".*")
        elif token == "*":
            parts.append("[^/]*")
        elif token == "?":
            parts.append("[^/]")
        else:
            parts.append(re.escape(token))
    return re.compile(r"(?:^|/)" + "".join(parts) + r"(?:\.ya?ml)?(?:/|$)")


@dataclass(frozen=True, slots=True)
class ScenarioFilter:
    """A matrix file's ``scenarios:``: which scenario files run on its devices. A scenario must
    match one of ``paths`` (when given) and carry one of ``tags`` (when given); ``-k``, ``-m``,
    ``--tag`` and the PATH arguments narrow further (docs/cli.md, "Matrix file")."""

    paths: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    _regexes: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_regexes", tuple(_glob_regex(p) for p in self.paths))

    def admits(self, path: str, tags: tuple[str, ...]) -> bool:
        if self.paths:
            text = Path(path).absolute().as_posix()
            if not any(regex.search(text) for regex in self._regexes):
                return False
        return not self.tags or bool({tag_word(t) for t in tags} & {tag_word(t) for t in self.tags})
