"""Limits on decompressing untrusted input (zip members, compressed Dataset-JSON), checked before and while
inflating so a zip bomb is refused before it fills the disk or memory. A user with a genuinely large export
raises them with the environment variables below."""

from __future__ import annotations

import os

from ecrf.errors import InputError

SIZE_VAR = "ECRF_MAX_UNPACKED_MB"    # total bytes one archive may unpack to
RATIO_VAR = "ECRF_MAX_PACK_RATIO"    # unpacked size / packed size of one member
DEFAULT_MB = 2048
DEFAULT_RATIO = 200


def _number(var: str, default: float) -> float:
    raw = os.environ.get(var)
    if not raw:
        return default
    try:
        v = float(raw)
    except ValueError:
        raise InputError(var, f"must be a number, not {raw!r}") from None
    if v <= 0:
        raise InputError(var, f"must be positive, not {raw!r}")
    return v


def max_unpacked() -> int:
    return int(_number(SIZE_VAR, DEFAULT_MB) * 1024 * 1024)


def max_ratio() -> float:
    return _number(RATIO_VAR, DEFAULT_RATIO)


def refuse(path, what: str, limit_var: str):
    return InputError(path, f"refused: {what} (a zip bomb?); if the export is genuine, raise {limit_var}")


def inflate_gzip(path, data: bytes) -> bytes:
    """gunzip `data` in bounded steps, refusing output beyond the size or ratio limits."""
    import zlib

    limit = min(max_unpacked(), int(max(len(data), 1) * max_ratio()))
    d = zlib.decompressobj(wbits=31)
    out = bytearray()
    chunk = data
    while chunk:
        out += d.decompress(chunk, limit + 1 - len(out))
        if len(out) > limit:
            var = SIZE_VAR if limit == max_unpacked() else RATIO_VAR
            raise refuse(path, f"it unpacks to more than {limit:,} bytes", var)
        chunk = d.unconsumed_tail
        if d.eof:
            break
    if not d.eof:
        raise InputError(path, "truncated gzip stream: the file ends before its compressed data does")
    return bytes(out)
