"""Read SAS transport files (XPT v5 and v8), one dataset per form (dm.xpt, ...), with pyreadstat.

Numeric SAS dates (DATE9., E8601DA.) come back as dates and become ISO 8601 text; special missing values
(., .A-.Z, ._) are empty, as an empty CSV cell. Provenance: the observation number (`lb.xpt obs 12`).
"""

from __future__ import annotations

from pathlib import Path

from ecrf.errors import InputError
from ecrf.model import StudyModel
from ecrf.readers import Export, Reader
from ecrf.readers.datasets import add_dataset, suffix_or_magic
from ecrf.readers.values import frame_text

_MAGIC = (b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!", b"HEADER RECORD*******LIBV8   HEADER RECORD!!!!!!!")
# IBM hex floats carry 14 hex digits of mantissa: about 16 decimal digits, the last not always faithful.
IBM_DIGITS = 15


def is_xpt(path: Path) -> bool:
    return suffix_or_magic(path, (".xpt",), _MAGIC)


def read_xpt(path: Path, model: StudyModel) -> Export:
    path = Path(path)
    export = Export(path, format="xpt")
    df, meta = load(path)
    add_dataset(export, path, frame_text(df, IBM_DIGITS), model, "obs", (meta.table_name or "",))
    return export


def load(path: Path):
    """The dataset as a typed polars frame and its metadata, or an InputError naming the file."""
    import pyreadstat

    with open(path, "rb") as fh:
        head = fh.read(80)
    if not any(head.startswith(m) for m in _MAGIC):
        what = "an HTML page" if head.lstrip()[:1] == b"<" else "no SAS transport header"
        raise InputError(path, f"not a SAS transport (XPT) file: {what}", row=1)
    try:
        df, meta = pyreadstat.read_xport(path, output_format="polars")
    except Exception as exc:  # pyreadstat raises ReadstatError / PyreadstatError with the C library's text
        raise InputError(path, f"truncated or corrupt SAS transport file: {exc}") from None
    return df, meta


def write_xpt(directory: Path, tables: dict, model: StudyModel) -> None:
    """One XPT v8 file per form (v5 limits names to 8 characters), every variable as text."""
    import pyreadstat

    from ecrf.writer import write_bytes

    for domain, df in tables.items():
        target = Path(directory) / f"{domain}.xpt"
        tmp = Path(directory) / f".{domain}.xpt.part"
        pyreadstat.write_xport(df.fill_null(""), tmp, table_name=domain.upper(), file_format_version=8)
        data = tmp.read_bytes()
        tmp.unlink()
        write_bytes(target, data)


READER = Reader("xpt", "SAS transport files (.xpt, v5 or v8), one dataset per form (dm.xpt, ae.xpt, ...)",
                is_xpt, read_xpt, order=30, suffixes=(".xpt",), write=write_xpt)
