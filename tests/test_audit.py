"""The audit header that opens every machine-readable report: tool, schema, time, options, input files."""

from __future__ import annotations

import hashlib
import json

import polars as pl
from helpers import clean_export, minimal_subject, write_export


def test_json_report_opens_with_the_audit_header(cli, tmp_path):
    forms = minimal_subject()
    forms["dm"][0]["SEX"] = "X"
    export = write_export(tmp_path / "e", forms)
    (export / "notes.txt").write_text("not a form\n")
    res = cli("validate", export, "--format", "json", "--category", "range", "--fail-on", "warning")
    doc = json.loads(res.output)
    assert list(doc)[:2] == ["$schema", "audit"]
    head = doc["audit"]
    assert head["tool"] == "ecrf" and head["tool_version"]
    assert head["schema"]["name"] == "kn5601k" and len(head["schema"]["sha256"]) == 64
    assert head["options"]["category"] == ["range"] and head["options"]["fail_on"] == "warning"
    assert head["run_time"].endswith("+00:00")
    files = {f["name"]: f for f in head["inputs"]}
    assert set(files) == {"dm.csv", "ic.csv", "ie.csv", "sv.csv", "notes.txt"}
    assert files["dm.csv"]["rows_read"] == 1 and files["notes.txt"]["rows_read"] == 0
    for name, f in files.items():
        assert f["sha256"] == hashlib.sha256((export / name).read_bytes()).hexdigest()


def test_csv_report_audit_lines_are_skipped_by_csv_readers(cli, tmp_path):
    forms = minimal_subject()
    forms["dm"][0]["SEX"] = "=HYPERLINK(\"http://x\")"
    export = write_export(tmp_path / "e", forms)
    out = tmp_path / "f.csv"
    cli("validate", export, "--format", "csv", "-o", out)
    head = [x for x in out.read_text().splitlines() if x.startswith("#")]
    assert {x.split(":")[0] for x in head} >= {"# tool", "# tool_version", "# schema", "# inputs", "# options"}
    df = pl.read_csv(out, comment_prefix="#", infer_schema=False)
    assert df.filter(pl.col("field") == "SEX")["value"].to_list() == ["'=HYPERLINK(\"http://x\")"]


def test_reports_go_inside_the_export_only_when_asked(cli, tmp_path):
    export = clean_export(tmp_path / "e")
    res = cli("validate", export, "--format", "json", "-o", export / "report.json")
    assert res.exit_code == 2 and "--output-inside-export" in res.output
    assert not (export / "report.json").exists()
    res = cli("validate", export, "--format", "json", "-o", export / "report.json", "--output-inside-export")
    assert res.exit_code == 0 and (export / "report.json").exists()
    res = cli("validate", export, "--format", "csv", "-o", export / "dm.csv", "--output-inside-export")
    assert res.exit_code == 2 and "over an input" in res.output
    assert (export / "dm.csv").read_text().startswith("STUDYID")
    res = cli("validate", export, "--ledger", export / "s.ledger", "--output-inside-export")
    assert res.exit_code == 2 and not (export / "s.ledger").exists()
