"""Disease and encephalopathy scores at item level: recorded totals against their items, the vasculitis instrument
for the age at every assessment, and the SLEDAI-2K lab descriptors against the same visit's lab results.

Items, weights and lab thresholds come from schema/scores.yaml through ecrf.clinical.scores; the adult age of
the vasculitis instruments from schema/protocol.yaml through ecrf.protocol. A total is compared only when every
one of its items is readable (missing or bad items are reported by the column checks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.table import keyed_like
from ecrf.clinical.scores import (capd_items, ice_items, item_sum_expr, lab_abnormal_expr, mrss_items,
                                  sledai_lab_criteria, sledai_total_expr, vas_items)
from ecrf.protocol import protocol
from ecrf.numbers import number
from ecrf.validators.common import full_date_pattern
from ecrf.validators.consistency_dates import collect
from ecrf.registry import Findings, check
from ecrf.validators.sledai_drug import drug_caused

if TYPE_CHECKING:
    from ecrf.engine import Context

GLADMAN = "Gladman J Rheumatol 2002;29:288 (SLEDAI-2K)"
ASTCT = "Lee BBMT 2019;25:625 (ASTCT consensus: ICE, CAPD)"
VAS_REF = "Mukhtyar ARD 2009 (BVAS v3); Dolezalova ARD 2013;72:1628 (PVAS)"


def _total_findings(d: pl.DataFrame, total: str, computed: pl.Expr, items: str) -> pl.DataFrame | None:
    """Rows whose recorded integer total differs from the one computed from complete items (one query)."""
    bad = d.lazy().with_columns(computed.alias("_calc")).filter(
        pl.col(total).is_not_null() & pl.col("_calc").is_not_null() & (pl.col(total) != pl.col("_calc")))
    title = total.upper()
    return F.from_frame(bad, title, pl.col(total), pl.col("_calc"),
                        pl.format("{} {} differs from {} computed from {}", pl.lit(title), pl.col(total),
                                  pl.col("_calc"), pl.lit(items)))


def _report(domain, *parts):
    return collect([(domain, p) for p in parts])


@check("SCORE-SLEDAI-TOTAL", "SLEDAI-2K total differs from its descriptors", "consistency", "error", ("sledai",),
       "SLEDAITOT must equal the sum of the weights (SledaiDescriptor in schema/scores.yaml: 8, 4, 2 or 1) of the "
       "descriptors recorded Y. Every descriptor is required on the form, so a record with a missing or unreadable "
       "descriptor is not recomputed (the column checks report it).",
       reference=GLADMAN, fields=("SLEDAITOT",))
def sledai_total(ctx: Context) -> Findings:
    d = ctx.indexed("sledai")
    if d is None:
        return {}
    return _report("sledai", _total_findings(d, "sledaitot", sledai_total_expr(ctx.model),
                                             "the weights of the descriptors recorded Y"))


@check("SCORE-MRSS-TOTAL", "mRSS total differs from its sites", "consistency", "error", ("mrss",),
       "MRSSTOT must equal the sum of the 17 site scores (0-3 each). Every site is required on the form, so a "
       "record with a missing or unreadable site is not recomputed (the column checks report it).",
       reference="Clements J Rheumatol 1995;22:1281 (mRSS, 17 sites)", fields=("MRSSTOT",))
def mrss_total(ctx: Context) -> Findings:
    d = ctx.indexed("mrss")
    if d is None:
        return {}
    return _report("mrss", _total_findings(d, "mrsstot", item_sum_expr(mrss_items(ctx.model)), "the 17 site scores"))


@check("SCORE-VAS-TOTAL", "PVAS/BVAS totals differ from the system scores", "consistency", "error", ("vas",),
       "VASTOT must equal the sum of the 9 system scores of new or worse items, and VASPERS (when recorded) the sum "
       "of the 9 system scores of persistent items. Every system score is required on the form, so a record with a "
       "missing or unreadable system score is not recomputed (the column checks report it).",
       reference=VAS_REF, fields=("VASTOT", "VASPERS"))
def vas_total(ctx: Context) -> Findings:
    d = ctx.indexed("vas")
    if d is None:
        return {}
    nw, pe = vas_items(ctx.model)
    return _report("vas",
                   _total_findings(d, "vastot", item_sum_expr(nw), "the new or worse system scores"),
                   _total_findings(d, "vaspers", item_sum_expr(pe), "the persistent system scores"))


@check("SCORE-ICE-TOTAL", "ICE score differs from its tasks", "consistency", "error", ("icans",),
       "ICESCORE must equal the sum of the 5 ICE tasks (orientation 0-4, naming 0-3, commands, writing and "
       "attention 0-1 each). The form fills the items of the tool used only, so a record without all 5 tasks "
       "(another tool, or an assessment that could not be performed) is not recomputed.",
       reference=ASTCT, fields=("ICESCORE",))
def ice_total(ctx: Context) -> Findings:
    d = ctx.indexed("icans")
    if d is None:
        return {}
    return _report("icans", _total_findings(d, "icescore", item_sum_expr(ice_items(ctx.model)), "the 5 ICE tasks"))


@check("SCORE-CAPD-TOTAL", "CAPD total differs from its items", "consistency", "error", ("icans",),
       "CAPDSCORE must equal the sum of the 8 CAPD items (0-4 each). The form fills the items of the tool used "
       "only, so a record without all 8 items (another tool, or an assessment that could not be performed) is "
       "not recomputed.",
       reference="Traube Crit Care Med 2014;42:656 (CAPD); " + ASTCT, fields=("CAPDSCORE",))
def capd_total(ctx: Context) -> Findings:
    d = ctx.indexed("icans")
    if d is None:
        return {}
    return _report("icans", _total_findings(d, "capdscore", item_sum_expr(capd_items(ctx.model)), "the 8 CAPD items"))


def _completed_years(on: pl.Expr, birth: pl.Expr) -> pl.Expr:
    def month_day(d: pl.Expr) -> pl.Expr:  # month and day parts are 8-bit: widen before combining
        return d.dt.month().cast(pl.Int32) * 100 + d.dt.day().cast(pl.Int32)
    before_birthday = month_day(on) < month_day(birth)
    return on.dt.year().cast(pl.Int32) - birth.dt.year().cast(pl.Int32) - before_birthday.cast(pl.Int32)


def _plausible_age(ctx) -> pl.Expr:
    """VASAGE within its hard range; a value outside it is COL-RANGE's finding, and the birth date decides."""
    item = ctx.model.forms["vas"].item("vasage")
    age = pl.col("vasage").cast(pl.Int64)
    return pl.when(age.is_between(item.minimum, item.maximum)).then(age)


@check("SCORE-VAS-INSTRUMENT", "Vasculitis score on the wrong instrument for the age", "consistency", "error",
       ("vas", "dm"),
       "At every assessment a subject under ProtocolParameters vas_adult_age ({ProtocolParameters.vas_adult_age}) "
       "must be scored with PVAS, from that age with BVAS. Age is VASAGE (within its range), else the completed "
       "years at VASDAT from a complete birth date; without either the record is not judged. The screening "
       "assessment of an AAV subject is left to ELIG-AAV-INSTRUMENT (an eligibility deviation), so it is never "
       "reported twice.",
       reference="NCT07283315 ANCA-associated vasculitis inclusion 4", fields=("VASINST",))
def vas_instrument(ctx: Context) -> Findings:
    d = ctx.indexed("vas")
    if d is None:
        return {}
    p = protocol(ctx.model)
    adult = p.param("vas_adult_age")
    dm = ctx.indexed("dm")
    full_date = full_date_pattern(ctx.model)
    if dm is not None:
        demo = dm.lazy().select("subjid", "cohort", pl.when(pl.col("brthdat").cast(pl.Utf8).str.contains(full_date))
                         .then(pl.col("brthdat").cast(pl.Utf8).str.to_date("%Y-%m-%d", strict=False)).alias("_birth")) \
            .unique("subjid", keep="first")
        rows = d.lazy().join(demo, on="subjid", how="left")
    else:
        rows = d.lazy().with_columns(pl.lit(None, pl.Utf8).alias("cohort"), pl.lit(None, pl.Date).alias("_birth"))
    # one query from here to the findings
    screened_elsewhere = (pl.col("visit") == p.screening_visit) & (pl.col("cohort") == "AAV")
    aged = rows.filter(~screened_elsewhere.fill_null(False)).with_columns(
        pl.coalesce(_plausible_age(ctx), _completed_years(pl.col("vasdat"), pl.col("_birth")).cast(pl.Int64))
        .alias("_age"))
    want = pl.when(pl.col("_age") < adult).then(pl.lit("PVAS")).otherwise(pl.lit("BVAS"))
    codes = list(ctx.model.forms["vas"].item("vasinst").codes)  # other values are the codelist check's
    bad = aged.filter(pl.col("_age").is_not_null() & pl.col("vasinst").is_in(codes)).with_columns(want.alias("_want")) \
        .filter(pl.col("vasinst") != pl.col("_want"))
    return _report("vas", F.from_frame(
        bad, "VASINST", pl.col("vasinst"),
        pl.format("{} (age {}; PVAS under {} years)", pl.col("_want"), pl.col("_age"), pl.lit(adult)),
        pl.format("{} used at age {} at visit {}; the registration requires {}", pl.col("vasinst"), pl.col("_age"),
                  pl.col("visit"), pl.col("_want"))))


# --- SLEDAI-2K lab descriptors against the visit's lab results -----------------------------------------------

def _criteria_frame(ctx) -> pl.DataFrame:
    rows = [c.__dict__ for c in sledai_lab_criteria(ctx.model)]
    df = pl.DataFrame(rows, schema={"code": pl.Utf8, "descriptor": pl.Utf8, "item": pl.Utf8, "source": pl.Utf8,
                                    "test": pl.Utf8, "rule": pl.Utf8, "threshold": pl.Float64, "unit": pl.Utf8,
                                    "needs_every_test": pl.Boolean})
    # How many distinct tests must be seen before a present descriptor can be contradicted.
    needed = df.lazy().group_by("item").agg(
        pl.when(pl.col("needs_every_test").any()).then(pl.col("test").n_unique()).otherwise(1).alias("_needed"))
    return df.lazy().join(needed, on="item").collect(engine=F.ENGINE)


def _evidence(ctx, crit: pl.DataFrame, visits: pl.LazyFrame) -> pl.DataFrame | None:
    """Numeric results of the tests the SLEDAI lab descriptors (`crit`) use (subjid, visitnum, source, test, value,
    unit, lo, hi) at the `visits` (subjid, visitnum) only; censored or coded results are left out."""
    parts = []
    lb = ctx.indexed("lb")
    if lb is not None:
        c = pl.col("lborres").cast(pl.Utf8)  # a missing optional column arrives untyped
        # only the descriptors' tests: reading every lab result as a number costs more than the whole check
        tests = sorted({t for src, t in zip(crit["source"], crit["test"]) if src == "lb" and t is not None})
        # and the visits with a SLEDAI record only (a fifth of the subjects are SLE patients)
        parts.append(lb.lazy().filter(pl.col("lbtestcd").is_in(tests)).join(visits, on=["subjid", "visitnum"],
                                                                            how="semi").select(
            "subjid", "visitnum", pl.lit("lb").alias("source"), pl.col("lbtestcd").alias("test"),
            number(c).alias("value"), pl.col("lborresu").cast(pl.Utf8).alias("unit"),
            pl.col("lbornrlo").cast(pl.Float64).alias("lo"), pl.col("lbornrhi").cast(pl.Float64).alias("hi")))
    prot = ctx.indexed("prot")
    if prot is not None:
        parts.append(prot.lazy().select("subjid", "visitnum", pl.lit("prot").alias("source"),
                                 pl.col("protmeth").alias("test"), pl.col("protval").cast(pl.Float64).alias("value"),
                                 pl.col("protu").cast(pl.Utf8).alias("unit"), pl.lit(None, pl.Float64).alias("lo"),
                                 pl.lit(None, pl.Float64).alias("hi")))
    if not parts:
        return None
    return pl.concat(parts).filter(pl.col("value").is_not_null() & pl.col("subjid").is_not_null()
                                   & pl.col("visitnum").is_not_null()).collect(engine=F.ENGINE)


@check("SCORE-SLEDAI-LAB", "SLEDAI-2K lab descriptor disagrees with the visit's labs", "consistency", "warning",
       ("sledai", "lb", "prot"),
       "The SLEDAI-2K descriptors proteinuria (24-hour protein > {SledaiLabCriterion.PROT24H_G.threshold} g/24h, "
       "or spot UPCR > {SledaiLabCriterion.UPCR_SPOT.threshold} mg/mg), low complement (C3 or C4 below its "
       "LBORNRLO), increased DNA binding (anti-dsDNA above its LBORNRHI), thrombocytopenia (platelets < "
       "{SledaiLabCriterion.PLAT_SI.threshold} x 10^9/L) and leukopenia (leukocytes < "
       "{SledaiLabCriterion.WBC_SI.threshold} x 10^9/L) must agree with the "
       "lab (lb) and proteinuria (prot) results of the same visit (same VISITNUM): N while a result meets the "
       "definition, or Y while the results do not (for low complement only when both C3 and C4 were done). Only "
       "numeric results in the unit the threshold is written in (SledaiLabCriterion in schema/scores.yaml), or with "
       "their reference limit, are compared. Thrombocytopenia and leukopenia exclude drug causes: recorded N "
       "against low counts is not queried within SledaiDrugExclusion lymphodepletion_window_days "
       "({SledaiDrugExclusion.lymphodepletion_window_days}) days after the subject's last lymphodepletion "
       "administration, nor when the investigator records the low count as drug-caused (SLTHRDRG, SLLEUDRG Y). "
       "A warning: SLEDAI-2K also counts the 10 days before the visit.",
       reference=GLADMAN, fields=("SLPROT", "SLLOWCOM", "SLDNA", "SLTHROMB", "SLLEUK"))
def sledai_lab(ctx: Context) -> Findings:
    d = ctx.indexed("sledai")
    if d is None:
        return {}
    crit = _criteria_frame(ctx)
    # a result is compared with the SLEDAI record of its subject and visit: other visits' results are not read
    ev = _evidence(ctx, crit, d.lazy().select("subjid", "visitnum").unique())
    if ev is None or ev.is_empty():
        return {}
    # Three queries from here to the findings: the results that can be compared, the records found, then the
    # text they quote (the first two are read twice each: in one plan they would be built twice).
    j = ev.lazy().join(keyed_like(crit.lazy(), ev, "source", "test"), on=["source", "test"], how="inner").filter(
        pl.when(pl.col("rule").is_in(["above", "below"])).then(pl.col("unit") == pl.col("unit_right"))
        .when(pl.col("rule") == "below_lln").then(pl.col("lo").is_not_null())
        .otherwise(pl.col("hi").is_not_null()).fill_null(False)).collect(engine=F.ENGINE).lazy()
    limit = (pl.when(pl.col("rule") == "above").then(pl.format("> {} {}", pl.col("threshold"), pl.col("unit")))
             .when(pl.col("rule") == "below").then(pl.format("< {} {}", pl.col("threshold"), pl.col("unit")))
             .when(pl.col("rule") == "below_lln").then(pl.format("< LBORNRLO {}", pl.col("lo")))
             .otherwise(pl.format("> LBORNRHI {}", pl.col("hi"))))
    keys = ["subjid", "visitnum", "item", "descriptor"]
    per = j.with_columns(
        lab_abnormal_expr(pl.col("rule"), pl.col("value"), pl.col("threshold"), pl.col("lo"), pl.col("hi"))
        .alias("_abn")).group_by(keys).agg(
        pl.col("_abn").any().alias("_any"), pl.col("test").n_unique().alias("_seen"), pl.col("_needed").first())
    items = sorted(set(crit["item"]))
    s = d.lazy().select("_idx", "subjid", "visitnum", *items).unpivot(
        index=["_idx", "subjid", "visitnum"], on=items, variable_name="item", value_name="_rec")
    s = s.join(per, on=["subjid", "visitnum", "item"], how="inner")
    bad = s.filter(((pl.col("_rec") == "N") & pl.col("_any"))
                   | ((pl.col("_rec") == "Y") & ~pl.col("_any") & (pl.col("_seen") >= pl.col("_needed"))))
    excused = drug_caused(ctx, d).lazy().with_columns(pl.lit(True).alias("_drug"))
    bad = bad.join(excused, on=["_idx", "item"], how="left") \
        .filter(~((pl.col("_rec") == "N") & pl.col("_drug").fill_null(False))).collect(engine=F.ENGINE).lazy()
    # the results quoted, written out for the visits found only (every visit's text costs more than the check)
    labs = j.join(bad.select(keys).unique(), on=keys, how="semi").group_by(keys).agg(
        pl.format("{} {} {} (definition {})", pl.col("test"), pl.col("value"), pl.col("unit").fill_null(""), limit)
        .unique().sort().str.join("; ").alias("_labs"))
    bad = bad.join(labs, on=keys, how="left")
    return _report("sledai", F.from_frame(
        bad.sort("_idx", "item"), pl.col("item").cast(pl.Utf8).str.to_uppercase(), pl.col("_rec"),
        pl.when(pl.col("_rec") == "N").then(pl.lit("Y")).otherwise(pl.lit("N")),
        pl.format("SLEDAI-2K {} recorded {} but the visit's results {} it: {}", pl.col("descriptor"), pl.col("_rec"),
                  pl.when(pl.col("_any")).then(pl.lit("meet")).otherwise(pl.lit("do not meet")), pl.col("_labs"))))
