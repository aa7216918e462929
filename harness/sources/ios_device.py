"""A live iPhone or iPad through usbmuxd and lockdownd: the ``ios:UDID`` source (pymobiledevice3).

This is the one module that imports pymobiledevice3 (the ``[ios]`` extra), and only when an
``ios:`` source is opened, so the core installs and runs without it (DESIGN.md §1).

What a host can ask a non-jailbroken device (DOMAIN.md §6), as the iOS requests of the capture
format (DESIGN.md §2):

=====================================  =========================================================
``lockdown.all_values``                lockdownd ``GetValue`` with no domain or key, in a session
``installation_proxy.browse``          ``com.apple.mobile.installation_proxy`` ``Browse`` of user
                                       apps, with the attributes the reader needs
``mcinstall.get_profile_list``         ``com.apple.mobile.MCInstall`` ``GetProfileList``
``mcinstall.get_cloud_configuration``  ``com.apple.mobile.MCInstall`` ``GetCloudConfiguration``
=====================================  =========================================================

Each answer is the object pymobiledevice3's own service class returned, written as an XML plist:
the same bytes a capture stores, so a capture replays through the same parsers. ``mdm.*``
requests are the MDM's side, which a device never tells a host: this transport answers None.

pymobiledevice3 is async; the transport runs it in a private event loop, one call at a time,
each bounded by a timeout (:data:`DEFAULT_TIMEOUT` seconds, ``ATTESTLAB_IOS_TIMEOUT`` to
change), so a silent usbmuxd or a device that stops answering ends in a :class:`SourceError`
instead of a hang. Library exceptions are translated at this boundary into
:class:`~harness.errors.SourceError` with a line saying what to do; their own text is not
repeated, since lockdownd's answers may be quoted in it.

Pairing: the transport never pairs and never writes a pair record. It uses the records where
pymobiledevice3 looks for them (usbmuxd's ``ReadPairRecord``, then ``/var/db/lockdown`` or
``/var/lib/lockdown``, then pymobiledevice3's own folder under ``$XDG_DATA_HOME``), and an
unpaired device is an error that says how to pair.
"""

from __future__ import annotations

import asyncio
import os
import plistlib
import tempfile
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from harness.errors import SourceError
from harness.sources.ios_requests import APPS, DEVICE_REQUESTS, LOCKDOWN, MDM_PREFIX, PROFILES
from harness.sources.transport import Answer, Platform, TransportBase

if TYPE_CHECKING:
    from pymobiledevice3.lockdown import LockdownClient

__all__ = ["DEFAULT_TIMEOUT", "IOSDeviceTransport", "open_ios"]

#: Seconds one call to the device (connecting included) may take.
DEFAULT_TIMEOUT = 30.0
TIMEOUT_ENV = "ATTESTLAB_IOS_TIMEOUT"
USBMUXD_ENV = "USBMUXD_SOCKET_ADDRESS"

#: Attributes of installation_proxy ``Browse`` the reader uses (:func:`parse_installed_apps`).
BROWSE_ATTRIBUTES = [
    "CFBundleIdentifier",
    "CFBundleShortVersionString",
    "CFBundleVersion",
    "CFBundleDisplayName",
    "CFBundleName",
    "ApplicationType",
]
#: Okta Verify is an App Store app: ``User`` apps are the ones worth listing (and a short answer).
BROWSE_OPTIONS = {"ApplicationType": "User"}


EXTRA_HINT = "the ios: source needs the [ios] extra: pip install 'attestlab[ios]'"
PAIR_HINT = "pair first: `pymobiledevice3 lockdown pair` with the device unlocked, and tap Trust on it"

_T = TypeVar("_T")


def _timeout() -> float:
    raw = os.environ.get(TIMEOUT_ENV)
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise SourceError(f"{TIMEOUT_ENV}={raw!r}: expected a number of seconds") from None
    if not value > 0:
        raise SourceError(f"{TIMEOUT_ENV}={raw!r}: expected a positive number of seconds")
    return value


def _usbmuxd_label() -> str:
    return os.environ.get(USBMUXD_ENV) or "the system usbmuxd (/var/run/usbmuxd)"


def _same_udid(a: str, b: str) -> bool:
    """usbmuxd may list a modern UDID without its dash (pymobiledevice3 ``MuxDevice.matches_udid``)."""
    return a.replace("-", "").upper() == b.replace("-", "").upper()


@dataclass(slots=True)
class IOSDeviceTransport(TransportBase):
    """One paired device, reached through usbmuxd; open it with :func:`open_ios`."""

    udid: str
    #: How the device was chosen, for "where each fact came from" (``the only device attached``).
    chosen: str
    timeout: float
    _loop: asyncio.AbstractEventLoop
    _lockdown: LockdownClient
    _pair_folder: tempfile.TemporaryDirectory[str] | None = None
    _closed: bool = field(default=False)

    @property
    def spec(self) -> str:
        return f"ios:{self.udid}"

    @property
    def platform(self) -> Platform:
        return "ios"

    def origin(self, request: str) -> str:
        """Where the answer to ``request`` came from, for the reader's provenance notes."""
        return f"the device ({self.spec}, {self.chosen})"

    def ask(self, request: str) -> Answer | None:
        if self._closed:
            raise SourceError(f"{self.spec}: the connection is closed")
        if request.startswith(MDM_PREFIX):
            return None  # the MDM's side: never told by the device (--mdm FILE, or a capture)
        if request not in DEVICE_REQUESTS:
            raise SourceError(f"{self.spec}: no such iOS request {request!r} (known: {', '.join(DEVICE_REQUESTS)})")
        value = _run(self._loop, self._call(request), self.timeout, f"{self.spec}: {request}")
        try:
            return Answer(plistlib.dumps(value, fmt=plistlib.FMT_XML), 0)
        except (TypeError, OverflowError, ValueError) as exc:
            raise SourceError(
                f"{self.spec}: {request}: the answer cannot be written as a plist ({type(exc).__name__})"
            ) from None

    async def _call(self, request: str) -> Any:
        from pymobiledevice3.services.installation_proxy import InstallationProxyService
        from pymobiledevice3.services.mobile_config import MobileConfigService

        lockdown = self._lockdown
        if request == LOCKDOWN:
            return await lockdown.get_value()
        if request == APPS:
            async with InstallationProxyService(lockdown) as proxy:
                return await proxy.browse(dict(BROWSE_OPTIONS), list(BROWSE_ATTRIBUTES))
        async with MobileConfigService(lockdown) as mcinstall:
            if request == PROFILES:
                return await mcinstall.get_profile_list()
            # A device never set up through Configurator or ADE has no cloud configuration.
            return await mcinstall.get_cloud_configuration() or {}

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            _run(self._loop, self._lockdown.close(), self.timeout, f"{self.spec}: close")
        except SourceError:
            pass  # closing a connection the device already dropped
        finally:
            self._loop.close()
            if self._pair_folder is not None:
                self._pair_folder.cleanup()


def open_ios(udid: str) -> IOSDeviceTransport:
    """Connect to the device ``udid`` (empty: the only device attached) and start a session."""
    try:
        import pymobiledevice3.lockdown  # noqa: F401
    except ImportError:
        raise SourceError(f"ios:{udid}: {EXTRA_HINT}") from None
    timeout = _timeout()
    loop = asyncio.new_event_loop()
    pair_folder = _pair_records_folder()
    folder = Path(pair_folder.name) if isinstance(pair_folder, tempfile.TemporaryDirectory) else pair_folder
    try:
        chosen_udid, chosen = _run(loop, _choose(udid), timeout, f"ios:{udid}" if udid else "ios")
        lockdown = _run(loop, _connect(chosen_udid, folder), timeout, f"ios:{chosen_udid}")
    except BaseException:
        loop.close()
        if isinstance(pair_folder, tempfile.TemporaryDirectory):
            pair_folder.cleanup()
        raise
    return IOSDeviceTransport(
        chosen_udid,
        chosen,
        timeout,
        loop,
        lockdown,
        pair_folder if isinstance(pair_folder, tempfile.TemporaryDirectory) else None,
    )


def _pair_records_folder() -> Path | tempfile.TemporaryDirectory[str]:
    """pymobiledevice3's own pair-record folder when it exists, else an empty temporary one.

    pymobiledevice3 creates its folder under HOME when handed none; this source only reads pair
    records, so it never makes that folder: a host that has none gets an empty stand-in.
    """
    from pymobiledevice3.osu.os_utils import get_os_utils

    folder = get_os_utils().get_home_folder_path()
    if folder.is_dir():
        return folder
    return tempfile.TemporaryDirectory(prefix="attestlab-pair-records-")


async def _choose(udid: str) -> tuple[str, str]:
    """The UDID to connect to, and how it was chosen."""
    from pymobiledevice3.usbmux import list_devices

    serials: list[str] = []
    for device in await list_devices(usbmux_address=None):
        if not any(_same_udid(device.serial, s) for s in serials):
            serials.append(device.serial)
    if udid:
        if not any(_same_udid(udid, s) for s in serials):
            attached = ", ".join(serials) or "none"
            raise SourceError(
                f"ios:{udid}: not attached to {_usbmuxd_label()} (attached: {attached}); "
                "plug it in, unlock it and tap Trust"
            )
        return udid, "named"
    if not serials:
        raise SourceError(
            f"ios:: no device attached to {_usbmuxd_label()}: plug the iPhone in over USB, unlock it and tap Trust"
        )
    if len(serials) > 1:
        raise SourceError(
            f"ios:: {len(serials)} devices attached ({', '.join(serials)}): name one, e.g. ios:{serials[0]}"
        )
    return serials[0], "the only device attached"


async def _connect(udid: str, pair_folder: Path) -> LockdownClient:
    from pymobiledevice3.lockdown import create_using_usbmux

    lockdown = await create_using_usbmux(
        serial=udid, autopair=False, pairing_records_cache_folder=pair_folder, usbmux_address=None
    )
    if not lockdown.paired:
        await lockdown.close()
        raise SourceError(f"ios:{udid}: this host is not paired with the device: {PAIR_HINT}")
    return lockdown


def _run(loop: asyncio.AbstractEventLoop, call: Awaitable[_T], timeout: float, what: str) -> _T:
    """Run one pymobiledevice3 call to completion, bounded, with its exceptions made ours."""

    async def bounded() -> _T:
        return await asyncio.wait_for(call, timeout)

    try:
        return loop.run_until_complete(bounded())
    except SourceError:
        raise
    except TimeoutError:
        raise SourceError(f"{what}: no answer within {timeout:g} s (is the device attached and unlocked?)") from None
    except Exception as exc:
        raise _translate(exc, what) from None


#: pymobiledevice3 exception class name -> what to tell the user. Looked up along the MRO, so a
#: subclass pymobiledevice3 adds later still gets its family's line.
_FIXES: dict[str, str] = {
    "ConnectionFailedToUsbmuxdError": "cannot reach usbmuxd at {usbmuxd}: is usbmuxd running? "
    "(Linux: `sudo systemctl start usbmuxd`; or set USBMUXD_SOCKET_ADDRESS)",
    "NoDeviceConnectedError": "no device attached to {usbmuxd}: plug the iPhone in, unlock it and tap Trust",
    "DeviceNotFoundError": "the device is not attached to {usbmuxd}: plug it in, unlock it and tap Trust",
    "PasswordRequiredError": "the device is locked with its passcode: unlock the device and retry",
    "PasscodeRequiredError": "the device is locked with its passcode: unlock the device and retry",
    "PairingDialogResponsePendingError": "the device is waiting for an answer to Trust This Computer: "
    "unlock the device and tap Trust",
    "UserDeniedPairingError": "Trust This Computer was declined on the device: reset it in Settings > General > "
    "Transfer or Reset > Reset Location & Privacy, then " + PAIR_HINT,
    "InvalidHostIDError": "the device does not know this host's pair record: " + PAIR_HINT,
    "NotPairedError": "this host is not paired with the device: " + PAIR_HINT,
    "FatalPairingError": "pairing failed: " + PAIR_HINT,
    "PairingError": "pairing failed: " + PAIR_HINT,
    "NotTrustedError": "the device does not trust this host: unlock the device and tap Trust",
    "StartServiceError": "the device refused to start a service (unlock it; a supervised device may restrict "
    "host pairing)",
    "ProfileError": "MCInstall refused the request (unlock the device and retry)",
    "IncorrectModeError": "the device is not in normal mode (recovery or restore?): restart it",
    "ConnectionTerminatedError": "the device closed the connection: check the cable, unlock it and retry",
    "BadDevError": "usbmuxd lost the device: check the cable and retry",
    "ConnectionFailedError": "usbmuxd could not connect to the device: check the cable, unlock it and retry",
    "MuxException": "usbmuxd answered in a way pymobiledevice3 does not understand: restart usbmuxd",
    "ProtocolError": "the device sent an answer that is not a valid plist",
    "LockdownError": "lockdownd refused the request: unlock the device and retry",
}


def _translate(exc: Exception, what: str) -> SourceError:
    from pymobiledevice3.exceptions import PyMobileDevice3Exception

    if isinstance(exc, PyMobileDevice3Exception):
        for cls in type(exc).__mro__:
            fix = _FIXES.get(cls.__name__)
            if fix is not None:
                error = getattr(exc, "error", None)
                said = f" (lockdownd: {error})" if isinstance(error, str) and error.isidentifier() else ""
                return SourceError(f"{what}: {fix.format(usbmuxd=_usbmuxd_label())}{said}")
        return SourceError(f"{what}: pymobiledevice3 failed (--debug shows why)")
    if isinstance(exc, OSError):
        reason = f" ({exc.strerror})" if exc.strerror else ""
        return SourceError(f"{what}: lost the connection to usbmuxd or the device{reason}; retry")
    if isinstance(exc, (asyncio.IncompleteReadError, EOFError)):
        return SourceError(f"{what}: the connection closed mid-answer: check the cable and retry")
    return SourceError(f"{what}: unexpected failure in pymobiledevice3 (--debug shows why)")
