"""attestlab's adb key: made once under the user's config dir, private, in adb's own format."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

adb_keygen = pytest.importorskip("adb_shell.auth.keygen")

from harness.errors import SourceError  # noqa: E402
from harness.sources import adb  # noqa: E402


def test_the_key_is_made_once_under_xdg_config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    first = adb.load_key(None)
    path = tmp_path / "attestlab" / "adbkey"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = path.read_bytes()
    assert adb.load_key(None) is first and path.read_bytes() == content
    # The public half is what adb's own adbkey.pub holds: adb-shell's encoder, from the file.
    public = first.GetPublicKey().split(b" ")[0]
    assert base64.b64decode(public) == adb_keygen.encode_pubkey(str(path))


def test_a_key_of_adb_itself_works_without_its_pub_file(tmp_path: Path) -> None:
    key = tmp_path / "adbkey"
    adb_keygen.keygen(str(key))
    expected = (tmp_path / "adbkey.pub").read_bytes().split(b" ")[0]
    (tmp_path / "adbkey.pub").unlink()
    assert adb.load_key(key).GetPublicKey().split(b" ")[0] == expected


@pytest.mark.parametrize(("content", "message"), [(None, "cannot read"), (b"not a key", "not an unencrypted PEM")])
def test_a_bad_adb_key_is_one_line(tmp_path: Path, content: bytes | None, message: str) -> None:
    key = tmp_path / "adbkey"
    if content is not None:
        key.write_bytes(content)
    with pytest.raises(SourceError, match=message):
        adb.load_key(key)
