"""The HTML review report (`--format html`): one self-contained file for a review meeting. The audit header,
the summary, charts by check, form, site and subject (and, with a ledger, by status over the runs), a
listing per subject and a sortable, filterable table of every finding.

Every value from the export is HTML-escaped; the charts are SVG images in data URIs; the script and style are
inline (ecrf.reports.html_assets), so the file opens offline and no value can inject markup or script.
"""

from __future__ import annotations

import json
from html import escape
from urllib.parse import quote

from ecrf.audit import Run, audit_header
from ecrf.reports import html_plots
from ecrf.reports.html_assets import CSS, JS
from ecrf.reports.listing import counts, listing_columns, listing_rows

# Table columns: the listing without the empty response column and the ledger detail (kept in the xlsx).
HIDDEN = {"Site response", "First seen", "Accepted because", "Fingerprint"}
FILTERS = ("Site", "Check", "Severity", "Status")  # columns with a drop-down filter
NUMERIC = {"Runs open"}
# The findings table lists at most this many rows (the first, in the report's order: errors first), so the file
# stays a few MB and a browser sorts and filters it at once however many findings a run has; the summary, the
# charts and the per-subject listing count every finding, and JSON, CSV and xlsx list them all.
MAX_TABLE_ROWS = 5000


def e(value) -> str:
    return "" if value is None else escape(str(value), quote=True)


def to_html(run: Run, max_rows: int = MAX_TABLE_ROWS, **_) -> str:
    head = audit_header(run)
    rows = listing_rows(run)
    current = [r for r in rows if r.get("Status") != "resolved"]
    columns = [c for c in listing_columns(run) if c not in HIDDEN]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>ecrf review: {e(head['source'])}</title><style>{CSS}</style></head><body>",
        f"<h1>Findings review: {e(head['source'])}</h1>",
        f'<p class="meta">Run {e(head["run_time"])} with ecrf {e(head["tool_version"])}, schema '
        f'{e(head["schema"].get("name"))} {e(head["schema"].get("version"))}.</p>',
        _summary(run, rows),
        _plots(run, current),
        _subjects(current),
        _table(columns, rows, max_rows),
        _audit(head),
        f"<script>{JS}</script></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _summary(run: Run, rows: list[dict]) -> str:
    tiles = [("Rows read", int(run.rows["rows_read"].sum() or 0)),
             ("Rows checked", int(run.rows["rows_checked"].sum() or 0)),
             ("Findings", run.findings.height),
             ("Checks run", len(run.checks_run))]
    tiles += [(f"Severity {k}", n) for k, n in counts([r for r in rows if r.get("Status") != "resolved"],
                                                      "Severity")]
    if any(r.get("Status") for r in rows):
        tiles += [(f"Status {k}", n) for k, n in counts(rows, "Status")]
    cells = "".join(f'<div class="tile">{e(label)}<b>{n}</b></div>' for label, n in tiles)
    return f'<h2 id="summary">Summary</h2><div class="tiles">{cells}</div>'


def _plots(run: Run, current: list[dict]) -> str:
    charts = [html_plots.bars(f"Findings by {name.lower()}", counts(current, name))
              for name in ("Check", "Form", "Site", "Subject")]
    if run.history:
        charts.append(html_plots.history(run.history))
    imgs = "".join(f'<img alt="chart" src="{uri}">' for uri in charts if uri)
    if not imgs:
        return '<h2 id="charts">Charts</h2><p>No findings: nothing to chart.</p>'
    return f'<h2 id="charts">Charts</h2><div class="plots">{imgs}</div>'


def _subjects(current: list[dict]) -> str:
    """Per subject: its site and, per check, how many findings on which form fields (the table, filtered on
    the subject through its link, has every detail; listing each finding twice would double the file)."""
    by: dict[str, list[dict]] = {}
    for r in current:
        by.setdefault(r.get("Subject") or "(no subject)", []).append(r)
    out = ['<h2 id="subjects">Findings per subject</h2>']
    if not by:
        out.append("<p>No findings.</p>")
    for subject in sorted(by):
        items = by[subject]
        site = next((r["Site"] for r in items if r.get("Site")), None)
        checks: dict[str, list[dict]] = {}
        for r in items:
            checks.setdefault(r.get("Check") or "", []).append(r)
        lines = "".join(
            f'<li><span class="sev-{e(rs[0].get("Severity"))}">{e(check)}</span> ({len(rs)}): '
            f'{e(", ".join(sorted({".".join(str(r[k]) for k in ("Form", "Field") if r.get(k)) for r in rs})))}</li>'
            for check, rs in sorted(checks.items()))
        link = f' <a href="#q={e(quote(subject, safe=""))}">show in table</a>' if subject != "(no subject)" else ""
        out.append(f'<details class="subject"><summary>{e(subject)}{" (site " + e(site) + ")" if site else ""}: '
                   f"{len(items)} finding{'s' if len(items) != 1 else ''}{link}</summary><ul>{lines}</ul></details>")
    return "".join(out)


def _table(columns: list[str], rows: list[dict], max_rows: int) -> str:
    total, rows = len(rows), rows[:max_rows]
    note = "" if total <= max_rows else (
        f'<p class="note" id="truncated">The table lists the first {len(rows):,} of {total:,} findings (in the order '
        "of the report: errors first). Every finding is in the JSON, CSV and xlsx reports "
        "(<code>ecrf validate --format xlsx -o queries.xlsx</code>).</p>")
    controls = ['<div class="controls"><label>Filter <input id="filter" type="search" '
                'placeholder="any text: subject, check, value..."></label>']
    for name in FILTERS:
        if name not in columns:
            continue
        col = columns.index(name)
        values = sorted({str(r[name]) for r in rows if r.get(name) is not None})
        opts = "".join(f'<option value="{e(v)}">{e(v)}</option>' for v in values)
        controls.append(f'<label>{e(name)} <select data-col="{col}"><option value="">all</option>{opts}'
                        "</select></label>")
    controls.append(f'<span><b id="shown">{len(rows)}</b> of {len(rows)} findings shown</span></div>')
    head = "".join(f'<th scope="col"{" data-type=number" if c in NUMERIC else ""}>{e(c)}</th>' for c in columns)
    body = []
    for r in rows:
        cells = []
        for c in columns:
            cls = ' class="msg"' if c == "Message" else (f' class="sev-{e(r.get(c))}"' if c == "Severity" else "")
            cells.append(f"<td{cls}>{e(r.get(c))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return ('<h2 id="table">Findings</h2>' + note + "".join(controls)
            + f'<table id="findings"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')


def _audit(head: dict) -> str:
    rows = "".join(
        f"<tr><td>{e(k)}</td><td><code>{e(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))}"
        "</code></td></tr>" for k, v in head.items() if k != "inputs")
    files = "".join(f"<tr><td>{e(i['name'])}</td><td>{i['rows_read']}</td><td><code>{e(i['sha256'])}</code></td></tr>"
                    for i in head.get("inputs", []))
    return ('<h2 id="audit">Audit</h2><details open><summary>Tool, schema, options</summary>'
            f'<table class="audit">{rows}</table></details><details><summary>Input files</summary>'
            f"<table><thead><tr><th>File</th><th>Rows read</th><th>sha256</th></tr></thead>{files}</table></details>")
