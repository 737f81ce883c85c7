"""The ledger's SQLite file: schema, connection and the one way to write (an immediate transaction).

Append-only: triggers refuse every UPDATE and DELETE, so an accept or a status change is always a new row
and the state at any earlier run can be read back. Concurrent runs are serialised by SQLite itself: WAL
journal, a busy timeout, and `BEGIN IMMEDIATE` so a run reads the previous state and writes its own in one
transaction that no other writer can interleave with.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path

from ecrf.errors import InputError
from ecrf.writer import OutputError

FORMAT = "ecrf-ledger"
VERSION = "1"
BUSY_TIMEOUT_S = 60

# Columns of a finding kept with each observation (enough to list it without the export at hand).
FINDING_COLUMNS = ("check_id", "severity", "category", "dvcat", "site", "subject", "visit", "form", "record_key",
                   "field", "value", "expected", "message", "source_file", "source_row")

_TABLES = ("meta", "runs", "observations", "decisions")

DDL = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL UNIQUE,
    time TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    schema_version TEXT,
    schema_sha256 TEXT NOT NULL,
    source TEXT NOT NULL,
    options TEXT NOT NULL,   -- JSON object
    inputs TEXT NOT NULL,    -- JSON list: name, rows_read, sha256
    checks TEXT NOT NULL     -- JSON list of the check ids that ran (only those can resolve a finding)
);
CREATE TABLE IF NOT EXISTS observations (
    run_seq INTEGER NOT NULL REFERENCES runs(seq),
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('new', 'open', 'reopened', 'accepted', 'resolved')),
    {", ".join(f"{c} {'INTEGER' if c == 'source_row' else 'TEXT'}" for c in FINDING_COLUMNS)},
    PRIMARY KEY (run_seq, fingerprint)
);
CREATE INDEX IF NOT EXISTS observations_fp ON observations (fingerprint, run_seq);
CREATE TABLE IF NOT EXISTS decisions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('accept', 'revoke')),
    reason TEXT NOT NULL,
    by TEXT NOT NULL,
    time TEXT NOT NULL,
    after_run INTEGER NOT NULL  -- seq of the last run recorded when the decision was taken (orders history)
);
CREATE INDEX IF NOT EXISTS decisions_fp ON decisions (fingerprint, seq);
""" + "".join(
    f"CREATE TRIGGER IF NOT EXISTS {t}_no_{op.lower()} BEFORE {op} ON {t} "
    f"BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;\n"
    for t in _TABLES for op in ("UPDATE", "DELETE"))


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
    con.row_factory = sqlite3.Row
    con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
    con.execute("PRAGMA foreign_keys = ON")
    return con


@contextmanager
def opened(path: Path | str, create: bool = False):
    """A connection to the ledger at `path`; with `create`, a new ledger is set up if the file is absent.
    Errors become one line: InputError for a file that is no ledger, OutputError for a file that cannot
    be written (exit 2 either way)."""
    path = Path(path)
    if not create and not path.is_file():
        raise InputError(path, "no such ledger; `ecrf validate EXPORT --ledger FILE` creates one")
    if create and not path.parent.is_dir():
        raise OutputError(path, f"folder {path.parent} does not exist")
    if path.exists() and not path.is_file():
        raise OutputError(path, "is not a regular file; name a ledger file")
    con = None
    try:
        con = _connect(path)
        _ensure_schema(con, path, create)
        yield con
    except sqlite3.DatabaseError as exc:
        if con is not None and con.in_transaction:
            con.rollback()
        msg = str(exc)
        if "not a database" in msg or "malformed" in msg:
            raise InputError(path, f"is not an ecrf ledger ({msg})") from None
        raise OutputError(path, f"cannot use the ledger: {msg}") from None
    finally:
        if con is not None:
            con.close()


def _ensure_schema(con: sqlite3.Connection, path: Path, create: bool) -> None:
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "meta" in tables:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("format") != FORMAT:
            raise InputError(path, "is an SQLite file but not an ecrf ledger")
        if meta.get("version") != VERSION:
            raise InputError(path, f"ledger version {meta.get('version')} is not supported (this ecrf "
                                   f"writes version {VERSION})")
        return
    if tables:
        raise InputError(path, "is an SQLite file but not an ecrf ledger")
    if not create:
        raise InputError(path, "is empty, not an ecrf ledger")
    con.execute("PRAGMA journal_mode = WAL")  # readers never block the writer, and vice versa
    with transaction(con):
        for stmt in _statements(DDL):
            con.execute(stmt)
        con.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?), ('version', ?)", (FORMAT, VERSION))


def _statements(script: str) -> list[str]:
    """Split the DDL into statements (sqlite3's executescript would commit the open transaction)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return [s for s in out if s]


@contextmanager
def transaction(con: sqlite3.Connection):
    """BEGIN IMMEDIATE ... COMMIT: the write lock is taken before anything is read, so two runs recording at
    once are serialised and each sees the other's complete run or none of it."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
