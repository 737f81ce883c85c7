"""Files whose cells are all quoted (as Medidata Rave clinical views and other EDCs write them) are read by polars'
reader (after a line scan when many lines hold quotes), not cell by cell by the csv module, and give exactly the tables and row numbers the csv
module gives; a ragged quoted row is still an input error naming its row and column."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal, assert_series_equal

from ecrf.errors import InputError
from ecrf.readers import csv_folder
from ecrf.readers.csv_folder import read_csv_cells

RAVE = Path(__file__).resolve().parents[1] / ".." / "shared" / "samples" / "edc_csv" / "rave_clinical_views"


def _frame(path):
    """The file's text frame and row numbers."""
    return read_csv_cells(path)[:2]


def _by_csv_module(path, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(csv_folder, "_read_fast", lambda path: None)
        return _frame(path)


def _scanned(path, monkeypatch):
    """Polars' reading (the plain path for a file with few quoted lines), checked against the line scan that a
    large file quoting every cell takes; a failure when the reader handed the file to the csv module."""
    slow, scans = [], []
    real_slow, real_scan = csv_folder.read_csv_file, csv_folder._scan_lines

    def slow_spy(*args):
        slow.append(True)
        return real_slow(*args)

    def scan_spy(*args):
        got = real_scan(*args)
        scans.append(got is not None)
        return got

    with monkeypatch.context() as m:
        m.setattr(csv_folder, "read_csv_file", slow_spy)
        m.setattr(csv_folder, "_scan_lines", scan_spy)
        got = _frame(path)
        m.setattr(csv_folder, "_MOST_QUOTED_LINES", 0)
        by_scan = _frame(path)
    assert not slow, "the file should be read by polars, not cell by cell by the csv module"
    assert scans and scans[-1], "a file with many quoted lines should be read after the line scan"
    assert_frame_equal(got[0], by_scan[0])
    assert_series_equal(got[1], by_scan[1])
    return got


def _quoted(rows: list[list[str]], header_quoted: bool) -> str:
    out = io.StringIO()
    w = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    if header_quoted:
        w.writerow(rows[0])
    else:
        out.write(",".join(rows[0]) + "\n")
    w.writerows(rows[1:])
    return out.getvalue()


ROWS = [["SUBJID", "VSTESTCD", "VSORRES", "COMMENT"],
        ["01-001", "TEMP", "37.2", ""],
        ["01-001", "HEIGHT", "120", 'measured "standing", shoes off'],
        ["01-002", "TEMP", " 38.0 ", "a, b, c"]]


@pytest.mark.parametrize("header_quoted", [True, False])
def test_every_cell_quoted_reads_as_the_csv_module_reads_it(tmp_path, monkeypatch, header_quoted):
    path = tmp_path / "vs.csv"
    path.write_text(_quoted(ROWS, header_quoted))
    got, want = _scanned(path, monkeypatch), _by_csv_module(path, monkeypatch)
    assert_frame_equal(got[0], want[0])
    assert_series_equal(got[1], want[1])
    assert got[0]["COMMENT"].to_list() == ["", 'measured "standing", shoes off', "a, b, c"]


@pytest.mark.parametrize("line, fields", [
    ('"01-003","TEMP","36.9"', 3),                # a quoted row one cell short
    ('"01-003","TEMP","36.9","x","y"', 5),        # one cell long
    ('"01-003","TEMP","36,9"', 3),                # a comma inside quotes is no separator: still short
])
def test_a_ragged_quoted_row_names_its_row_and_column(tmp_path, line, fields):
    path = tmp_path / "vs.csv"
    path.write_text(_quoted(ROWS, True) + line + "\n")
    with pytest.raises(InputError) as err:
        _frame(path)
    assert err.value.row == 5 and f"{fields} fields where the header has 4" in str(err.value)
    assert err.value.column == "COMMENT"


def test_a_quote_inside_an_unquoted_cell_and_a_cell_over_lines_read_as_before(tmp_path, monkeypatch):
    path = tmp_path / "vs.csv"
    path.write_text(_quoted(ROWS, False) + '01-003,HEIGHT,48,5" 3 tall\n"01-004","TEMP","37","two\nlines"\n')
    got, want = _frame(path), _by_csv_module(path, monkeypatch)
    assert_frame_equal(got[0], want[0])
    assert_series_equal(got[1], want[1])


@pytest.mark.parametrize("name", ["V_SIMPLESTUDY_VITAL.csv", "V_SIMPLESTUDY_ENROL.csv"])
def test_medidata_rave_clinical_views_are_read_by_polars_as_the_csv_module_reads_them(tmp_path, monkeypatch, name):
    # Rave ends the file with a line "EOF": not a record, and a ragged row to both paths (named by row)
    text = (RAVE / name).read_text(encoding="utf-8")
    lines = text.rstrip("\r\n").split("\n")
    assert lines[-1].strip() == "EOF"
    with pytest.raises(InputError) as err:
        _frame(RAVE / name)
    assert err.value.row == len(lines) and "ragged row: 1 fields" in str(err.value)
    path = tmp_path / name
    path.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    got, want = _scanned(path, monkeypatch), _by_csv_module(path, monkeypatch)
    assert_frame_equal(got[0], want[0])
    assert_series_equal(got[1], want[1])
    assert got[0].height == len(lines) - 2
