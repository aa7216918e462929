"""The org's device inventory: enrolled Okta Verify instances and their last known status.

The status a record shows is only written when a sign-in is judged (DOMAIN.md §3, "Status only
updates at authentication"): a device that became managed shows "Not managed" until it signs in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ec

from simulator.device import Platform
from simulator.verdict import Outcome


@dataclass(slots=True)
class DeviceRecord:
    enrollment_id: str
    kid: str
    public_key: ec.EllipticCurvePublicKey = field(repr=False)
    platform: Platform
    display_name: str
    udid: str
    user: str
    #: Inventory status, updated by sign-ins only.
    status: Outcome = Outcome.NOT_MANAGED
    last_sign_in: float | None = None


class Registry:
    """Enrollments by id and by key id."""

    def __init__(self) -> None:
        self._by_id: dict[str, DeviceRecord] = {}
        self._by_kid: dict[str, DeviceRecord] = {}

    def add(self, record: DeviceRecord) -> None:
        self._by_id[record.enrollment_id] = record
        self._by_kid[record.kid] = record

    def by_kid(self, kid: str) -> DeviceRecord | None:
        return self._by_kid.get(kid)

    def get(self, enrollment_id: str) -> DeviceRecord | None:
        return self._by_id.get(enrollment_id)

    def find_udid(self, udid: str) -> DeviceRecord | None:
        """The most recent enrollment of a device."""
        found = [r for r in self._by_id.values() if r.udid == udid]
        return found[-1] if found else None

    def __len__(self) -> int:
        return len(self._by_id)
