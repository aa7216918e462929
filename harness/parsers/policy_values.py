"""The managed configurations that ``dumpsys device_policy`` prints on Android 14+, redacted.

From Android 14 the device policy engine (``DevicePolicyEngine``) holds policies set by device
policy controllers, application restrictions among them when the controller sets them through
it, and ``DevicePolicyManagerService.dump`` prints them under ``Local Policies:`` (AOSP
``DevicePolicyEngine.dump``, ``PolicyState.dump``), with an ``IndentingPrintWriter``::

      Local Policies:
        User 10:
          PackagePolicyKey{mPolicyKey= applicationRestrictions; mPackageName= com.okta.android.auth}
            Per-admin Policy:
              EnforcingAdmin { mPackageName= com.airwatch.androidagent, mComponentName= ..., mUserId= 10, ... }
                BundlePolicyValue { mValue= Bundle[{managementHint=<the secret>, orgUrl=...}] }
            Resolved Policy (MostRecent):
              BundlePolicyValue { mValue= Bundle[{...}] }

``BundlePolicyValue.toString`` is ``"BundlePolicyValue { mValue= " + bundle + " }"`` and
``Bundle.toString`` prints its map (``Bundle[{k=v, ...}]``) once unparcelled: the hint in clear,
in a file users attach to tickets. The readers never need these values (owners come from the
``Owners`` section), so a capture replaces each value whole (:data:`REDACTED`): splitting ``k=v, k=v`` cannot be
done reliably, since values may hold ``, `` and newlines. A value's extra lines are indented by
the writer at least as deep as its first line, and what the dump prints after a value (the next
admin, ``Resolved Policy``, the next key, the blank line between keys) is indented less, so the
value ends at the first non-blank line indented less than its first line.
"""

from __future__ import annotations

MARKER = "BundlePolicyValue { mValue= "
REDACTED = "<redacted by attestlab capture>"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def redact_policy_values(text: str) -> str:
    """``text`` with every ``BundlePolicyValue``'s content replaced by :data:`REDACTED` (linear time)."""
    if MARKER not in text:
        return text
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        at = line.find(MARKER)
        if at < 0:
            out.append(line)
            index += 1
            continue
        depth = _indent(line)
        end = index + 1  # the value's lines: lines[index:end]
        scan = end
        while scan < len(lines):
            if not lines[scan].strip():
                scan += 1
                continue
            if _indent(lines[scan]) < depth:
                break
            scan += 1
            end = scan
        last = lines[end - 1]
        newline = last[len(last.rstrip("\r\n")) :]
        out.append(f"{line[:at]}{MARKER}{REDACTED} }}{newline}")
        index = end
    return "".join(out)
