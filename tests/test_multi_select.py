"""A multi-select item (CRS treatment, CRSTRT): one cell of comma-separated codes in the canonical layout, one
ItemData in ODM, REDCap checkbox columns; the codelist check reads each code, in both column engines."""

from __future__ import annotations

import csv
import re

import polars as pl
import pytest
from helpers import findings_of, minimal_subject, write_export
from test_column_engines import _assert_engines_agree

from ecrf.example import write_example
from ecrf.model import load_model
from ecrf.readers import read_export
from ecrf.readers.redcap import write_redcap
from ecrf.writer import OutputError

MODEL = load_model()
KEY = {"STUDYID": "KN5601-K", "SITEID": "01", "SUBJID": "01-001"}


def _crs(*treatments: str) -> dict[str, list[dict]]:
    forms = minimal_subject()
    forms["crs"] = [KEY | {"AESEQ": "1", "CRSDAT": f"2026-01-{n + 1:02d}", "CRSGR": "1", "CRSTRT": t}
                    for n, t in enumerate(treatments)]
    return forms


def _crstrt(folder, fmt=None) -> list:
    return read_export(folder, MODEL, fmt).tables["crs"].df["crstrt"].to_list()


def test_the_item_is_a_multivalued_slot_with_a_codelist():
    item = MODEL.forms["crs"].item("crstrt")
    assert item.multivalued and item.kind == "enum" and item.codelist == "CrsTreatment"
    assert {"TOCILIZUMAB", "CORTICOSTEROID", "VASOPRESSOR", "OXYGEN"} <= set(item.codes)


def test_valid_cells_in_any_order_and_spacing_read_as_one_canonical_value(tmp_path):
    write_export(tmp_path, _crs("OXYGEN, TOCILIZUMAB", "ANTIPYRETIC", "oxygen", "", "VASOPRESSOR,VASOPRESSOR"))
    # codelist order, no blanks, each code once; a code in the wrong case is not a code (left as exported)
    assert _crstrt(tmp_path) == ["TOCILIZUMAB,OXYGEN", "ANTIPYRETIC", "oxygen", None, "VASOPRESSOR"]
    f = findings_of(tmp_path).filter(pl.col("field") == "CRSTRT")
    assert f.select("check_id", "value").rows() == [("COL-CODELIST", "oxygen")]


def test_a_code_outside_the_codelist_is_a_codelist_finding_in_both_engines(tmp_path):
    write_export(tmp_path, _crs("TOCILIZUMAB,ASPIRIN", "TOCILIZUMAB;OXYGEN", "TOCILIZUMAB,", "OXYGEN"))
    f = findings_of(tmp_path).filter(pl.col("field") == "CRSTRT").sort("source_row")
    assert f["check_id"].to_list() == ["COL-CODELIST"] * 3
    assert f["value"].to_list() == ["TOCILIZUMAB,ASPIRIN", "TOCILIZUMAB;OXYGEN", "TOCILIZUMAB,"]
    assert f["expected"][0].startswith("one or more of TOCILIZUMAB, ") and "separated by ','" in f["expected"][0]
    assert _assert_engines_agree(tmp_path) >= 3  # the published pandera module says the same


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    base = tmp_path_factory.mktemp("multi")
    for fmt in ("csv", "redcap", "odm"):
        write_example(base / fmt, fmt=fmt)
    return base


def test_the_example_has_multi_code_values(example):
    values = _crstrt(example / "csv")
    assert "TOCILIZUMAB,OXYGEN,ANTIPYRETIC" in values and "ANTIPYRETIC" in values


def test_redcap_writes_checkbox_columns_and_reads_them_back(example):
    with (example / "redcap" / "data.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    cols = [c for c in rows[0] if c.startswith("crstrt___")]
    assert cols == [f"crstrt___{c.lower()}" for c in MODEL.forms["crs"].item("crstrt").codes]
    both = [r for r in rows if r["crstrt___tocilizumab"] == "1"]
    assert both and all(r["crstrt___oxygen"] == "1" and r["crstrt___antipyretic"] == "1"
                        and r["crstrt___vasopressor"] == "0" for r in both)
    assert sorted(_crstrt(example / "redcap"), key=str) == sorted(_crstrt(example / "csv"), key=str)


def test_redcap_writer_refuses_a_code_it_has_no_checkbox_for(tmp_path):
    write_export(tmp_path / "csv", _crs("TOCILIZUMAB,ASPIRIN"))
    tables = {d: t.df for d, t in read_export(tmp_path / "csv", MODEL).tables.items()}
    (tmp_path / "rc").mkdir()
    with pytest.raises(OutputError, match="ASPIRIN"):
        write_redcap(tmp_path / "rc", tables, MODEL)


def test_odm_carries_one_item_data_with_the_codes_and_the_build_says_so(example):
    text = (example / "odm" / "export.xml").read_text(encoding="utf-8")
    assert re.search(r'<ItemData ItemOID="IT\.CRS\.CRSTRT" Value="TOCILIZUMAB,OXYGEN,ANTIPYRETIC"/>', text)
    item_def = re.search(r'<ItemDef OID="IT\.CRS\.CRSTRT".*?</ItemDef>', text, flags=re.S).group(0)
    assert 'CodeListRef CodeListOID="CL.CrsTreatment"' in item_def
    assert '<Alias Context="multi-select separator" Name=","/>' in item_def
    assert sorted(_crstrt(example / "odm"), key=str) == sorted(_crstrt(example / "csv"), key=str)


def test_a_schema_whose_multi_select_codes_hold_the_separator_is_refused_in_one_line(tmp_path):
    import shutil

    from click.testing import CliRunner

    from ecrf.cli.main import main
    from ecrf.model import schema_path

    schema = tmp_path / "schema"
    shutil.copytree(schema_path().parent, schema, ignore=shutil.ignore_patterns("__pycache__"))
    lists = schema / "codelists.yaml"
    lists.write_text(lists.read_text(encoding="utf-8").replace("      OTHER: {description: Other treatment of CRS}",
                                                               '      "OTHER,SEE NOTE": {description: Other}'),
                     encoding="utf-8")
    r = CliRunner().invoke(main, ["generate", "redcap", "--schema", str(schema / "kn5601k.yaml")])
    assert r.exit_code == 2 and "crstrt" in r.output and len(r.output.strip().splitlines()) == 1, r.output
