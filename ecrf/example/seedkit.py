"""What every module of clinical seeds shares: the seed record and small selectors over the export being seeded.

Kept apart from seeding.py so that the seed modules (seeds_*.py) import this, and seeding.py imports them,
in one direction only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

FULL_DATE = r"^\d{4}-\d{2}-\d{2}$"


@dataclass(frozen=True)
class Clinical:
    check_id: str
    changes: frozenset[str]  # form tokens (see seeding._overlap) whose records the seed edits
    reads: frozenset[str]  # further form tokens the fired check (or a check it may disturb) reads for the subject
    candidates: Callable[..., Any]  # export -> subjects that can carry the error
    apply: Callable[..., Any]  # (export, subject, rng) -> [(check_id, form, field, value reported)]
    description: str


def forms(*names: str) -> frozenset[str]:
    return frozenset(names)


def at_screening(ex: Any) -> pl.Expr:
    return pl.col("VISIT") == ex.protocol.screening_visit


def cohort_subjects(ex: Any, cohort: str) -> list[str]:
    return ex.subjects("dm", pl.col("COHORT") == cohort)


def seriousness(ex: Any, met: str) -> dict[str, str]:
    """The seriousness criteria (ae items with role seriousness) of a serious event, titled: `met` Y, others N."""
    return {i.title: "Y" if i.name == met else "N" for i in ex.model.forms["ae"].items if i.role == "seriousness"}
