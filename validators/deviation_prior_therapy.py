"""Adequate prior treatment (SLE inclusion 3, systemic sclerosis inclusion 5, ANCA-associated vasculitis inclusion
3): a glucocorticoid at the cohort's mg/kg/day plus one of its immunomodulators, both started long enough before
screening, read from the medication form. Doses, agents and months come from the schema (PriorTreatment,
Glucocorticoid, DoseFrequency). The criteria have branches the eCRF cannot see, so a finding asks for review and
does not count as a contradiction of the eligibility form."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.params import enum_annotations, listed
from ecrf.table import keyed_like
from ecrf.registry import Findings, check
from ecrf.validators.common import REG, screening_dates

if TYPE_CHECKING:
    from ecrf.engine import Context


def _rules(model) -> pl.DataFrame:
    a = enum_annotations(model, "PriorTreatment")
    return pl.DataFrame({"cohort": list(a), "_crit": [str(v["criterion"]) for v in a.values()],
                         "_gc_min": [float(v["gc_min_mg_kg_day"]) for v in a.values()],
                         "_months": [int(v["months"]) for v in a.values()]})


def _immunomodulators(model) -> pl.DataFrame:
    pairs = [(c, x) for c, v in enum_annotations(model, "PriorTreatment").items() for x in listed(v["immunomodulators"])]
    return pl.DataFrame(pairs, schema={"cohort": pl.Utf8, "_drug": pl.Utf8}, orient="row")


def _per_day(model) -> pl.DataFrame:
    a = {k: v for k, v in enum_annotations(model, "DoseFrequency").items() if "doses" in v}
    return pl.DataFrame({"_frq": list(a), "_per_day": [float(v["doses"]) / float(v["days"]) for v in a.values()]})


def _factors(model) -> pl.DataFrame:
    a = enum_annotations(model, "Glucocorticoid")
    return pl.DataFrame({"_drug": list(a), "_factor": [float(v["prednisone_factor"]) for v in a.values()]})


def earliest_start() -> pl.Expr:
    """CMSTDAT as its earliest possible day: a year-month counts from the 1st, a year from 1 January."""
    s = pl.col("cmstdat").cast(pl.Utf8)
    padded = pl.when(s.str.len_chars() == 4).then(s + "-01-01").when(s.str.len_chars() == 7).then(s + "-01") \
        .otherwise(s)
    return padded.str.to_date("%Y-%m-%d", strict=False)


def _subjects(ctx) -> pl.LazyFrame | None:
    """Subjects of a cohort with a PriorTreatment rule, with screening date, weight and the criterion's IE record.
    Lazy, as every step of the check: it runs as one query (each eager step would be a query of its own, whose
    fixed cost outweighs the work)."""
    dm, scr, ie = ctx.indexed("dm"), screening_dates(ctx), ctx.indexed("ie")
    if dm is None or scr is None or ie is None:
        return None
    rules = _rules(ctx.model)
    # a subject's first dm record, picked before the joins below
    subj = dm.select("subjid", "cohort", "weight").unique("subjid", keep="first", maintain_order=True).lazy() \
        .join(keyed_like(rules.lazy(), dm, "cohort"), on="cohort") \
        .join(scr.lazy(), on="subjid") \
        .with_columns(pl.col("_scr").dt.offset_by(pl.format("-{}mo", pl.col("_months"))).alias("_by"))
    rec = ie.lazy().select("_idx", "subjid", pl.col("ietestcd").cast(pl.Utf8).alias("_crit"), "ieorres", "iewaiv")
    # Judged only where the form records the criterion as met without a waiver: ELIG-NOT-MET and
    # ELIG-NOT-MET-WAIVED report the others.
    return subj.join(rec, on=["subjid", "_crit"]).filter((pl.col("ieorres") == "Y")
                                                          & (pl.col("iewaiv").fill_null("N") != "Y"))


def _medications(ctx, subj: pl.LazyFrame) -> pl.LazyFrame:
    cm = ctx.indexed("cm")
    if cm is None:
        return keyed_like(pl.LazyFrame(schema={"subjid": pl.Utf8, "_drug": pl.Utf8, "_st": pl.Date, "_mgkg": pl.Float64}),
                          subj, "subjid")
    name = pl.coalesce(pl.col("cmdecod"), pl.col("cmtrt")).cast(pl.Utf8).str.to_uppercase().str.strip_chars()
    d = cm.lazy().select("subjid", name.alias("_drug"), earliest_start().alias("_st"), "cmdose",
                  pl.col("cmdosu").cast(pl.Utf8), pl.col("cmdosfrq").cast(pl.Utf8).alias("_frq"))
    d = d.join(subj.select("subjid", "weight"), on="subjid").join(_per_day(ctx.model).lazy(), on="_frq", how="left")
    per_kg = pl.when(pl.col("cmdosu") == "mg/kg").then(pl.col("cmdose")) \
        .when((pl.col("cmdosu") == "mg") & (pl.col("weight") > 0)).then(pl.col("cmdose") / pl.col("weight"))
    return d.with_columns((per_kg * pl.col("_per_day")).alias("_mgkg")).select("subjid", "_drug", "_st", "_mgkg")


@check("ELIG-PRIOR-THERAPY", "Adequate prior treatment not shown by the medication form", "deviation", None,
       ("ie", "cm", "dm", "sv"),
       "For an SLE, systemic sclerosis or ANCA-associated vasculitis subject whose adequate-treatment criterion "
       "(PriorTreatment criterion) is recorded as met without a waiver: no glucocorticoid (Glucocorticoid, "
       "CMDECOD else CMTRT) at or above gc_min_mg_kg_day prednisone-equivalent (dose in mg or mg/kg, times the "
       "daily doses of CMDOSFRQ, per dm WEIGHT), or no immunomodulator of the cohort's list, started `months` or "
       "more before the screening visit. The criterion's other branches are not collected: a finding asks the "
       "site to confirm the branch that applies or record a waiver.",
       reference=f"{REG} SLE inclusion 3, systemic sclerosis inclusion 5, ANCA-associated vasculitis inclusion 3",
       fields=("IEORRES", "CMDOSE", "CMDOSFRQ", "CMSTDAT"))
def prior_therapy(ctx: Context) -> Findings:
    found = _subjects(ctx)
    # collected once: the query below reads the subjects three times, and a lazy plan would join them anew each
    # time (the 10,000-subject IE form: 258,000 records)
    subj = None if found is None else found.collect(engine=F.ENGINE)
    if subj is None or subj.is_empty():
        return {}
    meds = _medications(ctx, subj.lazy()).join(subj.lazy().select("subjid", "cohort", "_by"), on="subjid")
    # built once as well: the glucocorticoid and the immunomodulator steps both read it
    early = meds.filter(pl.col("_st").is_not_null() & (pl.col("_st") <= pl.col("_by"))).collect(engine=F.ENGINE).lazy()
    gc = early.join(keyed_like(_factors(ctx.model).lazy(), early, "_drug"), on="_drug") \
        .with_columns((pl.col("_mgkg") * pl.col("_factor")).alias("_pe")) \
        .group_by("subjid").agg(pl.col("_pe").max().alias("_gc"))
    im = early.join(keyed_like(_immunomodulators(ctx.model).lazy(), early, "cohort", "_drug"), on=["cohort", "_drug"]) \
        .select("subjid").unique() \
        .with_columns(pl.lit(True).alias("_im"))
    d = subj.lazy().join(gc, on="subjid", how="left").join(im, on="subjid", how="left")
    gc_ok = pl.col("_gc").is_not_null() & (pl.col("_gc") >= pl.col("_gc_min"))
    im_ok = pl.col("_im").fill_null(False)
    bad = d.filter(~gc_ok | ~im_ok).sort("_idx")
    gc_seen = pl.when(pl.col("_gc").is_null()).then(pl.lit("no glucocorticoid dose convertible to mg/kg/day")) \
        .otherwise(pl.format("highest glucocorticoid {} mg/kg/day", pl.col("_gc").round(2)))
    missing = pl.when(~gc_ok & ~im_ok).then(pl.lit("glucocorticoid dose and immunomodulator")) \
        .when(~gc_ok).then(pl.lit("glucocorticoid dose")).otherwise(pl.lit("immunomodulator"))
    msg = pl.format("{} recorded as met, but the medication form does not show the {} started by {} ({} months "
                    "before screening; {}, immunomodulator {}): confirm another branch of the criterion or record "
                    "a waiver", pl.col("_crit"), missing, pl.col("_by"), pl.col("_months"), gc_seen,
                    pl.when(im_ok).then(pl.lit("found")).otherwise(pl.lit("not found")))
    exp = pl.format(">= {} mg/kg/day prednisone-equivalent plus an immunomodulator, from {}", pl.col("_gc_min"),
                    pl.col("_by"))
    f = F.from_frame(bad, "IEORRES", pl.col("ieorres"), exp, msg)
    return {} if f is None else {"ie": f}
