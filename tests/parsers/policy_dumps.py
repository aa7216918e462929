"""``dumpsys device_policy`` of Android 14+ with the device policy engine's section, as AOSP prints it.

Line for line from ``DevicePolicyEngine.dump`` (``Local Policies: ``, ``User %d:``),
``PolicyState.dump`` (the policy key, ``Per-admin Policy:``, each ``EnforcingAdmin.toString()``
with its value one level deeper, ``Resolved Policy (%s):``), ``PackagePolicyKey.toString``,
``BundlePolicyValue.toString`` and ``Bundle.toString``, all through
``DevicePolicyManagerService``'s two-space ``IndentingPrintWriter`` (which indents every line it
writes, the extra lines of a value and blank ones included).
"""

from __future__ import annotations

SECRET = "3zr7Q~vw4C16FS2bH8UfS1gJ5cL6sj~x_U9PQ"
HUB = "com.airwatch.androidagent/com.airwatch.agent.DeviceAdministratorReceiver"
SP = " "

#: Android 15's owner block (``OwnersData.dump``, no ``name=`` since 15), abridged around it.
HEAD = f"""\
Current Device Policy Manager state:
  Profile Owner (User 10):{SP}
    admin=ComponentInfo{{{HUB}}}
    package=com.airwatch.androidagent
    isOrganizationOwnedDevice=false

  Enabled Device Admins (User 10, provisioningState: 5):
    {HUB}:
      uid=1010287

"""

ADMIN = (
    f"EnforcingAdmin {{ mPackageName= com.airwatch.androidagent, mComponentName= ComponentInfo{{{HUB}}}, "
    "mAuthorities= [enterprise], mUserId= 10, mIsRoleAuthority= false, mSystemEntity = null }"
)
BUNDLE = f"Bundle[{{managementHint={SECRET}, orgUrl=https://acme.okta.com}}]"
# A string value with newlines and a blank line, the hint after it.
MULTILINE = f"Bundle[{{note=first line\n\nthird line, managementHint={SECRET}}}]"


def engine(value: str, indent_blank_lines: bool = True, *, admin: str = ADMIN, user: int = 10) -> str:
    """``DevicePolicyEngine.dump`` of one user with Okta Verify's restrictions (``value``) and one
    other policy, each set by ``admin``."""

    def at(depth: int, text: str) -> str:
        pad = " " * depth
        return "".join((pad + line if line or indent_blank_lines else line) + "\n" for line in text.split("\n"))

    return (
        at(2, "Local Policies: ")
        + at(4, f"User {user}:")
        + at(6, "PackagePolicyKey{mPolicyKey= applicationRestrictions; mPackageName= com.okta.android.auth}")
        + at(8, "Per-admin Policy:")
        + at(10, admin)
        + at(12, f"BundlePolicyValue {{ mValue= {value} }}")
        + at(8, "Resolved Policy (MostRecent):")
        + at(10, f"BundlePolicyValue {{ mValue= {value} }}")
        + at(6, "")
        + at(6, "PolicyKey{mIdentifier= screenCaptureDisabled}")
        + at(8, "Per-admin Policy:")
        + at(10, admin)
        + at(12, "BooleanPolicyValue { mValue= true }")
        + at(8, "Resolved Policy (TopPriority):")
        + at(10, "BooleanPolicyValue { mValue= true }")
        + at(6, "")
        + at(2, "")
        + at(2, "Global Policies: ")
        + at(2, "")
        + at(2, "Keep profiles running: false")
    )
