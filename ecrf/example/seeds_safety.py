"""Clinical seeds for the safety assessment checks (see ecrf.example.seeding for how seeds are placed)."""

from __future__ import annotations

import polars as pl

from ecrf.example.score_items import capd_scores, ice_tasks, titled
from ecrf.example.seedkit import FULL_DATE, Clinical
from ecrf.example.seedkit import forms as _f


def _icans_other_tool(ex, subject, rng):
    # The other tool with a score of the same grade (1), so only the tool disagrees with the age.
    row = ex.pick("icans", subject, rng, pl.col("ICANSGR") == "1")
    if row["ICANSTOOL"] == "ICE":
        ex.set("icans", row["_i"], ICANSTOOL="CAPD", ICESCORE="", CAPDSCORE="4",
               **titled({k: "" for k in ice_tasks(ex.model, 9, rng)}), **titled(capd_scores(ex.model, 4, rng)))
        tool = "CAPD"
    else:
        ex.set("icans", row["_i"], ICANSTOOL="ICE", CAPDSCORE="", ICESCORE="8",
               **titled({k: "" for k in capd_scores(ex.model, 4, rng)}), **titled(ice_tasks(ex.model, 8, rng)))
        tool = "ICE"
    return [("SAFE-ICANS-TOOL", "icans", "ICANSTOOL", tool)]


def _antipyretic_day() -> pl.Expr:
    """A CRS day treated with an antipyretic only (the generated grade-1 days)."""
    return (pl.col("CRSFEVER") == "Y") & (pl.col("CRSTRT") == "ANTIPYRETIC")


def _crs_fever_cool(ex, subject, rng):
    # no treatment that day, so nothing masked the fever the form records
    row = ex.pick("crs", subject, rng, _antipyretic_day())
    ex.set("crs", row["_i"], CRSTMAX="37.6", CRSTRT="")
    return [("SAFE-CRS-FEVER", "crs", "CRSFEVER", "Y")]


def _crs_vasopressor_listed(ex, subject, rng):
    row = ex.pick("crs", subject, rng, _antipyretic_day() & (pl.col("CRSVASO") == "0") & (pl.col("CRSVSPRS") == "N"))
    ex.set("crs", row["_i"], CRSTRT="VASOPRESSOR,ANTIPYRETIC")
    return [("SAFE-CRS-TREATMENT", "crs", "CRSTRT", "VASOPRESSOR,ANTIPYRETIC")]


CLINICAL = (
    # The check judges the tool only on a full birth date.
    Clinical("SAFE-ICANS-TOOL", _f("icans"), _f("dm:BRTHDAT"),
             lambda ex: sorted(set(ex.subjects("icans", pl.col("ICANSGR") == "1"))
                               & set(ex.subjects("dm", pl.col("BRTHDAT").str.contains(FULL_DATE)))),
             _icans_other_tool, "ICANS graded with the encephalopathy tool of the other age group"),
)

# Placed last: any CRS day carries it, so it takes a subject the more constrained seeds left.
LATE = (
    Clinical("SAFE-CRS-FEVER", _f("crs"), _f(), lambda ex: ex.subjects("crs", _antipyretic_day()),
             _crs_fever_cool, "CRS day recorded with fever but a maximum temperature of 37.6 C, untreated"),
    Clinical("SAFE-CRS-TREATMENT", _f("crs"), _f(),
             lambda ex: ex.subjects("crs", _antipyretic_day() & (pl.col("CRSVASO") == "0") & (pl.col("CRSVSPRS") == "N")),
             _crs_vasopressor_listed, "CRS day listing a vasopressor among its treatments, none recorded"),
)
