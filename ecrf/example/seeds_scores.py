"""Clinical seeds for the disease-score item and total checks (see ecrf.example.seeding for how seeds are placed)."""

from __future__ import annotations

CLINICAL: tuple = ()
