"""The findings as a listing for people (the xlsx query listing and the HTML review report): one row per
finding with readable column names, the ledger status when the run keeps a ledger, and the findings resolved
since the previous run listed too, so a site sees what it fixed."""

from __future__ import annotations

from collections import Counter

import polars as pl

from ecrf.audit import Run

# Listing column -> findings column (None: filled by the reader of the listing, e.g. the site's answer).
COLUMNS = {
    "Site": "site", "Subject": "subject", "Visit": "visit", "Form": "form", "Field": "field", "Value": "value",
    "Expected": "expected", "Check": "check_id", "Severity": "severity", "Category": "category",
    "Deviation category": "dvcat", "Status": "status", "First seen": "first_seen", "Runs open": "runs_open",
    "Accepted by": "accepted_by", "Accepted because": "accepted_reason", "Message": "message",
    "Source": None, "Fingerprint": "fingerprint", "Site response": None,
}
LEDGER_ONLY = {"Status", "First seen", "Runs open", "Accepted by", "Accepted because"}
SITE_NONE = ""  # the group of findings without a site (export-level findings)


def has_ledger(run: Run) -> bool:
    return run.ledger is not None or bool(run.findings["status"].is_not_null().any()) or run.resolved.height > 0


def listing_columns(run: Run) -> list[str]:
    return [c for c in COLUMNS if has_ledger(run) or c not in LEDGER_ONLY]


def source(row: dict) -> str | None:
    """Where the finding sits: the format's own reference (a cell, an ODM path) or file:row."""
    if row.get("source_ref"):
        return row["source_ref"]
    if row.get("source_file"):
        return f"{row['source_file']}:{row['source_row']}" if row.get("source_row") is not None \
            else row["source_file"]
    return None


def listing_rows(run: Run) -> list[dict]:
    """Every finding (then every resolved one, with a ledger) as a dict keyed by listing column."""
    frames = [run.findings]
    if run.resolved.height:
        frames.append(run.resolved.with_columns(pl.lit("resolved").alias("status")))
    out = []
    for frame in frames:
        for f in frame.iter_rows(named=True):
            row = {name: f.get(col) for name, col in COLUMNS.items() if col}
            row["Source"] = source(f)
            row["Site response"] = None
            out.append(row)
    return out


def site_groups(rows: list[dict]) -> list[tuple[str, list[dict]]]:
    """The rows per site, sites in order, findings without a site last."""
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row.get("Site") or SITE_NONE, []).append(row)
    return sorted(groups.items(), key=lambda kv: (kv[0] == SITE_NONE, kv[0]))


def counts(rows: list[dict], column: str) -> list[tuple[str, int]]:
    """(value, findings) for one listing column, most findings first, then by value; no value is '(none)'."""
    c = Counter(row.get(column) if row.get(column) is not None else "(none)" for row in rows)
    return sorted(c.items(), key=lambda kv: (-kv[1], str(kv[0])))
