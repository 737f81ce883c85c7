"""The check registry: every check with its metadata, the source of the check catalogue."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

CATEGORIES = ("structure", "range", "consistency", "deviation")
SEVERITIES = ("error", "warning", "important", "non-important")


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    category: str
    severity: str
    forms: tuple[str, ...]
    description: str
    reference: str = ""
    fields: tuple[str, ...] = ()
    func: Callable | None = field(default=None, compare=False, repr=False)
    runner: str | None = None  # name of the runner that emits this check when it has no func of its own
    dvcat: str | None = None  # deviation category (informed consent, eligibility, ...) for deviation checks

    def __post_init__(self):
        if self.category not in CATEGORIES:
            raise ValueError(f"{self.id}: unknown category {self.category}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.id}: unknown severity {self.severity}")


REGISTRY: dict[str, Check] = {}
# Functions that emit findings for several registered checks at once (their raw frames carry check_id).
RUNNERS: dict[str, Callable] = {}


def register_runner(name: str, func: Callable) -> None:
    RUNNERS[name] = func


def register(check: Check) -> Check:
    if check.id in REGISTRY:
        raise ValueError(f"check {check.id} registered twice")
    REGISTRY[check.id] = check
    return check


@lru_cache(maxsize=1)
def deviation_classes() -> dict[str, tuple[str, str]]:
    """{check id: (importance, dvcat)} from the schema's DeviationCheck enum (schema/protocol.yaml)."""
    from ecrf.model import load_model
    from ecrf.params import enum_annotations

    return {cid: (str(a.get("importance")), str(a.get("dvcat")))
            for cid, a in enum_annotations(load_model(), "DeviationCheck").items()}


def _classify(id: str, category: str, severity: str | None, dvcat: str | None) -> tuple[str, str | None]:
    """A deviation check's importance and category come from the schema. A decorator may still state them (checks
    written before the schema held them): they must then agree with the schema's entry, or stand alone until
    an entry is added (tests/test_catalogue.py fails on a deviation check without one)."""
    if category != "deviation":
        if severity is None:
            raise ValueError(f"{id}: severity missing")
        return severity, dvcat
    entry = deviation_classes().get(id)
    if entry is None:
        if severity is None or dvcat is None:
            raise ValueError(f"{id}: deviation check without a DeviationCheck entry in the schema")
        return severity, dvcat
    for given, want, what in ((severity, entry[0], "importance"), (dvcat, entry[1], "dvcat")):
        if given is not None and given != want:
            raise ValueError(f"{id}: {what} {given!r} in the decorator, {want!r} in the schema (DeviationCheck)")
    return entry


def check(id: str, title: str, category: str, severity: str | None, forms, description: str,
          reference: str = "", fields=(), dvcat: str | None = None):
    """Decorator: register a function from a Context to {form domain: raw findings frame}.

    For a deviation check pass severity=None and no dvcat: both are read from the schema (DeviationCheck)."""

    def wrap(func):
        sev, cat = _classify(id, category, severity, dvcat)
        register(Check(id, title, category, sev, tuple(forms), description, reference, tuple(fields), func,
                       dvcat=cat))
        return func

    return wrap


def all_checks() -> list[Check]:
    import ecrf.validators  # noqa: F401  (importing registers the checks)

    return sorted(REGISTRY.values(), key=lambda c: (CATEGORIES.index(c.category), c.id))
