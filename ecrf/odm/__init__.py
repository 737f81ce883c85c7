"""CDISC ODM 1.3.2: the one OID convention shared by the metadata generator, the ClinicalData writer and the
reader (docs/odm.md), so that what a vendor builds from `ecrf generate odm` is what `ecrf validate` reads back.

    Study            the STUDYID (KN5601-K)            MetaDataVersion  MDV.<schema version>
    StudyEventDef    SE.<VisitCode> (SE.SCR, SE.D28)   subject-level and log forms: SE.SUBJECT
    FormDef          F.<DOMAIN>        (F.AE)          ItemGroupDef     IG.<DOMAIN>  (IG.AE)
    ItemDef          IT.<DOMAIN>.<CDASH name>  (IT.AE.AESTDAT)
    CodeList         CL.<enum name>    (CL.VisitCode)  MeasurementUnit  MU.<UCUM code, [^A-Za-z0-9] -> _>
"""

from __future__ import annotations

import re

from ecrf.model import Form, Item, StudyModel

NS = "http://www.cdisc.org/ns/odm/v1.3"
ODM_VERSION = "1.3.2"
SUBJECT_EVENT = "SE.SUBJECT"   # forms kept once per subject or as subject-level logs (no VISIT item)
UNSCHEDULED = "UNS"            # the VisitCode of unscheduled visits: one repeating StudyEventDef
LOCATION_PREFIX = "LOC."       # AdminData Location of a site: LOC.<SITEID>; SubjectData/SiteRef points to it


def study_oid(model: StudyModel) -> str:
    return studyid(model)


def studyid(model: StudyModel) -> str:
    """The study identifier every record carries (the `equals_string` of STUDYID in the schema)."""
    for form in model.forms.values():
        for item in form.items:
            if item.name == "studyid" and item.equals:
                return item.equals
    return model.view.schema.name.upper()


def mdv_oid(model: StudyModel) -> str:
    return f"MDV.{model.view.schema.version or '1'}"


def event_oid(visit: str) -> str:
    return f"SE.{visit}"


def form_oid(form: Form) -> str:
    return f"F.{form.domain.upper()}"


def group_oid(form: Form) -> str:
    return f"IG.{form.domain.upper()}"


def item_oid(form: Form, item: Item) -> str:
    return f"IT.{form.domain.upper()}.{item.title}"


def location_oid(site: str) -> str:
    return f"{LOCATION_PREFIX}{site}"


def codelist_oid(enum: str) -> str:
    return f"CL.{enum}"


def unit_oid(ucum: str) -> str:
    return "MU." + re.sub(r"[^A-Za-z0-9]", "_", ucum)


def visit_codes(model: StudyModel) -> list[str]:
    """The planned and unscheduled visits (the VisitCode enum); none for a study model without one."""
    enum = model.view.get_enum("VisitCode")
    return list(enum.permissible_values) if enum is not None else []


def is_visit_form(form: Form) -> bool:
    return any(i.name == "visit" for i in form.items)


def is_repeating(form: Form) -> bool:
    """A log form: more than one record per subject (visit forms) or per visit (e.g. one per lab test)."""
    per_record = {"studyid", "siteid", "subjid", "visit", "visitnum"}
    return any(k not in per_record for k in form.keys)
