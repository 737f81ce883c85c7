"""Eligibility as recorded and as timed: every criterion of the subject's cohort on the eligibility form,
eligibility confirmed before the first lymphodepletion dose, a structural abnormality on echocardiography, and the
background therapy a cohort's criterion requires (BackgroundTherapy in the schema).

A subject counts as treated (enrolled) once it has a lymphodepletion (ld) or KN5601-K (ex) record; screen failures
have neither and are not asked for a complete eligibility form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.table import keyed_like
from ecrf.params import enum_annotations, listed
from ecrf.protocol import protocol
from ecrf.engine import shared
from ecrf.registry import Findings, Violation, check
from ecrf.validators.consistency_dates import collect, run_parts
from ecrf.validators.common import REG, at_screening, report, screening_dates, violation
from ecrf.validators.deviation_prior_therapy import earliest_start

if TYPE_CHECKING:
    from ecrf.engine import Context


@shared
def _first_treatment(ctx: Context) -> pl.DataFrame | None:
    """subjid -> _first (date of the first lymphodepletion dose, else of the first infusion), _what; read by two
    checks, built in one query."""
    parts = []
    for domain, date, what in (("ld", "lddat", "first lymphodepletion dose"), ("ex", "exstdat", "first infusion")):
        d = ctx.indexed(domain)
        if d is not None:
            parts.append(d.lazy().filter(pl.col(date).is_not_null()).group_by("subjid")
                         .agg(pl.col(date).min().alias("_first")).with_columns(pl.lit(what).alias("_what")))
    if not parts:
        return None
    # Lymphodepletion precedes the infusion: its first date wins where both exist.
    return pl.concat(parts).unique("subjid", keep="first", maintain_order=True).collect(engine=F.ENGINE)


@check("ELIG-CRITERIA-MISSING", "Eligibility criterion of the cohort not recorded", "deviation", None,
       ("ie", "dm", "ld", "ex"),
       "A treated subject (a lymphodepletion or KN5601-K record) lacks an eligibility record (ie) for a criterion "
       "that applies to its cohort (EligibilityCriterion: the general criteria, the exclusions and those annotated "
       "with the cohort): eligibility is not documented in full. Reported once per subject, listing the missing "
       "codes, on its first eligibility record (dm when it has none).",
       reference=f"{REG} eligibility criteria; ICH E6(R3) 2.8", fields=("IETESTCD", "COHORT"))
def criteria_missing(ctx: Context) -> Findings:
    dm, ie, treated = ctx.indexed("dm"), ctx.indexed("ie"), _first_treatment(ctx)
    if dm is None or treated is None:
        return {}
    # Lazy (each eager step would be a query of its own, whose fixed cost outweighs the work on a small export).
    # the codes as the tables hold them: the subjects' criteria (10,000 subjects: 450,000) are not copied as text
    crit = keyed_like(protocol(ctx.model).criteria().lazy().select("ietestcd", "cohort").unique(), dm, "cohort")
    crit = crit if ie is None else keyed_like(crit, ie, "ietestcd")
    # A subject's first dm record, picked before the filter below (in one plan a filter may run first).
    subj = dm.select("_idx", "subjid", pl.col("cohort").alias("_cohort")).unique("subjid", keep="first", maintain_order=True).lazy() \
        .filter(pl.col("_cohort").is_not_null() & pl.col("subjid").is_in(treated["subjid"].to_list()))
    # A join on a constant key, not a cross join: polars 2.1 panics formatting strings over a filtered cross join.
    due = subj.with_columns(pl.lit(1).alias("_k")).join(crit.with_columns(pl.lit(1).alias("_k")), on="_k") \
        .drop("_k").filter(pl.col("cohort").is_null() | (pl.col("cohort") == pl.col("_cohort")))
    have = keyed_like(pl.LazyFrame(schema={"subjid": pl.Utf8, "ietestcd": pl.Utf8}), due, "subjid") if ie is None else \
        ie.lazy().select("subjid", "ietestcd")  # (an anti join needs no unique rows)
    missing = due.join(have, on=["subjid", "ietestcd"], how="anti").sort("ietestcd") \
        .group_by("subjid", "_cohort", maintain_order=True).agg(pl.col("ietestcd").cast(pl.Utf8).str.join(", ").alias("_codes"),
                                                                pl.col("_idx").first().alias("_dm_idx"))
    if ie is not None:
        first_ie = ie.lazy().group_by("subjid").agg(pl.col("_idx").min().alias("_ie_idx"))
        missing = missing.join(first_ie, on="subjid", how="left")
    else:
        missing = missing.with_columns(pl.lit(None, pl.Int64).alias("_ie_idx"))
    missing = missing.collect(engine=F.ENGINE).lazy()  # built once: both queries below read it
    msg = pl.format("treated subject of cohort {} has no eligibility record for {}", pl.col("_cohort"),
                    pl.col("_codes"))
    exp = pl.lit("a record for every criterion of the cohort")
    on_ie = missing.filter(pl.col("_ie_idx").is_not_null()).with_columns(pl.col("_ie_idx").alias("_idx")).sort("_idx")
    on_dm = missing.filter(pl.col("_ie_idx").is_null()).with_columns(pl.col("_dm_idx").alias("_idx")).sort("_idx")
    return run_parts([("ie", F.raw_query(on_ie, "IETESTCD", pl.col("_codes"), exp, msg)),
                 ("dm", F.raw_query(on_dm, "IETESTCD", pl.col("_codes"), exp, msg))])


@check("ELIG-CONFIRMED-LATE", "Eligibility confirmed after treatment started", "deviation", None, ("ie", "ld", "ex"),
       "The latest eligibility assessment date (IEDAT) of a subject is after its first lymphodepletion dose (LDDAT; "
       "the first infusion, EXSTDAT, without lymphodepletion): treatment began before eligibility was confirmed. "
       "Reported once per subject, on the latest eligibility record.",
       reference=f"{REG} eligibility criteria; ICH E6(R3) 2.8", fields=("IEDAT",))
def confirmed_late(ctx: Context) -> Findings:
    ie, first = ctx.indexed("ie"), _first_treatment(ctx)
    if ie is None or first is None:
        return {}
    last = ie.lazy().filter(pl.col("iedat").is_not_null()).sort("iedat", "_idx", descending=[True, False]) \
        .unique("subjid", keep="first", maintain_order=True)
    bad = last.join(first.lazy(), on="subjid").filter(pl.col("iedat") > pl.col("_first")).sort("_idx")
    return collect([("ie", F.from_frame(bad, "IEDAT", pl.col("iedat"), pl.format("on or before {}", pl.col("_first")),
                                        pl.format("eligibility ({}) confirmed on {}, after the {} on {}",
                                                  pl.col("ietestcd"), pl.col("iedat"), pl.col("_what"),
                                                  pl.col("_first"))))])


@shared
def v_echo_abnormal(ctx: Context) -> Violation:
    d = at_screening(ctx, "echo")
    bad = None if d is None else d.filter(pl.col("echoabn") == "Y")
    return violation("echo", bad, pl.col("echoabn"), pl.lit("N"),
                pl.format("screening echocardiography of {} shows a significant structural abnormality (ECHOABN Y)",
                          pl.col("echodat")))


@check("ELIG-ECHO-ABNORMAL", "Structural heart abnormality at screening", "deviation", None, ("echo",),
       "Screening echocardiography records a significant structural abnormality (ECHOABN Y): general inclusion 2 "
       "asks for none, whatever the LVEF (ELIG-LVEF checks the LVEF).",
       reference=f"{REG} general inclusion 2", fields=("ECHOABN",),
       violation=v_echo_abnormal)
def echo_abnormal(ctx: Context) -> Findings:
    return report(v_echo_abnormal(ctx), "ECHOABN")


def _background_rules(model) -> tuple[pl.DataFrame, pl.DataFrame]:
    a = enum_annotations(model, "BackgroundTherapy")
    rules = pl.DataFrame({"cohort": list(a), "_crit": [str(v["criterion"]) for v in a.values()],
                          "_months": [int(v["months"]) for v in a.values()]})
    agents = pl.DataFrame([(c, x) for c, v in a.items() for x in listed(v["agents"])],
                          schema={"cohort": pl.Utf8, "_drug": pl.Utf8}, orient="row")
    return rules, agents


@check("ELIG-BACKGROUND-THERAPY", "Background therapy the cohort requires not in the medication history",
       "deviation", None, ("ie", "cm", "dm", "sv"),
       "For a subject of a cohort with a BackgroundTherapy rule (IgA nephropathy: an ACE inhibitor or angiotensin "
       "receptor blocker for {BackgroundTherapy.IGAN.months} months) whose criterion ({BackgroundTherapy.IGAN.criterion}) "
       "is recorded as met without a waiver: no medication of the rule's agents (CMDECOD, else CMTRT) started "
       "`months` or more before the screening visit. The criterion's intolerance branch is not collected: a finding "
       "asks the site to confirm it or record a waiver.",
       reference=f"{REG} IgA nephropathy inclusion 3", fields=("IEORRES", "CMDECOD", "CMSTDAT"))
def background_therapy(ctx: Context) -> Findings:
    dm, ie, cm, scr = ctx.indexed("dm"), ctx.indexed("ie"), ctx.indexed("cm"), screening_dates(ctx)
    if dm is None or ie is None or scr is None:
        return {}
    rules, agents = _background_rules(ctx.model)
    # One query (each eager step would be a query of its own, whose fixed cost outweighs the work).
    # a subject's first dm record, picked before the joins below
    subj = dm.select("subjid", pl.col("cohort").cast(pl.Utf8)).unique("subjid", keep="first", maintain_order=True).lazy().join(rules.lazy(), on="cohort") \
        .join(scr.lazy(), on="subjid") \
        .with_columns(pl.col("_scr").dt.offset_by(pl.format("-{}mo", pl.col("_months"))).alias("_by"))
    rec = ie.lazy().select("_idx", "subjid", pl.col("ietestcd").cast(pl.Utf8).alias("_crit"), "ieorres", "iewaiv")
    # built once: the medications and the findings both read it
    subj = subj.join(rec, on=["subjid", "_crit"]).filter((pl.col("ieorres") == "Y")
                                                          & (pl.col("iewaiv").fill_null("N") != "Y")) \
        .collect(engine=F.ENGINE).lazy()
    taken = keyed_like(pl.LazyFrame(schema={"subjid": pl.Utf8}), subj, "subjid") if cm is None else \
        cm.lazy().select("subjid", pl.coalesce("cmdecod", "cmtrt").cast(pl.Utf8).str.to_uppercase().str.strip_chars()
                         .alias("_drug"), earliest_start().alias("_st")) \
        .join(subj.select("subjid", "cohort", "_by"), on="subjid").join(agents.lazy(), on=["cohort", "_drug"]) \
        .filter(pl.col("_st").is_not_null() & (pl.col("_st") <= pl.col("_by"))).select("subjid").unique()
    bad = subj.join(taken, on="subjid", how="anti").sort("_idx")
    return collect([("ie", F.from_frame(
        bad, "IEORRES", pl.col("ieorres"), pl.format("an agent of BackgroundTherapy {} started by {}", pl.col("cohort"),
                                                    pl.col("_by")),
        pl.format("{} recorded as met, but the medication form shows no agent the criterion requires started by {} "
                  "({} months before screening): confirm the intolerance branch or record a waiver", pl.col("_crit"),
                  pl.col("_by"), pl.col("_months"))))])
