"""Whether a store sits where SQLite cannot lock it safely: a network share, or a folder a sync client copies
while it is being written (which can leave a copy that mixes two states)."""

from __future__ import annotations

import os
from pathlib import Path, PureWindowsPath

NETWORK_FS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "afs", "9p", "ceph", "glusterfs", "fuse.sshfs",
              "fuse.rclone", "davfs", "fuse.davfs2", "lustre", "gpfs"}
SYNCED = ("onedrive", "dropbox", "google drive", "googledrive", "my drive", "icloud drive", "icloud",
          "mobile documents")


def risky_place(path: Path, mounts: str | None = None) -> str | None:
    """Why the store at `path` is at risk (a network file system, a UNC path, a synced folder), or None.
    `mounts` is the text of /proc/self/mounts (read here on Linux when not given)."""
    text = str(path)
    if text.startswith(("\\\\", "//")) or PureWindowsPath(text).drive.startswith("\\\\"):
        return "it is on a network share (a UNC path)"
    where = Path(os.path.abspath(path))
    for part in where.parts:
        if part.casefold().startswith(SYNCED):
            return f"it is in a synced folder ({part})"
    fstype = _fs_type(where, mounts)
    if fstype is not None and (fstype in NETWORK_FS or fstype.startswith(("nfs", "cifs", "smb"))):
        return f"it is on a network file system ({fstype})"
    return None


def _fs_type(path: Path, mounts: str | None) -> str | None:
    """The file system type of the mount holding `path`: the longest mount point that contains it."""
    if mounts is None:
        try:
            mounts = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    best, found = -1, None
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = str(path) == point or str(path).startswith(point.rstrip("/") + "/")
        if inside and len(point) > best:
            best, found = len(point), fields[2]
    return found
