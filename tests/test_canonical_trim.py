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

PADDED = [" 5", "5\t", "\u00a05\u2003", "", "   ", "a b", None, "5"]


def _trimmed(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(_trim(df.lazy()))


def _everywhere(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(pl.all().str.strip_chars().replace("", None))


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
        if not trimmed or form is None:
            continue
        vouched.append(path.stem)
        assert_frame_equal(canonical_table(path, df, form, rows, trimmed=True).df,
                           canonical_table(path, df, form, rows).df)
    assert "lb" in vouched and "vs" in vouched


@pytest.mark.parametrize("text", [
    "A,B\n1, 2\n",            # a space
    "A,B\n1,2\t\n",           # a tab
    "A,B\n1,\u00a02\n",       # a no-break space (not ASCII)
    "A,B\n1,2\x0c\n",         # a form feed
    'A,B\n1,""\n',            # quotes: not the plain path at all
])
def test_a_file_with_blanks_is_not_vouched_for(tmp_path, text):
    path = tmp_path / "x.csv"
    path.write_bytes(text.encode())
    assert read_csv_cells(path)[2] is False


def test_a_file_without_blanks_is_vouched_for(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"A,B\r\n1,2\r\n3,\r\n")
    df, _, trimmed = read_csv_cells(path)
    assert trimmed and df.rows() == [("1", "2"), ("3", None)]
