"""Read an Android device into the model, through any transport that answers shell requests.

The requests are the shell commands themselves and sync pulls (DESIGN.md §2), asked in a fixed
order so that a capture of a live read replays identically:

1. ``getprop`` — identity; 2. ``pm list users`` — users and profiles; 3. ``dumpsys
device_policy`` — device and profile owners; 4. per user, ``pm list packages --user N
com.okta.android.auth`` — where Okta Verify is; 5. per user with Okta Verify, its restrictions:
``pull /data/system/users/N/res_com.okta.android.auth.xml`` (root; text XML or ABX), or, if that
is refused and TestDPC owns the profile, TestDPC's ``get-app-restrictions``; otherwise the
configuration is recorded as unread.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.errors import ParseError, SourceError
from harness.parsers.android_text import (
    parse_device_policy,
    parse_getprop,
    parse_packages,
    parse_testdpc_restrictions,
    parse_users,
)
from harness.parsers.restrictions import parse_restrictions
from harness.sources.transport import Answer
from simulator.appconfig import AppConfig
from simulator.device import UNREAD_CONFIG, AndroidDevice, Identity
from simulator.ids import OKTA_VERIFY_ANDROID

TESTDPC = "com.afwsamples.testdpc"

GETPROP = "getprop"
LIST_USERS = "pm list users"
DEVICE_POLICY = "dumpsys device_policy"

#: A transport answers one request; None only for optional requests a capture lacks.
Ask = Callable[[str], Answer | None]


def list_packages(user_id: int) -> str:
    return f"pm list packages --user {user_id} {OKTA_VERIFY_ANDROID}"


def pull_restrictions(user_id: int) -> str:
    return f"pull /data/system/users/{user_id}/res_{OKTA_VERIFY_ANDROID}.xml"


def testdpc_restrictions(user_id: int) -> str:
    # Two packages: with exactly one, TestDPC prints its own restrictions (DOMAIN.md §5).
    return f"dumpsys activity --user {user_id} service {TESTDPC} get-app-restrictions {OKTA_VERIFY_ANDROID} {TESTDPC}"


def _text(ask: Ask, request: str, source: str) -> str:
    answer = ask(request)
    if answer is None:
        raise SourceError(f"{source}: no answer to {request!r}")
    if answer.status != 0:
        first = answer.data.decode("utf-8", "replace").strip().splitlines()[:1]
        raise SourceError(
            f"{source}: {request!r} failed (status {answer.status}: {first[0] if first else 'no output'})"
        )
    try:
        return answer.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{source}: {request!r}: not UTF-8 text (byte {exc.start})") from None


def identity_from_props(props: dict[str, str]) -> Identity:
    sdk = props.get("ro.build.version.sdk", "")
    serial = props.get("ro.serialno") or props.get("ro.boot.serialno", "")
    model = props.get("ro.product.model", "")
    return Identity(
        model=model,
        manufacturer=props.get("ro.product.manufacturer", ""),
        os_version=props.get("ro.build.version.release", ""),
        serial=serial,
        udid=serial,
        device_name=props.get("persist.sys.device_name") or model,
        sdk=int(sdk) if sdk.isdigit() else None,
    )


def read_android(ask: Ask, *, source: str) -> AndroidDevice:
    """Build the device model from the answers of ``ask``."""
    props = parse_getprop(_text(ask, GETPROP, source), name=f"{source}: {GETPROP}")
    users = parse_users(_text(ask, LIST_USERS, source), name=f"{source}: {LIST_USERS}")
    policy = parse_device_policy(_text(ask, DEVICE_POLICY, source), name=f"{source}: {DEVICE_POLICY}")
    device = AndroidDevice(identity_from_props(props), users={u.id: u for u in users})
    device.device_owner = policy.device_owner
    for user_id, owner in policy.profile_owners.items():
        if user_id in device.users:
            device.users[user_id].profile_owner = owner
    for user in device.users.values():
        request = list_packages(user.id)
        user.packages |= parse_packages(_text(ask, request, source), name=f"{source}: {request}")
        if OKTA_VERIFY_ANDROID not in user.packages:
            continue
        config = _restrictions(ask, user.id, user.profile_owner, source)
        if config is None:
            device.unread.add(UNREAD_CONFIG)
        else:
            user.restrictions[OKTA_VERIFY_ANDROID] = config
    return device


def _restrictions(ask: Ask, user_id: int, owner: str | None, source: str) -> AppConfig | None:
    """Okta Verify's restrictions in one user, or None when no way to read them worked."""
    request = pull_restrictions(user_id)
    answer = ask(request)
    if answer is not None and answer.status == 0:
        return parse_restrictions(answer.data, name=f"{source}: {request}")
    if answer is not None and b"No such file" in answer.data:
        return AppConfig()  # readable, and nothing was ever set
    if owner is not None and owner.split("/", 1)[0] == TESTDPC:
        request = testdpc_restrictions(user_id)
        text = _text(ask, request, source)
        return parse_testdpc_restrictions(text, package=OKTA_VERIFY_ANDROID, name=f"{source}: {request}")
    return None
