"""The xlsx query listing: read back with openpyxl and opened by LibreOffice."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from collections import Counter

import openpyxl
import pytest
from report_helpers import example, json_report

HOSTILE = '=HYPERLINK("http://attacker.example/x","click")'


def _xlsx(cli, export, out, *extra):
    res = cli("validate", export, "--format", "xlsx", "-o", out, *extra)
    assert res.exit_code == 1, res.output
    return openpyxl.load_workbook(out)


def _rows(ws):
    rows = list(ws.iter_rows(values_only=True))
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]


def test_findings_sheet_one_row_per_finding(cli, tmp_path):
    export = example(cli, tmp_path / "e")
    doc = json_report(cli, export, tmp_path)
    wb = _xlsx(cli, export, tmp_path / "q.xlsx")
    assert wb.sheetnames == ["Findings", "Summary", "Audit"]
    ws = wb["Findings"]
    head, rows = _rows(ws)
    for col in ("Site", "Subject", "Visit", "Form", "Field", "Value", "Expected", "Check", "Severity",
                "Deviation category", "Message", "Site response"):
        assert col in head
    assert "Status" not in head  # no ledger, no status column
    assert len(rows) == len(doc["findings"]) > 0
    assert Counter(r["Fingerprint"] for r in rows) == Counter(f["fingerprint"] for f in doc["findings"])
    by_fp = {f["fingerprint"]: f for f in doc["findings"]}
    for r in rows:
        f = by_fp[r["Fingerprint"]]
        assert (r["Subject"], r["Check"], r["Field"], r["Site"]) == (f["subject"], f["check_id"], f["field"], f["site"])
        assert r["Site response"] is None
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(head))}{len(rows) + 1}"
    msg = head.index("Message") + 1
    assert ws.cell(2, msg).alignment.wrap_text
    assert 8 <= ws.column_dimensions["A"].width <= 40


def test_summary_and_audit_sheets(cli, tmp_path):
    export = example(cli, tmp_path / "e")
    doc = json_report(cli, export, tmp_path)
    wb = _xlsx(cli, export, tmp_path / "q.xlsx")
    summary = [r for r in wb["Summary"].iter_rows(values_only=True)]
    assert ("Findings", len(doc["findings"]), None) in summary
    by_check = Counter(f["check_id"] for f in doc["findings"])
    for check, n in by_check.items():
        assert any(r[0] == check and r[1] == n for r in summary), check
    by_site = Counter(f["site"] for f in doc["findings"] if f["site"])
    for site, n in by_site.items():
        assert any(r[0] == site and r[1] == n for r in summary), site
    audit = {r[0]: r[1] for r in wb["Audit"].iter_rows(values_only=True) if r[0]}
    assert audit["tool_version"] == doc["audit"]["tool_version"]
    assert doc["audit"]["schema"]["sha256"] in audit["schema"]
    assert '"format": "xlsx"' in audit["options"]
    files = {r[0]: (r[1], r[2]) for r in wb["Audit"].iter_rows(values_only=True) if r[2] and len(str(r[2])) == 64}
    assert files["dm.csv"] == next((i["rows_read"], i["sha256"]) for i in doc["audit"]["inputs"]
                                   if i["name"] == "dm.csv")


def test_formula_from_the_export_stays_text(cli, tmp_path):
    export = example(cli, tmp_path / "e", cm_date=HOSTILE)
    out = tmp_path / "q.xlsx"
    wb = _xlsx(cli, export, out)
    ws = wb["Findings"]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells, "the planted value is not in the listing"
    for c in cells:
        assert c.data_type == "s" and c.value.startswith("'=")
    # openpyxl sees no formula anywhere in the workbook
    assert not any(c.data_type == "f" for s in wb for row in s.iter_rows() for c in row)


def test_split_by_site(cli, tmp_path):
    export = example(cli, tmp_path / "e")
    doc = json_report(cli, export, tmp_path)
    wb = _xlsx(cli, export, tmp_path / "q.xlsx", "--split-by", "site")
    sites = Counter(f["site"] or "" for f in doc["findings"])
    expected = sorted(f"Site {s}" for s in sites if s) + (["No site"] if "" in sites else [])
    assert wb.sheetnames == expected + ["Summary", "Audit"]
    for name in expected:
        head, rows = _rows(wb[name])
        site = name.removeprefix("Site ") if name != "No site" else None
        assert {r["Site"] for r in rows} == {site}
        assert len(rows) == sites[site or ""]
        assert wb[name].freeze_panes == "A2" and wb[name].auto_filter.ref


def test_split_by_needs_xlsx(cli_raw, tmp_path):
    res = cli_raw("validate", tmp_path, "--format", "json", "--split-by", "site")
    assert res.exit_code == 2 and "--split-by" in res.output


def test_xlsx_needs_output(cli_raw, tmp_path):
    res = cli_raw("validate", tmp_path, "--format", "xlsx")
    assert res.exit_code == 2 and "--output" in res.output


def test_ledger_status_and_resolved(cli, tmp_path):
    export = example(cli, tmp_path / "e")
    ledger = tmp_path / "study.ledger"
    first = json_report(cli, export, tmp_path, "--ledger", ledger)
    fixed = example(cli, tmp_path / "e2", cm_date="2024-12")  # the site corrected the malformed date
    wb = _xlsx(cli, fixed, tmp_path / "q.xlsx", "--ledger", ledger)
    head, rows = _rows(wb["Findings"])
    assert "Status" in head
    status = Counter(r["Status"] for r in rows)
    assert status["resolved"] >= 1
    assert status["open"] == len(rows) - status["resolved"] - status["new"]
    gone = [r for r in rows if r["Status"] == "resolved"]
    assert any(r["Check"] == "COL-DATE" and r["Value"] == "2024-13" for r in gone)
    assert {r["Fingerprint"] for r in rows} <= {f["fingerprint"] for f in first["findings"]} | \
        {r["Fingerprint"] for r in rows if r["Status"] == "new"}
    summary = list(wb["Summary"].iter_rows(values_only=True))
    assert ("resolved", status["resolved"]) in [r[:2] for r in summary]
    runs = summary[[r[0] for r in summary].index("Run time") + 1:]
    assert len(runs) == 2
    assert runs[0][1] == len(first["findings"]) and runs[1][5] == status["resolved"]  # new, then resolved


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed; .ci/run "
                    "installs libreoffice-calc")
def test_opens_in_libreoffice(cli, tmp_path):
    export = example(cli, tmp_path / "e", cm_date=HOSTILE)
    out = tmp_path / "q.xlsx"
    _xlsx(cli, export, out)
    profile = tmp_path / "lo-profile"  # a private profile: parallel runs never share LibreOffice's lock
    proc = subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                           "csv", "--outdir", str(tmp_path / "csv"), str(out)],
                          capture_output=True, text=True, timeout=180, env=os.environ | {"HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    with (tmp_path / "csv" / "q.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:3] == ["Site", "Subject", "Visit"]
    doc_rows = openpyxl.load_workbook(out)["Findings"].max_row
    assert len(rows) == doc_rows
    # LibreOffice shows the planted formula as text, never evaluates it
    assert any(HOSTILE in cell for r in rows for cell in r)
    assert not any(cell == "click" for r in rows for cell in r)


def test_clean_export_and_long_values(cli, tmp_path):
    from ecrf.reports.xlsx import MAX_CELL

    clean = tmp_path / "clean"
    assert cli("example", clean, "--subjects", 3, "--clean").exit_code == 0
    res = cli("validate", clean, "--format", "xlsx", "-o", tmp_path / "c.xlsx")
    assert res.exit_code == 0, res.output
    head, rows = _rows(openpyxl.load_workbook(tmp_path / "c.xlsx")["Findings"])
    assert head[0] == "Site" and rows == []
    long = "9" * 40000  # longer than an Excel cell holds: cut, never a broken file
    export = example(cli, tmp_path / "e", cm_date=long)
    wb = _xlsx(cli, export, tmp_path / "q.xlsx")
    values = [c.value for row in wb["Findings"].iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    cut = [v for v in values if v.startswith("9999") and len(v) > 100]  # 9999-12-31 is another finding
    assert cut and all(len(v) == MAX_CELL and v.endswith("…") for v in cut)
