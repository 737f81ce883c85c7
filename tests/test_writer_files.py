"""Files ecrf writes look like files any program writes: the mode the umask gives (an existing file keeps its
own), every output through ecrf.writer (the example export, regenerated files), nothing left half-written."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ecrf.writer import OutputError, make_folder, write_bytes, write_text


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture
def umask():
    old = os.umask(0o022)
    yield lambda m: os.umask(m)
    os.umask(old)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_file_mode_follows_the_umask(tmp_path, umask, mask, mode):
    umask(mask)
    target = write_text(tmp_path / "r.json", "{}")
    plain = tmp_path / "plain.json"
    plain.write_text("{}")
    assert _mode(target) == _mode(plain) == mode


def test_existing_file_keeps_its_mode(tmp_path, umask):
    target = tmp_path / "r.csv"
    target.write_text("old")
    target.chmod(0o640)
    write_bytes(target, b"new")
    assert target.read_bytes() == b"new" and _mode(target) == 0o640


def test_example_export_is_written_through_the_writer(cli, tmp_path, umask, monkeypatch):
    """Every file of `ecrf example` (copied or generated, any format) goes through writer.write_bytes."""
    import ecrf.writer as W

    seen = []
    real = W.write_bytes

    def spy(target, data, allow_inside_input=False):
        seen.append(Path(target))
        return real(target, data, allow_inside_input)

    import ecrf.example as E

    monkeypatch.setattr(W, "write_bytes", spy)
    monkeypatch.setattr(E, "write_bytes", spy, raising=False)
    for args in ([], ["--subjects", "2", "--clean"], ["--subjects", "2", "--format", "parquet"]):
        seen.clear()
        folder = tmp_path / ("e" + "".join(args).replace("-", ""))
        res = cli("example", folder, *args)
        assert res.exit_code == 0, res.output
        written = sorted(p.name for p in folder.iterdir())
        assert sorted(p.name for p in seen if p.parent == folder) == written
        assert all(_mode(folder / n) == 0o644 for n in written)
        assert not [p for p in folder.iterdir() if p.name.startswith(".")], "temporary file left behind"


def test_make_folder_refuses_a_file_in_the_way(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match="cannot create the folder"):
        make_folder(tmp_path / "f" / "sub")


def test_regenerate_writes_through_the_writer():
    """python -m ecrf.regenerate has no write of its own: each generated file goes through ecrf.writer."""
    import inspect

    import ecrf.example as example
    import ecrf.regenerate as regenerate

    for module in (regenerate, example):
        src = inspect.getsource(module)
        assert ".write_text(" not in src and ".write_bytes(" not in src and ".write_csv(directory" not in src
