"""Cells are trimmed and empty cells become missing in every column that needs it, and only there: the
canonical table equals trimming every cell, and columns that need nothing are handed on as read."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from ecrf.readers.canonical import _trimmed
from ecrf.readers.csv_folder import read_csv_folder
from ecrf.model import load_model

PADDED = [" 5", "5\t", "\u00a05\u2003", "", "   ", "a b", None, "5"]


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
