"""The virtual phones the adbd tests serve: a known work-profile phone, built without randomness."""

from __future__ import annotations

from collections.abc import Sequence

from harness.sources.transport import Answer
from simulator.adbd import Phone
from simulator.adbd.phone import FileAccessError
from simulator.adbd.shell import Shell
from simulator.appconfig import AppConfig
from simulator.device import AndroidDevice, Identity
from simulator.ids import OKTA_VERIFY_ANDROID

SECRET = "3zr7Q~vw4C16FS2bH8UfS1gJ5cL6sj~x_U9PQ"
CLOUDDPC = (
    "com.google.android.apps.work.clouddpc/com.google.android.apps.work.clouddpc.receivers.CloudDeviceAdminReceiver"
)
TESTDPC = "com.afwsamples.testdpc/com.afwsamples.testdpc.DeviceAdminReceiver"
RES_10 = f"/data/system/users/10/res_{OKTA_VERIFY_ANDROID}.xml"


def make_device(*, owner: str = CLOUDDPC, sdk: int = 34, release: str = "14") -> AndroidDevice:
    identity = Identity("Pixel 8", "Google", release, "3A281FDJH00ABC", "3A281FDJH00ABC", "Pixel 8", sdk=sdk)
    device = AndroidDevice(identity)
    device.add_work_profile(owner)
    device.install(OKTA_VERIFY_ANDROID, 10)
    device.set_restrictions(
        10, OKTA_VERIFY_ANDROID, AppConfig({"managementHint": SECRET, "domainName": "acme.okta.com"})
    )
    return device


def ask_many_on(phone: Phone) -> object:
    """A reader's ``ask_many`` answered by ``phone`` in process: shell commands and sync pulls."""

    def ask_many(requests: Sequence[str]) -> list[Answer | None]:
        answers: list[Answer | None] = []
        for request in requests:
            if request.startswith("pull "):
                path = request.removeprefix("pull ")
                try:
                    answers.append(Answer(phone.read(path, as_root=phone.adbd_is_root), 0))
                except FileAccessError as exc:
                    message = f"adb: error: failed to stat remote object '{path}': {exc.strerror}\n"
                    answers.append(Answer(message.encode(), 1))
                continue
            shell = Shell(phone)
            output = shell.run(request)
            answers.append(Answer(output, shell.status))
        return answers

    return ask_many
