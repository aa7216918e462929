"""One ``attestlab inspect ios:UDID --mdm ...`` run on the fake usbmuxd: the pretend phone served,
the org and the MDM's answers written, for the iOS acceptance and capture tests."""

from __future__ import annotations

import plistlib
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.parsers.ios_plists import (
    managed_application_configuration_answer,
    managed_application_list_answer,
    mdm_profile_list_answer,
)
from simulator.clock import SimClock
from simulator.device import AppOrigin, IOSDevice, Platform
from simulator.emm import EMM
from simulator.factory import Factory
from simulator.ids import OKTA_VERIFY_IOS
from tests.helpers import Result, attestlab
from tests.ios.exports import SECRET, sso_profile
from tests.ios.fake_usbmuxd import fake_device

ORG = f"""org_url: https://acme.okta.com
endpoint_management:
  - name: ios
    platform: ios
    provider: Workspace ONE UEM
    enrollment_link: https://acme.awmdm.com/enroll
    secret: "{SECRET}"
    created: 2026-01-06T09:30:00Z
policy:
  device: {{registered: true, managed: true}}
"""


def iphone(emm: EMM | None = None, *, user_installed: bool = False, seed: int = 7) -> IOSDevice:
    """A simulated iPhone (its identity from ``seed``), Okta Verify installed by the user first
    when ``user_installed``, then enrolled by ``emm``."""
    device = Factory(random.Random(seed), SimClock()).device(Platform.IOS)
    assert isinstance(device, IOSDevice)
    if user_installed:
        device.install(OKTA_VERIFY_IOS, AppOrigin.USER)
    if emm is not None:
        emm.apply(device)
    return device


def _plist(path: Path, value: dict[str, Any]) -> Path:
    path.write_bytes(plistlib.dumps(value))
    return path


class Case:
    """One inspect run: the pretend phone served, the org and the --mdm files written."""

    def __init__(self, tmp_path: Path, serve: Callable[..., Any], device: IOSDevice, **fake: Any) -> None:
        self.tmp = tmp_path
        self.device = device
        self.fake = fake_device(device, **fake)
        serve(self.fake)
        self.org = tmp_path / "org.yaml"
        self.org.write_text(ORG)

    def apple(self, *answers: str) -> list[Path]:
        """The MDM's own answers for this device, as the MDM would return them."""
        built = {
            "apps": lambda: managed_application_list_answer(self.device),
            "config": lambda: managed_application_configuration_answer(self.device, [OKTA_VERIFY_IOS]),
            "profiles": lambda: mdm_profile_list_answer(self.device),
        }
        return [_plist(self.tmp / f"{name}.plist", built[name]()) for name in answers]

    def sso_profile(self, extension_data: dict[str, Any], name: str = "okta-sso.mobileconfig") -> Path:
        """The device's own SSO extension profile as the MDM holds it, with this extension data."""
        installed = next(p for p in self.device.profiles if p.sso_extension is not None)
        return self.file(name, sso_profile(extension_data, identifier=installed.identifier))

    def file(self, name: str, data: bytes) -> Path:
        path = self.tmp / name
        path.write_bytes(data)
        return path

    def inspect(self, *mdm: Path, udid: str | None = None, json_output: bool = True) -> Result:
        target = self.device.identity.udid if udid is None else udid
        args: list[str | Path] = ["inspect", f"ios:{target}", "--org", self.org]
        for path in mdm:
            args += ["--mdm", path]
        return attestlab(*args, *(["--json"] if json_output else []))
