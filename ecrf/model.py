"""The study model: the LinkML schema in schema/, read through SchemaView into form and item specs."""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecrf.model_view import LiteView, snapshot

if TYPE_CHECKING:
    from linkml_runtime.utils.schemaview import SchemaView

from ecrf.numbers import format_number

SCHEMA_FILE = "kn5601k.yaml"
# The study schema used when none is passed (`--schema` on the command line sets the same thing per run).
SCHEMA_ENV = "ECRF_SCHEMA"


class ModelLacks(KeyError):
    """The study model has no such form, item or role: a check that needs it is not applicable to this study."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "the model lacks what the check needs"


class SchemaProblem(ValueError):
    """The schema declares something no export can carry (e.g. a multi-select whose codes hold a comma)."""


class Forms(dict[str, "Form"]):
    """The model's forms by domain; a missing one raises ModelLacks (a KeyError), never a bare KeyError."""

    def __missing__(self, domain: str) -> Form:
        raise ModelLacks(f"the study model has no form {domain!r}")


# Python-side kinds of an item, from the LinkML range; the checks derive from these.
NUMERIC_KINDS = {"integer", "decimal"}
# How a multi-select item's codes share one cell of an export (CSV, Excel, SAS, ODM ItemData Value).
MULTI_SEPARATOR = ","

DATE_KINDS = {"full_date", "partial_date"}
_TYPE_KINDS = {
    "integer": "integer",
    "decimal": "decimal",
    "float": "decimal",
    "double": "decimal",
    "full_date": "full_date",
    "partial_date": "partial_date",
}


@dataclass(frozen=True)
class Item:
    """One eCRF item (a LinkML slot as used by a form)."""

    name: str
    title: str
    description: str
    kind: str  # integer | decimal | string | enum | full_date | partial_date
    required: bool = False
    role: str | None = None  # what the item means to the generic checks (subject, visit, start_date, ...)
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    codes: tuple[str, ...] = ()
    codelist: str | None = None
    equals: str | None = None
    unit: str | None = None
    # A multi-select (LinkML `multivalued: true`): one cell holding its codes separated by MULTI_SEPARATOR.
    multivalued: bool = False
    # The date item of the same form this item is relative to (annotation date_item, e.g. VASAGE -> VASDAT).
    date_item: str | None = None
    # The external coding dictionary the value comes from (annotation dictionary: MedDRA, WHODrug, ATC).
    dictionary: str | None = None

    def expected(self) -> str:
        """What a valid value looks like, in words a data manager can paste into a query."""
        if self.equals is not None:
            return self.equals
        if self.kind == "enum" and self.multivalued:
            return "one or more of " + ", ".join(self.codes) + f" separated by '{MULTI_SEPARATOR}'"
        if self.kind == "enum":
            return "one of " + ", ".join(self.codes)
        if self.kind in NUMERIC_KINDS:
            lo = "" if self.minimum is None else format_number(self.minimum)
            hi = "" if self.maximum is None else format_number(self.maximum)
            rng = f" in {lo}..{hi}" if (lo or hi) else ""
            return f"{'an integer' if self.kind == 'integer' else 'a number'}{rng}" + (
                f" {self.unit}" if self.unit else ""
            )
        if self.kind == "full_date":
            return "a calendar date YYYY-MM-DD"
        if self.kind == "partial_date":
            return "a date YYYY, YYYY-MM or YYYY-MM-DD"
        if self.pattern:
            return f"text matching {self.pattern}"
        return "text"


def multi_select_pattern(codes: tuple[str, ...]) -> str:
    """The regular expression a multi-select cell matches: one or more codes, separated by commas."""
    import re

    one = "(?:" + "|".join(re.escape(c) for c in codes) + ")"
    return f"^{one}(?:\\s*{MULTI_SEPARATOR}\\s*{one})*$"


@dataclass(frozen=True)
class Form:
    """One eCRF form (a LinkML class with a `domain` annotation): its items, key and file name."""

    name: str
    domain: str
    description: str
    items: tuple[Item, ...]
    keys: tuple[str, ...]
    required_form: bool = False
    by_name: dict[str, Item] = field(default_factory=dict, compare=False, hash=False, repr=False)
    # The form's file must be in every delivery (schema annotation export_required; implied by required_form),
    # or once any of these forms has records (annotation export_required_after: "ld ex").
    export_required: bool = False
    export_required_after: tuple[str, ...] = ()

    def item(self, name: str) -> Item:
        try:
            return self.by_name[name]
        except KeyError:
            raise ModelLacks(f"form {self.domain} of the study model has no item {name!r}") from None

    def has(self, name: str) -> bool:
        return name in self.by_name

    def role(self, role: str) -> str:
        """The name of the item annotated with this role (schema annotation `role`); ModelLacks when none."""
        found = self.find_role(role)
        if found is None:
            raise ModelLacks(f"form {self.domain} of the study model has no item with role {role!r}")
        return found

    def find_role(self, role: str) -> str | None:
        for i in self.items:
            if i.role == role:
                return i.name
        return None

    @property
    def required_items(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.items if i.required)


@dataclass(eq=False)  # hashable by identity, so derived artifacts can be cached per model
class StudyModel:
    # SchemaView's API; lookups by name are served without LinkML (ecrf/model_view.py), the rest by SchemaView
    view: LiteView
    forms: Forms  # by domain, in schema order
    path: str = ""

    def items_with_role(self, role: str) -> list[tuple[str, str]]:
        """(form domain, item name) of each form's item annotated with this role, in schema order."""
        return [(f.domain, name) for f in self.forms.values() if (name := f.find_role(role)) is not None]

    def item_with_role(self, role: str) -> tuple[str, str]:
        """(form domain, item name) of the first item annotated with this role; ModelLacks when none."""
        found = self.items_with_role(role)
        if not found:
            raise ModelLacks(f"the study model has no item with role {role}")
        return found[0]

    def form_for_file(self, stem: str) -> Form | None:
        """A CSV file is named after the form's domain (dm.csv) or class (Demographics.csv), any case."""
        s = stem.lower()
        for f in self.forms.values():
            if s in (f.domain.lower(), f.name.lower()):
                return f
        return None

    def files_view(self) -> SchemaView:
        """The schema as its separate files (schema_map by file), for generators that name the file an element
        lives in; loaded on demand, off the validation path."""
        from linkml_runtime.utils.schemaview import SchemaView

        view = SchemaView(self.path)
        view.imports_closure()  # fills schema_map with every imported file
        return view

    def schema_file(self, name: str | None = None) -> str:
        """How a generated document names a schema file: the root schema, or the imported schema `name` (a file
        next to it). `schema/<file>` for the bundled study; another study's file relative to the working
        directory (absolute when outside it), never the default study's path."""
        root = Path(self.path)
        p = root if name is None else root.parent / f"{name}.yaml"
        if p.resolve().parent == schema_path().resolve().parent:
            return f"schema/{p.name}"
        try:
            return p.resolve().relative_to(Path.cwd().resolve()).as_posix()
        except ValueError:
            return p.as_posix()

    def annotation(self, element: Any, key: str, default: Any = None) -> Any:
        ann = getattr(element, "annotations", None) or {}
        a = ann.get(key)
        return default if a is None else a.value


def schema_path() -> Path:
    """The bundled KN5601-K schema."""
    return Path(str(files("ecrf.schema") / SCHEMA_FILE))


def resolve_schema(path: str | os.PathLike[str] | None = None) -> Path:
    """The schema to use: `path`, else $ECRF_SCHEMA, else the bundled KN5601-K schema."""
    chosen = path or os.environ.get(SCHEMA_ENV) or schema_path()
    return Path(chosen).resolve()


def load_model(path: str | os.PathLike[str] | None = None) -> StudyModel:
    """The study model of the schema at `path` (default: see resolve_schema), loaded once per file and process."""
    p = resolve_schema(path)
    if not p.is_file():
        from ecrf.errors import InputError

        raise InputError(p, "no such schema file")
    return _load(str(p))


@lru_cache(maxsize=8)
def _load(path: str) -> StudyModel:
    from ecrf import model_cache

    cached = model_cache.load(Path(path))
    if cached is not None:
        schema, forms, snap = cached
        return StudyModel(LiteView(snap, lambda: _view_of(schema)), Forms(forms), path)
    from linkml_runtime.utils.schemaview import SchemaView

    view = SchemaView(path, merge_imports=True)
    try:
        forms = _forms(view)
    except SchemaProblem as err:  # the study's schema asks for what ecrf cannot carry: the user's to fix
        from ecrf.errors import InputError

        raise InputError(Path(path), str(err)) from None
    snap = snapshot(view)
    # the merged schema is kept pickled apart, so loading an entry does not import LinkML until it is needed
    schema = pickle.dumps(view.schema, protocol=pickle.HIGHEST_PROTOCOL)
    model_cache.store(Path(path), _sources(Path(path)), (schema, dict(forms), snap))
    return StudyModel(LiteView(snap, lambda: view), forms, path)


def _view_of(schema: bytes) -> SchemaView:
    from linkml_runtime.utils.schemaview import SchemaView

    return SchemaView(pickle.loads(schema))


def _sources(root: Path) -> list[Path]:
    """The files the schema is built from: the root and its local imports, followed recursively (a name is
    relative to the importing file's folder, as LinkML resolves it)."""
    import yaml

    out: list[Path] = []
    todo = [root]
    while todo:
        p = todo.pop()
        if p in out or not p.is_file():
            continue
        out.append(p)
        doc = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        todo += [p.parent / f"{name}.yaml" for name in doc.get("imports") or [] if ":" not in name]
        # names with a prefix (linkml:types) come with linkml-runtime, whose version stamps the cache entry
    return out


def _forms(view: SchemaView) -> Forms:
    forms = Forms()
    for cname, cls in view.all_classes(ordered_by=_schema_order()).items():
        ann = cls.annotations or {}
        if "domain" not in ann or cls.mixin:
            continue
        slots = view.class_induced_slots(cname)
        mixin_slots = {s for m in cls.mixins for s in view.class_slots(m)}
        # Keys (from the mixins) first, then the form's own items in schema order.
        slots = [s for s in slots if s.name in mixin_slots] + [s for s in slots if s.name not in mixin_slots]
        items = tuple(_item(view, s) for s in slots)
        keys: tuple[str, ...] = ()
        for uk in (cls.unique_keys or {}).values():
            keys = tuple(str(k) for k in uk.unique_key_slots)
        domain = str(ann["domain"].value)
        required_form = _flag(ann, "required_form")
        after = tuple(str(ann["export_required_after"].value).split()) if "export_required_after" in ann else ()
        forms[domain] = Form(
            str(cname),
            domain,
            (cls.description or "").strip(),
            items,
            keys,
            required_form,
            {i.name: i for i in items},
            export_required=required_form or _flag(ann, "export_required"),
            export_required_after=after,
        )
    return forms


def _flag(ann: Any, name: str) -> bool:
    return name in ann and str(ann[name].value).lower() == "true"


def _schema_order() -> Any:
    from linkml_runtime.utils.schemaview import OrderedBy

    return OrderedBy.PRESERVE


def _item(view: SchemaView, slot: Any) -> Item:
    rng = slot.range or "string"
    kind, pattern = "string", _s(slot.pattern)
    codes: tuple[str, ...] = ()
    codelist = None
    if rng in view.all_enums():
        kind, codelist = "enum", str(rng)
        codes = tuple(str(c) for c in view.get_enum(rng).permissible_values)
    else:
        t = rng
        while t is not None:
            if t in _TYPE_KINDS:
                kind = _TYPE_KINDS[t]
                break
            tdef = view.get_type(t)
            if tdef is None:
                break
            pattern = pattern or _s(tdef.pattern)
            t = tdef.typeof
    unit = _s(slot.unit.ucum_code) if slot.unit is not None else None
    # plain str throughout (LinkML hands out str subclasses), so a cached model unpickles without LinkML
    return Item(
        name=str(slot.name),
        title=str(slot.title or slot.name.upper()),
        description=(slot.description or "").strip(),
        kind=kind,
        required=bool(slot.required),
        role=element_annotation(slot, "role"),
        date_item=element_annotation(slot, "date_item"),
        dictionary=element_annotation(slot, "dictionary"),
        pattern=pattern,
        minimum=_f(slot.minimum_value),
        maximum=_f(slot.maximum_value),
        codes=codes,
        codelist=codelist,
        equals=_s(slot.equals_string),
        unit=unit,
        multivalued=_multivalued(slot, kind, codes),
    )


def _multivalued(slot: Any, kind: str, codes: tuple[str, ...]) -> bool:
    """A multi-select: a multivalued slot with a codelist whose codes can share a cell."""
    if not slot.multivalued:
        return False
    if kind != "enum" or any(MULTI_SEPARATOR in c or c != c.strip() for c in codes):
        raise SchemaProblem(
            f"slot {slot.name}: a multivalued item must have a codelist whose codes hold no "
            f"{MULTI_SEPARATOR!r} and no surrounding blanks (one cell carries them all)"
        )
    return True


def _s(v: Any) -> str | None:
    return None if v is None else str(v)


def _f(v: Any) -> float | None:
    return None if v is None else float(v)


def element_annotation(element: Any, key: str) -> str | None:
    """One annotation of a schema element (a slot induced from attributes too) as text; None when unset."""
    ann = getattr(element, "annotations", None) or {}
    # Slots induced from class attributes carry their annotations as a JsonObj, not a dict.
    a = ann.get(key) if isinstance(ann, dict) else getattr(ann, key, None)
    if a is None:
        return None
    return str(getattr(a, "value", a))
