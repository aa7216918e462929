"""The user cache: keys and name tables shared by processes, never a reason for a run to fail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulator import keys, usercache
from simulator.keys import KeyKind, KeyPool


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(usercache.DIR_ENV, str(folder))
    monkeypatch.delenv(usercache.OFF_ENV, raising=False)
    return folder


def test_where_the_cache_lives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(usercache.DIR_ENV, raising=False)
    monkeypatch.delenv(usercache.OFF_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert usercache.cache_dir() == tmp_path / "xdg" / "attestlab"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert usercache.cache_dir() == tmp_path / "home" / ".cache" / "attestlab"
    monkeypatch.setenv(usercache.DIR_ENV, "~/elsewhere")
    assert usercache.cache_dir() == tmp_path / "home" / "elsewhere"
    monkeypatch.setenv(usercache.OFF_ENV, "1")
    assert usercache.cache_dir() is None
    assert not usercache.write("entry", b"x") and usercache.read("entry") is None


def test_entries_round_trip_and_damage_reads_as_absent(cache: Path) -> None:
    assert usercache.read("entry") is None
    assert usercache.write("entry", b"payload\nwith lines")
    assert usercache.read("entry") == b"payload\nwith lines"
    assert oct((cache / "entry").stat().st_mode & 0o777) == "0o600"
    assert oct(cache.stat().st_mode & 0o777) == "0o700"

    data = (cache / "entry").read_bytes()
    (cache / "entry").write_bytes(data[:-1] + b"X")  # one byte changed: the digest disagrees
    assert usercache.read("entry") is None
    (cache / "entry").write_bytes(b"not an entry at all")
    assert usercache.read("entry") is None
    assert [p.name for p in cache.iterdir()] == ["entry"]  # no .part files left


def test_a_cache_that_cannot_be_written_is_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(usercache.DIR_ENV, str(blocker / "cache"))
    assert not usercache.write("entry", b"x")
    assert usercache.read("entry") is None
    pool = KeyPool(cache_entry=keys.RSA_CACHE_ENTRY)
    assert pool.key(KeyKind.RSA, 0).alg == "RS256"  # generated, and nothing fails


def test_the_pool_starts_from_cached_rsa_keys_and_stores_new_ones(cache: Path) -> None:
    first = KeyPool(cache_entry=keys.RSA_CACHE_ENTRY)
    made = [first.key(KeyKind.RSA, i).kid for i in range(2)]
    assert len(set(made)) == 2
    stored = json.loads(usercache.read(keys.RSA_CACHE_ENTRY) or b"")
    assert len(stored) == 2

    second = KeyPool(cache_entry=keys.RSA_CACHE_ENTRY)  # as in the next process
    assert [second.key(KeyKind.RSA, i).kid for i in range(2)] == made
    assert second.key(KeyKind.RSA, 2).kid not in made  # grown beyond the cache: a new key, stored
    assert len(json.loads(usercache.read(keys.RSA_CACHE_ENTRY) or b"")) == 3

    assert KeyPool().key(KeyKind.RSA, 0).kid not in made  # an uncached pool shares none...
    assert KeyPool(cache_entry="other").key(KeyKind.RSA, 0).kid not in made  # ...nor one of another entry


def test_a_damaged_key_entry_is_replaced(cache: Path) -> None:
    usercache.write(keys.RSA_CACHE_ENTRY, json.dumps(["bm90IGEga2V5"]).encode())  # base64 of "not a key"
    pool = KeyPool(cache_entry=keys.RSA_CACHE_ENTRY)
    key = pool.key(KeyKind.RSA, 0)
    assert key.alg == "RS256"
    again = KeyPool(cache_entry=keys.RSA_CACHE_ENTRY)
    assert again.key(KeyKind.RSA, 0).kid == key.kid  # the good key replaced the bad entry


def test_a_cached_run_generates_no_rsa_key_and_no_run_imports_faker(cache: Path) -> None:
    """What the cache is for: the second process of a one-scenario run generates no key. Names
    come from the shipped tables (simulator.names): neither process imports Faker."""
    code = (
        "import sys, random\n"
        "from cryptography.hazmat.primitives.asymmetric import rsa\n"
        "def refuse(*a, **k): raise SystemExit('generated an RSA key')\n"
        "from simulator.keys import POOL, KeyKind\n"
        "from simulator.device import Platform, generate_identity\n"
        "if sys.argv[1] == 'second': rsa.generate_private_key = refuse\n"
        "POOL.key(KeyKind.RSA, 0); POOL.key(KeyKind.RSA, 1)\n"
        "generate_identity(Platform.ANDROID, random.Random(1))\n"
        "print('faker' in sys.modules)\n"
    )
    env = {**os.environ, usercache.DIR_ENV: str(cache), "PYTHONPATH": str(Path(__file__).parents[2])}
    runs = [
        subprocess.run([sys.executable, "-c", code, which], env=env, capture_output=True, text=True, check=True)
        for which in ("first", "second")
    ]
    assert [r.stdout.strip() for r in runs] == ["False", "False"]
