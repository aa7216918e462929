"""Read and validate scenario files; every error names ``file:line``, the field and what is allowed."""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.errors import InputError, ParseError
from harness.placements import ANDROID_PLACEMENTS, IOS_PLACEMENTS, PROVIDERS
from harness.scenarios.model import (
    ACTIONS,
    ATTACKS,
    KEY_ALGORITHMS,
    DeviceSpec,
    EMMSpec,
    Expectation,
    Scenario,
    Step,
)
from simulator.device import Platform
from simulator.emm import AndroidMode, Delivery, EnrollmentType, IOSAppSettings
from simulator.emm.intune import parse_android_json
from simulator.errors import ConfigError, os_error_text
from simulator.ids import ANDROID_DOMAIN_KEY, IOS_ORG_URL_KEY, MANAGEMENT_HINT
from simulator.secret import could_be_secret, redact, shown
from simulator.verdict import FindingCode, Outcome, Reason
from simulator.verifier.configs import check_existing_key
from simulator.verifier.orgfile import OrgSpec, parse_org_spec, read_org_file
from simulator.yamlfile import YamlDoc, read_yaml_file

SECRET_REF = re.compile(r"\$\{secret:([^}]+)\}")

_TOP = {"name", "description", "tags", "org", "device", "steps", "skip"}
_DEVICE = {
    "platform",
    "model",
    "os_version",
    "manufacturer",
    "okta_verify",
    "enrolled",
    "secure_folder",
    "supervised",
    "management_rejected",
    "key_algorithm",
    "emm",
    "source",
}
_EMM = {"provider", "settings", "ios", "config", "config_json", "config_xml", "custom_values"}
_EXPECT = {
    "sign_in": {"decision", "reason", "access", "remediation", "findings"},
    "check_inventory": {"status", "findings"},
}
_REMEDIATION = {"title", "provider", "link", "http_status"}
#: Each EMM's settings: a tuple of allowed values, or the type of the value.
_EMM_SETTINGS: dict[str, dict[str, tuple[str, ...] | type]] = {
    "intune": {
        "enrollment_type": tuple(e.value for e in EnrollmentType),
        "required": bool,
        "android_mode": tuple(m.value for m in AndroidMode),
        "user_enrollment": bool,
    },
    "workspace_one": {
        "delivery": tuple(d.value for d in Delivery),
        "managed_access": bool,
        "send_configuration": bool,
        "android_mode": tuple(m.value for m in AndroidMode),
        "user_enrollment": bool,
    },
    "none": {},
}
_IOS_SETTINGS: dict[str, tuple[str, ...] | type] = {
    "make_managed_if_user_installed": bool,
    "sso_extension": bool,
    "hint_in_sso_extension": bool,
    "declarative": bool,
}
assert set(_IOS_SETTINGS) == set(IOSAppSettings.__dataclass_fields__)
_STATUS = ("managed", "not_managed", "none")


class _Checker:
    """Field validation against one YAML document, raising InputError at the right line."""

    def __init__(self, doc: YamlDoc) -> None:
        self.doc = doc

    def fail(self, path: Sequence[str | int], message: str) -> InputError:
        """``file:line: field: message``; a part of the field's path that could be a secret (a
        configuration key typed from the clipboard) is named redacted, found at its own line."""
        named = [
            redact(p) if isinstance(p, str) and p not in _OKTA_VERIFY_KEYS and could_be_secret(p) else p for p in path
        ]
        return InputError(str(self.doc.error(named, message, line_of=path)))

    def unknown_key(self, path: Sequence[str | int], key: Any, message: str) -> InputError:
        """An error about a key the format does not know: at the key's line, but the key itself
        only as :func:`shown` allows (it may be a secret typed where a field name goes)."""
        return InputError(str(self.doc.error(path, message, line_of=(*path, str(key)))))

    def mapping(self, value: Any, path: Sequence[str | int], allowed: set[str]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a mapping, got {kind_of(value)}")
        for key in value:
            if key not in allowed:
                raise self.unknown_key(path, key, f"unknown field {shown(key)} (allowed: {', '.join(sorted(allowed))})")
        return value

    def settings(
        self, value: Any, path: Sequence[str | int], schema: dict[str, tuple[str, ...] | type]
    ) -> dict[str, Any]:
        """A mapping whose keys are in ``schema``, each value one of its choices or of its type."""
        result = self.mapping(value, path, set(schema))
        for key, rule in schema.items():
            if key in result:
                if isinstance(rule, tuple):
                    self.choice(result[key], (*path, key), rule)
                else:
                    self.typed(result[key], (*path, key), rule)
        return result

    def choice(self, value: Any, path: Sequence[str | int], allowed: Sequence[str]) -> str:
        if value not in allowed:
            raise self.fail(path, f"{shown(value)} is not one of: {', '.join(allowed)}")
        return str(value)

    def typed(self, value: Any, path: Sequence[str | int], kind: type | tuple[type, ...]) -> Any:
        """``value`` if it is of ``kind`` (``true``/``false`` are not numbers); else an error
        that names the expected and the given type in plain words, never the value."""
        kinds = (kind,) if isinstance(kind, type) else kind
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise self.fail(path, f"expected {_either(kinds)}, got {kind_of(value)}")
        return value

    def text(self, value: Any, path: Sequence[str | int]) -> str | None:
        """An optional string field (``null`` means absent)."""
        return None if value is None else str(self.typed(value, path, str))

    def strings(self, value: Any, path: Sequence[str | int]) -> list[str]:
        """A list of strings (``tags``)."""
        return [self.typed(item, (*path, i), str) for i, item in enumerate(self.typed(value, path, list))]

    def config(self, value: Any, path: Sequence[str | int], platform: Platform) -> dict[str, Any]:
        """A managed configuration as typed in the EMM console, checked against what the platform
        can carry: Android's restriction types (string, bool, Java int, string array, bundle,
        bundle array), iOS's plist types; Okta Verify's own keys are strings on both."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a mapping of configuration keys to values, got {kind_of(value)}")
        for key, item in value.items():
            if not isinstance(key, str):
                raise self.fail(path, f"configuration keys are strings, not {kind_of(key)}")
            where = (*path, key)
            if key in _OKTA_VERIFY_KEYS:
                self.typed(item, where, str)
            self.config_value(item, where, platform)
        return value

    def config_value(self, value: Any, path: Sequence[str | int], platform: Platform) -> None:
        if isinstance(value, dict):
            self.config(value, path, platform)
        elif isinstance(value, list):
            if platform is Platform.ANDROID and not (
                all(isinstance(v, str) for v in value) or all(isinstance(v, dict) for v in value)
            ):
                raise self.fail(
                    path, "an Android list holds only strings (multi-select) or only mappings (bundle array)"
                )
            for i, item in enumerate(value):
                self.config_value(item, (*path, i), platform)
        elif platform is Platform.ANDROID:
            self.typed(value, path, (str, bool, int))
            if not isinstance(value, bool) and isinstance(value, int) and not _JAVA_INT[0] <= value <= _JAVA_INT[1]:
                raise self.fail(path, f"an Android integer is from {_JAVA_INT[0]} to {_JAVA_INT[1]}")
        else:
            self.typed(value, path, (str, bool, int, float))


#: Okta Verify's configuration keys (simulator.ids): it reads each as a string.
_OKTA_VERIFY_KEYS = frozenset({MANAGEMENT_HINT, ANDROID_DOMAIN_KEY, IOS_ORG_URL_KEY})
#: Android's ``integer`` restriction is a Java int.
_JAVA_INT = (-(2**31), 2**31 - 1)
_KIND_WORDS: dict[type, str] = {
    str: "a string",
    bool: "true or false",
    int: "an integer",
    float: "a number",
    list: "a list",
    dict: "a mapping",
}


def kind_of(value: Any) -> str:
    """What a YAML value is, in the words of the scenario format (never the value itself)."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    for kind, word in _KIND_WORDS.items():
        if isinstance(value, kind):
            return word
    return "a date" if isinstance(value, datetime.date) else f"a {type(value).__name__}"


def _either(kinds: tuple[type, ...]) -> str:
    """``a string or a number``: an integer is a number too, so a float beside int says it all."""
    words = [_KIND_WORDS.get(k, k.__name__) for k in kinds if not (k is int and float in kinds)]
    return ", ".join(words[:-1]) + f" or {words[-1]}" if len(words) > 1 else words[0]


#: How much of a YAML file :func:`looks_like_scenario` reads: the top-level keys come early.
_SNIFF_BYTES = 64 << 10
_TOP_KEY = re.compile(rb"^(steps|device)\s*:", re.MULTILINE)


def looks_like_scenario(path: Path) -> bool:
    """Whether a YAML file is meant as a scenario: it has top-level ``device:`` and ``steps:``.

    Org files (``org_url``, ``endpoint_management``) and matrix files (``devices``, ``cross``)
    have neither, so they may sit next to scenarios; a scenario with a typo elsewhere still
    counts as one, loads, and fails loudly. Only the first 64 KiB are read, without parsing, so
    sniffing every YAML file of a pytest run costs next to nothing.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        return False
    return {m.group(1) for m in _TOP_KEY.finditer(head)} == {b"steps", b"device"}


def load_scenario(path: str | Path, *, org_override: OrgSpec | None = None) -> Scenario:
    """Load one scenario file. ``org_override`` replaces its org (``attestlab run --org``)."""
    path = Path(path)
    return parse_scenario(read_scenario_doc(path), path, org_override=org_override)


def read_scenario_doc(path: Path) -> YamlDoc:
    """The YAML document of a scenario file, before validation (the runner looks at it first to
    tell scenarios from the org and matrix files kept next to them)."""
    try:
        return read_yaml_file(path, what="scenario")
    except ConfigError as exc:
        raise InputError(str(exc)) from None


def parse_scenario(doc: YamlDoc, path: Path, *, org_override: OrgSpec | None = None) -> Scenario:
    c = _Checker(doc)
    top = c.mapping(doc.data, (), _TOP)
    if not top:
        raise c.fail((), "empty scenario: needs 'org', 'device' and 'steps'")
    for required in ("device", "steps"):
        if required not in top:
            raise c.fail((), f"missing required field '{required}'")
    if org_override is None and "org" not in top:
        raise c.fail((), "missing required field 'org' (a path to an org file, or the org inline)")
    name = str(c.typed(top.get("name", path.stem), ("name",), str))
    tags = tuple(c.strings(top.get("tags", []), ("tags",)))
    org = org_override or _org(c, top["org"], path)
    device = _device(c, top["device"])
    steps = tuple(_step(c, raw, i, device.platform) for i, raw in enumerate(c.typed(top["steps"], ("steps",), list)))
    if not steps and device.source is None:
        raise c.fail(("steps",), "a scenario needs at least one step")
    _check_config_names(c, org, steps)
    _check_secret_refs(c, org, device, steps)
    return Scenario(
        name=name,
        path=str(path),
        description=(c.text(top.get("description"), ("description",)) or "").strip(),
        tags=tags,
        org=org,
        device=device,
        steps=steps,
        skip=c.text(top.get("skip"), ("skip",)) or None,
    )


@functools.lru_cache(maxsize=64)
def _org_file(path: Path) -> OrgSpec:
    return read_org_file(path)[0]


def _org(c: _Checker, value: Any, scenario_path: Path) -> OrgSpec:
    if isinstance(value, str):
        try:
            org_path = (scenario_path.parent / value).resolve()
            found = org_path.is_file()
        except OSError as exc:  # a name over 255 bytes...
            raise c.fail(("org",), f"org file: {os_error_text(exc)}") from None
        except ValueError:
            raise c.fail(("org",), "org file: the path holds a NUL character") from None
        if not found:
            raise c.fail(("org",), f"org file {shown(value)} not found (relative to the scenario)")
        try:
            return _org_file(org_path)
        except ConfigError as exc:
            raise InputError(str(exc)) from None
    if isinstance(value, dict):
        try:
            return parse_org_spec(value, c.doc, ("org",))
        except ConfigError as exc:
            raise InputError(str(exc)) from None
    raise c.fail(("org",), "expected a path to an org file or an inline org mapping")


def _device(c: _Checker, value: Any) -> DeviceSpec:
    d = c.mapping(value, ("device",), _DEVICE)
    if "platform" not in d:
        raise c.fail(("device",), "missing required field 'platform' (android or ios)")
    platform = Platform(c.choice(d["platform"], ("device", "platform"), [p.value for p in Platform]))
    placements = ANDROID_PLACEMENTS if platform is Platform.ANDROID else IOS_PLACEMENTS
    placement = c.choice(d.get("okta_verify", placements[0]), ("device", "okta_verify"), placements)
    flags: dict[str, bool] = {}
    for key in ("enrolled", "secure_folder", "supervised", "management_rejected"):
        if key in d:
            flags[key] = c.typed(d[key], ("device", key), bool)
    text = {
        k: str(c.typed(d[k], ("device", k), (str, int, float)))
        for k in ("model", "os_version", "manufacturer")
        if k in d
    }
    source = c.typed(d["source"], ("device", "source"), str) if "source" in d else None
    key_algorithm = None
    if "key_algorithm" in d:
        if platform is not Platform.ANDROID:
            raise c.fail(("device", "key_algorithm"), "only Android has a choice of key (iOS signs ES256)")
        key_algorithm = c.choice(d["key_algorithm"], ("device", "key_algorithm"), KEY_ALGORITHMS)
    emm = _emm(c, d["emm"], platform) if d.get("emm") is not None else None
    if source is not None:
        if emm is not None or "okta_verify" in d:
            raise c.fail(
                ("device", "source"), "a device read from a source has no 'emm' or 'okta_verify': the capture says"
            )
        from harness.sources import parse_spec

        try:
            parse_spec(source)
        except InputError as exc:
            raise c.fail(("device", "source"), str(exc)) from None
    return DeviceSpec(
        platform,
        text.get("model"),
        text.get("os_version"),
        text.get("manufacturer"),
        okta_verify=placement,
        key_algorithm=key_algorithm,
        emm=emm,
        source=source,
        **flags,
    )


def _emm(c: _Checker, value: Any, platform: Platform) -> EMMSpec:
    path = ("device", "emm")
    e = c.mapping(value, path, _EMM)
    provider = c.choice(e.get("provider"), (*path, "provider"), PROVIDERS)
    settings = c.settings(e.get("settings"), (*path, "settings"), _EMM_SETTINGS[provider])
    ios = c.settings(e.get("ios"), (*path, "ios"), _IOS_SETTINGS)
    sources = [k for k in ("config", "config_json", "config_xml") if k in e]
    if len(sources) > 1:
        raise c.fail((*path, sources[1]), "give only one of config, config_json, config_xml")
    config: dict[str, Any] = {}
    try:
        if "config" in e:
            config = c.config(e["config"], (*path, "config"), platform)
        elif "config_json" in e:
            config = parse_android_json(
                c.typed(e["config_json"], (*path, "config_json"), str), name=c.doc.where((*path, "config_json"))
            )
        elif "config_xml" in e:
            from harness.parsers.ios_plists import parse_intune_ios_xml  # plistlib, XML: ~15 ms of start-up

            xml = c.typed(e["config_xml"], (*path, "config_xml"), str).encode("utf-8")
            # Plain dicts and lists: ``${secret:NAME}`` is found and substituted by walks over
            # dict/list; the EMM's AppConfig gives string arrays back their tuple type.
            config = parse_intune_ios_xml(xml, name=c.doc.where((*path, "config_xml"))).to_plain()
    except (ConfigError, ParseError) as exc:
        raise InputError(str(exc)) from None
    custom_path = (*path, "custom_values")
    custom = {
        str(c.typed(k, custom_path, str)): str(c.typed(v, (*custom_path, k), (str, int, float)))
        for k, v in c.mapping(e.get("custom_values"), custom_path, set(e.get("custom_values") or {})).items()
    }
    return EMMSpec(provider, dict(settings), dict(ios), dict(config), custom)


def _step(c: _Checker, raw: Any, index: int, platform: Platform) -> Step:
    path: tuple[str | int, ...] = ("steps", index)
    if not isinstance(raw, dict):
        if isinstance(raw, str) and raw in ACTIONS:
            raw = {raw: None}
        else:
            raise c.fail(path, f"unknown step {shown(raw)} (allowed: {', '.join(ACTIONS)})")
    actions = [k for k in raw if k != "expect"]
    if len(actions) != 1 or actions[0] not in ACTIONS:
        named = ", ".join(map(shown, actions)) or "nothing"
        raise c.fail(path, f"unknown step {named} (allowed: {', '.join(ACTIONS)})")
    action = actions[0]
    args = _step_args(c, action, raw[action], (*path, action), platform)
    if raw.get("expect") is not None and action not in _EXPECT:
        raise c.fail((*path, "expect"), f"only sign_in and check_inventory steps have expectations, not {action}")
    expect = _expectation(c, raw["expect"], (*path, "expect"), action) if raw.get("expect") is not None else None
    return Step(action, args, expect, c.doc.line(path))


def _step_args(c: _Checker, action: str, value: Any, path: tuple[str | int, ...], platform: Platform) -> dict[str, Any]:
    if action in ("reset_secret", "delete_platform"):
        return {"name": c.typed(value, path, str)}
    if action == "sign_in":
        args = c.mapping(value, path, {"browser", "attack", "private_browsing"})
        if "attack" in args:
            c.choice(args["attack"], (*path, "attack"), ATTACKS)
        if "browser" in args:
            c.choice(args["browser"], (*path, "browser"), ("work", "personal"))
        if "private_browsing" in args:
            c.typed(args["private_browsing"], (*path, "private_browsing"), bool)
        return dict(args)
    if action == "emm_push":
        args = c.mapping(value, path, {"config"})
        if "config" in args:
            c.config(args["config"], (*path, "config"), platform)
        return dict(args)
    if action == "add_platform":
        args = c.mapping(value, path, {"name", "platform", "provider", "enrollment_link", "secret"})
        for key in ("name", "platform", "provider", "enrollment_link"):
            if key not in args:
                raise c.fail(path, f"add_platform needs '{key}'")
        c.choice(args["platform"], (*path, "platform"), [p.value for p in Platform])
        for key in ("name", "provider", "enrollment_link", "secret"):
            if key in args:
                c.typed(args[key], (*path, key), str)
        return dict(args)
    if action == "install_okta_verify":
        args = c.mapping(value, path, {"profile", "origin", "enroll"})
        if "profile" in args:
            c.choice(args["profile"], (*path, "profile"), ("work", "personal"))
        if "origin" in args:
            c.choice(args["origin"], (*path, "origin"), ("emm", "user"))
        if "enroll" in args:
            c.typed(args["enroll"], (*path, "enroll"), bool)
        return dict(args)
    if action == "pause_work_profile":
        return {"paused": c.typed(True if value is None else value, path, bool)}
    # move_to_work_profile, take_over_app, check_inventory, delete_device, reenroll_okta_verify
    if value is not None and value != {}:
        raise c.fail(path, f"{action} takes no argument, got {kind_of(value)}")
    return {}


def _expectation(c: _Checker, value: Any, path: tuple[str | int, ...], action: str) -> Expectation:
    e = c.mapping(value, path, _EXPECT[action])
    decision = c.choice(e["decision"], (*path, "decision"), [o.value for o in Outcome]) if "decision" in e else None
    reason = c.choice(e["reason"], (*path, "reason"), [r.value for r in Reason]) if "reason" in e else None
    findings = tuple(
        c.choice(f, (*path, "findings", i), [x.value for x in FindingCode])
        for i, f in enumerate(c.typed(e.get("findings", []), (*path, "findings"), list))
    )
    status = c.choice(e["status"], (*path, "status"), _STATUS) if "status" in e else None
    remediation = None
    absent = "remediation" in e and e["remediation"] is None
    if e.get("remediation") is not None:
        remediation = dict(c.mapping(e["remediation"], (*path, "remediation"), _REMEDIATION))
        for key, value in remediation.items():
            if value is not None:
                c.typed(value, (*path, "remediation", key), int if key == "http_status" else str)
    access = c.typed(e["access"], (*path, "access"), bool) if "access" in e else None
    return Expectation(decision, reason, access, remediation, absent, findings, status)


def _listed(names: set[str]) -> str:
    """Configuration names for "have: ...", each redacted where it could be a secret key."""
    return ", ".join(redact(n) if could_be_secret(n) else n for n in sorted(names)) or "none"


def _check_config_names(c: _Checker, org: OrgSpec, steps: tuple[Step, ...]) -> None:
    """Steps that name a configuration must name one that exists at that point of the scenario."""
    names = {cfg.name for cfg in org.endpoint_management}
    for i, step in enumerate(steps):
        path = ("steps", i, step.action)
        if step.action == "add_platform":
            name = str(step.args["name"])
            if name in names:
                raise c.fail((*path, "name"), f"configuration {shown(name)} already exists")
            if "secret" in step.args:
                try:
                    check_existing_key(str(step.args["secret"]))
                except ConfigError as exc:
                    raise c.fail((*path, "secret"), str(exc)) from None
            names.add(name)
        elif step.action in ("reset_secret", "delete_platform"):
            name = step.args["name"]
            if name not in names:
                raise c.fail(path, f"no configuration named {shown(name)} (have: {_listed(names)})")
            if step.action == "delete_platform":
                names.discard(name)


def _check_secret_refs(c: _Checker, org: OrgSpec, device: DeviceSpec, steps: tuple[Step, ...]) -> None:
    """``${secret:NAME}`` must name a configuration whose secret the scenario can know."""
    known = {cfg.name for cfg in org.endpoint_management if cfg.secret is not None}
    known |= {s.args["name"] for s in steps if s.action == "add_platform"}
    hashed = {cfg.name for cfg in org.endpoint_management if cfg.secret is None}

    def refs(value: Any) -> list[str]:
        if isinstance(value, str):
            return SECRET_REF.findall(value)
        if isinstance(value, dict):
            return [r for v in value.values() for r in refs(v)]
        if isinstance(value, list | tuple):
            return [r for v in value for r in refs(v)]
        return []

    configs: list[tuple[tuple[str | int, ...], Any]] = [
        (("device", "emm", "config"), device.emm.config if device.emm else {})
    ]
    configs += [(("device", "emm", "custom_values"), device.emm.custom_values if device.emm else {})]
    configs += [(("steps", i, "emm_push", "config"), s.args.get("config", {})) for i, s in enumerate(steps)]
    for path, config in configs:
        for name in refs(config):
            if name in hashed:
                raise c.fail(path, f"${{secret:{name}}}: the org gives only secret_sha256 for {name!r}")
            if name not in known:
                raise c.fail(
                    path,
                    f"${{secret:NAME}}: no configuration named {shown(name)} (have: {_listed(known)})",
                )
