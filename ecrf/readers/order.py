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
from ecrf.table import ROW, Table


def _permutation(table: Table) -> list[int] | None:
    """The old row positions in key order; None when the table is already in that order."""
    df, typed = table.df, table.typed
    if df.height < 2:
        return None
    keys = [k for k in table.form.keys if k in typed.columns]
    # Rows sharing a key are duplicates (FORM-DUPKEY): they keep their file order, so "the earlier record"
    # stays the earlier row. A form without a key is ordered by all its items.
    items = [] if keys else [i.name for i in table.form.items if i.name in df.columns]
    frame = pl.DataFrame({"_pos": pl.int_range(df.height, eager=True)}) \
        .with_columns([typed[k].alias(f"_k{n}") for n, k in enumerate(keys)]) \
        .with_columns([df[c].alias(f"_t{n}") for n, c in enumerate(items)]) \
        .with_columns(df[ROW].alias("_r"))
    order = [c for c in frame.columns if c != "_pos"]
    perm = frame.sort(order, nulls_last=True, maintain_order=True)["_pos"].to_list()
    return None if perm == list(range(df.height)) else perm


def in_record_key_order(export: Export) -> Export:
    """Sort each table into record-key order and move the readers' problems with their rows."""
    moved: dict[str, dict[int, int]] = {}
    for domain, table in list(export.tables.items()):
        perm = _permutation(table)
        if perm is None:
            continue
        export.tables[domain] = dataclasses.replace(table, df=table.df[perm], extra={})
        moved[domain] = {old: new for new, old in enumerate(perm)}
    for p in export.problems:
        if p.idx is not None and p.form in moved:
            p.idx = moved[p.form][p.idx]
    return export
