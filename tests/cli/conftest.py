"""Run the real ``attestlab`` command in a subprocess, as a user or CI would."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    code: int
    out: str
    err: str


def attestlab(*args: str | Path, cwd: Path = ROOT, timeout: float = 120) -> Result:
    proc = subprocess.run(
        [sys.executable, "-m", "harness", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli() -> type[Result]:
    return Result


def catalog_secrets() -> list[str]:
    """Every secret value written in the org files the catalog uses."""
    import yaml

    values = []
    for path in (ROOT / "fixtures" / "orgs").glob("*.yaml"):
        for config in (yaml.safe_load(path.read_text()) or {}).get("endpoint_management", []):
            if config.get("secret"):
                values.append(str(config["secret"]))
    for path in (ROOT / "scenarios").rglob("*.yaml"):
        doc = yaml.safe_load(path.read_text()) or {}
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
    return sorted(set(values))
