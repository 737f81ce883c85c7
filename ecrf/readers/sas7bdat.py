"""Read SAS datasets (.sas7bdat), one per form (dm.sas7bdat, ...), with pyreadstat.

As for transport files: SAS dates (DATE9., E8601DA., ...) become ISO 8601 text, special missing values are
empty, provenance is the observation number (`lb.sas7bdat obs 12`). Read only: pyreadstat cannot write
SAS7BDAT, so `ecrf example` offers xpt for SAS.
"""

from __future__ import annotations

from pathlib import Path

from ecrf.errors import InputError
from ecrf.model import StudyModel
from ecrf.readers import Export, Reader
from ecrf.readers.datasets import add_dataset, suffix_or_magic
from ecrf.readers.values import frame_text

# The 32 bytes every SAS7BDAT file starts with.
_MAGIC = bytes.fromhex("000000000000000000000000c2ea8160b31411cfbd92080009c7318c181f1011")


def is_sas7bdat(path: Path) -> bool:
    return suffix_or_magic(path, (".sas7bdat",), (_MAGIC,))


def read_sas7bdat(path: Path, model: StudyModel) -> Export:
    path = Path(path)
    export = Export(path, format="sas7bdat")
    df, meta = load(path)
    add_dataset(export, path, frame_text(df), model, "obs", (meta.table_name or "",))
    return export


def load(path: Path):
    import pyreadstat

    with open(path, "rb") as fh:
        head = fh.read(32)
    if head != _MAGIC:
        what = "an HTML page" if head.lstrip()[:1] == b"<" else "no SAS7BDAT header"
        raise InputError(path, f"not a SAS dataset (.sas7bdat): {what}")
    try:
        df, meta = pyreadstat.read_sas7bdat(path, output_format="polars", formats_as_category=False)
    except Exception as exc:  # ReadstatError / PyreadstatError carry the C library's description
        raise InputError(path, f"truncated or corrupt SAS dataset: {exc}") from None
    if meta.number_rows is not None and meta.number_rows != df.height:
        raise InputError(path, f"the dataset declares {meta.number_rows} observations but {df.height} were "
                         "read (truncated?)")
    return df, meta


READER = Reader("sas7bdat", "SAS datasets (.sas7bdat), one per form (dm.sas7bdat, ...); read only",
                is_sas7bdat, read_sas7bdat, order=32, suffixes=(".sas7bdat",))
