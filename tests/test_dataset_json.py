"""CDISC Dataset-JSON 1.1: the three forms of the file, mapping by column name, the real SDTM examples read
record for record, malformed files as one line naming the JSON path."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from helpers import without_presence, findings_of, minimal_subject, write_export

from ecrf.errors import InputError
from ecrf.example import write_example
from ecrf.readers import read_export
from ecrf.readers.dataset_json import is_dataset_json, load, read_dataset_json

SAMPLES = sorted(p for p in Path("../shared/samples/datasetjson/sdtm").iterdir() if is_dataset_json(p))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_real_dataset_json_files_read_every_record(path):
    meta, rows = load(path)
    assert len(rows) == meta["records"] > 0


def test_the_three_forms_of_one_dataset_agree(model):
    d = Path("../shared/samples/datasetjson/sdtm")
    loaded = [load(d / f"dm.{s}") for s in ("json", "ndjson", "dsjc")]
    assert loaded[0][1] == loaded[1][1] == loaded[2][1]


def test_real_sdtm_dataset_is_one_clear_line(cli):
    r = cli("validate", "../shared/samples/datasetjson/sdtm/dm.json")
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1 and "dm.json" in r.output


def test_dataset_matching_no_form_is_counted_not_checked(model):
    ex = read_dataset_json(Path("../shared/samples/datasetjson/sdtm/suppdm.json"), model)
    assert ex.unknown_files == {"suppdm.json": 3}


def _doc(tmp_path, forms=None):
    out = tmp_path / "dsj"
    write_example(out, fmt="dataset-json") if forms is None else _write(out, tmp_path, forms)
    return out


def _write(out, tmp_path, forms):
    import polars as pl

    from ecrf.readers.dataset_json import write_dataset_json

    write_export(tmp_path / "csv", forms)
    out.mkdir()
    write_dataset_json(out, {d: pl.read_csv(tmp_path / "csv" / f"{d}.csv", infer_schema=False)
                             for d in forms}, None)


def test_typed_values_and_columns_in_any_order(tmp_path, model):
    out = _doc(tmp_path, minimal_subject())
    p = out / "dm.json"
    doc = json.loads(p.read_text())
    names = [c["name"] for c in doc["columns"]]
    doc["columns"] = doc["columns"][::-1]
    doc["rows"] = [r[::-1] for r in doc["rows"]]
    doc["rows"][0][names[::-1].index("WEIGHT")] = 35.1
    doc["rows"][0][names[::-1].index("HEIGHT")] = 140
    doc["rows"][0][names[::-1].index("AGE")] = None
    p.write_text(json.dumps(doc))
    dm = read_export(out, model).tables["dm"].df.row(0, named=True)
    assert (dm["weight"], dm["height"], dm["age"]) == ("35.1", "140", None)
    assert dm["_ref"] == "dm.json row 1"


def test_seeded_error_found_and_clean_data_clean(tmp_path):
    f = findings_of(_doc(tmp_path / "bad", minimal_subject(SEX="X")))
    assert f.filter(f["field"] == "SEX")["source_ref"].to_list()[:1] == ["dm.json row 1"]
    clean = without_presence(findings_of(_doc(tmp_path / "clean", minimal_subject())))
    assert clean.filter(clean["severity"] == "error").is_empty()


@pytest.mark.parametrize("mutate, path", [
    (lambda d: d.pop("columns"), "$"),
    (lambda d: d["columns"][2].update(name=7), "$.columns[2].name"),
    (lambda d: d["columns"][0].update(dataType="text"), "$.columns[0].dataType"),
    (lambda d: d.update(datasetJSONVersion="1.0.0"), "$.datasetJSONVersion"),
    (lambda d: d["rows"][0].pop(), "$.rows[0]"),
    (lambda d: d["rows"][0].__setitem__(1, {"x": 1}), "$.rows[0]: the value of"),
    (lambda d: d.update(records=5), "$.records"),
])
def test_malformed_file_names_the_json_path(tmp_path, model, mutate, path):
    out = _doc(tmp_path, minimal_subject())
    p = out / "dm.json"
    doc = json.loads(p.read_text())
    mutate(doc)
    p.write_text(json.dumps(doc))
    with pytest.raises(InputError) as e:
        read_export(out, model)
    assert str(e.value).startswith(str(p)) and f": {path}" in str(e.value)


def test_truncated_json_and_compressed(tmp_path, model):
    src = Path("../shared/samples/datasetjson/sdtm/dm.json").read_bytes()
    p = tmp_path / "dm.json"
    p.write_bytes(src[: len(src) // 2])
    with pytest.raises(InputError, match="invalid JSON"):
        load(p)
    z = Path("../shared/samples/datasetjson/sdtm/dm.dsjc").read_bytes()
    q = tmp_path / "dm.dsjc"
    q.write_bytes(z[: len(z) // 2])
    with pytest.raises(InputError, match="truncated|corrupt"):
        load(q)


def test_html_saved_as_dsjc_and_ndjson(tmp_path, model):
    for name in ("dm.dsjc", "dm.ndjson"):
        p = tmp_path / name
        p.write_bytes(b"<html>expired</html>")
        with pytest.raises(InputError):
            read_export(p, model)


def test_gzip_bomb_refused(tmp_path, model):
    p = tmp_path / "dm.dsjc"
    p.write_bytes(gzip.compress(b"{" + b" " * 50_000_000))
    with pytest.raises(InputError, match="zip bomb"):
        load(p)
