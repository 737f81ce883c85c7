"""Clinical seeds for the disease-score item and total checks (see ecrf.example.seeding for how seeds are placed).

A total seed changes one item and leaves the recorded total, so the total stops adding up while every threshold
and grade read from the total stays as it was. Each seed works on one visit of its form (tokens like
"sledai:M3"), so seeds on different visits can share a subject.
"""

from __future__ import annotations

import polars as pl

from ecrf.clinical.scores import (ABSENT, PRESENT, capd_items, ice_items, mrss_items, sledai_lab_criteria,
                                  sledai_weights, vas_items)
from ecrf.example.score_items import caps, sledai_lab_item_names
from ecrf.example.seedkit import Clinical
from ecrf.example.seedkit import forms as _f

TOTAL_VISIT = "M3"     # where the total seeds sit
OTHER_VISIT = "M6"     # where the lab and instrument seeds sit


def _at(visit: str) -> pl.Expr:
    return pl.col("VISIT") == visit


def _nudge(domain: str, total: str, items, check_id: str, where):
    """Move one item by a point (up if it has room, else down) on a record where(ex) selects; the recorded total
    stays and is reported."""
    def apply(ex, subject, rng):
        row = ex.pick(domain, subject, rng, where(ex))
        limits = caps(ex.model, domain, items(ex.model))
        item = rng.choice(sorted(limits))
        v = int(row[item.upper()])
        ex.set(domain, row["_i"], **{item.upper(): str(v + 1 if v < limits[item] else v - 1)})
        return [(check_id, domain, total.upper(), row[total.upper()])]
    return apply


def _complete(items) -> pl.Expr:
    return pl.all_horizontal([pl.col(i.upper()).str.contains(r"^[0-9]+$").fill_null(False) for i in items])


def _with(domain: str, where) -> callable:
    return lambda ex: ex.subjects(domain, where(ex))


def _visit(visit: str):
    return lambda ex: _at(visit)


def _tool(tool: str, items):
    return lambda ex: (pl.col("ICANSTOOL") == tool) & _complete(items(ex.model))


def _sledai_uncounted(ex, subject, rng):
    """A clinical descriptor recorded present but left out of the total."""
    row = ex.pick("sledai", subject, rng, _at(TOTAL_VISIT))
    labs = set(sledai_lab_item_names(ex.model))
    free = sorted(i for i in sledai_weights(ex.model) if i not in labs and row[i.upper()] == ABSENT)
    ex.set("sledai", row["_i"], **{rng.choice(free).upper(): PRESENT})
    return [("SCORE-SLEDAI-TOTAL", "sledai", "SLEDAITOT", row["SLEDAITOT"])]


def _platelet_ok(ex) -> pl.Expr:
    units = [c.unit for c in sledai_lab_criteria(ex.model) if c.item == "slthromb"]
    limit = min(c.threshold for c in sledai_lab_criteria(ex.model) if c.item == "slthromb")
    return (pl.col("LBTESTCD") == "PLAT") & _at(OTHER_VISIT) & pl.col("LBORRESU").is_in(units) \
        & (pl.col("LBORRES").cast(pl.Float64, strict=False) >= limit)


def _thrombocytopenia_candidates(ex):
    normal = set(ex.subjects("lb", _platelet_ok(ex)))
    return [x for x in ex.subjects("sledai", _at(OTHER_VISIT) & (pl.col("SLTHROMB") == ABSENT)) if x in normal]


def _thrombocytopenia(ex, subject, rng):
    """Thrombocytopenia recorded (and counted) at a visit whose platelets are normal."""
    row = ex.pick("sledai", subject, rng, _at(OTHER_VISIT))
    total = int(row["SLEDAITOT"]) + sledai_weights(ex.model)["slthromb"]
    ex.set("sledai", row["_i"], SLTHROMB=PRESENT, SLEDAITOT=str(total))
    return [("SCORE-SLEDAI-LAB", "sledai", "SLTHROMB", PRESENT)]


def _adult_instrument(ex, subject, rng):
    row = ex.pick("vas", subject, rng, _at(OTHER_VISIT) & (pl.col("VASINST") == "PVAS"))
    ex.set("vas", row["_i"], VASINST="BVAS")
    return [("SCORE-VAS-INSTRUMENT", "vas", "VASINST", "BVAS")]


def _new_worse(model):
    return vas_items(model)[0]


CLINICAL = (
    Clinical("SCORE-SLEDAI-TOTAL", _f(f"sledai:{TOTAL_VISIT}"), _f(), _with("sledai", _visit(TOTAL_VISIT)),
             _sledai_uncounted, "SLEDAI-2K descriptor recorded present but not counted in the total"),
    Clinical("SCORE-SLEDAI-LAB", _f(f"sledai:{OTHER_VISIT}"), _f("lb:PLAT"), _thrombocytopenia_candidates,
             _thrombocytopenia, "SLEDAI-2K thrombocytopenia recorded at a visit with normal platelets"),
    Clinical("SCORE-MRSS-TOTAL", _f(f"mrss:{TOTAL_VISIT}"), _f(), _with("mrss", _visit(TOTAL_VISIT)),
             _nudge("mrss", "mrsstot", mrss_items, "SCORE-MRSS-TOTAL", _visit(TOTAL_VISIT)),
             "mRSS site score changed without the total"),
    Clinical("SCORE-VAS-TOTAL", _f(f"vas:{TOTAL_VISIT}"), _f(), _with("vas", _visit(TOTAL_VISIT)),
             _nudge("vas", "vastot", _new_worse, "SCORE-VAS-TOTAL", _visit(TOTAL_VISIT)),
             "PVAS/BVAS new or worse system score changed without the total"),
    Clinical("SCORE-VAS-INSTRUMENT", _f(f"vas:{OTHER_VISIT}"), _f("dm"),
             _with("vas", lambda ex: _at(OTHER_VISIT) & (pl.col("VASINST") == "PVAS")), _adult_instrument,
             "adult BVAS used to score a child after screening"),
    Clinical("SCORE-ICE-TOTAL", _f("icans:ICE"), _f(), _with("icans", _tool("ICE", ice_items)),
             _nudge("icans", "icescore", ice_items, "SCORE-ICE-TOTAL", _tool("ICE", ice_items)),
             "ICE task score changed without the ICE score"),
    Clinical("SCORE-CAPD-TOTAL", _f("icans:CAPD"), _f(), _with("icans", _tool("CAPD", capd_items)),
             _nudge("icans", "capdscore", capd_items, "SCORE-CAPD-TOTAL", _tool("CAPD", capd_items)),
             "CAPD item score changed without the CAPD total"),
)
