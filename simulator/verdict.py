"""The vocabulary of a decision: reason codes, findings and the remediation a user sees.

The names are a contract (DESIGN.md §2): scenario files and reports use them verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """What the verifier concluded: managed, not managed, or no judgement (an error page)."""

    MANAGED = "managed"
    NOT_MANAGED = "not_managed"
    ERROR = "error"


class Reason(StrEnum):
    MANAGED = "managed"
    NOT_REGISTERED = "not_registered"
    APP_NOT_INSTALLED = "app_not_installed"
    APP_NOT_IN_WORK_PROFILE = "app_not_in_work_profile"
    APP_NOT_MANAGED = "app_not_managed"
    NO_HINT = "no_hint"
    HINT_MISMATCH = "hint_mismatch"
    NO_PLATFORM_CONFIG = "no_platform_config"
    CHALLENGE_INVALID = "challenge_invalid"


class FindingCode(StrEnum):
    HINT_KEY_CASE = "hint_key_case"
    UNRESOLVED_LOOKUP = "unresolved_lookup"
    HINT_WHITESPACE = "hint_whitespace"
    APP_IN_BOTH_PROFILES = "app_in_both_profiles"
    MULTIPLE_PLATFORM_CONFIGS = "multiple_platform_configs"
    #: Retired, never emitted: Apple MDM app configuration targets managed apps (bundle ids) and
    #: the SSO extension is not one, so the second domain never matters on iOS (DOMAIN.md §2).
    #: The name stays in the contract so that files and reports naming it still load.
    MISSING_PREFERENCE_DOMAIN = "missing_preference_domain"
    SSO_EXTENSION_MISSING = "sso_extension_missing"
    STATUS_STALE_UNTIL_SIGNIN = "status_stale_until_signin"
    RESTRICTIONS_UNREADABLE = "restrictions_unreadable"
    WORK_PROFILE_PAUSED = "work_profile_paused"
    USER_UNREADABLE = "user_unreadable"


#: Finding codes kept in the contract but no longer emitted by any diagnosis.
RETIRED_FINDINGS = frozenset({FindingCode.MISSING_PREFERENCE_DOMAIN})


class Severity(StrEnum):
    ERROR = "error"  # explains why the device is not managed
    WARNING = "warning"  # will bite later or for some users
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    """Something an admin should know or fix, with a one-line message (never a secret)."""

    code: FindingCode
    severity: Severity
    message: str


#: Title of the page Okta shows when the device must be managed but is not.
ADDITIONAL_SETUP_REQUIRED = "Additional setup required"
#: The known issue "policy requires managed devices but no endpoint management is configured".
NO_PERMISSION = "You do not have permissions to perform requested action"
INTERNAL_SERVER_ERROR = "Internal Server Error"


@dataclass(frozen=True, slots=True)
class Remediation:
    """What the user is shown instead of access."""

    title: str
    message: str
    provider: str | None = None
    enrollment_link: str | None = None
    http_status: int = 200

    def to_json(self) -> dict[str, str | int | None]:
        return {
            "title": self.title,
            "message": self.message,
            "provider": self.provider,
            "enrollment_link": self.enrollment_link,
            "http_status": self.http_status,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """One sign-in judged: the outcome, its reason, whether policy lets the user in, and why not."""

    outcome: Outcome
    reason: Reason
    access: bool
    remediation: Remediation | None = None
    #: Name of the endpoint-management configuration whose secret matched.
    matched_config: str | None = None
    findings: tuple[Finding, ...] = ()
    #: Why the challenge was refused (``signature``, ``nonce``...), for ``challenge_invalid``.
    detail: str | None = None

    @property
    def managed(self) -> bool:
        return self.outcome is Outcome.MANAGED
