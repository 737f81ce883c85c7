"""Canonical tables in record-key order, whatever order the export delivered the rows in.

Checks that report "the first" or "the earliest" of several rows break ties by row position (`_idx`). With
the rows in file order, shuffling a file, or a format that orders records differently, would move such a
finding to another record and change its fingerprint. Sorting every table by its record key (typed: numbers
as numbers, dates as dates) makes the position a function of the content; only duplicates of one key keep
their file order among themselves.
"""

from __future__ import annotations

import dataclasses

import polars as pl

from ecrf.readers import Export
from ecrf.table import ROW, Table, typed_in


def _permutation(table: Table) -> pl.Series | None:
    """The old row positions in key order; None when the table is already in that order. Only the key
    columns are typed here (the whole typed table is built once, for the checks, after sorting)."""
    df = table.df
    if df.height < 2:
        return None
    keys = [table.form.item(k) for k in table.form.keys if table.form.has(k)]
    # Rows sharing a key are duplicates (FORM-DUPKEY): they keep their file order, so "the earlier record"
    # stays the earlier row. A form without a key is ordered by all its items.
    items = [] if keys else [i.name for i in table.form.items if i.name in df.columns]
    by = [typed_in(df, i).alias(f"_k{n}") for n, i in enumerate(keys)]
    by += [pl.col(c).alias(f"_t{n}") for n, c in enumerate(items)] + [pl.col(ROW).alias("_r")]
    perm = df.lazy().select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_pos"), *by) \
        .sort([f"_k{n}" for n in range(len(keys))] + [f"_t{n}" for n in range(len(items))] + ["_r"],
              nulls_last=True, maintain_order=True) \
        .select("_pos").collect(engine="in-memory").to_series()  # as the checks (findings.ENGINE)
    in_order = (perm == pl.int_range(df.height, dtype=pl.UInt32, eager=True)).all()
    return None if in_order else perm


def in_record_key_order(export: Export) -> Export:
    """Sort each table into record-key order and move the readers' problems with their rows."""
    with_problems = {p.form for p in export.problems if p.idx is not None}
    moved: dict[str, pl.Series] = {}
    for domain in list(export.tables):  # not items(): a list of the tables would keep each old one alive
        table = export.tables[domain]
        if table.key_ordered:  # ordered before (a caller that orders, then validates)
            continue
        perm = _permutation(table)
        if perm is None:
            export.tables[domain] = dataclasses.replace(table, key_ordered=True)
            continue
        # One gather per column into one contiguous chunk: `df[perm]` leaves the columns in chunks, and
        # making them contiguous afterwards (as the checks need) costs a second copy of the table.
        ordered = table.df.select(pl.all().gather(perm))
        export.tables[domain] = dataclasses.replace(table, df=ordered, extra={}, key_ordered=True)
        if domain in with_problems:
            moved[domain] = perm.arg_sort()  # old position -> new position
    for p in export.problems:
        if p.idx is not None and p.form in moved:
            p.idx = int(moved[p.form][p.idx])
    return export
