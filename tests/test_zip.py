"""Zips of an export: any mix of formats, one top folder allowed; traversal, links, bombs and damage refused
before anything is unpacked, errors naming the member."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from helpers import assert_same_findings, findings_of, minimal_subject, write_export

from ecrf.errors import InputError
from ecrf.example import write_example
from ecrf.readers import read_export


def _zip(path: Path, members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def _csv_members(tmp_path, forms, prefix="") -> dict[str, bytes]:
    d = write_export(tmp_path / "csv", forms)
    return {prefix + p.name: p.read_bytes() for p in sorted(d.iterdir())}


def test_zip_of_a_folder_gives_the_folder_findings(tmp_path):
    write_example(tmp_path / "csv")
    members = {f"export/{p.name}": p.read_bytes() for p in (tmp_path / "csv").iterdir()}
    z = _zip(tmp_path / "export.zip", members)
    assert assert_same_findings(tmp_path / "csv", z) > 0


def test_zip_mixing_formats(tmp_path, model):
    write_example(tmp_path / "xlsx", fmt="xlsx")
    csv = _csv_members(tmp_path, {"ae": []})
    # dm..vs in a workbook, nothing else: the workbook's forms plus a CSV of another form
    z = _zip(tmp_path / "mixed.zip", {"book.xlsx": (tmp_path / "xlsx" / "export.xlsx").read_bytes(),
                                      "extra.csv": csv["ae.csv"]})
    ex = read_export(z, model)
    assert "dm" in ex.tables and ex.unknown_files == {"extra.csv": 0}


def test_error_in_a_member_names_the_member(tmp_path, model):
    members = _csv_members(tmp_path, minimal_subject())
    members["dm.csv"] = members["dm.csv"] + b'x,"unclosed\n'
    z = _zip(tmp_path / "export.zip", members)
    with pytest.raises(InputError) as e:
        read_export(z, model)
    assert "export.zip!dm.csv" in str(e.value)


def test_findings_name_the_member_file(tmp_path):
    z = _zip(tmp_path / "export.zip", _csv_members(tmp_path, minimal_subject(SEX="X")))
    f = findings_of(z)
    sex = f.filter(f["field"] == "SEX")
    assert sex.height >= 1 and sex["source_file"][0] == "dm.csv"


@pytest.mark.parametrize("name", ["../x.csv", "/etc/dm.csv", "a/../../dm.csv", "..\\dm.csv", "C:/dm.csv"])
def test_path_traversal_is_refused_before_unpacking(tmp_path, model, name):
    members = _csv_members(tmp_path, minimal_subject())
    z = tmp_path / "in" / "export.zip"
    z.parent.mkdir()
    _zip(z, {name: members["dm.csv"], **members})
    with pytest.raises(InputError, match="refused"):
        read_export(z, model)
    assert sorted(p.name for p in z.parent.iterdir()) == ["export.zip"]
    assert not (tmp_path / "x.csv").exists()


def test_symlink_member_is_refused(tmp_path, model):
    z = tmp_path / "export.zip"
    with zipfile.ZipFile(z, "w") as zf:
        info = zipfile.ZipInfo("dm.csv")
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(InputError, match="symbolic link"):
        read_export(z, model)


def test_zip_bomb_is_refused_by_ratio_before_unpacking(tmp_path, model):
    z = _zip(tmp_path / "export.zip", {"dm.csv": b"0" * 300_000_000})
    with pytest.raises(InputError, match="zip bomb") as e:
        read_export(z, model)
    assert "ECRF_MAX_PACK_RATIO" in str(e.value)


def test_size_limit_can_be_raised(tmp_path, model, monkeypatch):
    members = _csv_members(tmp_path, minimal_subject())
    z = _zip(tmp_path / "export.zip", members)
    monkeypatch.setenv("ECRF_MAX_UNPACKED_MB", "0.0001")
    with pytest.raises(InputError, match="ECRF_MAX_UNPACKED_MB"):
        read_export(z, model)
    monkeypatch.setenv("ECRF_MAX_UNPACKED_MB", "10")
    assert "dm" in read_export(z, model).tables


def test_member_lying_about_its_size_is_stopped(tmp_path, model):
    z = _zip(tmp_path / "export.zip", {"dm.csv": b"A" * 5_000_000}, zipfile.ZIP_STORED)
    raw = bytearray(z.read_bytes())
    # shrink the declared uncompressed size in the central directory to 10 bytes
    cd = raw.rfind(b"PK\x01\x02")
    raw[cd + 24: cd + 28] = (10).to_bytes(4, "little")
    z.write_bytes(bytes(raw))
    with pytest.raises(InputError):
        read_export(z, model)


@pytest.mark.parametrize("damage", [lambda b: b[: len(b) // 2], lambda b: b"PK\x03\x04" + b"\x00" * 100])
def test_truncated_or_corrupt_zip(tmp_path, model, damage):
    z = _zip(tmp_path / "export.zip", _csv_members(tmp_path, minimal_subject()))
    z.write_bytes(damage(z.read_bytes()))
    with pytest.raises(InputError) as e:
        read_export(z, model)
    assert "export.zip" in str(e.value)


def test_zip_with_the_wrong_extension(tmp_path, model):
    z = _zip(tmp_path / "export.xlsx", _csv_members(tmp_path, minimal_subject()))
    with pytest.raises(InputError, match="not an Excel workbook"):
        read_export(z, model)
    assert "dm" in read_export(z, model, "zip").tables
    z2 = _zip(tmp_path / "export.dat", _csv_members(tmp_path / "b", minimal_subject()))
    assert "dm" in read_export(z2, model).tables


def test_zip_inside_a_zip_is_refused(tmp_path, model):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("dm.csv", "a\n1\n")
    z = _zip(tmp_path / "export.zip", {"inner.zip": inner.getvalue()})
    with pytest.raises(InputError, match="zip inside the zip"):
        read_export(z, model)


def test_no_temporary_files_left(tmp_path, model, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    z = _zip(tmp_path / "export.zip", _csv_members(tmp_path, minimal_subject()))
    read_export(z, model)
    assert list((tmp_path / "tmp").iterdir()) == []
