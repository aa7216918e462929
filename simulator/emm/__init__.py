"""How Workspace ONE UEM and Microsoft Intune put Okta Verify and its configuration on a phone."""

from simulator.emm.base import EMM, AndroidMode, IOSAppSettings
from simulator.emm.intune import EnrollmentType, Intune
from simulator.emm.workspace_one import Delivery, WorkspaceOne

__all__ = ["EMM", "AndroidMode", "Delivery", "EnrollmentType", "IOSAppSettings", "Intune", "WorkspaceOne"]
