"""A second study by schema only: the CDISC SDTM MSG v2 sample (studies/cdisc-msg2/msg2.yaml) run on its real
files from ../shared/samples. Every applicable check runs without an internal error, and every finding is
explained here as a real data issue or a documented limit."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from ecrf.engine import validate
from ecrf.model import load_model
from ecrf.readers import read_export
from ecrf.registry import registered

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "studies" / "cdisc-msg2" / "msg2.yaml"
SAMPLES = ROOT / ".." / "shared" / "samples" / "datasetjson" / "sdtm"

# Each finding of the sample, by (check, form, field): how many, and why.
EXPLAINED = {
    ("COL-REQUIRED", "ae", "AEDECOD"): (
        74,
        "real data issue: define.xml marks AEDECOD (dictionary-derived term) Mandatory, but the sample "
        "leaves it empty on every adverse event (the MSG sample was never MedDRA-coded)",
    ),
    ("XF-AE-SERIOUSNESS", "ae", "AESER"): (
        1,
        "real data issue: CDISC003's EPISTAXIS is recorded serious (AESER Y) with every seriousness criterion the "
        "sample collects N; the one that would cover it, AESMIE (other medically important event), is not "
        "collected in this sample",
    ),
}


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    """The sample's Dataset-JSON datasets as a CSV folder, cell for cell (names and values as in the files)."""
    d = tmp_path_factory.mktemp("msg2") / "export"
    d.mkdir()
    for domain in load_model(SCHEMA).forms:
        doc = json.loads((SAMPLES / f"{domain}.json").read_text(encoding="utf-8"))
        assert doc["records"] == len(doc["rows"])
        with (d / f"{domain}.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow([c["name"] for c in doc["columns"]])
            w.writerows(["" if v is None else v for v in row] for row in doc["rows"])
    return d


def test_the_study_schema_covers_every_dataset_of_the_sample():
    m = load_model(SCHEMA)
    assert set(m.forms) == {"dm", "suppdm", "ie", "mh", "sv", "ex", "cm", "vs", "ae", "ds", "dd"}
    for form in m.forms.values():
        assert form.role("subject") == "usubjid"
        doc = json.loads((SAMPLES / f"{form.domain}.json").read_text(encoding="utf-8"))
        assert [c["name"].lower() for c in doc["columns"]] == [i.name for i in form.items]
    assert m.forms["ae"].role("start_date") == "aestdtc" and m.forms["dm"].role("death_date") == "dthdtc"


def test_validate_runs_every_applicable_check_and_each_finding_is_explained(export):
    m = load_model(SCHEMA)
    res = validate(m, read_export(export, m, None))
    assert int(res.rows["rows_read"].sum()) == int(res.rows["rows_checked"].sum()) > 1000
    assert {c.id for c in res.checks_run} | {n.check.id for n in res.not_applicable} == {c.id for c in registered()}
    ran = {c.id for c in res.checks_run}
    assert {"COL-REQUIRED", "COL-CODELIST", "COL-TYPE", "COL-PATTERN", "FORM-DUPKEY"} <= ran
    # generic checks, finding their items by role (the sample has no grade: SAFE-AE-DEATH judges by outcome)
    assert {"SAFE-AE-DATES", "XF-AFTER-DEATH", "XF-AE-DEATH", "SAFE-AE-DEATH", "XF-AE-SERIOUSNESS"} <= ran
    for n in res.not_applicable:  # each says what the study lacks
        assert n.reason.startswith(
            ("the study model has no", "no DeviationCheck", "form ", "parameter ", "class ", "enum ")
        ), (n.check.id, n.reason)
    got = {(c, f, fld): n for c, f, fld, n in res.findings.group_by("check_id", "form", "field").len().iter_rows()}
    assert got == {k: n for k, (n, _) in EXPLAINED.items()}
    serious = res.findings.filter(res.findings["check_id"] == "XF-AE-SERIOUSNESS")
    assert serious.select("subject", "value").rows() == [("CDISC003", "Y")]
    assert res.findings["subject"].null_count() == 0  # the subject comes from the item annotated role: subject


def test_the_command_line_takes_the_study_schema(export, cli):
    out = cli("validate", export, "--schema", SCHEMA, "--format", "json")
    assert out.exit_code == 1, out.output
    doc = json.loads(out.output)
    assert doc["summary"]["findings"] == sum(n for n, _ in EXPLAINED.values())
    assert doc["not_applicable"]
    assert cli("validate", export, "--schema", SCHEMA, "--category", "structure", "--fail-on", "never").exit_code == 0


def test_the_default_study_schema_on_the_sample_is_an_input_error_not_a_crash(export, cli):
    """Read against KN5601-K, the SDTM files lack its required columns: one line, exit 2."""
    from click.testing import CliRunner

    from ecrf.cli.main import main

    out = CliRunner().invoke(main, ["validate", str(export)])
    assert out.exit_code == 2
    assert "required column missing from the header" in out.output and "row 1, column" in out.output


def test_a_generic_check_finds_its_items_by_role(export, tmp_path):
    """An AE end date seeded before its start (AEENDTC, SDTM's name) is caught by SAFE-AE-DATES."""
    import polars as pl

    seeded = tmp_path / "seeded"
    seeded.mkdir()
    for f in export.iterdir():
        (seeded / f.name).write_bytes(f.read_bytes())
    ae = pl.read_csv(seeded / "ae.csv", infer_schema_length=0)
    row = ae.with_row_index().filter(pl.col("AESTDTC").str.len_chars() == 10).row(0, named=True)
    ae = ae.with_columns(
        pl.when(pl.int_range(pl.len()) == row["index"])
        .then(pl.lit("2000-01-01"))
        .otherwise(pl.col("AEENDTC"))
        .alias("AEENDTC")
    )
    ae.write_csv(seeded / "ae.csv")
    m = load_model(SCHEMA)
    f = validate(m, read_export(seeded, m, None)).findings.filter(pl.col("check_id") == "SAFE-AE-DATES")
    assert f.select("subject", "field", "value", "source_row").rows() == [
        (row["USUBJID"], "AEENDTC", "2000-01-01", row["index"] + 2)
    ]


def test_a_record_after_death_is_found_through_the_death_date_role(export, tmp_path):
    """SDTM keeps the death date on DM (DTHDTC, role death_date); a vital sign dated after it is caught."""
    import polars as pl

    seeded = tmp_path / "seeded"
    seeded.mkdir()
    for f in export.iterdir():
        (seeded / f.name).write_bytes(f.read_bytes())
    dm = pl.read_csv(seeded / "dm.csv", infer_schema_length=0)
    dead = dm.filter(pl.col("DTHDTC").is_not_null()).row(0, named=True)
    vs = pl.read_csv(seeded / "vs.csv", infer_schema_length=0).with_row_index()
    row = vs.filter(pl.col("USUBJID") == dead["USUBJID"]).row(0, named=True)
    vs = vs.with_columns(pl.when(pl.col("index") == row["index"]).then(pl.lit("2030-01-01"))
                         .otherwise(pl.col("VSDTC")).alias("VSDTC")).drop("index")
    vs.write_csv(seeded / "vs.csv")
    m = load_model(SCHEMA)
    f = validate(m, read_export(seeded, m, None)).findings.filter(pl.col("check_id") == "XF-AFTER-DEATH")
    assert f.select("subject", "form", "field", "value", "expected").rows() == \
        [(dead["USUBJID"], "vs", "VSDTC", "2030-01-01", f"on or before {dead['DTHDTC']}")]


def test_fatal_adverse_events_and_death_dates_are_matched_by_role(export, tmp_path):
    """The sample's three fatal AEs (AEOUT FATAL) belong to its three subjects with DM DTHDTC. A death date taken
    away leaves a fatal AE without a death record; one given to a living subject has no fatal AE."""
    import polars as pl

    seeded = tmp_path / "seeded"
    seeded.mkdir()
    for f in export.iterdir():
        (seeded / f.name).write_bytes(f.read_bytes())
    dm = pl.read_csv(seeded / "dm.csv", infer_schema_length=0).with_row_index()
    dead = dm.filter(pl.col("DTHDTC").is_not_null()).row(0, named=True)
    alive = dm.filter(pl.col("DTHDTC").is_null()).row(0, named=True)
    dm = dm.with_columns(pl.when(pl.col("index") == dead["index"]).then(pl.lit(None))
                         .when(pl.col("index") == alive["index"]).then(pl.lit("2014-01-01"))
                         .otherwise(pl.col("DTHDTC")).alias("DTHDTC")).drop("index")
    dm.write_csv(seeded / "dm.csv")
    ae = pl.read_csv(seeded / "ae.csv", infer_schema_length=0)
    fatal_rows = ae.filter((pl.col("USUBJID") == dead["USUBJID"]) & (pl.col("AEOUT") == "FATAL")).height
    m = load_model(SCHEMA)
    f = validate(m, read_export(seeded, m, None)).findings.filter(pl.col("check_id") == "SAFE-AE-DEATH")
    assert sorted(f.select("subject", "form", "field", "value").rows()) == sorted(
        [(dead["USUBJID"], "ae", "AEOUT", "FATAL")] * fatal_rows + [(alive["USUBJID"], "dm", "DTHDTC", "2014-01-01")])
    assert fatal_rows >= 1


@pytest.mark.parametrize("artifact", ["jsonschema", "pandera", "docs", "assumptions"])
def test_every_artifact_is_generated_from_the_study_schema(artifact, cli):
    out = cli("generate", artifact, "--schema", SCHEMA)
    assert out.exit_code == 0, out.output
    if artifact == "jsonschema":
        doc = json.loads(out.output)
        assert set(doc["properties"]) == set(load_model(SCHEMA).forms)
    if artifact == "docs":
        assert "| USUBJID |" in out.output and "Lab test catalogue" not in out.output
