"""Roads and rivers (道路、河流): the classes a file may name and the kinds Gridmap stores.

A county's road file says 主干道 or 支路 (or, from OSM, ``primary`` / ``residential``); Gridmap
stores five kinds (``linear_feature.kind``). One table maps what files say to the kind, so the
city package, a file import and an OSM extract agree, and an unknown class is refused by name.
"""

from __future__ import annotations

#: What a file's ``class`` column may say → the stored kind.
CLASS_KINDS: dict[str, str] = {
    "主干道": "primary",
    "快速路": "primary",
    "次干道": "secondary",
    "支路": "branch",
    "巷道": "lane",
    "河流": "river",
    "primary": "primary",
    "secondary": "secondary",
    "branch": "branch",
    "lane": "lane",
    "river": "river",
}
#: Labels of the stored kinds, Chinese first.
KIND_LABELS: dict[str, str] = {
    "primary": "主干道 Main road",
    "secondary": "次干道 Secondary road",
    "branch": "支路 Branch road",
    "lane": "巷道 Lane",
    "river": "河流 River",
}


def kind_sql(column: str) -> str:
    """SQL: the stored kind of the class in ``column`` (NULL when the class is unknown)."""
    whens = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in CLASS_KINDS.items())
    return f"(CASE trim({column}) {whens} END)"
