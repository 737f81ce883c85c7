"""Machine-readable reports: JSON (summary, forms and findings) and CSV (findings)."""

from __future__ import annotations

import io
import json

import polars as pl

from ecrf.engine import Result
from ecrf.writer import cell


def to_json(result: Result, source: str) -> str:
    f = result.findings
    doc = {
        "source": source,
        "summary": {
            "rows_read": int(result.rows["rows_read"].sum() or 0),
            "rows_checked": int(result.rows["rows_checked"].sum() or 0),
            "findings": f.height,
            "by_severity": {s: n for s, n in f.group_by("severity").len().iter_rows()} if f.height else {},
        },
        "forms": result.rows.to_dicts(),
        "not_applicable": [{"check_id": n.check.id, "reason": n.reason} for n in result.not_applicable],
        "findings": f.to_dicts(),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def to_csv(result: Result) -> str:
    """The findings as CSV, every text cell defused against spreadsheet formula injection."""
    f = result.findings
    f = f.with_columns(pl.col(c).map_elements(cell, return_dtype=pl.Utf8) for c, t in f.schema.items() if t == pl.Utf8)
    buf = io.StringIO()
    f.write_csv(buf)
    return buf.getvalue()
