"""Seed a fixed set of column-level errors into a clean export, and list them in a manifest.

Each error is one the column checks must report exactly once, with no collateral finding: it sits in a
non-key column (or duplicates a whole record), on a subject of its own, on a record no clinical rule
reads the value from. The manifest is what `ecrf validate` should find, fields named as it reports them
(the item title, or the key titles joined with | for a duplicate record).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

import polars as pl

from ecrf.model import load_model


@dataclass(frozen=True)
class Seed:
    check_id: str
    form: str
    item: str | None        # None: the whole record is duplicated
    where: pl.Expr          # which records may carry the error (on title-named columns)
    change: Callable[[str], str]
    description: str


def _full(v: str) -> str:
    return f"{v[:4]}-02-30"


SEEDS = (
    Seed("COL-REQUIRED", "cm", "cmtrt", pl.col("CMCAT") == "CONCOMITANT", lambda v: "",
         "medication name left empty"),
    Seed("COL-TYPE", "vs", "weight", ~pl.col("VISIT").is_in(["SCR", "LD"]), lambda v: "abc",
         "text typed into the weight field"),
    Seed("COL-CODELIST", "dm", "sex", pl.col("SEX") == "M", lambda v: "X",
         "sex coded X, not in the Sex codelist"),
    Seed("COL-PATTERN", "lb", "siteid", pl.col("SITEID").str.starts_with("0"), lambda v: v[-1:],
         "site number without its leading zero"),
    Seed("COL-DATE", "vs", "vsdat", ~pl.col("VISIT").is_in(["SCR", "LD"]), _full,
         "30 February: not a calendar date"),
    Seed("COL-DATE", "cm", "cmstdat", pl.col("CMSTDAT").str.len_chars() == 7, lambda v: f"{v[:4]}-13",
         "partial date with month 13"),
    Seed("COL-RANGE", "vs", "temp", ~pl.col("VISIT").is_in(["SCR", "LD"]), lambda v: "48",
         "temperature 48 C, beyond the hard limit"),
    Seed("FORM-DUPKEY", "lb", None, pl.col("VISIT") != "SCR", lambda v: v,
         "a lab result exported twice"),
)


def seed_errors(tables: dict[str, pl.DataFrame], seed: int) -> tuple[dict[str, pl.DataFrame], list[dict]]:
    """A copy of `tables` with the SEEDS applied on randomly chosen records, and the manifest.

    An export of a handful of subjects may lack a suitable record for some seed (no boy to recode, say);
    that seed is skipped, so the manifest always lists exactly what was seeded.
    """
    model = load_model()
    rng = random.Random(seed)
    out = dict(tables)
    used: set[str] = set()  # one seeded error per subject where possible, so findings stay apart
    manifest = []
    for s in SEEDS:
        form = model.forms[s.form]
        df = out[s.form].with_row_index("_i")
        pool = df.filter(s.where & ~pl.col("SUBJID").is_in(list(used)))
        if pool.is_empty():  # a very small export: share a subject, never a record
            pool = df.filter(s.where)
        if pool.is_empty():  # too small to carry this error cleanly: leave it out, and out of the manifest
            continue
        row = pool.row(rng.randrange(pool.height), named=True)
        used.add(row["SUBJID"])
        i = row["_i"]
        if s.item is None:
            keys = [form.item(k).title for k in form.keys]
            field, value = "|".join(keys), "|".join(row[k] for k in keys)
            base = out[s.form]
            out[s.form] = pl.concat([base[: i + 1], base[i: i + 1], base[i + 1:]])
        else:
            field = title = form.item(s.item).title
            value = s.change(row[title])
            out[s.form] = out[s.form].with_columns(
                pl.when(pl.int_range(pl.len()) == i).then(pl.lit(value)).otherwise(pl.col(title)).alias(title))
        manifest.append({"check_id": s.check_id, "subject": row["SUBJID"], "form": s.form, "field": field,
                         "value": value, "description": s.description})
    return out, manifest
