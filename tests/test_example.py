"""The example export: deterministic, clean when asked, and its seeded errors found exactly as listed."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from ecrf.cli.main import main
from ecrf.example import MANIFEST, write_example
from ecrf.example.generator import BUNDLED_SEED, BUNDLED_SUBJECTS, bundled_dir, generate
from ecrf.model import load_model
from ecrf.registry import all_checks


def _validate(folder: Path) -> tuple[int, list[dict]]:
    result = CliRunner().invoke(main, ["validate", str(folder), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)["findings"]


@pytest.fixture(scope="module")
def small():
    return generate(BUNDLED_SUBJECTS, BUNDLED_SEED)


def test_generation_is_deterministic(small):
    again = generate(BUNDLED_SUBJECTS, BUNDLED_SEED)
    assert list(small) == list(again)
    for domain in small:
        assert small[domain].equals(again[domain]), domain
    other = generate(BUNDLED_SUBJECTS, BUNDLED_SEED + 1)
    assert not other["vs"].equals(small["vs"])


def test_every_form_has_every_item_as_text(small):
    model = load_model()
    assert set(small) == set(model.forms)
    for domain, form in model.forms.items():
        assert small[domain].columns == [i.title for i in form.items], domain
        assert all(t == pl.Utf8 for t in small[domain].dtypes), domain


def test_small_export_covers_cohorts_and_ages(small):
    dm = small["dm"]
    cohorts = load_model().forms["dm"].item("cohort").codes
    assert set(dm["COHORT"]) == set(cohorts)
    ages = dm["AGE"].cast(pl.Int64)
    assert ages.min() == 3 and ages.max() == 18
    # The vasculitis cohort admits adults: its first subject is 18, consents alone and is scored with BVAS.
    adult = dm.filter(pl.col("AGE").cast(pl.Int64) >= 18)
    assert adult["COHORT"].to_list() == ["AAV"]
    sid = adult["SUBJID"][0]
    assert small["ic"].filter(pl.col("SUBJID") == sid)["ICGIVER"].to_list() == ["PARTICIPANT"]
    assert set(small["vas"].filter(pl.col("SUBJID") == sid)["VASINST"]) == {"BVAS"}
    # MDR-SRNS may enrol from 3 years, the other cohorts from 5.
    assert dm.filter((pl.col("COHORT") != "MDR_SRNS") & (pl.col("AGE").cast(pl.Int64) < 5)).is_empty()
    assert dm["SUBJID"].n_unique() == BUNDLED_SUBJECTS


def test_bundled_export_is_fresh(tmp_path):
    """The committed bundle equals a fresh generation; rerun `python -m ecrf.example.generator --rebuild-bundled`."""
    write_example(tmp_path / "fresh", subjects=BUNDLED_SUBJECTS, seed=BUNDLED_SEED)
    fresh = sorted(p.name for p in (tmp_path / "fresh").iterdir())
    assert sorted(p.name for p in bundled_dir().iterdir() if p.suffix in (".csv", ".json")) == fresh
    for name in fresh:
        assert (bundled_dir() / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes(), name


@pytest.mark.parametrize("subjects", [BUNDLED_SUBJECTS, 60])
def test_clean_export_has_no_findings(tmp_path, subjects):
    write_example(tmp_path / "clean", subjects=subjects, clean=True)
    assert json.loads((tmp_path / "clean" / MANIFEST).read_text()) == []
    code, findings = _validate(tmp_path / "clean")
    assert findings == [] and code == 0


def _key(d: dict) -> tuple:
    return (d["check_id"], d["subject"], d["form"], d["field"], d["value"] or "")


@pytest.mark.parametrize("source", ["bundled", "generated"])
def test_seeded_errors_are_found_exactly_once(tmp_path, source):
    folder = tmp_path / "seeded"
    write_example(folder, subjects=None if source == "bundled" else 40, seed=7)
    manifest = json.loads((folder / MANIFEST).read_text())
    assert {"COL-REQUIRED", "COL-TYPE", "COL-CODELIST", "COL-PATTERN", "COL-DATE", "COL-RANGE",
            "FORM-DUPKEY"} <= {m["check_id"] for m in manifest}
    code, findings = _validate(folder)
    assert code == 1
    assert Counter(map(_key, findings)) == Counter(map(_key, manifest))


# Checks the bundled example does not seed: they concern the files of an export rather than its data, and
# seeding them would drop or empty a form, or add a stray file or column, making the example a poorer one.
NOT_SEEDED = {
    "STRUCT-EMPTY-FORM": "would empty a required form",
    "STRUCT-MISSING-FORM": "would drop a required form",
    "STRUCT-ABSENT-FORM": "would drop a form",
    "STRUCT-MISSING-COLUMN": "would drop a column from a form",
    "STRUCT-UNKNOWN-COLUMN": "would add a column the eCRF does not have",
    "STRUCT-UNKNOWN-FORM": "would add a file that is not a form",
    "XLSX-ERROR-CELL": "only a workbook has error cells (seeded in test_xlsx.py)",
    "XLSX-FORMULA-CELL": "only a workbook has formula cells (seeded in test_xlsx.py)",
    "ODM-UNKNOWN-OID": "concerns an ODM file's OIDs, which the example writes from the study build",
    "ODM-KEY-MISMATCH": "only an ODM tree can contradict its key items (seeded in test_odm_reader.py)",
}


def test_bundled_manifest_seeds_every_check():
    """Every registered check that can fire on data has at least one seeded error in the bundled example."""
    seeded = {m["check_id"] for m in json.loads((bundled_dir() / MANIFEST).read_text())}
    registered = {c.id for c in all_checks()}
    assert set(NOT_SEEDED) <= registered
    assert all(c.category == "structure" for c in all_checks() if c.id in NOT_SEEDED)
    assert registered - set(NOT_SEEDED) <= seeded, sorted(registered - set(NOT_SEEDED) - seeded)
    assert not seeded & set(NOT_SEEDED)


def test_example_command_copies_the_bundle(tmp_path):
    result = CliRunner().invoke(main, ["example", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "demo").iterdir()) == \
        sorted(p.name for p in bundled_dir().iterdir() if p.suffix in (".csv", ".json"))


def test_example_command_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "keep.csv").write_text("precious\n")
    result = CliRunner().invoke(main, ["example", str(tmp_path)])
    assert result.exit_code == 2
    assert "not empty" in result.stderr and "Traceback" not in result.output + result.stderr
    assert (tmp_path / "keep.csv").read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.csv"]


def test_seed_tokens_meet_when_they_may_share_records():
    from ecrf.example.seeding import _overlap
    visits = frozenset({"SCR", "M9"})
    assert _overlap(frozenset({"lb"}), frozenset({"lb:ALT"}), visits)          # a form holds all its parts
    assert _overlap(frozenset({"lb:M9"}), frozenset({"lb:ALT"}), visits)       # M9 may hold an ALT result
    assert not _overlap(frozenset({"lb:SCR"}), frozenset({"lb:M9"}), visits)   # two visits: different records
    assert not _overlap(frozenset({"lb:ALT"}), frozenset({"lb:EGFR"}), visits)  # two tests: different records
    assert not _overlap(frozenset({"lb:ALT"}), frozenset({"vs:ALT"}), visits)   # different forms


def test_bundled_example_has_every_deviation_category(tmp_path):
    from ecrf.params import enum_annotations
    folder = tmp_path / "demo"
    write_example(folder)
    result = CliRunner().invoke(main, ["validate", str(folder), "--format", "json", "--category", "deviation"])
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)["findings"]
    assert {f["category"] for f in findings} == {"deviation"}
    assert {f["severity"] for f in findings} <= {"important", "non-important"}
    assert {f["dvcat"] for f in findings} == set(enum_annotations(load_model(), "DeviationCategory"))


def test_more_subjects_than_the_id_formats_hold_are_refused(tmp_path):
    """SITEID has two digits and the subject number three: 98,901 subjects at most, never a site "100"."""
    from ecrf.example.subjects import MAX_SUBJECTS, make_subjects

    assert MAX_SUBJECTS == 99 * 999
    out = CliRunner().invoke(main, ["example", str(tmp_path / "x"), "--subjects", str(MAX_SUBJECTS + 1), "--clean"])
    assert out.exit_code == 2 and "98,901" in out.output and not (tmp_path / "x").exists()
    with pytest.raises(ValueError):
        make_subjects(MAX_SUBJECTS + 1, None, None)
