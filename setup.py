"""Build hook: the wheel carries the bundled catalog.

``scenarios/`` and ``fixtures/`` stay at the top of the repository (the layout users and the
docs know), and scenarios refer to fixtures by relative paths (``../../fixtures/orgs/...``). The
wheel gets copies of both, side by side, under ``harness/_catalog/``, where
:func:`harness.bundled.catalog_dir` finds them once installed. An editable install reads the
checkout itself and copies nothing. Everything else is declared in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
#: Shipped folders; their scripts (fixtures/make_captures.py regenerates captures) stay behind.
CATALOG = ("scenarios", "fixtures")
LEFT_OUT = shutil.ignore_patterns("__pycache__", "*.py", "*.pyc")


class BuildPyWithCatalog(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for name in CATALOG:
            target = Path(self.build_lib) / "harness" / "_catalog" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(ROOT / name, target, ignore=LEFT_OUT)


setup(cmdclass={"build_py": BuildPyWithCatalog})
