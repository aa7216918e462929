"""``--shard K/N``: the shards partition the cases, are balanced, and barely move when a case is added."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.matrix import shard

IDS = st.lists(st.text(min_size=1, max_size=30), unique=True, max_size=300)


@given(ids=IDS, total=st.integers(1, 9))
def test_shards_partition_the_cases_in_plan_order_with_sizes_within_one(ids: list[str], total: int) -> None:
    """One property over the same drawn plans (generating them is most of the cost): the shards
    partition the cases, their sizes are within one, and each keeps the order of the plan."""
    shards = [shard(ids, k, total, key=str) for k in range(1, total + 1)]
    assert sorted(i for s in shards for i in s) == sorted(ids)
    sizes = [len(s) for s in shards]
    assert max(sizes) - min(sizes) <= 1
    for mine in shards:
        members = set(mine)
        assert mine == [i for i in ids if i in members]


@pytest.mark.parametrize("total", [2, 3, 4, 7])
@pytest.mark.parametrize("count", [40, 400])
def test_adding_one_case_moves_only_a_few_others(total: int, count: int) -> None:
    ids = [f"android/case-{n:04d}[Pixel {n % 9}]" for n in range(count)]
    before = {i: k for k in range(1, total + 1) for i in shard(ids, k, total, key=str)}
    grown = [*ids[: count // 2], "android/case-new[Pixel 8]", *ids[count // 2 :]]
    after = {i: k for k in range(1, total + 1) for i in shard(grown, k, total, key=str)}
    moved = [i for i in ids if before[i] != after[i]]
    assert len(moved) <= 2 * total, moved  # round-robin over sorted ids moved about half


def test_the_same_cases_give_the_same_shards_in_any_order() -> None:
    ids = [f"case-{n}" for n in range(100)]
    assert shard(ids, 2, 3, key=str) == sorted(shard(list(reversed(ids)), 2, 3, key=str), key=ids.index)
