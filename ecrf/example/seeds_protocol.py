"""Clinical seeds for the schedule, assessment and eligibility checks (see ecrf.example.seeding for how seeds are placed)."""

from __future__ import annotations

CLINICAL: tuple = ()
