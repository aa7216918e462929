"""The ``ios:`` source against a fake usbmuxd: pymobiledevice3's own client code does the talking."""

from __future__ import annotations

import plistlib
from collections.abc import Callable
from typing import Any

import pytest

from harness.errors import SourceError
from harness.parsers.ios_plists import parse_installed_apps, parse_lockdown_values, parse_profile_list
from harness.sources import open_source, parse_spec
from simulator.device import IOSDevice
from simulator.emm import WorkspaceOne
from simulator.ids import OKTA_VERIFY_IOS
from tests.helpers import needs_ios_extra
from tests.ios.fake_usbmuxd import fake_device
from tests.ios.inspect_cases import iphone

pytestmark = needs_ios_extra


def _iphone(seed: int = 1) -> IOSDevice:
    return iphone(WorkspaceOne(configuration={"managementHint": "s3cr3t-Value~1"}), seed=seed)


def test_reads_every_device_request_through_pymobiledevice3(serve: Callable[..., Any]) -> None:
    model = _iphone()
    fake = fake_device(model)
    serve(fake)
    udid = model.identity.udid
    with open_source(f"ios:{udid}") as transport:
        assert transport.spec == f"ios:{udid}" and transport.platform == "ios"
        lockdown = transport.ask("lockdown.all_values")
        apps = transport.ask("installation_proxy.browse")
        profiles = transport.ask("mcinstall.get_profile_list")
        cloud = transport.ask("mcinstall.get_cloud_configuration")
        assert transport.ask("mdm.managed_application_list") is None
    assert lockdown and apps and profiles and cloud
    identity = parse_lockdown_values(lockdown.data, name="lockdown")
    assert (identity.udid, identity.serial, identity.model) == (udid, model.identity.serial, model.identity.model)
    installed = parse_installed_apps(apps.data, name="browse")
    assert set(installed) == {OKTA_VERIFY_IOS}  # user apps only: the System one was not asked for
    assert [p.identifier for p in parse_profile_list(profiles.data, name="profiles")] == [
        p.identifier for p in model.profiles
    ]
    assert plistlib.loads(cloud.data)["IsSupervised"] is model.supervised
    # what went over the wire: a TLS session, then each service started and asked
    assert ("lockdown", "StartSession") in fake.seen
    assert ("com.apple.mobile.installation_proxy", "Browse") in fake.seen
    assert ("com.apple.mobile.MCInstall", "GetProfileList") in fake.seen


def test_no_udid_picks_the_only_device(serve: Callable[..., Any]) -> None:
    model = _iphone()
    serve(fake_device(model))
    with open_source("ios:") as transport:
        assert transport.spec == f"ios:{model.identity.udid}"
        assert "the only device attached" in transport.origin("lockdown.all_values")


def test_no_udid_with_several_devices_names_them(serve: Callable[..., Any]) -> None:
    a, b = _iphone(1), _iphone(2)
    serve(fake_device(a), fake_device(b))
    with pytest.raises(SourceError, match="2 devices attached") as info:
        open_source("ios:")
    assert a.identity.udid in str(info.value) and b.identity.udid in str(info.value)


def test_spec_spellings() -> None:
    assert str(parse_spec("ios:")) == "ios:"
    assert parse_spec("ios:00008101-000A").target == "00008101-000A"


def test_unreachable_usbmuxd_says_is_usbmuxd_running(mux_path: Any) -> None:
    with pytest.raises(SourceError, match=r"is usbmuxd running\?") as info:
        open_source("ios:00008101-000A")
    assert str(mux_path) in str(info.value)


def test_no_device_attached(serve: Callable[..., Any]) -> None:
    serve()
    with pytest.raises(SourceError, match=r"no device attached.*tap Trust"):
        open_source("ios:")


def test_other_udid_lists_what_is_attached(serve: Callable[..., Any]) -> None:
    model = _iphone()
    serve(fake_device(model))
    with pytest.raises(SourceError, match=f"not attached.*attached: {model.identity.udid}"):
        open_source("ios:00008101-000000000000000A")


@pytest.mark.parametrize("broken", [{"paired": False}, {"knows_host": False}])
def test_not_paired_says_pair_first(serve: Callable[..., Any], broken: dict[str, bool]) -> None:
    model = _iphone()
    fake = fake_device(model, **broken)
    serve(fake)
    with pytest.raises(SourceError, match=r"not paired.*pair first: `pymobiledevice3 lockdown pair`.*tap Trust"):
        open_source(f"ios:{model.identity.udid}")
    assert ("lockdown", "StartService") not in fake.seen


def test_locked_device_says_unlock(serve: Callable[..., Any]) -> None:
    model = _iphone()
    serve(fake_device(model, locked=True))
    with open_source(f"ios:{model.identity.udid}") as transport:
        assert transport.ask("lockdown.all_values") is not None  # lockdownd answers while locked
        with pytest.raises(SourceError, match=r"unlock the device"):
            transport.ask("installation_proxy.browse")


def test_silent_device_ends_within_the_timeout(serve: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATTESTLAB_IOS_TIMEOUT", "0.3")
    model = _iphone()
    serve(fake_device(model, silent=True))
    with pytest.raises(SourceError, match=r"no answer within 0.3 s"):
        open_source(f"ios:{model.identity.udid}")


def test_bad_timeout_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATTESTLAB_IOS_TIMEOUT", "soon")
    with pytest.raises(SourceError, match="ATTESTLAB_IOS_TIMEOUT='soon'"):
        open_source("ios:")


def test_unknown_request_is_refused(serve: Callable[..., Any]) -> None:
    model = _iphone()
    serve(fake_device(model))
    with open_source("ios:") as transport, pytest.raises(SourceError, match=r"no such iOS request 'afc\.ls'"):
        transport.ask("afc.ls")


def test_pair_records_are_only_read(serve: Callable[..., Any], tmp_path: Any) -> None:
    """Nothing is written under HOME: pymobiledevice3 would make its folder there if asked to."""
    model = _iphone()
    serve(fake_device(model))
    with open_source("ios:") as transport:
        transport.ask("lockdown.all_values")
    assert list((tmp_path / "home").rglob("*")) == []
