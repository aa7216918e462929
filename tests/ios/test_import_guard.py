"""The core works without the ``[ios]`` extra, and ``ios:`` then names the extra.

Both commands run in turn in one fresh interpreter where pymobiledevice3 cannot be imported
(:func:`tests.helpers.attestlab_hiding`), which says after each what of it had been imported.
"""

from __future__ import annotations

import pytest

from tests.helpers import Result, attestlab_hiding

pytestmark = pytest.mark.slow  # fresh interpreters (tests/conftest.py runs these first)


@pytest.fixture(scope="module")
def without_pymobiledevice3() -> list[tuple[Result, list[str]]]:
    return attestlab_hiding(
        ("pymobiledevice3",),
        ("pymobiledevice3.",),
        ("run", "scenarios/ios", "--seed", "1"),
        ("inspect", "ios:00008101-000A"),
    )


def test_run_works_without_pymobiledevice3(without_pymobiledevice3: list[tuple[Result, list[str]]]) -> None:
    (proc, imported), _ = without_pymobiledevice3
    assert proc.code == 0, proc.out + proc.err
    assert imported == []


def test_ios_source_names_the_extra(without_pymobiledevice3: list[tuple[Result, list[str]]]) -> None:
    _, (proc, _) = without_pymobiledevice3
    assert proc.code == 2
    extra = "the ios: source needs the [ios] extra: pip install 'attestlab[ios]'"
    assert f"attestlab: error: ios:00008101-000A: {extra}" in proc.err
    assert "Traceback" not in proc.err
