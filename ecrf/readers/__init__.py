"""Readers turn an export into canonical tables: one polars DataFrame of text per form, with provenance."""
