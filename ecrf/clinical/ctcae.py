"""CTCAE v5.0 grade of a lab result from its value, reference range and baseline (schema/ctcae.yaml).

A grade's thresholds are tokens: a number, ULN*k, LLN*k, ULN+k or BASE*k (all in the test's SI unit). A grade
is met when any of its thresholds is crossed strictly, upwards for an H term, downwards for an L term; the
grade is the highest one met. Results are compared with a relative tolerance: a value within it of a threshold
may carry either neighbouring grade, so the checks compute the lowest and the highest grade a result allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import polars as pl

from ecrf.clinical.labcatalogue import catalogue
from ecrf.model import StudyModel, load_model
from ecrf.params import enum_annotations

ENUM = "CtcaeLabTerm"
GRADES = (1, 2, 3, 4)


@dataclass(frozen=True)
class Term:
    code: str
    direction: str                          # H or L
    grades: dict[int, tuple[str, ...]]      # grade -> thresholds
    abnormal: dict[int, tuple[str, ...]]    # the same when the baseline is above its ULN
    max_grade: int

    @property
    def top_lab_grade(self) -> int:
        return max(self.grades)

    def needs(self, ref: str) -> bool:
        return any(t.startswith(ref) for ts in self.grades.values() for t in ts)


@lru_cache(maxsize=4)
def terms(model: StudyModel | None = None) -> dict[str, Term]:
    out = {}
    for code, a in enum_annotations(model or load_model(), ENUM).items():
        def grades(prefix):
            return {g: tuple(str(a[f"{prefix}{g}"]).split()) for g in GRADES if f"{prefix}{g}" in a}
        out[code] = Term(code, a["direction"], grades("grade"), grades("abnormal_baseline_grade"), int(a["max_grade"]))
    return out


@lru_cache(maxsize=4)
def terms_by_test(model: StudyModel | None = None) -> dict[str, tuple[Term, ...]]:
    """Lab test code -> the CTCAE terms grading it (a decrease and/or an increase)."""
    t = terms(model)
    return {code: tuple(t[x] for x in lt.ctcae) for code, lt in catalogue(model).items() if lt.ctcae}


def _threshold(token: str, lln, uln, base):
    """The threshold a token stands for, from reference values (expressions or numbers)."""
    for ref, value in (("ULN", uln), ("LLN", lln), ("BASE", base)):
        if token.startswith(ref):
            op, k = token[len(ref)], float(token[len(ref) + 1:])
            if value is None:
                return None
            return value * k if op == "*" else value + k
    return float(token)


# --- polars: lowest and highest grade a (possibly censored) result allows -----------------------------------

def _crossed(term: Term, tokens, lo, hi, lln, uln, base, tol: float, strict: bool) -> pl.Expr:
    hits = []
    for tok in tokens:
        t = _threshold(tok, lln, uln, base)
        t = pl.lit(t) if not isinstance(t, pl.Expr) else t
        margin = t.abs() * tol
        if term.direction == "H":
            hits.append(lo > t + margin if strict else hi > t - margin)
        else:
            hits.append(hi < t - margin if strict else lo < t + margin)
    return pl.any_horizontal([h.fill_null(False) for h in hits])


def _grade(term: Term, lo, hi, lln, uln, base, abnormal_base, tol, strict) -> pl.Expr:
    e = None
    for g in sorted(term.grades, reverse=True):
        met = _crossed(term, term.grades[g], lo, hi, lln, uln, base, tol, strict)
        if g in term.abnormal:
            met = (pl.when(abnormal_base).then(_crossed(term, term.abnormal[g], lo, hi, lln, uln, base, tol, strict))
                   .otherwise(met))
        e = (pl.when(met) if e is None else e.when(met)).then(pl.lit(g))
    return e.otherwise(pl.lit(0))


def grade_range(code: str, lo, hi, lln, uln, base, abnormal_base, model: StudyModel | None = None,
                     tol: float = 0.0) -> tuple[pl.Expr, pl.Expr, pl.Expr] | None:
    """(lowest grade, highest grade, gradable) of results of one test lying in [lo, hi] (SI unit), with their
    reference limits lln/uln and baseline in SI, abnormal_base true when the baseline is above its ULN; None
    when no CTCAE term grades the test. Above the last grade with a lab threshold, grades need clinical facts:
    the highest grade is then the term's maximum. Not gradable: a reference limit a threshold needs is missing."""
    ts = terms_by_test(model).get(code)
    if not ts:
        return None
    abnormal_base = abnormal_base.fill_null(False) & base.is_not_null()
    low = pl.max_horizontal([_grade(t, lo, hi, lln, uln, base, abnormal_base, tol, True) for t in ts])
    highs = []
    for t in ts:
        g = _grade(t, lo, hi, lln, uln, base, abnormal_base, tol, False)
        highs.append(pl.when(g >= t.top_lab_grade).then(pl.lit(t.max_grade)).otherwise(g))
    need = pl.lit(True)
    for t in ts:
        if t.needs("ULN"):
            need = need & uln.is_not_null()
        if t.needs("LLN"):
            need = need & lln.is_not_null()
    return low, pl.max_horizontal(highs), need


def grade_range_exprs(test, lo, hi, lln, uln, base, abnormal_base, model: StudyModel | None = None,
                      tol: float = 0.0) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """grade_range for a column of test codes (every mapped test); not gradable for other tests."""
    gmin = gmax = ok = None
    for code in terms_by_test(model):
        low, high, need = grade_range(code, lo, hi, lln, uln, base, abnormal_base, model, tol)
        is_test = test == code
        gmin = (pl.when(is_test) if gmin is None else gmin.when(is_test)).then(low)
        gmax = (pl.when(is_test) if gmax is None else gmax.when(is_test)).then(high)
        ok = (pl.when(is_test) if ok is None else ok.when(is_test)).then(need)
    return gmin.otherwise(None), gmax.otherwise(None), ok.otherwise(pl.lit(False))


# --- plain numbers: the grade of an exact value -------------------------------------------------------------

def grade(test: str, value: float, lln: float | None = None, uln: float | None = None, base: float | None = None,
          abnormal_base: bool = False, model: StudyModel | None = None) -> int | None:
    """The CTCAE grade of an exact value in SI (strict thresholds, no tolerance); None when not gradable."""
    ts = terms_by_test(model).get(test)
    if not ts or any((t.needs("ULN") and uln is None) or (t.needs("LLN") and lln is None) for t in ts):
        return None
    best = 0
    for t in ts:
        for g in sorted(t.grades, reverse=True):
            tokens = t.abnormal[g] if abnormal_base and base is not None and g in t.abnormal else t.grades[g]
            thresholds = [x for x in (_threshold(k, lln, uln, base) for k in tokens) if x is not None]
            if any(value > x if t.direction == "H" else value < x for x in thresholds):
                best = max(best, g)
                break
    return best
