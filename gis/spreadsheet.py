"""Cells for CSV and XLSX files that people open in a spreadsheet."""

from __future__ import annotations

from typing import Any

#: What a spreadsheet reads as the start of a formula (CSV/formula injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defused(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; the rest is as is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
