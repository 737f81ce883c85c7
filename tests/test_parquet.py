"""Parquet: typed columns as CSV text, row numbers as provenance, damaged files as one line."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from helpers import without_presence, findings_of, minimal_subject, write_export

from ecrf.errors import InputError
from ecrf.readers import read_export


def _export(tmp_path, forms, typed=None):
    write_export(tmp_path / "csv", forms)
    out = tmp_path / "pq"
    out.mkdir()
    for d in forms:
        df = pl.read_csv(tmp_path / "csv" / f"{d}.csv", infer_schema=False)
        for (dd, col), series in (typed or {}).items():
            if dd == d:
                df = df.with_columns(series.alias(col))
        df.write_parquet(out / f"{d}.parquet")
    return out


def test_typed_columns_read_as_csv_text(tmp_path, model):
    typed = {("dm", "WEIGHT"): pl.Series([35.1]), ("dm", "HEIGHT"): pl.Series([140.0]),
             ("dm", "AGE"): pl.Series([10], dtype=pl.Int32), ("ic", "ICDAT"): pl.Series([dt.date(2025, 12, 10)]),
             ("sv", "VISITNUM"): pl.Series([0.1])}
    ex = read_export(_export(tmp_path, minimal_subject(), typed), model)
    assert ex.format == "parquet"
    dm = ex.tables["dm"].df.row(0, named=True)
    assert (dm["weight"], dm["height"], dm["age"], dm["_ref"]) == ("35.1", "140", "10", "dm.parquet row 1")
    assert ex.tables["ic"].df["icdat"][0] == "2025-12-10"
    assert ex.tables["sv"].df["visitnum"][0] == "0.1"


def test_seeded_error_found_and_clean_data_clean(tmp_path):
    f = findings_of(_export(tmp_path / "bad", minimal_subject(SEX="X")))
    assert f.filter(f["field"] == "SEX")["source_ref"].to_list()[:1] == ["dm.parquet row 1"]
    clean = without_presence(findings_of(_export(tmp_path / "clean", minimal_subject())))
    assert clean.filter(clean["severity"] == "error").is_empty()


@pytest.mark.parametrize("damage, message", [
    (lambda b: b[: len(b) // 2], "truncated"),
    (lambda b: b"<html>expired</html>", "HTML"),
    (lambda b: b[:4] + b"\x00" * (len(b) - 8) + b[-4:], "corrupt"),
])
def test_damaged_parquet_is_one_line(tmp_path, model, damage, message):
    out = _export(tmp_path, minimal_subject())
    p = out / "dm.parquet"
    p.write_bytes(damage(p.read_bytes()))
    with pytest.raises(InputError) as e:
        read_export(out, model)
    assert message in str(e.value) and "dm.parquet" in str(e.value)


def test_nested_column_is_refused(tmp_path, model):
    out = _export(tmp_path, minimal_subject(), {("dm", "SEX"): pl.Series([["F", "M"]])})
    with pytest.raises(InputError, match="nested"):
        read_export(out, model)
