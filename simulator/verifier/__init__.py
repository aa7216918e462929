"""The Okta org as a verifier: endpoint-management configurations, policy, devices, challenges.

:class:`~simulator.verifier.org.Org` is the entry point; :func:`~simulator.verifier.orgfile.load_org`
builds one from an org file (DESIGN.md §2).
"""

from simulator.verifier.configs import EndpointConfig, MultipleConfigs
from simulator.verifier.org import Org, Policy, SignInAttempt

__all__ = ["EndpointConfig", "MultipleConfigs", "Org", "Policy", "SignInAttempt"]
