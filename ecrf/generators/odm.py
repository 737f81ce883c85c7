"""CDISC ODM 1.3.2 study metadata for EDC vendors: the study build (events, forms, item groups, items, code
lists, units, hard range checks) from the schema, with the OIDs of ecrf.odm. Validated against the official
XSD in the tests."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from ecrf.model import MULTI_SEPARATOR, NUMERIC_KINDS, Form, Item, StudyModel
from ecrf.numbers import format_number
from ecrf.odm import (NS, ODM_VERSION, SUBJECT_EVENT, UNSCHEDULED, codelist_oid, event_oid, form_oid,
                      group_oid, is_repeating, is_visit_form, item_oid, location_oid, mdv_oid, study_oid, studyid,
                      unit_oid, visit_codes)
from ecrf.params import ParameterError
from ecrf.protocol import protocol

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Alias Context of a multi-select ItemDef; its Name is the separator of the codes in the ItemData Value
MULTI_SELECT_ALIAS = "multi-select separator"
_DATATYPE = {"integer": "integer", "decimal": "float", "full_date": "date", "partial_date": "partialDate",
             "string": "text", "enum": "text"}
# The schema gives no maximum length for free text; this is what the ODM ItemDef declares for it.
FREE_TEXT_LENGTH = 200
# Fixed so the artifact is byte-for-byte reproducible; the MetaDataVersion OID carries the schema version.
CREATION_TIME = "2025-01-01T00:00:00"


def render(model: StudyModel, sites: Sequence[tuple[str, str]] = ()) -> str:
    """The study build; with `sites` [(SITEID, name)] also the AdminData Locations (LOC.<SITEID>) that the
    export's SubjectData/SiteRef point to."""
    return etree.tostring(metadata_document(model, sites), xml_declaration=True, encoding="UTF-8",
                          pretty_print=True).decode("utf-8")


def E(tag: str, attrs: dict | None = None, *children, text: str | None = None):
    # every element declares the ODM namespace as the default one, so a subtree serialises without prefixes
    el = etree.Element(f"{{{NS}}}{tag}", {k: v for k, v in (attrs or {}).items() if v is not None},
                       nsmap={None: NS})
    if text is not None:
        el.text = text
    el.extend(c for c in children if c is not None)
    return el


def translated(tag: str, text: str):
    return E(tag, None, E("TranslatedText", {XML_LANG: "en"}, text=text))


def root(model: StudyModel, file_type: str = "Snapshot", granularity: str | None = "Metadata"):
    """The ODM root; deterministic (a fixed creation time, not the clock's)."""
    el = etree.Element(f"{{{NS}}}ODM", nsmap={None: NS})
    for k, v in {"FileType": file_type, "Granularity": granularity,
                 "FileOID": f"{study_oid(model)}.{mdv_oid(model)}",
                 "CreationDateTime": CREATION_TIME, "ODMVersion": ODM_VERSION,
                 "Originator": "ecrf", "SourceSystem": "ecrf"}.items():
        if v is not None:
            el.set(k, v)
    return el


def metadata_document(model: StudyModel, sites: Sequence[tuple[str, str]] = ()):
    odm = root(model)
    odm.append(study(model))
    if sites:
        odm.append(admin_data(model, sites))
    return odm


def admin_data(model: StudyModel, sites: Sequence[tuple[str, str]]):
    """AdminData: one Location (LocationType Site) per site, each using this MetaDataVersion."""
    ref = {"StudyOID": study_oid(model), "MetaDataVersionOID": mdv_oid(model), "EffectiveDate": CREATION_TIME[:10]}
    return E("AdminData", {"StudyOID": study_oid(model)},
             *[E("Location", {"OID": location_oid(code), "Name": name or f"Site {code}", "LocationType": "Site"},
                 E("MetaDataVersionRef", ref)) for code, name in sites])


def visits(model: StudyModel) -> list[str]:
    return visit_codes(model)


def event_forms(model: StudyModel) -> dict[str, list[Form]]:
    """{StudyEventDef OID: forms in it}: subject-level forms in SE.SUBJECT; at each planned visit the visit
    form and the forms the schedule of assessments lists there; every visit form in the unscheduled one."""
    vforms = [f for f in model.forms.values() if is_visit_form(f)]
    due: dict[str, set[str]] = {}
    for a in _schedule(model):
        for v in a.visits:
            due.setdefault(v, set()).add(a.form)
    if not visits(model):  # a study model without visit codes: every form is a subject-level one
        return {SUBJECT_EVENT: list(model.forms.values())}
    out = {SUBJECT_EVENT: [f for f in model.forms.values() if not is_visit_form(f)]}
    for v in visits(model):
        if v == UNSCHEDULED:
            out[event_oid(v)] = vforms
        else:
            # sv records whether each visit took place, so it is in every visit
            out[event_oid(v)] = [f for f in vforms if f.required_form or f.domain in due.get(v, ())]
    return out


def _schedule(model: StudyModel):
    """The schedule of assessments; a study model without one puts only the visit form in each visit."""
    try:
        return protocol(model).schedule()
    except ParameterError:
        return []


def study(model: StudyModel):
    s = model.view.schema
    gv = E("GlobalVariables", None, E("StudyName", text=s.title or s.name),
           E("StudyDescription", text=" ".join((s.description or "").split())),
           E("ProtocolName", text=studyid(model)))
    units = sorted({i.unit for f in model.forms.values() for i in f.items if i.unit})
    basic = E("BasicDefinitions", None, *[E("MeasurementUnit", {"OID": unit_oid(u), "Name": u},
                                            translated("Symbol", u)) for u in units])
    return E("Study", {"OID": study_oid(model)}, gv, basic if units else None, metadata_version(model))


def metadata_version(model: StudyModel):
    s = model.view.schema
    mdv = E("MetaDataVersion", {"OID": mdv_oid(model), "Name": f"{s.title} {s.version}",
                                "Description": f"Generated by ecrf from the LinkML schema {s.name} {s.version}"})
    events = event_forms(model)
    mdv.append(E("Protocol", None, *[
        E("StudyEventRef", {"StudyEventOID": oid, "OrderNumber": str(n), "Mandatory": "No" if oid == event_oid(UNSCHEDULED) else "Yes"})
        for n, oid in enumerate(events, 1)]))
    for oid, forms in events.items():
        visit = oid[3:]
        unscheduled = visit == UNSCHEDULED
        kind = "Common" if oid == SUBJECT_EVENT else "Unscheduled" if unscheduled else "Scheduled"
        name = "Subject-level forms and logs" if oid == SUBJECT_EVENT else f"Visit {visit}"
        mdv.append(E("StudyEventDef", {"OID": oid, "Name": name, "Repeating": "Yes" if unscheduled else "No",
                                       "Type": kind},
                     *[E("FormRef", {"FormOID": form_oid(f), "OrderNumber": str(n),
                                     "Mandatory": "Yes" if f.required_form and not unscheduled else "No"})
                       for n, f in enumerate(forms, 1)],
                     *([E("Alias", {"Context": "CDASH VISIT", "Name": visit})] if oid != SUBJECT_EVENT else [])))
    for f in model.forms.values():
        mdv.append(E("FormDef", {"OID": form_oid(f), "Name": f.name, "Repeating": "No"},
                     translated("Description", f.description or f.name) if f.description else None,
                     E("ItemGroupRef", {"ItemGroupOID": group_oid(f), "Mandatory": "Yes"})))
    for f in model.forms.values():
        mdv.append(E("ItemGroupDef", {"OID": group_oid(f), "Name": f.name,
                                      "Repeating": "Yes" if is_repeating(f) else "No",
                                      "Domain": f.domain.upper()},
                     *[E("ItemRef", {"ItemOID": item_oid(f, i), "OrderNumber": str(n),
                                     "Mandatory": "Yes" if i.required else "No",
                                     "KeySequence": str(f.keys.index(i.name) + 1) if i.name in f.keys else None})
                       for n, i in enumerate(f.items, 1)],
                     E("Alias", {"Context": "CDASH", "Name": f.domain.upper()})))
    for f in model.forms.values():
        for i in f.items:
            mdv.append(item_def(f, i))
    for enum in sorted({i.codelist for f in model.forms.values() for i in f.items if i.codelist}):
        mdv.append(codelist(model, enum))
    for name in sorted({i.dictionary for f in model.forms.values() for i in f.items if i.dictionary}):
        mdv.append(external_codelist(name))
    return mdv


def item_def(form: Form, item: Item):
    attrs = {"OID": item_oid(form, item), "Name": item.title, "DataType": _DATATYPE[item.kind]}
    attrs.update(_length(item))
    checks = []
    for cmp, bound in (("GE", item.minimum), ("LE", item.maximum)):
        if bound is not None and item.kind in NUMERIC_KINDS:
            word = "at least" if cmp == "GE" else "at most"
            unit = f" {item.unit}" if item.unit else ""
            checks.append(E("RangeCheck", {"Comparator": cmp, "SoftHard": "Hard"},
                            E("CheckValue", text=format_number(bound)),
                            translated("ErrorMessage", f"{item.title} must be {word} {format_number(bound)}{unit}")))
    return E("ItemDef", attrs,
             translated("Description", item.description) if item.description else None,
             translated("Question", item.description or item.title),
             E("MeasurementUnitRef", {"MeasurementUnitOID": unit_oid(item.unit)}) if item.unit else None,
             *checks,
             E("CodeListRef", {"CodeListOID": codelist_oid(item.codelist)}) if item.codelist else None,
             E("CodeListRef", {"CodeListOID": dictionary_oid(item.dictionary)}) if item.dictionary else None,
             E("Alias", {"Context": "CDASH", "Name": item.title}),
             # ODM 1.3.2 has no multi-select: one ItemData whose Value lists the codes separated by commas
             # (as OpenClinica exports checkbox and multi-select items); the Alias tells the EDC builder.
             E("Alias", {"Context": MULTI_SELECT_ALIAS, "Name": MULTI_SEPARATOR}) if item.multivalued else None)


def _length(item: Item) -> dict:
    """Length (and SignificantDigits for floats) from the hard limits, the code list or the free-text cap."""
    if item.kind == "enum" and item.multivalued:  # every code once, comma-separated
        return {"Length": str(sum(len(c) for c in item.codes) + len(item.codes) - 1)}
    if item.kind == "enum":
        return {"Length": str(max(len(c) for c in item.codes))}
    if item.kind in NUMERIC_KINDS and item.maximum is not None:
        lo = abs(item.minimum) if item.minimum is not None else 0
        digits = len(str(int(max(abs(item.maximum), lo))))
        if item.kind == "integer":
            return {"Length": str(digits + (1 if (item.minimum or 0) < 0 else 0))}
        return {"Length": str(digits + SIGNIFICANT_DIGITS + 1), "SignificantDigits": str(SIGNIFICANT_DIGITS)}
    if item.kind == "string":
        return {"Length": str(FREE_TEXT_LENGTH)}
    return {}


# Decimal places offered for a float item; values with more are still accepted by ecrf (ODM: a hint to the
# EDC form builder).
SIGNIFICANT_DIGITS = 3


def codelist(model: StudyModel, enum: str):
    """A CodeList with each term's concept code (NCI Thesaurus, LOINC) as an Alias, in the contexts define.xml
    and EDC libraries read (nci:ExtCodeID), and the CDISC codelist's own NCI code when the schema binds it."""
    e = model.view.get_enum(enum)
    items = []
    for n, (code, pv) in enumerate(e.permissible_values.items(), 1):
        label = " ".join((pv.title or pv.description or code).split())
        items.append(E("CodeListItem", {"CodedValue": code, "OrderNumber": str(n)}, translated("Decode", label),
                       _concept_alias(pv.meaning)))
    return E("CodeList", {"OID": codelist_oid(enum), "Name": enum, "DataType": "text"}, *items,
             _concept_alias(getattr(e, "enum_uri", None)))


# CURIE prefix of a concept code -> the ODM Alias Context it is given in
_ALIAS_CONTEXTS = {"NCIT": "nci:ExtCodeID", "LOINC": "LOINC"}


def _concept_alias(curie: object):
    prefix, _, local = str(curie or "").partition(":")
    return E("Alias", {"Context": _ALIAS_CONTEXTS[prefix], "Name": local}) if prefix in _ALIAS_CONTEXTS else None


def dictionary_oid(name: str) -> str:
    return f"CL.DICT.{name}"


def external_codelist(name: str):
    """A coding dictionary (MedDRA, WHODrug, ATC) as ODM names one: the coded items refer to it, the EDC's coding
    module supplies the terms."""
    return E("CodeList", {"OID": dictionary_oid(name), "Name": name, "DataType": "text"},
             E("ExternalCodeList", {"Dictionary": name}))
