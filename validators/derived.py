"""Derived items against their sources: an age against the birth date and the date it is taken on, a study day
against its date and day 0, VISITNUM against the schedule.

A partial birth date (YYYY or YYYY-MM) stands for an interval of days, so an age is judged against the range of
ages it allows: 2015-03 and a consent on 2025-03-15 allow 9 or 10, and only an age outside that range is a finding.
Items are found by their schema role (age_at_date, study_day) and the date item their `date_item` annotation names,
so the checks follow the schema, not a list of items here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.params import enum_annotations
from ecrf.table import DISTINCT_ROWS, TEXT, keyed_like
from ecrf.registry import Findings, check
from ecrf.engine import shared
from ecrf.validators.consistency_dates import before, dated, dated_lazy, first_consent, raw, run_parts
from ecrf.validators.common import day0, run_starts

if TYPE_CHECKING:
    from ecrf.engine import Context

CDASH = "CDISC CDASHIG (AGE, BRTHDAT, --DY, VISITNUM)"


def _age_on(day: pl.Expr, birth: pl.Expr) -> pl.Expr:
    """Completed years on `day` for someone born on `birth` (both dates)."""
    before_birthday = (day.dt.month() < birth.dt.month()) | (
        (day.dt.month() == birth.dt.month()) & (day.dt.day() < birth.dt.day()))
    return day.dt.year() - birth.dt.year() - before_birthday.cast(pl.Int32)


def plausible(ctx, domain: str, item: str, col: str | None = None) -> pl.Expr:
    """The item's value is within its hard range: one outside is COL-RANGE's finding, not derived again."""
    it = ctx.model.forms[domain].item(item)
    c = pl.col(col or item)
    e = c.is_not_null()
    if it.minimum is not None:
        e = e & (c >= it.minimum)
    if it.maximum is not None:
        e = e & (c <= it.maximum)
    return e


@shared
def births(ctx) -> pl.DataFrame | None:
    """subjid -> brthdat as collected, _b_first and _b_last: the first and last day the (partial) birth date allows."""
    dm = dated_lazy(ctx, "dm", "brthdat")
    if dm is None:
        return None
    b = pl.col("brthdat")  # text: dated_lazy gives every date as text
    first = pl.when(b.str.len_chars() == 4).then(b + "-01-01").when(b.str.len_chars() == 7).then(b + "-01") \
        .otherwise(b).str.to_date("%Y-%m-%d", strict=False)
    last = pl.when(b.str.len_chars() == 4).then((b + "-12-31").str.to_date("%Y-%m-%d", strict=False)) \
        .when(b.str.len_chars() == 7).then((b + "-01").str.to_date("%Y-%m-%d", strict=False).dt.month_end()) \
        .otherwise(b.str.to_date("%Y-%m-%d", strict=False))
    return dm.filter(b.is_not_null()).select("subjid", "brthdat", first.alias("_b_first"), last.alias("_b_last")) \
        .drop_nulls().unique("subjid", keep="first").collect(engine=F.ENGINE)


def age_range(day: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The youngest and oldest age on `day` that the birth interval allows."""
    return _age_on(day, pl.col("_b_last")), _age_on(day, pl.col("_b_first"))


def _age_text(lo: pl.Expr, hi: pl.Expr) -> pl.Expr:
    return pl.when(lo == hi).then(lo.cast(pl.Utf8)).otherwise(pl.format("{} or {}", lo, hi))


@check("DERIVED-BIRTH", "Birth date after informed consent", "consistency", "error", ("dm", "ic"),
       "The birth date (BRTHDAT) is certainly after the first informed consent date (ICDAT): one of the two is "
       "wrong. A partial birth date is compared only where the order is certain.",
       reference=CDASH, fields=("BRTHDAT",))
def birth_after_consent(ctx: Context) -> Findings:
    dm, ic = dated(ctx, "dm", "brthdat"), first_consent(ctx)
    if dm is None or ic is None:
        return {}
    bad = dm.lazy().join(ic.lazy(), on="subjid").filter(before(pl.col("_ic"), pl.col("brthdat")))
    return run_parts([("dm", raw(bad, "BRTHDAT", pl.col("brthdat"), pl.format("before {}", pl.col("_ic")),
                                 pl.format("birth date {} is after informed consent (ic ICDAT {})",
                                           pl.col("brthdat"), pl.col("_ic"))))])


@check("DERIVED-AGE", "Age differs from the birth and consent dates", "consistency", "error", ("dm", "ic"),
       "AGE (completed years at informed consent) differs from the age computed from the birth date (BRTHDAT) on "
       "the first consent date (ICDAT). A partial birth date allows a range of ages; only an age outside it is "
       "reported. A birth date after consent is DERIVED-BIRTH's finding and is not judged here.",
       reference=CDASH, fields=("AGE", "BRTHDAT"))
def age_at_consent(ctx: Context) -> Findings:
    dm, b, ic = ctx.indexed("dm"), births(ctx), first_consent(ctx)
    if dm is None or b is None or ic is None:
        return {}
    d = dm.lazy().select("_idx", "subjid", "age").join(b.lazy(), on="subjid").join(ic.lazy(), on="subjid") \
        .with_columns(pl.col("_ic").cast(pl.Utf8).str.to_date("%Y-%m-%d", strict=False).alias("_icd"))
    lo, hi = age_range(pl.col("_icd"))
    d = d.with_columns(lo.alias("_lo"), hi.alias("_hi")).filter(pl.col("_lo") >= 0)
    bad = d.filter(plausible(ctx, "dm", "age") & ((pl.col("age") < pl.col("_lo")) | (pl.col("age") > pl.col("_hi"))))
    exp = _age_text(pl.col("_lo"), pl.col("_hi"))
    return run_parts([("dm", raw(bad, "AGE", pl.col("age"), exp,
                                 pl.format("age {} at consent, but born {} and consented {}: {} years",
                                           pl.col("age"), pl.col("brthdat"), pl.col("_ic"), exp)))])


def _linked(ctx, role: str) -> list[tuple[str, str, str]]:
    """(form, item, date item) for every item with `role` whose `date_item` annotation names a date of its form."""
    out = []
    for domain, form in ctx.model.forms.items():
        for item in form.items:
            if item.role != role:
                continue
            when = item.date_item
            if when is not None and form.has(when):
                out.append((domain, item.name, when))
    return out


def _linked_rows(ctx, role: str, value: str, per_subject: pl.DataFrame):
    """For every item with `role` and its date (`_linked`): (form, item, title, rows), the rows (a query not yet
    run) holding `_idx`, `subjid`, the item as `value` and its date as `_on`, joined with `per_subject` (one row
    per subject)."""
    for domain, item, when in _linked(ctx, role):
        d = ctx.indexed(domain)
        if d is None:
            continue
        form = ctx.model.forms[domain]
        subject = form.find_role("subject") or "subjid"
        rows = d.lazy().select("_idx", pl.col(subject).alias("subjid"), pl.col(item).alias(value),
                               pl.col(when).alias("_on"))
        yield domain, item, form.item(item).title, rows.join(per_subject.lazy(), on="subjid")


@check("DERIVED-AGE-AT-DATE", "Age at an assessment differs from the birth date", "consistency", "error", ("dm",),
       "An age recorded with an assessment (items with role age_at_date, e.g. VASAGE) differs from the completed "
       "years between the birth date (BRTHDAT) and the assessment's date (the item its date_item annotation names, "
       "e.g. VASDAT). A partial birth date allows a range of ages; only an age outside it is reported.",
       reference=CDASH, fields=("BRTHDAT",))
def age_at_date(ctx: Context) -> Findings:
    b = births(ctx)
    if b is None:
        return {}
    parts = []
    for domain, item, title, d in _linked_rows(ctx, "age_at_date", "_age", b):
        lo, hi = age_range(pl.col("_on"))
        d = d.with_columns(lo.alias("_lo"), hi.alias("_hi"))
        bad = d.filter(plausible(ctx, domain, item, "_age") & pl.col("_on").is_not_null() & (pl.col("_lo") >= 0)
                       & ((pl.col("_age") < pl.col("_lo")) | (pl.col("_age") > pl.col("_hi"))))
        exp = _age_text(pl.col("_lo"), pl.col("_hi"))
        parts.append((domain, raw(bad, title, pl.col("_age"), exp,
                                  pl.format("{} {} on {}, but born {}: {} years", pl.lit(title),
                                            pl.col("_age"), pl.col("_on"), pl.col("brthdat"), exp))))
    return run_parts(parts)


@check("DERIVED-STUDY-DAY", "Study day differs from its date and day 0", "consistency", "error", ("ex",),
       "A study day (items with role study_day, e.g. LDDAY) differs from the days between its date (the item its "
       "date_item annotation names, e.g. LDDAT) and day 0, the date of KN5601-K infusion number "
       "ProtocolParameters day0_infusion_number ({ProtocolParameters.day0_infusion_number}); day 0 is day 0, the "
       "day before it -1.", reference=CDASH, fields=("EXSTDAT",))
def study_day(ctx: Context) -> Findings:
    d0 = day0(ctx)
    if d0 is None:
        return {}
    parts = []
    for domain, item, title, d in _linked_rows(ctx, "study_day", "_day", d0):
        d = d.with_columns((pl.col("_on") - pl.col("_d0")).dt.total_days().alias("_want"))
        bad = d.filter(plausible(ctx, domain, item, "_day") & pl.col("_want").is_not_null()
                       & (pl.col("_day") != pl.col("_want")))
        parts.append((domain, raw(bad, title, pl.col("_day"), pl.col("_want"),
                                  pl.format("{} {}, but {} is {} day(s) from day 0 ({}, first infusion)",
                                            pl.lit(title), pl.col("_day"), pl.col("_on"), pl.col("_want"),
                                            pl.col("_d0")))))
    return run_parts(parts)


def _number(col: str) -> pl.Expr:
    """A schedule number as written: 3, not 3.0; a decimal one (a study may number visits 1.5) kept whole."""
    c = pl.col(col)
    return pl.when(c == c.round(0)).then(c.cast(pl.Int64).cast(pl.Utf8)).otherwise(c.cast(pl.Utf8))


@check("DERIVED-VISITNUM", "VISITNUM does not match the visit", "consistency", "error", (),
       "On every visit form, VISITNUM must be the number the schedule gives the visit (VisitCode visitnum: SCR "
       "{VisitCode.SCR.visitnum}, D0 {VisitCode.D0.visitnum}, M12 {VisitCode.M12.visitnum}, ...); an unscheduled "
       "visit (a code without visitnum, UNS) must carry a decimal VISITNUM, none of the schedule's numbers.",
       reference=CDASH, fields=("VISIT", "VISITNUM"))
def visitnum(ctx: Context) -> Findings:
    codes = enum_annotations(ctx.model, "VisitCode")
    plan = pl.DataFrame({"_visit": [c for c, a in codes.items() if "visitnum" in a],
                         "_want": [float(a["visitnum"]) for a in codes.values() if "visitnum" in a]})
    unplanned = [c for c, a in codes.items() if "visitnum" not in a]
    planned = plan["_want"].to_list()
    parts = []
    for domain, t in ctx.tables.items():
        visit = t.form.find_role("visit")
        rows = ctx.indexed(domain) if visit is not None and t.form.has("visitnum") else None
        if rows is None or visit is None:
            continue
        # the three columns the findings read: the join would otherwise copy every column of the form
        text = pl.col(visit) if rows.schema[visit] == TEXT else pl.col(visit).cast(pl.Utf8)  # (a study's own type)
        d = rows.lazy().select("_idx", text.alias("_visit"), pl.col("visitnum").alias("_num"))

        def judged(d: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
            d = d.join(keyed_like(plan.lazy(), d, "_visit"), on="_visit", how="left") \
                .filter(plausible(ctx, domain, "visitnum", "_num"))
            return (d.filter(pl.col("_want").is_not_null() & (pl.col("_num") != pl.col("_want"))),
                    d.filter(pl.col("_visit").is_in(unplanned)
                             & ((pl.col("_num") == pl.col("_num").round(0)) | pl.col("_num").is_in(planned))))

        # The rule reads the visit and its number alone, which repeat over a visit's records (rows come in
        # record-key order): a form whose first row of each run of those breaks no rule has no finding.
        if t.n_rows >= DISTINCT_ROWS:
            starts = d.filter(run_starts("_visit", "_num"))
            if all(f.is_empty() for f in pl.collect_all([q.select("_idx") for q in judged(starts)], engine=F.ENGINE)):
                continue
        wrong, unsched = judged(d)
        title = t.form.item("visitnum").title
        parts.append((domain, raw(wrong, title, pl.col("_num"), _number("_want"),
                                  pl.format("VISITNUM {} for visit {}, whose number in the schedule is {}",
                                            pl.col("_num"), pl.col("_visit"), _number("_want")))))
        parts.append((domain, raw(unsched, title, pl.col("_num"), pl.lit("a decimal number (unscheduled)"),
                                  pl.format("VISITNUM {} for an unscheduled visit ({}): unscheduled visits "
                                            "carry a decimal number, not a scheduled visit's",
                                            pl.col("_num"), pl.col("_visit")))))
    return run_parts(parts)
