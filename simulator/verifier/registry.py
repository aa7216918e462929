"""The org's device inventory: enrolled Okta Verify instances and their last known status.

The status a record shows is only written when a sign-in is judged (DOMAIN.md §3, "Status only
updates at authentication"): a device that became managed shows "Not managed" until it signs in.
A record an admin deletes leaves a tombstone: its key and device id answer HTTP 410
(``E0000153``, "Invalid device id, it no longer exists.") until Okta Verify enrolls again
(Okta support KB "Deleted Device Cannot Be Re-added as a Managed Device").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.device import Platform
from simulator.keys import KeyKind, PublicKey
from simulator.verdict import Outcome


@dataclass(slots=True)
class DeviceRecord:
    """One authenticator enrollment: the key, the method, the user and the device it binds."""

    enrollment_id: str
    method_enrollment_id: str
    kid: str
    public_key: PublicKey = field(repr=False)
    kind: KeyKind
    platform: Platform
    display_name: str
    udid: str
    user: str
    user_id: str
    device_id: str
    #: Inventory status, updated by sign-ins only.
    status: Outcome = Outcome.NOT_MANAGED
    last_sign_in: float | None = None


class Registry:
    """Enrollments by id and by key id, and the tombstones of deleted devices."""

    def __init__(self) -> None:
        self._by_id: dict[str, DeviceRecord] = {}
        self._by_kid: dict[str, DeviceRecord] = {}
        self._deleted_kids: dict[str, DeviceRecord] = {}
        self._deleted_devices: set[str] = set()

    def add(self, record: DeviceRecord) -> None:
        self._by_id[record.enrollment_id] = record
        self._by_kid[record.kid] = record

    def by_kid(self, kid: str) -> DeviceRecord | None:
        return self._by_kid.get(kid)

    def deleted_by_kid(self, kid: str) -> DeviceRecord | None:
        """The record a deleted device's key belonged to (its signature can still be checked)."""
        return self._deleted_kids.get(kid)

    def kid_taken(self, kid: str) -> bool:
        return kid in self._by_kid or kid in self._deleted_kids

    def device_deleted(self, device_id: str) -> bool:
        return device_id in self._deleted_devices

    def get(self, enrollment_id: str) -> DeviceRecord | None:
        return self._by_id.get(enrollment_id)

    def find_udid(self, udid: str) -> DeviceRecord | None:
        """The most recent enrollment of a device."""
        found = [r for r in self._by_id.values() if r.udid == udid]
        return found[-1] if found else None

    def delete_device(self, device_id: str) -> int:
        """Directory > Devices > Deactivate, then Delete: every enrollment of the device goes."""
        gone = [r for r in self._by_id.values() if r.device_id == device_id]
        for record in gone:
            del self._by_id[record.enrollment_id]
            del self._by_kid[record.kid]
            self._deleted_kids[record.kid] = record
        self._deleted_devices.add(device_id)
        return len(gone)

    def __len__(self) -> int:
        return len(self._by_id)
