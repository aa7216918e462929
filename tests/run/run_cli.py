"""``attestlab(...)``: the command run in this process, through its console entry point."""

from __future__ import annotations

import contextlib
import io
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "scenarios"
STANDARD_ORG = ROOT / "fixtures" / "orgs" / "standard.yaml"


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def attestlab(*args: str | Path) -> Result:
    from harness.cli import main

    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["attestlab", *map(str, args)]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = argv
    return Result(code, out.getvalue(), err.getvalue())
