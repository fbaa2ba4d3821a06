"""A small disk a test can fill up and empty again: a size-limited tmpfs mounted on a temp folder.

Mounting needs root (CI and the dev container run the tests as root); without it the test fails with
mount's own message rather than skip, since a disk-full test that does not run proves nothing.
"""

from __future__ import annotations

import contextlib
import errno
import subprocess
from collections.abc import Iterator
from pathlib import Path

CHUNK = 1 << 20


@contextlib.contextmanager
def small_disk(folder: Path, size_mb: int) -> Iterator[Path]:
    """`folder` as a tmpfs of `size_mb` MiB for the duration; unmounted after (lazily if still busy)."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(folder)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        raise RuntimeError(f"cannot mount a {size_mb} MiB tmpfs on {folder} (needs root): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        if subprocess.run(["umount", str(folder)], capture_output=True, check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


def fill(folder: Path) -> Path:
    """Write a file until the disk refuses another byte; returns it (delete it to give the space back)."""
    filler = folder / "filler.bin"
    block = b"\0" * CHUNK
    with filler.open("wb", buffering=0) as out:
        size = CHUNK
        while size:
            try:
                out.write(block[:size])
            except OSError as exc:
                if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                    raise
                size //= 2  # fill the last megabyte too, down to the byte
    return filler
