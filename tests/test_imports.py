"""No import cycles: none among the modules' top-level imports anywhere in the package, and none at all (lazy
imports included) inside ecrf/example, where seeding and the seed modules once imported each other. No
private helper (a name with a leading underscore) is imported from another module anywhere in the package."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"ecrf": ROOT / "ecrf", "ecrf.validators": ROOT / "validators", "ecrf.cli": ROOT / "cli"}
CORE = ["ecrf/model.py", "ecrf/model_cache.py", "ecrf/registry.py", "ecrf/engine.py", "ecrf/scaffold.py",
        "ecrf/catalogue.py", "ecrf/example/seedkit.py"]


def modules() -> dict[str, Path]:
    out = {}
    for pkg, folder in PACKAGES.items():
        for f in folder.rglob("*.py"):
            rel = f.relative_to(folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            out[".".join([pkg, *parts])] = f
    return out


def imports(path: Path, lazy: bool) -> list[tuple[str, list[str]]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = ast.walk(tree) if lazy else iter(tree.body)
    out = []
    for n in nodes:
        if isinstance(n, ast.ImportFrom) and n.module and n.level == 0:
            out.append((n.module, [a.name for a in n.names]))
        elif isinstance(n, ast.Import):
            out += [(a.name, []) for a in n.names]
    return out


def graph(lazy: bool, prefix: str = "") -> dict[str, set[str]]:
    mods = modules()
    g: dict[str, set[str]] = {}
    for name, path in mods.items():
        if not name.startswith(prefix):
            continue
        deps = set()
        for mod, names in imports(path, lazy):
            subs = {f"{mod}.{x}" for x in names if f"{mod}.{x}" in mods}  # `from pkg import submodule`
            rest = [x for x in names if f"{mod}.{x}" not in mods]
            found = subs | ({mod} if (rest or not names) and mod in mods else set())
            deps |= {m for m in found if m.startswith(prefix)}
        g[name] = deps - {name}
    return g


def cycle(g: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for d in sorted(g.get(n, ())):
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d not in state and (c := visit(d)):
                return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(g):
        if n not in state and (c := visit(n)):
            return c
    return None


def test_no_cycle_among_top_level_imports():
    assert cycle(graph(lazy=False)) is None


def test_no_cycle_at_all_inside_the_example_package():
    """Lazy imports included, among the example's modules (its package facade, ecrf/example/__init__.py, the
    public entry point that the generator also writes through, is left out)."""
    g = graph(lazy=True, prefix="ecrf.example.")
    assert "ecrf.example.seeds_labs" in g and "ecrf.example.seedkit" in g["ecrf.example.seeds_labs"]
    assert cycle(g) is None


def test_the_cycle_finder_finds_one():
    assert cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]


def test_no_module_imports_a_private_helper():
    """Anywhere in the package (lazy imports included): a helper two modules share is public in a shared module
    (validators/common.py for the checks), else it stays private to its module."""
    bad = [(str(path.relative_to(ROOT)), mod, n) for path in modules().values()
           for mod, names in imports(path, lazy=True) for n in names
           if n.startswith("_") and not n.startswith("__") and mod.startswith("ecrf")]
    assert bad == []


def test_core_modules_import_no_private_helpers():
    bad = [(f, mod, n) for f in CORE for mod, names in imports(ROOT / f, lazy=True) for n in names
           if n.startswith("_") and mod.startswith("ecrf")]
    assert bad == []
