"""The check registry: every check with its metadata, the source of the check catalogue."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeAlias

import polars as pl

from ecrf.findings import SEVERITIES

if TYPE_CHECKING:
    from ecrf.engine import Context
    from ecrf.model import StudyModel

# The typed contract of a check: it reads the engine's Context (the model and the export's canonical tables) and
# returns {form domain: raw findings frame} (see ecrf.findings.RAW_SCHEMA); a runner's frames also carry check_id.
# Keyed by form domain; None for findings on the export as a whole (a missing form, an unknown file).
Findings: TypeAlias = Mapping[str, pl.DataFrame | None] | Mapping[str | None, pl.DataFrame | None]
CheckFunc: TypeAlias = Callable[["Context"], Findings | None]
# A rule's offending rows before they become findings: (form domain, frame of _idx, subjid, value, expected,
# message), or (domain, None). A check that declares one (`violation=`) lets another check reuse what it finds
# (ELIG-IE-CONTRADICTS holds every eligibility violation against the eligibility form).
Violation: TypeAlias = tuple[str, pl.DataFrame | None]
ViolationFunc: TypeAlias = Callable[["Context"], Violation]

CATEGORIES = ("structure", "range", "consistency", "deviation")
# A schema parameter: {Class.parameter} or {Enum.VALUE.annotation} in a check's description (the catalogue fills
# it in with the value in force), or "Class.parameter" in its `params`.
PLACEHOLDER = re.compile(r"\{([A-Za-z]\w*)\.(\w+)(?:\.(\w+))?\}")


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    category: str
    severity: str | None  # None: a deviation check whose importance the study schema gives (see bind)
    forms: tuple[str, ...]
    description: str
    reference: str = ""
    fields: tuple[str, ...] = ()
    # Items found by meaning, "form:role" (schema annotation `role`), so the check runs on any study that
    # annotates them.
    roles: tuple[str, ...] = ()
    func: CheckFunc | None = field(default=None, compare=False, repr=False)
    runner: str | None = None  # name of the runner that emits this check when it has no func of its own
    dvcat: str | None = None  # deviation category (informed consent, eligibility, ...) for deviation checks
    violation: ViolationFunc | None = field(default=None, compare=False, repr=False)
    # Schema parameters it reads beyond those its description quotes ("Class.parameter", "Enum.VALUE.annotation").
    params: tuple[str, ...] = ()

    def parameters(self) -> tuple[str, ...]:
        """Every schema parameter the check reads: those its description quotes, then those it declares."""
        quoted = [".".join(x for x in m.groups() if x) for m in PLACEHOLDER.finditer(self.description)]
        return tuple(dict.fromkeys((*quoted, *self.params)))

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"{self.id}: unknown category {self.category}")
        if self.severity is None and self.category != "deviation":
            raise ValueError(f"{self.id}: severity missing")
        if self.severity is not None and self.severity not in SEVERITIES:
            raise ValueError(f"{self.id}: unknown severity {self.severity}")


REGISTRY: dict[str, Check] = {}
# Functions that emit findings for several registered checks at once (their raw frames carry check_id).
RUNNERS: dict[str, CheckFunc] = {}


def register_runner(name: str, func: CheckFunc) -> None:
    RUNNERS[name] = func


def register(check: Check) -> Check:
    if check.id in REGISTRY:
        raise ValueError(f"check {check.id} registered twice")
    REGISTRY[check.id] = check
    return check


def deviation_classes(model: StudyModel | None = None) -> Mapping[str, tuple[str, str]]:
    """{check id: (importance, dvcat)} from the model's DeviationCheck enum (schema/protocol.yaml); empty when the
    study has none."""
    from ecrf.model import load_model

    return _deviation_classes(model or load_model())


@functools.lru_cache(maxsize=8)  # binding asks once per deviation check; a model is hashable by identity
def _deviation_classes(m: StudyModel) -> Mapping[str, tuple[str, str]]:
    from ecrf.params import enum_annotations

    if m.view.get_enum("DeviationCheck") is None:
        return MappingProxyType({})
    return MappingProxyType(
        {
            cid: (str(a.get("importance")), str(a.get("dvcat")))
            for cid, a in enum_annotations(m, "DeviationCheck").items()
        }
    )


@dataclass(frozen=True)
class NotApplicable:
    """A check the study model cannot support, and why (a form, item, role or parameter it lacks)."""

    check: Check
    reason: str


def bind(chk: Check, model: StudyModel) -> Check | NotApplicable:
    """The check as it applies to `model`: a deviation check's importance and category come from the model's
    schema (DeviationCheck); a check whose forms or fields the model lacks is NotApplicable.

    A decorator may still state importance and category (checks written before the schema held them): they must
    then agree with the schema's entry, or stand alone until an entry is added (tests/test_catalogue.py fails on
    a deviation check of the default study without one)."""
    missing = [f for f in chk.forms if f not in model.forms]
    if missing:
        return NotApplicable(chk, f"the study model has no form {', '.join(missing)}")
    titles = {i.title.upper() for f in chk.forms for i in model.forms[f].items} | {
        i.name.upper() for f in chk.forms for i in model.forms[f].items
    }
    lacking = [x for x in chk.fields if chk.forms and x.upper() not in titles]
    if lacking:
        return NotApplicable(chk, f"the study model has no item {', '.join(lacking)} on {', '.join(chk.forms)}")
    unroled = [r for r in chk.roles if _role_item(model, r) is None]
    if unroled:
        return NotApplicable(chk, f"the study model has no item with role {', '.join(unroled)}")
    unset = [p for p in chk.parameters() if not _has_parameter(model, p)]
    if unset:
        return NotApplicable(chk, f"the study model has no parameter {', '.join(unset)}")
    if chk.category != "deviation":
        return chk
    entry = deviation_classes(model).get(chk.id)
    if entry is None:
        if chk.severity is None or chk.dvcat is None:
            return NotApplicable(chk, "no DeviationCheck entry in the study schema")
        return chk
    for given, want, what in ((chk.severity, entry[0], "importance"), (chk.dvcat, entry[1], "dvcat")):
        if given is not None and given != want:
            raise ValueError(f"{chk.id}: {what} {given!r} in the decorator, {want!r} in the schema (DeviationCheck)")
    return replace(chk, severity=entry[0], dvcat=entry[1])


def _has_parameter(model: StudyModel, name: str) -> bool:
    """Whether the schema sets `name`: "Class.parameter" (a class annotation) or "Enum.VALUE.annotation"."""
    from ecrf.params import ParameterError, class_parameter, enum_parameter

    parts = name.split(".")
    try:
        if len(parts) == 2:
            class_parameter(model, parts[0], parts[1])
        else:
            enum_parameter(model, parts[0], parts[1], parts[2])
    except ParameterError:
        return False
    return True


def _role_item(model: StudyModel, form_role: str) -> str | None:
    """The item with that role on that form ("ae:start_date"), or on any form ("*:death_date")."""
    return next(iter(_role_items(model, form_role)), (None, None))[1]


def _role_items(model: StudyModel, form_role: str) -> list[tuple[str, str]]:
    domain, _, role = form_role.partition(":")
    return [(d, name) for d, name in model.items_with_role(role) if domain in ("*", d)]


def role_fields(chk: Check, model: StudyModel) -> tuple[str, ...]:
    """The items the check reads in `model`: those it names, then those it finds by role (as titles)."""
    found = []
    for r in chk.roles:
        found += [model.forms[d].item(name).title for d, name in _role_items(model, r)[:1]]
    return tuple(dict.fromkeys((*chk.fields, *found)))


def bind_all(model: StudyModel | None = None) -> list[Check | NotApplicable]:
    """Every registered check bound to `model` (default: the default study), in catalogue order."""
    from ecrf.model import load_model

    m = model or load_model()
    return [bind(c, m) for c in registered()]


def check(
    id: str,
    title: str,
    category: str,
    severity: str | None,
    forms: Sequence[str],
    description: str,
    reference: str = "",
    fields: Sequence[str] = (),
    dvcat: str | None = None,
    roles: Sequence[str] = (),
    violation: ViolationFunc | None = None,
    params: Sequence[str] = (),
) -> Callable[[CheckFunc], CheckFunc]:
    """Decorator: register a function from a Context to {form domain: raw findings frame}.

    For a deviation check pass severity=None and no dvcat: both are read from the schema (DeviationCheck).
    `violation`: the function the check reports from, for other checks to reuse (see `violations`).
    `params`: schema parameters it reads that its description does not quote as {Class.parameter}; with the
    quoted ones, the check is not applicable to a study whose schema lacks one."""

    def wrap(func: CheckFunc) -> CheckFunc:
        register(
            Check(
                id,
                title,
                category,
                severity,
                tuple(forms),
                description,
                reference,
                tuple(fields),
                tuple(roles),
                func,
                dvcat=dvcat,
                violation=violation,
                params=tuple(params),
            )
        )
        return func

    return wrap


def registered() -> list[Check]:
    """Every registered check as declared (a deviation check's importance unresolved), in catalogue order."""
    import ecrf.validators  # noqa: F401  (importing registers the checks)

    return sorted(REGISTRY.values(), key=lambda c: (CATEGORIES.index(c.category), c.id))


def violations(model: StudyModel) -> list[tuple[Check, ViolationFunc]]:
    """The checks that declare a violation and apply to `model`, bound to it, in catalogue order."""
    found = [(bind(c, model), c.violation) for c in registered() if c.violation is not None]
    return [(c, v) for c, v in found if isinstance(c, Check)]


def all_checks(model: StudyModel | None = None) -> list[Check]:
    """The checks that apply to `model` (default: the default study), bound to it."""
    return [c for c in bind_all(model) if isinstance(c, Check)]
