"""Read a zip of an export (any mix of the formats, possibly inside one top folder).

Every member is checked before anything is unpacked: a name that would land outside the target (`../x.csv`,
an absolute path, a link) is refused, and so is an archive whose declared sizes pass the unpack limits
(ecrf.readers.limits); while unpacking, the real byte count is held to the same limits, so a member that lies
about its size is stopped too. Members go into a private temporary folder, removed after reading; errors name
the member as `export.zip!dm.csv`.
"""

from __future__ import annotations

import shutil
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from ecrf.errors import InputError
from ecrf.model import StudyModel
from ecrf.readers import Export, Reader
from ecrf.readers.limits import RATIO_VAR, SIZE_VAR, max_ratio, max_unpacked, refuse

_CHUNK = 1 << 20
_RATIO_FLOOR = 1 << 20  # the ratio limit applies to members above 1 MiB: small text compresses very well


def is_zip(path: Path) -> bool:
    if not path.is_file():
        return False
    if path.suffix.lower() == ".zip":
        return True
    try:
        with open(path, "rb") as fh:
            if fh.read(4) not in (b"PK\x03\x04", b"PK\x05\x06"):
                return False
        with zipfile.ZipFile(path) as z:
            return "xl/workbook.xml" not in z.namelist()  # a workbook is the Excel reader's
    except (OSError, zipfile.BadZipFile):
        return False


def read_zip(path: Path, model: StudyModel) -> Export:
    from ecrf.readers.folder import read_folder_into

    path = Path(path)
    tmp = Path(tempfile.mkdtemp(prefix="ecrf-zip-"))  # mode 0700: private to this user
    try:
        unpack(path, tmp)
        root = _export_root(tmp)
        export = Export(path, format="zip")
        try:
            read_folder_into(root, model, export, nested=False)
        except InputError as exc:
            raise InputError(_member_name(path, root, exc.file), exc.message, exc.row, exc.column) from None
        if not export.tables and not export.unknown_files:
            raise InputError(path, "the zip holds no export files (CSV, Excel, SAS, Dataset-JSON or Parquet)")
        for t in export.tables.values():
            t.path = Path(f"{path.name}!{t.path.relative_to(root).as_posix()}")
        for p in export.problems:
            p.file = p.file if "!" in p.file else f"{path.name}!{p.file}"
        export.format = f"zip({export.format})" if export.format != "zip" else export.format
        return export
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _member_name(zpath: Path, root: Path, file) -> str:
    try:
        return f"{zpath}!{Path(file).relative_to(root).as_posix()}"
    except ValueError:
        return str(file)


def _export_root(tmp: Path) -> Path:
    """The folder holding the files: the zip's root, or its single top folder (a zipped export folder)."""
    entries = [p for p in tmp.iterdir() if p.name != "__MACOSX"]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return tmp


def unpack(path: Path, target: Path) -> None:
    """Unpack the zip at `path` into `target` after checking names and sizes; InputError on anything unsafe."""
    try:
        z = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise InputError(path, f"not a readable zip archive (truncated or corrupt?): {exc}") from None
    except OSError as exc:
        raise InputError(path, f"cannot read the zip: {exc.strerror}") from None
    with z:
        infos = z.infolist()
        check_members(path, infos)
        limit = max_unpacked()
        written = 0
        for info in infos:
            dest = target.joinpath(*PurePosixPath(info.filename).parts)
            if info.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                with z.open(info) as src, open(dest, "wb") as out:
                    member = 0
                    while chunk := src.read(_CHUNK):
                        member += len(chunk)
                        written += len(chunk)
                        if member > info.file_size or written > limit:  # sizes in the header were a lie
                            raise refuse(path, f"member {info.filename} unpacks to more than it declares", SIZE_VAR)
                        out.write(chunk)
            except (zipfile.BadZipFile, EOFError, NotImplementedError) as exc:
                raise InputError(f"{path}!{info.filename}", f"damaged zip member: {exc}") from None


def check_members(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse unsafe names, encrypted members and declared sizes beyond the limits (before unpacking)."""
    limit, ratio = max_unpacked(), max_ratio()
    total = 0
    for info in infos:
        _check_name(path, info)
        if info.flag_bits & 0x1:
            raise InputError(path, f"member {info.filename} is encrypted; unzip it with its password first")
        total += info.file_size
        if total > limit:
            raise refuse(path, f"its members unpack to more than {limit:,} bytes", SIZE_VAR)
        if info.file_size > _RATIO_FLOOR and info.file_size > ratio * max(info.compress_size, 1):
            raise refuse(path, f"member {info.filename} inflates "
                         f"{info.file_size / max(info.compress_size, 1):,.0f} times", RATIO_VAR)


def _check_name(path: Path, info: zipfile.ZipInfo) -> None:
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    mode = info.external_attr >> 16
    if (name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]) or "\x00" in name):
        raise InputError(path, f"refused: member {name!r} would be written outside the export folder "
                         "(path traversal)")
    if stat.S_ISLNK(mode):
        raise InputError(path, f"refused: member {name!r} is a symbolic link")
    if "\\" in name:
        raise InputError(path, f"refused: member {name!r} uses backslashes in its path")


def write_zip(directory: Path, tables: dict, model: StudyModel) -> None:
    """The CSV export zipped (export.zip with dm.csv, ae.csv, ...)."""
    import io

    import polars as pl

    from ecrf.writer import write_bytes

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for domain, df in tables.items():
            csv = df.with_columns(pl.all().replace("", None)).write_csv()
            z.writestr(f"export/{domain}.csv", csv)
    write_bytes(Path(directory) / "export.zip", buf.getvalue())


READER = Reader("zip", "a zip of an export in any of these formats (one top folder allowed)", is_zip, read_zip,
                order=25, suffixes=(".zip",), write=write_zip)
