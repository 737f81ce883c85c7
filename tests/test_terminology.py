"""Codes other systems receive: every UCUM code parses with a UCUM parser, every LOINC code is well formed and bound
as the lab test's `meaning`, CDISC codelists use submission values."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from ucumvert import get_ucum_parser

from ecrf.model import load_model

UNIT_ENUMS = ("LabUnit", "DoseUnit", "CellDoseUnit")


@pytest.fixture(scope="module")
def view():
    return load_model().view


def _ucum_codes(view):
    """(where, UCUM code) for every unit in the schema: slots and unit codelist values."""
    for slot in view.all_slots().values():
        if slot.unit is not None and slot.unit.ucum_code:
            yield f"slot {slot.name}", slot.unit.ucum_code
    for name in UNIT_ENUMS:
        for code, pv in view.get_enum(name).permissible_values.items():
            yield f"{name} {code}", pv.unit.ucum_code if pv.unit is not None else None


def test_every_ucum_code_parses(view):
    parser = get_ucum_parser()
    codes = list(_ucum_codes(view))
    assert len(codes) > 40
    bad = []
    for where, code in codes:
        try:
            parser.parse(code)
        except Exception:  # noqa: BLE001 - the parser raises lark errors of several kinds
            bad.append((where, code))
    assert bad == []


def test_parser_rejects_the_display_spellings():
    """The test can fail: the site spellings kept for display are not UCUM."""
    parser = get_ucum_parser()
    for display in ("cells/uL", "mEq/L", "mL/min/1.73m2"):
        with pytest.raises(Exception):  # noqa: B017
            parser.parse(display)


def test_display_units_keep_their_spelling_with_a_ucum_code(view):
    lab = view.get_enum("LabUnit").permissible_values
    assert lab["mEq/L"].unit.ucum_code == "meq/L"
    assert lab["mL/min/1.73m2"].unit.ucum_code == "mL/min/{1.73_m2}"
    assert lab["IU/L"].unit.ucum_code == "[IU]/L"
    assert view.get_enum("CellDoseUnit").permissible_values["cells/kg"].unit.ucum_code == "{cells}/kg"


def _loinc_check_digit(number: str) -> int:
    """LOINC Mod 10 check digit: double every other digit from the right, sum the digits."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d // 10 + d % 10
    return (10 - total % 10) % 10


def test_loinc_check_digit_algorithm():
    assert _loinc_check_digit("12345") == 5     # the worked example of the LOINC users' guide
    assert _loinc_check_digit("22664") == 7 and _loinc_check_digit("6690") == 2


def test_every_loinc_code_is_well_formed_and_bound_as_meaning(view):
    values = view.get_enum("LabTestCode").permissible_values
    coded = {c: pv for c, pv in values.items() if pv.annotations.get("loinc")}
    assert len(coded) > 25
    for code, pv in coded.items():
        loinc = str(pv.annotations["loinc"].value)
        number, check = loinc.split("-")
        assert int(check) == _loinc_check_digit(number), (code, loinc)
        assert pv.meaning == f"LOINC:{loinc}", code


def test_molar_tests_carry_the_molar_loinc(view):
    """Urea and bilirubin are reported in mmol/L and umol/L: the mass-unit codes 3094-0 and 1975-2 would be wrong."""
    values = view.get_enum("LabTestCode").permissible_values
    assert values["UREA"].meaning == "LOINC:22664-7"
    assert values["BILI"].meaning == "LOINC:14631-6"


@pytest.mark.parametrize("enum, values", [
    ("AEOutcome", {"RECOVERED/RESOLVED", "RECOVERING/RESOLVING", "NOT RECOVERED/NOT RESOLVED",
                   "RECOVERED/RESOLVED WITH SEQUELAE", "FATAL", "UNKNOWN"}),
    ("ActionTaken", {"DOSE NOT CHANGED", "DRUG INTERRUPTED", "DRUG WITHDRAWN", "NOT APPLICABLE"}),
    ("LabStatus", {"NOT DONE"}),
])
def test_cdisc_codelists_use_submission_values(view, enum, values):
    assert set(view.get_enum(enum).permissible_values) == values


def test_cdisc_terms_carry_nci_codes(view):
    ds = view.get_enum("DispositionReason").permissible_values
    assert "LOST TO FOLLOW-UP" in ds and "NASAL" in view.get_enum("Route").permissible_values
    assert ds["SCREEN FAILURE"].meaning == "NCIT:C49628"
    assert view.get_enum("AEOutcome").permissible_values["FATAL"].meaning == "NCIT:C48275"


DEFINE_XML = Path(__file__).resolve().parent.parent / ".." / "shared" / "samples" / "datasetjson" / "sdtm" / "define.xml"
ODM_NS = {"o": "http://www.cdisc.org/ns/odm/v1.3"}


def _published_ct() -> dict[str, dict[str, str]]:
    """CDISC CT as a define.xml publishes it: codelist NCI code -> {submission value: NCI code of the term}.
    Subsets of one codelist (ROUTE for CM and for EX) are merged."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.parse(str(DEFINE_XML), parser).getroot()
    out: dict[str, dict[str, str]] = {}
    for cl in root.iterfind(".//o:CodeList", ODM_NS):
        code = cl.find("o:Alias[@Context='nci:ExtCodeID']", ODM_NS)
        if code is None:
            continue
        terms = out.setdefault(code.get("Name"), {})
        for item in cl.findall("o:CodeListItem", ODM_NS) + cl.findall("o:EnumeratedItem", ODM_NS):
            alias = item.find("o:Alias[@Context='nci:ExtCodeID']", ODM_NS)
            if alias is not None:
                terms[item.get("CodedValue")] = alias.get("Name")
    return out


def _cdisc_enums(view):
    """The schema's codelists bound to a CDISC codelist (enum_uri NCIT:C...)."""
    for name, enum in view.all_enums().items():
        if enum.enum_uri and str(enum.enum_uri).startswith("NCIT:"):
            yield str(name), str(enum.enum_uri).removeprefix("NCIT:"), enum


def _mismatches(view, ct) -> tuple[int, list]:
    """(terms compared, terms whose `meaning` differs from the published NCI code)."""
    checked, mismatched = 0, []
    for name, cl_code, enum in _cdisc_enums(view):
        assert cl_code in ct, f"{name}: codelist {cl_code} is not in the published terminology"
        for value, pv in enum.permissible_values.items():
            published = ct[cl_code].get(str(value))
            if published is None:
                continue  # not in this copy: the schema says so ([UNV]) and gives no code
            checked += 1
            if pv.meaning != f"NCIT:{published}":
                mismatched.append((name, str(value), pv.meaning, published))
    return checked, mismatched


def test_every_cdisc_term_carries_the_published_nci_code(view):
    """Every term of a CDISC-bound codelist that the published CT lists has that term's NCI code as `meaning`."""
    checked, mismatched = _mismatches(view, _published_ct())
    assert mismatched == []
    assert checked >= 34  # ACN 4, OUT 6, NCOMPLT 10, ROUTE 6, ND 1, NY 2+2, SEX 2, AGEU 1


def test_a_wrong_code_is_caught(view):
    ct = copy.deepcopy(_published_ct())
    ct["C66767"]["DRUG WITHDRAWN"] = ct["C66767"]["DRUG INTERRUPTED"]
    assert _mismatches(view, ct)[1] == [("ActionTaken", "DRUG WITHDRAWN", "NCIT:C49502", "C49501")]


def test_terms_without_a_published_code_have_none(view):
    """A code is only given where the published copy confirms it: no term outside it carries a guessed code."""
    ct = _published_ct()
    for name, cl_code, enum in _cdisc_enums(view):
        for value, pv in enum.permissible_values.items():
            if str(value) not in ct[cl_code]:
                assert pv.meaning is None, (name, value)


def test_route_and_disposition_use_submission_values(view):
    route = view.get_enum("Route").permissible_values
    assert "RESPIRATORY (INHALATION)" in route and "INHALATION" not in route
    ds = view.get_enum("DispositionReason").permissible_values
    assert ds["WITHDRAWAL BY PARENT/GUARDIAN"].meaning == "NCIT:C102355"
    assert ds["PROTOCOL DEVIATION"].meaning == "NCIT:C48251"
