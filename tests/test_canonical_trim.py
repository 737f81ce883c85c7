"""Cells are trimmed and empty cells become missing in every column that needs it, and only there: the
canonical table equals trimming every cell, and columns that need nothing are handed on as read."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from ecrf.example import write_example
from ecrf.model import load_model
from ecrf.readers.canonical import _trim, canonical_table
from ecrf.readers.csv_folder import read_csv_cells, read_csv_folder
from ecrf.table import TEXT

PADDED = [" 5", "5\t", "\u00a05\u2003", "", "   ", "a b", None, "5"]


def _trimmed(df: pl.DataFrame) -> pl.DataFrame:
    # (a rewritten column comes back dictionary-encoded, as the canonical table holds its text)
    return df.with_columns(_trim(df.lazy())).with_columns(pl.col(TEXT).cast(pl.Utf8))


def _everywhere(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(pl.all().cast(pl.Utf8).str.strip_chars().replace("", None))


def test_trimming_only_dirty_columns_equals_trimming_every_cell():
    df = pl.DataFrame({"clean": ["1", "two words", None, "x", "y", "z", "7", "8"], "padded": PADDED,
                       "one_empty": ["a", "b", "c", "", "d", "e", "f", "g"],
                       "inner_newline": ["a\nb", "c", "d", "e", "f", "g", "h", "i\n"]})
    got = _trimmed(df)
    assert_frame_equal(got, _everywhere(df))
    assert got["padded"].to_list() == ["5", "5", "5", None, None, "a b", None, "5"]
    assert got["inner_newline"].to_list()[0] == "a\nb"  # only the ends are trimmed


def test_a_clean_column_is_the_column_as_read():
    df = pl.DataFrame({"clean": ["1", "2"], "padded": [" 1", "2"]})
    got = _trimmed(df)
    assert got["clean"].to_list() == ["1", "2"] and got["padded"].to_list() == ["1", "2"]


def test_padded_and_empty_cells_in_a_csv_export(tmp_path):
    # the plain path (no quotes) and the quoted path (a quoted empty cell is "" to the parser) trim alike
    model = load_model(None)
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "dm.csv").write_text("STUDYID,SITEID,SUBJID,COHORT,SEX,BRTHDAT,AGE\n"
                                   " KN5601-K ,01,01-001 ,SLE,\t F,2015-03-01,11\n")
    (folder / "ds.csv").write_text('STUDYID,SITEID,SUBJID,DSDECOD,DSSTDAT\nKN5601-K,01,01-001,"  ",2026-01-01\n')
    export = read_csv_folder(folder, model)
    dm = export.tables["dm"].df.row(0, named=True)
    assert (dm["studyid"], dm["subjid"], dm["sex"]) == ("KN5601-K", "01-001", "F")
    assert export.tables["ds"].df.row(0, named=True)["dsdecod"] is None


def test_files_the_reader_vouches_for_read_as_if_trimmed(tmp_path):
    # the CSV reader skips the search for cells to trim only where it can prove there are none: for those
    # files the canonical table is the one trimming would give
    model = load_model(None)
    write_example(tmp_path / "x", subjects=30, clean=True)
    vouched = []
    for path in sorted((tmp_path / "x").glob("*.csv")):
        df, rows, trimmed = read_csv_cells(path)
        form = model.form_for_file(path.stem)
        if trimmed is not True or form is None:
            continue
        vouched.append(path.stem)
        assert_frame_equal(canonical_table(path, df, form, rows, trimmed=True).df,
                           canonical_table(path, df, form, rows).df)
    assert "lb" in vouched and "vs" in vouched


PADDING = [  # (file, the columns the reader says may need trimming; False: it cannot tell)
    ("A,B\n1, 2\n", ("B",)),            # a space before a cell
    ("A,B\n1,2\t\n", ("B",)),           # a tab at the end of a line
    ("A,B\n1,\u00a02\n", ("B",)),       # a no-break space (not ASCII)
    ("A,B\n1,2\x0c\n", ("B",)),         # a form feed
    ('A,B\n1,""\n', False),            # a quoted empty cell: an empty string to polars
    ("A,B\n1,2 ", ("B",)),              # a space at the end of the file, no line end
    ("A,B\r\n1,2 \r\n", ("B",)),        # before a CRLF
    ("A,B\n 1,2\n", ("A",)),            # at the start of a line
    ("A,B\n 1,2 \n3,4\n", ("A", "B")),  # two columns
    ("A,B\n1,a\u3000\n", ("B",)),       # an ideographic space
    ("A,B\n1,a\u2003\n3,\u00b5mol\n", ("B",)),  # an em space, beside another non-ASCII letter
    ('A,B\n1," x,y"\n', False),        # inside a quoted cell, after its quote
    ('A,B\n1,"x,y "\n', False),        # inside a quoted cell, before its quote
    ("A,B\n1,  \n", ("B",)),            # a cell of blanks only
]
INSIDE = [
    "A,B\n1,Sample haemolysed\n",          # blanks inside text only
    'A,B\n1,"Rash (maculo papular)"\n2,x\n',  # ... and inside a quoted cell
    "A,B\n1,\u00b5mol/L\n2,a\u00a0b\n",     # not ASCII; a no-break space inside a word
    "A,B\r\n1,a b\r\n3,\r\n",            # CRLF, an empty (null) cell
    "A , B\n1,2\n",                         # a padded header (trimmed as read, not a cell)
]


def _as_canonical(df: pl.DataFrame, to_trim) -> pl.DataFrame:
    """What the canonical table does with the reader's answer (ecrf.readers.canonical)."""
    return df if to_trim is True else df.with_columns(_trim(df.lazy(), None if to_trim is False else set(to_trim)))


@pytest.mark.parametrize("text, to_trim", PADDING)
def test_a_file_with_padded_or_empty_cells_names_their_columns(tmp_path, text, to_trim):
    path = tmp_path / "x.csv"
    path.write_bytes(text.encode())
    assert read_csv_cells(path)[2] == to_trim


@pytest.mark.parametrize("text", INSIDE)
def test_a_file_whose_blanks_sit_inside_text_is_vouched_for(tmp_path, text):
    path = tmp_path / "x.csv"
    path.write_bytes(text.encode())
    df, _, to_trim = read_csv_cells(path)
    assert to_trim is True and df.equals(_everywhere(df))


@pytest.mark.parametrize("text", [*(t for t, _ in PADDING), *INSIDE, 'A,B\n1,"Rash, maculo"\n'])
def test_what_the_reader_vouches_for_is_what_trimming_gives(tmp_path, text):
    # (a blank after a comma inside a quoted cell cannot be placed in a column: every column is searched)
    path = tmp_path / "x.csv"
    path.write_bytes(text.encode())
    df, _, to_trim = read_csv_cells(path)
    assert _as_canonical(df, to_trim).equals(_everywhere(df))


def test_past_the_most_blanks_the_file_is_left_to_the_search(tmp_path, monkeypatch):
    from ecrf.readers import csv_folder

    path = tmp_path / "x.csv"
    path.write_bytes(b"A,B\n1,a b c\n")
    assert read_csv_cells(path)[2] is True
    monkeypatch.setattr(csv_folder, "_MOST_BLANKS", 1)
    assert read_csv_cells(path)[2] is False


def test_a_file_without_blanks_is_vouched_for(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"A,B\r\n1,2\r\n3,\r\n")
    df, _, trimmed = read_csv_cells(path)
    assert trimmed and df.rows() == [("1", "2"), ("3", None)]
