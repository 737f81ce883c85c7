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


# ---- command-line misuse: exit 2 with one line, the input and any previous output untouched -------------
def _cli_cases(folder: Path, tmp: Path) -> dict:
    (tmp / "a_file.txt").write_text("x")
    (tmp / "full").mkdir()
    (tmp / "nonempty").mkdir()
    (tmp / "nonempty" / "keep.txt").write_text("keep")
    v = ["validate", str(folder)]
    cases = {
        "output_over_input_file": (v + ["-o", str(folder / "lb.csv")], "refusing"),
        "output_inside_export": (v + ["-o", str(folder / "report.json")], "inside the export"),
        "output_in_missing_folder": (v + ["-o", str(tmp / "missing" / "dir" / "f.json")], "does not exist"),
        "output_is_a_folder": (v + ["-o", str(tmp / "full")], "directory"),
        "generate_into_missing_folder": (["generate", "jsonschema", "-o", str(tmp / "missing" / "s.json")],
                                         "does not exist"),
        "example_into_nonempty_folder": (["example", str(tmp / "nonempty")], "not empty"),
        "example_under_a_file": (["example", str(tmp / "a_file.txt" / "sub")], ""),
        "unknown_input_format": (v + ["--input-format", "nope"], "unknown input format"),
        "path_does_not_exist": (["validate", str(tmp / "nowhere")], "no such file"),
        "path_is_a_plain_file": (["validate", str(tmp / "a_file.txt")], ""),
        "bad_max_file_size": (v + ["--max-file-size", "lots"], "positive size"),
    }
    if Path("/dev/full").exists():
        cases["output_to_dev_full"] = (v + ["-o", "/dev/full"], "not a regular file")
    return cases


CLI_CASES = ["output_over_input_file", "output_inside_export", "output_in_missing_folder", "output_is_a_folder",
             "generate_into_missing_folder", "example_into_nonempty_folder", "example_under_a_file",
             "unknown_input_format", "path_does_not_exist", "path_is_a_plain_file", "bad_max_file_size",
             "output_to_dev_full"]


@pytest.mark.parametrize("name", CLI_CASES)
def test_cli_misuse(name, bundled, tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(bundled, folder)
    cases = _cli_cases(folder, tmp_path)
    if name not in cases:
        pytest.skip("no /dev/full here")
    args, words = cases[name]
    before, outside = snapshot(folder), snapshot(tmp_path / "nonempty")
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2, res.output
    assert snapshot(folder) == before and snapshot(tmp_path / "nonempty") == outside
    lines = res.stderr.strip().splitlines()
    # ecrf's own errors are one line; click's usage errors end in one "Error:" line after the usage hint
    assert lines[-1].startswith(("ecrf: error: ", "Error: ")) and words in lines[-1], res.stderr
    assert len(lines) == 1 or lines[0].startswith("Usage:"), res.stderr
    assert "Traceback" not in res.output and not (tmp_path / "missing").exists()
    assert not [p for p in tmp_path.rglob(".*.tmp")], "temporary file left behind"


def test_env_limit_that_is_not_a_size(bundled):
    res = CliRunner().invoke(main, ["validate", str(bundled)], env={"ECRF_MAX_FILE_SIZE": "lots"})
    assert res.exit_code == 2 and "ECRF_MAX_FILE_SIZE" in res.stderr, res.output


def test_csv_report_neutralises_formulas(bundled, tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(bundled, folder)
    hostile = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3"]
    for k, h in enumerate(hostile):
        _set(folder, "vs", 3 + k, "TEMP", h)
    report = tmp_path / "f.csv"
    res = CliRunner().invoke(main, ["validate", str(folder), "--format", "csv", "-o", str(report)])
    assert res.exit_code == 1, res.output
    cells = [c for r in csv.reader(io.StringIO(report.read_text(), newline="")) for c in r]
    for h in hostile:
        assert "'" + h in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@") or (c[:1] == "-" and not _number(c))]


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _set(folder: Path, domain: str, row: int, column: str, value: str) -> None:
    from corpus.cases import set_cell
    set_cell(folder, domain, row, column, value)


def test_example_clean_without_subjects_has_no_seeded_errors(tmp_path):
    res = CliRunner().invoke(main, ["example", str(tmp_path / "ex"), "--clean"])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "ex" / "seeded_errors.json").read_text()) == []
    out = CliRunner().invoke(main, ["validate", str(tmp_path / "ex"), "--format", "json"])
    assert out.exit_code == 0 and json.loads(out.stdout)["findings"] == []
