"""The CSV reader's plain path (no blank lines, few or no quoted lines: no per-line scan) gives exactly what the
line scan gives, and hands every file it cannot vouch for to the scan."""

from __future__ import annotations

import pytest
from polars.testing import assert_frame_equal, assert_series_equal

from ecrf.errors import InputError
from ecrf.example import write_example
from ecrf.readers import csv_folder
from ecrf.readers.csv_folder import _read_plain, read_csv_cells


def _frame(path):
    """The file's text frame and row numbers."""
    return read_csv_cells(path)[:2]


def _scanned(path, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(csv_folder, "_read_plain", lambda path, raw: None)
        return _frame(path)


def test_the_example_export_is_read_plain_and_identically(tmp_path, monkeypatch):
    write_example(tmp_path / "x", subjects=30, clean=True)
    files = sorted((tmp_path / "x").glob("*.csv"))
    plain_files = []
    for path in files:
        raw = path.read_bytes()
        plain = _read_plain(path, raw)
        if plain is None:  # only a file with quoted cells (a comma inside a class name, a multi-select) needs the scan
            assert b'"' in raw, path.name
            continue
        plain_files.append(path.name)
        df, rows = _scanned(path, monkeypatch)
        assert_frame_equal(plain[0], df)
        assert_series_equal(plain[1], rows)
    assert "lb.csv" in plain_files and len(plain_files) > 15


@pytest.mark.parametrize("text", [
    "A,B,C\r\n1,2,3\r\n4,,6\r\n",           # CRLF line ends
    "A,B,C\n1,2,3\n4,5,6",                  # no line end after the last record
    "A,B,C\n",                              # header only
    "A,B,C\n1,2,3\n   \n4,5,6\n",           # a whitespace-only line (skipped by the scan): not plain
    "A,B,C\n1,2,3\n\n4,5,6\n",              # a blank line: not plain
    'A,B,C\n1,"2,5",3\n',                   # a quoted cell with a comma
    'A,B,C\r\n1,"2,5",3\r\n4,5,6\r\n',       # ... in a CRLF file
    'A,B,C\n1,"say ""hi""",3\n4,5,6',         # doubled quotes, no line end after the last record
    'A,B,C\n1,"",3\n',                      # a quoted empty cell
    '"A","B","C"\n"1","2","3"\n',           # every cell quoted, the header too: the scan
    'A,B,C\n1,"two\nlines",3\n',             # a cell over two lines: the scan, then the csv module
    "A,B,C\n1,2,\n4,5,6\n",                 # an empty last cell
])
def test_edge_files_read_the_same_either_way(tmp_path, monkeypatch, text):
    path = tmp_path / "dm.csv"
    path.write_bytes(text.encode())
    got = _frame(path)
    want = _scanned(path, monkeypatch)
    assert_frame_equal(got[0], want[0])
    assert_series_equal(got[1], want[1])


@pytest.mark.parametrize("text, row, column", [
    ("A,B,C\n1,2,3\n4,5\n6,7,8\n", 3, "C"),        # short row: the comma count tells
    ("A,B,C\n1,2,3,4\n4,5\n", 2, "C"),             # long then short: the counts cancel, polars refuses the long
    ("A,B,C\n1,2\n4,5,6,7\n", 2, "C"),             # short then long
    ('A,B,C\n1,"2,5",3\n4,5\n', 3, "C"),          # a short unquoted row beside a quoted one
    ('A,B,C\n1,2,3\n4,"5,1"\n', 3, "C"),          # a short quoted row
    ('A,B,C\n1,"2,5",3,9\n4,5,6\n', 2, "C"),      # a long quoted row
])
def test_ragged_rows_still_name_row_and_column(tmp_path, text, row, column):
    path = tmp_path / "dm.csv"
    path.write_bytes(text.encode())
    assert _read_plain(path, path.read_bytes()) is None
    with pytest.raises(InputError) as err:
        _frame(path)
    assert err.value.row == row and err.value.column == column


@pytest.mark.parametrize("text, plain", [
    ('A,B,C\n1,"2,5",3\n4,5,6\n', True),
    ('A,B,C\n1,"2,5",3\n4,"5,1",6\n', True),
    ('"A",B,C\n1,2,3\n', False),                # a quoted header
    ('A,B,C\n1,"two\nlines",3\n', False),        # a cell over two lines
    ('A,B,C\n1,2 "x",3\n', False),              # a quote inside an unquoted cell
    ('A,B,C\n1,"2,5" ,3\n', False),             # a blank after the closing quote
])
def test_few_quoted_lines_are_read_plain(tmp_path, text, plain):
    path = tmp_path / "dm.csv"
    path.write_bytes(text.encode())
    assert (_read_plain(path, path.read_bytes()) is not None) == plain


def test_a_file_that_quotes_as_a_rule_goes_to_the_scan(tmp_path, monkeypatch):
    path = tmp_path / "dm.csv"
    path.write_bytes(b'A,B,C\n1,"2,5",3\n4,"5,1",6\n')
    monkeypatch.setattr(csv_folder, "_MOST_QUOTED_LINES", 1)
    assert _read_plain(path, path.read_bytes()) is None
    monkeypatch.setattr(csv_folder, "_MOST_QUOTED_LINES", 2)
    assert _read_plain(path, path.read_bytes()) is not None


@pytest.mark.parametrize("text, trimmed", [
    ('A,B,C\n1,"2,5",3\n', True),              # nothing to trim: the canonical table skips the search
    ('A,B,C\n1,"",3\n', False),                # an empty string to turn into a null
    ('A,B,C\n1,"2, 5",3\n', False),            # a blank in the file
])
def test_quoted_files_vouch_for_trimmed_cells_only_when_they_can(tmp_path, text, trimmed):
    path = tmp_path / "dm.csv"
    path.write_bytes(text.encode())
    assert read_csv_cells(path)[2] is trimmed
