"""The one writer: atomic, never over or into the input, formulas and control characters defused."""

from __future__ import annotations

import csv
import io

import pytest

from ecrf.writer import OutputError, cell, protect, terminal, unprotect, write_text


@pytest.fixture(autouse=True)
def _clean_protection():
    unprotect()
    yield
    unprotect()


def test_refuses_to_overwrite_or_write_into_the_input(tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    (export / "lb.csv").write_text("x\n")
    protect(export)
    with pytest.raises(OutputError, match="inside the export folder"):
        write_text(export / "lb.csv", "report")
    with pytest.raises(OutputError, match="inside the export folder"):
        write_text(export / "new.json", "report")
    assert (export / "lb.csv").read_text() == "x\n" and sorted(p.name for p in export.iterdir()) == ["lb.csv"]
    protect(export / "lb.csv")
    with pytest.raises(OutputError, match="over an input"):
        write_text(export / "lb.csv", "report", allow_inside_input=True)


def test_output_errors_name_the_file(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        write_text(tmp_path / "missing" / "f.json", "{}")
    with pytest.raises(OutputError, match="is a folder"):
        write_text(tmp_path, "{}")


def test_a_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "report.json"
    write_text(target, "good")
    import os

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match="No space left"):
        write_text(target, "truncated")
    assert target.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left behind


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\t=1", "\r=1"])
def test_formula_cells_are_neutralised(value):
    out = cell(value)
    assert out.startswith("'") and out[1:] == value
    rows = list(csv.reader(io.StringIO(f"a\n{out!s}\n".replace("\r", "\\r"))))
    assert not rows[1][0].startswith(("=", "+", "-", "@"))


@pytest.mark.parametrize("value", ["-1.5", "+2", "12", "text", "", None])
def test_plain_values_stay(value):
    assert cell(value) == value


def test_terminal_escapes_control_characters():
    assert terminal("A\nFAKE\x1b[31m\x07\u2028") == "A\\nFAKE\\x1b[31m\\x07\\u2028"
    assert "\n" not in terminal("x\r\ny") and "\x1b" not in terminal("\x1b]0;title\x07")
