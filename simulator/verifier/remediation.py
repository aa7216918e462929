"""What a user is shown when the policy turns them away (DOMAIN.md §1.5 and §3).

The provider name and enrollment link come from the *earliest-created* configuration of the
device's platform, even when several exist: that is the documented known issue that sends users
to the wrong EMM.
"""

from __future__ import annotations

from simulator.verdict import (
    ADDITIONAL_SETUP_REQUIRED,
    INTERNAL_SERVER_ERROR,
    NO_PERMISSION,
    Remediation,
)
from simulator.verifier.configs import EndpointConfig


def additional_setup(earliest: EndpointConfig) -> Remediation:
    return Remediation(
        title=ADDITIONAL_SETUP_REQUIRED,
        message=(
            f"Your organization requires this device to be managed by {earliest.provider}. "
            f"Enroll it at {earliest.enrollment_link}, then sign in again."
        ),
        provider=earliest.provider,
        enrollment_link=earliest.enrollment_link,
    )


def no_platform_config(org_has_any_config: bool) -> Remediation:
    """The known issue: no enrollment guidance, an error page instead.

    (model) Okta documents both pages without saying which appears when: we show the 403 "no
    permission" page when the org has endpoint management for another platform, and the 500 page
    when it has none at all.
    """
    if org_has_any_config:
        return Remediation(title=NO_PERMISSION, message=f"{NO_PERMISSION}.", http_status=403)
    return Remediation(
        title=INTERNAL_SERVER_ERROR, message="The server encountered an internal error.", http_status=500
    )


#: Okta's answer for a device record an admin deleted (Okta support KB "Deleted Device Cannot Be
#: Re-added as a Managed Device": HTTP 410, error code E0000153).
DEVICE_DELETED_CODE = "E0000153"
DEVICE_DELETED = "Invalid device id, it no longer exists."


def device_deleted() -> Remediation:
    """What FastPass gets from a device whose record was deleted, until Okta Verify re-enrolls."""
    return Remediation(
        title=DEVICE_DELETED,
        message=(
            f"{DEVICE_DELETED_CODE}: this device was deleted in Okta. Remove the account from Okta Verify, "
            "add it again, then sign in again."
        ),
        http_status=410,
    )
