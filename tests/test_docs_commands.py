"""Every ``attestlab ...`` line of a ```` ```sh ```` block in README.md and docs/*.md runs as
written, against the bundled files, with the exit code the docs give.

A line's comment may say ``# exits N`` (default 0) or ``# needs a device`` (a live phone: skipped,
with that reason). Lines of one file run in order in one folder (a merge reads the shards the
lines above it wrote), where ``scenarios/``, ``fixtures/`` and ``docs/`` are the checkout's; a
``cp SRC DST`` line copies a file there, so that a command that edits a file (``org add-platform``)
edits a copy, never the checkout's. Synopses
(``attestlab run [PATH ...]``) live in plain ```` ``` ```` blocks and are not run.

The lines run in this process, through the console entry point's :func:`harness.cli.main` with
their own streams (tests/helpers.py), as the rest of the CLI tests do: a process per line cost
~1 s of CPU each. The documented ``--workers 2`` runs are small plans, which run in one process
whatever ``--workers`` asks (tests/run/test_run_controls.py); a documented command that would
start worker processes fails here, to be run as a process of its own (forking pytest's worker,
threads and all, is no run a user makes). The installed ``attestlab`` script itself runs in
tests/test_install.py.
"""

from __future__ import annotations

import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness import runner
from tests.helpers import ROOT, attestlab

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.M | re.S)
_EXITS = re.compile(r"\bexits (\d+)")


@dataclass(frozen=True)
class Command:
    line: int
    args: list[str]
    code: int
    skip: str | None
    copy: bool = False


def commands(doc: Path) -> list[Command]:
    text = doc.read_text()
    found = []
    for block in _BLOCK.finditer(text):
        first = text.count("\n", 0, block.start(1)) + 1
        for offset, raw in enumerate(block.group(1).splitlines()):
            line = raw.strip().removeprefix("$ ")
            if not line.startswith(("attestlab ", "cp ")):
                continue
            command, _, comment = line.partition("#")
            exits = _EXITS.search(comment)
            skip = "needs a device" if "needs a device" in comment else None
            code = int(exits.group(1)) if exits else 0
            found.append(Command(first + offset, shlex.split(command)[1:], code, skip, line.startswith("cp ")))
    return found


def test_the_readme_has_examples_to_run() -> None:
    assert len([c for c in commands(ROOT / "README.md") if not c.copy]) >= 5


@pytest.mark.slow
@pytest.mark.parametrize("doc", [d for d in DOCS if commands(d)], ids=lambda d: d.name)
def test_every_documented_command_runs(doc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    planned = runner.effective_workers

    def in_this_process(requested: int, cases: int, *, force: bool = False) -> int:
        workers = planned(requested, cases, force=force)
        assert workers == 1, f"{cases} cases start {workers} worker processes: run this line as a process"
        return workers

    monkeypatch.setattr(runner, "effective_workers", in_this_process)
    for name in ("scenarios", "fixtures", "docs"):
        (tmp_path / name).symlink_to(ROOT / name)
    for command in commands(doc):
        if command.skip:
            continue
        if command.copy:
            source, target = command.args
            inside = (tmp_path / target).resolve().is_relative_to(tmp_path.resolve())
            assert inside, f"{doc.name}:{command.line}: cp onto the checkout's files"
            shutil.copyfile(tmp_path / source, tmp_path / target)
            continue
        result = attestlab(*command.args, cwd=tmp_path)
        where = f"{doc.name}:{command.line}: attestlab {shlex.join(command.args)}"
        assert result.code == command.code, f"{where} exited {result.code}\n{result.out[-1500:]}{result.err[-1500:]}"


def test_the_docs_cite_only_what_ships() -> None:
    """README, docs/ and the bundled files cite the docs that ship with them, not notes outside
    the repository."""
    shipped = [
        *DOCS,
        *ROOT.glob("scenarios/**/*.yaml"),
        *ROOT.glob("fixtures/**/*.yaml"),
        ROOT / "fixtures" / "README.md",
    ]
    citing = [str(p.relative_to(ROOT)) for p in shipped if re.search(r"\b(DESIGN|DOMAIN)\.md\b", p.read_text())]
    assert citing == []
