"""One validation run as every report sees it, and the audit header that opens each machine-readable report.

`Run` bundles what a reporter needs: the findings (with their ledger columns), the rows read per file, the
checks that ran, the options and the time. `audit_header(run)` says which tool, which schema and which input
bytes produced a report, so a report found months later can be tied to the delivery it describes.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import polars as pl

from ecrf import findings as F
from ecrf.engine import Result

# Columns the ledger adds to every finding of a run (null when the run keeps no ledger).
# status: new | open | reopened | accepted; a finding of the previous run that is gone is listed in
# Run.resolved with status "resolved".
LEDGER_COLUMNS = {"status": pl.Utf8, "first_seen": pl.Utf8, "runs_open": pl.Int64, "accepted_by": pl.Utf8,
                  "accepted_reason": pl.Utf8}
STATUSES = ("new", "open", "reopened", "accepted", "resolved")
# The severities that fail a run at each --fail-on level (deviations count as their importance).
FAIL_ON = {"error": set(F.ERRORS), "warning": set(F.ERRORS | F.WARNINGS), "never": set()}


@dataclass
class Run:
    """One `ecrf validate` run: what was read, what was found, with which options, when."""

    source: Path
    result: Result
    options: dict = field(default_factory=dict)
    started: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    input_format: str = "csv"
    ledger: Path | None = None
    findings: pl.DataFrame | None = None   # result.findings plus LEDGER_COLUMNS
    resolved: pl.DataFrame | None = None   # previous run's findings that are gone (same columns)
    history: list[dict] = field(default_factory=list)  # per ledger run: run_id, time, new, open, resolved, ...
    schema: Path | None = None  # the study schema the run used (--schema); None: the default study's

    def __post_init__(self):
        if self.findings is None:
            self.findings = with_ledger_columns(self.result.findings)
        if self.resolved is None:
            self.resolved = with_ledger_columns(self.result.findings.clear())

    @property
    def rows(self) -> pl.DataFrame:
        return self.result.rows

    @property
    def checks_run(self):
        return self.result.checks_run

    def failing(self, severities: set[str] | None = None) -> pl.DataFrame:
        """Findings at these severities (default: the run's --fail-on) that are not accepted in the ledger:
        what makes the run fail."""
        if severities is None:
            severities = FAIL_ON[self.options.get("fail_on", "error")]
        f = self.findings
        return f.filter(pl.col("severity").is_in(list(severities)) & (pl.col("status").fill_null("") != "accepted"))


def with_ledger_columns(findings: pl.DataFrame) -> pl.DataFrame:
    """The findings with the ledger columns, null where there is no ledger."""
    missing = [pl.lit(None, t).alias(c) for c, t in LEDGER_COLUMNS.items() if c not in findings.columns]
    return findings.with_columns(missing) if missing else findings


def tool_version() -> str:
    try:
        return metadata.version("ecrf")
    except metadata.PackageNotFoundError:  # running from a source tree without an install
        return "0+unknown"


@lru_cache(maxsize=8)
def schema_identity(path: str | None = None) -> dict:
    """The schema's name and version as it declares them, and a sha256 over every schema file of its folder
    (name and bytes, in name order), so two reports with the same hash were checked against the same rules.
    `path`: the schema the run used (--schema); None, the default study's."""
    from ecrf.model import load_model

    model = load_model(path)
    schema = model.view.schema
    h = hashlib.sha256()
    folder = Path(model.path).parent
    for entry in sorted((e for e in folder.iterdir() if e.name.endswith(".yaml")), key=lambda e: e.name):
        h.update(entry.name.encode() + b"\0" + entry.read_bytes() + b"\0")
    return {"name": schema.name, "id": schema.id, "version": schema.version, "sha256": h.hexdigest()}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def input_files(source: Path) -> list[Path]:
    """The files an export consists of: the file itself, or every file directly in the folder (hidden ones
    too: a reader may have read them)."""
    source = Path(source)
    if source.is_file():
        return [source]
    if source.is_dir():
        return sorted(p for p in source.iterdir() if p.is_file())
    return []


def inputs(run: Run) -> list[dict]:
    """Each input file: name, rows read from it (0 for a file no reader took) and sha256."""
    read = {}
    for file, n in run.rows.group_by("file").agg(pl.col("rows_read").sum()).iter_rows():
        read[file] = int(n or 0)
    return [{"name": p.name, "rows_read": read.get(p.name, 0), "sha256": sha256_file(p)}
            for p in input_files(run.source)]


def audit_header(run: Run) -> dict:
    """The audit header every machine-readable report opens with (JSON object; CSV `#` lines; JUnit
    properties; a sheet or block in the xlsx and HTML reports)."""
    return {
        "tool": "ecrf",
        "tool_version": tool_version(),
        "schema": schema_identity(str(run.schema) if run.schema else None),
        "run_id": run.run_id,
        "run_time": run.started.isoformat(timespec="seconds"),
        "source": str(run.source),
        "input_format": run.input_format,
        "options": dict(run.options),
        "ledger": str(run.ledger) if run.ledger else None,
        "inputs": inputs(run),
    }
