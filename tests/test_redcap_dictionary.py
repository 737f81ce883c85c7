"""The REDCap project files generated from the schema, compared with real REDCap dictionaries."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecrf.cli.main import main
from ecrf.generators import build
from ecrf.generators.redcap import HEADER, RECORD_ID, fields, instrument
from ecrf.model import load_model

SAMPLES = Path(__file__).resolve().parent.parent / ".." / "shared" / "samples" / "redcap"
SAMPLE_DICTS = sorted(SAMPLES.glob("*/dictiona*.csv"))
# The choice list as REDCap writes it: "code, label | code, label".
CHOICE = re.compile(r"^\s*([A-Za-z0-9_]+)\s*,\s*(.+?)\s*$")


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def _sample(path: Path) -> list[list[str]]:
    return list(csv.reader(path.open(encoding="utf-8-sig", newline="")))


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture(scope="module")
def dictionary():
    return build("redcap")


def _sample_rows() -> list[dict]:
    out = []
    for p in SAMPLE_DICTS:
        rows = _sample(p)
        out += [dict(zip(rows[0], r)) for r in rows[1:]]
    return out


def test_samples_are_present():
    assert len(SAMPLE_DICTS) >= 10


@pytest.mark.parametrize("path", SAMPLE_DICTS, ids=lambda p: p.parent.name)
def test_header_is_exactly_redcaps(dictionary, path):
    ours = next(csv.reader(io.StringIO(dictionary)))
    assert ours == _sample(path)[0] == list(HEADER)


def test_field_names_are_valid_and_record_id_first(dictionary):
    rows = _rows(dictionary)
    names = [r["Variable / Field Name"] for r in rows]
    assert names[0] == RECORD_ID
    assert len(names) == len(set(names))
    for n in names:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", n) and len(n) <= 26, n
    # REDCap adds <instrument>_complete itself; a field of ours must not collide with it.
    assert not {f"{r['Form Name']}_complete" for r in rows} & set(names)


def test_types_and_validations_are_ones_redcap_uses(dictionary):
    samples = _sample_rows()
    types = {r["Field Type"] for r in samples}
    valid = {r["Text Validation Type OR Show Slider Number"] for r in samples}
    for r in _rows(dictionary):
        assert r["Field Type"] in types, r
        assert r["Text Validation Type OR Show Slider Number"] in valid, r


def test_choices_follow_redcaps_convention(dictionary):
    # The samples themselves parse with the same rule (a check of the rule).
    for r in _sample_rows():
        if r["Field Type"] in ("radio", "dropdown", "checkbox") and r["Choices, Calculations, OR Slider Labels"]:
            assert all(CHOICE.match(c) for c in r["Choices, Calculations, OR Slider Labels"].split("|")), r
    for r in _rows(dictionary):
        text = r["Choices, Calculations, OR Slider Labels"]
        if r["Field Type"] in ("radio", "dropdown", "checkbox"):
            parts = [CHOICE.match(c) for c in text.split(" | ")]
            assert all(parts), r
            codes = [m.group(1) for m in parts]
            assert len(codes) == len(set(codes))
        else:
            assert text == ""


def test_each_item_field_by_field(model, dictionary):
    rows = {r["Variable / Field Name"]: r for r in _rows(dictionary)}
    assert list(rows) == [f.name for f in fields(model)]
    for f in fields(model):
        r, i = rows[f.name], f.item
        assert r["Form Name"] == instrument(f.form)
        kind = (r["Field Type"], r["Text Validation Type OR Show Slider Number"])
        if i.kind == "enum":
            # a multi-select is a checkbox (multi-select as checkbox), a single code a radio or dropdown
            assert kind[0] == "checkbox" if i.multivalued else kind[0] in ("radio", "dropdown")
            labels = [CHOICE.match(c).group(2) for c in r["Choices, Calculations, OR Slider Labels"].split(" | ")]
            assert len(labels) == len(i.codes)
        elif i.kind == "full_date":
            assert kind == ("text", "date_ymd")
        elif i.kind == "partial_date":
            assert kind == ("text", "") and "YYYY-MM" in r["Field Annotation"]
        elif i.kind == "integer":
            assert kind == ("text", "integer")
        elif i.kind == "decimal":
            assert kind == ("text", "number")
        if i.kind in ("integer", "decimal"):
            lo, hi = r["Text Validation Min"], r["Text Validation Max"]
            assert (float(lo) if lo else None) == i.minimum and (float(hi) if hi else None) == i.maximum
        assert f"CDASH={i.title}" in r["Field Annotation"]
        assert (r["Required Field?"] == "y") == (i.required and f.name != RECORD_ID)


def test_every_form_is_one_instrument_and_structural_keys_are_not_fields(model, dictionary):
    rows = _rows(dictionary)
    assert {r["Form Name"] for r in rows} == {instrument(f) for f in model.forms.values()}
    names = {r["Variable / Field Name"] for r in rows}
    assert not names & {"studyid", "siteid", "subjid", "visit"}
    assert {"vs_height", "dm_height", "sv_visitnum", "crs_aeseq", "ae_aeseq"} <= names


def test_units_with_slashes_become_positional_codes(dictionary):
    r = {x["Variable / Field Name"]: x for x in _rows(dictionary)}["lborresu"]
    assert r["Choices, Calculations, OR Slider Labels"].startswith("1, 10^9/L | 2, 10^3/uL")


def test_longitudinal_setup_is_consistent(model):
    events = _rows(build("redcap-events"))
    mapping = _rows(build("redcap-mapping"))
    repeating = _rows(build("redcap-repeating"))
    arms = _rows(build("redcap-arms"))
    assert [(a["arm_num"], a["name"]) for a in arms] == [("1", "KN5601-K")]
    names = [e["unique_event_name"] for e in events]
    assert names[0] == "scr_arm_1" and "uns_arm_1" in names and len(names) == len(set(names))
    forms = {instrument(f) for f in model.forms.values()}
    pairs = {(m["unique_event_name"], m["form"]) for m in mapping}
    assert {m["form"] for m in mapping} == forms
    assert {e for e, _ in pairs} <= set(names)
    assert {(r["event_name"], r["form_name"]) for r in repeating} <= pairs
    # The schedule: vital signs at D7, the echocardiogram only at screening (and unplanned/end visits).
    assert ("d7_arm_1", "vital_signs") in pairs and ("d7_arm_1", "echocardiography") not in pairs
    assert ("scr_arm_1", "demographics") in pairs and ("eos_arm_1", "disposition") in pairs
    # Logs repeat; one-per-subject forms do not; every form repeats on the unscheduled event.
    rep = {(r["event_name"], r["form_name"]) for r in repeating}
    assert ("scr_arm_1", "adverse_event") in rep and ("scr_arm_1", "demographics") not in rep
    assert ("d1_arm_1", "lab_result") in rep and ("uns_arm_1", "visit") in rep
    assert ("d7_arm_1", "vital_signs") not in rep


def test_events_mirror_the_sample_event_file():
    sample = _sample(SAMPLES / "longitudinal" / "event.csv")[0]
    ours = next(csv.reader(io.StringIO(build("redcap-events"))))
    assert {"event_name", "arm_num", "unique_event_name", "custom_event_label"} <= set(ours) & set(sample)
    assert next(csv.reader(io.StringIO(build("redcap-arms")))) == _sample(SAMPLES / "longitudinal" / "arm.csv")[0]


def test_cli_writes_the_dictionary(tmp_path, dictionary):
    out = tmp_path / "kn5601k-redcap.csv"
    r = CliRunner().invoke(main, ["generate", "redcap", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_text(encoding="utf-8") == dictionary


def test_the_arm_is_named_after_the_study_of_the_schema():
    from ecrf.generators.redcap import render_arms
    from ecrf.model import load_model
    from ecrf.odm import studyid

    other = load_model(Path(__file__).resolve().parent.parent / "studies" / "cdisc-msg2" / "msg2.yaml")
    assert _rows(render_arms(other)) == [{"arm_num": "1", "name": studyid(other)}]
    assert studyid(other) != "KN5601-K"
