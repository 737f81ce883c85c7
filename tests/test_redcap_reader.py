"""The REDCap reader: round trip of the example, real REDCap exports of other projects, bad input."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
import polars as pl
from helpers import assert_same_findings, findings_of

from ecrf.cli.main import main
from ecrf.errors import InputError
from ecrf.example import write_example
from ecrf.model import load_model
from ecrf.readers import read_export
from ecrf.readers.redcap import DATA, parse

SAMPLES = Path(__file__).resolve().parent.parent / ".." / "shared" / "samples" / "redcap"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    d = tmp_path_factory.mktemp("rc") / "export"
    write_example(d, fmt="redcap")
    return d


def _data(folder: Path) -> list[list[str]]:
    return list(csv.reader((folder / DATA).open(encoding="utf-8", newline="")))


def _write_data(folder: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    (folder / DATA).write_text(buf.getvalue(), encoding="utf-8")


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_example_is_sniffed_as_redcap_and_keeps_every_record(exported):
    export = read_export(exported, load_model())
    assert export.format == "redcap"
    csvd = read_export(_csv_example(exported.parent / "csv"), load_model())
    assert {d: t.df.height for d, t in export.tables.items()} == {d: t.df.height for d, t in csvd.tables.items()}


def _csv_example(d: Path) -> Path:
    if not d.exists():
        write_example(d)
    return d


def test_hundred_subjects_same_findings_as_csv(tmp_path):
    write_example(tmp_path / "csv", subjects=100)
    write_example(tmp_path / "rc", subjects=100, fmt="redcap")
    assert assert_same_findings(tmp_path / "csv", tmp_path / "rc") > 0


def test_provenance_names_row_record_event_instrument_instance(exported):
    export = read_export(exported, load_model())
    ae = export.tables["ae"].df
    ref = ae["_ref"][0]
    assert ref.startswith("data.csv!R") and "record " in ref and "event scr_arm_1" in ref and "adverse_event #1" in ref
    vs = export.tables["vs"].df
    assert "event d7_arm_1 / vital_signs" in " ".join(vs["_ref"].to_list())
    assert set(vs["visit"].drop_nulls().to_list()) <= set(load_model().forms["vs"].item("visit").codes)


def test_checkbox_dates_and_decimal_comma_per_validation_type(tmp_path):
    # A hand-built project (another study): checkbox columns become one value, date_dmy and decimal comma
    # are read as the dictionary declares them.
    from ecrf.generators.redcap import HEADER

    d = tmp_path / "p"
    d.mkdir()
    blank = [""] * 18

    def row(name, form, ftype, choices="", valid=""):
        r = list(blank)
        r[0], r[1], r[3], r[4], r[5], r[7] = name, form, ftype, name, choices, valid
        return r

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([
        HEADER, row("record_id", "f1", "text"), row("when", "f1", "text", valid="date_dmy"),
        row("dose", "f1", "text", valid="number_comma_decimal"), row("sym", "f1", "checkbox", "1, a | 2, b | 3, c"),
        row("note", "f1", "descriptive")])
    (d / "dictionary.csv").write_text(buf.getvalue(), encoding="utf-8")
    _write_data(d, [["record_id", "when", "dose", "sym___1", "sym___2", "sym___3", "f1_complete"],
                    ["1", "31-12-2019", "1,5", "1", "0", "1", "2"], ["2", "", "", "0", "0", "0", ""]])
    dic, recs, read, _ = parse(d)
    assert read == 2 and len(recs) == 1
    assert recs[0].values == {"when": "31-12-2019", "dose": "1,5", "sym": "1,3"} and recs[0].status == "2"
    from ecrf.readers.redcap import _value

    assert _value(dic.fields["when"], "31-12-2019", None) == "2019-12-31"
    assert _value(dic.fields["dose"], "1,5", None) == "1.5"


@pytest.mark.parametrize("sample", sorted(p for p in SAMPLES.iterdir() if p.is_dir()), ids=lambda p: p.name)
def test_real_exports_are_read_or_refused_in_one_line(sample, tmp_path):
    try:
        _, recs, read, keys_only = parse(sample)
    except InputError as exc:
        assert "\n" not in str(exc) and str(exc)
        return
    rows = [r for r in _data(sample)[1:] if any(c.strip() for c in r)]
    assert read == len(rows)
    # Every non-blank row holds at least one instrument's record or is a row of keys only, never both.
    numbers = {n for n, r in enumerate(_data(sample)[1:], 2) if any(c.strip() for c in r)}
    assert {r.row for r in recs} | keys_only == numbers and not {r.row for r in recs} & keys_only
    # No instrument of another project is read as ours: every row is counted as read and not checked.
    export = read_export(sample, load_model(), "redcap")
    assert not export.tables and sum(export.unknown_files.values()) == read
    # And the whole folder through validate: a clean exit, never a traceback.
    res = CliRunner().invoke(main, ["validate", str(sample), "--input-format", "redcap"])
    assert res.exit_code in (0, 1, 2), res.output
    assert "Traceback" not in res.output


def test_samples_mostly_parse():
    ok = 0
    for s in SAMPLES.iterdir():
        try:
            parse(s)
            ok += 1
        except InputError:
            pass
    assert ok >= 8


def _cli(folder: Path):
    return CliRunner().invoke(main, ["validate", str(folder)])


def test_labels_export_refused(exported, tmp_path):
    d = _copy(exported, tmp_path / "x")
    rows = _data(d)
    rows[0] = ["Subject identifier (SUBJID)", "Event Name"] + rows[0][2:]
    _write_data(d, rows)
    with pytest.raises(InputError, match="labels export"):
        read_export(d, load_model())
    r = _cli(d)
    assert r.exit_code == 2 and "labels export" in r.output and len(r.output.strip().splitlines()) == 1


def test_extra_column_not_in_dictionary(exported, tmp_path):
    d = _copy(exported, tmp_path / "x")
    rows = _data(d)
    rows[0].append("mystery")
    for r in rows[1:]:
        r.append("")
    _write_data(d, rows)
    with pytest.raises(InputError, match="mystery is not a field") as e:
        read_export(d, load_model())
    assert e.value.row == 1 and e.value.column == "mystery"
    assert _cli(d).exit_code == 2


def test_dictionary_field_missing_from_export(exported, tmp_path):
    d = _copy(exported, tmp_path / "x")
    rows = _data(d)
    j = rows[0].index("temp")
    _write_data(d, [r[:j] + r[j + 1:] for r in rows])
    with pytest.raises(InputError, match="field temp of the data dictionary") as e:
        read_export(d, load_model())
    assert e.value.column == "temp"


def test_wrong_delimiter(exported, tmp_path):
    d = _copy(exported, tmp_path / "x")
    text = (d / DATA).read_text(encoding="utf-8").replace(",", ";")
    (d / DATA).write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="delimiter") as e:
        read_export(d, load_model())
    assert e.value.row == 1


def test_missing_dictionary_and_ragged_row(exported, tmp_path):
    d = _copy(exported, tmp_path / "x")
    (d / "dictionary.csv").unlink()
    r = CliRunner().invoke(main, ["validate", str(d), "--input-format", "redcap"])
    assert r.exit_code == 2 and "data dictionary" in r.output
    d2 = _copy(exported, tmp_path / "y")
    rows = _data(d2)
    rows[5] = rows[5][:3]
    _write_data(d2, rows)
    with pytest.raises(InputError, match="ragged") as e:
        read_export(d2, load_model())
    assert e.value.row == 6


def test_input_never_modified(exported):
    before = {p.name: p.read_bytes() for p in exported.iterdir()}
    _cli(exported)
    assert {p.name: p.read_bytes() for p in exported.iterdir()} == before


def test_another_projects_instrument_is_not_read_as_ours():
    # The longitudinal sample has an instrument named demographics, with other fields than ours.
    export = read_export(SAMPLES / "longitudinal", load_model(), input_format="redcap")
    assert export.tables == {}
    (name, rows), = export.unknown_files.items()
    assert "demographics" in name and rows > 0


# --- form status (<instrument>_complete) -----------------------------------------------------------------

def _statuses(folder: Path) -> dict[tuple, str]:
    """(record, event, instrument, instance) -> status, for every instrument with a status in data.csv."""
    rows = _data(folder)
    head = rows[0]
    out = {}
    for r in rows[1:]:
        row = dict(zip(head, r))
        for h, v in row.items():
            if h.endswith("_complete") and v:
                out[(row["record_id"], row["redcap_event_name"], h[: -len("_complete")],
                     row["redcap_repeat_instance"])] = v
    return out


def test_form_status_is_kept_shown_and_written_back(exported, tmp_path):
    from ecrf.readers.redcap import write_redcap

    d = _copy(exported, tmp_path / "x")
    rows = _data(d)
    head = rows[0]
    status_cols = [j for j, h in enumerate(head) if h.endswith("_complete")]
    for n, r in enumerate(rows[1:]):
        for j in status_cols:
            if r[j]:
                r[j] = "012"[n % 3]
    _write_data(d, rows)
    want = _statuses(d)
    assert set(want.values()) == {"0", "1", "2"}
    model = load_model()
    export = read_export(d, model)
    ae = export.tables["ae"].df
    assert set(ae["_status"].to_list()) == {"0", "1", "2"}
    labels = {"0": "[0 Incomplete]", "1": "[1 Unverified]", "2": "[2 Complete]"}
    assert all(ref.endswith(labels[s]) for ref, s in zip(ae["_ref"], ae["_status"]))
    # A finding on the record shows it (source_ref); the status is provenance, not a study item.
    f = findings_of(d)
    assert f.filter(pl.col("form") == "ae")["source_ref"].str.contains(r"\[[012] [A-Z][a-z]+\]").all()
    # Written back by the REDCap writer: every instrument keeps its status.
    out = tmp_path / "back"
    out.mkdir()
    write_redcap(out, {dom: t.df for dom, t in export.tables.items()}, model)
    assert _statuses(out) == want


def test_a_form_saved_with_every_field_empty_is_a_record(exported, tmp_path):
    # demographics marked Complete with no data: a record (its required items missing), not a dropped row.
    d = _copy(exported, tmp_path / "x")
    rows = _data(d)
    head = rows[0]
    dm_cols = [j for j, h in enumerate(head) if h in {f for f in head[5:head.index("demographics_complete")]}]
    row = next(r for r in rows[1:] if any(r[j] for j in dm_cols))
    subj = row[0]
    for j in dm_cols:
        row[j] = ""
    row[head.index("demographics_complete")] = "2"
    _write_data(d, rows)
    dm = read_export(d, load_model()).tables["dm"].df.filter(pl.col("subjid") == subj)
    assert dm.height == 1 and dm["_status"][0] == "2" and dm["sex"][0] is None
    f = findings_of(d).filter((pl.col("subject") == subj) & (pl.col("form") == "dm"))
    assert "COL-REQUIRED" in f["check_id"].to_list()
    # status 0 with every field empty is a form never opened: no record
    row[head.index("demographics_complete")] = "0"
    _write_data(d, rows)
    assert read_export(d, load_model()).tables["dm"].df.filter(pl.col("subjid") == subj).height == 0
