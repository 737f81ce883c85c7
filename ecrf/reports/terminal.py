"""Plain-text report for the terminal: per-form counts, then every finding."""

from __future__ import annotations

import polars as pl

from ecrf.engine import Result
from ecrf.findings import ERRORS, WARNINGS
from ecrf.writer import terminal


def render(result: Result, source: str) -> str:
    f, rows = result.findings, result.rows
    lines = [f"ecrf validate {terminal(source)}", ""]
    by = f.group_by(["form", "severity"]).len() if not f.is_empty() else None
    count = {}
    if by is not None:
        for form, sev, n in by.iter_rows():
            count[(form, sev)] = n
    table = [("form", "file", "rows read", "rows checked", "errors", "warnings")]
    for form, file, read, checked in rows.iter_rows():
        if form is None:  # a file that is no form: read, not checked; its finding is an export-level one
            table.append(("(none)", file, str(read), str(checked), "", ""))
            continue
        # Deviation findings count as their importance: important with the errors, non-important with the warnings.
        table.append((form, file, str(read), str(checked),
                      str(sum(count.get((form, s), 0) for s in ERRORS)),
                      str(sum(count.get((form, s), 0) for s in WARNINGS))))
    other_err = sum(n for (form, sev), n in count.items() if form is None and sev in ERRORS)
    other_warn = sum(n for (form, sev), n in count.items() if form is None and sev in WARNINGS)
    if other_err or other_warn:
        table.append(("(export)", "", "", "", str(other_err), str(other_warn)))
    lines += _grid(table)
    total_read = int(rows["rows_read"].sum() or 0)
    total_checked = int(rows["rows_checked"].sum() or 0)
    n_err = f.filter(pl.col("severity").is_in(list(ERRORS))).height
    lines += ["", f"rows read {total_read}, rows checked {total_checked}; "
                  f"{f.height} findings ({n_err} errors, {f.height - n_err} warnings)"]
    if result.not_applicable:
        lines += ["", f"Not applicable to this study ({len(result.not_applicable)} checks):"]
        lines += [f"  {n.check.id}: {terminal(n.reason)}" for n in result.not_applicable]
    if not f.is_empty():
        lines += ["", "Findings:"]
        # The deviation category column appears when there are deviation findings to classify.
        dv = f["dvcat"].is_not_null().any()
        body = [("severity", "check", *(("dvcat",) if dv else ()), "form", "row", "subject", "visit", "field", "value",
                 "message")]
        for r in f.iter_rows(named=True):
            body.append((r["severity"], r["check_id"], *((r["dvcat"] or "",) if dv else ()), r["form"] or "",
                         str(r["source_row"] or ""), terminal(r["subject"]), terminal(r["visit"]), terminal(r["field"]).upper(),
                         _short(r["value"]),
                         terminal(f"{r['message']} (expected {r['expected']})" if r["expected"] else r["message"])))
        lines += _grid(body)
    return "\n".join(lines) + "\n"


def _short(v, n=30) -> str:
    v = terminal(v)
    return v if len(v) <= n else v[: n - 1] + "…"


def _grid(rows) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for k, r in enumerate(rows):
        out.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if k == 0:
            out.append("  ".join("-" * w for w in widths))
    return out
