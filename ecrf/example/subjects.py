"""Synthetic subjects of the example export: identity, cohort, body size and visit calendar.

Everything is drawn from one random.Random, never from the clock, so a seed always gives the same export.
The numbers here describe made-up children, not protocol rules: thresholds the checks use live in schema/.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from ecrf.example.plan import StudyPlan

STUDY_START = date(2025, 12, 3)
ENROLMENT_DAYS = 180  # consent dates spread over the first six months, whatever the number of subjects
SUBJECTS_PER_SITE = 999  # SUBJID is site-subject with three digits for the subject
MAX_SITES = 99  # SITEID has two digits (01-99)
MAX_SUBJECTS = MAX_SITES * SUBJECTS_PER_SITE  # 98,901: what the SUBJID format NN-NNN can number
MAX_AGE = 17  # a paediatric study: nearly everyone is a minor at consent
ADULT_AGE = 18  # the first vasculitis subject is an adult: the registration's AAV cohort admits 18+ (BVAS from 18)
ADULT_COHORT = "AAV"
WITHDRAWAL_FROM = 24  # exports of this many subjects or more have one subject withdrawn after the last visit


@dataclass
class Subject:
    index: int
    siteid: str
    subjid: str
    cohort: str
    sex: str
    age: int
    birth: date
    brthdat: str  # as collected: full date, or year-month for some subjects
    height: float
    weight: float
    chbrpot: str
    consent: date
    phase: str
    doselvl: str
    visits: dict = field(default_factory=dict)  # visit code -> date
    withdrawn: date | None = None  # withdrawn by the guardian after the last visit of the export

    @property
    def keys(self) -> dict:
        return {"siteid": self.siteid, "subjid": self.subjid}

    @property
    def d0(self) -> date:
        return self.visits["D0"]

    @property
    def bsa(self) -> float:
        """Mosteller body surface area in m2, the formula the LD form records."""
        from ecrf.clinical.bsa import mosteller

        return round(mosteller(self.height, self.weight), 2)

    def age_on(self, when: date) -> int:
        return when.year - self.birth.year - ((when.month, when.day) < (self.birth.month, self.birth.day))


def make_subjects(n: int, rng: random.Random, plan: StudyPlan) -> list[Subject]:
    if n > MAX_SUBJECTS:  # a larger export would number sites and subjects outside their formats
        raise ValueError(f"at most {MAX_SUBJECTS:,} subjects fit the SITEID/SUBJID formats")
    n_sites = max(2, math.ceil(n / SUBJECTS_PER_SITE))
    youngest = min(plan.cohorts, key=lambda c: plan.min_age[c])
    subjects = [_subject(i, n, n_sites, rng, plan, youngest) for i in range(n)]
    if n >= WITHDRAWAL_FROM:  # one withdrawal, so the follow-up allowed after it appears in larger exports
        last = subjects[n // 2]
        last.withdrawn = max(last.visits.values()) + timedelta(days=rng.randint(10, 30))
    return subjects


def _subject(i, n, n_sites, rng, plan: StudyPlan, youngest: str) -> Subject:
    cohort = plan.cohorts[i % len(plan.cohorts)]
    lo = plan.min_age[cohort]
    # The first subject is 17 and the first of the youngest cohort at its minimum age, so even a small
    # export spans the whole age range.
    age = MAX_AGE if i == 0 else lo if i == plan.cohorts.index(youngest) else rng.randint(lo, MAX_AGE)
    if cohort == ADULT_COHORT and i == plan.cohorts.index(cohort):  # after the draw, so the draws stay the same
        age = ADULT_AGE
    sex = rng.choice(plan.sexes)
    consent = STUDY_START + timedelta(days=(i * ENROLMENT_DAYS) // max(n, 1) + rng.randint(0, 3))
    birth = _birth_date(consent, age, rng)
    partial = i % 4 == 3 and birth.month != consent.month  # year-month only, still unambiguous for AGE
    height = round(_height(age, sex) * rng.uniform(0.94, 1.06), 1)
    weight = round((height / 100) ** 2 * rng.uniform(14.5, 21.5), 1)
    scr = consent + timedelta(days=rng.randint(0, 7))
    d0 = scr + timedelta(days=rng.randint(14, 21))
    first_ld_day = min(day for _, days in plan.ld_plan.values() for day in days)
    visits = {plan.schedule[0]: scr, "LD": d0 + timedelta(days=first_ld_day)}
    visits |= {v: d0 + timedelta(days=d) for v, d in plan.visit_days.items()}
    escalation = i < n // 2
    return Subject(
        index=i,
        siteid=f"{i % n_sites + 1:02d}",
        subjid=f"{i % n_sites + 1:02d}-{i // n_sites + 1:03d}",
        cohort=cohort,
        sex=sex,
        age=age,
        birth=birth,
        brthdat=birth.isoformat()[:7] if partial else birth.isoformat(),
        height=height,
        weight=weight,
        chbrpot="Y" if sex == "F" and age >= 12 else "NA",
        consent=consent,
        phase="ESCALATION" if escalation else "EXPANSION",
        doselvl=_dose_level(i, n, escalation, tuple(plan.cells_per_kg)),
        visits=visits,
    )


def _dose_level(i: int, n: int, escalation: bool, levels: tuple[str, ...]) -> str:
    """Escalation walks up the dose levels in enrolment order; expansion uses the middle level."""
    if not escalation:
        return levels[len(levels) // 2]
    return levels[len(levels) * i // max(n // 2, 1) % len(levels)]


def _birth_date(consent: date, age: int, rng: random.Random) -> date:
    """A birth date that makes the subject exactly `age` completed years old at consent."""
    last_birthday = consent - timedelta(days=rng.randint(1, 360))
    try:
        return last_birthday.replace(year=last_birthday.year - age)
    except ValueError:  # 29 February
        return last_birthday.replace(year=last_birthday.year - age, day=28)


def _height(age: int, sex: str) -> float:
    """Rough median height in cm for a child of this age (growth-chart shape, not a reference)."""
    h = 77 + 6.2 * age if age <= 12 else 151 + (5.5 if sex == "M" else 2.0) * (min(age, 17) - 12)
    return h
