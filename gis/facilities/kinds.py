"""The kinds of service point (服务设施) and what files call them.

The seeds count meal points for the elderly (助餐点), 一老一小幸福院, 暖"新"驿站 for delivery
riders and drivers, 党群服务中心, 居民之家 and 议事 venues. Gridmap stores a short code per
kind; a file may name the kind in Chinese or by the code, and an unknown kind is refused by
name.
"""

from __future__ import annotations

from typing import Literal, get_args

from gis.errors import Invalid

FacilityKind = Literal[
    "meal", "elderly_child", "rider_station", "party_centre", "residents_home", "council"
]
KINDS: tuple[FacilityKind, ...] = get_args(FacilityKind)

#: Labels of the stored kinds, Chinese first.
KIND_LABELS: dict[str, str] = {
    "meal": "助餐点 Meal point",
    "elderly_child": "一老一小幸福院 Elderly & child centre",
    "rider_station": "暖“新”驿站 Rider station",
    "party_centre": "党群服务中心 Party-mass service centre",
    "residents_home": "居民之家 Residents' home",
    "council": "议事厅 Council hall",
}
#: What a file's ``kind`` column may say → the stored kind.
FILE_KINDS: dict[str, str] = {
    **{k: k for k in KINDS},
    "助餐点": "meal",
    "老年食堂": "meal",
    "一老一小幸福院": "elderly_child",
    "幸福院": "elderly_child",
    "暖新驿站": "rider_station",
    '暖"新"驿站': "rider_station",
    "暖“新”驿站": "rider_station",
    "党群服务中心": "party_centre",
    "居民之家": "residents_home",
    "议事厅": "council",
    "五方议事厅": "council",
}


def kind_sql(column: str) -> str:
    """SQL: the stored kind of the kind named in ``column`` (NULL when it is unknown)."""
    quoted = ((k.replace("'", "''"), v) for k, v in FILE_KINDS.items())
    whens = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in quoted)
    return f"(CASE trim({column}) {whens} END)"


def parse_kind(text: str) -> FacilityKind:
    """The stored kind ``text`` names, or :class:`Invalid` naming the kinds there are."""
    kind = FILE_KINDS.get(text.strip())
    if kind is None:
        raise Invalid(
            f"未知的设施类型 {text!r}：应为 {'、'.join(KIND_LABELS[k].split()[0] for k in KINDS)}"
            f" (unknown facility kind {text!r}: one of {', '.join(KINDS)})"
        )
    return kind  # type: ignore[return-value]
