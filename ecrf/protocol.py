"""Typed access to the protocol parameters in schema/ (protocol.yaml and enum annotations).

The deviation checks read every threshold, window, dose and day from here; the values and their sources
live in the schema, so a protocol amendment is one YAML edit. A missing parameter raises ParameterError.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import polars as pl

from ecrf.model import StudyModel
from ecrf.params import ParameterError, annotation_values, class_parameter, enum_annotations, listed

PARAMETERS_CLASS = "ProtocolParameters"


@dataclass(frozen=True)
class VisitWindow:
    target_day: int
    before: int
    after: int


@dataclass(frozen=True)
class LymphodepletionDose:
    mg_per_m2_per_day: float
    days: tuple[int, ...]
    tolerance_pct: float


@dataclass(frozen=True)
class RenalAdjustment:
    """A lymphodepleting drug's dose factor for kidney function in [min_egfr, max_egfr) (mL/min)."""
    code: str
    drug: str
    min_egfr: float
    max_egfr: float
    dose_factor: float


@dataclass(frozen=True)
class DoseLevel:
    cells_per_kg: float
    tolerance_pct: float


@dataclass(frozen=True)
class Assessment:
    code: str
    form: str
    visits: tuple[str, ...]
    tests: tuple[str, ...] = ()      # lab tests, for the lb form
    cohorts: tuple[str, ...] = ()    # empty: every cohort


@dataclass(frozen=True)
class Prohibited:
    code: str
    item: str
    values: tuple[str, ...]
    anchor: str


@dataclass(frozen=True)
class Protocol:
    model: StudyModel

    def __hash__(self):
        return id(self.model)

    def param(self, key: str):
        """One eligibility threshold or schedule anchor of ProtocolParameters, e.g. param("lvef_min")."""
        return class_parameter(self.model, PARAMETERS_CLASS, key)

    def param_list(self, key: str) -> list[str]:
        return listed(self.param(key))

    @property
    def screening_visit(self) -> str:
        return str(self.param("screening_visit"))

    def min_age(self) -> dict[str, int]:
        """{cohort: minimum age in years}."""
        return {c: _need(a, "min_age", f"Cohort.{c}") for c, a in enum_annotations(self.model, "Cohort").items()}

    def visit_windows(self) -> dict[str, VisitWindow]:
        """Visits with a target day after day 0; visits without one (SCR, UNS, ...) are left out."""
        return {c: VisitWindow(int(a["target_day"]), int(_need(a, "window_before", f"VisitCode.{c}")),
                               int(_need(a, "window_after", f"VisitCode.{c}")))
                for c, a in enum_annotations(self.model, "VisitCode").items() if "target_day" in a}

    def lymphodepletion(self) -> dict[str, LymphodepletionDose]:
        out = {}
        for c, a in enum_annotations(self.model, "LymphodepletionDrug").items():
            where = f"LymphodepletionDrug.{c}"
            days = tuple(int(d) for d in str(_need(a, "days", where)).split(","))
            out[c] = LymphodepletionDose(float(_need(a, "mg_per_m2_per_day", where)), days,
                                         float(_need(a, "dose_tolerance_pct", where)))
        return out

    def renal_adjustments(self) -> list[RenalAdjustment]:
        """Dose reductions for reduced kidney function (LymphodepletionRenalAdjustment); none when the study's
        schema has no such enum."""
        if self.model.view.get_enum("LymphodepletionRenalAdjustment") is None:
            return []
        out = []
        for c, a in enum_annotations(self.model, "LymphodepletionRenalAdjustment").items():
            where = f"LymphodepletionRenalAdjustment.{c}"
            out.append(RenalAdjustment(c, str(_need(a, "drug", where)), float(_need(a, "min_crcl", where)),
                                       float(_need(a, "max_crcl", where)), float(_need(a, "dose_factor", where))))
        return out

    def dose_levels(self) -> dict[str, DoseLevel]:
        return {c: DoseLevel(float(_need(a, "cells_per_kg", f"DoseLevel.{c}")),
                             float(_need(a, "dose_tolerance_pct", f"DoseLevel.{c}")))
                for c, a in enum_annotations(self.model, "DoseLevel").items()}

    def schedule(self) -> list[Assessment]:
        """The schedule of assessments (ScheduledAssessment in schema/schedule.yaml)."""
        out = []
        for c, a in enum_annotations(self.model, "ScheduledAssessment").items():
            where = f"ScheduledAssessment.{c}"
            out.append(Assessment(c, str(_need(a, "form", where)), _split(_need(a, "visits", where)),
                                  _split(a.get("tests", "")), _split(a.get("cohorts", ""))))
        return out

    def prohibited(self) -> list[Prohibited]:
        """Medications prohibited during the study (ProhibitedMedication in schema/schedule.yaml)."""
        return [Prohibited(c, str(_need(a, "item", f"ProhibitedMedication.{c}")),
                           _split(_need(a, "values", f"ProhibitedMedication.{c}")),
                           str(_need(a, "from", f"ProhibitedMedication.{c}")))
                for c, a in enum_annotations(self.model, "ProhibitedMedication").items()]

    def infections(self) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
        """{infection: (screening tests, confirmatory tests)} of exclusion 5 (InfectionExclusion)."""
        return {c: (_split(_need(a, "screen", f"InfectionExclusion.{c}")), _split(a.get("confirm", "")))
                for c, a in enum_annotations(self.model, "InfectionExclusion").items()}

    def criterion_annotations(self) -> dict[str, dict]:
        return enum_annotations(self.model, "EligibilityCriterion")

    def criteria(self) -> pl.DataFrame:
        """One row per (criterion, check id that tests it): ietestcd, cohort (null = all), waiver_allowed, check_id."""
        rows = []
        for code, pv in self.model.view.get_enum("EligibilityCriterion").permissible_values.items():
            a = annotation_values(pv)
            checks: list[str | None] = [*listed(a.get("checked_by", ""))] or [None]
            for cid in checks:
                rows.append({"ietestcd": code, "cohort": a.get("cohort"),
                             "waiver_allowed": str(a.get("waiver_allowed", "false")).lower() == "true",
                             "check_id": cid})
        return pl.DataFrame(rows, schema={"ietestcd": pl.Utf8, "cohort": pl.Utf8, "waiver_allowed": pl.Boolean,
                                          "check_id": pl.Utf8})


def _split(v) -> tuple[str, ...]:
    return tuple(listed(v))


def _need(a: dict, key: str, where: str):
    if key not in a:
        raise ParameterError(f"parameter {key} missing on {where} in the schema")
    return a[key]


@lru_cache(maxsize=4)
def protocol(model: StudyModel) -> Protocol:
    return Protocol(model)
