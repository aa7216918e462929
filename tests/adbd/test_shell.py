"""The shell subset and the commands' answers, checked against Android's real output formats."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.parsers.android_text import parse_device_policy, parse_testdpc_restrictions
from harness.parsers.restrictions import parse_restrictions
from simulator.adbd import Phone, RootAccess
from simulator.adbd.outputs import bundle_keys, java_string_hash
from simulator.adbd.shell import Shell
from simulator.appconfig import AppConfig
from simulator.ids import OKTA_VERIFY_ANDROID
from tests.adbd.adbd_phones import RES_10, SECRET, TESTDPC

Phones = Callable[..., Phone]


def sh(phone: Phone, script: str) -> str:
    return Shell(phone).run(script).decode()


@pytest.mark.parametrize(
    ("script", "output"),
    [
        ("echo a; echo b", "a\nb\n"),
        ("false; echo __rc=$?", "__rc=1\n"),
        ("true && echo yes || echo no", "yes\n"),
        ("false && echo yes || echo no", "no\n"),
        ("echo 'a;b' \"c $? d\" e\\;f", "a;b c 0 d e;f\n"),
        ("echo -n x; echo ${?}", "x0\n"),
        ("nosuch; echo __rc=$?", "/system/bin/sh: nosuch: inaccessible or not found\n__rc=127\n"),
        ("nosuch 2>/dev/null; echo $?", "127\n"),
        ("echo hidden >/dev/null; echo shown", "shown\n"),
        ("nosuch >/dev/null 2>&1; echo $?", "127\n"),
        ("echo a # comment\necho b", "a\nb\n"),
        ("exit 3; echo never", ""),
        ("echo $HOME", "\n"),
        ("ls | head", "/system/bin/sh: '|' is not supported by the virtual phone's shell\n"),
        ("echo x > /sdcard/f", "/system/bin/sh: can't create /sdcard/f: Read-only file system\n"),
    ],
)
def test_shell_subset(phone: Phones, script: str, output: str) -> None:
    assert sh(phone(), script) == output


def test_getprop_format_and_single_values(phone: Phones) -> None:
    served = phone()
    full = sh(served, "getprop")
    lines = full.splitlines()
    assert lines == sorted(lines) and all(line.startswith("[") and "]: [" in line for line in lines)
    assert "[ro.product.model]: [Pixel 8]" in lines and "[ro.build.version.sdk]: [34]" in lines
    assert sh(served, "getprop ro.serialno; getprop no.such; getprop no.such dflt") == "3A281FDJH00ABC\n\ndflt\n"


def test_users_and_packages_in_aosp_format(phone: Phones) -> None:
    served = phone()
    served.device.add_secure_folder()
    served.device.users[10].running = False  # a paused work profile
    assert sh(served, "pm list users") == (
        "Users:\n\tUserInfo{0:Owner:c13} running\n\tUserInfo{10:Work profile:1030}\n"
        "\tUserInfo{150:Secure Folder:10061030} running\n"
    )
    assert sh(served, f"pm list packages --user 10 {OKTA_VERIFY_ANDROID}") == f"package:{OKTA_VERIFY_ANDROID}\n"
    assert sh(served, f"pm list packages --user 0 {OKTA_VERIFY_ANDROID}; echo $?") == "0\n"


def test_refused_user_refuses_the_shell_but_not_root(phone: Phones) -> None:
    served = phone(RootAccess.SU)
    served.device.add_secure_folder().no_debugging = True
    refused = "Error: java.lang.SecurityException: Shell does not have permission to access user 150\n"
    assert sh(served, "pm list packages --user 150 com.okta.android.auth; echo __rc=$?") == refused + "__rc=0\n"
    assert sh(served, "su 0 pm list packages --user 150 com.okta.android.auth; echo __rc=$?") == "__rc=0\n"


def test_device_policy_owners_and_android_versions(phone: Phones) -> None:
    served = phone(sdk=35, release="15")
    served.device.device_owner = "com.google.android.apps.work.clouddpc/com.google.android.apps.work.clouddpc.A"
    text = sh(served, "dumpsys device_policy")
    assert "  Device Owner: \n    admin=ComponentInfo{com.google.android.apps.work.clouddpc/" in text
    assert "name=" not in text  # Android 15 dropped OwnerInfo.name
    policy = parse_device_policy(text, name="dumpsys")
    assert policy.device_owner == served.device.device_owner
    assert policy.profile_owners == {10: served.device.users[10].profile_owner}
    old = sh(phone(sdk=29, release="10"), "dumpsys device_policy")
    assert "    name=Android Device Policy\n" in old and "canAccessDeviceIds=false" in old


def test_testdpc_get_app_restrictions(phone: Phones) -> None:
    served = phone(owner=TESTDPC)
    request = f"dumpsys activity --user 10 service com.afwsamples.testdpc get-app-restrictions {OKTA_VERIFY_ANDROID}"
    two = sh(served, request + " com.afwsamples.testdpc")
    assert two.startswith("SERVICE com.afwsamples.testdpc/.DeviceAdminService ")
    assert "    2 app restrictionsDevicePolicyManager for com.okta.android.auth\n" in two
    assert "      domainName = acme.okta.com\n      managementHint = " in two  # Bundle (hash) order
    config = parse_testdpc_restrictions(two, package=OKTA_VERIFY_ANDROID, name="testdpc")
    assert config["managementHint"] == SECRET
    one = sh(served, request)  # one package: TestDPC prints its own
    assert "No app restrictions (from UserManager) for com.afwsamples.testdpc" in one
    served.device.users[10].running = False
    assert sh(served, request).startswith("No services match: com.afwsamples.testdpc\n")
    assert sh(phone(), request).startswith("No services match")  # TestDPC is not the owner


def test_bundle_order_is_java_hash_order() -> None:
    assert java_string_hash("hello") == 99_162_322 and java_string_hash("") == 0  # Java's values
    assert java_string_hash("a") == 97 and java_string_hash("ab") == 97 * 31 + 98
    assert bundle_keys(["managementHint", "domainName"]) == ["domainName", "managementHint"]


@pytest.mark.parametrize("root", list(RootAccess))
def test_root_models(phone: Phones, root: RootAccess) -> None:
    served = phone(root)
    cat = Shell(served).run(f"cat {RES_10}")
    su_cat = Shell(served).run(f"su 0 cat {RES_10}")
    magisk = Shell(served).run(f"su -c 'cat {RES_10}'")
    xml = sh(served, f"su 0 abx2xml {RES_10} -")
    if root is RootAccess.ADBD:
        assert parse_restrictions(cat, name="cat")["managementHint"] == SECRET
    else:
        assert cat == f"cat: {RES_10}: Permission denied\n".encode()
    if root is RootAccess.NONE:
        assert su_cat == magisk == b"/system/bin/sh: su: inaccessible or not found\n"
        return
    assert su_cat == magisk and su_cat.startswith(b"ABX\0")
    assert parse_restrictions(su_cat, name="su cat") == parse_restrictions(xml.encode(), name="abx2xml")
    assert sh(served, "su 0 id").startswith("uid=0(root)")


def test_ls_lists_what_the_root_model_lets_it_see(phone: Phones) -> None:
    assert sh(phone(RootAccess.ADBD), "ls /data/system/users/10") == "res_com.okta.android.auth.xml\n"
    assert sh(phone(RootAccess.ADBD), "ls /data/system/users") == "0\n10\n"
    assert sh(phone(), "ls /data/system/users; echo $?") == "ls: /data/system/users: Permission denied\n1\n"


def test_restriction_files_follow_the_model(phone: Phones) -> None:
    served = phone(RootAccess.ADBD)
    assert served.read(RES_10, as_root=True).startswith(b"ABX\0")
    served.binary_xml = False
    assert parse_restrictions(served.read(RES_10, as_root=True), name="text")["domainName"] == "acme.okta.com"
    served.device.set_restrictions(10, OKTA_VERIFY_ANDROID, AppConfig())
    assert sh(served, f"cat {RES_10}") == f"cat: {RES_10}: No such file or directory\n"
