"""A longitudinal REDCap project built from the schema: data dictionary, arms, events, instrument-event
mapping and repeating-instrument settings, each as the CSV REDCap imports (docs/redcap.md).

Conventions (stable; the REDCap reader relies on them):
- one instrument per form, named after the form class in snake case (AdverseEvent -> adverse_event);
- the record id `record_id` is SUBJID and comes first; STUDYID is the project itself, SITEID the data access
  group, VISIT the event (one event per VisitCode, `<code>_arm_1`), so these are not fields;
- an item keeps its schema name; a name used by several forms (HEIGHT, VISITNUM, AESEQ) is prefixed with the
  form's domain (`vs_height`), so field names stay unique, lower case and at most 26 characters;
- subject-level forms sit on the screening event (disposition and death on end of study), visit forms on the
  events of the schedule of assessments, every visit form also on the unscheduled and end-of-study events;
- a form with several records per subject (or per visit) is a repeating instrument, and so is every form on
  the unscheduled-visit event.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache

from ecrf.model import Form, Item, StudyModel
from ecrf.numbers import format_number

HEADER = ("Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
          "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
          "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
          "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
          "Matrix Ranking?", "Field Annotation")
RECORD_ID = "record_id"
ARM = 1
MAX_NAME = 26
# Keys REDCap itself carries: the record (SUBJID), the project (STUDYID), the data access group (SITEID) and
# the event (VISIT).
STRUCTURAL = {"subjid": RECORD_ID, "studyid": None, "siteid": None, "visit": None}
SUBJECT_EVENT = "SCR"
END_EVENT = "EOS"
END_FORMS = ("ds", "dd")  # collected when the subject leaves the study
UNSCHEDULED = "UNS"
PARTIAL_DATE_NOTE = "YYYY, YYYY-MM or YYYY-MM-DD"
_SAFE_CODE = re.compile(r"^[A-Za-z0-9_]+$")


def instrument(form: Form) -> str:
    """REDCap instrument name of a form: the class name in snake case."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", form.name).lower()


def event(visit: str) -> str:
    """REDCap unique event name of a visit code (arm 1)."""
    return f"{visit.lower()}_arm_{ARM}"


@dataclass(frozen=True)
class Field:
    """One REDCap field: the form and item it carries."""

    name: str
    form: Form
    item: Item


@lru_cache(maxsize=4)
def fields(model: StudyModel) -> tuple[Field, ...]:
    """Every REDCap field of the project, record id first, in schema order."""
    counts: dict[str, int] = {}
    for f in model.forms.values():
        for i in f.items:
            counts[i.name] = counts.get(i.name, 0) + 1
    out: list[Field] = []
    for f in model.forms.values():
        for i in f.items:
            if i.name in STRUCTURAL:
                if STRUCTURAL[i.name] == RECORD_ID and not out:
                    out.append(Field(RECORD_ID, f, i))
                continue
            name = i.name if counts[i.name] == 1 else f"{f.domain}_{i.name}"
            out.append(Field(name.lower(), f, i))
    names = [x.name for x in out]
    bad = [n for n in names if len(n) > MAX_NAME or not re.fullmatch(r"[a-z][a-z0-9_]*", n)]
    if bad or len(set(names)) != len(names):
        raise ValueError(f"REDCap field names not valid or not unique: {bad or names}")
    return tuple(out)


def visit_form(form: Form) -> bool:
    return "visitnum" in form.keys


def repeating(form: Form) -> bool:
    """Several records per subject (subject-level log) or per visit (e.g. one per lab test)."""
    base = ("subjid", "visitnum") if visit_form(form) else ("subjid",)
    return tuple(form.keys) != base


def choices(model: StudyModel, codelist: str) -> tuple[list[tuple[str, str]], bool]:
    """[(raw code, label)] of a codelist, and whether the codes are positional.

    REDCap raw codes may hold only letters, digits and underscores; a codelist with other codes (units such as
    mg/kg) gets its position (1, 2, ...) as the raw code and the schema code as the label."""
    e = model.view.get_enum(codelist)
    codes = list(e.permissible_values.items())
    positional = not all(_SAFE_CODE.match(c) for c, _ in codes)
    out = []
    for n, (code, pv) in enumerate(codes, 1):
        label = " ".join((pv.description or code).split())
        if positional:
            out.append((str(n), code))
        else:
            out.append((code, label.replace("|", "/")))
    return out, positional


def _row(model: StudyModel, fld: Field) -> list[str]:
    i, f = fld.item, fld.form
    ftype, choice, note, valid, lo, hi = "text", "", "", "", "", ""
    annot = [f"CDASH={i.title}"]
    if fld.name == RECORD_ID:
        label = "Subject identifier (SUBJID)"
    else:
        label = " ".join((i.description or i.title).split())
    if i.kind == "enum":
        # a multi-select is a checkbox field: REDCap exports one 0/1 column per code, `<field>___<code>`
        ftype = "checkbox" if i.multivalued else "dropdown" if len(i.codes) > 3 else "radio"
        pairs, positional = choices(model, i.codelist)
        choice = " | ".join(f"{c}, {lab}" for c, lab in pairs)
        annot.append(f"CODELIST={i.codelist}" + (" (raw code = position, label = code)" if positional else ""))
    elif i.kind == "full_date":
        valid, note = "date_ymd", "YYYY-MM-DD"
    elif i.kind == "partial_date":
        note = PARTIAL_DATE_NOTE
        annot.append(f"PARTIAL-DATE: {PARTIAL_DATE_NOTE}")
    elif i.kind in ("integer", "decimal"):
        valid = "integer" if i.kind == "integer" else "number"
        lo = "" if i.minimum is None else format_number(i.minimum)
        hi = "" if i.maximum is None else format_number(i.maximum)
        note = i.unit or ""
    elif i.pattern and fld.name != RECORD_ID:
        annot.append(f"PATTERN={i.pattern}")
    if fld.name == RECORD_ID and i.pattern:
        annot.append(f"PATTERN={i.pattern}")
    required = "y" if i.required and fld.name != RECORD_ID else ""
    identifier = "y" if i.name == "brthdat" else ""
    return [fld.name, instrument(f), "", ftype, label, choice, note, valid, lo, hi, identifier, "", required,
            "", "", "", "", " ".join(annot)]


def _csv(header, rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def render(model: StudyModel) -> str:
    """The data dictionary (Online Designer > Data Dictionary > upload)."""
    return _csv(HEADER, [_row(model, f) for f in fields(model)])


def checkbox_column(field: str, code: str) -> str:
    """The export column of one choice of a checkbox field, as REDCap names it (code lower case, '-' and '.'
    as '_')."""
    return f"{field}___{code.lower().replace('-', '_').replace('.', '_')}"


def visits(model: StudyModel) -> list[str]:
    return list(model.view.get_enum("VisitCode").permissible_values)


def render_arms(model: StudyModel) -> str:
    """One arm, named after the study (its STUDYID)."""
    from ecrf.odm import studyid

    return _csv(("arm_num", "name"), [(ARM, studyid(model))])


def render_events(model: StudyModel) -> str:
    """Events (Define My Events > upload): one per visit, with the target day and window of the schedule."""
    from ecrf.params import enum_annotations

    rows = []
    for code, a in enum_annotations(model, "VisitCode").items():
        day = a.get("target_day", "")
        rows.append((code, ARM, day, a.get("window_before", ""), a.get("window_after", ""), event(code), ""))
    return _csv(("event_name", "arm_num", "day_offset", "offset_min", "offset_max", "unique_event_name",
                 "custom_event_label"), rows)


def mapping(model: StudyModel) -> list[tuple[str, str]]:
    """[(visit code, domain)]: which form is designated for which event."""
    from ecrf.params import enum_annotations

    due: dict[str, set[str]] = {}
    for a in enum_annotations(model, "ScheduledAssessment").values():
        due.setdefault(a["form"], set()).update(str(a["visits"]).split(","))
    out = []
    for v in visits(model):
        for f in model.forms.values():
            if visit_form(f):
                on = f.domain == "sv" or v in due.get(f.domain, ()) or v in (UNSCHEDULED, END_EVENT)
            else:
                on = v == (END_EVENT if f.domain in END_FORMS else SUBJECT_EVENT)
            if on:
                out.append((v, f.domain))
    return out


def render_mapping(model: StudyModel) -> str:
    """Instrument-event mapping (Designate Instruments for My Events > upload)."""
    return _csv(("arm_num", "unique_event_name", "form"),
                [(ARM, event(v), instrument(model.forms[d])) for v, d in mapping(model)])


def render_repeating(model: StudyModel) -> str:
    """Repeating instruments (Project Setup > Repeating instruments and events > upload): log forms and forms
    with one record per test are repeating; on the unscheduled event every form repeats, one instance per
    unscheduled visit (its VISITNUM tells them apart). No event repeats as a whole, so a lab form can repeat
    inside an unscheduled visit."""
    rows = [(event(v), instrument(model.forms[d]), "") for v, d in mapping(model)
            if v == UNSCHEDULED or repeating(model.forms[d])]
    return _csv(("event_name", "form_name", "custom_form_label"), rows)
