"""The terminal report: fits the width, groups, counts, colours only when asked, quiet, progress on a TTY."""

from __future__ import annotations

import io
import re

import pytest
from helpers import minimal_subject, write_export

ANSI = re.compile(r"\x1b\[[0-9;]*m")
LONG = "a very long free-text value typed into the EDC " * 8


@pytest.fixture
def export(tmp_path):
    forms = minimal_subject()
    forms["dm"][0]["SEX"] = "X\x1b[2J"  # an escape sequence in the export
    forms["dm"][0]["CHBRPOT"] = LONG
    return write_export(tmp_path / "e", forms)


@pytest.mark.parametrize("width", [60, 80, 100, 140])
def test_every_line_fits_the_width(cli, export, width):
    res = cli("validate", export, "--width", width, "--color")
    lines = ANSI.sub("", res.output).splitlines()
    assert [x for x in lines if len(x) > width] == []
    assert "COL-CODELIST" in res.output and "01-001" in res.output


def test_columns_from_the_environment_and_full_text_elsewhere(cli, export, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    res = cli("validate", export)
    assert max(len(x) for x in res.output.splitlines()) <= 80
    assert LONG.strip() not in res.output.replace("\n", " ")
    out = tmp_path / "r.json"
    cli("validate", export, "--format", "json", "-o", out)
    assert LONG.strip() in out.read_text()  # the JSON report keeps the whole value


def test_wide_table_has_site_and_expected_columns(cli, export):
    res = cli("validate", export, "--width", 400)
    header = next(x for x in res.output.splitlines() if x.strip().startswith("severity") and "message" in x)
    for col in ("check", "site", "subject", "visit", "form", "row", "field", "value", "expected", "message"):
        assert re.search(rf"\b{col}\b", header), col
    assert "Findings per check:" in res.output and "Findings per subject:" in res.output


def test_escape_sequences_from_the_export_never_reach_the_terminal(cli, export):
    res = cli("validate", export, "--width", 400, "--no-color")
    assert "\x1b" not in res.output
    assert "\\x1b[2J" in res.output


def test_colour_on_request_and_never_with_no_color(cli, export, monkeypatch):
    assert "\x1b[31m" in cli("validate", export, "--color").output or \
        "\x1b[1m\x1b[31m" in cli("validate", export, "--color").output
    assert "\x1b[" not in cli("validate", export, "--no-color").output
    from ecrf.reports.console import use_color

    class TTY(io.StringIO):
        def isatty(self):
            return True

    assert use_color(None, False, TTY(), env={}) is True
    assert use_color(None, False, TTY(), env={"NO_COLOR": "1"}) is False
    assert use_color(None, False, io.StringIO(), env={}) is False
    assert use_color(None, True, TTY(), env={}) is False  # never in a report file
    assert use_color(False, False, TTY(), env={}) is False


@pytest.mark.parametrize("width", [300, 70])
@pytest.mark.parametrize("group", ["check", "subject", "form"])
def test_group_by(cli, export, group, width):
    res = cli("validate", export, "--group-by", group, "--width", width)
    assert res.exit_code == 1
    heading = {"check": "COL-CODELIST:", "subject": "01-001:", "form": "dm:"}[group]
    assert f"Findings by {group}:" in res.output
    assert any(x.strip().startswith(heading) and "finding" in x for x in res.output.splitlines())


def test_quiet_prints_the_summary_only(cli, export):
    res = cli("validate", export, "-q")
    assert res.exit_code == 1
    assert "Findings" not in res.output and "rows read" in res.output and len(res.output.splitlines()) <= 5


def test_progress_shows_on_a_terminal_only_and_only_when_slow():
    from ecrf.reports.console import Progress

    class TTY(io.StringIO):
        def isatty(self):
            return True

    tty, pipe = TTY(), io.StringIO()
    for stream, delay in ((tty, 0.0), (pipe, 0.0)):
        p = Progress(delay=delay, stream=stream)
        for i in range(1, 4):
            p(i, 3, "CHECK")
        p.close()
    assert "3/3" in tty.getvalue() and tty.getvalue().endswith("\r")
    assert pipe.getvalue() == ""
    slow = TTY()
    p = Progress(delay=60, stream=slow)  # a short run prints nothing
    p(1, 3, "CHECK")
    p.close()
    assert slow.getvalue() == ""


def test_the_engine_reports_progress_for_every_check(model, export):
    from ecrf.engine import validate
    from ecrf.readers import read_export

    seen = []
    validate(model, read_export(export, model), progress=lambda d, t, label: seen.append((d, t)))
    assert seen and seen[-1][0] == seen[-1][1] and [d for d, _ in seen] == list(range(1, len(seen) + 1))


@pytest.fixture(scope="module")
def bundled_run():
    from pathlib import Path

    from ecrf.audit import Run
    from ecrf.engine import validate
    from ecrf.model import load_model
    from ecrf.readers import read_export

    m = load_model()
    src = Path(__file__).resolve().parents[1] / "ecrf" / "example" / "bundled"
    return Run(source=src, result=validate(m, read_export(src, m)))


@pytest.mark.parametrize("group", [None, "check", "subject", "form"])
def test_the_bundled_export_fits_every_width(bundled_run, group):
    from ecrf.reports.terminal import render

    ids = set(bundled_run.findings["check_id"].to_list())
    for width in (50, 64, 80, 101, 132, 180, 250):
        text = ANSI.sub("", render(bundled_run, width=width, group_by=group, color=True))
        assert [x for x in text.splitlines() if len(x) > width] == [], width
        assert all(i in text for i in ids)  # every check named, however narrow
