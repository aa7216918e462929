"""The virtual phone: a device model plus what only a live phone has (root, properties, files).

:class:`simulator.device.AndroidDevice` holds what attestation needs. A phone served over ADB
also has a root model and a file system; both are derived here from the model so that every
answer agrees with it: a restriction set in the model is a ``res_<pkg>.xml`` file, a user added
to it is listed by ``pm list users`` and has a ``/data/system/users/<id>`` directory.

Root (DOMAIN.md §5): :attr:`RootAccess.ADBD` is an emulator or userdebug build after ``adb
root`` (adbd and its shell run as uid 0: ``pull`` of ``/data/system`` works, ``su`` exists);
:attr:`RootAccess.SU` a phone rooted with a ``su`` binary (Magisk: the shell is uid 2000, ``su``
works, ``pull`` is refused); :attr:`RootAccess.NONE` a production phone (no ``su``).
"""

from __future__ import annotations

import errno
import stat
from dataclasses import dataclass, field
from enum import StrEnum

from simulator.device import AndroidDevice
from simulator.restrictions_file import restrictions_to_abx, restrictions_to_xml

USERS_DIR = "/data/system/users"
#: ``UserManager.DISALLOW_DEBUGGING_FEATURES``: the shell user may not act on this user.
SHELL_REFUSED_MESSAGE = "Shell does not have permission to access user {user}"
#: A fixed modification time for served files (2026-01-01T00:00:00Z): answers stay reproducible.
FILE_MTIME = 1767225600
SYSTEM_UID = 1000


class RootAccess(StrEnum):
    NONE = "none"
    SU = "su"
    ADBD = "adbd"


@dataclass(frozen=True, slots=True)
class FileStat:
    mode: int
    size: int
    mtime: int = FILE_MTIME
    uid: int = SYSTEM_UID
    gid: int = SYSTEM_UID


class FileAccessError(Exception):
    """A file operation the phone refuses; ``errno`` is the Linux error number."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.errno = code

    @property
    def strerror(self) -> str:
        return _STRERROR[self.errno]


#: bionic's ``strerror`` for the errors served.
_STRERROR = {
    errno.ENOENT: "No such file or directory",
    errno.EACCES: "Permission denied",
    errno.EISDIR: "Is a directory",
    errno.ENOTDIR: "Not a directory",
    errno.EROFS: "Read-only file system",
}


@dataclass(slots=True)
class Phone:
    """A device model served as a phone. ``props`` adds or overrides ``getprop`` values (a
    capture's own properties); the model's identity always wins for the keys it defines."""

    device: AndroidDevice
    root: RootAccess = RootAccess.NONE
    props: dict[str, str] = field(default_factory=dict)
    #: ``persist.sys.binary_xml``: None means Android's default, ABX from Android 12 (SDK 31).
    binary_xml: bool | None = None

    @property
    def sdk(self) -> int:
        return self.device.identity.sdk or 34

    @property
    def adbd_is_root(self) -> bool:
        return self.root is RootAccess.ADBD

    @property
    def has_su(self) -> bool:
        return self.root is not RootAccess.NONE

    def properties(self) -> dict[str, str]:
        ident = self.device.identity
        model = ident.model
        slug = "".join(c for c in model.lower() if c.isalnum()) or "generic"
        debuggable = self.adbd_is_root
        props = {
            "ro.product.name": slug,
            "ro.product.device": slug,
            "ro.product.brand": ident.manufacturer.lower(),
            "ro.build.type": "userdebug" if debuggable else "user",
            "ro.debuggable": "1" if debuggable else "0",
            "ro.secure": "1",
            "ro.adb.secure": "1",
            "persist.sys.binary_xml": "true" if self.abx else "false",
            "init.svc.adbd": "running",
            "sys.boot_completed": "1",
        }
        props |= self.props
        # What the readers decide root from (adbd keeps root after ``adb root``:
        # service.adb.root=1) follows the root model, whatever a capture said.
        props.pop("service.adb.root", None)
        if debuggable:
            props["service.adb.root"] = "1"
        props |= {
            "ro.product.model": model,
            "ro.product.manufacturer": ident.manufacturer,
            "ro.build.version.release": ident.os_version,
            "ro.serialno": ident.serial,
            "ro.boot.serialno": ident.serial,
        }
        if ident.sdk is not None:
            props["ro.build.version.sdk"] = str(ident.sdk)
        if ident.device_name and ident.device_name != model:
            props["persist.sys.device_name"] = ident.device_name
        return props

    @property
    def abx(self) -> bool:
        return self.sdk >= 31 if self.binary_xml is None else self.binary_xml

    # -- the file system ------------------------------------------------------------------

    def _files(self) -> dict[str, bytes]:
        files: dict[str, bytes] = {}
        write = restrictions_to_abx if self.abx else restrictions_to_xml
        for user_id, user in self.device.users.items():
            for package, config in user.restrictions.items():
                if config:  # UserManagerService deletes the file of an empty bundle
                    files[f"{USERS_DIR}/{user_id}/res_{package}.xml"] = write(config)
        return files

    def _directories(self) -> set[str]:
        dirs = {"/", "/data", "/data/system", USERS_DIR}
        dirs |= {f"{USERS_DIR}/{user_id}" for user_id in self.device.users}
        return dirs

    @staticmethod
    def _normal(path: str) -> str:
        parts = [p for p in path.split("/") if p not in ("", ".")]
        return "/" + "/".join(parts)

    def _check_access(self, path: str, as_root: bool) -> None:
        """``/data/system/users`` is ``drwx------ system system``: uid 2000 cannot search it."""
        if not as_root and path.startswith(USERS_DIR + "/"):
            raise FileAccessError(errno.EACCES)

    def stat(self, path: str, *, as_root: bool) -> FileStat:
        path = self._normal(path)
        self._check_access(path, as_root)
        if path in self._directories():
            return FileStat(stat.S_IFDIR | 0o700, 4096)
        data = self._files().get(path)
        if data is None:
            raise FileAccessError(errno.ENOENT)
        return FileStat(stat.S_IFREG | 0o600, len(data))

    def read(self, path: str, *, as_root: bool) -> bytes:
        path = self._normal(path)
        self._check_access(path, as_root)
        if path in self._directories():
            raise FileAccessError(errno.EISDIR)
        data = self._files().get(path)
        if data is None:
            raise FileAccessError(errno.ENOENT)
        return data

    def as_text_xml(self, path: str) -> bytes:
        """What ``abx2xml`` makes of the restriction file at ``path`` (already read: it exists)."""
        directory, _, name = self._normal(path).rpartition("/")
        package = name.removeprefix("res_").removesuffix(".xml")
        config = self.device.restrictions_for(int(directory.rsplit("/", 1)[1]), package)
        return restrictions_to_xml(config)

    def list(self, path: str, *, as_root: bool) -> dict[str, FileStat]:
        """Entries of a directory (without ``.``/``..``); refused or missing ones raise."""
        path = self._normal(path)
        if path == USERS_DIR and not as_root:
            raise FileAccessError(errno.EACCES)
        self._check_access(path, as_root)
        dirs = self._directories()
        if path not in dirs:
            raise FileAccessError(errno.ENOENT if path not in self._files() else errno.ENOTDIR)
        prefix = path.rstrip("/") + "/"
        entries: dict[str, FileStat] = {}
        for child in dirs:
            if child.startswith(prefix) and "/" not in child[len(prefix) :] and child != path:
                entries[child[len(prefix) :]] = FileStat(stat.S_IFDIR | 0o700, 4096)
        for file, data in self._files().items():
            if file.startswith(prefix) and "/" not in file[len(prefix) :]:
                entries[file[len(prefix) :]] = FileStat(stat.S_IFREG | 0o600, len(data))
        return entries

    def shell_refused(self, user_id: int, *, as_root: bool) -> bool:
        """``handleIncomingUser`` refuses the shell uid (not root) for a debugging-restricted user."""
        user = self.device.users.get(user_id)
        return not as_root and user is not None and user.no_debugging
