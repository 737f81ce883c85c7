"""Body surface area (m2), Mosteller; the divisor comes from schema/clinical.yaml."""

from __future__ import annotations

import polars as pl

from ecrf.clinical._eval import scalar
from ecrf.model import StudyModel, load_model
from ecrf.params import class_parameter


def mosteller_expr(height_cm, weight_kg, model: StudyModel | None = None) -> pl.Expr:
    div = class_parameter(model or load_model(), "BodySurfaceArea", "mosteller_divisor")
    h = height_cm if isinstance(height_cm, pl.Expr) else pl.lit(height_cm)
    w = weight_kg if isinstance(weight_kg, pl.Expr) else pl.lit(weight_kg)
    return (h.cast(pl.Float64) * w.cast(pl.Float64) / div).sqrt()


def mosteller(height_cm: float, weight_kg: float, model: StudyModel | None = None) -> float | None:
    return scalar(mosteller_expr(height_cm, weight_kg, model))
