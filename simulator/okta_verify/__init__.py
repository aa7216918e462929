"""Okta Verify, emulated: where it is installed, what configuration it reads, how it answers.

:class:`~simulator.okta_verify.agent.OktaVerify` is one installation of the app; the loopback
channel (:mod:`simulator.okta_verify.loopback`) is how a browser on the same device reaches it.
"""

from simulator.okta_verify.agent import InProcessVerifier, OktaVerify, VerifierClient

__all__ = ["InProcessVerifier", "OktaVerify", "VerifierClient"]
