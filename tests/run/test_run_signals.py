"""Runs that always end, with their reports: case deadlines, Ctrl-C twice, SIGTERM, lost workers.

A hung case is a real one: a scenario whose device source blocks in ``recv`` on a socket nobody
writes to (:mod:`stuck_source`). Signals are real signals, sent once what the run writes shows
it is where the test wants it (no sleeps): to a real ``attestlab`` process where workers are
forked (never from pytest's own worker), else to this process, from a thread, while the command
runs in process (``attestlab()``, the console script's ``main``), which saves an interpreter.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import pytest
import yaml
from stuck_source import KIND

from harness import interrupts, sources
from harness.interrupts import CaseDeadline, case_deadline
from tests.helpers import ORGS, ROOT, attestlab

pytestmark = pytest.mark.slow  # processes, or seconds of cases (tests/conftest.py runs these first)

HERE = Path(__file__).resolve().parent


def _scenario(folder: Path, name: str, source: str | None = None, *, managed: bool = True) -> Path:
    """A one-step scenario: a managed Intune phone signing in (about 5 ms of CPU: the catalog's
    attacks make keys), or, not ``managed``, a bare phone signing in with nothing expected (under
    2 ms: for plans of hundreds of cases that only need to pass)."""
    device: dict[str, object] = {"platform": "android"}
    step: dict[str, object] = {"sign_in": None}
    if source:
        device["source"] = source
    if managed and not source:
        device["emm"] = {"provider": "intune", "config": {"managementHint": "${secret:intune-android}"}}
    if managed:
        step["expect"] = {"decision": "managed", "reason": "managed"}
    doc = {"name": name, "org": str(ORGS / "standard.yaml"), "device": device, "steps": [step]}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _wait_for(condition: Callable[[], bool], proc: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        if proc.poll() is not None or time.monotonic() > deadline:
            out, err = proc.communicate(timeout=5)
            pytest.fail(f"{what}: never happened (exit {proc.returncode}): {out} {err}")
        time.sleep(0.005)  # polling a file the process writes, not a timing assumption


@contextmanager
def _signal_this_process(signum: int, *moments: Callable[[], bool]) -> Iterator[None]:
    """Send ``signum`` to this process from a thread once each of ``moments`` holds, in turn,
    while the block runs a command in process (whose run installs its own handlers over the
    ones here).

    A signal that comes after the run (a run that ended before its moment) finds this context's
    handler instead of the default one (which would end pytest's worker) and fails the test; so
    does a block that ends before every signal was sent."""
    stray: list[int] = []
    done = threading.Event()
    sent: list[int] = []

    def send() -> None:
        deadline = time.monotonic() + 60
        for moment in moments:
            while not moment():
                if done.wait(0.005) or time.monotonic() > deadline:  # polling what the run writes
                    return
            os.kill(os.getpid(), signum)
            sent.append(signum)

    previous = signal.signal(signum, lambda number, frame: stray.append(number))
    sender = threading.Thread(target=send, name=f"send-{signal.Signals(signum).name}", daemon=True)
    sender.start()
    try:
        yield
    finally:
        done.set()
        sender.join()
        signal.signal(signum, previous)
    name = signal.Signals(signum).name
    assert len(sent) == len(moments), f"{name}: the run ended before signal {len(sent) + 1} of {len(moments)}"
    assert not stray, f"{name} came after the run had ended"


def _start(args: list[str | Path], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, HERE / "stuck_source.py", *map(str, args)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)])},
    )


def test_a_hung_case_is_an_error_case_when_its_deadline_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sources.KINDS, "stuck", KIND)
    folder = tmp_path / "s"
    _scenario(folder, "a-fine")
    # Warm up first (imports, the name pool): on a busy machine a cold first case takes seconds.
    assert attestlab("run", folder).code == 0
    _scenario(folder, "b-stuck", "stuck:pixel")
    _scenario(folder, "c-fine")
    # Half a second: a hundred times what a warm case takes, the stuck one's whole cost.
    result = attestlab("run", folder, "--timeout", "0.5", "--json", tmp_path / "r.json")
    assert result.code == 1, result.err
    cases = {c["scenario"]: c for c in json.loads((tmp_path / "r.json").read_text())["cases"]}
    assert cases["a-fine"]["outcome"] == cases["c-fine"]["outcome"] == "passed", cases
    assert cases["b-stuck"]["outcome"] == "error"
    assert cases["b-stuck"]["message"] == "case did not finish within its deadline of 0.5s (--timeout)"


def test_a_deadline_lost_in_a_finalizer_comes_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first raise lands in a ``__del__``, where Python only prints it (as it may in any
    garbage collection); the block goes on into a wait that only the deadline can end."""
    monkeypatch.setattr(interrupts, "DEADLINE_AGAIN_S", 0.002)  # again after 0.1 s, not 1 s
    lost: list[type[BaseException] | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda raised: lost.append(raised.exc_type))

    class Finalized:
        def __del__(self) -> None:
            threading.Event().wait(30)  # the deadline passes in here

    with pytest.raises(CaseDeadline), case_deadline(0.1):
        Finalized()  # no reference kept: finalized at once
        threading.Event().wait(30)
    assert lost == [CaseDeadline]


def test_a_deadline_that_comes_again_during_cleanup_is_caught_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The block's cleanup outlasts the repeat interval: the deadline that comes again while the
    first is being handled does not cut that cleanup, the caller catches one, no timer is left."""
    monkeypatch.setattr(interrupts, "DEADLINE_AGAIN_S", 0.002)
    alarms: list[int] = []
    again = threading.Event()
    expired = interrupts._expired

    def counted(signum: int, frame: FrameType | None) -> None:
        alarms.append(signum)
        if len(alarms) > 1:
            again.set()
        expired(signum, frame)

    monkeypatch.setattr(interrupts, "_expired", counted)
    cleaned, caught = [], 0
    try:
        with case_deadline(0.01):
            try:
                threading.Event().wait(30)
            finally:
                again.wait(30)  # cleanup until the timer has come again
                cleaned.append(True)
    except CaseDeadline:
        caught += 1
    assert (caught, cleaned, len(alarms) > 1) == (1, [True], True)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def _fast_plan(tmp_path: Path, scenarios: int = 10) -> tuple[Path, Path]:
    """``scenarios`` x 200 quick cases: bare one-step scenarios on 200 matrix devices (under 2 ms
    of CPU each). A run that is interrupted stops early whatever its size; a run that must go on
    to its end pays for every case."""
    folder = tmp_path / "s"
    for number in range(scenarios):
        _scenario(folder, f"fine-{number}", managed=False)
    matrix = tmp_path / "m.yaml"
    matrix.write_text(yaml.safe_dump({"cross": [{"platform": ["android"], "model": [f"Lab {i}" for i in range(200)]}]}))
    return matrix, folder


def _reports(tmp_path: Path) -> list[str]:
    return ["--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "j.xml"), "--html", str(tmp_path / "g.html")]


def _assert_interrupted(tmp_path: Path, planned: int) -> dict[str, object]:
    report = json.loads((tmp_path / "r.json").read_text())
    summary = report["summary"]
    assert summary["interrupted"] is True and summary["planned"] == planned
    assert summary["total"] == len(report["cases"]) < planned
    properties = {p.get("name"): p.get("value") for p in ET.parse(tmp_path / "j.xml").iter("property")}
    assert properties["interrupted"] == "true" and properties["planned"] == str(planned)
    assert f"of {planned} planned cases ran" in (tmp_path / "g.html").read_text()
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".part")]
    return summary  # type: ignore[no-any-return]


def test_a_second_ctrl_c_stops_a_hung_case_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sources.KINDS, "stuck", KIND)
    folder = tmp_path / "s"
    _scenario(folder, "a-fine")
    _scenario(folder, "b-stuck", "stuck:pixel")
    marker = tmp_path / "stuck.pid"
    monkeypatch.setenv("STUCK_MARKER", str(marker))
    # Two signals before the handler has run would be one, so the second waits until the run's
    # handler has taken the first. (Not by reading capfd from the sender: readouterr reads, then
    # truncates, so the handler's line written in between was lost and the test waited out the
    # deadline.) The line itself is read here, after the run.
    handled = threading.Event()
    handle = interrupts.Interrupts._handle

    def noted(self: interrupts.Interrupts, signum: int, frame: FrameType | None) -> None:
        try:
            handle(self, signum, frame)
        finally:
            handled.set()

    monkeypatch.setattr(interrupts.Interrupts, "_handle", noted)
    # A minute's deadline only bounds a run whose second Ctrl-C did nothing (it would then end as
    # an error case, exit 1): the second Ctrl-C must stop the case at once, long before.
    with _signal_this_process(signal.SIGINT, marker.exists, handled.is_set):
        result = attestlab("run", folder, "--timeout", "60", *_reports(tmp_path))
    assert result.code == 130, result.out + result.err
    assert "(Ctrl-C again to stop at once)" in capfd.readouterr().err
    assert _assert_interrupted(tmp_path, planned=2)["passed"] == 1
    assert "interrupted: 1 of 2 planned cases ran" in result.out
    assert "interrupted: reports hold the cases that finished" in result.out


def test_sigterm_ends_a_run_with_its_reports_and_exit_143(tmp_path: Path) -> None:
    matrix, folder = _fast_plan(tmp_path)

    def started() -> bool:  # some cases are in the JSON report's .part file
        return sum(p.stat().st_size for p in tmp_path.glob(".r.json.*.part")) > 4000

    with _signal_this_process(signal.SIGTERM, started):
        result = attestlab("run", folder, "--matrix", matrix, "--seed", "3", *_reports(tmp_path))
    assert result.code == 143, result.out + result.err
    summary = _assert_interrupted(
        tmp_path, planned=int(json.loads((tmp_path / "r.json").read_text())["summary"]["planned"])
    )
    assert summary["total"] > 0


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc to find the workers")
def test_a_worker_killed_by_sigkill_makes_its_case_an_error_and_the_run_ends(tmp_path: Path) -> None:
    # 400 cases, and the kill as soon as both workers exist: the pool gives each worker two
    # chunks of cases when it starts it, and more as results come back, so the first worker still
    # holds cases it has not finished until the whole queue is drained (~0.4 s of both workers'
    # CPU, far more on a loaded machine, where the workers slow down as much as this test does).
    matrix, folder = _fast_plan(tmp_path, scenarios=2)
    report = tmp_path / "r.json"
    args = ["run", folder, "--matrix", matrix, "--seed", "3", "--workers", "2", "--force-workers", "--json", report]
    proc = _start(args, tmp_path)
    _wait_for(lambda: len(_children(proc.pid)) == 2, proc, "both workers started")
    os.kill(_children(proc.pid)[0], signal.SIGKILL)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, out + err
    data = json.loads(report.read_text())
    summary = data["summary"]
    assert summary["total"] == summary["planned"] == 400  # the run went on to its end
    assert not summary["interrupted"] and data["run"]["workers"] == 2
    (lost,) = [c for c in data["cases"] if c["outcome"] == "error"]
    assert lost["message"] == "worker process lost (killed by SIGKILL) while running this case"
    assert summary["passed"] == summary["total"] - 1


def test_a_stuck_source_read_before_the_workers_start_has_the_deadline_too(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    _scenario(folder, "a-fine")
    _scenario(folder, "b-stuck", "stuck:pixel")
    _scenario(folder, "c-fine")
    # The fine cases may pass the short deadline too (a cold first case does on a busy machine):
    # only the stuck one is checked, and load can only make it later.
    args = ["run", folder, "--workers", "2", "--force-workers", "--timeout", "0.25", "--json", tmp_path / "r.json"]
    proc = _start(args, tmp_path)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, out + err
    cases = {c["scenario"]: c for c in json.loads((tmp_path / "r.json").read_text())["cases"]}
    assert len(cases) == 3  # the run ended, every case reported
    assert cases["b-stuck"]["outcome"] == "error"
    assert cases["b-stuck"]["message"] == "stuck:pixel: no answer within 0.25s (--timeout)"
