"""All-or-nothing commits: a failed rename undoes the renames before it."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from helpers import gradient_image, save, snapshot

from compress import CompressError, write_atomically


def test_a_failed_rename_removes_the_new_files_before_it(tmp_path):
    first = tmp_path / "a.png"
    blocker = tmp_path / "b.png"
    blocker.mkdir()  # os.replace(file, directory) fails: the second rename
    before = snapshot(tmp_path)
    with pytest.raises(CompressError, match="nothing was written"):
        write_atomically({first: b"new a", blocker: b"new b"})
    assert snapshot(tmp_path) == before  # a.png removed again, no .tmp or .bak


def test_a_failed_rename_restores_files_that_existed(tmp_path):
    first = tmp_path / "a.png"
    first.write_bytes(b"old a")
    blocker = tmp_path / "b.png"
    blocker.mkdir()
    before = snapshot(tmp_path)
    with pytest.raises(CompressError):
        write_atomically({first: b"new a", blocker: b"new b"}, overwrite=True)
    assert snapshot(tmp_path) == before  # old content, same inode and mtime


def test_without_overwrite_an_existing_file_is_never_touched(tmp_path):
    (tmp_path / "b.png").write_bytes(b"appeared meanwhile")
    before = snapshot(tmp_path)
    with pytest.raises(CompressError, match="already exists"):
        write_atomically({tmp_path / "a.png": b"1", tmp_path / "b.png": b"2"},
                         overwrite=False)
    assert snapshot(tmp_path) == before
    write_atomically({tmp_path / "a.png": b"1"}, overwrite=False)
    assert (tmp_path / "a.png").read_bytes() == b"1"


def test_commit_error_in_a_cli_run_is_one_line_and_leaves_nothing(
        tmp_path, monkeypatch, capsys):
    """An OSError from a rename (here the third of four) is exit 1, one line."""
    from compress import cli

    save(tmp_path / "img.png", gradient_image(16, 20))
    (tmp_path / "img-k3.png").write_bytes(b"precious")
    before = snapshot(tmp_path)
    real_replace, calls = os.replace, []

    def failing_replace(src, dst):
        if not Path(dst).name.startswith("img-"):  # Numba's cache writes use it too
            return real_replace(src, dst)
        calls.append(dst)
        if len(calls) == 3:
            raise PermissionError(13, "Permission denied", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    monkeypatch.chdir(tmp_path)
    handler = signal.getsignal(signal.SIGINT)
    try:
        code = cli.main(["img.png", "2", "3", "--force", "-q"])
    finally:
        signal.signal(signal.SIGINT, handler)  # main() installed its own
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "nothing was written" in err, err
    monkeypatch.setattr(os, "replace", real_replace)
    assert snapshot(tmp_path) == before  # img-k3.png still "precious"
