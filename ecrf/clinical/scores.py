"""Score totals from their items: SLEDAI-2K (weighted), mRSS, PVAS/BVAS, ICE and CAPD; the SLEDAI-2K lab rules.

Which item belongs to which instrument, the SLEDAI-2K weights and the lab thresholds come from
schema/scores.yaml. Each total is a polars expression over item columns (for the checks) with a plain twin over
a dict of item values (for tests and users). A total is null when any of its items is missing or unreadable:
it is never computed from part of the items.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

import polars as pl

from ecrf.model import StudyModel, load_model
from ecrf.params import enum_annotations

PRESENT, ABSENT = "Y", "N"


def _m(model: StudyModel | None) -> StudyModel:
    return model or load_model()


def sledai_weights(model: StudyModel | None = None) -> dict[str, int]:
    """{sledai item: weight} of the 24 descriptors."""
    return {a["item"]: int(a["weight"]) for a in enum_annotations(_m(model), "SledaiDescriptor").values()}


def sledai_items(model: StudyModel | None = None) -> dict[str, str]:
    """{descriptor code: sledai item}."""
    return {c: a["item"] for c, a in enum_annotations(_m(model), "SledaiDescriptor").items()}


def mrss_items(model: StudyModel | None = None) -> list[str]:
    return [a["item"] for a in enum_annotations(_m(model), "MrssSite").values()]


def vas_items(model: StudyModel | None = None) -> tuple[list[str], list[str]]:
    """(new/worse system items, persistent system items), in system order."""
    a = enum_annotations(_m(model), "VasculitisSystem").values()
    return [x["new_worse_item"] for x in a], [x["persistent_item"] for x in a]


def ice_items(model: StudyModel | None = None) -> list[str]:
    return [a["item"] for a in enum_annotations(_m(model), "IceTask").values()]


def capd_items(model: StudyModel | None = None) -> list[str]:
    return [a["item"] for a in enum_annotations(_m(model), "CapdItem").values()]


def _strict_sum(terms: list[pl.Expr]) -> pl.Expr:
    """Sum that is null when any term is null (pl.sum_horizontal would skip them)."""
    return reduce(lambda a, b: a + b, terms)


def item_sum_expr(items: list[str]) -> pl.Expr:
    """The sum of integer item columns; null if any item is missing."""
    return _strict_sum([pl.col(i).cast(pl.Int64, strict=False) for i in items])


def sledai_total_expr(model: StudyModel | None = None) -> pl.Expr:
    """SLEDAI-2K: the weights of the descriptors recorded Y; null if any descriptor is not Y or N."""
    return _strict_sum([pl.when(pl.col(i) == PRESENT).then(pl.lit(w, pl.Int64))
                        .when(pl.col(i) == ABSENT).then(pl.lit(0, pl.Int64)) for i, w in sledai_weights(model).items()])


def _one(items: dict, expr: pl.Expr) -> int | None:
    row = {k: [None if v in (None, "") else str(v)] for k, v in items.items()}
    df = pl.DataFrame(row, schema={k: pl.Utf8 for k in row})
    v = df.select(expr.alias("v")).item()
    return None if v is None else int(v)


def _need(items: dict, names: list[str]) -> dict:
    return {n: items.get(n) for n in names}


def sledai_total(items: dict, model: StudyModel | None = None) -> int | None:
    """SLEDAI-2K total from {item: "Y"/"N"}; None if a descriptor is missing."""
    return _one(_need(items, list(sledai_weights(model))), sledai_total_expr(model))


def mrss_total(items: dict, model: StudyModel | None = None) -> int | None:
    names = mrss_items(model)
    return _one(_need(items, names), item_sum_expr(names))


def vas_totals(items: dict, model: StudyModel | None = None) -> tuple[int | None, int | None]:
    """(new/worse total VASTOT, persistent total VASPERS) from the system scores."""
    nw, pe = vas_items(model)
    return _one(_need(items, nw), item_sum_expr(nw)), _one(_need(items, pe), item_sum_expr(pe))


def ice_total(items: dict, model: StudyModel | None = None) -> int | None:
    names = ice_items(model)
    return _one(_need(items, names), item_sum_expr(names))


def capd_total(items: dict, model: StudyModel | None = None) -> int | None:
    names = capd_items(model)
    return _one(_need(items, names), item_sum_expr(names))


# --- SLEDAI-2K lab descriptors -----------------------------------------------------------------------------

@dataclass(frozen=True)
class LabCriterion:
    code: str
    descriptor: str
    item: str             # the sledai item of the descriptor
    source: str           # "lb" (test is LBTESTCD) or "prot" (test is PROTMETH)
    test: str
    rule: str             # above | below (threshold in unit) | below_lln | above_uln (the result's own range)
    threshold: float | None
    unit: str | None
    needs_every_test: bool


def sledai_lab_criteria(model: StudyModel | None = None) -> list[LabCriterion]:
    items = sledai_items(model)
    out = []
    for code, a in enum_annotations(_m(model), "SledaiLabCriterion").items():
        out.append(LabCriterion(code, a["descriptor"], items[a["descriptor"]], a["source"], str(a["test"]),
                                a["rule"], None if "threshold" not in a else float(a["threshold"]),
                                a.get("unit"), a.get("needs_every_test") is True))
    return out


def lab_abnormal(rule: str, value: float, threshold: float | None = None, lo: float | None = None,
                 hi: float | None = None) -> bool | None:
    """Whether one numeric result meets a SLEDAI-2K lab descriptor; None when it cannot be judged.
    The plain twin of lab_abnormal_expr, for the example generator and users."""
    limit = {"above": threshold, "below": threshold, "below_lln": lo, "above_uln": hi}.get(rule)
    if limit is None or value is None:
        return None
    return value > limit if rule in ("above", "above_uln") else value < limit


def lab_abnormal_expr(rule: pl.Expr, value: pl.Expr, threshold: pl.Expr, lo: pl.Expr, hi: pl.Expr) -> pl.Expr:
    """Strict comparisons, as SLEDAI-2K writes them (> 0.5 g/24 h, < 100 x 10^9/L, below the lower limit);
    `rule` may be a column, so criteria of several kinds are judged in one pass."""
    return (pl.when(rule == "above").then(value > threshold)
            .when(rule == "below").then(value < threshold)
            .when(rule == "below_lln").then(value < lo)
            .when(rule == "above_uln").then(value > hi))
