"""The check registry: every check with its metadata, the source of the check catalogue."""

from __future__ import annotations

from dataclasses import dataclass, field
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


def check(id: str, title: str, category: str, severity: str, forms, description: str,
          reference: str = "", fields=(), dvcat: str | None = None):
    """Decorator: register a function from a Context to {form domain: raw findings frame}."""

    def wrap(func):
        register(Check(id, title, category, severity, tuple(forms), description, reference, tuple(fields), func,
                       dvcat=dvcat))
        return func

    return wrap


def all_checks() -> list[Check]:
    import ecrf.validators  # noqa: F401  (importing registers the checks)

    return sorted(REGISTRY.values(), key=lambda c: (CATEGORIES.index(c.category), c.id))
