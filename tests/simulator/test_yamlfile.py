"""The one YAML reader is bounded and accepts only plain values (simulator.yamlfile).

Each test is an input that the old reader (PyYAML's composer and constructor) turned into a
1.5 GB expansion, a crash, a raw Python exception or a silently dropped tag.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from simulator.errors import ConfigError
from simulator.yamlfile import MAX_DEPTH, MAX_NODES, MAX_YAML_BYTES, load_yaml, read_yaml_file
from tests.helpers import one_line


def laughs(levels: int = 9) -> str:
    """``a: &a [1 x 9]``, then each level nine aliases of the one before: 9**levels values."""
    lines = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for previous, name in zip("abcdefghijklmnopq", "bcdefghijklmnopqr", strict=False):
        if len(lines) == levels:
            break
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    return "\n".join(lines) + "\n"


def error(text: str) -> str:
    message = one_line(ConfigError, lambda: load_yaml(text, name="f.yaml"))
    assert message.startswith("f.yaml:")
    return message


def test_billion_laughs_is_refused_at_the_node_cap() -> None:
    assert f"more than {MAX_NODES} values (aliases count at every use)" in error(laughs())


def test_small_alias_trees_still_work_and_share_their_value() -> None:
    doc = load_yaml(laughs(3), name="f.yaml")
    assert len(doc.data["c"]) == 9 and doc.data["c"][0] is doc.data["b"]  # memoised, not copied
    assert sum(len(b) for b in doc.data["c"]) == 81


def test_legitimate_anchor_and_alias() -> None:
    text = "steps:\n  - sign_in:\n    expect: &ok {decision: managed, reason: managed}\n  - sign_in:\n    expect: *ok\n"
    doc = load_yaml(text, name="f.yaml")
    assert doc.data["steps"][1]["expect"] == {"decision": "managed", "reason": "managed"}
    assert doc.line(("steps", 1, "expect")) == 5


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 100_000])
def test_deep_flow_nesting(depth: int) -> None:
    assert error("[" * depth + "]" * depth) == f"f.yaml:1: invalid YAML: nested deeper than {MAX_DEPTH} levels"


def test_nesting_past_libyamls_own_cap_on_one_line_names_that_line() -> None:
    # libyaml >= 0.2.6 (PyYAML 6.0.4) stops at 1000 levels in its scanner, ahead of the composer.
    text = "a:\n  - b: " + "[" * 2000 + "]" * 2000 + "\n"
    assert error(text) == f"f.yaml:2: invalid YAML: nested deeper than {MAX_DEPTH} levels"


def test_deep_block_nesting() -> None:
    text = "".join("  " * i + "a:\n" for i in range(500))
    assert error(text).startswith(f"f.yaml:{MAX_DEPTH + 1}: ")


def test_nesting_at_the_cap_is_read() -> None:
    assert load_yaml("[" * MAX_DEPTH + "]" * MAX_DEPTH, name="f.yaml").data is not None


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system [echo]",
        "a: !!python/object/apply:os.system {cmd: echo}",
        "a: !!python/name:os.system x",
        "a: !!binary aGVsbG8=",
        "a: !!set {x: null}",
        "a: !Ref x",
        "a: !!omap [{x: 1}]",
    ],
    ids=["on-a-list", "on-a-mapping", "on-a-scalar", "binary", "set", "local", "omap"],
)
def test_tags_the_format_does_not_define_are_refused(text: str) -> None:
    assert "tag not allowed" in error(text)


def test_core_tags_are_accepted() -> None:
    doc = load_yaml("a: !!str 12\nb: !!int '7'\nc: !!seq [1]\nd: !!map {x: 1}\n", name="f.yaml")
    assert doc.data == {"a": "12", "b": 7, "c": [1], "d": {"x": 1}}


def test_merge_keys_are_refused_in_words() -> None:
    assert "merge keys (<<) are not supported" in error("a: &a {x: 1}\nb: {<<: *a}\n")


@pytest.mark.parametrize("digits", ["9" * 5000, "0x" + "f" * 5000, "9" * 101])
def test_integers_with_thousands_of_digits(digits: str) -> None:
    assert "an integer of more than 100 characters" in error(f"a: {digits}\n")


def test_integers_beyond_64_bits() -> None:
    assert "an integer beyond 64 bits" in error(f"a: {2**64}\n")
    assert load_yaml(f"a: {2**63 - 1}\n", name="f.yaml").data == {"a": 2**63 - 1}


def test_impossible_timestamp() -> None:
    assert error("created: 2026-01-05T25:00:00Z\n") == (
        "f.yaml:1: invalid YAML: not a valid date and time (quote it if it is text)"
    )
    assert load_yaml("c: 2026-01-05T10:00:00Z\n", name="f.yaml").data["c"] == datetime.fromisoformat(
        "2026-01-05T10:00:00+00:00"
    )


def test_cycles_and_undefined_aliases() -> None:
    assert "a cycle" in error("a: &a [*a]\n")
    assert "not defined before it" in error("a: *nope\n")


def test_keys_must_be_scalars_and_unique() -> None:
    assert "mapping keys must be scalars" in error("? [a]\n: 1\n")
    assert error("a: 1\na: 2\n") == "f.yaml:2: invalid YAML: duplicate key 'a'"


def test_a_duplicate_key_that_could_be_a_secret_is_redacted() -> None:
    secret = "3zr7Q~vw4C16FS2bH8UfS1gJ5cL6sj~x_U9PQ"
    message = error(f"{secret}: 1\n{secret}: 2\n")
    assert secret[:6] not in message and "3z…(37)" in message


def test_a_second_document_is_refused() -> None:
    assert "expected a single document" in error("a: 1\n---\nb: 2\n")


def test_empty_document() -> None:
    assert load_yaml("# nothing\n", name="f.yaml").data is None


def test_read_errors_in_plain_words(tmp_path: Path) -> None:
    cases = {
        tmp_path / "missing.yaml": "cannot read org file: no such file or directory",
        tmp_path: "cannot read org file: is a directory",
    }
    (tmp_path / "latin1.yaml").write_bytes(b"name: caf\xe9\n")
    cases[tmp_path / "latin1.yaml"] = "cannot read org file: not UTF-8 at byte 9"
    (tmp_path / "big.yaml").write_bytes(b"#" * (MAX_YAML_BYTES + 1))
    cases[tmp_path / "big.yaml"] = f"larger than {MAX_YAML_BYTES} bytes"
    cases[tmp_path / ("x" * 300)] = "cannot read org file: file name too long"
    for path, words in cases.items():
        with pytest.raises(ConfigError) as caught:
            read_yaml_file(path, what="org file")
        assert words in str(caught.value) and "Error" not in str(caught.value), path


def test_a_file_that_never_ends_is_read_only_up_to_the_cap() -> None:
    """``stat`` says 0 bytes for a device; the read itself is what is bounded."""
    with pytest.raises(ConfigError, match=f"larger than {MAX_YAML_BYTES} bytes"):
        read_yaml_file("/dev/zero", what="org file")
