"""Org files (DESIGN.md §2): a valid file builds the org; a bad one names file:line and field.

Every broken file below still carries a real secret, and no error may repeat it.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from simulator.device import Platform
from simulator.errors import ConfigError
from simulator.secret import sha256_hex
from simulator.verifier import MultipleConfigs, Policy
from simulator.verifier.orgfile import load_org

SECRET = "3zr7Q~vw4C16FS2bH8UfS1gJ5cL6sj~x_U9PQ"
OTHER_SECRET = "Wk_9q~Hn2Lr8Tc4Vb6Xz1Mj3Pd5Fg7Sa"

VALID = f"""\
org_url: https://example.okta.com
endpoint_management:
  - name: intune-android            # unique id
    platform: android
    provider: Microsoft Intune
    enrollment_link: https://portal.manage.microsoft.com/
    secret: "{SECRET}"
    created: 2026-01-05T10:00:00Z
  - name: ws1-ios
    platform: ios
    provider: Workspace ONE UEM
    enrollment_link: https://getwsone.com/
    secret_sha256: {sha256_hex(OTHER_SECRET)}
    created: 2026-02-01T08:00:00Z
  - name: ws1-android
    platform: android
    provider: Workspace ONE UEM
    enrollment_link: https://getwsone.com/
    secret: '{OTHER_SECRET}'
    created: 2025-12-01T08:00:00Z
policy:
  device: {{registered: true, managed: true}}
multiple_configs: earliest-only
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "org.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


def test_valid_file_loads(tmp_path: Path) -> None:
    org, secrets = load_org(_write(tmp_path, VALID), rng=random.Random(1))

    assert org.org_url == "https://example.okta.com"
    assert org.policy == Policy(registered=True, managed=True)
    assert org.multiple_configs is MultipleConfigs.EARLIEST_ONLY
    assert [c.name for c in org.configs_for(Platform.ANDROID)] == ["ws1-android", "intune-android"]
    assert [c.name for c in org.configs_for(Platform.IOS)] == ["ws1-ios"]
    assert sorted(secrets) == ["intune-android", "ws1-android"]  # the hashed one reveals nothing
    assert secrets["intune-android"].reveal() == SECRET
    assert org.config("intune-android").matches(SECRET)
    assert org.config("ws1-ios").matches(OTHER_SECRET)
    assert not org.config("ws1-ios").matches(SECRET)


def test_minimal_file_takes_the_defaults(tmp_path: Path) -> None:
    org, secrets = load_org(_write(tmp_path, "org_url: https://example.okta.com/\n"))

    assert org.org_url == "https://example.okta.com"
    assert org.configs == [] and secrets == {}
    assert org.policy == Policy()
    assert org.multiple_configs is MultipleConfigs.ANY_MATCH


def _replace_line(text: str, needle: str, replacement: str) -> str:
    lines = text.splitlines(keepends=True)
    index = _line_of(text, needle) - 1
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    lines[index] = indent + replacement + "\n"
    return "".join(lines)


# Each case: (id, transform of VALID, (needle locating the expected line, occurrence), field, words)
CASES = [
    (
        "unknown-field",
        lambda t: _replace_line(t, "provider: Microsoft Intune", "provider: Microsoft Intune\n    colour: blue"),
        ("colour: blue", 1),
        "endpoint_management.0",
        "unknown field 'colour' (allowed: created, enrollment_link, name, platform, provider, secret, secret_sha256)",
    ),
    (
        "unknown-top-level-field",
        lambda t: t + "policies: {}\n",
        ("policies:", 1),
        "",
        "unknown field 'policies' (allowed: endpoint_management, multiple_configs, org_url, policy)",
    ),
    (
        "bad-platform",
        lambda t: _replace_line(t, "platform: ios", "platform: windows"),
        ("platform: windows", 1),
        "endpoint_management.1.platform",
        "windows",
    ),
    (
        "bad-enrollment-link",
        lambda t: _replace_line(t, "enrollment_link: https://getwsone.com/", "enrollment_link: getwsone.com"),
        ("enrollment_link: getwsone.com", 1),
        "endpoint_management.1.enrollment_link",
        "must be an http:// or https:// URL like https://portal.manage.microsoft.com/",
    ),
    (
        "org-url-not-https",
        lambda t: t.replace("org_url: https://example.okta.com", "org_url: http://example.okta.com"),
        ("org_url:", 1),
        "org_url",
        "must be an https:// URL like https://example.okta.com",
    ),
    (
        "short-secret",
        lambda t: _replace_line(t, f'secret: "{SECRET}"', 'secret: "3zr7Q~v"'),
        ("3zr7Q~v", 1),
        "endpoint_management.0.secret",
        "8-256",
    ),
    (
        "secret-with-space",
        lambda t: _replace_line(t, f'secret: "{SECRET}"', f'secret: "{SECRET[:10]} {SECRET[10:]}"'),
        ("secret: ", 1),
        "endpoint_management.0.secret",
        "printable",
    ),
    (
        "secret-not-a-string",
        lambda t: _replace_line(t, f'secret: "{SECRET}"', "secret: 1234567890123"),
        ("secret: 1234567890123", 1),
        "endpoint_management.0.secret",
        "invalid secret key",
    ),
    (
        "both-secret-and-hash",
        lambda t: _replace_line(
            t, f'secret: "{SECRET}"', f'secret: "{SECRET}"\n    secret_sha256: {sha256_hex(SECRET)}'
        ),
        ("- name: intune-android", 1),
        "endpoint_management.0",
        "exactly one",
    ),
    (
        "neither-secret-nor-hash",
        lambda t: t.replace(f"    secret: '{OTHER_SECRET}'\n", ""),
        ("- name: ws1-android", 1),
        "endpoint_management.2",
        "exactly one",
    ),
    (
        "bad-hash",
        lambda t: t.replace(sha256_hex(OTHER_SECRET), "abc123"),
        ("secret_sha256:", 1),
        "endpoint_management.1.secret_sha256",
        "must be the SHA-256 of the key: 64 hexadecimal characters",
    ),
    (
        "bad-multiple-configs",
        lambda t: t.replace("multiple_configs: earliest-only", "multiple_configs: first"),
        ("multiple_configs:", 1),
        "multiple_configs",
        "first",
    ),
    (
        "policy-not-bool",
        lambda t: t.replace("managed: true}", "managed: maybe}"),
        ("device: {registered", 1),
        "policy.device.managed",
        "must be true or false",
    ),
    (
        "missing-org-url",
        lambda t: t.replace("org_url: https://example.okta.com\n", ""),
        ("endpoint_management:", 1),
        "org_url",
        "required",
    ),
]


@pytest.mark.parametrize(
    ("transform", "where", "field", "words"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_validation_error_names_file_line_and_field(
    tmp_path: Path, transform: object, where: tuple[str, int], field: str, words: str
) -> None:
    assert callable(transform)
    text = transform(VALID)
    path = _write(tmp_path, text)

    with pytest.raises(ConfigError) as caught:
        load_org(path)

    message = str(caught.value)
    assert message.startswith(f"{path}:{_line_of(text, *where)}: {field + ': ' if field else ''}"), message
    assert words in message
    assert "pydantic" not in message and "String should" not in message and "Input should" not in message
    assert "\n" not in message
    assert SECRET not in message and OTHER_SECRET not in message


def test_duplicate_configuration_names(tmp_path: Path) -> None:
    text = VALID.replace("name: ws1-android", "name: intune-android")
    path = _write(tmp_path, text)

    with pytest.raises(ConfigError) as caught:
        load_org(path)

    message = str(caught.value)
    assert message.startswith(f"{path}:{_line_of(text, '- name: intune-android')}: endpoint_management: ")
    assert "duplicate" in message and "intune-android" in message
    assert SECRET not in message and OTHER_SECRET not in message


@pytest.mark.parametrize(
    ("transform", "needle", "words"),
    [
        (lambda t: t.replace("    platform: android\n", "    platform: android\n   bad: [\n", 1), "bad: [", ""),
        (lambda t: t.replace("provider: Microsoft Intune", "provider: Microsoft: Intune"), "Microsoft: Intune", ""),
        (lambda t: t.replace(f'secret: "{SECRET}"', f"secret: !{SECRET}"), "secret: !", "tag"),
        (lambda t: t.replace(f'secret: "{SECRET}"', "secret: *3zr7Qvw4C16FS2bH8UfS1gJ5cL6sj"), "secret: *", "alias"),
        (lambda t: t.replace(f'secret: "{SECRET}"', f"secret: @{SECRET}"), "secret: @", "token"),
    ],
    ids=["bad-indentation", "colon-in-plain-scalar", "secret-as-unknown-tag", "secret-as-alias", "reserved-indicator"],
)
def test_yaml_syntax_error_names_the_line(tmp_path: Path, transform: object, needle: str, words: str) -> None:
    assert callable(transform)
    text = transform(VALID)
    path = _write(tmp_path, text)

    with pytest.raises(ConfigError) as caught:
        load_org(path)

    message = str(caught.value)
    assert message.startswith(f"{path}:"), message
    line = int(message.removeprefix(f"{path}:").split(":", 1)[0])
    assert abs(line - _line_of(text, needle)) <= 1  # PyYAML marks where it noticed: same or next line
    assert "invalid YAML" in message and words in message
    assert SECRET not in message and OTHER_SECRET not in message
    assert "3zr7Qvw4C16FS2bH8UfS1gJ5cL6sj" not in message


def test_duplicate_yaml_key_names_its_line(tmp_path: Path) -> None:
    text = _replace_line(VALID, "platform: ios", "platform: ios\n    provider: Jamf Pro")
    path = _write(tmp_path, text)

    with pytest.raises(ConfigError) as caught:
        load_org(path)

    second = _line_of(text, "provider: Workspace ONE UEM")  # the later of the two, as PyYAML reads
    assert second == _line_of(text, "provider: Jamf Pro") + 1
    assert str(caught.value) == f"{path}:{second}: invalid YAML: duplicate key 'provider'"


def test_unterminated_quote_is_reported_where_the_stream_ends(tmp_path: Path) -> None:
    text = VALID.replace(f'secret: "{SECRET}"', f'secret: "{SECRET}')
    path = _write(tmp_path, text)

    with pytest.raises(ConfigError) as caught:
        load_org(path)

    assert str(caught.value) == f"{path}:{len(text.splitlines()) + 1}: invalid YAML: found unexpected end of stream"


def test_non_scalar_key_names_file_and_line(tmp_path: Path) -> None:
    text = VALID + "[policy]: 1\n"
    path = _write(tmp_path, text)

    with pytest.raises(ConfigError) as caught:
        load_org(path)

    assert str(caught.value) == f"{path}:{_line_of(text, '[policy]')}: invalid YAML: mapping keys must be scalars"


@pytest.mark.parametrize(
    ("content", "words"),
    [("", "mapping"), ("- just\n- a list\n", "mapping"), ("org_url: [\n", "invalid YAML")],
    ids=["empty", "list", "truncated"],
)
def test_not_an_org_mapping(tmp_path: Path, content: str, words: str) -> None:
    path = _write(tmp_path, content)

    with pytest.raises(ConfigError, match=words) as caught:
        load_org(path)

    assert str(caught.value).startswith(f"{path}:")


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read org file"):
        load_org(tmp_path / "missing.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"org_url: \xff\xfe\n")
    with pytest.raises(ConfigError, match="cannot read org file"):
        load_org(binary)


def test_oversize_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = _write(tmp_path, VALID + "#" * (1 << 20))

    with pytest.raises(ConfigError, match="larger than"):
        load_org(path)
