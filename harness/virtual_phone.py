"""Virtual phones (:mod:`simulator.adbd`) built from what the harness knows: a capture or a scenario.

``attestlab device serve`` and the live-source tests serve these, so that a reader talking ADB
can be checked against phones whose answers are known: built from a bundled capture, a virtual
phone must read back to the verdict the capture itself gives.

From a capture the device model is read with the same reader as any source; what the model does
not hold is taken from the capture too: its ``getprop`` answer (product name and device, build
fingerprint...) and its root model — adbd as root when the phone said so or sync reached
``/data/system/users``, ``su`` when an ``su`` request succeeded, otherwise none.
"""

from __future__ import annotations

import random
from pathlib import Path

from harness.errors import InputError
from harness.parsers.android_text import parse_getprop
from harness.readers import read_device
from harness.readers.android import adbd_is_root
from harness.sources.capture import Capture
from simulator.adbd import Phone, RootAccess
from simulator.device import AndroidDevice


def phone_from_capture(directory: str | Path) -> Phone:
    capture = Capture.load(directory)
    if capture.platform != "android":
        raise InputError(f"{directory}: an iOS capture: only Android captures can be served over ADB")
    with capture:
        device = read_device(capture)
    assert isinstance(device, AndroidDevice)
    props: dict[str, str] = {}
    answer = capture.ask("getprop") if capture.has("getprop") else None
    if answer is not None and answer.status == 0:
        props = parse_getprop(answer.data.decode("utf-8", "replace"), name=f"{directory}: getprop")
    return Phone(device, _root_of(capture, props), props=props)


def _root_of(capture: Capture, props: dict[str, str]) -> RootAccess:
    """adbd as root when the phone said so (``service.adb.root``) or when sync reached into
    ``/data/system/users`` (a file pulled, or "No such file": only root gets that far)."""
    pulls = [capture.ask(request) for request in capture.entries if request.startswith("pull /data/system/users/")]
    if adbd_is_root(props) or any(a is not None and (a.status == 0 or b"No such file" in a.data) for a in pulls):
        return RootAccess.ADBD
    succeeded = [request for request, (_, status) in capture.entries.items() if status == 0]
    if any(request.startswith("su ") for request in succeeded):
        return RootAccess.SU
    return RootAccess.NONE


def phone_from_scenario(path: str | Path, *, seed: int = 0) -> Phone:
    """The scenario's device as its EMM provisioned it (before the scenario's steps run)."""
    from harness.scenarios.execute import provisioned_device
    from harness.scenarios.loader import load_scenario

    scenario = load_scenario(path)
    device = provisioned_device(scenario, random.Random(f"{seed}:{scenario.name}"))
    if not isinstance(device, AndroidDevice):
        raise InputError(f"{path}: an iOS scenario: only Android devices can be served over ADB")
    return Phone(device)
