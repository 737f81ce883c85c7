"""Tables are put into record-key order before the checks, and a reader's problems move with their rows."""

from __future__ import annotations

import polars as pl

from ecrf.example import write_example
from ecrf.model import load_model
from ecrf.readers import Problem
from ecrf.readers.csv_folder import read_csv_folder
from ecrf.readers import order
from ecrf.readers.order import in_record_key_order
from ecrf.table import ROW

MODEL = load_model()


def test_problems_follow_their_rows_into_key_order(tmp_path):
    folder = tmp_path / "export"
    write_example(folder)
    lb = pl.read_csv(folder / "lb.csv", infer_schema=False)
    lb = lb.sample(fraction=1.0, shuffle=True, seed=7)  # shuffled, not reversed: a reversal is its own inverse
    lb.write_csv(folder / "lb.csv")
    export = read_csv_folder(folder, MODEL)
    table = export.tables["lb"]
    picked = [0, 7, table.n_rows - 1]
    rows = [table.df[ROW][i] for i in picked]
    export.problems += [Problem("LAB-RESULT-NOT-NUMBER", "test", "lb.csv", form="lb", idx=i) for i in picked]
    export.problems.append(Problem("STRUCT-UNKNOWN-FORM", "test", "x.csv"))  # on no row: stays as it is
    ordered = in_record_key_order(export)
    df = ordered.tables["lb"].df
    keys = [k for k in ordered.tables["lb"].form.keys]
    assert df.select(keys).to_dicts() != lb.rename(str.lower).select(keys).to_dicts()  # it was reordered
    assert [df[ROW][p.idx] for p in ordered.problems[-4:-1]] == rows  # each problem still on its source row
    assert ordered.problems[-1].idx is None


def test_a_table_already_in_key_order_is_left_alone(tmp_path):
    folder = tmp_path / "export"
    write_example(folder)
    pl.read_csv(folder / "dm.csv", infer_schema=False).sort("SUBJID").write_csv(folder / "dm.csv")
    export = read_csv_folder(folder, MODEL)
    before = {d: t.df for d, t in export.tables.items()}
    in_record_key_order(export)
    assert export.tables["dm"].df is before["dm"]  # not copied
    assert export.tables["lb"].df is not before["lb"]  # the seeded duplicate sits out of order


def test_tables_ordered_before_are_not_sorted_again(tmp_path, monkeypatch):
    folder = tmp_path / "export"
    write_example(folder)
    export = in_record_key_order(read_csv_folder(folder, MODEL))
    ordered = {d: t.df for d, t in export.tables.items()}

    def sorted_again(table):
        raise AssertionError(f"{table.form.name} sorted twice")

    monkeypatch.setattr(order, "_permutation", sorted_again)
    in_record_key_order(export)  # as engine.validate does for a caller that ordered the export itself
    assert all(export.tables[d].df is df for d, df in ordered.items())
