"""MDM exports as admins get them out of their EMM, for tests: shapes from the vendors' documentation.

* Microsoft Graph ``iosMobileAppConfiguration`` (learn.microsoft.com, "iosMobileAppConfiguration
  resource type", "appConfigurationSettingItem": ``settings[]`` of ``appConfigKey``,
  ``appConfigKeyType`` (stringType, integerType, realType, booleanType, tokenType),
  ``appConfigKeyValue``; or ``encodedSettingXml``, base64);
* Workspace ONE UEM MAM v2 assignment rules (``assignments[].application_configuration[]`` of
  ``key``, ``value``, ``type``), as its API explorer shows them;
* an Intune "Enter XML data" dictionary;
* a Credential SSO extension profile (Apple ``com.apple.extensiblesso``), signed with CMS or not.
"""

from __future__ import annotations

import datetime
import json
import plistlib
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from simulator.ids import OKTA_SSO_EXTENSION_IOS

SECRET = "Vh8~pLq2Zt_7mXc9Rb4.Ks1Nw6Jd3Fy5Ga0Ue"
INTUNE_XML = (
    "<dict><key>managementHint</key><string>" + SECRET + "</string>"
    "<key>OktaVerify.OrgUrl</key><string>https://acme.okta.com</string></dict>"
)


def graph_export(**overrides: Any) -> bytes:
    """A Graph ``GET /deviceAppManagement/mobileAppConfigurations/{id}`` answer (configuration designer)."""
    doc = {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#deviceAppManagement/mobileAppConfigurations/$entity",
        "@odata.type": "#microsoft.graph.iosMobileAppConfiguration",
        "id": "0c6a3a3b-5c0e-4a8e-9a8b-2f6d1a0e9b11",
        "targetedMobileApps": ["8a9f5d3e-1c2b-4e6f-9a0d-3b7c5e1f2a4d"],
        "createdDateTime": "2026-01-05T10:00:00Z",
        "lastModifiedDateTime": "2026-01-05T10:00:00Z",
        "description": "",
        "displayName": "Okta Verify iOS",
        "version": 2,
        "encodedSettingXml": None,
        "settings": [
            {
                "@odata.type": "#microsoft.graph.appConfigurationSettingItem",
                "appConfigKey": "managementHint",
                "appConfigKeyType": "stringType",
                "appConfigKeyValue": SECRET,
            },
            {
                "@odata.type": "#microsoft.graph.appConfigurationSettingItem",
                "appConfigKey": "deviceSerial",
                "appConfigKeyType": "tokenType",
                "appConfigKeyValue": "{{serialnumber}}",
            },
            {
                "@odata.type": "#microsoft.graph.appConfigurationSettingItem",
                "appConfigKey": "retries",
                "appConfigKeyType": "integerType",
                "appConfigKeyValue": "3",
            },
            {
                "@odata.type": "#microsoft.graph.appConfigurationSettingItem",
                "appConfigKey": "strict",
                "appConfigKeyType": "booleanType",
                "appConfigKeyValue": "true",
            },
        ],
    }
    return json.dumps(doc | overrides, indent=2).encode()


def ws1_export(configuration: list[dict[str, Any]] | None = None) -> bytes:
    """Workspace ONE MAM v2 assignment rules, as the API returns them for Okta Verify."""
    items = configuration or [
        {"key": "managementHint", "value": SECRET, "type": "STRING", "id": 11, "uuid": "a0f4..."},
        {"key": "OktaVerify.OrgUrl", "value": "https://acme.okta.com", "type": "STRING", "id": 12},
    ]
    return json.dumps(
        {
            "assignments": [
                {
                    "priority": 0,
                    "distribution": {"name": "All iOS", "smart_groups": ["c687..."], "app_delivery_method": "AUTO"},
                    "restriction": {"make_app_mdm_managed": "true", "managed_access": "true"},
                    "application_configuration": items,
                },
                {"priority": 1, "distribution": {"name": "Pilot"}, "application_configuration": []},
            ],
            "excluded_smart_groups": [],
        }
    ).encode()


def sso_profile(extension_data: dict[str, Any] | None = None, identifier: str = "com.acme.okta.sso") -> bytes:
    payload: dict[str, Any] = {
        "PayloadType": "com.apple.extensiblesso",
        "PayloadIdentifier": f"{identifier}.payload",
        "PayloadUUID": "8C1E2D3F-0000-4000-8000-000000000001",
        "PayloadVersion": 1,
        "ExtensionIdentifier": OKTA_SSO_EXTENSION_IOS,
        "TeamIdentifier": "B7F62B65BN",
        "Type": "Credential",
        "Realm": "Okta Device",
        "Hosts": ["acme.okta.com"],
    }
    if extension_data is not None:
        payload["ExtensionData"] = extension_data
    return plistlib.dumps(
        {
            "PayloadType": "Configuration",
            "PayloadIdentifier": identifier,
            "PayloadUUID": "8C1E2D3F-0000-4000-8000-000000000000",
            "PayloadDisplayName": "Okta Device SSO",
            "PayloadVersion": 1,
            "PayloadContent": [payload],
        }
    )


def sign(content: bytes) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Acme MDM profile signing")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime.datetime(2026, 1, 1))
        .not_valid_after(datetime.datetime(2027, 1, 1))
        .sign(key, hashes.SHA256())
    )
    return (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(content)
        .add_signer(cert, key, hashes.SHA256())
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )
