"""Fingerprints stay the same when the rows of any one form arrive in another order, form by form, and when
the rows of every form are shuffled with many seeds (tests/test_fingerprints.py shuffles all forms at once)."""

from __future__ import annotations

import random

import pytest
from test_fingerprints import FORMS, _copy, _findings, _reorder


@pytest.fixture(scope="module")
def baseline():
    from test_fingerprints import BUNDLED

    return _findings(BUNDLED)


def _shuffle_one(folder, form: str, seed: int) -> None:
    lines = (folder / form).read_text(encoding="utf-8").splitlines(keepends=True)
    body = lines[1:]
    if body and not body[-1].endswith("\n"):
        body[-1] += "\n"
    order = random.Random(seed).sample(body, len(body))
    if len(body) > 1 and order == body:
        order = body[::-1]
    (folder / form).write_text(lines[0] + "".join(order), encoding="utf-8")


@pytest.mark.parametrize("form", FORMS)
def test_fingerprints_survive_shuffling_one_form(tmp_path, baseline, form):
    d = _copy(tmp_path)
    _shuffle_one(d, form, seed=len(form))
    assert _findings(d) == baseline


@pytest.mark.parametrize("seed", [11, 23, 37, 101])
def test_fingerprints_survive_shuffling_every_form_with_more_seeds(tmp_path, baseline, seed):
    d = _copy(tmp_path)
    _reorder(d, lambda body: random.Random(seed).sample(body, len(body)))
    assert _findings(d) == baseline
