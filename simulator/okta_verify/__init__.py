"""Okta Verify, emulated: where it is installed, what configuration it reads, how it answers.

:class:`~simulator.okta_verify.agent.OktaVerify` is one installation of the app. On a phone the
browser reaches it through an app link (Android) or a universal link (iOS), which opens the copy
of the browser's own profile (:mod:`simulator.signin`).
"""

from simulator.okta_verify.agent import InProcessVerifier, OktaVerify, VerifierClient

__all__ = ["InProcessVerifier", "OktaVerify", "VerifierClient"]
