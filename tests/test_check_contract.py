"""The one way to register a check: the decorator (or a runner for the column checks), typed by the contract in
ecrf.registry (CheckFunc: Context -> Findings; ViolationFunc: Context -> Violation), and mypy checks it."""

from __future__ import annotations

import ast
from pathlib import Path

from ecrf.registry import registered

ROOT = Path(__file__).resolve().parents[1]


def test_every_check_function_is_typed_by_the_contract():
    untyped = [c.id for c in registered() if c.func is not None
               and c.func.__annotations__ != {"ctx": "Context", "return": "Findings"}]
    assert untyped == [], "annotate a check as `def name(ctx: Context) -> Findings:` (ecrf.registry)"
    wrong = [c.id for c in registered() if c.violation is not None
             and c.violation.__annotations__ != {"ctx": "Context", "return": "Violation"}]
    assert wrong == [], "annotate a violation as `def v_name(ctx: Context) -> Violation:` (ecrf.registry)"


def test_every_check_runs_through_a_function_or_a_runner():
    assert all((c.func is None) != (c.runner is None) for c in registered())


def test_no_check_module_keeps_a_registry_of_its_own():
    """Checks are found through ecrf.registry only: no module-level dict or list of check functions that another
    module fills in (the eligibility violations once were a dict mutated from a second module)."""
    mutated = []
    for f in sorted((ROOT / "validators").glob("*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("update", "append", "extend", "setdefault")
                    and isinstance(node.func.value, ast.Name) and node.func.value.id.isupper()):
                mutated.append(f"{f.name}: {node.func.value.id}.{node.func.attr}")
    assert mutated == []
