"""Missed visits and assessments, the pregnancy test before lymphodepletion, and prohibited medications.

The visit grid (VisitCode), the schedule of assessments (ScheduledAssessment), the prohibited medications
(ProhibitedMedication) and the pregnancy-test window come from the schema through ecrf.protocol.
"""

from __future__ import annotations

from datetime import timedelta

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.table import keyed_like, per_distinct
from ecrf.clinical.labresult import comparator, result_number
from ecrf.numbers import number
from ecrf.params import ParameterError
from ecrf.protocol import protocol
from ecrf.registry import Findings, check
from ecrf.validators.common import CONV, REG, day0, screening_dates
from ecrf.validators.consistency_dates import raw, run_parts
from ecrf.validators.deviation_eligibility import v_pregnancy

if TYPE_CHECKING:
    from ecrf.engine import Context


def _grid(ctx) -> pl.LazyFrame:
    w = protocol(ctx.model).visit_windows()
    return pl.LazyFrame({"visit": list(w), "_t": [x.target_day for x in w.values()],
                         "_a": [x.after for x in w.values()]}, schema={"visit": pl.Utf8, "_t": pl.Int64, "_a": pl.Int64})


@check("SCHED-VISIT-MISSING", "Planned visit missed", "deviation", None, ("sv", "ex"),
       "A visit of the grid (VisitCode with a target_day) recorded as not done (SVOCCUR N), or with no record although "
       "a later grid visit took place or its window (day 0 + target_day + window_after) closed before the subject's "
       "last recorded visit date. An absent visit is reported on the subject's last visit record; visits after the "
       "last recorded one (not yet due, or after withdrawal) are not reported.",
       reference=f"VisitCode annotations; {CONV}", fields=("VISIT", "SVOCCUR"))
def visit_missing(ctx: Context) -> Findings:
    rows = ctx.indexed("sv")
    if rows is None:
        return {}
    sv = rows.lazy()
    grid = keyed_like(_grid(ctx), sv, "visit")
    not_done = sv.join(grid, on="visit").filter(pl.col("svoccur") == "N")
    msg_nd = pl.format("{} recorded as not done ({})", pl.col("visit"),
                       pl.col("svreasoc").cast(pl.Utf8).fill_null("no reason given"))
    parts = [raw(not_done, "SVOCCUR", pl.col("svoccur"), pl.lit("Y"), msg_nd)]
    occurred = sv.filter(pl.col("svoccur") == "Y")
    # The visits absent although a later one took place (no visit took place: every frame below is empty).
    last = occurred.sort(pl.col("svstdat"), "_idx", nulls_last=False).group_by("subjid").agg(
        pl.col("_idx").last(), pl.col("svstdat").max().alias("_last"), pl.col("visit").last().alias("_lastv"))
    latest_grid = occurred.join(grid, on="visit").group_by("subjid").agg(pl.col("_t").max().alias("_tmax"))
    d0 = day0(ctx)
    cand = last.join(grid, how="cross").join(sv.select("subjid", "visit"), on=["subjid", "visit"], how="anti") \
        .join(latest_grid, on="subjid", how="left")
    if d0 is not None:
        cand = cand.join(d0.lazy(), on="subjid", how="left")
    else:
        cand = cand.with_columns(pl.lit(None, pl.Date).alias("_d0"))
    closed = pl.col("_d0").is_not_null() & pl.col("_last").is_not_null() & \
        (pl.col("_last") > pl.col("_d0") + pl.duration(days=pl.col("_t") + pl.col("_a")))
    absent = cand.filter((pl.col("_t") < pl.col("_tmax")).fill_null(False) | closed).sort("_idx", "_t")
    parts.append(raw(absent, "VISIT", pl.col("visit"), pl.lit("a record of the visit"),
                     pl.format("{} has no visit record, but the subject was seen later ({} on {})",
                               pl.col("visit"), pl.col("_lastv"), pl.col("_last"))))
    return run_parts([("sv", p) for p in parts])


@check("SCHED-ASSESSMENT-MISSING", "Scheduled assessment missing at a visit that took place", "deviation", None,
       ("sv", "dm", "vs", "lb", "echo", "sledai", "mrss", "vas", "prot"),
       "A visit recorded as done (SVOCCUR Y) lacks a form, or a lab test, that the schedule of assessments "
       "(ScheduledAssessment: form, tests, visits, cohorts) makes due there; a lab result with LBSTAT NOT DONE counts "
       "as missing. Reported on the visit record, once per assessment. A form absent from the export is skipped.",
       reference=f"ScheduledAssessment annotations; {CONV}", fields=("VISIT",))
def assessment_missing(ctx: Context) -> Findings:
    sv, dm = ctx.indexed("sv"), ctx.indexed("dm")
    if sv is None:
        return {}
    occurred = sv.lazy().filter(pl.col("svoccur") == "Y").select("_idx", "subjid", "visit")
    # eager, as before: of a subject's two cohorts, a lazy plan may pick the other one
    cohort = None if dm is None else dm.select("subjid", "cohort").unique("subjid", keep="first", maintain_order=True).lazy()
    schedule = [a for a in protocol(ctx.model).schedule() if ctx.table(a.form) is not None]
    parts = []
    # what each form holds, computed once, not per assessment (the lab form's bit sets run first, on their own:
    # a million rows at 10,000 subjects, read once whatever the number of assessments)
    done_of: dict[str, pl.LazyFrame] = {}
    tests_of: dict[str, list[str]] = {}  # every test scheduled on a form
    for a in schedule:
        tests_of.setdefault(a.form, [])
        tests_of[a.form] += [t for t in a.tests if t not in tests_of[a.form]]
    for a in schedule:
        form = ctx.indexed(a.form)
        due = occurred.filter(pl.col("visit").is_in(list(a.visits)))
        if a.cohorts:
            if cohort is None:
                continue
            due = due.join(cohort, on="subjid").filter(pl.col("cohort").is_in(list(a.cohorts))).drop("cohort")
        if a.tests:
            if a.form not in done_of:
                done_of[a.form] = keyed_like(_tests_done(form, tests_of[a.form]).lazy(), due, "subjid", "visit")
            bit = {t: i for i, t in enumerate(tests_of[a.form])}
            missing = [(t, (pl.col(f"_done{bit[t] // _BITS}") & (1 << (bit[t] % _BITS))).fill_null(0) == 0)
                       for t in a.tests]
            # the visits missing a test first, then their missing tests named in the schedule's order
            miss = due.join(done_of[a.form], on=["subjid", "visit"], how="left") \
                .filter(pl.any_horizontal([m for _, m in missing])).with_columns(
                    pl.concat_str([pl.when(m).then(pl.lit(t)) for t, m in missing], separator=", ",
                                  ignore_nulls=True).alias("_what"))
            what = pl.format("{} {}", pl.lit(a.form), pl.col("_what"))
        else:
            if a.form not in done_of:  # (an anti join needs no unique rows)
                none = pl.LazyFrame(schema={"subjid": pl.Utf8, "visit": pl.Utf8})
                done_of[a.form] = keyed_like(none, due, "subjid", "visit") if form is None \
                    else form.lazy().select("subjid", "visit")
            miss = due.join(done_of[a.form], on=["subjid", "visit"], how="anti")
            what = pl.lit(f"{a.form} record")
        miss = miss.sort("_idx")
        parts.append(("sv", raw(miss, "VISIT", pl.col("visit"), what,
                                pl.format("{} took place without {}, due there by the schedule ({})", pl.col("visit"),
                                          what, pl.lit(a.code)))))
    return run_parts(parts)


_BITS = 63  # tests per bit set: an Int64 holds 63 flags and a sign


def _tests_done(form: pl.DataFrame | None, tests: list[str]) -> pl.DataFrame:
    """(subjid, visit, _done0, _done1, ...): which of `tests` each visit of a subject has a result for that is not
    marked NOT DONE, as bit sets (test i is bit i % 63 of _done{i // 63}).

    Bit sets rather than the (subject, visit, test) rows: the lab form holds a million rows at 10,000 subjects,
    and joining the schedule's tests against them on three text keys cost most of the check. Rows come in
    record-key order, so a visit's results sit together: they are folded first per run of one subject and visit,
    then per subject and visit (a visit's rows split over two runs are folded together there)."""
    sets = [f"_done{k}" for k in range(max(1, -(-len(tests) // _BITS)))]
    if form is None:
        return pl.DataFrame(schema={"subjid": pl.Utf8, "visit": pl.Utf8} | {c: pl.Int64 for c in sets})
    # each test code's flags worked out once per distinct code (per_distinct), not matched on every row
    flags = [per_distinct(form, "lbtestcd", pl.col("lbtestcd").replace_strict(
        {t: 1 << (i % _BITS) for i, t in enumerate(tests) if i // _BITS == k}, default=0, return_dtype=pl.Int64),
        pl.Int64).fill_null(0).alias(c) for k, c in enumerate(sets)]
    done = pl.col("lbstat").is_null() | (pl.col("lbstat") != "NOT DONE")
    return (form.lazy().filter(done).select("subjid", "visit", *flags, pl.struct("subjid", "visit").rle_id().alias("_run"))
            .group_by("_run").agg(pl.col("subjid", "visit").first(), pl.col(sets).bitwise_or())
            .group_by("subjid", "visit").agg(pl.col(sets).bitwise_or()).collect(engine=F.ENGINE))


def _result_is(texts_key: str, negative: bool, ctx) -> pl.Expr:
    """A qualitative result text from ProtocolParameters, or a number compared with the result's ULN; for a negative
    result also a censored one below a limit not above the ULN."""
    texts = [t.upper() for t in protocol(ctx.model).param_list(texts_key)]
    res = pl.col("lborres").cast(pl.Utf8)
    num = number(res)
    has = num.is_not_null() & pl.col("lbornrhi").is_not_null()
    by_number = (num <= pl.col("lbornrhi")) if negative else (num > pl.col("lbornrhi"))
    result = res.str.to_uppercase().is_in(texts) | (has & by_number)
    if not negative:
        return result
    # Censored below a limit ("<20" IU/mL: below the assay's quantification limit) is negative, unless the limit
    # itself is above the result's ULN.
    limit = pl.when(comparator(res).is_in(["<", "<="])).then(result_number(res))
    below = limit.is_not_null() & (pl.col("lbornrhi").is_null() | (limit <= pl.col("lbornrhi")))
    return result | below.fill_null(False)


def negative(ctx) -> pl.Expr:
    return _result_is("negative_results", True, ctx)


def positive(ctx) -> pl.Expr:
    return _result_is("positive_results", False, ctx)


@check("SCHED-PREG-TEST", "No negative pregnancy test before lymphodepletion", "deviation", None, ("dm", "lb", "ld"),
       "A participant of childbearing potential (CHBRPOT Y) has no negative blood pregnancy test (LBTESTCD HCG) dated "
       "within ProtocolParameters pregnancy_test_days_before_ld ({ProtocolParameters.pregnancy_test_days_before_ld}) "
       "days before, or on, the first lymphodepletion dose. A positive screening test is ELIG-PREGNANCY's finding and "
       "is not repeated here.",
       reference=f"{REG} exclusion 13; pregnancy_test_days_before_ld {CONV}", fields=("CHBRPOT",))
def pregnancy_test(ctx: Context) -> Findings:
    dm, ld = ctx.indexed("dm"), ctx.indexed("ld")
    if dm is None or ld is None:
        return {}
    days = int(protocol(ctx.model).param("pregnancy_test_days_before_ld"))
    first = ld.lazy().filter(pl.col("lddat").is_not_null()).group_by("subjid") \
        .agg(pl.col("lddat").min().alias("_ld"))
    bad = dm.lazy().filter(pl.col("chbrpot") == "Y").join(first, on="subjid")  # (a subject id that is null: none)
    lb = ctx.indexed("lb")
    if lb is not None:
        # the HCG rows first, then their results read: reading every lab result as a number costs the most (a
        # query of its own: in one query polars would merge the two filters and read every result)
        hcg = lb.filter((pl.col("lbtestcd") == "HCG") & pl.col("lbdat").is_not_null())
        ok = hcg.lazy().filter(negative(ctx)).join(first, on="subjid") \
            .filter((pl.col("lbdat") <= pl.col("_ld")) & (pl.col("lbdat") >= pl.col("_ld") - timedelta(days=days)))
        bad = bad.join(ok.select("subjid"), on="subjid", how="anti")
    pos = v_pregnancy(ctx)[1]
    if pos is not None:
        bad = bad.join(pos.lazy().select("subjid"), on="subjid", how="anti")
    bad = bad.sort("_idx")
    return run_parts([("dm", raw(
        bad, "CHBRPOT", pl.col("chbrpot"),
        pl.format("a negative HCG from {} to {}", pl.col("_ld") - timedelta(days=days), pl.col("_ld")),
        pl.format("no negative pregnancy test within {} days before the first lymphodepletion dose on {}",
                  pl.lit(days), pl.col("_ld"))))])


@check("CM-PROHIBITED", "Prohibited medication during the study", "deviation", None, ("cm", "sv"),
       "A medication matching a ProhibitedMedication rule (its item holds one of its values: a live vaccine, CMLIVE Y; "
       "another trial's investigational product, CMINVP Y) started after the rule's anchor (the screening visit). "
       "Partial start dates that cannot be placed after the anchor are left to review.",
       reference=f"{REG} exclusions 12 and 14; ProhibitedMedication {CONV}", fields=("CMTRT", "CMSTDAT"))
def prohibited(ctx: Context) -> Findings:
    cm, scr = ctx.indexed("cm"), screening_dates(ctx)
    if cm is None or scr is None:
        return {}
    meds = cm.lazy().with_columns(pl.col("cmstdat").cast(pl.Utf8).str.to_date("%Y-%m-%d", strict=False).alias("_st")) \
        .join(scr.lazy(), on="subjid")
    found = []
    for rule in protocol(ctx.model).prohibited():
        if rule.anchor != "SCREENING":
            raise ParameterError(f"ProhibitedMedication.{rule.code}: unknown anchor {rule.anchor}")
        hit = meds.filter(pl.col(rule.item).cast(pl.Utf8).is_in(list(rule.values)) & (pl.col("_st") > pl.col("_scr")))
        found.append(hit.with_columns(pl.lit(rule.code).alias("_rule")))
    bad = pl.concat(found).unique("_idx", keep="first", maintain_order=True).sort("_idx")
    return run_parts([("cm", raw(
        bad, "CMTRT", pl.col("cmtrt"), pl.format("no {} after screening {}", pl.col("_rule"), pl.col("_scr")),
        pl.format("{} ({}) started {}, after the screening visit {}", pl.col("cmtrt"), pl.col("_rule"),
                  pl.col("cmstdat"), pl.col("_scr"))))])
