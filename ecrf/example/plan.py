"""What the example needs from the study model: codes, schedule, doses and entry thresholds.

All of it is read from schema/ (through ecrf.protocol), so the example follows a protocol amendment
without edits here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecrf.model import StudyModel
from ecrf.params import enum_parameter
from ecrf.protocol import protocol

LAST_VISIT = "M12"  # the example's data cut-off: every subject followed up to month 12


@dataclass(frozen=True)
class StudyPlan:
    model: StudyModel
    studyid: str
    cohorts: tuple[str, ...]
    sexes: tuple[str, ...]
    min_age: dict          # cohort -> minimum age in years
    visit_days: dict       # visit code -> study day after D0, D0 up to LAST_VISIT
    schedule: tuple        # SCR, LD, then visit_days
    ld_plan: dict          # drug -> (mg/m2/day, study days)
    cells_per_kg: dict     # dose level -> cells/kg
    thresholds: dict       # protocol parameter -> value (entry scores, LVEF, SpO2, adult age)

    def visitnum(self, visit: str) -> str:
        """The visit's VISITNUM from the schema (VisitCode visitnum)."""
        return str(enum_parameter(self.model, "VisitCode", visit, "visitnum"))


def study_plan(model: StudyModel) -> StudyPlan:
    p = protocol(model)
    dm = model.forms["dm"]
    days = {}
    for code, w in p.visit_windows().items():
        days[code] = w.target_day
        if code == LAST_VISIT:
            break
    names = ("sledai_min", "mrss_min", "vas_min", "vas_adult_age", "lvef_min", "spo2_min")
    return StudyPlan(
        model=model,
        studyid=dm.item("studyid").equals,
        cohorts=dm.item("cohort").codes,
        sexes=tuple(c for c in dm.item("sex").codes if c != "U"),
        min_age=p.min_age(),
        visit_days=days,
        schedule=(p.screening_visit, "LD", *days),
        ld_plan={d: (x.mg_per_m2_per_day, x.days) for d, x in p.lymphodepletion().items()},
        cells_per_kg={lvl: x.cells_per_kg for lvl, x in p.dose_levels().items()},
        thresholds={n: p.param(n) for n in names},
    )
