"""Clinical seeds for the lab catalogue, unit, limit and grade checks, and the vital-sign bands (see
ecrf.example.seeding for how seeds are placed). Each seed edits one lab test ("lb:CRP") or one vital sign
("vs:PULSE"), so several fit on one subject; an edited result keeps its indicator and CTCAE grade consistent,
so only the intended check fires."""

from __future__ import annotations

import polars as pl

from ecrf.clinical.ctcae import grade
from ecrf.clinical.labcatalogue import catalogue
from ecrf.clinical.labresult import NUMBER, parse
from ecrf.example.seedkit import Clinical
from ecrf.example.seedkit import forms as _f
from ecrf.params import class_parameter, enum_annotations


def _baseline_visit(ex) -> str:
    return class_parameter(ex.model, "LabChecks", "baseline_visit")


def _lab_rows(ex, subject: str, test: str, where: pl.Expr | None = None) -> pl.DataFrame:
    cond = (pl.col("SUBJID") == subject) & (pl.col("LBTESTCD") == test)
    return ex.rows("lb", cond if where is None else cond & where)


def _later(test: str, extra: pl.Expr | None = None):
    """Subjects with a result of `test` after the baseline visit (optionally matching `extra`)."""
    def candidates(ex):
        w = (pl.col("LBTESTCD") == test) & (pl.col("VISIT") != _baseline_visit(ex))
        return ex.subjects("lb", w if extra is None else w & extra)
    return candidates


def regrade(ex, subject: str, test: str) -> None:
    """Recompute LBTOXGR of a subject's results of `test` (in SI units), e.g. after its baseline was edited."""
    rows = _lab_rows(ex, subject, test)
    high = str(class_parameter(ex.model, "LabChecks", "high_indicators")).split()
    base_rows = rows.filter(pl.col("VISIT") == _baseline_visit(ex))
    base = float(base_rows["LBORRES"][0]) if base_rows.height and parse(base_rows["LBORRES"][0])["status"] == NUMBER \
        else None
    base_high = bool(base_rows.height) and base_rows["LBNRIND"][0] in high
    for r in rows.iter_rows(named=True):
        later = r["VISIT"] != _baseline_visit(ex)
        try:
            value, lln, uln = float(r["LBORRES"]), float(r["LBORNRLO"]), float(r["LBORNRHI"])
        except ValueError:  # not an exact number with its range: left as generated
            continue
        g = grade(test, value, lln, uln, base if later else None, base_high and later, ex.model)
        if g is not None:
            ex.set("lb", r["_i"], LBTOXGR=str(g))


def _wrong_unit(ex, subject, rng):
    row = ex.pick("lb", subject, rng, pl.col("LBTESTCD") == "PLAT")
    allowed = set(catalogue(ex.model)["PLAT"].units)
    unit = next(u for u in ex.model.forms["lb"].item("lborresu").codes if u not in allowed)
    ex.set("lb", row["_i"], LBORRESU=unit)
    return [("LAB-UNIT", "lb", "LBORRESU", unit)]


def _beyond_hard(ex, subject, rng):
    row = ex.pick("lb", subject, rng, pl.col("LBTESTCD") == "CRP")
    hard_high = catalogue(ex.model)["CRP"].hard[1]
    v = f"{hard_high * 1.2:g}"
    ex.set("lb", row["_i"], LBORRES=v, LBNRIND="HIGH")
    return [("LAB-HARD-LIMIT", "lb", "LBORRES", v)]


def _outside_soft(ex, subject, rng):
    # After the baseline, so the edited haemoglobin grades only itself (anaemia needs no baseline anyway).
    row = ex.pick("lb", subject, rng, (pl.col("LBTESTCD") == "HGB") & (pl.col("VISIT") != _baseline_visit(ex)))
    soft_low = catalogue(ex.model)["HGB"].soft[0]
    v = f"{soft_low - 5:g}"
    g = grade("HGB", float(v), float(row["LBORNRLO"]), float(row["LBORNRHI"]), model=ex.model)
    ex.set("lb", row["_i"], LBORRES=v, LBNRIND="LOW", LBTOXGR=str(g))
    return [("LAB-SOFT", "lb", "LBORRES", v)]


def _wrong_indicator(ex, subject, rng):
    row = ex.pick("lb", subject, rng, (pl.col("LBTESTCD") == "NEUT") & (pl.col("LBNRIND") == "NORMAL"))
    ex.set("lb", row["_i"], LBNRIND="HIGH")
    return [("LAB-NRIND", "lb", "LBNRIND", "HIGH")]


def _wrong_grade(ex, subject, rng):
    row = ex.pick("lb", subject, rng, (pl.col("LBTESTCD") == "LYM") & (pl.col("LBTOXGR") == "0"))
    ex.set("lb", row["_i"], LBTOXGR="3")
    return [("LAB-CTCAE", "lb", "LBTOXGR", "3")]


def _fast_pulse(ex, subject, rng):
    age = int(ex.rows("dm", pl.col("SUBJID") == subject)["AGE"][0])
    band = next(a for a in enum_annotations(ex.model, "VitalSignAgeBand").values()
                if a["min_age"] <= age < a["max_age"])
    row = ex.pick("vs", subject, rng, ~pl.col("VISIT").is_in(["SCR", "LD"]) & (pl.col("PULSE") != ""))
    v = str(int(band["pulse_high"]) + 20)
    ex.set("vs", row["_i"], PULSE=v)
    return [("VS-SOFT", "vs", "PULSE", v)]


CLINICAL = (
    Clinical("LAB-UNIT", _f("lb:PLAT"), _f(), lambda ex: ex.subjects("lb", pl.col("LBTESTCD") == "PLAT"), _wrong_unit,
             "platelet count reported in a unit the catalogue does not allow for it"),
    Clinical("LAB-HARD-LIMIT", _f("lb:CRP"), _f(), lambda ex: ex.subjects("lb", pl.col("LBTESTCD") == "CRP"),
             _beyond_hard, "CRP 20% above its hard upper limit"),
    Clinical("LAB-SOFT", _f("lb:HGB"), _f(), _later("HGB"), _outside_soft,
             "haemoglobin 5 g/L below the query band (grade and indicator consistent)"),
    Clinical("LAB-NRIND", _f("lb:NEUT"), _f(), lambda ex: ex.subjects("lb", (pl.col("LBTESTCD") == "NEUT")
                                                                     & (pl.col("LBNRIND") == "NORMAL")),
             _wrong_indicator, "normal neutrophil count flagged HIGH"),
    Clinical("LAB-CTCAE", _f("lb:LYM"), _f(), lambda ex: ex.subjects("lb", (pl.col("LBTESTCD") == "LYM")
                                                                    & (pl.col("LBTOXGR") == "0")),
             _wrong_grade, "normal lymphocyte count recorded as CTCAE grade 3"),
    Clinical("VS-SOFT", _f("vs:PULSE"), _f("dm"),
             lambda ex: ex.subjects("vs", ~pl.col("VISIT").is_in(["SCR", "LD"])), _fast_pulse,
             "heart rate 20 beats per minute above the plausible band for the age"),
)
