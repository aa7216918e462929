"""Identifiers of Okta Verify and its configuration keys (DOMAIN.md §2)."""

from __future__ import annotations

OKTA_VERIFY_ANDROID = "com.okta.android.auth"
OKTA_VERIFY_IOS = "com.okta.mobile"
OKTA_SSO_EXTENSION_IOS = "com.okta.mobile.auth-service-extension"
OKTA_TEAM_ID = "B7F62B65BN"
OKTA_SSO_REALM = "Okta Device"

#: The key Okta Verify reads its management secret from (case-sensitive).
MANAGEMENT_HINT = "managementHint"
#: Android: pre-fills the org (Okta Verify >= 6.2.0).
ANDROID_DOMAIN_KEY = "domainName"
#: iOS: pre-fills the org (Okta Verify >= 7.2.0).
IOS_ORG_URL_KEY = "OktaVerify.OrgUrl"

#: iOS preference domains the configuration must reach: the app and its SSO extension.
IOS_PREFERENCE_DOMAINS = (OKTA_VERIFY_IOS, OKTA_SSO_EXTENSION_IOS)

#: Apple configuration profile payload type of an extensible SSO (Credential SSO extension).
PAYLOAD_EXTENSIBLE_SSO = "com.apple.extensiblesso"
PAYLOAD_MDM = "com.apple.mdm"
