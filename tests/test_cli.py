"""The command line as a data manager or a CI job runs it."""

from __future__ import annotations

import csv
import io
import json

import pytest
from helpers import clean_export, minimal_subject, write_export


@pytest.fixture
def export_with_one_error(tmp_path):
    forms = minimal_subject()
    forms["dm"][0]["SEX"] = "X"
    return write_export(tmp_path / "export", forms)


def test_help_explains_commands_with_examples(cli):
    top = cli("--help")
    assert top.exit_code == 0
    for word in ("validate", "generate", "example", "Exit codes"):
        assert word in top.output
    val = cli("validate", "--help")
    for word in ("--format", "--output", "--fail-on", "Examples:", "ecrf validate export/"):
        assert word in val.output


def test_terminal_report_shows_counts_then_findings(cli, export_with_one_error):
    res = cli("validate", export_with_one_error)
    assert res.exit_code == 1
    out = res.output
    assert out.index("rows read") < out.index("Findings:")
    assert "COL-CODELIST" in out and "01-001" in out and "SEX" in out


@pytest.mark.parametrize("fail_on,code", [("error", 1), ("warning", 1), ("never", 0)])
def test_fail_on_threshold(cli, export_with_one_error, fail_on, code):
    assert cli("validate", export_with_one_error, "--fail-on", fail_on).exit_code == code


def test_warning_only_export_passes_at_error_threshold(cli, tmp_path):
    export = clean_export(tmp_path / "e")
    (export / "notes.csv").write_text("A\n1\n")
    assert cli("validate", export).exit_code == 0
    assert cli("validate", export, "--fail-on", "warning").exit_code == 1


def test_json_and_csv_reports_have_the_fixed_columns(cli, export_with_one_error, tmp_path):
    from ecrf.audit import LEDGER_COLUMNS
    from ecrf.findings import COLUMNS

    out_json, out_csv = tmp_path / "f.json", tmp_path / "f.csv"
    cli("validate", export_with_one_error, "--format", "json", "--output", out_json)
    cli("validate", export_with_one_error, "--format", "csv", "--output", out_csv)
    doc = json.loads(out_json.read_text())
    assert list(doc["findings"][0]) == COLUMNS + list(LEDGER_COLUMNS)
    assert doc["summary"]["rows_read"] == doc["summary"]["rows_checked"] == 4
    text = out_csv.read_text()
    assert text.startswith("# tool: ")  # the audit header opens the report
    rows = list(csv.DictReader(io.StringIO("".join(x for x in text.splitlines(True) if not x.startswith("#")))))
    assert list(rows[0]) == COLUMNS + list(LEDGER_COLUMNS)
    assert rows[0]["fingerprint"] == doc["findings"][0]["fingerprint"]
    assert (rows[0]["check_id"], rows[0]["field"], rows[0]["value"]) == ("COL-CODELIST", "SEX", "X")
    assert (rows[0]["site"], rows[0]["subject"]) == ("01", "01-001")


def test_usage_error_exits_2(cli, export_with_one_error):
    assert cli("validate", export_with_one_error, "--format", "pdf").exit_code == 2
    assert cli("frobnicate").exit_code == 2


def test_category_filter(cli, export_with_one_error):
    res = cli("validate", export_with_one_error, "--category", "range")
    assert res.exit_code == 0 and "0 findings" in res.output
