"""The iOS requests of the capture format (DESIGN.md §2), named once for every module that asks them.

A live device (:mod:`harness.sources.ios_device`) answers the device's own; the MDM's (``mdm.*``)
come from ``--mdm`` files (:mod:`harness.sources.mdm`) or a capture, and are optional: their
absence is something the verdict could not check, not an error.
"""

from __future__ import annotations

LOCKDOWN = "lockdown.all_values"
APPS = "installation_proxy.browse"
PROFILES = "mcinstall.get_profile_list"
CLOUD = "mcinstall.get_cloud_configuration"
#: What the device itself answers a paired host.
DEVICE_REQUESTS = (LOCKDOWN, APPS, PROFILES, CLOUD)

MDM_PREFIX = "mdm."
MDM_APPS = "mdm.managed_application_list"
MDM_CONFIG = "mdm.managed_application_configuration"
MDM_PROFILES = "mdm.profile_list"
#: The SSO extension's configuration profile as the MDM holds it (its payload, with the
#: extension data ``ProfileList`` does not show): the content of the ``.mobileconfig``.
MDM_SSO_PROFILE = "mdm.sso_extension_profile"
MDM_REQUESTS = (MDM_APPS, MDM_CONFIG, MDM_PROFILES, MDM_SSO_PROFILE)
