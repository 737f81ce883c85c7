"""The schema as the checks read it, in plain Python, so a run with a warm model cache never imports LinkML.

Importing linkml-runtime costs about 0.2 s (its metamodel pulls in rdflib, curies, prefixmaps), a third of a
small validation. The checks only look up enums, classes and types by name and read their attributes
(permissible values, annotations, patterns) and the schema's name and version; those elements are copied here
attribute for attribute into plain objects (strings, numbers, dicts, lists), which unpickle without LinkML.
Anything else asked of the view (induced slots, every class, the imports) goes to a real SchemaView, built on
first use from the merged schema, so callers see the same API either way.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

# the schema's own scalar fields kept in the snapshot (what reports and identifiers print)
_HEADER = ("name", "id", "version", "title", "description", "license", "default_prefix")


class Element:
    """A LinkML element's attributes as plain values; an attribute not copied is read from the real element."""

    def __init__(self, attrs: dict[str, Any], real: Callable[[], Any] | None = None) -> None:
        self.__dict__.update(attrs)
        self.__dict__["_real"] = real

    def __getattr__(self, name: str) -> Any:  # only for attributes not copied
        real = self.__dict__.get("_real")
        if real is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(real(), name)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_real"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__dict__["_real"] = None

    def __repr__(self) -> str:
        return f"Element({getattr(self, 'name', '') or getattr(self, 'text', '')!r})"


def plain(obj: Any) -> Any:
    """`obj` with every LinkML class replaced by builtins (str subclasses by str, elements by Element)."""
    if obj is None or type(obj) in (str, int, float, bool):
        return obj
    if isinstance(obj, bool):
        return bool(obj)
    if isinstance(obj, str):
        return str(obj)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj)
    if isinstance(obj, dict):
        return {plain(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(x) for x in obj]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return Element({f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)})
    if hasattr(obj, "__dict__"):  # JsonObj (annotations of induced slots) and the like
        return Element({k: plain(v) for k, v in vars(obj).items() if not k.startswith("_")})
    return str(obj)


@dataclasses.dataclass
class Snapshot:
    """What LiteView serves without LinkML, picklable with builtins only."""

    enums: dict[str, Element]
    classes: dict[str, Element]
    types: dict[str, Element]
    header: dict[str, Any]


def snapshot(view: Any) -> Snapshot:
    s = view.schema
    return Snapshot(
        {str(n): plain(e) for n, e in view.all_enums().items()},
        {str(n): plain(c) for n, c in view.all_classes().items()},
        {str(n): plain(t) for n, t in view.all_types().items()},
        {k: plain(getattr(s, k, None)) for k in _HEADER},
    )


class LiteView:
    """SchemaView's lookups by name served from a Snapshot; every other attribute from the real SchemaView."""

    def __init__(self, snap: Snapshot, full: Callable[[], Any]) -> None:
        self._snap = snap
        self._full_factory = full
        self._full: Any = None
        self._full_lock = threading.Lock()  # checks run on two threads: LinkML loads the schema once

    def full(self) -> Any:
        """The real SchemaView (imports LinkML on first use)."""
        with self._full_lock:
            if self._full is None:
                self._full = self._full_factory()
        return self._full

    def get_enum(self, name: str, imports: bool = True, strict: bool = False) -> Element | None:
        return self._get(self._snap.enums, name, strict, "enum")

    def get_class(self, name: str, imports: bool = True, strict: bool = False) -> Element | None:
        return self._get(self._snap.classes, name, strict, "class")

    def get_type(self, name: str, imports: bool = True, strict: bool = False) -> Element | None:
        return self._get(self._snap.types, name, strict, "type")

    def _get(self, table: dict[str, Element], name: str, strict: bool, what: str) -> Element | None:
        found = table.get(name)
        if found is None and strict:
            raise ValueError(f"No such {what}: {name}")
        return found

    @property
    def schema(self) -> Element:
        return Element(dict(self._snap.header), real=lambda: self.full().schema)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.full(), name)
