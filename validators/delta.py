"""Within-subject plausibility: height and weight between consecutive measurements (delta checks).

A change beyond what a child can grow or shed in the time between two measurements is a typing error, a unit
mix-up (inches, pounds) or another child's measurement. Limits come from GrowthPlausibility in
schema/timing.yaml. The measurement to query is the odd one: a single wrong value between good ones is reported
once (not again on the good value after it), a lasting step once where it starts, and a wrong first value of a
series of three or more on that first value; with two measurements only, the later one is queried.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from collections.abc import Callable

import polars as pl

from ecrf import findings as F
from ecrf.params import class_parameter
from ecrf.registry import Findings, check
from ecrf.validators.consistency_dates import collect

if TYPE_CHECKING:
    from ecrf.engine import Context

REF = "GrowthPlausibility in schema/timing.yaml; Tanner and Davies J Pediatr 1985;107:317 (height velocity)"

# (earlier value, earlier date, later value, later date) -> the change between them is implausible
Implausible = Callable[[pl.Expr, pl.Expr, pl.Expr, pl.Expr], pl.Expr]


def _p(ctx, key: str) -> float:
    return float(class_parameter(ctx.model, "GrowthPlausibility", key))


def _months(d0: pl.Expr, d1: pl.Expr, ctx) -> pl.Expr:
    return (d1 - d0).dt.total_days() / _p(ctx, "days_per_month")


def _series(ctx, item: str) -> pl.DataFrame | None:
    """The subject's measurements of `item` in date order, with the two before and after each (v_1, v_2: earlier;
    n1, n2: later) and their dates."""
    vs = ctx.indexed("vs")
    if vs is None:
        return None
    d = vs.filter(pl.col(item).is_not_null() & pl.col("vsdat").is_not_null()) \
        .select("_idx", "subjid", "vsdat", pl.col("vsdat").alias("_d"), pl.col(item).alias("_v")).sort("subjid", "vsdat", "_idx")
    # Sorted by subject, each subject's rows are together: a shift is the subject's own neighbour where the row
    # shifted in has the same subject (null included), as shift().over("subjid") gives without grouping again
    # for each of the eight columns.
    shifts = []
    for name, k in (("p1", 1), ("p2", 2), ("n1", -1), ("n2", -2)):
        same = pl.col("subjid").shift(k).eq_missing(pl.col("subjid"))
        shifts += [pl.when(same).then(pl.col("_v").shift(k)).alias(f"_v{name}"),
                   pl.when(same).then(pl.col("vsdat").shift(k)).alias(f"_d{name}")]
    return d.with_columns(shifts)


def _odd(off: Implausible) -> pl.Expr:
    """Whether the measurement is the one to query (see the module docstring)."""
    def d(a: str, b: str) -> pl.Expr:  # the change from position a to position b ("" is this measurement)
        return off(pl.col(f"_v{a}"), pl.col(f"_d{a}"), pl.col(f"_v{b}"), pl.col(f"_d{b}")).fill_null(False)

    first_is_odd = pl.col("_vp1").is_null() & d("", "n1") & pl.col("_vn2").is_not_null() & ~d("n1", "n2")
    prev_was_odd = (pl.col("_vp2").is_not_null() & d("p2", "p1") & ~d("p2", "")) | \
        (pl.col("_vp2").is_null() & d("p1", "") & pl.col("_vn1").is_not_null() & ~d("", "n1"))
    return first_is_odd | (d("p1", "") & ~prev_was_odd)


def _report(ctx, item: str, title: str, unit: str, off: Implausible,
            bounds: Callable[[pl.Expr, pl.Expr], tuple[pl.Expr, pl.Expr]]):
    """Findings on the odd measurements; bounds(months, first) gives the plausible range (low, high) around the
    neighbour compared with (`_o`), `first` telling that the neighbour is the later measurement."""
    s = _series(ctx, item)
    if s is None:
        return {}
    bad = s.filter(_odd(off)).with_columns(
        # compare with the neighbour it disagrees with: the earlier one, or (a first measurement) the later one
        pl.when(pl.col("_vp1").is_null()).then(pl.col("_vn1")).otherwise(pl.col("_vp1")).alias("_o"),
        pl.when(pl.col("_vp1").is_null()).then(pl.col("_dn1")).otherwise(pl.col("_dp1")).alias("_od")).sort("_idx")
    months = (pl.col("vsdat") - pl.col("_od")).dt.total_days().abs() / _p(ctx, "days_per_month")
    lo, hi = bounds(months, pl.col("_vp1").is_null())
    return collect([("vs", F.from_frame(
        bad, title, pl.col("_v"), pl.format(f"from {{}} to {{}} {unit}", lo.round(1), hi.round(1)),
        pl.format(f"{title} {{}} {unit} on {{}} against {{}} {unit} on {{}} ({{}} month(s) apart): a change beyond "
                  "the plausible rate", pl.col("_v"), pl.col("vsdat"), pl.col("_o"), pl.col("_od"),
                  months.round(1))))])


@check("VS-HEIGHT-DELTA", "Height change beyond the growth rate", "consistency", "warning", ("vs",),
       "Between two consecutive height measurements of a subject (vital signs in date order), height falls by more "
       "than GrowthPlausibility height_loss_max_cm ({GrowthPlausibility.height_loss_max_cm} cm) or rises by more than "
       "height_gain_max_cm ({GrowthPlausibility.height_gain_max_cm} cm) plus height_velocity_max_cm_per_year "
       "({GrowthPlausibility.height_velocity_max_cm_per_year} cm/year) for the time between them. Height feeds the "
       "body surface area and so the lymphodepletion doses. The odd measurement is reported: a single wrong value "
       "once, not again on the good one after it.",
       reference=REF, fields=("HEIGHT", "VSDAT"))
def height_delta(ctx: Context) -> Findings:
    loss, gain, per_year = (_p(ctx, k) for k in ("height_loss_max_cm", "height_gain_max_cm",
                                                 "height_velocity_max_cm_per_year"))

    def off(v0, d0, v1, d1):
        years = _months(d0, d1, ctx) / 12
        return ((v0 - v1) > loss) | ((v1 - v0) > gain + per_year * years)

    def bounds(months, first):
        grow = gain + per_year * months / 12
        o = pl.col("_o")
        return pl.when(first).then(o - grow).otherwise(o - loss), pl.when(first).then(o + loss).otherwise(o + grow)
    return _report(ctx, "height", "HEIGHT", "cm", off, bounds)


@check("VS-WEIGHT-DELTA", "Weight change beyond a plausible rate", "consistency", "warning", ("vs",),
       "Between two consecutive weight measurements of a subject (vital signs in date order), weight changes by "
       "more than GrowthPlausibility weight_change_max_pct ({GrowthPlausibility.weight_change_max_pct}%) of the "
       "earlier weight plus weight_change_pct_per_month ({GrowthPlausibility.weight_change_pct_per_month}% per "
       "month) for the time between them: a misplaced decimal or pounds for kilograms, not oedema, capillary leak or "
       "glucocorticoid weight gain. Weight feeds the KN5601-K dose. The odd measurement is reported: a single wrong "
       "value once, not again on the good one after it.",
       reference=REF, fields=("WEIGHT", "VSDAT"))
def weight_delta(ctx: Context) -> Findings:
    base, per_month = _p(ctx, "weight_change_max_pct"), _p(ctx, "weight_change_pct_per_month")

    def off(v0, d0, v1, d1):
        return (v1 - v0).abs() > v0 * (base + per_month * _months(d0, d1, ctx).abs()) / 100

    def bounds(months, first):
        pct = (base + per_month * months) / 100
        o = pl.col("_o")
        # the change is a share of the earlier weight: the neighbour itself, or (a first measurement) the one reported
        return pl.when(first).then(o / (1 + pct)).otherwise(o * (1 - pct)), \
            pl.when(first).then(o / (1 - pct.clip(upper_bound=0.99))).otherwise(o * (1 + pct))
    return _report(ctx, "weight", "WEIGHT", "kg", off, bounds)
