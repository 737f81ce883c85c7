"""Machine-readable reports: JSON (summary, forms and findings) and CSV (findings)."""

from __future__ import annotations

import io
import json

from ecrf.engine import Result


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
        "findings": f.to_dicts(),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def to_csv(result: Result) -> str:
    buf = io.StringIO()
    result.findings.write_csv(buf)
    return buf.getvalue()
