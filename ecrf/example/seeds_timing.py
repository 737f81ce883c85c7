"""Clinical seeds for the timing and plausibility checks: CRS and ICANS against the infusion and their own adverse
event, dates against their visit, lab status pairs, growth (see ecrf.example.seeding for how seeds are placed)."""

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


# --- dates against their visit, lab status pairs, growth -----------------------------------------------------

def _visit_undated(ex, subject, rng, visit="D10"):
    row = ex.pick("sv", subject, rng, pl.col("VISIT") == visit)
    ex.set("sv", row["_i"], SVSTDAT="")
    return [("XF-SV-NO-DATE", "sv", "SVSTDAT", "")]


def _specimens_late(ex, subject, rng, visit="D14", days=10):
    rows = ex.rows("lb", (pl.col("SUBJID") == subject) & (pl.col("VISIT") == visit))
    when = (date.fromisoformat(rows["LBDAT"][0]) + timedelta(days=days)).isoformat()
    for i in rows["_i"].to_list():
        ex.set("lb", i, LBDAT=when)
    return [("XF-LB-VISIT-DATE", "lb", "LBDAT", when)]


def _completed_early(ex, subject, rng, visit="M6"):
    when = ex.rows("sv", (pl.col("SUBJID") == subject) & (pl.col("VISIT") == visit))["SVSTDAT"][0]
    dm = ex.rows("dm", pl.col("SUBJID") == subject).row(0, named=True)
    ds = ex.tables["ds"]
    row = pl.DataFrame({c: [""] for c in ds.columns}, schema=ds.schema).with_columns(
        pl.lit(dm["STUDYID"]).alias("STUDYID"), pl.lit(dm["SITEID"]).alias("SITEID"), pl.lit(subject).alias("SUBJID"),
        pl.lit("COMPLETED").alias("DSDECOD"), pl.lit(when).alias("DSSTDAT"), pl.lit("Completed").alias("DSTERM"))
    ex.tables["ds"] = pl.concat([ds, row])
    return [("XF-DS-COMPLETED", "ds", "DSSTDAT", when)]


def _not_done_with_result(ex, subject, rng, test="ALB"):
    row = ex.pick("lb", subject, rng, (pl.col("LBTESTCD") == test) & (pl.col("VISIT") != ex.protocol.screening_visit))
    ex.set("lb", row["_i"], LBSTAT="NOT DONE", LBREASND="Sample haemolysed")
    # The schedule counts a test marked not done as missing, so the visit is reported as lacking it too.
    return [("LAB-NOT-DONE-RESULT", "lb", "LBORRES", row["LBORRES"]), ("SCHED-ASSESSMENT-MISSING", "sv", "VISIT",
                                                                        row["VISIT"])]


def _result_blank(ex, subject, rng, test="ALB"):
    row = ex.pick("lb", subject, rng, (pl.col("LBTESTCD") == test) & (pl.col("VISIT") != ex.protocol.screening_visit))
    ex.set("lb", row["_i"], LBORRES="", LBNRIND="", LBTOXGR="")
    return [("LAB-RESULT-MISSING", "lb", "LBORRES", "")]


def _height_mistyped(ex, subject, rng, visit="M6"):
    # The tens digit one too high (a child's height in inches would also fall below the item's hard limit).
    row = ex.pick("vs", subject, rng, (pl.col("VISIT") == visit) & (pl.col("HEIGHT") != ""))
    value = f"{float(row['HEIGHT']) + 10:.1f}"
    ex.set("vs", row["_i"], HEIGHT=value)
    return [("VS-HEIGHT-DELTA", "vs", "HEIGHT", ex.reported("vs", "HEIGHT", value))]


def _weight_in_pounds(ex, subject, rng, visit="M3"):
    row = ex.pick("vs", subject, rng, (pl.col("VISIT") == visit) & pl.col("WEIGHT").str.contains(r"^[0-9.]+$"))
    value = f"{float(row['WEIGHT']) * 2.2046:.1f}"
    ex.set("vs", row["_i"], WEIGHT=value)
    return [("VS-WEIGHT-DELTA", "vs", "WEIGHT", ex.reported("vs", "WEIGHT", value))]


def _visit(form: str, visit: str, where: pl.Expr | None = None):
    cond = pl.col("VISIT") == visit
    return lambda ex: ex.subjects(form, cond if where is None else cond & where)


CLINICAL += (
    Clinical("XF-SV-NO-DATE", _f("sv:D10"), _f(), _visit("sv", "D10"), _visit_undated,
             "day 10 visit recorded as taken place, its date left empty"),
    Clinical("XF-LB-VISIT-DATE", _f("lb:D14"), _f("sv:D14"), _visit("lb", "D14"), _specimens_late,
             "day 14 lab panel dated ten days after the visit"),
    Clinical("XF-DS-COMPLETED", _f("ds"), _f("sv", "dd"),
             lambda ex: [x for x in ex.subjects("sv", pl.col("VISIT") == "M6") if x not in set(ex.subjects("ds"))],
             _completed_early, "study completion dated at month 6, before the visits after it"),
    Clinical("LAB-NOT-DONE-RESULT", _f("lb:ALB"), _f("sv"), lambda ex: ex.subjects("lb", pl.col("LBTESTCD") == "ALB"),
             _not_done_with_result, "albumin marked not done, its result kept"),
    Clinical("LAB-RESULT-MISSING", _f("lb:ALB"), _f(), lambda ex: ex.subjects("lb", pl.col("LBTESTCD") == "ALB"),
             _result_blank, "albumin result left empty without a not-done status"),
    Clinical("VS-HEIGHT-DELTA", _f("vs:HEIGHT"), _f("vs"), _visit("vs", "M6", pl.col("HEIGHT") != ""),
             _height_mistyped, "month 6 height typed 10 cm too tall"),
    Clinical("VS-WEIGHT-DELTA", _f("vs:WEIGHT"), _f("vs"), _visit("vs", "M3", pl.col("WEIGHT") != ""),
             _weight_in_pounds, "month 3 weight recorded in pounds"),
)
