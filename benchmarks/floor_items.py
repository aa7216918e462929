"""A pytest plugin of trivial items: pytest's own cost per item, the floor under the plugin's.

bench_matrix.py runs it over the same scenario files, with the same item ids per file as the
attestlab plugin collects (``BENCH_FLOOR_IDS`` names a JSON file: path -> ids) and with the
attestlab plugin disabled, so the node tree, the ids and the reports pytest and xdist handle are
the same and only what the attestlab plugin does (planning, markers, running the case) is left
out: each item's ``runtest`` does nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

IDS_ENV = "BENCH_FLOOR_IDS"


_IDS_KEY = pytest.StashKey[dict[str, list[str]]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_IDS_KEY] = json.loads(Path(os.environ[IDS_ENV]).read_text())


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> FloorFile | None:
    if str(file_path) not in parent.config.stash[_IDS_KEY]:
        return None
    file: FloorFile = FloorFile.from_parent(parent, path=file_path)
    return file


class FloorFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        for name in self.config.stash[_IDS_KEY][str(self.path)]:
            yield FloorItem.from_parent(self, name=name)


class FloorItem(pytest.Item):
    def runtest(self) -> None:
        pass

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, 0, self.name
