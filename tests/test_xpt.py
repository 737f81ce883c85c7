"""SAS transport files: numbers without float noise, SAS dates as ISO text, missing as empty, real SDTM
transport files read record for record, damaged files as one line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pyreadstat
import pytest
from helpers import without_presence, findings_of, minimal_subject, write_export

from ecrf.errors import InputError
from ecrf.readers import read_export
from ecrf.readers.xpt import load, read_xpt

SAMPLES = sorted(Path("../shared/samples/xpt/msg2").glob("*.xpt"))


def _xpt_export(tmp_path, forms, version=8, typed=None):
    """Each form as one XPT file; `typed` replaces a text column by a typed one {(domain, COLUMN): (series,
    SAS format)}."""
    write_export(tmp_path / "csv", forms)
    out = tmp_path / "xpt"
    out.mkdir()
    for domain in forms:
        df = pl.read_csv(tmp_path / "csv" / f"{domain}.csv", infer_schema=False).fill_null("")
        fmts = {}
        for (d, col), (series, fmt) in (typed or {}).items():
            if d == domain:
                df = df.with_columns(series.alias(col))
                if fmt:
                    fmts[col] = fmt
        pyreadstat.write_xport(df, out / f"{domain}.xpt", table_name=domain.upper(), file_format_version=version,
                               variable_format=fmts or None)
    return out


@pytest.mark.parametrize("version", [5, 8])
def test_numbers_dates_and_missing_as_csv_text(tmp_path, model, version):
    forms = minimal_subject()
    typed = {("dm", "WEIGHT"): (pl.Series([35.1]), None), ("dm", "HEIGHT"): (pl.Series([140.0]), None),
             ("dm", "AGE"): (pl.Series([None], dtype=pl.Float64), None),
             ("ic", "ICDAT"): (pl.Series([dt.date(2025, 12, 10)]), "DATE9."),
             ("ic", "ASNTDAT"): (pl.Series([dt.date(2025, 12, 10)]), "E8601DA."),
             ("sv", "VISITNUM"): (pl.Series([0.1]), None)}
    out = _xpt_export(tmp_path, forms, version, typed)
    ex = read_export(out, model)
    dm = ex.tables["dm"].df.row(0, named=True)
    assert (dm["weight"], dm["height"], dm["age"]) == ("35.1", "140", None)
    assert ex.tables["ic"].df.row(0, named=True)["icdat"] == "2025-12-10"
    assert ex.tables["ic"].df.row(0, named=True)["asntdat"] == "2025-12-10"
    assert ex.tables["sv"].df["visitnum"][0] == "0.1"
    assert ex.tables["dm"].df["_ref"][0] == "dm.xpt obs 1"


def test_a_seeded_error_is_found_with_its_observation(tmp_path):
    out = _xpt_export(tmp_path, minimal_subject(SEX="X"))
    f = findings_of(out)
    sex = f.filter(f["field"] == "SEX")
    assert sex.height >= 1 and sex["source_ref"][0] == "dm.xpt obs 1" and sex["value"][0] == "X"
    clean = without_presence(findings_of(_xpt_export(tmp_path / "clean", minimal_subject())))
    assert clean.filter(clean["severity"] == "error").is_empty()


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_real_transport_files_read_every_record(path):
    df, meta = load(path)
    assert df.height == meta.number_rows > 0


def test_real_sdtm_folder_is_one_clear_line(cli):
    r = cli("validate", "../shared/samples/xpt/msg2")
    assert r.exit_code == 2
    assert len(r.output.strip().splitlines()) == 1 and ".xpt" in r.output and "Traceback" not in r.output


def test_dataset_matching_no_form_is_counted_not_checked(model):
    ex = read_xpt(Path("../shared/samples/xpt/msg2/suppdm.xpt"), model)
    assert ex.unknown_files == {"suppdm.xpt": 3}


@pytest.mark.parametrize("cut", [0.5, 0.1])
def test_truncated_transport_file(tmp_path, model, cut):
    src = SAMPLES[0].read_bytes()
    p = tmp_path / "ae.xpt"
    p.write_bytes(src[: int(len(src) * cut)])
    with pytest.raises(InputError) as e:
        read_export(p, model)
    assert "ae.xpt" in str(e.value)


def test_html_saved_as_xpt(tmp_path, model):
    p = tmp_path / "dm.xpt"
    p.write_bytes(b"<html><body>login</body></html>")
    with pytest.raises(InputError, match="HTML"):
        read_export(p, model)
