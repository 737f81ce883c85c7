"""The findings ledger: every run's findings by fingerprint in one SQLite file, and what was accepted.

A finding's status against the previous state of the ledger:
- new: never seen before;
- open: seen in an earlier run and not resolved since;
- reopened: seen before, resolved, and back;
- accepted: reviewed and accepted (`ecrf ledger accept`); stays listed, never fails --fail-on;
- resolved: present before, absent now although its check ran (listed in `Run.resolved`).

Only checks that ran can resolve a finding, so a run restricted with --category leaves the others open.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from ecrf.audit import LEDGER_COLUMNS, Run, audit_header
from ecrf.errors import InputError
from ecrf.findings import SCHEMA as FINDING_SCHEMA
from ecrf.ledger.store import FINDING_COLUMNS, opened, transaction
from ecrf.writer import check_target

_OBS = ["fingerprint", "status", *FINDING_COLUMNS]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _frame(rows, columns) -> pl.DataFrame:
    schema = {c: FINDING_SCHEMA.get(c, pl.Utf8) for c in columns} | \
             {c: t for c, t in LEDGER_COLUMNS.items() if c in columns} | \
             {c: pl.Int64 for c in ("seq", "run_seq", "runs_open", "source_row") if c in columns}
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def record(path: Path | str, run: Run) -> Run:
    """Record `run` in the ledger at `path` (created if absent) and give its findings their status.

    Fills run.findings' ledger columns, run.resolved and run.history. One immediate transaction: a second
    run recording at the same time waits and then sees this one as its previous run.
    """
    path = Path(path)
    check_target(path)
    run.ledger = path
    head = audit_header(run)
    checks = sorted({c.id for c in run.checks_run})
    with opened(path, create=True) as con, transaction(con):
        last = _frame(con.execute(
            "SELECT o.fingerprint, o.status FROM observations o JOIN "
            "(SELECT fingerprint, MAX(run_seq) AS s FROM observations GROUP BY fingerprint) m "
            "ON o.fingerprint = m.fingerprint AND o.run_seq = m.s").fetchall(), ["fingerprint", "last"])
        acc = _accepted(con)
        cur = run.result.findings.join(last, on="fingerprint", how="left", maintain_order="left")
        cur = cur.with_columns(
            pl.when(pl.col("fingerprint").is_in(acc["fingerprint"].implode())).then(pl.lit("accepted"))
            .when(pl.col("last").is_null()).then(pl.lit("new"))
            .when(pl.col("last") == "resolved").then(pl.lit("reopened"))
            .otherwise(pl.lit("open")).alias("status")).drop("last")
        gone = last.filter((pl.col("last") != "resolved") & ~pl.col("fingerprint").is_in(cur["fingerprint"].implode()))
        gone_rows = _latest_details(con, gone["fingerprint"].to_list())
        gone_rows = gone_rows.filter(pl.col("check_id").is_in(checks)).with_columns(pl.lit("resolved").alias("status"))
        seq = con.execute(
            "INSERT INTO runs (run_id, time, tool_version, schema_version, schema_sha256, source, options, inputs, "
            "checks) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (run.run_id, head["run_time"], head["tool_version"], head["schema"]["version"],
             head["schema"]["sha256"], head["source"], json.dumps(head["options"], sort_keys=True),
             json.dumps(head["inputs"]), json.dumps(checks))).lastrowid
        rows = [(seq, *r) for r in cur.select(_OBS).iter_rows()] + \
               [(seq, *r) for r in gone_rows.select(_OBS).iter_rows()]
        marks = ", ".join("?" * (len(_OBS) + 1))
        con.executemany(f"INSERT INTO observations (run_seq, {', '.join(_OBS)}) VALUES ({marks})", rows)
        stats = _stats(con)
        history = _history(con)
    extra = stats.join(acc, on="fingerprint", how="left")
    run.findings = cur.join(extra, on="fingerprint", how="left", maintain_order="left").select(
        [*run.result.findings.columns, *LEDGER_COLUMNS])
    run.resolved = gone_rows.join(extra, on="fingerprint", how="left", maintain_order="left") \
        .with_columns(pl.lit(None, pl.Utf8).alias("source_ref")) \
        .select([pl.col(c).cast(t) for c, t in (FINDING_SCHEMA | LEDGER_COLUMNS).items()])
    run.history = history
    return run


def _accepted(con) -> pl.DataFrame:
    """Fingerprints whose latest decision is an accept, with who accepted them and why."""
    rows = con.execute(
        "SELECT d.fingerprint, d.by, d.reason FROM decisions d JOIN "
        "(SELECT fingerprint, MAX(seq) AS s FROM decisions GROUP BY fingerprint) m "
        "ON d.fingerprint = m.fingerprint AND d.seq = m.s WHERE d.action = 'accept'").fetchall()
    return _frame(rows, ["fingerprint", "accepted_by", "accepted_reason"])


def _latest_details(con, fingerprints: list[str]) -> pl.DataFrame:
    if not fingerprints:
        return _frame([], _OBS)
    con.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (fingerprint TEXT PRIMARY KEY)")
    con.execute("DELETE FROM temp.wanted")
    con.executemany("INSERT INTO temp.wanted VALUES (?)", [(fp,) for fp in fingerprints])
    rows = con.execute(
        f"SELECT {', '.join('o.' + c for c in _OBS)} FROM observations o JOIN "
        "(SELECT fingerprint, MAX(run_seq) AS s FROM observations WHERE status != 'resolved' "
        "AND fingerprint IN (SELECT fingerprint FROM temp.wanted) GROUP BY fingerprint) m "
        "ON o.fingerprint = m.fingerprint AND o.run_seq = m.s").fetchall()
    return _frame(rows, _OBS)


def _stats(con) -> pl.DataFrame:
    """Per fingerprint: the time of the first run it was seen in, and in how many runs it was present."""
    rows = con.execute(
        "SELECT o.fingerprint, MIN(r.time), SUM(o.status != 'resolved') FROM observations o "
        "JOIN runs r ON r.seq = o.run_seq GROUP BY o.fingerprint").fetchall()
    return _frame(rows, ["fingerprint", "first_seen", "runs_open"])


def _history(con) -> list[dict]:
    """Per run, oldest first: run id, time, source and the number of findings in each status."""
    runs = con.execute("SELECT seq, run_id, time, source FROM runs ORDER BY seq").fetchall()
    counts = {}
    for seq, status, n in con.execute("SELECT run_seq, status, COUNT(*) FROM observations GROUP BY run_seq, status"):
        counts.setdefault(seq, {})[status] = n
    return [{"run_id": r["run_id"], "time": r["time"], "source": r["source"],
             **{s: counts.get(r["seq"], {}).get(s, 0) for s in ("new", "open", "reopened", "accepted", "resolved")}}
            for r in runs]


def decide(path: Path | str, fingerprints: list[str], action: str, reason: str, by: str) -> int:
    """Append an accept (or revoke) decision for each fingerprint; every fingerprint must be in the ledger.
    Returns the number of decisions written."""
    if not reason.strip() or not by.strip():
        raise InputError(path, "--reason and --by must not be empty: an accept is documented")
    with opened(path) as con, transaction(con):
        known = {r[0] for r in con.execute("SELECT DISTINCT fingerprint FROM observations")}
        unknown = [fp for fp in fingerprints if fp not in known]
        if unknown:
            raise InputError(path, f"fingerprint {unknown[0]} is not in the ledger (see `ecrf ledger show`)")
        acc = set(_accepted(con)["fingerprint"].to_list())
        if action == "revoke":
            not_acc = [fp for fp in fingerprints if fp not in acc]
            if not_acc:
                raise InputError(path, f"fingerprint {not_acc[0]} is not accepted; nothing to revoke")
        now = _now()
        after = con.execute("SELECT COALESCE(MAX(seq), 0) FROM runs").fetchone()[0]
        con.executemany("INSERT INTO decisions (fingerprint, action, reason, by, time, after_run) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        [(fp, action, reason, by, now, after) for fp in dict.fromkeys(fingerprints)])
    return len(dict.fromkeys(fingerprints))


def show(path: Path | str) -> pl.DataFrame:
    """One row per fingerprint ever recorded: its current status, first seen, last seen, runs open, accepted
    by and why, and the finding as last seen."""
    with opened(path) as con:
        latest = _frame(con.execute(
            f"SELECT o.run_seq, {', '.join('o.' + c for c in _OBS)}, r.time FROM observations o "
            "JOIN (SELECT fingerprint, MAX(run_seq) AS s FROM observations GROUP BY fingerprint) m "
            "ON o.fingerprint = m.fingerprint AND o.run_seq = m.s JOIN runs r ON r.seq = o.run_seq").fetchall(),
            ["run_seq", *_OBS, "last_run"])
        last_seen = _frame(con.execute(
            "SELECT o.fingerprint, MAX(r.time) FROM observations o JOIN runs r ON r.seq = o.run_seq "
            "WHERE o.status != 'resolved' GROUP BY o.fingerprint").fetchall(), ["fingerprint", "last_seen"])
        stats, acc = _stats(con), _accepted(con)
    f = latest.join(stats, on="fingerprint", how="left").join(last_seen, on="fingerprint", how="left") \
        .join(acc, on="fingerprint", how="left")
    # An accept given after the last run shows at once: accepted unless the finding is resolved.
    f = f.with_columns(pl.when(pl.col("accepted_by").is_not_null() & (pl.col("status") != "resolved"))
                       .then(pl.lit("accepted")).otherwise(pl.col("status")).alias("status"))
    cols = ["fingerprint", "status", "first_seen", "last_seen", "runs_open", "accepted_by", "accepted_reason",
            *FINDING_COLUMNS]
    return f.sort(["status", "check_id", "subject", "fingerprint"], nulls_last=True).select(cols)


def history(path: Path | str, fingerprint: str) -> list[dict]:
    """Everything the ledger holds about one fingerprint, oldest first: its status in each run (new, open,
    reopened, accepted, resolved) and each decision (accept, revoke) after the run it followed."""
    with opened(path) as con:
        obs = con.execute(
            "SELECT o.run_seq, r.time, r.run_id, o.status, o.value, o.message, o.source_file, o.source_row "
            "FROM observations o JOIN runs r ON r.seq = o.run_seq WHERE o.fingerprint = ?", (fingerprint,)).fetchall()
        dec = con.execute("SELECT seq, after_run, time, action, by, reason FROM decisions WHERE fingerprint = ?",
                          (fingerprint,)).fetchall()
    if not obs:
        raise InputError(path, f"fingerprint {fingerprint} is not in the ledger (see `ecrf ledger show`)")
    events = [((r["run_seq"], 0, 0), {"time": r["time"], "event": r["status"], "run_id": r["run_id"], "by": None,
               "detail": r["message"], "value": r["value"],
               "where": f"{r['source_file'] or ''}{':' + str(r['source_row']) if r['source_row'] else ''}"})
              for r in obs]
    events += [((d["after_run"], 1, d["seq"]), {"time": d["time"], "event": d["action"], "run_id": None,
                "by": d["by"], "detail": d["reason"], "value": None, "where": None}) for d in dec]
    return [e for _, e in sorted(events, key=lambda x: x[0])]


def runs(path: Path | str) -> list[dict]:
    """Every run recorded, oldest first: its counts per status, and what it was run with (tool and schema
    version, schema hash, options, each input file's name, rows read and sha256)."""
    with opened(path) as con:
        counts = _history(con)
        meta = con.execute("SELECT tool_version, schema_version, schema_sha256, options, inputs, checks FROM runs "
                           "ORDER BY seq").fetchall()
    return [c | {"tool_version": m["tool_version"], "schema_version": m["schema_version"],
                 "schema_sha256": m["schema_sha256"], "options": json.loads(m["options"]),
                 "inputs": json.loads(m["inputs"]), "checks": len(json.loads(m["checks"]))}
            for c, m in zip(counts, meta)]
