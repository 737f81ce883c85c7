"""Item values for a score total: the example generator and the score seeds both write items that add up.

Item names, weights and limits come from the schema (ecrf.clinical.scores and the items' maximum_value), so the
example follows a change of instrument definition without edits here.
"""

from __future__ import annotations

import random

from ecrf.clinical.scores import (ABSENT, PRESENT, capd_items, ice_items, lab_abnormal, mrss_items,
                                  sledai_lab_criteria, sledai_weights, vas_items)
from ecrf.model import StudyModel
from ecrf.numbers import is_number, to_number



def caps(model: StudyModel, domain: str, items: list[str]) -> dict[str, int]:
    """{item: its hard maximum} from the schema."""
    form = model.forms[domain]
    return {i: int(form.item(i).maximum) for i in items}


def spread(total: int, limits: dict[str, int], rng: random.Random) -> dict[str, int]:
    """Random item scores within their limits that add up to `total` (at most the sum of the limits)."""
    if total > sum(limits.values()):
        raise ValueError(f"{total} exceeds the item limits {sum(limits.values())}")
    out = dict.fromkeys(limits, 0)
    for _ in range(total):
        room = [i for i in limits if out[i] < limits[i]]
        out[rng.choice(room)] += 1
    return out


def take_away(items: dict[str, int], points: int, rng: random.Random) -> dict[str, int]:
    """Remove `points` from randomly chosen items that still have some."""
    out = dict(items)
    for _ in range(points):
        out[rng.choice([i for i in out if out[i] > 0])] -= 1
    return out


def mrss_sites(model: StudyModel, total: int, rng: random.Random) -> dict[str, int]:
    return spread(total, caps(model, "mrss", mrss_items(model)), rng)


def vas_systems(model: StudyModel, new_worse: int, persistent: int, rng: random.Random) -> dict[str, int]:
    nw, pe = vas_items(model)
    return spread(new_worse, caps(model, "vas", nw), rng) | spread(persistent, caps(model, "vas", pe), rng)


def ice_tasks(model: StudyModel, score: int, rng: random.Random) -> dict[str, int]:
    """ICE tasks scoring `score`: full marks less the points missed."""
    full = caps(model, "icans", ice_items(model))
    return take_away(full, sum(full.values()) - score, rng)


def capd_scores(model: StudyModel, total: int, rng: random.Random) -> dict[str, int]:
    return spread(total, caps(model, "icans", capd_items(model)), rng)


def sledai_lab_items(model: StudyModel, results: list[tuple]) -> dict[str, str]:
    """{lab descriptor item: Y/N} from one visit's results [(source, test, text, unit, lo, hi)]: Y when a numeric
    result in the threshold's unit (or against its own reference limit) meets the definition, as the check reads it."""
    out = {}
    for c in sledai_lab_criteria(model):
        out.setdefault(c.item, ABSENT)
        for source, test, text, unit, lo, hi in results:
            if (source, test) != (c.source, c.test) or not is_number(text):
                continue
            if c.rule in ("above", "below") and unit != c.unit:
                continue
            if lab_abnormal(c.rule, float(text), c.threshold, to_number(lo), to_number(hi)):
                out[c.item] = PRESENT
    return out


def sledai_descriptors(model: StudyModel, target: int, fixed: dict[str, str], rng: random.Random,
                       avoid: tuple[str, ...] = ()) -> dict[str, str]:
    """Y/N for every descriptor: `fixed` as given (the lab descriptors), then clinical descriptors drawn at random
    while their weight fits, to come as close to `target` as the weights allow (never above it, unless the fixed
    ones already are)."""
    weights = sledai_weights(model)
    out = {i: fixed.get(i, ABSENT) for i in weights}
    left = target - sum(weights[i] for i, v in out.items() if v == PRESENT)
    free = [i for i in weights if i not in fixed and i not in avoid]
    rng.shuffle(free)
    for i in free:
        if 0 < weights[i] <= left:
            out[i] = PRESENT
            left -= weights[i]
    return out


def sledai_score(model: StudyModel, items: dict[str, str]) -> int:
    w = sledai_weights(model)
    return sum(w[i] for i, v in items.items() if v == PRESENT)


def sledai_exact(model: StudyModel, target: int, fixed: dict[str, str], rng: random.Random,
                 tries: int = 200) -> dict[str, str]:
    """Like sledai_descriptors, but adding up to exactly `target` (a seed needs the total it names)."""
    for _ in range(tries):
        items = sledai_descriptors(model, target, fixed, rng)
        if sledai_score(model, items) == target:
            return items
    raise ValueError(f"no SLEDAI-2K descriptors add up to {target} with {fixed}")


def sledai_lab_item_names(model: StudyModel) -> list[str]:
    """The descriptors that follow lab results (SledaiLabCriterion)."""
    return sorted({c.item for c in sledai_lab_criteria(model)})


def titled(items: dict) -> dict[str, str]:
    """Item values keyed by their export column (the upper-case title), as text."""
    return {k.upper(): str(v) for k, v in items.items()}
