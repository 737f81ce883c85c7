"""Read clinical numbers from the schema: annotations on enums, classes and slots.

Every threshold, weight, factor and window lives in schema/ with its source; Python asks for it by name
here, so a protocol amendment changes one YAML line. A missing parameter is a schema defect: fail loudly.
"""

from __future__ import annotations

from ecrf.model import StudyModel
from ecrf.numbers import to_number


class ParameterError(KeyError):
    def __str__(self) -> str:  # the message as written, not KeyError's quoted repr
        return str(self.args[0]) if self.args else ""


def _value(raw):
    v = raw.value if hasattr(raw, "value") else raw
    f = to_number(v) if isinstance(v, str) else None
    if f is None:
        return v
    return int(f) if f.is_integer() and "." not in v and "e" not in v.lower() else f


def annotation_values(element) -> dict:
    """All annotations of a schema element as plain Python values (numbers parsed)."""
    return {k: _value(a) for k, a in (getattr(element, "annotations", None) or {}).items()}


def enum_annotations(model: StudyModel, enum: str) -> dict[str, dict]:
    """{permissible value: {annotation: value}} for one enum."""
    e = model.view.get_enum(enum)
    if e is None:
        raise ParameterError(f"enum {enum} not in the schema")
    return {code: annotation_values(pv) for code, pv in e.permissible_values.items()}


def listed(value, sep: str = ",") -> list[str]:
    """An annotation holding several codes ("A, B"): its stripped, non-empty items."""
    return [x.strip() for x in str(value).split(sep) if x.strip()]


def class_parameter(model: StudyModel, cls: str, key: str):
    """One annotation of a class, e.g. class_parameter(m, "KidneyFunction", "creatinine_umol_per_mgdl")."""
    c = model.view.get_class(cls)
    if c is None:
        raise ParameterError(f"class {cls} not in the schema")
    a = annotation_values(c)
    if key not in a:
        raise ParameterError(f"parameter {key} missing on class {cls} in the schema")
    return a[key]


def enum_parameter(model: StudyModel, enum: str, code: str, key: str):
    a = enum_annotations(model, enum).get(code)
    if a is None or key not in a:
        raise ParameterError(f"parameter {key} missing on {enum}.{code} in the schema")
    return a[key]
