"""Restriction files come in one sync session, as ``adb pull`` fetches several files.

Over both transports' real client code (adb-shell straight to the virtual phone; Debian's adb
server for ``adb-server:``) and the virtual phone's adbd wire protocol. With ``stat_v2`` a
missing file is answered by ``STA2`` and the session goes on; an adbd without it answers the
``RECV`` with a ``FAIL``, after which it ends the session and the files after it need another.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from harness.errors import SourceError
from harness.source_options import Limits, SourceOptions
from harness.sources import open_source
from harness.sources.transport import Answer
from simulator.adbd import AdbdServer, Phone, RootAccess
from simulator.appconfig import AppConfig
from simulator.device import AndroidDevice, Identity
from simulator.ids import OKTA_VERIFY_ANDROID
from tests.helpers import AdbServer

CLOUDDPC = "com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver"
PERSONAL = f"/data/system/users/0/res_{OKTA_VERIFY_ANDROID}.xml"
WORK = f"/data/system/users/10/res_{OKTA_VERIFY_ANDROID}.xml"
#: Larger than one sync DATA chunk (64 KiB) and one ADB packet: the file comes in pieces.
LONG_VALUE = "x" * 150_000
#: ``connect(features)``: a two-profile phone advertising ``features``, and the SOURCE for it.
Connect = Callable[[tuple[str, ...]], tuple[AdbdServer, str]]


def two_profile_phone() -> Phone:
    """Okta Verify in both profiles; only the work one has a managed configuration (so the
    personal restriction file does not exist), and it is large."""
    device = AndroidDevice(Identity("Pixel 4a", "Google", "11", "0A1B2C", "0A1B2C", "Pixel 4a", sdk=30))
    device.add_work_profile(CLOUDDPC)
    device.install(OKTA_VERIFY_ANDROID, 0)
    device.install(OKTA_VERIFY_ANDROID, 10)
    device.set_restrictions(10, OKTA_VERIFY_ANDROID, AppConfig({"domainName": "acme.okta.com", "note": LONG_VALUE}))
    return Phone(device, RootAccess.ADBD)


@pytest.fixture(params=["adb", "adb-server"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def connect(kind: str, adbd: Callable[..., AdbdServer], request: pytest.FixtureRequest) -> Connect:
    def start(features: tuple[str, ...]) -> tuple[AdbdServer, str]:
        server = adbd(two_profile_phone(), features=features)
        if kind == "adb":
            return server, f"adb:{server.spec}"
        adb_server: AdbServer = request.getfixturevalue("adb_server")
        return server, f"adb-server:{adb_server.connect(server.spec)}"

    return start


def pulled(
    source: str, paths: Sequence[str], server: AdbdServer, options: SourceOptions | None = None
) -> tuple[list[Answer | None], int]:
    """The answers to pulling ``paths`` in one batch, and how many streams the phone opened for it."""
    with open_source(source, options=options) as transport:
        transport.ask("getprop")  # connected (and, through the server, the device known)
        before = server.opens
        answers = transport.ask_many([f"pull {p}" for p in paths])
        return answers, server.opens - before


def test_one_session_with_stat_v2_a_missing_file_does_not_end_it(connect: Connect) -> None:
    server, source = connect(("stat_v2",))
    answers, opens = pulled(source, [PERSONAL, WORK, PERSONAL], server)
    assert opens == 1
    missing = f"adb: error: failed to stat remote object '{PERSONAL}': No such file or directory\n".encode()
    assert [a.status for a in answers if a] == [1, 0, 1]
    assert answers[0] and answers[1] and answers[2]
    assert answers[0].data == answers[2].data == missing
    assert answers[1].data == server.phone.read(WORK, as_root=True)
    assert len(answers[1].data) > 150_000


def test_without_stat_v2_a_failed_recv_costs_a_new_session(connect: Connect) -> None:
    server, source = connect(())
    answers, opens = pulled(source, [PERSONAL, WORK], server)
    assert opens == 2
    assert answers[0] and answers[1]
    assert answers[0].status == 1
    refused = f"adb: error: failed to pull '{PERSONAL}': remote open failed: No such file or directory\n"
    assert answers[0].data == refused.encode()
    assert answers[1].status == 0 and answers[1].data == server.phone.read(WORK, as_root=True)


def test_a_pull_is_bounded_in_size(connect: Connect) -> None:
    server, source = connect(("stat_v2",))
    options = SourceOptions(limits=Limits(max_bytes=100_000))
    with pytest.raises(SourceError, match=f"pull {WORK}: the device sent more than 100000 bytes"):
        pulled(source, [WORK], server, options)
