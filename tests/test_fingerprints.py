"""Fingerprints name the same problem across deliveries: rows reordered, rows added for others, any format."""

from __future__ import annotations

import csv
import io
import random
import shutil
from pathlib import Path

import pytest

from ecrf.engine import validate
from ecrf.findings import finalize
from ecrf.model import load_model
from ecrf.readers import read_export

BUNDLED = Path(__file__).resolve().parents[1] / "ecrf" / "example" / "bundled"
FORMS = sorted(p.name for p in BUNDLED.glob("*.csv"))


def _findings(folder: Path) -> dict[str, tuple]:
    m = load_model()
    f = validate(m, read_export(folder, m)).findings
    return {r["fingerprint"]: (r["check_id"], r["record_key"], r["field"], r["value"], r["message"])
            for r in f.iter_rows(named=True)}


@pytest.fixture(scope="module")
def baseline():
    return _findings(BUNDLED)


def _copy(tmp_path) -> Path:
    d = tmp_path / "export"
    shutil.copytree(BUNDLED, d)
    return d


def _reorder(folder: Path, order) -> None:
    for form in FORMS:
        lines = (folder / form).read_text(encoding="utf-8").splitlines(keepends=True)
        body = lines[1:]
        if body and not body[-1].endswith("\n"):
            body[-1] += "\n"
        (folder / form).write_text(lines[0] + "".join(order(body)), encoding="utf-8")


@pytest.mark.parametrize("how", ["reversed", "shuffle-1", "shuffle-2"])
def test_fingerprints_survive_reordered_rows_of_every_form(tmp_path, baseline, how):
    d = _copy(tmp_path)
    if how == "reversed":
        _reorder(d, lambda body: body[::-1])
    else:
        _reorder(d, lambda body: random.Random(int(how[-1])).sample(body, len(body)))
    assert _findings(d) == baseline


def test_source_rows_follow_the_shuffled_file(tmp_path):
    d = _copy(tmp_path)
    lines = (d / "lb.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    body = lines[1:]
    random.Random(7).shuffle(body)
    (d / "lb.csv").write_text(lines[0] + "".join(body), encoding="utf-8")
    m = load_model()
    rows = list(csv.reader(io.StringIO((d / "lb.csv").read_text(encoding="utf-8"))))
    header = [h.upper() for h in rows[0]]
    lab = validate(m, read_export(d, m)).findings
    lab = lab.filter((lab["form"] == "lb") & lab["source_row"].is_not_null())
    assert lab.height
    for r in lab.iter_rows(named=True):
        row = dict(zip(header, rows[r["source_row"] - 1]))
        for part in r["record_key"].split("|"):
            k, v = part.split("=", 1)
            assert row[k] == v


def test_fingerprints_survive_rows_added_for_another_subject(tmp_path, baseline):
    """A new subject (a copy of 01-001 as 03-001) adds findings; every earlier finding keeps its fingerprint."""
    d = _copy(tmp_path)
    for form in FORMS:
        text = (d / form).read_text(encoding="utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        head = [h.upper() for h in rows[0]]
        if "SUBJID" not in head:
            continue
        i = head.index("SUBJID")
        new = [r[:i] + ["03-001"] + r[i + 1:] for r in rows[1:] if r[i] == "01-001"]
        site = head.index("SITEID") if "SITEID" in head else None
        if site is not None:
            for r in new:
                r[site] = "03"
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(new)
        (d / form).write_text(text + ("" if text.endswith("\n") else "\n") + buf.getvalue(), encoding="utf-8")
    got = _findings(d)
    assert len(got) > len(baseline)
    assert {fp: got.get(fp) for fp in baseline} == baseline


def test_identical_problems_on_one_record_keep_their_ordinal_by_content():
    import polars as pl

    from ecrf.findings import SCHEMA

    def frame(values, rows):
        n = len(values)
        return pl.DataFrame({c: [None] * n for c in SCHEMA}, schema=SCHEMA).with_columns(
            pl.lit("X-CHECK").alias("check_id"), pl.lit("error").alias("severity"), pl.lit("dm").alias("form"),
            pl.lit("SUBJID=1").alias("record_key"), pl.lit("F").alias("field"), pl.Series("value", values),
            pl.Series("source_row", rows, dtype=pl.Int64))

    a = finalize([frame(["a", "b"], [2, 3])])
    b = finalize([frame(["b", "a"], [2, 3])])
    fa = dict(zip(a["value"], a["fingerprint"]))
    fb = dict(zip(b["value"], b["fingerprint"]))
    assert fa == fb and len(set(fa.values())) == 2
