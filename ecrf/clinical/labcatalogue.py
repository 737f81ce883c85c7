"""The lab test catalogue of schema/labs.yaml (LabTestCode annotations) as small lookup frames.

`units` annotations read "unit=factor unit=factor": the factor converts a value in that unit to the test's
SI unit (SI = value x factor).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import polars as pl

from ecrf.model import StudyModel, load_model
from ecrf.numbers import to_number
from ecrf.params import enum_annotations

ENUM = "LabTestCode"


@dataclass(frozen=True)
class LabTest:
    code: str
    name: str
    loinc: str | None
    si_unit: str | None
    units: dict[str, float]  # unit -> factor to SI
    hard: tuple[float | None, float | None]
    soft: tuple[float | None, float | None]
    result_codes: tuple[str, ...]
    ctcae: tuple[str, ...]  # CtcaeLabTerm codes (decrease, increase)
    description: str
    source: str = ""

    @property
    def qualitative(self) -> bool:
        return bool(self.result_codes)


def parse_units(text: str | None) -> dict[str, float]:
    out = {}
    for pair in str(text or "").split():
        unit, _, factor = pair.rpartition("=")
        out[unit] = float(factor)
    return out


@lru_cache(maxsize=4)
def catalogue(model: StudyModel | None = None) -> dict[str, LabTest]:
    m = model or load_model()
    e = m.view.get_enum(ENUM)
    out = {}
    for code, a in enum_annotations(m, ENUM).items():
        out[code] = LabTest(
            code=code, name=str(a.get("name", code)), loinc=a.get("loinc"), si_unit=a.get("si_unit"),
            units=parse_units(a.get("units")), hard=(to_number(a.get("hard_low"), strict=True), to_number(a.get("hard_high"), strict=True)),
            soft=(to_number(a.get("soft_low"), strict=True), to_number(a.get("soft_high"), strict=True)),
            result_codes=tuple(str(a.get("result_codes", "")).split()),
            ctcae=tuple(a[k] for k in ("ctcae_low", "ctcae_high") if a.get(k)),
            description=e.permissible_values[code].description or "", source=str(a.get("source", "")))
    return out


def units_frame(model: StudyModel | None = None) -> pl.DataFrame:
    """(lbtestcd, lborresu, _factor): every allowed unit of every test."""
    rows = [(t.code, u, f) for t in catalogue(model).values() for u, f in t.units.items()]
    return pl.DataFrame(rows, schema={"lbtestcd": pl.Utf8, "lborresu": pl.Utf8, "_factor": pl.Float64}, orient="row")


def limits_frame(model: StudyModel | None = None) -> pl.DataFrame:
    """(lbtestcd, _si_unit, _hard_lo, _hard_hi, _soft_lo, _soft_hi, _qualitative) per test."""
    rows = [(t.code, t.si_unit, *t.hard, *t.soft, t.qualitative) for t in catalogue(model).values()]
    return pl.DataFrame(rows, schema={"lbtestcd": pl.Utf8, "_si_unit": pl.Utf8, "_hard_lo": pl.Float64,
                                      "_hard_hi": pl.Float64, "_soft_lo": pl.Float64, "_soft_hi": pl.Float64,
                                      "_qualitative": pl.Boolean}, orient="row")
