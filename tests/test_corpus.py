"""Run every case of the bad-input corpus (tests/corpus/cases.py) through `ecrf validate` and hold it to the
README's promise: exit 2 with one line naming file, row and column, or the finding on the damaged cell; never
exit 3; rows read equal to the file's records; the input byte-for-byte unchanged; no partial report."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpus.cases import CASES, Expect
from ecrf.cli.main import main
from ecrf.example import write_example


@pytest.fixture(scope="module")
def bundled(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bundled") / "export"
    write_example(folder)
    return folder


@pytest.fixture(scope="module")
def baseline(bundled) -> set:
    res = CliRunner().invoke(main, ["validate", str(bundled), "--format", "json"])
    return {_key(f) for f in json.loads(res.stdout)["findings"]}


def _key(f: dict) -> tuple:
    return (f["check_id"], f["source_file"], f["source_row"], f["field"])


def snapshot(folder: Path) -> dict:
    """Every entry's bytes (or link target, or kind), without opening FIFOs or following links."""
    out = {}
    for p in sorted(folder.rglob("*")):
        st = p.lstat()
        if p.is_symlink():
            out[str(p)] = "link:" + os.readlink(p)
        elif p.is_file() and os.access(p, os.R_OK):
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            out[str(p)] = f"mode:{st.st_mode:o}"
    return out


def records(folder: Path) -> int:
    """Data records of the export counted independently of ecrf (the csv module, any line ending)."""
    n = 0
    csv.field_size_limit(1 << 30)
    for p in folder.glob("*.csv"):
        text = p.read_bytes().decode("utf-8-sig").lstrip("\ufeff")
        rows = list(csv.reader(io.StringIO(text, newline="")))[1:]
        n += sum(1 for r in rows if any(c.strip() for c in r))
    return n


@pytest.mark.parametrize("case", CASES, ids=[f"{c.group}-{c.name}" for c in CASES])
def test_corpus_case(case, bundled, baseline, tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(bundled, folder)
    expect: Expect = case.damage(folder)
    before = snapshot(folder)
    out = tmp_path / "out"
    out.mkdir()
    report = out / "report.json"
    runner = CliRunner()
    res = runner.invoke(main, ["validate", str(folder), "--format", "json", "-o", str(report), *expect.args],
                        env=expect.env)
    shown = runner.invoke(main, ["validate", str(folder), *expect.args], env=expect.env)
    try:
        assert snapshot(folder) == before, "the input was modified"
        assert res.exit_code == expect.exit, res.output
        assert shown.exit_code == expect.exit, shown.output
        for text in expect.absent:
            assert text not in res.output and text not in shown.output
        if expect.exit == 2:
            _assert_error(res.stderr, expect, folder)
            assert list(out.iterdir()) == [], "partial output left behind"
        else:
            _assert_report(report, expect, baseline, folder)
    finally:
        for p in folder.rglob("*"):
            if not p.is_symlink():
                p.chmod(0o755 if p.is_dir() else 0o644)


def _assert_error(stderr: str, expect: Expect, folder: Path) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ecrf: error: "), stderr
    line = lines[0]
    if expect.file:
        assert f"{expect.file}" in line, line
    if expect.row is not None:
        assert f", row {expect.row}" in line, line
    if expect.column is not None:
        assert f", column {expect.column}:" in line, line
    for w in expect.words:
        assert w in line, line
    assert "Traceback" not in stderr


def _assert_report(report: Path, expect: Expect, baseline: set, folder: Path) -> None:
    data = json.loads(report.read_text())
    summary = data["summary"]
    assert summary["rows_read"] == summary["rows_checked"] == records(folder)
    assert not [p for p in report.parent.iterdir() if p != report], "temporary file left behind"
    if expect.finding:
        check_id, file, row, fld = expect.finding
        new = {_key(f) for f in data["findings"]} - baseline
        hits = [k for k in new if k[0] == check_id and k[1] == file and (row is None or k[2] == row)
                and (fld is None or k[3] == fld)]
        assert hits, f"no new {check_id} on {file} row {row} {fld}; new findings: {sorted(new, key=str)}"


def test_corpus_is_large_and_covers_every_group():
    groups = {c.group for c in CASES}
    assert len(CASES) >= 80
    assert {"structure", "encoding", "filesystem", "values", "injection", "scale"} <= groups
