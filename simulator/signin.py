"""One FastPass sign-in on a phone, end to end: the org challenges, a link opens Okta Verify.

Phones do not use the loopback server of the desktop apps: okta-signin-widget
(``ChallengeViewUtil.js``) knows the challenge methods ``LOOPBACK``, ``CUSTOM_URI``,
``UNIVERSAL_LINK`` and ``APP_LINK``, and the org picks an **app link** for Android and a
**universal link** for iOS (``Org.start_sign_in`` says which). The link is opened by the OS:
on Android it resolves inside the browser's own profile, so it opens the Okta Verify of that
profile, and nothing answers when that profile has none (the widget keeps waiting; Okta records
no answer). In private browsing (Incognito) links do not open native apps at all (okta-help
``devices/known-issues.htm``: Android; iOS, Chromium browsers).
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.device import AndroidDevice, AnyDevice
from simulator.okta_verify.agent import OktaVerify
from simulator.verdict import Decision, Reason
from simulator.verifier.org import Org


@dataclass(frozen=True, slots=True)
class Browser:
    """Where the sign-in runs: the Android user (profile) of the browser, and private mode."""

    user: int | None = None
    private: bool = False


def default_browser(device: AnyDevice, agents: list[OktaVerify] | None = None) -> Browser:
    """Where a sign-in runs unless a step says: the work profile's browser (work apps open work
    Chrome) when Okta Verify is there or nowhere; otherwise the browser of the profile whose
    Okta Verify the user set up (an account is added from that profile's browser). A paused work
    profile's browser cannot run: then only the personal one is left."""
    if not isinstance(device, AndroidDevice):
        return Browser()
    work = device.work_profile
    users = [a.user_id for a in agents or []]
    if work is not None and not work.paused and (work.id in users or not users):
        return Browser(work.id)
    return Browser(users[0] if users else 0)


def open_link(device: AnyDevice, agents: list[OktaVerify], browser: Browser) -> OktaVerify | None:
    """The copy of Okta Verify the app link / universal link opens, or None when none does."""
    if browser.private:
        return None
    if isinstance(device, AndroidDevice):
        user = browser.user if browser.user is not None else default_browser(device, agents).user
        return next((a for a in agents if a.user_id == user), None)
    return agents[0] if agents else None


def why_unanswered(device: AnyDevice, agents: list[OktaVerify], browser: Browser) -> str:
    """The detail recorded with an unanswered sign-in (Okta itself only sees no answer)."""
    if browser.private:
        return "private browsing: the link did not open Okta Verify"
    if isinstance(device, AndroidDevice) and agents:
        return f"no Okta Verify in the browser's profile (user {browser.user})"
    return "Okta Verify is not installed"


def sign_in(org: Org, device: AnyDevice, agents: list[OktaVerify], browser: Browser) -> Decision:
    """Run one sign-in and return the org's decision."""
    attempt = org.start_sign_in(device.platform)
    if attempt.decision is not None:
        return attempt.decision
    assert attempt.transaction_id is not None and attempt.challenge is not None
    tx = attempt.transaction_id
    agent = open_link(device, agents, browser)
    if agent is None:
        return org.abandon(tx, Reason.APP_NOT_INSTALLED, why_unanswered(device, agents, browser))
    answer = agent.answer(attempt.challenge)
    decided = org.result(tx)
    if decided is not None:
        return decided
    if answer.status == 404:
        return org.abandon(tx, Reason.NOT_REGISTERED, "Okta Verify has no account for this org")
    return org.abandon(tx, Reason.CHALLENGE_INVALID)
