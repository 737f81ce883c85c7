"""Clinical seeds for the cross-form consistency checks (see ecrf.example.seeding for how seeds are placed)."""

from __future__ import annotations

CLINICAL: tuple = ()
