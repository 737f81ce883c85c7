"""Clinical seeds for the timing checks: CRS and ICANS against the infusion and their own adverse event (see
ecrf.example.seeding for how seeds are placed)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from ecrf.example.seedkit import FULL_DATE, Clinical
from ecrf.example.seedkit import forms as _f


def _events(category: str):
    return lambda ex: ex.subjects("ae", (pl.col("AECAT") == category) & pl.col("AESTDAT").str.contains(FULL_DATE)
                                  & pl.col("AEENDAT").str.contains(FULL_DATE))


def _crs_before_infusion(ex, subject, rng):
    # The event now starts the day before the cells were given; its grading days stay within it.
    row = ex.pick("ae", subject, rng, pl.col("AECAT") == "CRS")
    start = (ex.day0(subject) - timedelta(days=1)).isoformat()
    ex.set("ae", row["_i"], AESTDAT=start)
    return [("SAFE-IEC-BEFORE-INFUSION", "ae", "AESTDAT", start)]


def _crs_graded_after_end(ex, subject, rng):
    row = ex.pick("ae", subject, rng, pl.col("AECAT") == "CRS")
    days = ex.rows("crs", (pl.col("SUBJID") == subject) & (pl.col("AESEQ") == row["AESEQ"]))
    last = days.row(days["CRSDAT"].arg_max(), named=True)
    when = (date.fromisoformat(row["AEENDAT"]) + timedelta(days=1)).isoformat()
    ex.set("crs", last["_i"], CRSDAT=when)
    return [("SAFE-GRADING-OUTSIDE-AE", "crs", "CRSDAT", when)]


def _icans_not_graded(ex, subject, rng):
    row = ex.pick("ae", subject, rng, pl.col("AECAT") == "ICANS")
    days = ex.rows("icans", (pl.col("SUBJID") == subject) & (pl.col("AESEQ") == row["AESEQ"]))
    for i in sorted(days["_i"].to_list(), reverse=True):  # from the last, so the earlier positions hold
        ex.drop("icans", i)
    return [("SAFE-AE-NO-GRADING", "ae", "AESEQ", row["AESEQ"])]


CLINICAL = (
    Clinical("SAFE-IEC-BEFORE-INFUSION", _f("ae:CRS"), _f("ex", "crs", "ic"), _events("CRS"), _crs_before_infusion,
             "CRS adverse event starting the day before the KN5601-K infusion"),
    Clinical("SAFE-GRADING-OUTSIDE-AE", _f("crs"), _f("ae:CRS"), _events("CRS"), _crs_graded_after_end,
             "last CRS grading day dated the day after its adverse event ended"),
    Clinical("SAFE-AE-NO-GRADING", _f("icans"), _f("ae:ICANS"), _events("ICANS"), _icans_not_graded,
             "ICANS adverse event whose daily grading records are missing"),
)
