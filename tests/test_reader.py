"""Bad input: each case gives a clear one-line error (exit 2) or a finding; nothing dropped, nothing modified."""

from __future__ import annotations

import hashlib

import polars as pl
import pytest
from helpers import PRESENCE, minimal_subject, run_checks, write_export, write_form

from ecrf.model import load_model


@pytest.fixture
def export(tmp_path):
    return write_export(tmp_path / "export", minimal_subject())


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_minimal_clean_export_has_no_findings(export, cli):
    assert run_checks(export).is_empty()


def test_forms_left_out_of_an_export_are_findings(export, cli):
    """The minimal export holds the required forms only: each form every delivery carries is an error, every
    other form a warning; a clean complete export has neither."""
    f = run_checks(export, presence=True)
    missing = sorted(f.filter(f["check_id"] == "STRUCT-MISSING-FORM")["source_file"])
    assert missing == ["cm.csv", "dx.csv", "echo.csv", "lb.csv", "vs.csv"]
    absent = set(f.filter(f["check_id"] == "STRUCT-ABSENT-FORM")["source_file"])
    assert absent == {f"{d}.csv" for d in load_model().forms} - set(missing) - {"dm.csv", "ic.csv", "ie.csv", "sv.csv"}
    res = cli("validate", export)
    assert res.exit_code == 1 and "rows read 4, rows checked 4; 16 findings (5 errors, 11 warnings)" in res.output


def test_input_is_never_modified(export, cli):
    (export / "dm.csv").write_text((export / "dm.csv").read_text().replace("2015-03", "2015-13"))
    before = _digest(export)
    cli("validate", export, "--format", "json", "--output", export.parent / "out.json")
    assert _digest(export) == before


def test_empty_file_is_an_input_error(export, cli):
    (export / "ae.csv").write_bytes(b"")
    res = cli("validate", export)
    assert res.exit_code == 2
    assert "ae.csv, row 1: file is empty" in res.stderr
    assert "Traceback" not in res.output


def test_header_only_optional_form_is_zero_rows_without_finding(export, cli):
    write_form(export, "ae", [])
    assert run_checks(export, presence=True).filter(pl.col("source_file") == "ae.csv").is_empty()
    res = cli("validate", export)
    assert any(line.split()[:4] == ["ae", "ae.csv", "0", "0"] for line in res.output.splitlines())


def test_header_only_required_form_is_a_finding(export):
    write_form(export, "ie", [])
    f = run_checks(export)
    assert f["check_id"].to_list() == ["STRUCT-EMPTY-FORM"]
    assert f["form"].to_list() == ["ie"]


def test_ragged_row_names_file_row_and_column(export, cli):
    p = export / "dm.csv"
    p.write_text(p.read_text().rstrip("\n").rsplit(",", 2)[0] + "\n")  # drop the last two fields
    res = cli("validate", export)
    assert res.exit_code == 2
    assert "dm.csv, row 2, column CHBRPOT: ragged row: 12 fields where the header has 14" in res.stderr
    assert "Traceback" not in res.output


def test_non_utf8_file_names_row_and_column(export, cli):
    p = export / "ae.csv"
    write_form(export, "ae", [{"STUDYID": "KN5601-K", "SITEID": "01", "SUBJID": "01-001", "AESEQ": "1",
                               "AETERM": "FIEBRE", "AECAT": "OTHER", "AESTDAT": "2026-01-02", "AETOXGR": "1"}])
    p.write_bytes(p.read_bytes().replace(b"FIEBRE", "FIÈBRE".encode("latin-1")))
    res = cli("validate", export)
    assert res.exit_code == 2
    assert "ae.csv, row 2, column AETERM: not valid UTF-8" in res.stderr


def test_utf8_bom_and_header_case_are_accepted(export):
    p = export / "dm.csv"
    text = p.read_text()
    p.write_bytes(b"\xef\xbb\xbf" + text.replace("COHORT", "Cohort").encode())
    assert run_checks(export).is_empty()


def test_missing_required_column_is_an_input_error(export, cli):
    form_cols = ["STUDYID", "SITEID", "SUBJID", "COHORT", "SEX", "AGE"]  # no BRTHDAT
    write_form(export, "dm", minimal_subject()["dm"], columns=form_cols)
    res = cli("validate", export)
    assert res.exit_code == 2
    assert "dm.csv, row 1, column BRTHDAT: required column missing from the header: BRTHDAT" in res.stderr


def test_missing_optional_and_unknown_columns_are_findings(export):
    cols = ["STUDYID", "SITEID", "SUBJID", "COHORT", "SEX", "BRTHDAT", "AGE", "SHOESIZE"]
    write_form(export, "dm", [minimal_subject()["dm"][0] | {"SHOESIZE": "33"}], columns=cols)
    f = run_checks(export)
    got = sorted(zip(f["check_id"], f["field"]))
    assert ("STRUCT-UNKNOWN-COLUMN", "SHOESIZE") in got
    assert {fld for cid, fld in got if cid == "STRUCT-MISSING-COLUMN"} == {"AGEU", "HEIGHT", "WEIGHT", "CHBRPOT",
                                                                           "PHASE", "DOSELVL", "GILBERT"}


def test_file_for_unknown_form_is_a_finding_and_counted(export, cli):
    (export / "labs_extra.csv").write_text("A,B\n1,2\n3,4\n")
    f = run_checks(export)
    assert f["check_id"].to_list() == ["STRUCT-UNKNOWN-FORM"]
    assert f["source_file"].to_list() == ["labs_extra.csv"]
    res = cli("validate", export)
    assert "rows read 6, rows checked 4" in res.output


def test_non_numeric_value_in_numeric_column_is_a_finding(export):
    write_form(export, "dm", [minimal_subject()["dm"][0] | {"WEIGHT": "35,5 kg"}])
    f = run_checks(export)
    assert f.select("check_id", "field", "value", "source_row").rows() == [("COL-TYPE", "WEIGHT", "35,5 kg", 2)]


def test_workbook_renamed_to_csv_is_an_input_error(export, cli):
    (export / "vs.csv").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    res = cli("validate", export)
    assert res.exit_code == 2
    assert "vs.csv: not a CSV text file: it looks like a ZIP or Excel workbook" in res.stderr


def test_every_row_read_is_checked_and_reported(export, cli, tmp_path):
    rows = [minimal_subject(f"01-{i:03d}")["dm"][0] for i in range(1, 301)]
    rows[150]["SEX"] = "X"
    write_form(export, "dm", rows)
    res = cli("validate", export, "--format", "json", "--output", tmp_path / "r.json")
    import json

    doc = json.loads((tmp_path / "r.json").read_text())
    dm = [r for r in doc["forms"] if r["form"] == "dm"][0]
    assert dm["rows_read"] == dm["rows_checked"] == 300
    found = [(f["check_id"], f["source_row"]) for f in doc["findings"] if f["check_id"] not in PRESENCE]
    assert found == [("COL-CODELIST", 152)]
    assert res.exit_code == 1


def test_blank_lines_are_not_rows(export):
    p = export / "dm.csv"
    p.write_text(p.read_text() + "\n\n")
    assert run_checks(export).is_empty()


def test_path_that_is_not_a_folder(tmp_path, cli):
    res = cli("validate", tmp_path / "nope")
    assert res.exit_code == 2
    assert "no such file or folder" in res.stderr
    assert pl is not None


def test_reader_interface_finds_the_csv_reader_and_refuses_unknown_formats(tmp_path, model):
    from ecrf.errors import InputError
    from ecrf.readers import read_export, readers

    assert "csv" in readers()
    (tmp_path / "notes.txt").write_text("hello\n")
    with pytest.raises(InputError, match="not an export this tool reads"):
        read_export(tmp_path / "notes.txt", model)
    with pytest.raises(InputError, match="unknown input format"):
        read_export(tmp_path, model, "nosuch")
