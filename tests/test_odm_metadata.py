"""`ecrf generate odm`: ODM 1.3.2 study metadata, valid against the official XSD and faithful to the schema."""

from __future__ import annotations

from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from ecrf.generators import build
from ecrf.odm import NS, event_oid, form_oid, group_oid, is_repeating, item_oid

XSD = Path(__file__).resolve().parents[1] / ".." / "shared" / "standards" / "odm-1.3.2" / "ODM1-3-2.xsd"
N = {"o": NS}


@pytest.fixture(scope="module")
def odm_schema():
    return xmlschema.XMLSchema(str(XSD))


@pytest.fixture(scope="module")
def text():
    return build("odm")


@pytest.fixture(scope="module")
def doc(text):
    return etree.fromstring(text.encode("utf-8"))


def test_metadata_is_valid_against_the_official_xsd(odm_schema, text):
    errors = list(odm_schema.iter_errors(text))
    assert not errors, errors[:3]


def test_the_xsd_check_catches_an_invalid_document(odm_schema, doc):
    bad = etree.fromstring(etree.tostring(doc))
    item = bad.find(".//o:ItemDef", N)
    del item.attrib["DataType"]           # required by ODM 1.3.2
    assert list(odm_schema.iter_errors(etree.tostring(bad).decode()))


def test_cli_writes_the_artifact_and_it_matches_the_committed_one(cli, tmp_path, text):
    out = tmp_path / "kn5601k-odm.xml"
    r = cli("generate", "odm", "-o", out)
    assert r.exit_code == 0
    assert out.read_text(encoding="utf-8") == text
    committed = Path(__file__).resolve().parents[1] / "docs" / "artifacts" / "kn5601k-odm.xml"
    assert committed.read_text(encoding="utf-8") == text


def test_sites_are_admin_data_locations_valid_against_the_xsd(cli, odm_schema, tmp_path):
    out = tmp_path / "build.xml"
    r = cli("generate", "odm", "--site", "01=Children's Hospital", "--site", "02", "-o", out)
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    assert not list(odm_schema.iter_errors(text))
    locs = etree.fromstring(text.encode()).findall("o:AdminData/o:Location", N)
    assert [(x.get("OID"), x.get("Name"), x.get("LocationType")) for x in locs] == [
        ("LOC.01", "Children's Hospital", "Site"), ("LOC.02", "Site 02", "Site")]
    assert all(x.find("o:MetaDataVersionRef", N).get("MetaDataVersionOID").startswith("MDV.") for x in locs)
    # without --site the build has no AdminData (the committed artifact), and a bad SITEID is refused
    assert "AdminData" not in build("odm")
    bad = cli("generate", "odm", "--site", "1A")
    assert bad.exit_code == 2 and "SITEID" in bad.output
    assert cli("generate", "redcap", "--site", "01").exit_code == 2


def test_every_form_item_and_code_list_of_the_schema_is_defined(doc, model):
    mdv = doc.find(".//o:MetaDataVersion", N)
    forms = {e.get("OID") for e in mdv.findall("o:FormDef", N)}
    groups = {e.get("OID"): e for e in mdv.findall("o:ItemGroupDef", N)}
    items = {e.get("OID"): e for e in mdv.findall("o:ItemDef", N)}
    lists = {e.get("OID"): e for e in mdv.findall("o:CodeList", N)}
    for f in model.forms.values():
        assert form_oid(f) in forms
        g = groups[group_oid(f)]
        assert g.get("Repeating") == ("Yes" if is_repeating(f) else "No")
        refs = [r.get("ItemOID") for r in g.findall("o:ItemRef", N)]
        assert refs == [item_oid(f, i) for i in f.items]
        for i in f.items:
            d = items[item_oid(f, i)]
            assert d.find("o:Alias[@Context='CDASH']", N).get("Name") == i.title
            if i.codelist:
                cl = lists[d.find("o:CodeListRef", N).get("CodeListOID")]
                coded = [c.get("CodedValue") for c in cl.findall("o:CodeListItem", N)]
                assert coded == list(i.codes)
                assert all(c.find("o:Decode/o:TranslatedText", N).text for c in cl.findall("o:CodeListItem", N))


def test_log_forms_repeat_and_single_record_forms_do_not(doc):
    rep = {g.get("OID"): g.get("Repeating") for g in doc.iterfind(".//o:ItemGroupDef", N)}
    assert rep["IG.AE"] == rep["IG.CM"] == rep["IG.LB"] == "Yes"
    assert rep["IG.DM"] == rep["IG.VS"] == "No"


def test_items_carry_data_type_hard_limits_and_units(doc, model):
    temp = doc.find(".//o:ItemDef[@OID='IT.VS.TEMP']", N)
    item = model.forms["vs"].item("temp")
    assert temp.get("DataType") == "float" and temp.get("SignificantDigits")
    checks = {r.get("Comparator"): float(r.find("o:CheckValue", N).text) for r in temp.findall("o:RangeCheck", N)}
    assert checks == {"GE": item.minimum, "LE": item.maximum}
    assert all(r.get("SoftHard") == "Hard" and r.find("o:ErrorMessage/o:TranslatedText", N).text
               for r in temp.findall("o:RangeCheck", N))
    unit = temp.find("o:MeasurementUnitRef", N).get("MeasurementUnitOID")
    assert doc.find(f".//o:BasicDefinitions/o:MeasurementUnit[@OID='{unit}']", N) is not None
    types = {d.get("DataType") for d in doc.iterfind(".//o:ItemDef", N)}
    assert {"text", "integer", "float", "date", "partialDate"} <= types


def test_a_study_event_per_planned_visit_and_a_repeating_unscheduled_one(doc, model):
    from ecrf.protocol import protocol

    events = {e.get("OID"): e for e in doc.iterfind(".//o:StudyEventDef", N)}
    refs = [r.get("StudyEventOID") for r in doc.iterfind(".//o:Protocol/o:StudyEventRef", N)]
    assert refs == list(events)
    for v in model.view.get_enum("VisitCode").permissible_values:
        assert event_oid(v) in events
    assert events["SE.UNS"].get("Repeating") == "Yes" and events["SE.UNS"].get("Type") == "Unscheduled"
    assert events["SE.SCR"].get("Repeating") == "No"
    # the schedule of assessments decides which forms each planned visit holds
    for a in protocol(model).schedule():
        for v in a.visits:
            forms = {r.get("FormOID") for r in events[event_oid(v)].findall("o:FormRef", N)}
            assert form_oid(model.forms[a.form]) in forms


def test_oids_are_unique(doc):
    for tag in ("StudyEventDef", "FormDef", "ItemGroupDef", "ItemDef", "CodeList", "MeasurementUnit"):
        oids = [e.get("OID") for e in doc.iterfind(f".//o:{tag}", N)]
        assert len(oids) == len(set(oids)), tag


OTHER_STUDY = """
id: https://example.org/tiny
name: tiny
title: Tiny study
version: 2.0.0
prefixes:
  linkml: https://w3id.org/linkml/
default_prefix: tiny
default_range: string
imports:
  - linkml:types
enums:
  Yn:
    permissible_values: {Y: {}, N: {}}
slots:
  studyid: {title: STUDYID, required: true, equals_string: TINY-1}
  subjid: {title: SUBJID, required: true}
  hrseq: {title: HRSEQ, range: integer, required: true}
  hr: {title: HR, range: integer, minimum_value: 20, maximum_value: 250}
  hrdone: {title: HRDONE, range: Yn}
classes:
  HeartRate:
    annotations: {domain: hr}
    slots: [studyid, subjid, hrseq, hr, hrdone]
    unique_keys:
      key: {unique_key_slots: [subjid, hrseq]}
"""


def test_a_study_model_without_visits_or_schedule_gives_valid_metadata(odm_schema, tmp_path):
    from ecrf.generators.odm import render
    from ecrf.model import load_model

    path = tmp_path / "tiny.yaml"
    path.write_text(OTHER_STUDY, encoding="utf-8")
    text = render(load_model(str(path)))
    assert not list(odm_schema.iter_errors(text))
    doc = etree.fromstring(text.encode("utf-8"))
    assert [e.get("OID") for e in doc.iterfind(".//o:StudyEventDef", N)] == ["SE.SUBJECT"]
    assert doc.find(".//o:Study", N).get("OID") == "TINY-1"
    assert doc.find(".//o:ItemGroupDef[@OID='IG.HR']", N).get("Repeating") == "Yes"


def test_code_lists_carry_concept_codes(doc, model):
    """Each term's NCI or LOINC code (the schema's `meaning`) travels as an Alias, as define.xml carries it."""
    acn = doc.find(".//o:CodeList[@OID='CL.ActionTaken']", N)
    assert acn.find("o:Alias[@Context='nci:ExtCodeID']", N).get("Name") == "C66767"
    codes = {c.get("CodedValue"): c.find("o:Alias[@Context='nci:ExtCodeID']", N).get("Name")
             for c in acn.findall("o:CodeListItem", N)}
    assert codes == {"DOSE NOT CHANGED": "C49504", "DRUG INTERRUPTED": "C49501", "DRUG WITHDRAWN": "C49502",
                     "NOT APPLICABLE": "C48660"}
    for cl in doc.iterfind(".//o:CodeList", N):
        enum = model.view.get_enum(cl.get("Name"))
        if enum is None:
            continue
        for c in cl.findall("o:CodeListItem", N):
            meaning = enum.permissible_values[c.get("CodedValue")].meaning
            aliases = [f"{a.get('Context')}:{a.get('Name')}" for a in c.findall("o:Alias", N)]
            want = [] if meaning is None else [meaning.replace("NCIT:", "nci:ExtCodeID:")]
            assert aliases == want, (cl.get("Name"), c.get("CodedValue"))


def test_coded_items_refer_to_their_dictionary(doc, model):
    """MedDRA and WHODrug items point to an ExternalCodeList naming the dictionary, for the EDC's coding module."""
    dicts = {cl.get("OID"): cl.find("o:ExternalCodeList", N).get("Dictionary")
             for cl in doc.iterfind(".//o:CodeList", N) if cl.find("o:ExternalCodeList", N) is not None}
    assert set(dicts.values()) == {"MedDRA", "WHODrug", "ATC"}
    for form in model.forms.values():
        for item in form.items:
            ref = doc.find(f".//o:ItemDef[@OID='{item_oid(form, item)}']/o:CodeListRef", N)
            if item.dictionary:
                assert dicts[ref.get("CodeListOID")] == item.dictionary
            elif ref is not None:
                assert ref.get("CodeListOID") not in dicts
    assert model.forms["ae"].item("aedecod").dictionary == "MedDRA"
    assert model.forms["cm"].item("cmdecod").dictionary == "WHODrug"
