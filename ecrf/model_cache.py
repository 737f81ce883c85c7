"""The compiled study model, cached by the content of the schema files, so LinkML's YAML loading and import
merging (about 0.5 s for KN5601-K) runs once per schema version, not on every command.

An entry holds the merged schema and the form specs, and the SHA-256 of every file the schema was built from;
any change to one of them (or another ecrf / linkml-runtime / Python version) builds it afresh. The cache lives
in $ECRF_CACHE_DIR, else $XDG_CACHE_HOME/ecrf, else ~/.cache/ecrf; ECRF_CACHE_DIR=off disables it. It is a
speed-up only: an unreadable or unwritable cache is ignored. Entries are pickles, so the folder must be the
user's own (as any cache of compiled code is).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

FORMAT = 2  # bump when what an entry holds changes (2: schema pickled apart, plain snapshot)


def cache_dir() -> Path | None:
    chosen = os.environ.get("ECRF_CACHE_DIR")
    if chosen == "off":
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ecrf"


def _stamp() -> str:
    # The code that builds the form specs is part of the key: an edited model.py (a new Item field) must not
    # read entries pickled by the old one, whatever the package version says.
    code = hashlib.sha256((Path(__file__).parent / "model.py").read_bytes()).hexdigest()[:16]
    return f"{FORMAT}|{version('ecrf')}|{code}|{version('linkml-runtime')}|{sys.version_info[:2]}"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _entry(schema: Path) -> Path | None:
    d = cache_dir()
    if d is None:
        return None
    key = hashlib.sha256(f"{schema}|{_stamp()}".encode()).hexdigest()[:32]
    return d / f"model-{key}.pickle"


def load(schema: Path) -> Any | None:
    """The cached payload for `schema`, or None when there is none or any source file changed."""
    entry = _entry(schema)
    if entry is None or not entry.is_file():
        return None
    try:
        sources, payload = pickle.loads(entry.read_bytes())
        if all(Path(p).is_file() and _digest(Path(p)) == h for p, h in sources):
            return payload
    except Exception:  # a stale or damaged entry: rebuild it
        return None
    return None


def store(schema: Path, sources: list[Path], payload: Any) -> None:
    """Keep `payload` for `schema`, stamped with the hash of each source file; failures are ignored."""
    entry = _entry(schema)
    if entry is None:
        return
    try:
        from ecrf.writer import write_bytes

        data = pickle.dumps(([(str(p), _digest(p)) for p in sources], payload), protocol=pickle.HIGHEST_PROTOCOL)
        entry.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(entry, data)
    except Exception:  # read-only home, full disk, ...: run without the cache
        return
