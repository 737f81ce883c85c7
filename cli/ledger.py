"""`ecrf ledger`: accept reviewed findings, and read the ledger's state and history."""

from __future__ import annotations

import json
from pathlib import Path

import click

LEDGER = click.option("--ledger", "path", required=True, envvar="ECRF_LEDGER",
                      type=click.Path(path_type=Path, dir_okay=False),
                      help="The ledger file written by `ecrf validate --ledger` (or $ECRF_LEDGER).")
FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
                      show_default=True, help="Output format.")
OUTPUT = click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
                      help="Write to this file instead of the terminal.")


@click.group("ledger")
def ledger_command():
    """The findings ledger: what each run found, what is new, open, resolved or reopened, what was accepted.

    \b
    Workflow:
      ecrf validate delivery-1/ --ledger study.ledger     # first delivery: every finding is new
      ecrf ledger accept 3f2a9c0d1e2b4a5f --reason "eligibility waiver W-07" --by "J. Smith" --ledger study.ledger
      ecrf validate delivery-2/ --ledger study.ledger     # new / open / reopened / accepted; gone = resolved
      ecrf ledger show --ledger study.ledger
      ecrf ledger history 3f2a9c0d1e2b4a5f --ledger study.ledger
    """


def _decide(action, fingerprints, reason, by, path):
    from ecrf import ledger as L

    n = L.decide(path, list(fingerprints), action, reason, by)
    click.echo(f"{n} finding{'s' if n != 1 else ''} {action}ed in {path}" if action == "accept"
               else f"{n} acceptance{'s' if n != 1 else ''} revoked in {path}", err=True)


@ledger_command.command("accept")
@click.argument("fingerprints", nargs=-1, required=True)
@click.option("--reason", required=True, help="Why the finding is accepted (e.g. the waiver reference).")
@click.option("--by", required=True, help="Who reviewed and accepted it.")
@LEDGER
def accept(fingerprints, reason, by, path):
    """Accept FINGERPRINTS as reviewed: they stay listed, never fail --fail-on, and are not reported as new.

    An accept is a new row in the ledger; earlier states stay readable (`ecrf ledger history`).
    """
    _decide("accept", fingerprints, reason, by, path)


@ledger_command.command("revoke")
@click.argument("fingerprints", nargs=-1, required=True)
@click.option("--reason", required=True, help="Why the acceptance is withdrawn.")
@click.option("--by", required=True, help="Who withdraws it.")
@LEDGER
def revoke(fingerprints, reason, by, path):
    """Withdraw the acceptance of FINGERPRINTS (a new row; the accept stays in the history)."""
    _decide("revoke", fingerprints, reason, by, path)


@ledger_command.command("show")
@click.option("--status", "statuses", multiple=True,
              type=click.Choice(["new", "open", "reopened", "accepted", "resolved"]),
              help="Only findings in this status (repeatable).")
@click.option("--check", "check_ids", multiple=True, help="Only findings of this check id (repeatable).")
@click.option("--subject", "subjects", multiple=True, help="Only findings of this subject (repeatable).")
@LEDGER
@FORMAT
@OUTPUT
def show(statuses, check_ids, subjects, path, fmt, output):
    """Every finding the ledger knows: status, first seen, last seen, runs open, accepted by and why."""
    import polars as pl

    from ecrf import ledger as L

    f = L.show(path)
    for col, wanted in (("status", statuses), ("check_id", check_ids), ("subject", subjects)):
        if wanted:
            f = f.filter(pl.col(col).is_in(list(wanted)))
    if fmt == "table":  # compact: dates only, acceptance in front of the message
        f = f.with_columns(pl.col("first_seen").str.slice(0, 10).alias("first"),
                           pl.col("last_seen").str.slice(0, 10).alias("last"), pl.col("runs_open").alias("runs"),
                           pl.col("check_id").alias("check"),
                           pl.when(pl.col("accepted_by").is_not_null())
                           .then(pl.format("[accepted by {}: {}] {}", "accepted_by", "accepted_reason", "message"))
                           .otherwise(pl.col("message")).alias("message"))
    _emit(f, fmt, output, ["fingerprint", "status", "first", "last", "runs", "check", "subject", "field", "message"])


@ledger_command.command("history")
@click.argument("fingerprint")
@LEDGER
@FORMAT
@OUTPUT
def history(fingerprint, path, fmt, output):
    """Everything recorded about FINGERPRINT, oldest first: its status in each run, each accept or revoke."""
    import polars as pl

    from ecrf import ledger as L

    events = L.history(path, fingerprint)
    _emit(pl.DataFrame(events, schema={k: pl.Utf8 for k in events[0]}), fmt, output,
          ["time", "event", "run_id", "by", "detail", "value", "where"])


@ledger_command.command("runs")
@LEDGER
@FORMAT
@OUTPUT
def runs(path, fmt, output):
    """Every run recorded, oldest first, with its number of findings per status."""
    import polars as pl

    from ecrf import ledger as L

    rows = L.runs(path)
    cols = ["run_id", "time", "source", "new", "open", "reopened", "accepted", "resolved"]
    if fmt == "json":  # everything the run was recorded with
        return _write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", output, len(rows))
    _emit(pl.DataFrame([{c: r[c] for c in cols} for r in rows],
                       schema={c: (pl.Int64 if c not in cols[:3] else pl.Utf8) for c in cols}), fmt, output, cols)


def _emit(df, fmt, output, table_cols):
    from ecrf.reports.console import width
    from ecrf.reports.tabular import csv_text, grid

    if fmt == "json":
        text = json.dumps(df.to_dicts(), indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        text = csv_text(df)
    else:
        wrap = next((c for c in ("message", "detail") if c in table_cols), None)
        lines = grid(df.select(table_cols), width(None, bool(output)), wrap=wrap,
                     keep=("fingerprint", "event", "status", "check", "run_id", "time"))
        text = "\n".join(lines) + "\n" if df.height else "(nothing recorded)\n"
    _write(text, output, df.height)


def _write(text, output, n):
    from ecrf.writer import write_text

    if output:
        write_text(output, text)
        click.echo(f"{n} rows written to {output}", err=True)
    else:
        click.echo(text, nl=False)
