"""The query listing a data manager sends to sites (`--format xlsx`): one row per finding with an empty
"Site response" column, a summary sheet and the audit header on its own sheet.

Written with xlsxwriter, which never turns a string into a formula, URL or number when told not to; every
text cell also goes through `writer.cell()`, so a value such as `=HYPERLINK(...)` from the export stays text
in any spreadsheet that re-reads the file.
"""

from __future__ import annotations

import io
import json
import re

import xlsxwriter

from ecrf.audit import Run, audit_header
from ecrf.reports.listing import SITE_NONE, counts, listing_columns, listing_rows, site_groups
from ecrf.writer import cell

# Column widths in characters: the rest are sized to their content, within these bounds.
MIN_WIDTH, MAX_WIDTH = 8, 40
WRAPPED = {"Message": 60, "Expected": 30, "Site response": 40}  # columns that wrap at this width
MAX_CELL = 32767  # characters an Excel cell holds
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def to_xlsx(run: Run, split_by: str | None = None, **_) -> bytes:
    """The query listing of `run` as xlsx bytes; `split_by="site"` gives one findings sheet per site."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False})
    fmt = _formats(wb)
    columns = listing_columns(run)
    rows = listing_rows(run)
    if split_by == "site":
        used: set[str] = set()
        for site, part in site_groups(rows):
            name = _sheet_name("Site " + site if site != SITE_NONE else "No site", used)
            _findings_sheet(wb, fmt, name, columns, part)
        if not rows:
            _findings_sheet(wb, fmt, "Findings", columns, [])
    else:
        _findings_sheet(wb, fmt, "Findings", columns, rows)
    _summary_sheet(wb, fmt, run, rows)
    _audit_sheet(wb, fmt, audit_header(run))
    wb.close()
    return buf.getvalue()


def _formats(wb) -> dict:
    return {
        "head": wb.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1, "text_wrap": True,
                               "valign": "top"}),
        "text": wb.add_format({"valign": "top"}),
        "wrap": wb.add_format({"valign": "top", "text_wrap": True}),
        "title": wb.add_format({"bold": True, "font_size": 13}),
        "bold": wb.add_format({"bold": True}),
    }


def _sheet_name(name: str, used: set[str]) -> str:
    """An Excel sheet name: no []:*?/\\, at most 31 characters, unique (case-insensitively) in the book."""
    base = _SHEET_BAD.sub("_", name).strip("'")[:31] or "Sheet"
    out, n = base, 2
    while out.lower() in used:
        suffix = f" ({n})"
        out, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(out.lower())
    return out


def _put(ws, r: int, c: int, value, style) -> None:
    """One cell: numbers as numbers, everything else as defused text (never a formula)."""
    if value is None:
        ws.write_blank(r, c, None, style)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ws.write_number(r, c, value, style)
    else:
        text = cell(str(value))
        if len(text) > MAX_CELL:  # Excel's limit; the JSON and CSV reports keep the full text
            text = text[: MAX_CELL - 1] + "…"
        ws.write_string(r, c, text, style)


def _findings_sheet(wb, fmt, name: str, columns: list[str], rows: list[dict]) -> None:
    ws = wb.add_worksheet(name)
    for c, col in enumerate(columns):
        ws.write_string(0, c, col, fmt["head"])
    for r, row in enumerate(rows, start=1):
        for c, col in enumerate(columns):
            _put(ws, r, c, row.get(col), fmt["wrap"] if col in WRAPPED else fmt["text"])
    for c, col in enumerate(columns):
        ws.set_column(c, c, _width(col, [row.get(col) for row in rows]), fmt["wrap"] if col in WRAPPED else None)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)


def _width(col: str, values: list) -> float:
    if col in WRAPPED:
        return WRAPPED[col]
    longest = max((len(str(v)) for v in values if v is not None), default=0)
    return max(MIN_WIDTH, min(MAX_WIDTH, max(longest, len(col)) + 2))


def _summary_sheet(wb, fmt, run: Run, rows: list[dict]) -> None:
    ws = wb.add_worksheet("Summary")
    ws.write_string(0, 0, "Findings summary", fmt["title"])
    total = [("Rows read", int(run.rows["rows_read"].sum() or 0)),
             ("Rows checked", int(run.rows["rows_checked"].sum() or 0)),
             ("Findings", run.findings.height)]
    if run.resolved.height:
        total.append(("Resolved since the previous run", run.resolved.height))
    r = 2
    for label, n in total:
        ws.write_string(r, 0, label, fmt["bold"])
        ws.write_number(r, 1, n)
        r += 1
    titles = {c.id: c.title for c in run.checks_run}
    current = [row for row in rows if row.get("Status") != "resolved"]
    for heading, key in (("By check", "Check"), ("By site", "Site"), ("By subject", "Subject"),
                         ("By status", "Status"), ("By severity", "Severity")):
        if key == "Status" and not any(row.get("Status") for row in rows):
            continue
        r += 1
        ws.write_string(r, 0, heading, fmt["title"])
        r += 1
        head = [key, "Findings"] + (["Title"] if key == "Check" else [])
        for c, h in enumerate(head):
            ws.write_string(r, c, h, fmt["head"])
        r += 1
        # Counts by check, site, subject: the current findings; the status counts list the resolved too.
        for value, n in counts(rows if key == "Status" else current, key):
            _put(ws, r, 0, value, fmt["text"])
            ws.write_number(r, 1, n)
            if key == "Check":
                _put(ws, r, 2, titles.get(value), fmt["text"])
            r += 1
    if run.history:  # with a ledger: the findings per status of every run, oldest first
        r += 1
        ws.write_string(r, 0, "Ledger runs", fmt["title"])
        r += 1
        head = ["Run time", "new", "open", "reopened", "accepted", "resolved"]
        for c, h in enumerate(head):
            ws.write_string(r, c, h, fmt["head"])
        for item in run.history:
            r += 1
            _put(ws, r, 0, item.get("time"), fmt["text"])
            for c, h in enumerate(head[1:], start=1):
                ws.write_number(r, c, item.get(h, 0))
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 10)
    ws.set_column(2, 2, 70)


def _audit_sheet(wb, fmt, head: dict) -> None:
    ws = wb.add_worksheet("Audit")
    ws.write_string(0, 0, "Audit header", fmt["title"])
    r = 2
    for key, value in head.items():
        if key == "inputs":
            continue
        ws.write_string(r, 0, key, fmt["bold"])
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
        _put(ws, r, 1, text, fmt["wrap"])
        r += 1
    r += 1
    ws.write_string(r, 0, "Input files", fmt["title"])
    r += 1
    for c, h in enumerate(("File", "Rows read", "sha256")):
        ws.write_string(r, c, h, fmt["head"])
    for item in head.get("inputs", []):
        r += 1
        _put(ws, r, 0, item["name"], fmt["text"])
        ws.write_number(r, 1, item["rows_read"])
        _put(ws, r, 2, item["sha256"], fmt["text"])
    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 70)
    ws.set_column(2, 2, 66)

