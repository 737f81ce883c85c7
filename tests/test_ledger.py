"""The findings ledger: statuses across deliveries, accepting findings, append-only history, concurrency."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

import pytest
from helpers import clean_export, set_cells


def _export(tmp_path, name, sex=None, age=None):
    """A clean one-subject export (every form), with the subject's SEX or AGE changed when given."""
    folder = clean_export(tmp_path / name)
    changes = {k: v for k, v in (("SEX", sex), ("AGE", age)) if v is not None}
    if changes:
        set_cells(folder, "dm", 2, **changes)
    return folder


def _run(cli, export, ledger, *extra):
    res = cli("validate", export, "--ledger", ledger, "--format", "json", *extra)
    return res.exit_code, json.loads(res.output)


def _by_check(doc, key="findings"):
    return {f["check_id"]: f for f in doc[key]}


def test_status_new_open_resolved_reopened(cli, tmp_path):
    ledger = tmp_path / "study.ledger"
    bad_sex = _export(tmp_path, "d1", sex="X")
    clean = _export(tmp_path, "d2")
    _, first = _run(cli, bad_sex, ledger)
    assert _by_check(first)["COL-CODELIST"]["status"] == "new"
    assert first["resolved"] == []
    _, second = _run(cli, bad_sex, ledger)
    f = _by_check(second)["COL-CODELIST"]
    assert f["status"] == "open" and f["runs_open"] == 2
    assert f["first_seen"] == first["audit"]["run_time"]
    _, third = _run(cli, clean, ledger)
    assert "COL-CODELIST" not in _by_check(third)
    gone = _by_check(third, "resolved")["COL-CODELIST"]
    assert gone["status"] == "resolved" and gone["fingerprint"] == f["fingerprint"] and gone["value"] == "X"
    _, fourth = _run(cli, bad_sex, ledger)
    assert _by_check(fourth)["COL-CODELIST"]["status"] == "reopened"
    runs = cli("ledger", "runs", "--ledger", ledger, "--format", "json")
    recorded = json.loads(runs.output)
    assert recorded[0]["inputs"] == first["audit"]["inputs"]
    assert recorded[0]["schema_sha256"] == first["audit"]["schema"]["sha256"]
    assert recorded[0]["options"]["ledger"] == str(ledger)
    counts = [(r["new"], r["open"], r["resolved"], r["reopened"]) for r in recorded]
    n = len(first["findings"])
    assert counts[0][0] == n and counts[1][1] == n and counts[2][2] >= 1 and counts[3][3] == 1


def test_accepted_findings_stay_listed_and_do_not_fail(cli, tmp_path):
    ledger = tmp_path / "study.ledger"
    export = _export(tmp_path, "d1", sex="X")
    code, doc = _run(cli, export, ledger)
    assert code == 1
    fp = _by_check(doc)["COL-CODELIST"]["fingerprint"]
    res = cli("ledger", "accept", fp, "--reason", "site confirmed: data entry of an agreed code", "--by", "J. Smith",
              "--ledger", ledger)
    assert res.exit_code == 0, res.output
    code, doc = _run(cli, export, ledger)
    f = _by_check(doc)["COL-CODELIST"]
    assert code == 0  # the only error is accepted
    assert (f["status"], f["accepted_by"]) == ("accepted", "J. Smith")
    assert doc["summary"]["by_status"].get("new", 0) == 0
    shown = json.loads(cli("ledger", "show", "--ledger", ledger, "--format", "json").output)
    row = next(r for r in shown if r["fingerprint"] == fp)
    only = json.loads(cli("ledger", "show", "--ledger", ledger, "--format", "json", "--status", "accepted",
                          "--check", "COL-CODELIST", "--subject", "01-001").output)
    assert [r["fingerprint"] for r in only] == [fp]
    assert (row["status"], row["accepted_reason"], row["runs_open"]) == (
        "accepted", "site confirmed: data entry of an agreed code", 2)
    # Revoking is a new row too: the finding fails again, and the history keeps both decisions.
    res = cli("ledger", "revoke", fp, "--reason", "waiver withdrawn", "--by", "A. Lee", "--ledger", ledger)
    assert res.exit_code == 0
    code, doc = _run(cli, export, ledger)
    assert code == 1 and _by_check(doc)["COL-CODELIST"]["status"] == "open"
    hist = json.loads(cli("ledger", "history", fp, "--ledger", ledger, "--format", "json").output)
    assert [h["event"] for h in hist] == ["new", "accept", "accepted", "revoke", "open"]


def test_accept_needs_a_known_fingerprint_and_a_reason(cli, tmp_path):
    ledger = tmp_path / "study.ledger"
    _run(cli, _export(tmp_path, "d1", sex="X"), ledger)
    res = cli("ledger", "accept", "0000000000000000", "--reason", "x", "--by", "y", "--ledger", ledger)
    assert res.exit_code == 2 and "not in the ledger" in res.output
    assert cli("ledger", "accept", "0000000000000000", "--by", "y", "--ledger", ledger).exit_code == 2
    res = cli("ledger", "show", "--ledger", tmp_path / "absent.ledger")
    assert res.exit_code == 2 and "no such ledger" in res.output


def test_a_run_restricted_to_one_category_resolves_nothing_else(cli, tmp_path):
    ledger = tmp_path / "study.ledger"
    export = _export(tmp_path, "d1", sex="X")
    _run(cli, export, ledger)
    _, doc = _run(cli, export, ledger, "--category", "deviation")
    assert doc["resolved"] == []


def test_the_ledger_is_append_only(cli, tmp_path):
    ledger = tmp_path / "study.ledger"
    _run(cli, _export(tmp_path, "d1", sex="X"), ledger)
    con = sqlite3.connect(ledger)
    for stmt in ("UPDATE observations SET status = 'resolved'", "DELETE FROM runs", "DELETE FROM observations",
                 "UPDATE meta SET value = '0'"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(stmt)
    con.close()


def test_unusable_ledger_files_are_one_line_errors(cli, tmp_path):
    export = _export(tmp_path, "d1", sex="X")
    not_db = tmp_path / "notes.ledger"
    not_db.write_text("this is not a database, just text that is long enough to be read as a header " * 3)
    res = cli("validate", export, "--ledger", not_db)
    assert res.exit_code == 2 and "not an ecrf ledger" in res.output and "Traceback" not in res.output
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    res = cli("validate", export, "--ledger", other)
    assert res.exit_code == 2 and "not an ecrf ledger" in res.output
    res = cli("validate", export, "--ledger", export / "study.ledger")
    assert res.exit_code == 2 and "inside the export folder" in res.output
    assert not (export / "study.ledger").exists()
    res = cli("validate", export, "--ledger", tmp_path / "no_such_dir" / "s.ledger")
    assert res.exit_code == 2 and "does not exist" in res.output


def test_two_processes_recording_at_once_do_not_corrupt_the_ledger(tmp_path):
    from ecrf.ledger.store import opened

    ledger = tmp_path / "study.ledger"
    export = _export(tmp_path, "d1", sex="X", age="99")
    with opened(ledger, create=True):
        pass
    # Hold the write lock while both runs start, so they queue on it and then race for it when it is released.
    lock = sqlite3.connect(ledger, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    cmd = [sys.executable, "-m", "ecrf.cli.main", "validate", str(export), "--ledger", str(ledger), "--format", "json"]
    # Run outside the source tree, so the installed ecrf is used (a wheel in CI, not the source folder).
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
             for _ in range(2)]
    time.sleep(8)
    assert [p.poll() for p in procs] == [None, None]  # waiting for the lock, not failed on it
    lock.execute("COMMIT")
    lock.close()
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [1, 1], outs
    docs = [json.loads(o[0]) for o in outs]
    n = len(docs[0]["findings"])
    statuses = sorted(tuple(sorted({f["status"] for f in d["findings"]})) for d in docs)
    assert statuses == [("new",), ("open",)]  # serialised: one run saw the other as its previous run
    con = sqlite3.connect(ledger)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 2
    assert con.execute("SELECT COUNT(*) FROM observations").fetchone()[0] == 2 * n
    con.close()


def test_a_report_that_cannot_be_written_records_no_run(cli, tmp_path):
    ledger = tmp_path / "study.ledger"
    export = _export(tmp_path, "d1", sex="X")
    res = cli("validate", export, "--ledger", ledger, "--format", "json", "-o", tmp_path / "missing" / "r.json")
    assert res.exit_code == 2 and "does not exist" in res.output
    assert not ledger.exists()


def test_terminal_report_with_a_ledger(cli, tmp_path):
    ledger = tmp_path / "study.ledger"
    cli("validate", _export(tmp_path, "d1", sex="X"), "--ledger", ledger)
    res = cli("validate", _export(tmp_path, "d2"), "--ledger", ledger, "--width", 300)
    out = res.output
    assert f"ledger {ledger}: 0 new, 0 open, 0 reopened, 0 accepted, 1 resolved" in out
    assert "Resolved since the last run:" in out and "COL-CODELIST" in out
    res = cli("validate", _export(tmp_path, "d3", sex="X"), "--ledger", ledger, "--width", 300)
    assert "1 reopened" in res.output and "reopened" in next(x for x in res.output.splitlines() if "COL-CODELIST" in x
                                                            and "SEX" in x)
    same = cli("validate", _export(tmp_path, "d4"), "--ledger", ledger, "-o", ledger)
    assert same.exit_code == 2 and "same file" in same.output


def test_the_ledger_keeps_the_report_order(cli, tmp_path):
    ledger = tmp_path / "study.ledger"
    export = _export(tmp_path, "d1", sex="X", age="99")
    plain = json.loads(cli("validate", export, "--format", "json").output)["findings"]
    _, doc = _run(cli, export, ledger)
    _, again = _run(cli, export, ledger)
    order = [f["fingerprint"] for f in plain]
    assert [f["fingerprint"] for f in doc["findings"]] == order == [f["fingerprint"] for f in again["findings"]]


def test_csv_report_lists_the_resolved_findings_to_close(cli, tmp_path):
    import polars as pl

    ledger = tmp_path / "study.ledger"
    _run(cli, _export(tmp_path, "d1", sex="X"), ledger)
    out = tmp_path / "r.csv"
    cli("validate", _export(tmp_path, "d2"), "--ledger", ledger, "--format", "csv", "-o", out)
    rows = pl.read_csv(out, comment_prefix="#", infer_schema=False)
    closed = rows.filter(pl.col("status") == "resolved")
    assert closed["check_id"].to_list() == ["COL-CODELIST"] and closed["value"].to_list() == ["X"]
