"""Tests of the Android shell-output parsers, on output in the formats real devices print.

The owner blocks of the ``dumpsys device_policy`` samples follow AOSP ``Owners.dump`` (Android
10-12) and ``OwnersData.dump`` (13-15) line for line, including the trailing space after each
header; the sections around them are abridged from real dumps (the parser must skip them).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.errors import ParseError
from harness.parsers.android_text import (
    MAX_OUTPUT_CHARS,
    DevicePolicy,
    parse_device_policy,
    parse_getprop,
    parse_packages,
    parse_testdpc_restrictions,
    parse_users,
    shell_refusal,
)
from simulator.appconfig import AppConfig
from simulator.device import FLAG_QUIET_MODE, ProfileKind
from tests.helpers import dotted, examples, words

OKTA = "com.okta.android.auth"
SECRET = "3zr7Q~vw4C16FS2bH8UfS1gJ5cL6sj~x_U9PQ"
TESTDPC_ADMIN = "com.afwsamples.testdpc/com.afwsamples.testdpc.DeviceAdminReceiver"
HUB_ADMIN = "com.airwatch.androidagent/com.airwatch.agent.DeviceAdministratorReceiver"


def crlf(text: str) -> str:
    """What ``adb shell`` on Windows (or through a pty) hands back."""
    return text.replace("\n", "\r\n")


def raises_naming(name: str, pattern: str = "") -> AbstractContextManager[pytest.ExceptionInfo[ParseError]]:
    """A ParseError whose one-line message starts with the command name."""
    return pytest.raises(ParseError, match=rf"^{re.escape(name)}: [^\n]*{pattern}")


# ---------------------------------------------------------------------------------------------
# getprop
# ---------------------------------------------------------------------------------------------

GETPROP_PIXEL_8 = """\
[aaudio.mmap_exclusive_policy]: [2]
[bluetooth.device.class_of_device]: [90,66,12]
[dalvik.vm.heapsize]: [576m]
[init.svc.adbd]: [running]
[persist.sys.boot.reason.history]: [reboot,shell,1717171717
reboot,userrequested,1717000000
kernel_panic,1716000000]
[ro.boot.hardware.sku]: [G1MNW]
[ro.build.fingerprint]: [google/shiba/shiba:14/AP2A.240805.005/12025142:user/release-keys]
[ro.build.version.release]: [14]
[ro.build.version.sdk]: [34]
[ro.product.manufacturer]: [Google]
[ro.product.model]: [Pixel 8]
[ro.serialno]: [3A281FDJH00ABC]
[ro.vendor.build.security_patch]: []
[sys.usb.config]: [adb]
"""

GETPROP_SAMSUNG_13 = """\
[ro.boot.em.model]: [SM-S911B]
[ro.build.version.release]: [13]
[ro.build.version.sdk]: [33]
[ro.csc.sales_code]: [XEU]
[ro.product.manufacturer]: [samsung]
[ro.product.model]: [SM-S911B]
[ro.serialno]: [R5CW10ABCDE]
[vendor.debug.odd]: [a]b: [c]]
"""


def test_getprop_reads_a_pixel_dump() -> None:
    props = parse_getprop(GETPROP_PIXEL_8, name="getprop")
    assert len(props) == 14
    assert props["ro.product.model"] == "Pixel 8"
    assert props["ro.product.manufacturer"] == "Google"
    assert props["ro.build.version.release"] == "14"
    assert props["ro.build.version.sdk"] == "34"
    assert props["ro.serialno"] == "3A281FDJH00ABC"
    assert props["ro.build.fingerprint"] == ("google/shiba/shiba:14/AP2A.240805.005/12025142:user/release-keys")


def test_getprop_multi_line_value_keeps_its_newlines() -> None:
    props = parse_getprop(GETPROP_PIXEL_8, name="getprop")
    assert props["persist.sys.boot.reason.history"] == (
        "reboot,shell,1717171717\nreboot,userrequested,1717000000\nkernel_panic,1716000000"
    )
    assert props["ro.boot.hardware.sku"] == "G1MNW"  # the next property is intact


def test_getprop_empty_value_and_value_with_brackets_and_colons() -> None:
    assert parse_getprop(GETPROP_PIXEL_8, name="getprop")["ro.vendor.build.security_patch"] == ""
    props = parse_getprop(GETPROP_SAMSUNG_13, name="getprop")
    assert props["vendor.debug.odd"] == "a]b: [c]"
    assert props["ro.product.model"] == "SM-S911B"


def test_getprop_line_ending_in_bracket_inside_a_multi_line_value() -> None:
    text = "[debug.a]: [first]\nsecond]\n[debug.b]: [x]\n"
    assert parse_getprop(text, name="getprop") == {"debug.a": "first]\nsecond", "debug.b": "x"}


def test_getprop_multi_line_value_closing_the_output() -> None:
    text = "[debug.a]: [x]\n[debug.b]: [one\n\ntwo]\n\n"
    assert parse_getprop(text, name="getprop") == {"debug.a": "x", "debug.b": "one\n\ntwo"}


@pytest.mark.parametrize("ending", ["\r\n", "\r\r\n"])
def test_getprop_crlf_reads_the_same(ending: str) -> None:
    text = GETPROP_PIXEL_8.replace("\n", ending)
    assert parse_getprop(text, name="getprop") == parse_getprop(GETPROP_PIXEL_8, name="getprop")


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", "no properties"),
        ("\n\n", "no properties"),
        ("/system/bin/sh: getprop: not found\n", "line 1: the shell reported an error"),
        ("[ro.product.model]: [Pixel 8]\nWARNING: linker: something\n", "line 1: the value"),
        ("ro.product.model=Pixel 8\n", "line 1: not a '\\[name\\]: \\[value\\]'"),
        ("[ro.product.model] [Pixel 8]\n", "line 1: not a"),
        ("[]: [x]\n", "line 1: not a"),
        ("[a]: [x]\n[b]: [unclosed\n", "line 2: the value of b is not closed"),
        ("[a]: [unclosed\n[b]: [x]\n", "line 1: the value of a is not closed"),
        ("[a]: [1]\n[a]: [2]\n", "line 2: property a is listed twice"),
    ],
)
def test_getprop_malformed(text: str, pattern: str) -> None:
    with raises_naming("getprop", pattern):
        parse_getprop(text, name="getprop")


_LOWER = "abcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"
_PROPERTY_NAMES = words(_LOWER, _LOWER + _DIGITS + "_.-", max_rest=20)  # [a-z][a-z0-9_.\-]{0,20}
_SINGLE_LINE = st.text(st.characters(exclude_characters="\r\n"), max_size=30)
_CONTINUATION = _SINGLE_LINE.filter(lambda line: not line.startswith("["))


_MULTI_LINE = st.builds(
    lambda first, rest: "\n".join([first, *rest]), _SINGLE_LINE, st.lists(_CONTINUATION, max_size=3)
)


# Budgets of the round trips below: 50 examples, not 100. Two runs at 40 covered the same 152
# branches of the parsers as two at 100; what can be ambiguous (a value line starting "[", a key
# with " = ") is left out by the strategies and has its own malformed-input tests.
# Dicts from lists of pairs: unique keys by construction (st.dictionaries redraws taken keys).
@settings(max_examples=examples(50))
@given(st.lists(st.tuples(_PROPERTY_NAMES, _MULTI_LINE), min_size=1).map(dict))
def test_getprop_round_trip(props: dict[str, str]) -> None:
    """Any value getprop can print unambiguously reads back exactly."""
    text = "".join(f"[{key}]: [{value}]\n" for key, value in props.items())
    assert parse_getprop(text, name="getprop") == props


# ---------------------------------------------------------------------------------------------
# pm list users
# ---------------------------------------------------------------------------------------------

USERS_PIXEL_14 = "Users:\n\tUserInfo{0:Owner:4c13} running\n\tUserInfo{10:Work profile:1030} running\n"
USERS_SAMSUNG_13 = (
    "Users:\n"
    "\tUserInfo{0:Owner:4c13} running\n"
    "\tUserInfo{10:Work profile:1030} running\n"
    "\tUserInfo{95:DUAL_APP:20001010} running\n"
    "\tUserInfo{150:Secure Folder:10061030}\n"
)
USERS_ANDROID_10 = "Users:\n\tUserInfo{0:Owner:c13} running\n\tUserInfo{10:Work profile:30} running\n"


def test_users_pixel_with_work_profile() -> None:
    owner, work = parse_users(USERS_PIXEL_14, name="pm list users")
    assert (owner.id, owner.name, owner.kind, owner.flags, owner.running) == (
        0,
        "Owner",
        ProfileKind.PERSONAL,
        0x4C13,
        True,
    )
    assert (work.id, work.name, work.kind, work.flags, work.running) == (
        10,
        "Work profile",
        ProfileKind.WORK,
        0x1030,
        True,
    )
    assert work.is_managed_profile
    assert work.packages == set() and work.restrictions == {} and work.profile_owner is None


def test_users_samsung_secure_folder_is_not_the_work_profile() -> None:
    users = parse_users(USERS_SAMSUNG_13, name="pm list users")
    kinds = {u.id: u.kind for u in users}
    assert kinds == {
        0: ProfileKind.PERSONAL,
        10: ProfileKind.WORK,
        95: ProfileKind.OTHER,
        150: ProfileKind.SECURE_FOLDER,
    }
    folder = users[-1]
    assert folder.flags == 0x10061030  # Knox sets the managed-profile bit on Secure Folder too
    assert not folder.is_managed_profile
    assert not folder.running


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("UserInfo{151:Secure Folder:1010}", ProfileKind.SECURE_FOLDER),  # name decides
        ("UserInfo{150:Sicherer Ordner:1030}", ProfileKind.SECURE_FOLDER),  # Knox id range
        ("UserInfo{11:Guest:414}", ProfileKind.OTHER),
        ("UserInfo{12:Clone:1010}", ProfileKind.OTHER),
        ("UserInfo{13:Private space:1010}", ProfileKind.OTHER),
    ],
)
def test_users_kind_rule(line: str, kind: ProfileKind) -> None:
    (user,) = parse_users(f"Users:\n\t{line}\n", name="pm list users")
    assert user.kind is kind


def test_users_android_10_work_profile_has_no_profile_flag() -> None:
    owner, work = parse_users(USERS_ANDROID_10, name="pm list users")
    assert owner.flags == 0xC13 and owner.kind is ProfileKind.PERSONAL
    assert work.flags == 0x30 and work.kind is ProfileKind.WORK


def test_users_paused_work_profile_is_not_running() -> None:
    text = "Users:\n\tUserInfo{0:Owner:c13} running\n\tUserInfo{10:Work profile:10b0}\n"
    work = parse_users(text, name="pm list users")[1]
    assert (work.flags, work.running, work.kind) == (0x10B0, False, ProfileKind.WORK)


def test_users_name_with_colons_and_braces_flags_are_the_last_field() -> None:
    text = "Users:\n\tUserInfo{0:Owner:c13} running\n\tUserInfo{11:Team: Sales {EU}:410} running\n"
    user = parse_users(text, name="pm list users")[1]
    assert (user.id, user.name, user.flags) == (11, "Team: Sales {EU}", 0x410)
    assert user.kind is ProfileKind.OTHER


@pytest.mark.parametrize(
    ("field", "flags"),
    [
        ("c13", 0xC13),
        ("4c13", 0x4C13),
        ("1030", 0x1030),
        ("410", 0x410),
        ("30", 0x30),
        ("10061030", 0x10061030),  # Samsung Secure Folder: Knox high bits
        ("4144", 0x4144),  # all digits is still hex: UserInfo.toString uses Integer.toHexString
        ("48", 0x48),
        ("13", 0x13),
    ],
)
def test_users_flags_are_always_hexadecimal(field: str, flags: int) -> None:
    (user,) = parse_users(f"Users:\n\tUserInfo{{10:Work profile:{field}}} running\n", name="u")
    assert user.flags == flags


def test_users_paused_profile_has_quiet_mode_and_is_not_running() -> None:
    text = "Users:\n\tUserInfo{0:Owner:4c13} running\n\tUserInfo{10:Work profile:10b0}\n"
    owner, work = parse_users(text, name="pm list users")
    assert work.flags & FLAG_QUIET_MODE and work.paused and not owner.paused
    assert work.is_managed_profile


#: Real refusals, as Maestro, PixelFlasher and adb_client users reported them (exit status 255;
#: the one-line form with status 0), for Samsung Secure Folder (150) and a work profile (10).
REFUSAL_EXCEPTION = (
    "\nException occurred while executing 'list':\n"
    "java.lang.SecurityException: Shell does not have permission to access user 150\n"
    " com.android.server.am.ActivityManagerService.handleIncomingUser:14983 "
    "android.app.ActivityManager.handleIncomingUser:4805 "
    "com.android.server.pm.PackageManagerShellCommand.translateUserId:3517\n"
    "\tat com.android.server.am.UserController.handleIncomingUser(UserController.java:2680)\n"
    "\tat com.android.modules.utils.BasicShellCommandHandler.exec(BasicShellCommandHandler.java:97)\n"
)
REFUSAL_ONE_LINE = "Error: java.lang.SecurityException: Shell does not have permission to access user 10\n"


@pytest.mark.parametrize(
    ("text", "user"),
    [
        (REFUSAL_EXCEPTION, 150),
        (crlf(REFUSAL_EXCEPTION), 150),
        (REFUSAL_ONE_LINE, 10),
        ("package:com.okta.android.auth\n", None),
        ("", None),
        ("\nException occurred while executing 'list':\njava.lang.IllegalArgumentException: Bad user\n", None),
        ("package:a.b\n" + REFUSAL_ONE_LINE, None),  # a refusal is the whole answer, not a later line
    ],
)
def test_shell_refusal(text: str, user: int | None) -> None:
    assert shell_refusal(text, name="pm list packages --user N") == user


def test_users_crlf_and_space_indentation() -> None:
    assert parse_users(crlf(USERS_SAMSUNG_13), name="u") == parse_users(USERS_SAMSUNG_13, name="u")
    spaced = USERS_PIXEL_14.replace("\t", "        ")
    assert parse_users(spaced, name="u") == parse_users(USERS_PIXEL_14, name="u")


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", "empty output"),
        ("/system/bin/sh: pm: not found\n", "line 1: the shell reported an error"),
        ("Error: couldn't get users\n", "line 1: expected the 'Users:' header"),
        ("\tUserInfo{0:Owner:c13} running\n", "line 1: expected the 'Users:' header"),
        ("Users:\n", "lists no user"),
        ("Users:\n\tUserInfo{0:Owner:c13} running\n\tgarbage\n", "line 3: not a 'UserInfo"),
        ("Users:\n\tUserInfo{0:Owner:c13} sleeping\n", "line 2: not a"),
        ("Users:\n\tUserInfo{0:Owner:0x13}\n", "line 2: not a"),
        ("Users:\n\tUserInfo{0:Owner:123456789}\n", "line 2: not a"),
        ("Users:\n\tUserInfo{-1:Owner:13}\n", "line 2: not a"),
        ("Users:\n\tUserInfo{0:c13}\n", "line 2: not a"),
        (
            "Users:\n\tUserInfo{0:Owner:c13}\n\tUserInfo{0:Again:c13}\n",
            "line 3: user 0 is listed twice",
        ),
    ],
)
def test_users_malformed(text: str, pattern: str) -> None:
    with raises_naming("pm list users", pattern):
        parse_users(text, name="pm list users")


# ---------------------------------------------------------------------------------------------
# pm list packages
# ---------------------------------------------------------------------------------------------

PACKAGES_WORK_PROFILE = """\
package:com.google.android.apps.work.clouddpc
package:com.android.vending
package:com.okta.android.auth
package:android
package:com.google.android.trichromelibrary_612345678
"""

PACKAGES_F_U_VERSIONS = (
    "package:/data/app/~~QmFzZTY0UmFuZG9tMQ==/com.okta.android.auth-cGFja2FnZVJhbmRvbQ==/"
    "base.apk=com.okta.android.auth versionCode:90300012 uid:1010234\n"
    "package:/system/priv-app/GooglePackageInstaller/GooglePackageInstaller.apk="
    "com.google.android.packageinstaller versionCode:34 uid:1010067\n"
    "package:/product/app/Chrome/Chrome.apk=com.android.chrome versionCode:612345678 "
    "uid:10120,1010120\n"
)


def test_packages_plain_list() -> None:
    assert parse_packages(PACKAGES_WORK_PROFILE, name="pm list packages --user 10") == {
        "com.google.android.apps.work.clouddpc",
        "com.android.vending",
        OKTA,
        "android",
        "com.google.android.trichromelibrary_612345678",
    }


def test_packages_with_paths_uids_and_version_codes() -> None:
    assert parse_packages(PACKAGES_F_U_VERSIONS, name="pm list packages -f -U") == {
        OKTA,
        "com.google.android.packageinstaller",
        "com.android.chrome",
    }


def test_packages_with_installer_column() -> None:
    text = "package:com.okta.android.auth  installer=com.android.vending\npackage:com.x.y  installer=null\n"
    assert parse_packages(text, name="pm list packages -i") == {OKTA, "com.x.y"}


def test_packages_filtered_to_nothing_and_crlf() -> None:
    assert parse_packages("", name="pm list packages --user 10 com.okta.android.auth") == set()
    assert parse_packages("\r\n", name="pm list packages") == set()
    assert parse_packages(crlf(PACKAGES_F_U_VERSIONS), name="p") == parse_packages(PACKAGES_F_U_VERSIONS, name="p")


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("/system/bin/sh: pm: inaccessible or not found\n", "line 1: the shell reported"),
        (
            "Exception occurred while executing 'list':\n"
            "java.lang.SecurityException: Shell does not have permission to access user 11\n",
            "line 1: not a 'package:' line",
        ),
        ("package:com.okta.android.auth\nError: unknown user 12\n", "line 2: not a 'package:'"),
        ("package:\n", "line 1: no valid package name"),
        ("package:/data/app/base.apk=\n", "line 1: no valid package name"),
        ("package:com..okta\n", "line 1: no valid package name"),
        ("package:1com.okta\n", "line 1: no valid package name"),
        ("package:com.okta.android.auth (disabled)\n", "unexpected text after package"),
    ],
)
def test_packages_malformed(text: str, pattern: str) -> None:
    with raises_naming("pm list packages", pattern):
        parse_packages(text, name="pm list packages")


# [a-z][a-z0-9_]{0,8}(\.[a-zA-Z][a-zA-Z0-9_]{0,8}){0,4}
_PACKAGES = dotted(
    words(_LOWER, _LOWER + _DIGITS + "_", max_rest=8),
    words(_LOWER + _LOWER.upper(), _LOWER + _LOWER.upper() + _DIGITS + "_", max_rest=8),
    min_more=0,
    max_more=4,
)


@settings(max_examples=examples(50))
@given(
    st.lists(_PACKAGES, max_size=8).map(set),
    st.booleans(),
    st.sampled_from(["", " versionCode:42", " uid:1010234", " versionCode:7  installer=null"]),
)
def test_packages_round_trip(packages: set[str], with_path: bool, suffix: str) -> None:
    lines = [
        "package:" + (f"/data/app/~~a1==/{p}-b2==/base.apk=" if with_path else "") + p + suffix
        for p in sorted(packages)
    ]
    assert parse_packages("\n".join(lines) + "\n", name="pm list packages") == packages


# ---------------------------------------------------------------------------------------------
# dumpsys device_policy
# ---------------------------------------------------------------------------------------------

STATE = "Current Device Policy Manager state:\n"
SP = " "  # AOSP prints "Device Owner: " and "Profile Owner (User N): " with a trailing space

# Android 10, COMP: TestDPC owns the device and the work profile (Owners.dump(prefix, pw)).
DPM_ANDROID_10_COMP = f"""\
Current Device Policy Manager state:
  Device Owner:{SP}
    admin=ComponentInfo{{{TESTDPC_ADMIN}}}
    name=TestDPC
    package=com.afwsamples.testdpc
    canAccessDeviceIds=true
    User ID: 0

  Profile Owner (User 10):{SP}
    admin=ComponentInfo{{{TESTDPC_ADMIN}}}
    name=TestDPC
    package=com.afwsamples.testdpc
    canAccessDeviceIds=false
  Owner Services:
    User: 10
      DPC: com.afwsamples.testdpc
      Service: ComponentInfo{{com.afwsamples.testdpc/com.afwsamples.testdpc.DeviceAdminService}}

  Enabled Device Admins (User 0, provisioningState: 3):
    com.afwsamples.testdpc/.DeviceAdminReceiver:
      uid=10143
      testOnlyAdmin=true
      policies:
        limit-password
        watch-login
        reset-password
        force-lock
        wipe-data
      passwordQuality=0x0
    mPasswordOwner=-1

  Enabled Device Admins (User 10, provisioningState: 3):
    com.afwsamples.testdpc/.DeviceAdminReceiver:
      uid=1010143
      testOnlyAdmin=true
    mPasswordOwner=-1

  Encryption Status: per-user FBE
"""

# Android 12, work profile owned by Workspace ONE Intelligent Hub (IndentingPrintWriter).
DPM_ANDROID_12_WORK = f"""\
Current Device Policy Manager state:
  Immutable state:
    mHasFeature=true
    mIsWatch=false
    mIsAutomotive=false
    mHasTelephonyFeature=true
    mSafetyChecker=null
  Profile Owner (User 10):{SP}
    admin=ComponentInfo{{{HUB_ADMIN}}}
    name=Intelligent Hub
    package=com.airwatch.androidagent
    isOrganizationOwnedDevice=false

  Owner Services:
    User: 10
      DPC: com.airwatch.androidagent

  Encryption Status: per-user FBE

  Enabled Device Admins (User 0, provisioningState: 0):
    mPasswordOwner=-1

  Enabled Device Admins (User 10, provisioningState: 3):
    com.airwatch.androidagent/com.airwatch.agent.DeviceAdministratorReceiver:
      uid=1010234
      testOnlyAdmin=false
      policies:
        wipe-data
    mPasswordOwner=-1
"""

# Android 13, a personal phone: no owner at all.
DPM_ANDROID_13_NONE = """\
Current Device Policy Manager state:
  Immutable state:
    mHasFeature=true
    mIsWatch=false
    mIsAutomotive=false
    mHasTelephonyFeature=true
    mSafetyChecker=null
  Encryption Status: per-user FBE
  Logout user: --
  Pending user switch: false
  Device policy cache:
    Screen capture disallowed users: []
    Password quality: {}
    Permission policy: {}
  Device state cache:
    Device owner type: -1
    Has device owner: false

  Enabled Device Admins (User 0, provisioningState: 0):
    mPasswordOwner=-1
    mPasswordTokenHandle=0
    mUserControlDisabledPackages=[]
"""

# Android 14, fully managed by TestDPC, which also owns an affiliated secondary user 11.
DPM_ANDROID_14_DO_AND_PO = f"""\
Current Device Policy Manager state:
  Immutable state:
    mHasFeature=true
    mIsWatch=false
    mIsAutomotive=false
    mHasTelephonyFeature=true
    mSafetyChecker=null
  Device Owner:{SP}
    admin=ComponentInfo{{{TESTDPC_ADMIN}}}
    name=
    package=com.afwsamples.testdpc
    isOrganizationOwnedDevice=true
    User ID: 0

  Profile Owner (User 11):{SP}
    admin=ComponentInfo{{{TESTDPC_ADMIN}}}
    name=
    package=com.afwsamples.testdpc
    isOrganizationOwnedDevice=false

  Encryption Status: per-user FBE
  Local Policies:{SP}
    User 0:
      PolicyKey=PolicyKey{{mIdentifier= permissionGrant}}
        Per-admin Policy:{SP}
          EnforcingAdmin {{ mPackageName= com.afwsamples.testdpc, mComponentName= \
ComponentInfo{{{TESTDPC_ADMIN}}}, mAuthorities= [DeviceOwner], mUserId= 0, \
mIsRoleAuthority= false }}
"""

# Android 15, company-owned work profile (OwnersData.OwnerInfo.dump without name=).
DPM_ANDROID_15_COPE = f"""\
Current Device Policy Manager state:
  Immutable state:
    mHasFeature=true
    mIsWatch=false
    mIsAutomotive=false
    mHasTelephonyFeature=true
    mSafetyChecker=null
  Profile Owner (User 10):{SP}
    admin=ComponentInfo{{{HUB_ADMIN}}}
    package=com.airwatch.androidagent
    isOrganizationOwnedDevice=true

  Encryption Status: per-user FBE
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (DPM_ANDROID_10_COMP, DevicePolicy(TESTDPC_ADMIN, {10: TESTDPC_ADMIN})),
        (DPM_ANDROID_12_WORK, DevicePolicy(None, {10: HUB_ADMIN})),
        (DPM_ANDROID_13_NONE, DevicePolicy(None, {})),
        (DPM_ANDROID_14_DO_AND_PO, DevicePolicy(TESTDPC_ADMIN, {11: TESTDPC_ADMIN})),
        (DPM_ANDROID_15_COPE, DevicePolicy(None, {10: HUB_ADMIN})),
    ],
    ids=["android10-comp", "android12-work", "android13-none", "android14-do-po", "android15-cope"],
)
def test_device_policy_across_versions(text: str, expected: DevicePolicy) -> None:
    assert parse_device_policy(text, name="dumpsys device_policy") == expected
    assert parse_device_policy(crlf(text), name="dumpsys device_policy") == expected


def test_device_policy_short_class_is_expanded() -> None:
    text = (
        "Current Device Policy Manager state:\n"
        "Profile Owner (User 10): \n"  # unindented: blocks do not depend on nesting depth
        "  admin=ComponentInfo{com.example.emm/.AdminReceiver}\n"
        "  package=com.example.emm\n"
        "Device Owner: \n"
        "  admin=com.example.emm/com.example.emm.AdminReceiver\n"
        "  User ID: 0\n"
    )
    assert parse_device_policy(text, name="dpm") == DevicePolicy(
        "com.example.emm/com.example.emm.AdminReceiver",
        {10: "com.example.emm/com.example.emm.AdminReceiver"},
    )


def test_device_policy_owner_block_ends_at_dedent() -> None:
    # The admin= of "Owner Services" after the (admin-less) block must not be taken for it.
    text = (
        "Current Device Policy Manager state:\n"
        "  Profile Owner (User 10): \n"
        "    package=fixture.owner\n"
        "  Owner Services:\n"
        "    admin=ComponentInfo{fixture.owner/fixture.owner.Receiver}\n"
    )
    with raises_naming("dpm", "line 2: owner block without an admin= line"):
        parse_device_policy(text, name="dpm")


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", "not dumpsys device_policy output"),
        (
            "Permission Denial: can't dump DevicePolicyManagerService from from pid=1, uid=2000\n",
            "not dumpsys device_policy output",
        ),
        ("Can't find service: device_policy\n", "not dumpsys device_policy output"),
        ("/system/bin/sh: dumpsys: not found\n", "line 1: the shell reported an error"),
        (
            STATE + "  Profile Owner (User 10): com.bbtec.mdm.client\n",
            "line 2: malformed owner header",
        ),
        (
            STATE + "  Profile Owner (User ten): \n    admin=a.b/a.b.C\n",
            "line 2: malformed owner header",
        ),
        (
            STATE + "  Device Owner: \n    admin=null\n    User ID: 0\n",
            "line 3: admin= is not a component",
        ),
        (
            STATE + "  Device Owner: \n    admin=ComponentInfo{a.b}\n",
            "line 3: admin= is not a component",
        ),
        (
            STATE + "  Device Owner: \n    admin=ComponentInfo{a.b/}\n",
            "line 3: admin= is not a component",
        ),
        (
            STATE + "  Device Owner: \n\n    admin=a.b/a.b.C\n",
            "line 2: owner block without an admin= line",
        ),
        (
            STATE + "  Device Owner: \n    admin=a.b/a.b.C\n    package=a.c\n",
            "line 4: package= differs",
        ),
        (
            STATE + "  Device Owner: \n    admin=a.b/a.b.C\n    admin=a.b/a.b.D\n",
            "line 4: a second admin= line",
        ),
        (
            STATE + "  Device Owner: \n    admin=a.b/a.b.C\n  Device Owner: \n    admin=a.b/a.b.C\n",
            "line 4: a second device owner",
        ),
        (
            STATE + "  Profile Owner (User 10): \n    admin=a.b/a.b.C\n"
            "  Profile Owner (User 10): \n    admin=a.b/a.b.C\n",
            "line 4: a second profile owner for user 10",
        ),
    ],
)
def test_device_policy_malformed(text: str, pattern: str) -> None:
    with raises_naming("dumpsys device_policy", pattern):
        parse_device_policy(text, name="dumpsys device_policy")


# ---------------------------------------------------------------------------------------------
# TestDPC get-app-restrictions
# ---------------------------------------------------------------------------------------------

# `dumpsys activity --user 10 service com.afwsamples.testdpc get-app-restrictions OKTA CHROME`
TESTDPC_WRAPPED = f"""\
SERVICE com.afwsamples.testdpc/.DeviceAdminService 6b1e3f2 pid=12871 user=10
  Client:
    2 app restrictionsDevicePolicyManager for com.okta.android.auth
      managementHint = {SECRET}
      domainName = example.okta.com
    No app restrictions (from DevicePolicyManager) for com.android.chrome
"""

# TestDPC's own lines, without the dumpsys wrapper, as DOMAIN.md §5 quotes them.
TESTDPC_RAW = """\
1 app restrictionDevicePolicyManager for com.okta.android.auth
  managementHint = a=b
No app restrictions (from DevicePolicyManager) for com.afwsamples.testdpc
"""

# Given a single package, TestDPC prints its own restrictions (source UserManager).
TESTDPC_SINGLE_PACKAGE = """\
SERVICE com.afwsamples.testdpc/.DeviceAdminService 6b1e3f2 pid=12871
  Client:
    No app restrictions (from UserManager) for com.afwsamples.testdpc
"""


def test_testdpc_wrapped_two_packages() -> None:
    config = parse_testdpc_restrictions(TESTDPC_WRAPPED, package=OKTA, name="get-app-restrictions")
    assert dict(config) == {"managementHint": SECRET, "domainName": "example.okta.com"}
    chrome = parse_testdpc_restrictions(TESTDPC_WRAPPED, package="com.android.chrome", name="g")
    assert chrome == AppConfig() and len(chrome) == 0


def test_testdpc_raw_singular_and_value_with_equals() -> None:
    config = parse_testdpc_restrictions(TESTDPC_RAW, package=OKTA, name="g")
    assert dict(config) == {"managementHint": "a=b"}
    own = parse_testdpc_restrictions(TESTDPC_RAW, package="com.afwsamples.testdpc", name="g")
    assert len(own) == 0


def test_testdpc_other_types_arrive_as_their_text() -> None:
    text = (
        "SERVICE com.afwsamples.testdpc/.DeviceAdminService 1f0c2aa pid=4410\n"
        "  Client:\n"
        "    4 app restrictionsDevicePolicyManager for com.okta.android.auth\n"
        "      allowScreenshots = false\n"
        "      domainName = \n"
        "      extra = Bundle[{nested=1, other=x = y}]\n"
        "      managementHint =  padded \n"
        "    No app restrictions (from DevicePolicyManager) for com.android.chrome\n"
    )
    config = parse_testdpc_restrictions(text, package=OKTA, name="g")
    assert dict(config) == {
        "allowScreenshots": "false",
        "domainName": "",
        "extra": "Bundle[{nested=1, other=x = y}]",
        "managementHint": " padded ",
    }
    assert all(isinstance(v, str) for v in config.values())


def test_testdpc_other_services_and_crlf() -> None:
    text = (
        "SERVICE com.afwsamples.testdpc/.SomeJobService 2c3d4e5 pid=12871\n"
        "  Client:\n"
        "    nothing to dump\n"
        "\n" + TESTDPC_WRAPPED
    )
    assert dict(parse_testdpc_restrictions(crlf(text), package=OKTA, name="g")) == {
        "managementHint": SECRET,
        "domainName": "example.okta.com",
    }


def test_testdpc_single_package_output_does_not_answer_for_okta() -> None:
    with raises_naming("g", f"no restrictions reported for {re.escape(OKTA)}.*pass two"):
        parse_testdpc_restrictions(TESTDPC_SINGLE_PACKAGE, package=OKTA, name="g")


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", "no restrictions reported for"),
        ("/system/bin/sh: dumpsys: inaccessible or not found\n", "line 1: the shell reported"),
        (
            "SERVICE com.afwsamples.testdpc/.DeviceAdminService 6b1e3f2 pid=(not running)\n",
            "no restrictions reported for",
        ),
        (
            "No services match: com.afwsamples.testdpc\nUse -h for help.\n",
            "line 1: not a TestDPC get-app-restrictions line",
        ),
        (
            f"2 app restrictionsDevicePolicyManager for {OKTA}\n  managementHint = {SECRET}\n",
            "line 3: expected restriction 2 of 2",
        ),
        (
            f"2 app restrictionsDevicePolicyManager for {OKTA}\n  managementHint = {SECRET}\n"
            "No app restrictions (from DevicePolicyManager) for com.android.chrome\n",
            "line 3: expected restriction 2 of 2",
        ),
        (
            f"1 app restrictionDevicePolicyManager for {OKTA}\n  managementHint = {SECRET}\n"
            f"  domainName = example.okta.com\n",
            "line 3: not a TestDPC",
        ),
        (
            f"2 app restrictionDevicePolicyManager for {OKTA}\n  a = 1\n  b = 2\n",
            "line 1: restriction count and plural disagree",
        ),
        (
            f"1 app restrictionsDevicePolicyManager for {OKTA}\n  a = 1\n",
            "line 1: restriction count and plural disagree",
        ),
        (f"0 app restrictionDevicePolicyManager for {OKTA}\n", "count and plural disagree"),
        (
            f"1 app restrictionDevicePolicyManager for {OKTA}\nmanagementHint = {SECRET}\n",
            "line 2: expected restriction 1 of 1",
        ),
        (
            f"1 app restrictionDevicePolicyManager for {OKTA}\n   managementHint = {SECRET}\n",
            "line 2: expected restriction 1 of 1",
        ),
        (
            f"1 app restrictionDevicePolicyManager for {OKTA}\n  managementHint={SECRET}\n",
            "line 2: expected restriction 1 of 1",
        ),
        (
            f"2 app restrictionsDevicePolicyManager for {OKTA}\n  managementHint = {SECRET}\n"
            f"  managementHint = {SECRET}\n",
            "line 3: restriction managementHint listed twice",
        ),
        (
            f"No app restrictions (from DevicePolicyManager) for {OKTA}\n"
            f"1 app restrictionDevicePolicyManager for {OKTA}\n  managementHint = {SECRET}\n",
            f"line 2: restrictions of {re.escape(OKTA)} reported twice",
        ),
        (f"1 app restriction for {OKTA}\n  managementHint = {SECRET}\n", "line 1: not a TestDPC"),
    ],
)
def test_testdpc_malformed_never_leaks_the_value(text: str, pattern: str) -> None:
    with raises_naming("get-app-restrictions", pattern) as caught:
        parse_testdpc_restrictions(text, package=OKTA, name="get-app-restrictions")
    assert SECRET not in str(caught.value)
    assert "\n" not in str(caught.value)


_KEYS = st.text(st.characters(exclude_characters="\r\n"), min_size=1, max_size=20).filter(
    lambda key: key.strip() == key and " = " not in key and not key.endswith(" ")
)


@settings(max_examples=examples(50))
@given(st.dictionaries(_KEYS, _SINGLE_LINE, min_size=1, max_size=6))
def test_testdpc_round_trip(entries: dict[str, str]) -> None:
    """Whatever TestDPC's printf writes for one-line keys and values reads back exactly."""
    count = len(entries)
    lines = [f"{count} app restriction{'s' if count > 1 else ''}DevicePolicyManager for {OKTA}"]
    lines += [f"  {key} = {value}" for key, value in entries.items()]
    text = "\n".join(lines) + "\nNo app restrictions (from DevicePolicyManager) for com.x.y\n"
    assert dict(parse_testdpc_restrictions(text, package=OKTA, name="g")) == entries


# ---------------------------------------------------------------------------------------------
# Shared: size bound, names in messages
# ---------------------------------------------------------------------------------------------

PARSERS: list[tuple[str, Callable[[str, str], object], str]] = [
    ("getprop", lambda text, name: parse_getprop(text, name=name), GETPROP_PIXEL_8),
    ("users", lambda text, name: parse_users(text, name=name), USERS_PIXEL_14),
    ("packages", lambda text, name: parse_packages(text, name=name), PACKAGES_WORK_PROFILE),
    ("dpm", lambda text, name: parse_device_policy(text, name=name), DPM_ANDROID_12_WORK),
    (
        "testdpc",
        lambda text, name: parse_testdpc_restrictions(text, package=OKTA, name=name),
        TESTDPC_WRAPPED,
    ),
]


@pytest.mark.parametrize(("label", "parse", "sample"), PARSERS, ids=[p[0] for p in PARSERS])
def test_oversized_output_is_refused_before_parsing(
    label: str, parse: Callable[[str, str], object], sample: str
) -> None:
    parse(sample, label)  # the sample itself is fine
    padded = sample + "\n" * (MAX_OUTPUT_CHARS + 1 - len(sample))
    with raises_naming(f"capture/{label}.txt", "more than the 8388608 accepted"):
        parse(padded, f"capture/{label}.txt")


@pytest.mark.parametrize(("label", "parse", "sample"), PARSERS, ids=[p[0] for p in PARSERS])
def test_shell_error_after_blank_lines_names_its_line(
    label: str, parse: Callable[[str, str], object], sample: str
) -> None:
    with raises_naming(label, "line 3: the shell reported an error"):
        parse("\r\n\r\nsh: 1: adb-command: not found\r\n", label)
