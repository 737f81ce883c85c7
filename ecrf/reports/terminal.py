"""The report for a person at a terminal: rows per form, counts per check and per subject, then the findings,
fitted to the terminal's width (long messages wrap, long values are cut; JSON and CSV keep the full text).
Every value from the export is escaped before it is printed (ecrf.writer.terminal)."""

from __future__ import annotations

import textwrap

import polars as pl

from ecrf import findings as F
from ecrf.audit import Run
from ecrf.reports.console import paint
from ecrf.reports.tabular import GAP, INLINE_MIN, grid
from ecrf.writer import terminal

GROUPS = {"check": "check_id", "subject": "subject", "form": "form"}
ERRORS = tuple(sorted(F.ERRORS))  # deviations count as their importance (ecrf.findings)
CAPS = {"value": 24, "expected": 28, "field": 14, "dvcat": 18, "visit": 10, "site": 8}
KEEP = ("severity", "check", "subject", "row", "field")  # never cut while other columns can give room


def render(run: Run, width: int | None = None, group_by: str | None = None, color: bool = False,
           quiet: bool = False) -> str:
    f = run.findings
    pnt = paint if color else None
    title = f"ecrf validate {terminal(str(run.source))}"
    lines = [*(textwrap.wrap(title, width, break_on_hyphens=False) if width else [title]), ""]
    if not quiet:
        lines += grid(_form_rows(run), width) + [""]
    for line in _summary(run):
        lines += textwrap.wrap(line, width, subsequent_indent="  ") if width else [line]
    if quiet or (f.is_empty() and run.resolved.is_empty()):
        return "\n".join(lines) + "\n"
    if not f.is_empty():
        lines += ["", "Findings per check:"]
        lines += grid(_per_check(f), width, wrap="title", paint=pnt, indent="  ", keep=("check",))
        if f["subject"].is_not_null().any():
            lines += ["", "Findings per subject:"]
            lines += grid(_per_subject(f), width, indent="  ")
        lines += ["", "Findings:" if not group_by else f"Findings by {group_by}:"]
        lines += _findings(f, width, group_by, pnt)
    if not run.resolved.is_empty():
        lines += ["", "Resolved since the last run:"]
        r = run.resolved.select("fingerprint", "check_id", "subject", "form", "field", "message")
        lines += grid(r.rename({"check_id": "check"}), width, wrap="message", indent="  ")
    return "\n".join(lines) + "\n"


def _form_rows(run: Run) -> list[tuple]:
    f, rows = run.findings, run.rows
    count: dict = {}
    if not f.is_empty():
        for form, sev, n in f.group_by(["form", "severity"]).len().iter_rows():
            key = (form, "errors" if sev in ERRORS else "warnings")
            count[key] = count.get(key, 0) + n
    table = [("form", "file", "rows read", "rows checked", "errors", "warnings")]
    for form, file, read, checked in rows.iter_rows():
        if form is None:  # a file that is no form: read, not checked; its finding is an export-level one
            table.append(("(none)", file, read, checked, "", ""))
            continue
        table.append((form, file, read, checked, count.get((form, "errors"), 0), count.get((form, "warnings"), 0)))
    if count.get((None, "errors")) or count.get((None, "warnings")):
        table.append(("(export)", "", "", "", count.get((None, "errors"), 0), count.get((None, "warnings"), 0)))
    return table


def _summary(run: Run) -> list[str]:
    f = run.findings
    n_err = f.filter(pl.col("severity").is_in(ERRORS)).height
    read, checked = int(run.rows["rows_read"].sum() or 0), int(run.rows["rows_checked"].sum() or 0)
    out = [f"rows read {read}, rows checked {checked}; {f.height} findings ({n_err} errors, "
           f"{f.height - n_err} warnings)"]
    if run.ledger is not None:
        by = dict(f.group_by("status").len().iter_rows()) if f.height else {}
        parts = [f"{by.get(s, 0)} {s}" for s in ("new", "open", "reopened", "accepted")]
        out.append(f"ledger {terminal(str(run.ledger))}: {', '.join(parts)}, {run.resolved.height} resolved")
    na = run.result.not_applicable
    if na:
        out.append(f"Not applicable to this study ({len(na)} checks): "
                   + "; ".join(terminal(f"{n.check.id} ({n.reason})") for n in na))
    failing = run.failing().height
    level = run.options.get("fail_on", "error")
    out.append(f"{failing} finding{'s' if failing != 1 else ''} fail at --fail-on {level}" if level != "never"
               else "--fail-on never: the run does not fail")
    return out


def _per_check(f: pl.DataFrame) -> pl.DataFrame:
    from ecrf.registry import REGISTRY

    agg = f.group_by("check_id").agg(pl.col("severity").first(), pl.len().alias("findings"),
                                     pl.col("subject").n_unique().alias("subjects")).sort("check_id")
    return agg.with_columns(pl.col("check_id").replace_strict(
        {k: c.title for k, c in REGISTRY.items()}, default="", return_dtype=pl.Utf8).alias("title")) \
        .select(pl.col("check_id").alias("check"), "severity", "findings", "subjects", "title")


def _per_subject(f: pl.DataFrame) -> pl.DataFrame:
    return f.filter(pl.col("subject").is_not_null()).group_by("site", "subject").agg(
        pl.col("severity").is_in(ERRORS).sum().alias("errors"),
        (~pl.col("severity").is_in(ERRORS)).sum().alias("warnings"),
        pl.len().alias("findings"),
        pl.col("check_id").n_unique().alias("checks")).sort("site", "subject", nulls_last=True)


def _columns(f: pl.DataFrame, skip: str | None) -> list[str]:
    cols = ["severity", "check_id"]
    if f["dvcat"].is_not_null().any():
        cols.append("dvcat")
    if f["status"].is_not_null().any():
        cols.append("status")
    cols += ["site", "subject", "visit", "form", "source_row", "field", "value", "expected", "message"]
    return [c for c in cols if c != skip]


_NAMES = {"check_id": "check", "source_row": "row"}


def _findings(f: pl.DataFrame, width: int | None, group_by: str | None, pnt) -> list[str]:
    key = GROUPS.get(group_by) if group_by else None
    cols = _columns(f, key)
    body = f.select([pl.col(c).cast(pl.Utf8).fill_null("").alias(_NAMES.get(c, c)) for c in cols])
    body = body.with_columns(pl.col("field").str.to_uppercase())
    if key is None:
        return _listing(body, width, pnt, "  ")
    out = []
    keys = f[key].fill_null("(none)")
    for value in keys.unique(maintain_order=False).sort().to_list():
        part = body.filter(keys == value)
        errs = f.filter(keys == value)["severity"].is_in(ERRORS).sum()
        head = f"  {terminal(value)}: {_n(part.height, 'finding')} ({_n(errs, 'error')}, " \
               f"{_n(part.height - errs, 'warning')})"
        out += ["", *(textwrap.wrap(head, width, subsequent_indent="    ") if width else [head])]
        out += _listing(part, width, pnt, "    ")
    return out


def _listing(body: pl.DataFrame, width: int | None, pnt, indent: str) -> list[str]:
    """A table when the terminal is wide enough for every column with the message wrapped beside it; else
    one block per finding (where on the first line, value and expected on the second, then the message)."""
    names = body.columns
    need = sum(min(max([len(terminal(x)) for x in body[c].to_list()] + [len(c)]), CAPS.get(c, 1 << 30))
               for c in names if c != "message") + len(GAP) * len(names) + INLINE_MIN + len(indent)
    if width is None or need <= width:
        return grid(body, width, wrap="message", paint=pnt, caps=CAPS, indent=indent, keep=KEEP)
    out = []
    room = max(width - len(indent) - 4, 20)
    for r in body.iter_rows(named=True):
        where = [r.get("check", ""), r.get("status", ""), f"site {r['site']}" if r.get("site") else "",
                 f"subject {r['subject']}" if r.get("subject") else "", f"visit {r['visit']}" if r["visit"] else "",
                 f"{r['form']} row {r['row']}" if r.get("form") and r["row"] else r.get("form", ""), r["field"]]
        head = "  ".join(terminal(x) for x in where if x)
        sev = pnt("severity", r["severity"]) if pnt else r["severity"]
        lines = textwrap.wrap(head, max(width - len(indent) - len(r["severity"]) - 2, 20)) or [""]
        out.append(f"{indent}{sev}  {lines[0]}")
        out += [f"{indent}    {x}" for x in lines[1:]]
        detail = f"seen {terminal(r['value']) or '(empty)'}" + (f"; expected {terminal(r['expected'])}"
                                                               if r["expected"] else "")
        if r.get("dvcat"):
            detail += f"; {terminal(r['dvcat'])} deviation"
        for text in (detail, terminal(r["message"])):
            out += [f"{indent}    {x}" for x in textwrap.wrap(text, room, break_long_words=True,
                                                              break_on_hyphens=False)]
    return out


def _n(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"
