"""Matrix devices that cannot exist are errors naming the file and line; model ids keep their commas."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import InputError
from harness.matrix import load_matrix, parse_device_spec
from simulator.device import Platform


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("platform=android,version=banana", "'banana' is not an Android version"),
        ("platform=android,version=17.6.1", "'17.6.1' is not an Android version"),
        ("platform=ios,version=4.4", "'4.4' is not an iOS version"),
        ("platform=ios,version=18.1.1.1", "'18.1.1.1' is not an iOS version"),
    ],
)
def test_a_version_the_platform_cannot_have_is_an_error(spec: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem):
        parse_device_spec(spec, where="m.yaml:3")


def test_model_ids_with_commas_are_expressible_in_key_value_form() -> None:
    device = parse_device_spec("platform=ios,model=iPhone15,2,version=18.1", where="--device")
    assert (device.platform, device.model, device.os_version) == (Platform.IOS, "iPhone15,2", "18.1")


def test_a_bad_version_in_a_matrix_file_names_its_line(tmp_path: Path) -> None:
    matrix = tmp_path / "m.yaml"
    matrix.write_text("devices:\n  - platform=android,version=14\n  - platform=ios,version=banana\n")
    with pytest.raises(InputError, match=r"m\.yaml:3: version 'banana' is not an iOS version"):
        load_matrix(matrix)
