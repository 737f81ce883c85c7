"""When immune effector events happen: a CRS or ICANS adverse event starts on or after the first KN5601-K
infusion, its daily grading lies within it, and it has daily grading at all. Which AE categories these are, and
the form and date item that grade them, come from the schema (ImmuneEffectorEvent in schema/timing.yaml).

Adverse event dates may be partial: they are compared only where the order is certain (consistency_dates).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import dataclass

import polars as pl

from ecrf.table import keyed_like
from ecrf.params import enum_annotations
from ecrf.registry import Findings, check
from ecrf.validators.consistency_dates import before, dated, raw, run_parts
from ecrf.validators.common import day0

if TYPE_CHECKING:
    from ecrf.engine import Context

REF = "Lee BBMT 2019;25:625 (ASTCT consensus); ImmuneEffectorEvent in schema/timing.yaml"


@dataclass(frozen=True)
class Graded:
    category: str  # AECAT of the adverse event
    form: str      # domain of its daily grading form
    date: str      # the grading form's date item


def graded_events(ctx) -> list[Graded]:
    return [Graded(str(a["ae_category"]), str(a["grading_form"]), str(a["grading_date"]))
            for a in enum_annotations(ctx.model, "ImmuneEffectorEvent").values()]


def _events(ctx) -> pl.LazyFrame | None:
    """Adverse events of the graded categories: _idx, subjid, aecat, _seq (typed AESEQ), aestdat, aeendat (a query
    not yet run, as the others here: each check runs its own once)."""
    ae = dated(ctx, "ae", "aestdat", "aeendat")
    if ae is None:
        return None
    cats = [g.category for g in graded_events(ctx)]
    return ae.lazy().with_columns(ctx.table("ae").typed["aeseq"].alias("_seq")).filter(pl.col("aecat").is_in(cats))


def _grading(ctx, g: Graded) -> pl.LazyFrame | None:
    """The grading form's rows with _seq (typed AESEQ) and _day (its date, valid ISO text or null)."""
    d = dated(ctx, g.form, g.date)
    if d is None:
        return None
    return d.lazy().with_columns(ctx.table(g.form).typed["aeseq"].alias("_seq"), pl.col(g.date).alias("_day"))


@check("SAFE-IEC-BEFORE-INFUSION", "CRS or ICANS before the infusion", "consistency", "error",
       ("ae", "ex"),
       "An adverse event of an immune effector category (ImmuneEffectorEvent: AECAT CRS, ICANS) starts (AESTDAT) "
       "certainly before day 0, the first KN5601-K infusion (EXNUM ProtocolParameters day0_infusion_number), or the "
       "subject has no infusion at all: these syndromes follow the cells. Partial start dates are judged only where "
       "the order is certain.",
       reference=REF, fields=("AECAT", "AESTDAT", "EXSTDAT"))
def before_infusion(ctx: Context) -> Findings:
    ev = _events(ctx)
    if ev is None or ctx.table("ex") is None:  # without the infusion form there is no day 0 to compare with
        return {}
    d0 = day0(ctx)
    if d0 is None:
        d0 = keyed_like(pl.DataFrame(schema={"subjid": pl.Utf8, "_d0": pl.Date}), ev, "subjid")
    d = ev.filter(pl.col("aestdat").is_not_null()).join(d0.lazy().with_columns(pl.col("_d0").cast(pl.Utf8)),
                                                         on="subjid", how="left")
    bad = d.filter(pl.col("_d0").is_null() | before(pl.col("aestdat"), pl.col("_d0")).fill_null(False)).sort("_idx")
    expected = pl.when(pl.col("_d0").is_null()).then(pl.lit("a KN5601-K infusion before it")) \
        .otherwise(pl.format("on or after {} (day 0)", pl.col("_d0")))
    message = pl.when(pl.col("_d0").is_null()) \
        .then(pl.format("{} adverse event {} starting {}, but the subject has no KN5601-K infusion", pl.col("aecat"),
                        pl.col("_seq"), pl.col("aestdat"))) \
        .otherwise(pl.format("{} adverse event {} starting {}, before the first KN5601-K infusion on {}",
                             pl.col("aecat"), pl.col("_seq"), pl.col("aestdat"), pl.col("_d0")))
    return run_parts([("ae", raw(bad, "AESTDAT", pl.col("aestdat"), expected, message))])


@check("SAFE-GRADING-OUTSIDE-AE", "Daily CRS or ICANS grading dated outside its adverse event", "consistency",
       "error", ("ae", "crs", "icans"),
       "A daily grading record (ImmuneEffectorEvent grading_form: crs, icans) dated before the start (AESTDAT) or "
       "after the end (AEENDAT) of the adverse event it grades (same SUBJID and AESEQ, AECAT of the category). "
       "Reported once per event, on its earliest grading record outside, with the number of such records. Events "
       "ending before they start are left to SAFE-AE-DATES; grading without an event to SAFE-GRADING-NO-AE.",
       reference=REF, fields=("AESEQ", "AESTDAT", "AEENDAT"))
def grading_outside(ctx: Context) -> Findings:
    ev = _events(ctx)
    if ev is None:
        return {}
    ev = ev.filter(pl.col("_seq").is_not_null() & ~before(pl.col("aeendat"), pl.col("aestdat")).fill_null(False)) \
        .select("subjid", "_seq", "aecat", "aestdat", "aeendat").unique(["subjid", "_seq"], keep="first",
                                                                         maintain_order=True)
    parts = []
    for g in graded_events(ctx):
        gr = _grading(ctx, g)
        if gr is None:
            continue
        j = gr.filter(pl.col("_day").is_not_null()) \
            .join(ev.filter(pl.col("aecat") == g.category), on=["subjid", "_seq"], how="inner")
        early = before(pl.col("_day"), pl.col("aestdat")).fill_null(False)
        late = before(pl.col("aeendat"), pl.col("_day")).fill_null(False)
        out = j.filter(early | late)
        first = out.sort("_day", "_idx").group_by("subjid", "_seq", maintain_order=True) \
            .agg(pl.all().first(), pl.len().alias("_n")).sort("_idx")
        graded = ctx.table(g.form)
        title = g.date.upper() if graded is None else graded.form.item(g.date).title
        span = pl.format("{} to {}", pl.col("aestdat").fill_null("?"), pl.col("aeendat").fill_null("ongoing"))
        parts.append((g.form, raw(
            first, title, pl.col("_day"), pl.format("within AESTDAT..AEENDAT: {}", span),
            pl.format(f"{g.category} graded on {{}} ({{}} grading day(s) outside), outside its adverse event "
                      "{} ({})", pl.col("_day"), pl.col("_n"), pl.col("_seq"), span))))
    return run_parts(parts)


@check("SAFE-AE-NO-GRADING", "CRS or ICANS adverse event without daily grading", "consistency", "error",
       ("ae", "crs", "icans"),
       "An adverse event of an immune effector category (AECAT CRS or ICANS) has no record on its daily grading "
       "form (ImmuneEffectorEvent grading_form) with the same SUBJID and AESEQ: the grade (AETOXGR) cannot be "
       "verified against ASTCT 2019. Skipped when the export has no such grading form.",
       reference=REF, fields=("AESEQ", "AECAT"))
def without_grading(ctx: Context) -> Findings:
    ev = _events(ctx)
    if ev is None:
        return {}
    parts = []
    for g in graded_events(ctx):
        if ctx.table(g.form) is None:  # the export lacks the grading form: nothing to look in
            continue
        gr = _grading(ctx, g)
        linked = pl.LazyFrame(schema={"subjid": pl.Utf8, "_seq": pl.Int64}) if gr is None else \
            gr.select("subjid", "_seq").filter(pl.col("_seq").is_not_null()).unique()
        bad = ev.filter((pl.col("aecat") == g.category) & pl.col("_seq").is_not_null()) \
            .join(keyed_like(linked, ev, "subjid"), on=["subjid", "_seq"], how="anti").sort("_idx")
        parts.append(("ae", raw(
            bad, "AESEQ", pl.col("_seq"), pl.lit(f"{g.form} records with this SUBJID and AESEQ"),
            pl.format(f"{g.category} adverse event {{}} starting {{}} has no daily grading on the {g.form} form",
                      pl.col("_seq"), pl.col("aestdat").fill_null("?")))))
    return run_parts(parts)
