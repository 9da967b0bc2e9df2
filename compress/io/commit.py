"""Putting outputs in place: all of them, complete, or none.

Design notes: docs/internals.md, ``compress/io/commit.py``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import BinaryIO

from .. import interrupt
from ..errors import CompressError


def default_file_mode() -> int:
    """``0o666`` minus the umask: the mode ``open()`` would give a new file."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def stage(target: Path, write: Callable[[BinaryIO], object],
          mode: int | None = None) -> str:
    """Write a flushed temporary file beside ``target`` by ``write(file)``; return it.

    The file (``.NAME.XXXX.tmp``) gets ``mode`` (by default what ``open()``
    would give); commit it with :func:`commit_staged`.
    """
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                   suffix=".tmp")
    except OSError as e:
        raise CompressError(f"cannot write to {target.parent}: {e.strerror}.") from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, default_file_mode() if mode is None else mode)
    except BaseException as e:
        _remove(tmp)
        if isinstance(e, OSError):
            raise CompressError(f"cannot write {target}: {e.strerror}.") from None
        raise
    return tmp


def _remove(path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _backup(target: Path) -> str | None:
    """Hard-link an existing ``target`` to a fresh name; None if there is none."""
    if not os.path.lexists(target):
        return None
    for _ in range(100):
        name = str(target.parent / f".{target.name}.{os.urandom(4).hex()}.bak")
        try:
            os.link(target, name, follow_symlinks=False)
            return name
        except FileExistsError:
            continue
    raise CompressError(f"cannot back up {target} before replacing it.")


def _place(tmp: str, target: Path, overwrite: bool) -> None:
    """Give ``tmp`` the name ``target``; never replace a file unless ``overwrite``."""
    if overwrite:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)  # fails if target exists: no clobbering
    except FileExistsError:
        raise CompressError(f"output {target} already exists (created meanwhile?); "
                            "pass --force to overwrite it.") from None
    except OSError:  # a file system without hard links
        if os.path.lexists(target):
            raise CompressError(f"output {target} already exists; pass --force "
                                "to overwrite it.") from None
        os.replace(tmp, target)
        return
    os.unlink(tmp)


def write_atomically(files: Mapping[Path, bytes], *, overwrite: bool = True) -> None:
    """Write several files so that all appear complete, or none changes.

    Parameters
    ----------
    files : mapping of Path to bytes
        Target path and content of each file.
    overwrite : bool, default=True
        Replace files that exist.  When False an existing target is an error
        and nothing is written.

    Raises
    ------
    CompressError
        If a file cannot be staged or renamed (one line).  Targets renamed
        before the failure are removed again, or restored to their former
        content; temporary and backup files are removed.
    """
    mode = default_file_mode()
    staged: dict[Path, str] = {}
    with interrupt.deferred():
        try:
            for target, data in files.items():
                staged[Path(target)] = stage(
                    Path(target), lambda f, data=data: f.write(data), mode)
        except BaseException:
            for tmp in staged.values():
                _remove(tmp)
            raise
        commit_staged(staged, overwrite=overwrite)


def commit_staged(staged: Mapping[Path, str], *, overwrite: bool = True) -> None:
    """Rename complete temporary files to their targets: all of them, or none.

    Parameters
    ----------
    staged : mapping of Path to str
        Target of each temporary file (written, flushed, beside its target).
    overwrite : bool, default=True
        As in :func:`write_atomically`.

    Raises
    ------
    CompressError
        As :func:`write_atomically`; the temporary files are removed in any case.
    """
    done: list[tuple[Path, str | None]] = []  # renamed targets and their backups
    with interrupt.deferred():
        try:
            for target, tmp in staged.items():
                target = Path(target)
                backup = _backup(target) if overwrite else None
                try:
                    _place(tmp, target, overwrite)
                except BaseException:
                    if backup is not None:
                        _remove(backup)
                    raise
                done.append((target, backup))
        except BaseException as e:
            for target, backup in reversed(done):  # undo, newest first
                if backup is not None:
                    with contextlib.suppress(OSError):
                        os.replace(backup, target)
                else:
                    _remove(target)
            done.clear()
            if isinstance(e, OSError):
                raise CompressError(
                    f"cannot write {e.filename or 'the outputs'}: "
                    f"{e.strerror or e}; nothing was written.") from None
            raise
        finally:
            for tmp in staged.values():
                _remove(tmp)
            for _, backup in done:
                if backup is not None:
                    _remove(backup)
