"""A county's workload definition: weights of the unit attributes and the band, per district.

Counties state their norm differently ("300–500 households", or households plus care cases); the
profile is what a scenario of that district starts from, and the scenario keeps a copy.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

from sqlalchemy import Connection, text

from gis import audit
from gis.access import Access
from gis.accounts import Permission
from gis.errors import Forbidden, Invalid, NotFound
from gis.infra.settings import Settings
from gis.workload import ATTRIBUTES


class WorkloadDefinition(TypedDict):
    """The workload weights and band that define a county's workload."""

    weights: dict[str, float]
    band: list[float]


class WorkloadProfile(WorkloadDefinition):
    """A county's saved definition, or the installation's (``saved`` false, and then no
    ``updated_by``/``updated_at``). A TypedDict, not a dataclass: the answer leaves out what was
    never set rather than sending ``null``, and it is sent as it is."""

    district: str
    saved: bool
    updated_by: NotRequired[str]
    updated_at: NotRequired[str]


def default_profile(settings: Settings) -> WorkloadDefinition:
    weights = {a: float(getattr(settings.weights, a)) for a in ATTRIBUTES}
    return {"weights": weights, "band": [settings.band_low, settings.band_high]}


def check_weights(weights: dict[str, float]) -> dict[str, float]:
    """Every attribute named, none negative, not all zero."""
    unknown = set(weights) - set(ATTRIBUTES)
    if unknown:
        raise Invalid(
            f"未知的工作量属性 {sorted(unknown)[0]!r}；可用："
            f"{', '.join(ATTRIBUTES)} ("
            f"unknown workload attribute {sorted(unknown)[0]!r}; use {', '.join(ATTRIBUTES)})"
        )
    out = {a: float(weights.get(a, 0.0)) for a in ATTRIBUTES}
    if any(v < 0 for v in out.values()):
        raise Invalid("工作量权重不能为负数 (workload weights must not be negative)")
    if not any(out.values()):
        raise Invalid(
            "至少有一个工作量权重须大于零 (at least one workload weight must be above zero)"
        )
    return out


def check_band(band: list[float] | tuple[float, float]) -> list[float]:
    low, high = (float(x) for x in band)
    if not 0 <= low < high:
        raise Invalid(
            f"工作量区间 {low:g}–{high:g} 为空：下限须小于上限，且不能"
            "为负 ("
            f"the band {low:g}–{high:g} is empty: low must be below high, not negative)"
        )
    return [low, high]


def get_profile(conn: Connection, district: str, settings: Settings) -> WorkloadProfile:
    """The district's profile, or the installation's defaults when it has none yet."""
    row = (
        conn.execute(
            text("SELECT * FROM workload_profile WHERE district_code = :d"), {"d": district}
        )
        .mappings()
        .first()
    )
    if row is None:
        default = default_profile(settings)
        return {
            "district": district,
            "saved": False,
            "weights": default["weights"],
            "band": default["band"],
        }
    return {
        "district": district,
        "saved": True,
        "weights": {a: row[a] for a in ATTRIBUTES},
        "band": [row["band_low"], row["band_high"]],
        "updated_by": row["updated_by"],
        "updated_at": row["updated_at"].isoformat(),
    }


def set_profile(
    conn: Connection,
    district: str,
    weights: dict[str, float],
    band: list[float],
    settings: Settings,
    *,
    access: Access,
) -> WorkloadProfile:
    """Save a district's profile (audited as ``workload_profile.set``)."""
    access.require(Permission.RUN_SCENARIOS)
    scope = access.scope
    if not conn.execute(text("SELECT 1 FROM district WHERE code = :d"), {"d": district}).first():
        raise NotFound(
            f"没有代码为 {district!r} 的区县 (no district with code {district!r})",
            district=district,
        )
    if not scope.reaches(district):
        raise Forbidden(
            f"区县 {district} 不在您的权限范围（{scope}）内 ("
            f"district {district} is outside your scope ({scope}))",
            district=district,
        )
    clean, limits = check_weights(weights), check_band(band)
    before = get_profile(conn, district, settings)
    conn.execute(
        text(
            f"""INSERT INTO workload_profile (district_code, {", ".join(ATTRIBUTES)},
                    band_low, band_high, updated_by, updated_at)
                VALUES (:d, {", ".join(":" + a for a in ATTRIBUTES)}, :low, :high, :who, now())
                ON CONFLICT (district_code) DO UPDATE SET
                {", ".join(f"{a} = EXCLUDED.{a}" for a in ATTRIBUTES)},
                band_low = EXCLUDED.band_low, band_high = EXCLUDED.band_high,
                updated_by = EXCLUDED.updated_by, updated_at = now()"""
        ),
        clean | {"d": district, "low": limits[0], "high": limits[1], "who": access.name},
    )
    after = {"weights": clean, "band": limits}
    audit.record(
        conn,
        access.actor,
        "workload_profile.set",
        "workload_profile",
        district,
        {"weights": before["weights"], "band": before["band"]},
        after,
    )
    return get_profile(conn, district, settings)
