"""What Android's shell commands print, generated from the device model.

Each function reproduces the code that prints the real thing, so that a reader written to real
phones reads the virtual one unchanged:

* ``getprop``: ``[name]: [value]`` per property, sorted by name (``toolbox/getprop.cpp``).
* ``pm list users``: ``Users:`` then ``"\\t" + UserInfo.toString() + (" running" | "")``;
  ``UserInfo.toString()`` is ``UserInfo{id:name:Integer.toHexString(flags)}``
  (``PackageManagerShellCommand.runListUsers``, ``UserManagerServiceShellCommand.runList``).
* ``pm list packages``: ``package:<name>`` per package matching the filter (a substring).
* ``dumpsys device_policy``: ``DevicePolicyManagerService.dump``: ``Current Device Policy Manager
  state:``, the immutable state, ``Owners.dump``/``OwnersData.dump`` (``Device Owner: `` with
  ``admin=ComponentInfo{..}``, ``name=`` (not on Android 15), ``package=``,
  ``canAccessDeviceIds=`` (Android 10) or ``isOrganizationOwnedDevice=`` (11+), ``User ID: N``;
  ``Profile Owner (User N): `` likewise without the user id), then ``Enabled Device Admins``
  per user.
* TestDPC ``get-app-restrictions`` through ``dumpsys activity service``: ``ActiveServices.
  dumpService`` prints ``SERVICE <component> <hash> pid=<pid> user=<id>``, ``  Client:`` and the
  service's own lines indented by four; TestDPC's ``ShellCommand.printAppRestrictions`` prints
  ``"%d app restriction%s%s for %s"`` then ``"  %s = %s"`` per key, in ``Bundle`` order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from simulator.appconfig import AppConfig
from simulator.device import AndroidDevice, AndroidUser

TESTDPC = "com.afwsamples.testdpc"
TESTDPC_SERVICE = f"{TESTDPC}/.DeviceAdminService"

#: ``OwnerInfo.name``: the DPC's application label (model: the labels of the known DPCs).
DPC_LABELS = {
    TESTDPC: "TestDPC",
    "com.google.android.apps.work.clouddpc": "Android Device Policy",
    "com.microsoft.windowsintune.companyportal": "Company Portal",
    "com.airwatch.androidagent": "Intelligent Hub",
}


def getprop(props: Mapping[str, str]) -> str:
    return "".join(f"[{key}]: [{props[key]}]\n" for key in sorted(props))


def users(device: AndroidDevice) -> str:
    lines = ["Users:"]
    for _, user in sorted(device.users.items()):
        running = " running" if user.running else ""
        lines.append(f"\tUserInfo{{{user.id}:{user.name}:{user.flags:x}}}{running}")
    return "\n".join(lines) + "\n"


def packages(user: AndroidUser, pattern: str | None, *, owner: str | None = None) -> str:
    """``package:`` lines; the user's owner (``package/receiver``) is installed there by definition,
    even when the model (read with a package filter) does not list it."""
    names = set(user.packages) | ({owner.split("/", 1)[0]} if owner else set())
    return "".join(f"package:{p}\n" for p in sorted(names) if pattern is None or pattern in p)


def _owner_block(component: str, sdk: int, indent: str, *, org_owned: bool) -> list[str]:
    package, _, cls = component.partition("/")
    lines = [f"{indent}admin=ComponentInfo{{{package}/{cls}}}"]
    if sdk < 35:
        lines.append(f"{indent}name={DPC_LABELS.get(package, package)}")
    lines.append(f"{indent}package={package}")
    if sdk <= 29:
        lines.append(f"{indent}canAccessDeviceIds={'true' if org_owned else 'false'}")
    else:
        lines.append(f"{indent}isOrganizationOwnedDevice={'true' if org_owned else 'false'}")
    return lines


def device_policy(device: AndroidDevice) -> str:
    sdk = device.identity.sdk or 34
    lines = [
        "Current Device Policy Manager state:",
        "  Immutable state:",
        "    mHasFeature=true",
        "    mIsWatch=false",
        "    mIsAutomotive=false",
        "    mHasTelephonyFeature=true",
        "    mSafetyChecker=null",
    ]
    blank = False
    if device.device_owner is not None:
        lines.append("  Device Owner: ")
        lines += _owner_block(device.device_owner, sdk, "    ", org_owned=True)
        lines.append("    User ID: 0")
        blank = True
    org_owned_profile = device.device_owner is not None
    for _, user in sorted(device.users.items()):
        if user.profile_owner is None:
            continue
        if blank:
            lines.append("")
        lines.append(f"  Profile Owner (User {user.id}): ")
        lines += _owner_block(user.profile_owner, sdk, "    ", org_owned=org_owned_profile)
        blank = True
    lines.append("")
    for _, user in sorted(device.users.items()):
        admins = [c for c in (device.device_owner if user.id == 0 else None, user.profile_owner) if c]
        state = 5 if admins else 0  # DevicePolicyManager.STATE_USER_SETUP_FINALIZED
        lines.append(f"  Enabled Device Admins (User {user.id}, provisioningState: {state}):")
        for component in admins:
            package, _, cls = component.partition("/")
            short = cls[len(package) :] if cls.startswith(package + ".") else cls
            lines.append(f"    {package}/{short}:")
            lines.append("      testOnlyAdmin=false")
        lines.append("")
        lines.append(f"    mUserSetupComplete={'true' if user.running else 'false'}")
        lines.append("")
    lines.append("  Encryption Status: per-user FBE")
    return "\n".join(lines) + "\n"


def java_string_hash(text: str) -> int:
    """``String.hashCode()`` as a signed 32-bit int (over UTF-16 code units)."""
    value = 0
    units = text.encode("utf-16-be")
    for i in range(0, len(units), 2):
        value = (31 * value + (units[i] << 8 | units[i + 1])) & 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def bundle_keys(keys: Iterable[str]) -> list[str]:
    """A ``Bundle``'s iteration order: its ``ArrayMap`` keeps keys sorted by hash code."""
    return sorted(keys, key=java_string_hash)


def java_value(value: object) -> str:
    """``String.valueOf`` of a restriction value as ``Bundle.get`` returns it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, AppConfig):
        inner = ", ".join(f"{k}={java_value(value[k])}" for k in bundle_keys(value.keys()))
        return f"Bundle[{{{inner}}}]"
    if isinstance(value, tuple):
        return f"[Ljava.lang.String;@{java_string_hash(repr(value)) & 0xFFFFFFF:x}"
    if isinstance(value, list):
        return f"[Landroid.os.Bundle;@{java_string_hash(repr(value)) & 0xFFFFFFF:x}"
    return str(value)


def testdpc_restrictions(package: str, source: str, config: AppConfig) -> list[str]:
    if not config:
        return [f"No app restrictions (from {source}) for {package}"]
    plural = "s" if len(config) > 1 else ""
    lines = [f"{len(config)} app restriction{plural}{source} for {package}"]
    lines += [f"  {key} = {java_value(config[key])}" for key in bundle_keys(config.keys())]
    return lines


def dumpsys_service(component: str, user_id: int, pid: int, service_lines: list[str]) -> str:
    identity = f"{(pid * 2654435761) & 0xFFFFFFF:x}"
    lines = [f"SERVICE {component} {identity} pid={pid} user={user_id}", "  Client:"]
    lines += [f"    {line}" for line in service_lines]
    return "\n".join(lines) + "\n"
