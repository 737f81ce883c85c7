"""Clinical seeds for the lab catalogue, unit, limit and grade checks (see ecrf.example.seeding for how seeds are placed)."""

from __future__ import annotations

CLINICAL: tuple = ()
