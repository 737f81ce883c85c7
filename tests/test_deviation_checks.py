"""Protocol-deviation checks: each seeded deviation is caught with its id, subject, field, severity and
deviation category, and the clean export raises none. Numbers come from the schema, so the tests read them
from ecrf.protocol too (a changed parameter moves the data with it)."""

from __future__ import annotations

import copy
import csv
import random
from datetime import date, timedelta

import pytest

from ecrf.engine import validate
from ecrf.example.score_items import mrss_sites, sledai_exact, vas_systems
from ecrf.model import load_model
from ecrf.params import enum_annotations, enum_parameter
from ecrf.protocol import protocol
from ecrf.readers.csv_folder import read_csv_folder
from ecrf.registry import REGISTRY, all_checks, check, violations

MODEL = load_model()
P = protocol(MODEL)
D0 = date(2026, 2, 1)
# Checks with their own test modules (tests/test_schedule.py, tests/test_schedule_eligibility.py,
# tests/test_prior_therapy.py): their clean subject carries data this baseline does not.
TESTED_ELSEWHERE = {"SCHED-VISIT-MISSING", "SCHED-ASSESSMENT-MISSING", "SCHED-PREG-TEST", "ELIG-BILIRUBIN", "ELIG-EGFR",
                    "ELIG-BIOPSY", "ELIG-ANTIBODY", "ELIG-PROTEINURIA", "ELIG-SEROLOGY", "ELIG-OTHER-TRIAL",
                    "ELIG-PRIOR-THERAPY",
                    # tests/test_eligibility_record.py: this baseline records one criterion per subject only
                    "ELIG-CRITERIA-MISSING", "ELIG-BACKGROUND-THERAPY"}
DEVIATION_IDS = [c.id for c in all_checks() if c.category == "deviation" and c.id.split("-")[0] in ("ELIG", "SCHED", "IC")
                 and c.id not in TESTED_ELSEWHERE]


def day(n: int) -> str:
    return (D0 + timedelta(days=n)).isoformat()


def subject(sid: str, cohort: str, age: int) -> dict[str, list[dict]]:
    """One eligible, correctly treated subject; screening 20 days before day 0."""
    key = {"studyid": "KN5601-K", "siteid": sid[:2], "subjid": sid}
    scr = {**key, "visit": P.screening_visit, "visitnum": "1"}
    rows = {
        # Born in the year that makes the subject `age` at consent (a year allows age or age + 1 in January).
        "dm": [{**key, "cohort": cohort, "doselvl": "DL1", "sex": "F", "brthdat": str(D0.year - age - 1),
                "age": str(age)}],
        "ic": [{**key, "icseq": "1", "icdat": day(-25), **_consent_by_age(age)}],
        "ie": [{**key, "ietestcd": "IN02", "iecat": "INCLUSION", "ieorres": "Y"}],
        "sv": [{**scr, "svstdat": day(-20), "svoccur": "Y"}],
        "vs": [{**scr, "vsdat": day(-20), "oxysat": str(P.param("spo2_min") + 5)}],
        "echo": [{**scr, "echodat": day(-20), "lvef": str(P.param("lvef_min") + 10)}],
        "lb": [{**scr, "lbdat": day(-20), "lbtestcd": "ALT", "lborres": "20", "lbornrhi": "40"},
               {**scr, "lbdat": day(-20), "lbtestcd": "HCG", "lborres": "NEGATIVE", "lbornrhi": ""}],
        "cm": [{**key, "cmseq": "1", "cmcat": "VACCINE", "cmtrt": "MMR", "cmstdat": day(-200), "cmlive": "Y"}],
        "ld": [], "ex": [],
    }
    for n, (drug, dose) in enumerate(P.lymphodepletion().items()):
        for k, d in enumerate(dose.days):
            rows["ld"].append({**key, "ldseq": str(n * 10 + k + 1), "ldtrt": drug, "lddat": day(d),
                               "lddose": str(dose.mg_per_m2_per_day * 1.0), "ldbsa": "1.0"})
    cpk = P.dose_levels()["DL1"].cells_per_kg
    rows["ex"].append({**key, "exnum": str(P.param("day0_infusion_number")), "exstdat": day(0), "exdoselv": "DL1",
                       "exdose": str(cpk * 30), "exdosu": "cells", "exwt": "30"})
    for code, w in list(P.visit_windows().items())[:4]:
        rows["sv"].append({**key, "visit": code, "visitnum": str(enum_parameter(MODEL, "VisitCode", code, "visitnum")),
                           "svstdat": day(w.target_day),
                           "svoccur": "Y"})
    # Score items that add up to the totals (a seeded total below the minimum leaves them, which only the score
    # checks notice).
    rng = random.Random(0)
    if cohort == "SLE":
        total = P.param("sledai_min") + 4
        rows["sledai"] = [{**scr, "sledaidat": day(-20), "sledaitot": str(total), "slthrdrg": "", "slleudrg": "",
                           **sledai_exact(MODEL, total, {}, rng)}]
    if cohort == "SSC":
        total = P.param("mrss_min") + 5
        rows["mrss"] = [{**scr, "mrssdat": day(-20), "mrsstot": str(total), **mrss_sites(MODEL, total, rng)}]
    if cohort == "AAV":
        inst = "PVAS" if age < P.param("vas_adult_age") else "BVAS"
        total = P.param("vas_min") + 5
        rows["vas"] = [{**scr, "vasdat": day(-20), "vasinst": inst, "vasage": str(age), "vastot": str(total),
                        "vaspers": "0", **vas_systems(MODEL, total, 0, rng)}]
    return rows


def _consent_by_age(age: int) -> dict[str, str]:
    """Who signs and whether the minor assents, as ConsentAgeBand asks for the age."""
    band = next(a for a in enum_annotations(MODEL, "ConsentAgeBand").values() if a["min_age"] <= age < a["max_age"])
    giver = str(band["givers"]).split(",")[0]
    return {"icgiver": giver, "asnt": "Y" if str(band["assent"]).lower() == "true" else "NA",
            "asntdat": day(-25) if str(band["assent"]).lower() == "true" else ""}


def baseline() -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for s in (subject("01-001", "SLE", 10), subject("01-002", "SSC", 12), subject("01-003", "AAV", 16),
              subject("01-004", "AAV", P.param("vas_adult_age") + 1)):
        for d, rows in s.items():
            out.setdefault(d, []).extend(rows)
    return out


def run(tmp_path, data, model=None):
    model = model or MODEL
    for domain, rows in data.items():
        form = model.forms[domain]
        cols = list(dict.fromkeys([*form.required_items, *(k for r in rows for k in r)]))
        with open(tmp_path / f"{domain}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=cols)
            w.writeheader()
            w.writerows(rows)
    return validate(model, read_csv_folder(tmp_path, model)).findings


def rows_of(data, domain, sid, **match):
    return [r for r in data[domain] if r["subjid"] == sid and all(r.get(k) == v for k, v in match.items())]


def _set(domain, sid, values, **match):
    def f(data):
        for r in rows_of(data, domain, sid, **match):
            r.update(values)
    return f


def _add(domain, row):
    def f(data):
        base = copy.deepcopy(data[domain][0])
        base.update(row)
        data[domain].append(base)
    return f


def _shift_ex(data):  # first infusion a day late relative to the planned lymphodepletion days
    for r in rows_of(data, "ex", "01-001"):
        r["exstdat"] = day(1)


def _drop_ic(data):
    data["ic"] = [r for r in data["ic"] if r["subjid"] != "01-001"]


def _drop_ld(data):
    data["ld"] = [r for r in data["ld"] if not (r["subjid"] == "01-001" and r["ldseq"] == "1")]


# (check id, seeding, subject, form, field)
CASES = [
    ("ELIG-AGE", _set("dm", "01-001", {"age": str(P.min_age()["SLE"] - 1)}), "01-001", "dm", "AGE"),
    ("ELIG-LVEF", _set("echo", "01-001", {"lvef": str(P.param("lvef_min") - 1)}), "01-001", "echo", "LVEF"),
    ("ELIG-SPO2", _set("vs", "01-001", {"oxysat": str(P.param("spo2_min") - 1)}), "01-001", "vs", "OXYSAT"),
    ("ELIG-SLE-SLEDAI", _set("sledai", "01-001", {"sledaitot": str(P.param("sledai_min") - 1)}), "01-001", "sledai",
     "SLEDAITOT"),
    ("ELIG-SSC-MRSS", _set("mrss", "01-002", {"mrsstot": str(P.param("mrss_min") - 1)}), "01-002", "mrss", "MRSSTOT"),
    ("ELIG-AAV-VAS", _set("vas", "01-003", {"vastot": str(P.param("vas_min") - 1)}), "01-003", "vas", "VASTOT"),
    ("ELIG-AAV-INSTRUMENT", _set("vas", "01-004", {"vasinst": "PVAS"}), "01-004", "vas", "VASINST"),
    ("ELIG-ALT-AST", _set("lb", "01-001", {"lborres": str(40 * P.param("alt_ast_uln_max") + 1)}, lbtestcd="ALT"),
     "01-001", "lb", "LBORRES"),
    ("ELIG-LIVE-VACCINE", _set("cm", "01-001", {"cmstdat": day(-20 - 7 * P.param("live_vaccine_weeks") + 1)}),
     "01-001", "cm", "CMSTDAT"),
    ("ELIG-PREGNANCY", _set("lb", "01-002", {"lborres": "POSITIVE"}, lbtestcd="HCG"), "01-002", "lb", "LBORRES"),
    ("ELIG-NOT-MET", _set("ie", "01-001", {"ieorres": "N"}), "01-001", "ie", "IEORRES"),
    ("ELIG-NOT-MET-WAIVED", _set("ie", "01-001", {"ietestcd": "IN04", "ieorres": "N", "iewaiv": "Y",
                                                  "iewaivr": "benefit outweighs risk"}), "01-001", "ie", "IEWAIV"),
    ("SCHED-VISIT-WINDOW", _set("sv", "01-001", {"svstdat": day(P.visit_windows()["D7"].target_day
                                                                + P.visit_windows()["D7"].after + 1)}, visit="D7"),
     "01-001", "sv", "SVSTDAT"),
    ("SCHED-LD-DAY", _shift_ex, "01-001", "ld", "LDDAT"),
    ("SCHED-LD-DOSE", _set("ld", "01-001", {"lddose": "100"}, ldtrt="FLUDARABINE"), "01-001", "ld", "LDDOSE"),
    ("SCHED-EX-DOSE", _set("ex", "01-001", {"exdoselv": "DL3"}), "01-001", "ex", "EXDOSE"),
    ("SCHED-EX-NO-LD", _drop_ld, "01-001", "ex", "EXSTDAT"),
    ("IC-PROCEDURE-BEFORE-CONSENT", _set("ic", "01-001", {"icdat": day(-10)}), "01-001", "sv", "SVSTDAT"),
    ("IC-NO-CONSENT", _drop_ic, "01-001", "ex", "EXSTDAT"),
    ("IC-GIVER", _set("ic", "01-004", {"icgiver": "GUARDIAN"}), "01-004", "ic", "ICGIVER"),  # an adult
    ("IC-ASSENT", _set("ic", "01-001", {"asnt": "N", "asntdat": ""}), "01-001", "ic", "ASNT"),
    ("ELIG-CONFIRMED-LATE", _set("ie", "01-002", {"iedat": day(-2)}), "01-002", "ie", "IEDAT"),
    ("ELIG-ECHO-ABNORMAL", _set("echo", "01-003", {"echoabn": "Y"}), "01-003", "echo", "ECHOABN"),
    ("SCHED-EX-LEVEL", _set("ex", "01-001", {"exdoselv": "DL2"}), "01-001", "ex", "EXDOSELV"),
]


def test_every_deviation_check_has_a_case():
    assert sorted(DEVIATION_IDS) == sorted({c[0] for c in CASES} | {"ELIG-IE-CONTRADICTS"})


@pytest.fixture(scope="module")
def clean_findings(tmp_path_factory):
    return run(tmp_path_factory.mktemp("clean"), baseline())


@pytest.mark.parametrize("check_id", DEVIATION_IDS)
def test_clean_export_has_no_deviation(clean_findings, check_id):
    hit = clean_findings.filter(clean_findings["check_id"] == check_id)
    assert hit.is_empty(), hit.to_dicts()


@pytest.mark.parametrize("check_id,seed,sid,form,field", CASES, ids=[c[0] for c in CASES])
def test_seeded_deviation_is_caught(tmp_path, check_id, seed, sid, form, field):
    data = baseline()
    seed(data)
    f = run(tmp_path, data)
    hit = f.filter(f["check_id"] == check_id)
    assert hit.height >= 1, f"{check_id} not raised"
    assert set(hit["subject"]) == {sid}
    assert form in set(hit["form"]) and field in set(hit["field"])
    chk = next(c for c in all_checks() if c.id == check_id)
    assert set(hit["severity"]) == {chk.severity} and set(hit["dvcat"]) == {chk.dvcat}
    assert chk.dvcat and chk.severity in ("important", "non-important")


def test_ie_contradicted_by_data(tmp_path):
    data = baseline()
    _set("echo", "01-001", {"lvef": str(P.param("lvef_min") - 1)})(data)  # IN02 recorded Y in the baseline
    f = run(tmp_path, data)
    hit = f.filter(f["check_id"] == "ELIG-IE-CONTRADICTS")
    assert hit.select("subject", "form", "field", "severity", "dvcat").rows() == \
        [("01-001", "ie", "IEORRES", "important", "eligibility")]
    assert "ELIG-LVEF" in hit["expected"][0]


def test_ie_not_contradicted_when_recorded_not_met(tmp_path):
    data = baseline()
    _set("echo", "01-001", {"lvef": str(P.param("lvef_min") - 1)})(data)
    _set("ie", "01-001", {"ieorres": "N"})(data)
    f = run(tmp_path, data)
    assert f.filter(f["check_id"] == "ELIG-IE-CONTRADICTS").is_empty()
    assert f.filter(f["check_id"] == "ELIG-NOT-MET").height == 1


def test_waiver_where_none_allowed_is_important(tmp_path):
    data = baseline()
    _set("ie", "01-001", {"ieorres": "N", "iewaiv": "Y", "iewaivr": "judgement"})(data)  # IN02 allows no waiver
    f = run(tmp_path, data)
    assert f.filter(f["check_id"] == "ELIG-NOT-MET")["message"].str.contains("allows none").all()
    assert f.filter(f["check_id"] == "ELIG-NOT-MET-WAIVED").is_empty()


def test_clean_baseline_scores_add_up(clean_findings):
    assert clean_findings.filter(clean_findings["check_id"].str.starts_with("SCORE-")).is_empty()
    assert clean_findings.filter(clean_findings["form"].is_in(["sledai", "mrss", "vas"])).is_empty()


def test_minimum_age_is_per_cohort(tmp_path):
    data = baseline()
    _set("dm", "01-001", {"cohort": "MDR_SRNS", "age": str(P.min_age()["MDR_SRNS"])})(data)
    f = run(tmp_path, data)
    assert f.filter(f["check_id"] == "ELIG-AGE").is_empty()


def test_contradictions_come_from_the_checks_that_declare_a_violation():
    """ELIG-IE-CONTRADICTS holds every declared violation against the form: those of the criteria's checks
    (EligibilityCriterion checked_by), but for the two whose criteria have branches the eCRF cannot see."""
    declared = {c.id for c, _ in violations(MODEL)}
    checked_by = set(P.criteria()["check_id"].drop_nulls())
    assert declared <= checked_by
    assert {"ELIG-AGE", "ELIG-LVEF", "ELIG-ECHO-ABNORMAL", "ELIG-EGFR", "ELIG-SEROLOGY"} <= declared
    assert not declared & {"ELIG-PROTEINURIA", "ELIG-PRIOR-THERAPY"}


def test_a_violation_is_declared_through_the_check_decorator():
    def v_none(ctx):
        return "dm", None

    @check("ELIG-TEST-DECLARED", "test", "deviation", "important", ("dm",), "test", dvcat="eligibility",
           violation=v_none)
    def declared(ctx):
        return {}

    try:
        found = dict((c.id, v) for c, v in violations(MODEL))
        assert found["ELIG-TEST-DECLARED"] is v_none
    finally:
        del REGISTRY["ELIG-TEST-DECLARED"]


def test_ex_dose_writes_the_expected_dose_to_three_significant_digits(tmp_path):
    # the bundled export's 01-003 is recorded at DL3 with ten times its dose; the expected text is computed
    # outside the query (no Python function inside polars' threads), and reads as Python's "3g" format
    from helpers import check_findings

    from ecrf.example import write_example

    write_example(tmp_path / "x")
    f = check_findings(tmp_path / "x", "SCHED-EX-DOSE")
    assert f.select("subject", "value", "expected").rows() == [
        ("01-003", "100000000.0", "1e+07 cells/kg (DL3 +/- 20.0%)")]
