"""Read CDISC Dataset-JSON 1.1 (.json, .ndjson, and .dsjc: gzip-compressed NDJSON), one dataset per form.

The metadata is checked against the Dataset-JSON 1.1 structure with jsonschema before anything is read, so a
malformed file is one line naming the JSON path; rows (arrays in column order) are mapped to items by the
column `name` (or the last part of its `itemOID`). Provenance: the row number (`lb.json row 3`).
"""

from __future__ import annotations

import json
import zlib
from functools import lru_cache
from pathlib import Path

import polars as pl

from ecrf.errors import InputError
from ecrf.model import StudyModel
from ecrf.readers import Export, Reader
from ecrf.readers.datasets import add_dataset
from ecrf.readers.limits import inflate_gzip
from ecrf.readers.values import value_text

_SUFFIXES = (".json", ".ndjson", ".dsjc")
_TYPES = ["string", "integer", "float", "double", "decimal", "boolean", "datetime", "date", "time", "URI"]

# The attributes the Dataset-JSON 1.1 specification requires of a dataset and of each column; `rows` itself is
# checked by fast loops below (a schema walk over every cell would dominate the read time).
METADATA_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["datasetJSONCreationDateTime", "datasetJSONVersion", "itemGroupOID", "records", "name",
                 "label", "columns"],
    "properties": {
        "datasetJSONCreationDateTime": {"type": "string"},
        "datasetJSONVersion": {"type": "string", "pattern": r"^1\.1(\.\d+)?$"},
        "itemGroupOID": {"type": "string"},
        "records": {"type": "integer", "minimum": 0},
        "name": {"type": "string"},
        "label": {"type": "string"},
        "columns": {
            "type": "array", "minItems": 1,
            "items": {
                "type": "object",
                "required": ["itemOID", "name", "label", "dataType"],
                "properties": {
                    "itemOID": {"type": "string"},
                    "name": {"type": "string", "minLength": 1},
                    "label": {"type": "string"},
                    "dataType": {"enum": _TYPES},
                    "length": {"type": "integer", "minimum": 1},
                    "keySequence": {"type": "integer", "minimum": 1},
                },
            },
        },
        "rows": {"type": "array"},
    },
}


@lru_cache(maxsize=1)
def _validator():
    import jsonschema  # only when a Dataset-JSON file is read

    return jsonschema.Draft202012Validator(METADATA_SCHEMA)

_CELL = (str, int, float, bool, type(None))


def is_dataset_json(path: Path) -> bool:
    """Claimed by content: a JSON object naming datasetJSONVersion (gzip for .dsjc); .ndjson/.dsjc also by
    suffix so a damaged one gets this format's error. A plain .json that is not Dataset-JSON is left alone."""
    if not path.is_file():
        return False
    suffix = path.suffix.lower()
    if suffix in (".ndjson", ".dsjc"):
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    if head.startswith(b"\x1f\x8b"):
        try:
            head = zlib.decompressobj(wbits=31).decompress(head, 4096)
        except zlib.error:
            return False
    return head.lstrip().startswith(b"{") and b'"datasetJSONVersion"' in head


def read_dataset_json(path: Path, model: StudyModel) -> Export:
    path = Path(path)
    export = Export(path, format="dataset-json")
    meta, rows = load(path)
    names = [_column_name(c) for c in meta["columns"]]
    columns = list(zip(*rows)) if rows else [() for _ in names]
    ndjson = path.suffix.lower() in (".ndjson", ".dsjc")
    text = {n: _column_text(path, n, col, ndjson) for n, col in zip(names, columns)}
    df = pl.DataFrame(text, schema={n: pl.Utf8 for n in names})
    add_dataset(export, path, df, model, "row", (meta["name"],))
    return export


def _column_text(path: Path, name: str, col: tuple, ndjson: bool = False) -> list:
    """One column as CSV text; a column of text and nulls (the common case) is taken as it is."""
    if all(type(v) is str or v is None for v in col):
        return list(col)
    for i, v in enumerate(col):
        if not isinstance(v, _CELL):
            loc = f"line {i + 2}" if ndjson else f"$.rows[{i}]"
            raise InputError(path, f"{loc}: the value of {name} must be text, a number, a boolean or null",
                             column=name)
    return [value_text(v) for v in col]


def _column_name(col: dict) -> str:
    return col["name"] or col["itemOID"].rsplit(".", 1)[-1]


def load(path: Path) -> tuple[dict, list[list]]:
    """The metadata and the rows of a Dataset-JSON file in any of its three forms, checked."""
    raw = path.read_bytes()
    if raw.startswith(b"\x1f\x8b"):
        try:
            raw = inflate_gzip(path, raw)
        except zlib.error as exc:
            raise InputError(path, f"corrupt compressed Dataset-JSON: {exc}") from None
    elif path.suffix.lower() == ".dsjc":
        raise InputError(path, "not a compressed Dataset-JSON file (.dsjc): no gzip header", row=1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 text (byte {exc.start})") from None
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        what = "an HTML page" if stripped.startswith("<") else "not a JSON object"
        raise InputError(path, f"not Dataset-JSON: {what}", row=1)
    first_line, _, rest = text.partition("\n")
    ndjson = path.suffix.lower() in (".ndjson", ".dsjc") or (rest.strip().startswith("[") and
                                                            _parses(first_line))
    if ndjson:
        meta = _parse(path, first_line, 1)
        rows = [_parse(path, line, i + 2) for i, line in enumerate(rest.split("\n")) if line.strip()]
        meta_rows_path = "line"
    else:
        meta = _parse(path, text, None)
        rows = meta.pop("rows", None) if isinstance(meta, dict) else None
        if rows is None and isinstance(meta, dict):
            raise InputError(path, "$.rows: missing (Dataset-JSON keeps its records in rows)")
        meta_rows_path = "rows"
    _check_metadata(path, meta)
    _check_rows(path, meta, rows, meta_rows_path)
    return meta, rows


def _parses(line: str) -> bool:
    try:
        json.loads(line)
        return True
    except ValueError:
        return False


def _parse(path: Path, text: str, line: int | None):
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        row = line if line is not None else exc.lineno
        raise InputError(path, f"invalid JSON at character {exc.colno}: {exc.msg} (truncated?)", row=row) from None


def _check_metadata(path: Path, meta) -> None:
    errors = sorted(_validator().iter_errors(meta), key=lambda e: list(e.absolute_path))
    if errors:
        import jsonschema

        e = jsonschema.exceptions.best_match(errors)
        raise InputError(path, f"{e.json_path}: {e.message} (not Dataset-JSON 1.1)")
    names = [_column_name(c).lower() for c in meta["columns"]]
    dup = next((n for i, n in enumerate(names) if n in names[:i]), None)
    if dup:
        raise InputError(path, f"$.columns: column {dup.upper()} appears twice", column=dup.upper())


def _check_rows(path: Path, meta: dict, rows, where: str) -> None:
    if not isinstance(rows, list):
        raise InputError(path, "$.rows: is not an array")
    width = len(meta["columns"])
    for i, r in enumerate(rows):
        if type(r) is list and len(r) == width:
            continue
        loc = f"$.rows[{i}]" if where == "rows" else f"line {i + 2}"
        if not isinstance(r, list):
            raise InputError(path, f"{loc}: a row must be an array of values in column order")
        if len(r) != width:
            raise InputError(path, f"{loc}: {len(r)} values where columns defines {width}")
    if meta["records"] != len(rows):
        raise InputError(path, f"$.records says {meta['records']} but the file holds {len(rows)} rows "
                         "(truncated?)")


def write_dataset_json(directory: Path, tables: dict, model: StudyModel) -> None:
    """One Dataset-JSON 1.1 file per form (<domain>.json), every column as string data."""
    import datetime as dt

    from ecrf.writer import write_text

    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    for domain, df in tables.items():
        up = domain.upper()
        doc = {
            "datasetJSONCreationDateTime": now, "datasetJSONVersion": "1.1.0",
            "itemGroupOID": f"IG.{up}", "records": df.height, "name": up, "label": domain,
            "columns": [{"itemOID": f"IT.{up}.{c}", "name": c, "label": c, "dataType": "string"}
                        for c in df.columns],
            "rows": [[None if v == "" else v for v in r] for r in df.iter_rows()],
        }
        write_text(Path(directory) / f"{domain}.json", json.dumps(doc, ensure_ascii=False) + "\n")


READER = Reader("dataset-json", "CDISC Dataset-JSON 1.1 (.json, .ndjson, .dsjc), one dataset per form",
                is_dataset_json, read_dataset_json, order=35, suffixes=_SUFFIXES, write=write_dataset_json)
