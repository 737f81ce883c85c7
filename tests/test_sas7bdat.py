"""SAS7BDAT datasets (made with ReadStat's writer): values as CSV text, observation numbers, damage as one line."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from helpers import without_presence, assert_same_findings, findings_of, minimal_subject, write_export
from sas7bdat_maker import SpecialMissing, write_sas7bdat

from ecrf.errors import InputError
from ecrf.example import write_example
from ecrf.readers import read_export


def _sas_export(tmp_path, csv_folder, typed=None, formats=None):
    out = tmp_path / "sas"
    out.mkdir()
    for p in sorted(csv_folder.glob("*.csv")):
        df = pl.read_csv(p, infer_schema=False)
        cols = {c: df[c].to_list() for c in df.columns}
        cols.update({c: v for (d, c), v in (typed or {}).items() if d == p.stem})
        write_sas7bdat(out / f"{p.stem}.sas7bdat", cols, formats, table=p.stem.upper())
    return out


def test_numbers_dates_and_missing_as_csv_text(tmp_path, model):
    csv = write_export(tmp_path / "csv", minimal_subject())
    typed = {("dm", "WEIGHT"): [35.1], ("dm", "HEIGHT"): [140.0], ("dm", "AGE"): [None],
             ("ic", "ICDAT"): [dt.date(2025, 12, 10)], ("sv", "VISITNUM"): [0.1]}
    out = _sas_export(tmp_path, csv, typed, {"ICDAT": "DATE9"})
    ex = read_export(out, model)
    dm = ex.tables["dm"].df.row(0, named=True)
    assert (dm["weight"], dm["height"], dm["age"], dm["_ref"]) == ("35.1", "140", None, "dm.sas7bdat obs 1")
    assert ex.tables["ic"].df["icdat"][0] == "2025-12-10"
    assert ex.tables["sv"].df["visitnum"][0] == "0.1"


def test_bundled_example_as_sas7bdat_gives_the_csv_findings(tmp_path):
    write_example(tmp_path / "csv")
    out = _sas_export(tmp_path, tmp_path / "csv")
    assert assert_same_findings(tmp_path / "csv", out) > 0


def test_seeded_error_found_and_clean_data_clean(tmp_path):
    bad = _sas_export(tmp_path / "b", write_export(tmp_path / "b" / "csv", minimal_subject(SEX="X")))
    f = findings_of(bad)
    assert f.filter(f["field"] == "SEX")["source_ref"].to_list()[:1] == ["dm.sas7bdat obs 1"]
    csv_export = write_export(tmp_path / "c" / "csv", minimal_subject())
    clean = without_presence(findings_of(_sas_export(tmp_path / "c", csv_export)))
    assert clean.filter(clean["severity"] == "error").is_empty()


@pytest.mark.parametrize("damage", [lambda b: b[: len(b) // 2], lambda b: b[:32] + b"\x00" * 200,
                                    lambda b: b"<html>expired</html>"])
def test_damaged_dataset_is_one_line(tmp_path, model, damage):
    p = write_sas7bdat(tmp_path / "dm.sas7bdat", {"A": ["x"] * 2000})
    p.write_bytes(damage(p.read_bytes()))
    with pytest.raises(InputError) as e:
        read_export(p, model)
    assert "dm.sas7bdat" in str(e.value)


@pytest.mark.parametrize("tag", ["A", "Z", "_"])
def test_special_missing_values_are_empty(tmp_path, model, tag):
    csv = write_export(tmp_path / "csv", minimal_subject())
    out = _sas_export(tmp_path, csv, {("dm", "WEIGHT"): [SpecialMissing(tag)], ("dm", "HEIGHT"): [140.0]})
    dm = read_export(out, model).tables["dm"].df.row(0, named=True)
    assert dm["weight"] is None and dm["height"] == "140"
