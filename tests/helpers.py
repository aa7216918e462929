"""Helpers shared by the test folders: the repository's paths, the ``attestlab`` command, the
catalog's secrets and a real adb server of the test's own.

A module rather than a conftest: conftest files are pytest's to import (under names that depend
on how pytest was started), so tests import these names from here. ``pythonpath = ["."]`` in
pyproject.toml makes ``tests.helpers`` importable however the suite is started (``pytest``,
``python -m pytest``, tox).

``attestlab(...)`` runs the command in this process through the console entry point
(:func:`harness.cli.main`, the same function the installed script calls), with its own standard
streams: a CLI test then costs milliseconds instead of a Python start-up. ``attestlab_process(...)``
starts the real command as a separate process, for the few tests that need one (signals, the
installed script, start-up side effects).

:class:`AdbServer` is the real ``adb`` client's server (Debian's ``adb``), started in the
foreground (``adb nodaemon server``) on a free port with a private HOME, and killed by its pid
whatever happens; the ``adb_server`` fixture (tests/conftest.py) gives a test one.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import json
import operator
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "scenarios"
FIXTURES = ROOT / "fixtures"
CAPTURES = FIXTURES / "captures"
ORGS = FIXTURES / "orgs"
ADB = shutil.which("adb")


#: Tests of the live iOS source need pymobiledevice3 (the ``[ios]`` extra); skipped, with the
#: reason, where it is not installed (``.ci/run`` installs ``[all]``).
needs_ios_extra = pytest.mark.skipif(
    importlib.util.find_spec("pymobiledevice3") is None,
    reason="pymobiledevice3 (the [ios] extra) is not installed: pip install '.[ios]'",
)


def one_line(error: type[BaseException], call: Callable[[], object], *parts: str) -> str:
    """The message of the ``error`` that ``call()`` raises, checked to be what the contracts ask
    of bad input: one line, no exception class name, and naming each of ``parts`` (the file, the
    line, the device...)."""
    with pytest.raises(error) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message, message
    assert not re.search(r"\b[A-Z]\w*(Error|Exception)\b", message), message
    for part in parts:
        assert part in message, (part, message)
    return message


@functools.cache
def _adb_key_pem() -> bytes:
    """attestlab's own adb key, made by attestlab (in a temp config dir) once a process."""
    from harness.sources import adb

    with tempfile.TemporaryDirectory() as home, pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", home)
        adb.load_key(None)
        return adb.default_key_path().read_bytes()


def give_adb_key(config_home: Path) -> None:
    """Put attestlab's adb key where it looks for it under ``config_home`` (a test's private
    ``$XDG_CONFIG_HOME``), as a user who has run attestlab before has it: the same key for every
    test of a process. A 2048-bit RSA key costs ~0.2 s of CPU to generate, and each live-phone
    test and each inner pytest worker made its own (~30 in a run). Making the key on first use
    is tests/sources/test_adb_key.py's business."""
    path = config_home / "attestlab" / "adbkey"
    path.parent.mkdir(parents=True, exist_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        out.write(_adb_key_pem())


def free_port() -> int:
    """A TCP port free right now on loopback, for servers that must be told a port (the adb
    server): the OS picks it, as binding port 0 does."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class AdbServer:
    """A real adb server of its own (``adb nodaemon server``) on a free port."""

    def __init__(self, home: Path) -> None:
        assert ADB is not None
        self.port = free_port()
        self.env = dict(os.environ, HOME=str(home), ANDROID_ADB_SERVER_PORT=str(self.port))
        self.env.pop("ADB_SERVER_SOCKET", None)
        self.env.pop("ANDROID_SERIAL", None)
        home.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [ADB, "-P", str(self.port), "nodaemon", "server"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.kill()
                    raise RuntimeError("the adb server did not start") from None
                time.sleep(0.05)

    def run(self, *args: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[bytes]:
        """``adb ARGS`` through this server; with ``check``, a non-zero exit fails the test with
        adb's output."""
        assert ADB is not None
        done = subprocess.run(
            [ADB, "-P", str(self.port), *args], env=self.env, capture_output=True, timeout=timeout, check=False
        )
        if check and done.returncode != 0:
            raise AssertionError(f"adb {' '.join(args)}: {done.returncode}: {done.stdout!r} {done.stderr!r}")
        return done

    def __call__(self, *args: str) -> str:
        """``adb ARGS`` through this server, whatever its exit: what it printed, as text."""
        done = self.run(*args, check=False)
        return (done.stdout + done.stderr).decode()

    def connect(self, spec: str, *, timeout: float = 30) -> str:
        """``adb connect`` the phone and wait until the server has it as ``device``; its serial.

        ``adb connect`` (adb 29) returns once the TCP connection is up; the server then runs
        CNXN and AUTH (sign the token, offer the key, the phone allows it) on its own, and until
        that is done ``adb devices`` lists the phone as ``unauthorized`` and ``adb shell`` fails
        with "device unauthorized" (seen under load). ``adb wait-for-device`` returns only once
        the state is ``device``, as users script it; ``timeout`` only bounds a phone that never
        authorizes, which then fails the test with what ``adb devices`` says."""
        self.run("connect", spec)
        try:
            self.run("-s", spec, "wait-for-device", timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"adb: {spec} never came online: {self('devices').strip()!r}") from None
        return spec

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    @classmethod
    @contextlib.contextmanager
    def running(cls, home: Path) -> Iterator[AdbServer]:
        """A server for the block, killed after it; the test is skipped where there is no adb
        client (the ``adb_server`` fixtures)."""
        if ADB is None:
            pytest.skip("no adb client on PATH (.ci/run installs Debian's adb package)")
        server = cls(home)
        try:
            yield server
        finally:
            server.kill()


@dataclass(frozen=True)
class Result:
    """What a run of the command left: exit code, standard output, standard error."""

    code: int
    out: str
    err: str


class _Stream(io.StringIO):
    """A text stream that says it is not a terminal (rich then prints no colours or spinners)."""

    def isatty(self) -> bool:
        return False


@contextlib.contextmanager
def _environment(cwd: Path | None, env: Mapping[str, str] | None) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(env or {})
    os.environ.setdefault("COLUMNS", "200")
    try:
        with contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext():
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def attestlab(*args: str | Path, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Result:
    """Run ``attestlab ARGS`` in this process and return its exit code and output."""
    from harness.cli import main

    out, err = _Stream(), _Stream()
    with _environment(cwd, env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # main() returns its code; anything else exiting is a bug to see here
            raise AssertionError(f"attestlab {args} called sys.exit({exc.code!r}) instead of returning") from exc
    return Result(code, out.getvalue(), err.getvalue())


def attestlab_process(
    *args: str | Path,
    cwd: Path = ROOT,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    command: tuple[str, ...] = (sys.executable, "-m", "harness"),
) -> Result:
    """Run ``attestlab ARGS`` as its own process (``python -m harness`` unless ``command`` says)."""
    proc = subprocess.run(
        [*command, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


# One interpreter for several commands: each process start costs ~1.5 s of CPU (imports), so a
# test of what happens without an extra runs all its commands in one process that hides it.
_HIDING = """
import contextlib, io, json, sys
hidden, watched, commands = json.loads(sys.argv[1])
for name in hidden:
    sys.modules[name] = None  # `import name` now fails as if the package were not installed
from harness.cli import main
done = []
for args in commands:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    loaded = sorted(m for m in sys.modules if m.startswith(tuple(watched)) and sys.modules[m])
    done.append([code, out.getvalue(), err.getvalue(), loaded])
print(json.dumps(done))
"""


def attestlab_hiding(
    hidden: Sequence[str], watched: Sequence[str], *commands: Sequence[str | Path], env: Mapping[str, str] | None = None
) -> list[tuple[Result, list[str]]]:
    """Run each ``attestlab COMMAND`` in turn in one fresh interpreter where the modules
    ``hidden`` cannot be imported; each with the modules starting with one of ``watched`` that
    were loaded once it had run (so a command run first shows what it alone imported)."""
    plan = json.dumps([list(hidden), list(watched), [[str(a) for a in args] for args in commands]])
    done = attestlab_process(plan, env={"COLUMNS": "200", **(env or {})}, command=(sys.executable, "-c", _HIDING))
    assert done.code == 0, done.out + done.err
    return [(Result(code, out, err), loaded) for code, out, err, loaded in json.loads(done.out)]


@functools.cache
def catalog_secrets() -> tuple[str, ...]:
    """Every secret value written in the org files and scenarios of the bundled catalog.

    Read once a process: the no-leak checks call it after every command they run, and parsing
    the catalog with PyYAML's Python loader cost ~0.5 s of CPU a call (~20 s over the suite);
    libyaml's (``CSafeLoader``, the same safe constructors) reads it in a tenth of that. PyYAML
    built without libyaml has no ``CSafeLoader`` (simulator/yamlfile.py supports it): the Python
    ``SafeLoader`` then."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    def read(path: Path) -> Any:
        return yaml.load(path.read_text(), Loader=loader) or {}

    values = []
    for path in ORGS.glob("*.yaml"):
        for config in read(path).get("endpoint_management", []):
            if config.get("secret"):
                values.append(str(config["secret"]))
    for path in CATALOG.rglob("*.yaml"):
        doc = read(path)
        org = doc.get("org")
        if isinstance(org, dict):
            values += [str(c["secret"]) for c in org.get("endpoint_management", []) if c.get("secret")]
        for step in doc.get("steps", []):
            if (
                isinstance(step, dict)
                and isinstance(step.get("add_platform"), dict)
                and step["add_platform"].get("secret")
            ):
                values.append(str(step["add_platform"]["secret"]))
    return tuple(sorted(set(values)))


def examples(ordinary: int) -> int:
    """A property test's example budget: ``ordinary`` in a normal run, scaled by the loaded
    Hypothesis profile (tests/conftest.py: ``max_examples`` 100 in "dev" and "ci", 2,000 in "deep",
    so ``HYPOTHESIS_PROFILE=deep`` runs 20 times as many).

    Read when the test module is imported, after conftest has loaded the profile. Use as
    ``@settings(max_examples=examples(150))``: a bare number would override every profile.
    """
    return max(1, ordinary * settings.default.max_examples // 100)


def spiced_texts(
    alphabet: st.SearchStrategy[str], spice: st.SearchStrategy[str], max_size: int
) -> st.SearchStrategy[str]:
    """Strings of ``alphabet``, half of them with one ``spice`` character (markup, whitespace at an
    edge, an astral character) spliced in.

    Why not ``st.text(st.one_of(alphabet, spice))``: an alphabet that is a ``one_of`` makes
    Hypothesis draw every character on its own, several times slower than a plain alphabet, and the
    round-trip tests draw dozens of strings per example (most of their time went there).
    """
    plain = st.text(alphabet, max_size=max_size)
    half = st.text(alphabet, max_size=max_size // 2)
    return plain | st.builds(lambda head, middle, tail: head + middle + tail, half, spice, half)


def words(first: str, rest: str, max_rest: int, min_rest: int = 0) -> st.SearchStrategy[str]:
    """One character of ``first``, then ``min_rest`` to ``max_rest`` of ``rest``: the regex
    ``[first][rest]{min_rest,max_rest}`` without ``st.from_regex``, which draws through a filter
    and is many times slower (package names, bundle ids, property names)."""
    return st.builds(operator.add, st.sampled_from(first), st.text(rest, min_size=min_rest, max_size=max_rest))


def dotted(
    head: st.SearchStrategy[str], segment: st.SearchStrategy[str], min_more: int, max_more: int
) -> st.SearchStrategy[str]:
    """``head`` then ``min_more`` to ``max_more`` ``.segment`` parts (``com.okta.mobile``)."""
    parts = st.lists(segment, min_size=min_more, max_size=max_more)
    return st.builds(lambda first, more: ".".join([first, *more]), head, parts)


def managed_scenario(name: str, org: str | Path, *, reason: str = "managed", tags: str = "[android]") -> str:
    """The text of a scenario that passes (Intune delivers the hint to the work profile, the
    sign-in is judged managed; another ``reason`` makes it fail): the file a test edits one
    field of to make it wrong."""
    return f"""\
name: {name}
tags: {tags}
org: {org}
device:
  platform: android
  emm:
    provider: intune
    config:
      managementHint: ${{secret:intune-android}}
steps:
  - sign_in:
    expect: {{decision: managed, reason: {reason}}}
"""
