"""Make real SAS7BDAT files for tests with ReadStat's own writer (the C library inside pyreadstat, which
reads these files but does not expose writing them). Numeric columns may carry a SAS format (DATE9.)."""

from __future__ import annotations

import ctypes
import datetime as dt
import glob
import math
from pathlib import Path

import pyreadstat

_LIB = ctypes.CDLL(glob.glob(str(Path(pyreadstat.__file__).parent / "_readstat_writer*.so"))[0])
_WRITE = ctypes.CFUNCTYPE(ctypes.c_ssize_t, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p)
_STRING, _DOUBLE = 0, 5
_SAS_EPOCH = dt.date(1960, 1, 1)

_LIB.readstat_writer_init.restype = ctypes.c_void_p
_LIB.readstat_add_variable.restype = ctypes.c_void_p
_LIB.readstat_add_variable.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_size_t]
_LIB.readstat_set_data_writer.argtypes = [ctypes.c_void_p, _WRITE]
_LIB.readstat_begin_writing_sas7bdat.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long]
_LIB.readstat_insert_string_value.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p]
_LIB.readstat_insert_double_value.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_double]
_LIB.readstat_insert_missing_value.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
_LIB.readstat_insert_tagged_missing_value.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char]
_LIB.readstat_variable_set_format.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
_LIB.readstat_writer_set_table_name.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
for f in ("readstat_begin_row", "readstat_end_row", "readstat_end_writing", "readstat_writer_free"):
    getattr(_LIB, f).argtypes = [ctypes.c_void_p]
_LIB.readstat_error_message.restype = ctypes.c_char_p


class SpecialMissing:
    """A SAS special missing value (.A-.Z, ._) for a numeric column."""

    def __init__(self, tag: str):
        self.tag = tag


def _ok(code: int) -> None:
    if code:
        raise RuntimeError(_LIB.readstat_error_message(code).decode())


def write_sas7bdat(path: Path, columns: dict[str, list], formats: dict[str, str] | None = None,
                   table: str = "DATA") -> Path:
    """columns: name -> values (str/None for text; float/int/date/None for numbers, None as SAS missing,
    SpecialMissing("A") as the special missing value .A)."""
    out = bytearray()

    @_WRITE
    def sink(data, length, ctx):
        out.extend(ctypes.string_at(data, length))
        return length

    w = _LIB.readstat_writer_init()
    try:
        _ok(_LIB.readstat_set_data_writer(w, sink))
        _ok(_LIB.readstat_writer_set_table_name(w, table.encode()))
        kinds, handles = {}, {}
        for name, values in columns.items():
            text = any(isinstance(v, str) for v in values)  # SpecialMissing keeps a column numeric
            width = max([len(v.encode()) for v in values if isinstance(v, str)] + [1]) if text else 8
            kinds[name] = text
            handles[name] = _LIB.readstat_add_variable(w, name.encode(), _STRING if text else _DOUBLE, width)
            if (formats or {}).get(name):
                _LIB.readstat_variable_set_format(handles[name], formats[name].encode())
        n = len(next(iter(columns.values()))) if columns else 0
        _ok(_LIB.readstat_begin_writing_sas7bdat(w, None, n))
        for i in range(n):
            _ok(_LIB.readstat_begin_row(w))
            for name, values in columns.items():
                v = values[i]
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    _ok(_LIB.readstat_insert_missing_value(w, handles[name]))
                elif isinstance(v, SpecialMissing):
                    _ok(_LIB.readstat_insert_tagged_missing_value(w, handles[name], v.tag.encode()))
                elif kinds[name]:
                    _ok(_LIB.readstat_insert_string_value(w, handles[name], str(v).encode()))
                else:
                    num = (v - _SAS_EPOCH).days if isinstance(v, dt.date) else float(v)
                    _ok(_LIB.readstat_insert_double_value(w, handles[name], num))
            _ok(_LIB.readstat_end_row(w))
        _ok(_LIB.readstat_end_writing(w))
    finally:
        _LIB.readstat_writer_free(w)
    Path(path).write_bytes(bytes(out))
    return Path(path)
