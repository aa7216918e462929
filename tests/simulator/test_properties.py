"""Properties of the whole chain, for any secret Okta would accept as an existing key.

- it round-trips EMM -> device -> Okta Verify -> org as managed, for both EMMs and platforms;
- any one-character change of the value, or of the key, is not managed;
- it never appears in the repr/str of anything holding it, in log output, or in error text.

Each example builds one org (both platforms configured with the example's secret) and runs the
four platform x EMM combinations against it.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harness import strategies as al
from harness.parsers.ios_plists import parse_intune_ios_xml
from simulator.chain import Chain
from simulator.clock import SimClock
from simulator.device import JAVA_TRIMMED, AnyDevice, AppOrigin, IOSDevice, Platform
from simulator.emm import EMM, Intune, IOSAppSettings, WorkspaceOne
from simulator.emm.intune import parse_android_json
from simulator.errors import AttestlabError
from simulator.factory import Factory
from simulator.ids import MANAGEMENT_HINT, OKTA_VERIFY_IOS
from simulator.secret import Secret, redact
from simulator.verdict import Decision, Outcome, Reason
from simulator.verifier import Org
from simulator.verifier.configs import check_existing_key
from simulator.verifier.orgfile import build_org, parse_org_spec
from simulator.yamlfile import load_yaml
from tests.helpers import examples

PLATFORMS = (Platform.ANDROID, Platform.IOS)
EMMS: tuple[type[EMM], ...] = (Intune, WorkspaceOne)
COMBINATIONS = [(p, e) for p in PLATFORMS for e in EMMS]

#: Exactly what "Use existing key" accepts, as the public strategy draws it.
SECRETS = al.secrets()
#: Every character a key may hold, in one key (the public strategy's short keys need ~40 examples
#: to show them all), and the longest key.
EVERY_CHARACTER = "".join(map(chr, range(0x21, 0x7F)))
LONGEST = "~" * 256
#: Characters an edit may introduce: any Unicode, including lone surrogates (valid JSON escapes).
EDIT_CHARS = st.one_of(st.characters(), st.sampled_from(["\ud800", "\udfff", " ", "\t", "\0"]))

# Budgets: each example runs four sign-ins (RSA-signed challenges and answers), ~25 ms of CPU.
# What the secret's characters can break (escaping on the way through restrictions XML/ABX,
# plists, JSON, YAML) is shown by the explicit examples of every character and the longest key;
# the drawn ones add combinations.
PROPERTY = settings(max_examples=examples(25), deadline=None)


def _factory() -> Factory:
    """What ``attestlab_factory`` gives a test, made anew for each example: Hypothesis runs many
    examples in one test call, and each must start from the same seed and time."""
    return Factory(random.Random(0), SimClock())


def _org(secret: str, lab: Factory) -> Org:
    org = lab.org()
    for platform in PLATFORMS:
        org.add_platform(
            platform, "Provider", "https://enroll.example.com/", existing_key=secret, name=f"config-{platform.value}"
        )
    return org


def _sign_in(org: Org, platform: Platform, emm: EMM, lab: Factory) -> tuple[Decision, AnyDevice, Chain]:
    device = lab.device(platform, emm)
    chain = lab.chain(org, device)
    return chain.sign_in(), device, chain


def _position(last: int) -> st.SearchStrategy[int]:
    """0 to ``last``, half the time one of the ends, where Android's trimming makes an edit
    harmless: with uniform positions 40 examples drew that case 0 to 2 times, 25 now 0 to 6."""
    return st.sampled_from(sorted({0, last})) | st.integers(0, last)


@st.composite
def one_char_edit(draw: st.DrawFn, value: str) -> str:
    """``value`` with one character substituted, inserted or deleted: never equal to ``value``."""
    kind = draw(st.sampled_from(["substitute", "insert", "delete"] if value else ["insert"]))
    if kind == "insert":
        at = draw(_position(len(value)))
        return value[:at] + draw(EDIT_CHARS) + value[at:]
    at = draw(_position(len(value) - 1))
    if kind == "delete":
        return value[:at] + value[at + 1 :]
    return value[:at] + draw(EDIT_CHARS.filter(lambda c: c != value[at])) + value[at + 1 :]


# -- round trip -------------------------------------------------------------------------------


@PROPERTY
@given(secret=SECRETS)
@example(secret=EVERY_CHARACTER)
@example(secret=LONGEST)
def test_any_accepted_secret_round_trips_as_managed(secret: str) -> None:
    assert check_existing_key(secret).reveal() == secret
    lab = _factory()
    org = _org(secret, lab)

    for platform, emm_cls in COMBINATIONS:
        decision, _, chain = _sign_in(org, platform, emm_cls(configuration={MANAGEMENT_HINT: secret}), lab)

        assert decision.outcome is Outcome.MANAGED, (platform, emm_cls)
        assert decision.matched_config == f"config-{platform.value}"
        assert chain.inventory_status() is Outcome.MANAGED


# -- one-character changes --------------------------------------------------------------------


@PROPERTY
@given(data=st.data(), secret=SECRETS)
def test_one_character_change_of_the_value_is_a_mismatch(data: st.DataObject, secret: str) -> None:
    lab = _factory()
    org = _org(secret, lab)

    for platform, emm_cls in COMBINATIONS:
        edited = data.draw(one_char_edit(secret), label=f"value for {platform.value}/{emm_cls.__name__}")
        decision, _, _ = _sign_in(org, platform, emm_cls(configuration={MANAGEMENT_HINT: edited}), lab)

        if platform is Platform.ANDROID and edited.strip(JAVA_TRIMMED) == secret:
            # Android reads restrictions back trimmed (UserManagerService.readEntry): a space or
            # control character added at either end never reaches Okta Verify.
            assert decision.outcome is Outcome.MANAGED
            continue
        assert decision.outcome is Outcome.NOT_MANAGED
        assert decision.reason is Reason.HINT_MISMATCH


@pytest.mark.slow
@PROPERTY
@given(data=st.data(), secret=SECRETS)
def test_one_character_change_of_the_key_is_not_managed(data: st.DataObject, secret: str) -> None:
    lab = _factory()
    org = _org(secret, lab)

    for platform, emm_cls in COMBINATIONS:
        key = data.draw(one_char_edit(MANAGEMENT_HINT), label=f"key for {platform.value}/{emm_cls.__name__}")
        decision, _, chain = _sign_in(org, platform, emm_cls(configuration={key: secret}), lab)

        assert chain.agents[0].managed_config()[key] == secret  # delivered, under the wrong key
        assert decision.outcome is Outcome.NOT_MANAGED
        assert decision.reason is Reason.NO_HINT


# -- the secret never leaks -------------------------------------------------------------------


def _provoked_errors(secret: str) -> Iterator[str]:
    """Text of every error a secret can be fed into."""
    attempts: list[Any] = [
        lambda: check_existing_key(secret + " "),
        lambda: check_existing_key(secret * (256 // len(secret) + 1)),
        lambda: check_existing_key(secret[:7]),
        lambda: parse_intune_ios_xml(_dict(f"<integer>{_xml(secret)}</integer>"), name="x"),
        lambda: parse_intune_ios_xml(_dict(f"<date>{_xml(secret)}</date>"), name="x"),
        lambda: parse_intune_ios_xml(_dict(f"<real>{_xml(secret)}</real>"), name="x"),
        lambda: parse_intune_ios_xml(f"<plist><string>{_xml(secret)}</string></plist>".encode(), name="x"),
        lambda: parse_intune_ios_xml(f"<dict><string>{_xml(secret)}</string></dict>".encode(), name="x"),
        lambda: parse_intune_ios_xml(
            _dict(f"<string>{_xml(secret)}</string><key>managementHint</key><string>{_xml(secret)}</string>"), name="x"
        ),
        lambda: parse_android_json(
            json.dumps({"managedProperty": [{"key": MANAGEMENT_HINT, "valueString": secret, "valueBool": True}]}),
            name="x",
        ),
        lambda: parse_android_json('{"managedProperty": [{"key": "k", "valueString": "' + secret, name="x"),
    ]
    quoted = json.dumps(secret)
    org_files = [
        f"secret: {quoted}\n    secret_sha256: {'0' * 64}",  # both
        f"secret: {quoted}\n    colour: {quoted}",  # unknown field
        f"secret: {quoted}\n    secret: {quoted}",  # duplicate key
        f"secret: {quoted}\n    platform: {quoted}",  # duplicate key, secret as the value
        f"secret: !{secret}",  # unquoted: a tag
        f"secret: *{secret}",  # unquoted: an alias
        f"secret: {secret}",  # unquoted: whatever YAML makes of it
        f"secret: [{secret}",  # broken flow sequence
    ]
    for body in org_files:
        text = (
            "org_url: https://example.okta.com\nendpoint_management:\n  - name: a\n    platform: android\n"
            f"    provider: P\n    enrollment_link: https://e.example.com/\n    {body}\n"
        )
        attempts.append(lambda text=text: _load_org_text(text))
    for attempt in attempts:
        try:
            attempt()
        except AttestlabError as exc:
            yield str(exc)
            yield repr(exc)


def _load_org_text(text: str) -> None:
    doc = load_yaml(text, name="org.yaml")
    build_org(parse_org_spec(doc.data, doc))


def _xml(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _dict(value: str) -> bytes:
    """Intune's bare ``<dict>`` with ``value`` (an element) as the ``managementHint``."""
    return f"<dict><key>managementHint</key>{value}</dict>".encode()


def _whole_flow_text(secret: str, caplog: pytest.LogCaptureFixture) -> str:
    """repr/str of every object that holds ``secret``, the logs of the flow, and error texts."""
    lab = _factory()
    caplog.clear()
    shown: list[object] = []
    with caplog.at_level(logging.DEBUG, logger="simulator"):
        org = _org(secret, lab)
        shown += [org, *org.configs, Secret(secret)]
        for platform, emm_cls in COMBINATIONS:
            ios = IOSAppSettings(hint_in_sso_extension=True)  # the hint in a profile payload too
            emm = emm_cls(configuration={MANAGEMENT_HINT: secret, "domainName": secret}, ios=ios)
            decision, device, chain = _sign_in(org, platform, emm, lab)
            agents = chain.agents
            shown += [emm, ios, device, device.identity, chain, decision, *agents]
            shown += [e for a in agents for e in a.enrollments.values()]
            shown += [a.managed_config() for a in agents]
            if isinstance(device, IOSDevice):
                shown += [device.app(OKTA_VERIFY_IOS), *device.profiles]
            # a refused sign-in logs the hint it saw; a reset logs the configuration
            org.reset_secret(f"config-{platform.value}")
            shown.append(chain.sign_in())
        spec_text = (
            "org_url: https://example.okta.com\nendpoint_management:\n  - name: a\n    platform: ios\n"
            f"    provider: P\n    enrollment_link: https://e.example.com/\n    secret: {json.dumps(secret)}\n"
        )
        doc = load_yaml(spec_text, name="org.yaml")
        spec = parse_org_spec(doc.data, doc)
        file_org, revealed = build_org(spec, rng=lab.rng)
        shown += [spec, *spec.endpoint_management, file_org, *revealed.values(), revealed]
        errors = list(_provoked_errors(secret))
    assert caplog.records, "the flow logs nothing: the log check would be vacuous"
    assert redact(secret) in caplog.text  # the hint is logged, redacted
    logs = [caplog.text, *(r.getMessage() for r in caplog.records)]
    return "\n".join([*(repr(o) for o in shown), *(str(o) for o in shown), *logs, *errors])


@pytest.mark.slow
@settings(max_examples=examples(20), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=SECRETS)
@example(secret=EVERY_CHARACTER)
def test_secret_never_appears_in_repr_logs_or_errors(secret: str, caplog: pytest.LogCaptureFixture) -> None:
    text = _whole_flow_text(secret, caplog)

    if secret in text:
        # Only a leak if it is there because of the secret: the same flow run with another
        # secret of the same length must not show this string too (short strings like
        # ``00000000`` can occur in generated ids by chance).
        other = ("R" if secret[0] == "Q" else "Q") * len(secret)
        assert secret in _whole_flow_text(other, caplog), f"secret leaked: {redact(secret)}"


def test_user_installed_ios_app_leaks_nothing_either(caplog: pytest.LogCaptureFixture) -> None:
    """An explicit case of the above for the path where the configuration is refused."""
    secret = "3zr7Q~vw4C16FS2bH8UfS1gJ5cL6sj~x_U9PQ"
    lab = _factory()
    org = _org(secret, lab)
    device = lab.device(Platform.IOS)
    assert isinstance(device, IOSDevice)
    device.install(OKTA_VERIFY_IOS, AppOrigin.USER)
    emm = WorkspaceOne(
        configuration={MANAGEMENT_HINT: secret}, ios=IOSAppSettings(make_managed_if_user_installed=False)
    )
    with caplog.at_level(logging.DEBUG, logger="simulator"):
        emm.apply(device)
        decision = lab.chain(org, device).sign_in()

    assert decision.reason is Reason.APP_NOT_MANAGED
    assert caplog.records
    assert secret not in caplog.text + repr(device) + repr(emm) + repr(decision)
