"""Dates against the visit they belong to: a visit that took place has a date, a lab specimen is collected near
the date of the visit it is filed under, and a completed study ends after the last visit.

Windows come from the schema: VisitCode window_before/window_after for the visits of the grid, SpecimenTiming for
the others, StudyCompletion for the disposition codes meaning completion (schema/timing.yaml).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.params import class_parameter, listed
from ecrf.protocol import protocol
from ecrf.table import keyed_like
from ecrf.registry import Findings, check
from ecrf.validators.common import run_starts
from ecrf.validators.consistency_dates import collect

if TYPE_CHECKING:
    from ecrf.engine import Context

CDASH = "CDISC CDASHIG SV (SVOCCUR, SVSTDAT)"


@check("XF-SV-NO-DATE", "Visit that took place without a date", "consistency", "error", ("sv",),
       "A visit recorded as having taken place (SVOCCUR Y) has no visit date (SVSTDAT): nothing of it can be placed "
       "in time (windows, consent, end of study). A date that is there but unreadable is a COL-DATE finding.",
       reference=CDASH, fields=("SVOCCUR", "SVSTDAT"))
def occurred_without_date(ctx: Context) -> Findings:
    t = ctx.table("sv")
    if t is None or t.n_rows == 0:
        return {}
    d = t.df.with_row_index("_idx").with_columns(pl.col("_idx").cast(pl.Int64))
    bad = d.filter((pl.col("svoccur") == "Y") & pl.col("svstdat").is_null())
    return collect([("sv", F.from_frame(bad, "SVSTDAT", pl.lit(""), pl.lit("the date of the visit"),
                                        pl.format("{} recorded as taken place (SVOCCUR Y) without a visit date",
                                                  pl.col("visit").fill_null("visit"))))])


def _windows(ctx) -> pl.DataFrame:
    """visit code -> (_b, _a): days a specimen may precede or follow its visit date."""
    w = protocol(ctx.model).visit_windows()
    return pl.DataFrame({"_code": list(w), "_b": [x.before for x in w.values()], "_a": [x.after for x in w.values()]},
                        schema={"_code": pl.Utf8, "_b": pl.Int64, "_a": pl.Int64})


@check("XF-LB-VISIT-DATE", "Lab specimen dated far from its visit", "consistency", "warning", ("lb", "sv"),
       "A lab specimen (LBDAT) collected more days before or after the date of the visit it is filed under (SVSTDAT "
       "of the same SUBJID and VISITNUM) than the visit's window allows (VisitCode window_before, window_after; for "
       "visits without a window SpecimenTiming no_window_days_before, no_window_days_after: "
       "{SpecimenTiming.no_window_days_before} and {SpecimenTiming.no_window_days_after} days): the result most "
       "likely belongs to another visit. Reported once per subject, visit and specimen date, on its first record.",
       reference="VisitCode and SpecimenTiming in schema/ [CONV]; CDISC CDASHIG LB (LBDAT)",
       fields=("LBDAT", "VISITNUM", "SVSTDAT"))
def specimen_far_from_visit(ctx: Context) -> Findings:
    lb, sv = ctx.indexed("lb"), ctx.indexed("sv")
    if lb is None or sv is None:
        return {}
    before = int(class_parameter(ctx.model, "SpecimenTiming", "no_window_days_before"))
    after = int(class_parameter(ctx.model, "SpecimenTiming", "no_window_days_after"))
    visits = sv.filter(pl.col("svstdat").is_not_null() & pl.col("visitnum").is_not_null()) \
        .select("subjid", "visitnum", pl.col("visit").alias("_code"), "svstdat") \
        .unique(["subjid", "visitnum"], keep="first", maintain_order=True)
    windows = _windows(ctx)

    def far_from_visit(rows: pl.LazyFrame) -> pl.DataFrame:
        # on the columns the finding reads: the join would otherwise copy every column of the lab rows
        d = rows.select("_idx", "subjid", "visitnum", "lbdat").filter(pl.col("lbdat").is_not_null()) \
            .join(visits.lazy(), on=["subjid", "visitnum"]) \
            .join(keyed_like(windows.lazy(), visits, "_code"), on="_code", how="left") \
            .with_columns(pl.col("_b").fill_null(before), pl.col("_a").fill_null(after),
                          (pl.col("lbdat") - pl.col("svstdat")).dt.total_days().alias("_off"))
        return d.filter((pl.col("_off") < -pl.col("_b")) | (pl.col("_off") > pl.col("_a"))).collect(engine=F.ENGINE)

    # A visit's specimens share subject, visit and date: one row per run of those (as exported text) finds the
    # subjects with a specimen far from its visit, whose rows are then all looked at.
    text = ctx.tables["lb"].df  # (a column the export lacks is null throughout: no run ends there)
    starts = text.select(run_starts(*(c for c in ("subjid", "visitnum", "lbdat") if c in text.columns))).to_series()
    subjects = far_from_visit(lb.lazy().filter(starts))["subjid"].unique()
    if subjects.is_empty():
        return {}
    far = far_from_visit(lb.lazy().filter(pl.col("subjid").is_in(subjects.implode())))
    first = far.sort("_idx").group_by("subjid", "visitnum", "lbdat", maintain_order=True) \
        .agg(pl.all().first(), pl.len().alias("_n")).sort("_idx")
    side = pl.when(pl.col("_off") < 0).then(pl.lit("before")).otherwise(pl.lit("after"))
    return collect([("lb", F.from_frame(
        first, "LBDAT", pl.col("lbdat"),
        pl.format("from {} to {} ({} date {} -{}/+{} days)", pl.col("svstdat") - pl.duration(days=pl.col("_b")),
                  pl.col("svstdat") + pl.duration(days=pl.col("_a")), pl.col("_code"), pl.col("svstdat"),
                  pl.col("_b"), pl.col("_a")),
        pl.format("{} lab record(s) of visit {} collected {}, {} day(s) {} the visit date {}", pl.col("_n"),
                  pl.col("_code"), pl.col("lbdat"), pl.col("_off").abs(), side, pl.col("svstdat"))))])


@check("XF-DS-COMPLETED", "Study completed before a later visit", "consistency", "error", ("ds", "sv"),
       "A disposition meaning completion (DSDECOD one of StudyCompletion completion_codes: "
       "{StudyCompletion.completion_codes}) is dated (DSSTDAT) before a visit that took place (SVOCCUR Y, SVSTDAT): "
       "either the completion date or the visit is wrong. Reported once per subject, on the disposition record.",
       reference="CDISC CDASHIG DS (DSDECOD, DSSTDAT); StudyCompletion in schema/timing.yaml",
       fields=("DSDECOD", "DSSTDAT", "SVSTDAT"))
def completed_before_visits(ctx: Context) -> Findings:
    ds, sv = ctx.indexed("ds"), ctx.indexed("sv")
    if ds is None or sv is None:
        return {}
    codes = listed(class_parameter(ctx.model, "StudyCompletion", "completion_codes"))
    done = ds.filter(pl.col("dsdecod").is_in(codes) & pl.col("dsstdat").is_not_null())
    later = sv.filter((pl.col("svoccur") == "Y") & pl.col("svstdat").is_not_null()) \
        .select("subjid", pl.col("visit").alias("_v"), "svstdat", "_idx").rename({"_idx": "_sv_idx"})
    j = done.join(later, on="subjid").filter(pl.col("svstdat") > pl.col("dsstdat"))
    bad = j.sort("svstdat", "_sv_idx").group_by("_idx", maintain_order=True) \
        .agg(pl.all().last(), pl.len().alias("_n")).sort("_idx")
    return collect([("ds", F.from_frame(
        bad, "DSSTDAT", pl.col("dsstdat"), pl.format("on or after {} (last visit {})", pl.col("svstdat"), pl.col("_v")),
        pl.format("{} dated {}, before {} visit(s) that took place, the last {} on {}", pl.col("dsdecod"),
                  pl.col("dsstdat"), pl.col("_n"), pl.col("_v"), pl.col("svstdat"))))])
