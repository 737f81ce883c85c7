"""The JSON report's schema (docs/report.schema.json): valid against the metaschema, current, and strict."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from helpers import assert_valid_report, minimal_subject, write_export

from ecrf.reports.report_schema import report_schema, text

DOC = Path(__file__).resolve().parents[1] / "docs" / "report.schema.json"


def test_schema_is_valid_against_the_metaschema_and_current():
    jsonschema.Draft202012Validator.check_schema(report_schema())
    assert DOC.read_text(encoding="utf-8") == text()


@pytest.fixture
def report(cli, tmp_path):
    forms = minimal_subject()
    forms["dm"][0]["SEX"] = "X"
    export = write_export(tmp_path / "e", forms)
    out = tmp_path / "r.json"
    cli("validate", export, "--format", "json", "-o", out, "--ledger", tmp_path / "s.ledger")
    return json.loads(out.read_text())


def test_a_report_with_a_ledger_is_valid(report):
    assert_valid_report(report)
    assert report["findings"][0]["status"] == "new"


@pytest.mark.parametrize("breakage", [
    lambda d: d.pop("audit"),
    lambda d: d["findings"][0].update(severity="fatal"),
    lambda d: d["findings"][0].pop("fingerprint"),
    lambda d: d["findings"][0].update(extra_column="x"),
    lambda d: d["audit"]["inputs"][0].update(sha256="abc"),
    lambda d: d["findings"][0].update(status="closed"),
    lambda d: d["audit"].update(run_time="yesterday"),
])
def test_the_schema_rejects_a_broken_report(report, breakage):
    breakage(report)
    with pytest.raises(AssertionError):
        assert_valid_report(report)


def test_the_json_report_is_indented_with_a_line_per_finding(cli, tmp_path):
    # a report diffs finding by finding; a message with a newline or a quote stays on its finding's line
    forms = minimal_subject()
    forms["dm"][0]["SEX"] = 'X"\nY'
    export = write_export(tmp_path / "e", forms)
    out = tmp_path / "r.json"
    cli("validate", export, "--format", "json", "-o", out)
    text = out.read_text(encoding="utf-8")
    doc = json.loads(text)
    lines = text.splitlines()
    finding_lines = [ln for ln in lines if ln.startswith('    {"fingerprint": ')]
    assert doc["findings"] and len(finding_lines) == len(doc["findings"])
    assert [json.loads(ln.rstrip(",")) for ln in finding_lines] == doc["findings"]
    assert any(f["value"] == 'X"\nY' for f in doc["findings"])
    assert lines[0] == "{" and lines[1].startswith('  "$schema": ') and '    "tool": "ecrf",' in lines
