"""Eligibility deviations: screening data that contradict the registration's criteria, and criteria recorded
as not met on the eligibility form. Thresholds come from schema/protocol.yaml through ecrf.protocol.

Each data check reports a "violation" function (form domain, frame with _idx, subjid, value, expected, message)
that it declares (`violation=`), so ELIG-IE-CONTRADICTS reuses it against the eligibility form.
"""

from __future__ import annotations

import operator
from datetime import timedelta

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.numbers import number
from ecrf.params import ParameterError, enum_annotations
from ecrf.protocol import protocol
from ecrf.engine import shared
from ecrf.registry import Findings, Violation, check, violations
from ecrf.table import keyed_like
from ecrf.validators.common import REG, at_screening, report, screening_dates, subject_cohorts, violation

if TYPE_CHECKING:
    from ecrf.engine import Context

_OPS = {">=": operator.ge, ">": operator.gt}


def _plausible(ctx, domain, col):
    """Values inside the item's hard limits: those outside are already reported by COL-RANGE."""
    item = ctx.model.forms[domain].item(col)
    e = pl.col(col).is_not_null()
    if item.minimum is not None:
        e = e & (pl.col(col) >= item.minimum)
    if item.maximum is not None:
        e = e & (pl.col(col) <= item.maximum)
    return e


def _range(ctx, domain, col):
    item = ctx.model.forms[domain].item(col)
    return item.minimum, item.maximum


def _lazy(d: pl.DataFrame | None) -> pl.LazyFrame | None:
    return None if d is None else d.lazy()


def _threshold_violation(d, col, minimum, what, comparator, plausible):
    """Rows whose numeric `col` fails `col <comparator> minimum` (`d` lazy)."""
    if d is None:
        return None
    ok = _OPS[comparator](pl.col(col), minimum)
    return d.filter(plausible & ~ok), pl.lit(f"{comparator} {minimum}"), \
        pl.format("{} {} at screening is below the eligibility minimum", pl.lit(what), pl.col(col))


# --- the data checks -------------------------------------------------------------------------------------

@shared
def v_age(ctx: Context) -> Violation:
    d = ctx.indexed("dm")
    if d is None:
        return "dm", None
    mins = pl.DataFrame({"cohort": list(protocol(ctx.model).min_age()),
                         "_min": list(protocol(ctx.model).min_age().values())})
    bad = d.lazy().join(keyed_like(mins.lazy(), d, "cohort"), on="cohort", how="inner") \
        .filter(_plausible(ctx, "dm", "age") & (pl.col("age") < pl.col("_min")))
    return violation("dm", bad, pl.col("age"), pl.format(">= {} years ({})", pl.col("_min"), pl.col("cohort")),
                     pl.format("age {} at consent is below the minimum age {} of the {} cohort",
                               pl.col("age"), pl.col("_min"), pl.col("cohort")))


@check("ELIG-AGE", "Age below the cohort's minimum", "deviation", None, ("dm",),
       "Age at consent is below the minimum age of the subject's cohort (Cohort min_age: SLE {Cohort.SLE.min_age}, "
       "MDR-SRNS {Cohort.MDR_SRNS.min_age}, IgAN {Cohort.IGAN.min_age}, SSc {Cohort.SSC.min_age}, AAV "
       "{Cohort.AAV.min_age}).", reference=f"{REG} cohort inclusion 1", fields=("AGE", "COHORT"),
       violation=v_age)
def age(ctx: Context) -> Findings:
    return report(v_age(ctx), "AGE")


def _simple(ctx, domain, col, key, what, cohort=None, comparator=">="):
    d = _lazy(at_screening(ctx, domain))
    if d is not None and cohort is not None:
        c = subject_cohorts(ctx)
        d = None if c is None else d.join(c.lazy(), on="subjid", how="inner").filter(pl.col("cohort") == cohort)
    p = protocol(ctx.model)
    r = _threshold_violation(d, col, p.param(key), what, comparator, _plausible(ctx, domain, col))
    return (domain, None) if r is None else violation(domain, r[0], pl.col(col), r[1], r[2])


@shared
def v_lvef(ctx: Context) -> Violation:
    return _simple(ctx, "echo", "lvef", "lvef_min", "LVEF %")


@check("ELIG-LVEF", "LVEF below the inclusion minimum", "deviation", None, ("echo",),
       "Screening echocardiography shows LVEF below ProtocolParameters lvef_min ({ProtocolParameters.lvef_min}%).",
       reference=f"{REG} general inclusion 2", fields=("LVEF",),
       violation=v_lvef)
def lvef(ctx: Context) -> Findings:
    return report(v_lvef(ctx), "LVEF")


@shared
def v_spo2(ctx: Context) -> Violation:
    return _simple(ctx, "vs", "oxysat", "spo2_min", "SpO2 %")


@check("ELIG-SPO2", "SpO2 below the inclusion minimum", "deviation", None, ("vs",),
       "SpO2 at the screening visit is below ProtocolParameters spo2_min ({ProtocolParameters.spo2_min}%).",
       reference=f"{REG} general inclusion 5", fields=("OXYSAT",),
       violation=v_spo2)
def spo2(ctx: Context) -> Findings:
    return report(v_spo2(ctx), "OXYSAT")


@shared
def v_sledai(ctx: Context) -> Violation:
    p = protocol(ctx.model)
    return _simple(ctx, "sledai", "sledaitot", "sledai_min", "SLEDAI-2K", "SLE", str(p.param("sledai_comparator")))


@check("ELIG-SLE-SLEDAI", "SLEDAI-2K below the SLE inclusion minimum", "deviation", None, ("sledai", "dm"),
       "An SLE subject's SLEDAI-2K at screening fails ProtocolParameters sledai_comparator sledai_min "
       "({ProtocolParameters.sledai_comparator} {ProtocolParameters.sledai_min}).",
       reference=f"{REG} SLE inclusion 4", fields=("SLEDAITOT",),
       violation=v_sledai)
def sledai(ctx: Context) -> Findings:
    return report(v_sledai(ctx), "SLEDAITOT")


@shared
def v_mrss(ctx: Context) -> Violation:
    return _simple(ctx, "mrss", "mrsstot", "mrss_min", "mRSS", "SSC")


@check("ELIG-SSC-MRSS", "mRSS below the systemic sclerosis inclusion minimum", "deviation", None,
       ("mrss", "dm"),
       "A systemic sclerosis subject's mRSS at screening is below ProtocolParameters mrss_min "
       "({ProtocolParameters.mrss_min}).",
       reference=f"{REG} systemic sclerosis inclusion 4", fields=("MRSSTOT",),
       violation=v_mrss)
def mrss(ctx: Context) -> Findings:
    return report(v_mrss(ctx), "MRSSTOT")


def _vas_counted(ctx) -> tuple[pl.Expr, pl.Expr, str]:
    """(the counted total, its plausibility, the field reported) for ProtocolParameters vas_total_counted."""
    counted = protocol(ctx.model).param("vas_total_counted")
    codes = enum_annotations(ctx.model, "VasTotalCounted")
    if counted not in codes:
        raise ParameterError(f"ProtocolParameters vas_total_counted {counted!r} is not a VasTotalCounted code "
                             f"({', '.join(codes)})")
    item = codes[counted].get("item")
    if item:
        return pl.col(item), _plausible(ctx, "vas", item), item.upper()
    both = _plausible(ctx, "vas", "vastot") & _plausible(ctx, "vas", "vaspers")
    return pl.max_horizontal("vastot", "vaspers"), both, "VASTOT"


@shared
def v_vas(ctx: Context) -> Violation:
    d = at_screening(ctx, "vas")
    c = subject_cohorts(ctx)
    if d is None or c is None:
        return "vas", None
    d = d.lazy().join(c.lazy(), on="subjid", how="inner").filter(pl.col("cohort") == "AAV")
    total, plausible, field = _vas_counted(ctx)
    p = protocol(ctx.model)
    minimum, counted = p.param("vas_min"), p.param("vas_total_counted")
    bad = d.with_columns(total.alias("_counted")).filter(plausible & (pl.col("_counted") < minimum))
    return violation("vas", bad, pl.col("_counted"), pl.lit(f">= {minimum} ({counted} total)"),
                     pl.format("PVAS/BVAS {} total {} at screening (VASTOT {}, VASPERS {}) is below the eligibility "
                               "minimum", pl.lit(counted), pl.col("_counted"), pl.col("vastot"), pl.col("vaspers")))


@check("ELIG-AAV-VAS", "PVAS/BVAS below the vasculitis inclusion minimum", "deviation", None, ("vas", "dm"),
       "An AAV subject's PVAS/BVAS total at screening is below ProtocolParameters vas_min "
       "({ProtocolParameters.vas_min}). The total that counts is ProtocolParameters vas_total_counted "
       "({ProtocolParameters.vas_total_counted}; VasTotalCounted: NEW_WORSE reads VASTOT, PERSISTENT VASPERS, "
       "HIGHER the higher of the two) [CONV]; each total is checked against its system scores by SCORE-VAS-TOTAL.",
       reference=f"{REG} ANCA-associated vasculitis inclusion 4", fields=("VASTOT", "VASPERS"),
       violation=v_vas)
def vas(ctx: Context) -> Findings:
    return report(v_vas(ctx), _vas_counted(ctx)[2])


@shared
def v_vas_instrument(ctx: Context) -> Violation:
    d, c = at_screening(ctx, "vas"), subject_cohorts(ctx)
    if d is None or c is None:
        return "vas", None
    adult = protocol(ctx.model).param("vas_adult_age")
    d = d.lazy().join(c.lazy(), on="subjid", how="inner").filter(pl.col("cohort") == "AAV")
    # Ages outside their hard range are COL-RANGE's findings, not evidence of the instrument due.
    vasage = pl.when(_plausible(ctx, "vas", "vasage")).then(pl.col("vasage"))
    age = pl.when(pl.col("_age").is_between(*_range(ctx, "dm", "age"))).then(pl.col("_age"))
    d = d.with_columns(pl.coalesce(vasage, age).alias("_a"))
    want = pl.when(pl.col("_a") < adult).then(pl.lit("PVAS")).otherwise(pl.lit("BVAS"))
    bad = d.filter(pl.col("_a").is_not_null() & pl.col("vasinst").is_not_null()).with_columns(want.alias("_want")) \
        .filter(pl.col("vasinst") != pl.col("_want"))
    return violation("vas", bad, pl.col("vasinst"),
                     pl.format("{} (age {}; PVAS under {} years)", pl.col("_want"), pl.col("_a"), pl.lit(adult)),
                     pl.format("{} used at age {}; the registration requires {}", pl.col("vasinst"), pl.col("_a"),
                               pl.col("_want")))


@check("ELIG-AAV-INSTRUMENT", "Vasculitis score on the wrong instrument for the age", "deviation", None,
       ("vas", "dm"),
       "At screening an AAV subject under ProtocolParameters vas_adult_age ({ProtocolParameters.vas_adult_age}) must "
       "be scored with PVAS, from that age with BVAS (age from VASAGE, else AGE).",
       reference=f"{REG} ANCA-associated vasculitis inclusion 4", fields=("VASINST", "VASAGE"),
       violation=v_vas_instrument)
def vas_instrument(ctx: Context) -> Findings:
    return report(v_vas_instrument(ctx), "VASINST")


@shared
def v_alt_ast(ctx: Context) -> Violation:
    d = at_screening(ctx, "lb")
    if d is None:
        return "lb", None
    k = protocol(ctx.model).param("alt_ast_uln_max")
    d = d.lazy().filter(pl.col("lbtestcd").is_in(["ALT", "AST"])).with_columns(number("lborres").alias("_v"))
    bad = d.filter(pl.col("_v").is_not_null() & pl.col("lbornrhi").is_not_null() & (pl.col("_v") > k * pl.col("lbornrhi")))
    return violation("lb", bad, pl.col("lborres"), pl.format("<= {} x ULN ({})", pl.lit(k), pl.col("lbornrhi") * k),
                     pl.format("{} {} is above {} x ULN {} at screening (allowed only if due to inflammatory "
                               "myopathy)", pl.col("lbtestcd"), pl.col("lborres"), pl.lit(k), pl.col("lbornrhi")))


@check("ELIG-ALT-AST", "ALT or AST above the inclusion limit", "deviation", None, ("lb",),
       "ALT or AST at screening is above ProtocolParameters alt_ast_uln_max ({ProtocolParameters.alt_ast_uln_max}) x "
       "the result's own ULN (LBORNRHI). The registration's exception for inflammatory myopathy cannot be seen in the "
       "data: confirm by query.",
       reference=f"{REG} general inclusion 3", fields=("LBORRES", "LBORNRHI"),
       violation=v_alt_ast)
def alt_ast(ctx: Context) -> Findings:
    return report(v_alt_ast(ctx), "LBORRES")


@shared
def v_live_vaccine(ctx: Context) -> Violation:
    d, scr = ctx.indexed("cm"), screening_dates(ctx)
    if d is None or scr is None:
        return "cm", None
    weeks = protocol(ctx.model).param("live_vaccine_weeks")
    # Partial start dates (year or year-month) cannot be placed in the window and are left to review.
    vaccines = d.lazy().filter((pl.col("cmcat") == "VACCINE") & (pl.col("cmlive") == "Y")) \
        .with_columns(pl.col("cmstdat").cast(pl.Utf8).str.to_date("%Y-%m-%d", strict=False).alias("_st")).join(scr.lazy(), on="subjid")
    bad = vaccines.filter((pl.col("_st") <= pl.col("_scr")) & (pl.col("_st") >= pl.col("_scr") - timedelta(weeks=weeks)))
    return violation("cm", bad, pl.col("cmstdat"), pl.format("before {} ({} weeks before screening)",
                                                          pl.col("_scr") - timedelta(weeks=weeks), pl.lit(weeks)),
                     pl.format("live vaccine {} on {} within {} weeks before the screening visit {}", pl.col("cmtrt"),
                               pl.col("cmstdat"), pl.lit(weeks), pl.col("_scr")))


@check("ELIG-LIVE-VACCINE", "Live vaccine within the exclusion window before screening", "deviation", None,
       ("cm", "sv"), "A live vaccine (CMCAT VACCINE, CMLIVE Y) started within ProtocolParameters live_vaccine_weeks "
       "(4) weeks before the screening visit date.", reference=f"{REG} exclusion 12", fields=("CMSTDAT", "CMLIVE"),
       violation=v_live_vaccine)
def live_vaccine(ctx: Context) -> Findings:
    return report(v_live_vaccine(ctx), "CMSTDAT")


@shared
def v_pregnancy(ctx: Context) -> Violation:
    d = at_screening(ctx, "lb")
    if d is None:
        return "lb", None
    pos = [s.upper() for s in protocol(ctx.model).param_list("hcg_positive_results")]
    d = d.lazy().filter(pl.col("lbtestcd") == "HCG").with_columns(number("lborres").alias("_v"))
    positive = pl.col("lborres").cast(pl.Utf8).str.to_uppercase().is_in(pos) | \
        (pl.col("_v").is_not_null() & pl.col("lbornrhi").is_not_null() & (pl.col("_v") > pl.col("lbornrhi")))
    bad = d.filter(positive)
    return violation("lb", bad, pl.col("lborres"), pl.lit("negative"),
                     pl.format("positive pregnancy test {} at screening", pl.col("lborres")))


@check("ELIG-PREGNANCY", "Positive pregnancy test at screening", "deviation", None, ("lb",),
       "The blood pregnancy test (LBTESTCD HCG) at screening is positive: a result text in ProtocolParameters "
       "hcg_positive_results, or a number above the result's ULN.", reference=f"{REG} exclusion 13",
       fields=("LBORRES",),
       violation=v_pregnancy)
def pregnancy(ctx: Context) -> Findings:
    return report(v_pregnancy(ctx), "LBORRES")


# --- the eligibility form ----------------------------------------------------------------------------------

@check("ELIG-IE-CONTRADICTS", "Eligibility form says met, the data say not", "deviation", None,
       ("ie", "dm", "echo", "vs", "lb", "cm", "dx", "sledai", "mrss", "vas"),
       "A criterion recorded as met (IEORRES Y) is contradicted by a finding of the check that tests it against the "
       "data (EligibilityCriterion checked_by).", reference=f"{REG} eligibility criteria",
       fields=("IETESTCD", "IEORRES"))
def ie_contradicts(ctx: Context) -> Findings:
    ie, dm = ctx.indexed("ie"), subject_cohorts(ctx)
    if ie is None:
        return {}
    found = [v.lazy().select("subjid", "message", pl.lit(c.id).alias("check_id"))
             for c, fn in violations(ctx.model) if (v := fn(ctx)[1]) is not None]
    if not found:
        return {}
    crit = protocol(ctx.model).criteria().lazy().filter(pl.col("check_id").is_not_null())
    vs = keyed_like(pl.concat(found).join(crit, on="check_id"), ie, "ietestcd")
    if dm is not None:
        vs = vs.join(dm.lazy().select("subjid", pl.col("cohort").cast(pl.Utf8).alias("_cohort")), on="subjid",
                     how="left")
        vs = vs.filter(pl.col("cohort").is_null() | (pl.col("cohort") == pl.col("_cohort")))
    vs = vs.group_by("subjid", "ietestcd").agg(pl.col("check_id").unique().sort().str.join(", "),
                                               pl.col("message").sort_by("check_id").first())
    # one query: the contradicted records with the text their findings quote
    bad = ie.lazy().filter(pl.col("ieorres") == "Y").join(vs, on=["subjid", "ietestcd"]).sort("_idx").select(
        "_idx", pl.format("N (see {})", pl.col("check_id")).alias("_expected"),
        pl.format("{} recorded as met, but {}", pl.col("ietestcd"), pl.col("message")).alias("_message")) \
        .collect(engine=F.ENGINE)
    if bad.is_empty():
        return {}
    return {"ie": F.raw(_idx=bad["_idx"].to_list(), field="IEORRES", value="Y", expected=bad["_expected"].to_list(),
                        message=bad["_message"].to_list())}


def _screen_failures(ctx) -> list[str]:
    """Subjects with a screen-failure disposition (DispositionReason screen_failure) who were never dosed."""
    ds = ctx.indexed("ds")
    if ds is None:
        return []
    codes = [c for c, a in enum_annotations(ctx.model, "DispositionReason").items() if a.get("screen_failure")]
    # (nulls dropped in Python: a Series method is a query of its own)
    failed = set(ds.lazy().filter(pl.col("dsdecod").cast(pl.Utf8).is_in(codes)).select("subjid")
                 .collect(engine=F.ENGINE)["subjid"].to_list()) - {None}
    for form in ("ld", "ex"):
        dosed = ctx.indexed(form)
        if dosed is not None:
            failed -= set(dosed["subjid"].to_list())
    return sorted(failed)


@shared
def _not_met(ctx: Context) -> pl.DataFrame | None:
    """The unmet criteria of enrolled subjects with waiver_allowed and _w (a waiver recorded), read by two checks."""
    ie = ctx.indexed("ie")
    if ie is None:
        return None
    # eager: unique keeps any one row per code, and a lazy plan may pick another one than it always did
    crit = protocol(ctx.model).criteria().unique("ietestcd").select("ietestcd", "waiver_allowed").lazy()
    # A screen failure's unmet criterion is why it was not enrolled: listed, not a deviation.
    return ie.lazy().filter((pl.col("ieorres") == "N") & ~pl.col("subjid").is_in(_screen_failures(ctx))) \
        .join(keyed_like(crit, ie, "ietestcd"), on="ietestcd", how="left") \
        .with_columns(pl.col("waiver_allowed").fill_null(False), (pl.col("iewaiv") == "Y").fill_null(False).alias("_w")) \
        .collect(engine=F.ENGINE)


@check("ELIG-NOT-MET", "Criterion not met and no valid waiver", "deviation", None, ("ie", "ds", "ld", "ex"),
       "A subject was enrolled with a criterion recorded as not met (IEORRES N) without a waiver, or with a waiver "
       "for a criterion whose registration text allows none (EligibilityCriterion waiver_allowed). A screen failure "
       "(disposition DispositionReason screen_failure, never dosed) is not a deviation and is left out.",
       reference=f"{REG} eligibility criteria", fields=("IEORRES", "IEWAIV"))
def not_met(ctx: Context) -> Findings:
    d = _not_met(ctx)
    if d is None:
        return {}
    msg = pl.when(pl.col("_w")).then(pl.format("{} not met; a waiver was recorded but the registration allows none",
                                               pl.col("ietestcd"))) \
        .otherwise(pl.format("{} not met and no waiver recorded", pl.col("ietestcd")))
    bad = d.lazy().filter(~(pl.col("_w") & pl.col("waiver_allowed"))).select("_idx", msg.alias("_message")) \
        .collect(engine=F.ENGINE)
    if bad.is_empty():
        return {}
    return {"ie": F.raw(_idx=bad["_idx"].to_list(), field="IEORRES", value="N",
                        expected="Y", message=bad["_message"].to_list())}


@check("ELIG-NOT-MET-WAIVED", "Criterion not met, enrolled on an allowed waiver", "deviation", None,
       ("ie", "ds", "ld", "ex"),
       "A criterion recorded as not met (IEORRES N) with an investigator waiver (IEWAIV Y) where the registration "
       "allows one (EligibilityCriterion waiver_allowed): documented, not important.",
       reference=f"{REG} general inclusion 4; cohort adequate-treatment criteria", fields=("IEORRES", "IEWAIV"))
def not_met_waived(ctx: Context) -> Findings:
    d = _not_met(ctx)
    if d is None:
        return {}
    msg = pl.format("{} not met; enrolled on an investigator waiver: {}", pl.col("ietestcd"),
                    pl.col("iewaivr").fill_null("no reason given"))
    ok = d.lazy().filter(pl.col("_w") & pl.col("waiver_allowed")).select("_idx", msg.alias("_message")) \
        .collect(engine=F.ENGINE)
    if ok.is_empty():
        return {}
    return {"ie": F.raw(_idx=ok["_idx"].to_list(), field="IEWAIV", value="Y", expected="Y (waiver allowed)",
                        message=ok["_message"].to_list())}
