"""Read Parquet files, one per form (dm.parquet, ...), with polars. Typed columns become CSV text (numbers in
their shortest form, dates ISO 8601, nulls empty); provenance is the row number (`lb.parquet row 3`)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ecrf.errors import InputError
from ecrf.model import StudyModel
from ecrf.readers import Export, Reader
from ecrf.readers.datasets import add_dataset, suffix_or_magic
from ecrf.readers.values import frame_text

_MAGIC = b"PAR1"


def is_parquet(path: Path) -> bool:
    return suffix_or_magic(path, (".parquet", ".parq"), (_MAGIC,))


def read_parquet(path: Path, model: StudyModel) -> Export:
    path = Path(path)
    export = Export(path, format="parquet")
    add_dataset(export, path, frame_text(load(path)), model, "row")
    return export


def load(path: Path) -> pl.DataFrame:
    with open(path, "rb") as fh:
        head = fh.read(4)
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(size - 4, 0))
        tail = fh.read(4)
    if head != _MAGIC:
        what = "an HTML page" if head.lstrip()[:1] == b"<" else "no Parquet header"
        raise InputError(path, f"not a Parquet file: {what}")
    if tail != _MAGIC:
        raise InputError(path, "truncated Parquet file: the footer is missing")
    try:
        df = pl.read_parquet(path)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # polars raises ComputeError, OSError or (a BaseException) PanicException
        raise InputError(path, f"corrupt Parquet file: {type(exc).__name__}: {str(exc).splitlines()[0]}") from None
    for name, dtype in df.schema.items():
        if isinstance(dtype, (pl.List, pl.Struct, pl.Array, pl.Object)):
            raise InputError(path, f"column {name} holds nested values ({dtype}); expected one value per cell",
                             column=name)
    return df


def write_parquet(directory: Path, tables: dict, model: StudyModel) -> None:
    import io

    from ecrf.writer import write_bytes

    for domain, df in tables.items():
        buf = io.BytesIO()
        df.with_columns(pl.all().cast(pl.Utf8).replace("", None)).write_parquet(buf)
        write_bytes(Path(directory) / f"{domain}.parquet", buf.getvalue())


READER = Reader("parquet", "Parquet files, one per form (dm.parquet, ae.parquet, ...)", is_parquet,
                read_parquet, order=40, suffixes=(".parquet",), write=write_parquet)
