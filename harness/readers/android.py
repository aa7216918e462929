"""Read an Android device into the model, through any transport that answers shell requests.

The requests are the shell commands themselves and sync pulls (DESIGN.md §2). They are asked in
batches of independent requests (:meth:`~harness.sources.transport.Transport.ask_many`): a live
phone answers a batch of shell commands with one shell script and a batch of pulls with one
sync session, a capture answers request by request. Three rounds read a device:

1. ``getprop``, ``pm list users``, ``dumpsys device_policy`` — identity, users, owners;
2. per user, ``pm list packages --user N com.okta.android.auth`` — where Okta Verify is;
3. per user holding Okta Verify, its restriction file ``/data/system/users/N/res_<pkg>.xml``:
   ``pull`` (sync) when adbd runs as root, else through ``su`` — AOSP's ``su 0 cat FILE``
   (userdebug builds) and Magisk's ``su -c 'cat FILE'`` — and, when TestDPC owns the profile,
   TestDPC's ``get-app-restrictions`` in the same batch. A device where none of these worked has
   its configuration recorded as unread (the finding ``restrictions_unreadable``).

The shell can be refused for one user (the ``no_debugging_features`` restriction: Samsung Secure
Folder, hardened work profiles; DOMAIN.md §5): that user's ``pm list packages`` answers with the
SecurityException, the user is recorded as unread (:func:`~simulator.device.unread_user`) and the
rest of the device is read as usual. Root is not refused (the check is for the shell's uid): with
root adbd no refusal happens, and without it the refused users' listings (and restriction files)
are asked through ``su``, both spellings, in the restrictions round; a user ``su`` answered for
is read.

Which requests a round holds is decided here (:func:`restriction_requests`); what an answer means
is decided by the interpreting helpers below them, so the two can change separately.
"""

from __future__ import annotations

from harness.errors import ParseError, SourceError
from harness.parsers.android_text import (
    parse_device_policy,
    parse_getprop,
    parse_packages,
    parse_testdpc_restrictions,
    parse_users,
    shell_refusal,
)
from harness.parsers.policy_values import redact_policy_values
from harness.parsers.restrictions import parse_restrictions
from harness.sources.transport import Answer, AskMany
from simulator.appconfig import AppConfig
from simulator.device import UNREAD_CONFIG, AndroidDevice, Identity, unread_user
from simulator.ids import OKTA_VERIFY_ANDROID
from simulator.secret import MIN_KEY_LENGTH, redact

TESTDPC = "com.afwsamples.testdpc"

GETPROP = "getprop"
LIST_USERS = "pm list users"
DEVICE_POLICY = "dumpsys device_policy"
#: The first round: everything that does not depend on another answer.
FIRST_ROUND = (GETPROP, LIST_USERS, DEVICE_POLICY)


def list_packages(user_id: int) -> str:
    return f"pm list packages --user {user_id} {OKTA_VERIFY_ANDROID}"


def su_list_packages(user_id: int) -> list[str]:
    """``pm list packages`` as root, in both ``su`` spellings: the refusal is for the shell's uid
    only, so a rooted phone reads a debugging-restricted user this way."""
    return [f"su 0 {list_packages(user_id)}", f"su -c '{list_packages(user_id)}'"]


def restrictions_path(user_id: int) -> str:
    return f"/data/system/users/{user_id}/res_{OKTA_VERIFY_ANDROID}.xml"


def pull_restrictions(user_id: int) -> str:
    return f"pull {restrictions_path(user_id)}"


def su_cat_restrictions(user_id: int) -> str:
    """AOSP ``su`` (userdebug/eng builds): ``su [WHO [COMMAND...]]``; ``cat`` keeps ABX bytes as
    they are, the parser reads both formats (``abx2xml`` would need Android 12+ on the device)."""
    return f"su 0 cat {restrictions_path(user_id)}"


def su_c_restrictions(user_id: int) -> str:
    """Magisk's ``su`` takes the command with ``-c`` (its extra arguments go to the shell)."""
    return f"su -c 'cat {restrictions_path(user_id)}'"


def testdpc_restrictions(user_id: int) -> str:
    # Two packages: with exactly one, TestDPC prints its own restrictions (DOMAIN.md §5).
    return f"dumpsys activity --user {user_id} service {TESTDPC} get-app-restrictions {OKTA_VERIFY_ANDROID} {TESTDPC}"


def adbd_is_root(props: dict[str, str]) -> bool:
    """Whether adbd runs as root, so that sync can read ``/data/system``.

    AOSP adbd (``should_drop_privileges``) keeps root when ``ro.secure`` is 0 (eng builds), or
    when ``ro.debuggable`` is 1 and ``service.adb.root`` is 1 (``adb root`` on emulators and
    userdebug builds); ``service.adb.root=0`` (``adb unroot``) drops it. ``ro.debuggable`` is not
    required here: Magisk's adb-root modules run a patched adbd that skips that check on user
    builds, and keep ``service.adb.root=1``. A wrong guess costs one round: a refused pull falls
    back to ``su``/TestDPC.
    """
    adb_root = props.get("service.adb.root", "")
    return adb_root == "1" or (props.get("ro.secure") == "0" and adb_root != "0")


def _answered(answer: Answer | None, request: str, source: str) -> Answer:
    if answer is None:
        raise SourceError(f"{source}: no answer to {request!r}")
    return answer


def _text(answer: Answer | None, request: str, source: str) -> str:
    answer = _answered(answer, request, source)
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


def read_android(ask_many: AskMany, *, source: str) -> AndroidDevice:
    """Build the device model from the answers of ``ask_many``."""
    first = dict(zip(FIRST_ROUND, ask_many(FIRST_ROUND), strict=True))
    props = parse_getprop(_text(first[GETPROP], GETPROP, source), name=f"{source}: {GETPROP}")
    users = parse_users(_text(first[LIST_USERS], LIST_USERS, source), name=f"{source}: {LIST_USERS}")
    policy = parse_device_policy(_text(first[DEVICE_POLICY], DEVICE_POLICY, source), name=f"{source}: {DEVICE_POLICY}")
    device = AndroidDevice(identity_from_props(props), users={u.id: u for u in users})
    device.device_owner = policy.device_owner
    for user_id, owner in policy.profile_owners.items():
        if user_id in device.users:
            device.users[user_id].profile_owner = owner

    requests = [list_packages(user_id) for user_id in device.users]
    for user, request, answer in zip(device.users.values(), requests, ask_many(requests), strict=True):
        if _refused(answer, user.id, f"{source}: {request}"):
            user.no_debugging = True
            device.unread.add(unread_user(user.id))
            continue
        user.packages |= parse_packages(_text(answer, request, source), name=f"{source}: {request}")
    root = adbd_is_root(props)
    refused = [u.id for u in device.users.values() if unread_user(u.id) in device.unread] if not root else []
    holders = {u.id: u.profile_owner for u in device.users.values() if OKTA_VERIFY_ANDROID in u.packages}
    # The refused users are asked through su in the restrictions round: their listing and, in
    # case Okta Verify is there, their restriction file (no extra round trip).
    extra = {u: su_list_packages(u) + restriction_requests(u, None, root=False) for u in refused}
    found, answers = _read_restrictions(ask_many, holders, root, source, [r for rs in extra.values() for r in rs])
    for user_id, requests in extra.items():
        config = _read_refused_as_root(device, user_id, [(r, answers[r]) for r in requests], source)
        if config is not None or OKTA_VERIFY_ANDROID in device.users[user_id].packages:
            found[user_id] = config
    for user_id, config in found.items():
        if config is None:
            device.unread.add(UNREAD_CONFIG)
        else:
            device.users[user_id].restrictions[OKTA_VERIFY_ANDROID] = config
    return device


def _read_refused_as_root(
    device: AndroidDevice, user_id: int, answers: list[tuple[str, Answer | None]], source: str
) -> AppConfig | None:
    """A refused user read through ``su``: the first listing ``su`` answered makes the user read
    (the others stay unread) and, when Okta Verify is there, its restrictions from the same round."""
    listings, files = answers[:2], answers[2:]
    for request, answer in listings:
        if answer is not None and answer.status == 0:
            text = _text(answer, request, source)
            device.users[user_id].packages |= parse_packages(text, name=f"{source}: {request}")
            device.unread.discard(unread_user(user_id))
            break
    if OKTA_VERIFY_ANDROID not in device.users[user_id].packages:
        return None
    return _first_readable(files, source)


def _refused(answer: Answer | None, user_id: int, name: str) -> bool:
    """Whether ``answer`` is the shell's refusal for ``user_id`` (exit status 0 or 255)."""
    if answer is None or answer.status not in (0, 255):
        return False
    refused = shell_refusal(answer.data.decode("utf-8", "replace"), name=name)
    if refused is not None and refused != user_id:
        raise ParseError(f"{name}: the shell was refused for user {refused}, not the user asked about")
    return refused is not None


def restriction_requests(user_id: int, owner: str | None, *, root: bool) -> list[str]:
    """The ways to read one user's restrictions, best first: with root adbd the file itself by
    sync; without, ``su`` in both spellings and TestDPC when it owns the profile."""
    if root:
        return [pull_restrictions(user_id)]
    requests = [su_cat_restrictions(user_id), su_c_restrictions(user_id)]
    if owner is not None and owner.split("/", 1)[0] == TESTDPC:
        requests.append(testdpc_restrictions(user_id))
    return requests


def _read_restrictions(
    ask_many: AskMany, holders: dict[int, str | None], root: bool, source: str, extra: list[str]
) -> tuple[dict[int, AppConfig | None], dict[str, Answer | None]]:
    """Okta Verify's restrictions per user (None: unreadable), in one round, or two when a
    pull that root adbd should have allowed was refused; ``extra`` requests ride along in the
    first round, and their answers are returned with the result."""
    found: dict[int, AppConfig | None] = {}
    pending = dict(holders)
    extra_answers: dict[str, Answer | None] = {}
    for as_root in (True, False) if root else (False,):
        plan = {user_id: restriction_requests(user_id, owner, root=as_root) for user_id, owner in pending.items()}
        batch = [request for requests in plan.values() for request in requests] + extra
        answers = dict(zip(batch, ask_many(batch), strict=True)) if batch else {}
        extra_answers.update((r, answers[r]) for r in extra)
        extra = []
        for user_id, requests in plan.items():
            config = _first_readable([(r, answers[r]) for r in requests], source)
            if config is not None or not as_root:
                found[user_id] = config
        pending = {u: o for u, o in pending.items() if u not in found}
    return found, extra_answers


def _first_readable(answers: list[tuple[str, Answer | None]], source: str) -> AppConfig | None:
    """The configuration from the first answer that read it; None when none could."""
    for request, answer in answers:
        if answer is None:
            continue
        name = f"{source}: {request}"
        if request.startswith("dumpsys activity"):
            # dumpsys answers "No services match: PKG" (status 0) when TestDPC is not there.
            if answer.status == 0 and not answer.data.startswith(b"No services match"):
                text = _text(answer, request, source)
                return parse_testdpc_restrictions(text, package=OKTA_VERIFY_ANDROID, name=name)
            continue
        if answer.status == 0:
            return parse_restrictions(answer.data, name=name)
        if _no_such_file(answer):
            return AppConfig()  # readable, and nothing was ever set
    return None


def _no_such_file(answer: Answer) -> bool:
    """The file is absent, as root sees it: adbd's ``open failed: No such file or directory``
    for a pull, ``cat: FILE: No such file or directory`` (status 1) through ``su``."""
    return answer.status == 1 and b"No such file or directory" in answer.data


# -- what a capture may hold -----------------------------------------------------------------


def reads_restrictions(request: str) -> bool:
    """Whether ``request`` is one the restrictions are read from (a capture keeps its answer
    whole: replaying it must give the same verdict, and that needs the hint)."""
    return request.startswith(("pull /data/system/users/", "su ", "dumpsys activity --user "))


def hints_of(device: AndroidDevice) -> set[str]:
    """The ``managementHint`` values the device holds (any key case or spacing, as written and
    trimmed), long enough to be told apart from ordinary words (a key has at least 8 characters)."""
    hints: set[str] = set()
    for user in device.users.values():
        for key, value in user.restrictions.get(OKTA_VERIFY_ANDROID, AppConfig()).items():
            if key.strip().lower() == "managementhint" and isinstance(value, str):
                hints |= {v for v in (value, value.strip()) if len(v) >= MIN_KEY_LENGTH}
    return hints


def redact_for_capture(request: str, answer: Answer, hints: set[str]) -> Answer:
    """``answer`` as a capture writes it: outside the restriction answers, the policy engine's
    values in ``dumpsys device_policy`` (Android 14+) and any hint the device holds are
    redacted, so that only the files the hint is read from hold it."""
    if reads_restrictions(request):
        return answer
    data = answer.data
    if request == DEVICE_POLICY and answer.status == 0:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None  # not dumpsys output (a replay would refuse it as well): left as it is
        if text is not None:
            redacted = redact_policy_values(text)
            # The redaction must not change what the reader takes from this answer (the owners).
            same = parse_device_policy(redacted, name=DEVICE_POLICY) == parse_device_policy(text, name=DEVICE_POLICY)
            if not same:
                raise SourceError(f"{DEVICE_POLICY}: the policy values could not be redacted safely (capture refused)")
            data = redacted.encode("utf-8")
    for hint in sorted(hints, key=len, reverse=True):
        data = data.replace(hint.encode(), redact(hint).encode())
    return Answer(data, answer.status)
