"""A small tmpfs for disk-full tests: mounted by the test itself, unmounted afterwards.

A full disk cannot be faked honestly (an injected exception is not LevelDB meeting ENOSPC
half-way through its write-ahead log), so the tests mount a real tmpfs of a few megabytes and
fill it. Mounting needs root (or CAP_SYS_ADMIN); the suite runs as root here and in CI. Where
mounting is refused the test is skipped, and the skip says why; nothing else skips it.

`Filler` holds space on the tmpfs in a file that the test deletes to "free space", the way
an operator would delete old logs on a full disk.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

MOUNT = shutil.which("mount") or "/bin/mount"
UMOUNT = shutil.which("umount") or "/bin/umount"


@contextlib.contextmanager
def small_tmpfs(path: Path, size_mb: int) -> Iterator[Path]:
    """A tmpfs of `size_mb` MiB mounted at `path` (created) for the duration of the block."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [MOUNT, "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip() or f"exit status {done.returncode}"
        print(f"cannot mount a tmpfs at {path} (uid {os.getuid()}): {reason}")
        pytest.skip(f"mounting a tmpfs is not permitted here: {reason}")
    try:
        yield path
    finally:
        unmounted = subprocess.run([UMOUNT, str(path)], capture_output=True, check=False)
        if unmounted.returncode != 0:  # still busy (a process being reaped): detach it
            subprocess.run([UMOUNT, "-l", str(path)], capture_output=True, check=False)


def free_bytes(path: Path) -> int:
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


class Filler:
    """A file that takes all but `leave` bytes of the free space on `folder`'s filesystem."""

    def __init__(self, folder: Path, *, leave: int) -> None:
        self.path = folder / "filler"
        size = max(0, free_bytes(folder) - leave)
        with self.path.open("wb") as handle:
            chunk = b"\0" * (1 << 20)
            while size > 0:
                handle.write(chunk[: min(size, len(chunk))])
                size -= len(chunk)
        self.size = self.path.stat().st_size

    def remove(self) -> None:
        self.path.unlink()
