"""iOS: only a managed app receives managed configuration; the SSO extension can carry the hint."""

from __future__ import annotations

from typing import Any

from simulator.appconfig import AppConfig
from simulator.device import AnyDevice, AppOrigin, IOSDevice, Platform
from simulator.emm import EMM, EnrollmentType, IOSAppSettings, WorkspaceOne
from simulator.factory import Factory
from simulator.ids import MANAGEMENT_HINT, OKTA_SSO_EXTENSION_IOS, OKTA_VERIFY_IOS
from simulator.verdict import Outcome, Reason


def _user_installs(device: AnyDevice) -> None:
    assert isinstance(device, IOSDevice)
    device.install(OKTA_VERIFY_IOS, AppOrigin.USER)


def test_user_installed_app_not_taken_over_is_not_managed(attestlab_factory: Factory, emm_cls: type[EMM]) -> None:
    s = attestlab_factory.provision(
        Platform.IOS,
        emm_cls,
        prepare=_user_installs,
        ios=IOSAppSettings(make_managed_if_user_installed=False),
    )
    app = s.device.app(OKTA_VERIFY_IOS)

    decision = s.chain.sign_in()

    assert app.origin is AppOrigin.USER and app.mdm_status == "UserInstalledApp"
    assert s.device.config_for(OKTA_VERIFY_IOS) == {}  # the MDM cannot configure it
    assert decision.outcome is Outcome.NOT_MANAGED
    assert decision.reason is Reason.APP_NOT_MANAGED
    assert decision.remediation is not None and decision.remediation.provider == emm_cls.provider


def test_user_installed_app_taken_over_is_managed(attestlab_factory: Factory, emm_cls: type[EMM]) -> None:
    s = attestlab_factory.provision(
        Platform.IOS,
        emm_cls,
        prepare=_user_installs,
        ios=IOSAppSettings(make_managed_if_user_installed=True),
    )

    decision = s.chain.sign_in()

    assert s.device.app(OKTA_VERIFY_IOS).origin is AppOrigin.TAKEN_OVER
    assert decision.outcome is Outcome.MANAGED


def test_configuration_left_on_an_app_that_lost_management_is_not_read(
    attestlab_factory: Factory, emm_cls: type[EMM]
) -> None:
    """iOS hands managed configuration to managed apps only, whatever is stored for the domain."""
    s = attestlab_factory.provision(Platform.IOS, emm_cls)
    assert s.chain.sign_in().outcome is Outcome.MANAGED

    s.device.app(OKTA_VERIFY_IOS).origin = AppOrigin.USER

    assert s.device.config_for(OKTA_VERIFY_IOS)[MANAGEMENT_HINT] == s.secret.reveal()
    assert s.chain.sign_in().reason is Reason.APP_NOT_MANAGED


def test_configuration_goes_to_the_app_only(attestlab_factory: Factory, emm_cls: type[EMM]) -> None:
    """Apple MDM app configuration targets managed apps (bundle ids); the SSO extension is not one."""
    s = attestlab_factory.provision(Platform.IOS, emm_cls)

    assert set(s.device.managed_config) == {OKTA_VERIFY_IOS}
    assert s.device.config_for(OKTA_SSO_EXTENSION_IOS) == {}
    assert s.chain.sign_in().outcome is Outcome.MANAGED


def test_hint_in_sso_extension_data_alone_is_managed(attestlab_factory: Factory, emm_cls: type[EMM]) -> None:
    """DOMAIN.md §6: the Credential SSO extension's extension data can carry the hint too."""
    no_app_config: dict[str, Any] = (
        {"send_configuration": False} if emm_cls is WorkspaceOne else {"enrollment_type": EnrollmentType.MANAGED_APPS}
    )
    s = attestlab_factory.provision(
        Platform.IOS, emm_cls, ios=IOSAppSettings(hint_in_sso_extension=True), **no_app_config
    )
    extension = s.device.sso_extension()

    assert s.device.config_for(OKTA_VERIFY_IOS) == {}
    assert extension is not None
    assert extension.extension_data[MANAGEMENT_HINT] == s.secret.reveal()
    assert s.chain.sign_in().outcome is Outcome.MANAGED


def test_app_config_wins_over_sso_extension_data(attestlab_factory: Factory, emm_cls: type[EMM]) -> None:
    """When both carry a hint, the app's own managed configuration is what Okta Verify sends."""
    s = attestlab_factory.provision(Platform.IOS, emm_cls, ios=IOSAppSettings(hint_in_sso_extension=True))
    assert s.chain.sign_in().outcome is Outcome.MANAGED

    s.device.managed_config[OKTA_VERIFY_IOS] = AppConfig({MANAGEMENT_HINT: "another-policy's-key"})

    assert s.chain.sign_in().reason is Reason.HINT_MISMATCH
