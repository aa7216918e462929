"""The name tables attestlab ships (simulator/data) are Faker's en_US ones."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from simulator import names
from simulator.device import Platform, generate_identity

faker_person = pytest.importorskip("faker.providers.person.en_US")  # the test extra installs Faker


def test_every_shipped_name_is_fakers_with_fakers_weight() -> None:
    shipped = json.loads(names.DATA.read_text(encoding="utf-8"))
    provider = faker_person.Provider
    faker_first = {**provider.first_names_female, **provider.first_names_male}
    assert len(shipped["first"]) > 500 and len(shipped["last"]) > 500
    assert [pair for pair in shipped["first"] if faker_first.get(pair[0]) != pair[1]] == []
    assert [pair for pair in shipped["last"] if provider.last_names.get(pair[0]) != pair[1]] == []
    assert "Permission is hereby granted" in shipped["license"]  # Faker's MIT notice travels with its data


def test_the_file_is_what_the_writer_makes_from_faker() -> None:
    """``python -m simulator.names`` would write the shipped bytes again (same Faker data)."""
    made = names.dumps(names.from_faker())
    shipped = names.DATA.read_text(encoding="utf-8")
    if json.loads(made)["source"] != json.loads(shipped)["source"]:
        pytest.skip("another Faker version is installed: the subset test above holds the data")
    assert made == shipped


def test_names_are_drawn_by_their_weight_from_the_case_rng() -> None:
    def surnames(seed: int) -> list[str]:
        rng = random.Random(seed)
        return [generate_identity(Platform.IOS, rng).user_name.split(".")[1] for _ in range(2000)]

    drawn = surnames(7)
    assert drawn == surnames(7) != surnames(8)
    pairs = json.loads(names.DATA.read_text(encoding="utf-8"))["last"]
    heaviest = max(pairs, key=lambda pair: pair[1])[0].lower()
    assert Counter(drawn)[heaviest] > 20  # ~43 expected at its weight; ~2 if all 1,000 were equally likely
