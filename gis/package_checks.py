"""Checks of a city or province package's codes, run on its staging tables before any write.

Why in SQL on the staging tables: a province package has ~750,000 units and a million
buildings; PostGIS groups and compares them in a second, and the loader has them staged
anyway. Every refusal names the file, the layer, the code and the reason (Chinese first), and
comes before the first INSERT, so a refused package leaves the database as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import Connection

from gis.errors import InvalidFile
from gis.linear import CLASS_KINDS, kind_sql

#: Layers whose ``code`` must be unique in the package (grids: per layer).
UNIQUE: tuple[tuple[str, str], ...] = (
    ("cities", "code"),
    ("districts", "code"),
    ("streets", "code"),
    ("communities", "code"),
    ("base_units", "code"),
    ("buildings", "code"),
    ("grid_layers", "code"),
    ("grids", "layer_code, code"),
    ("roads", "code"),
    ("rivers", "code"),
    ("party_organisations", "code"),
    ("party_members", "code"),
    ("incidents", "code"),
)

#: (layer, parent column, parent's name in Chinese / English): a code starts with its parent's.
NESTED: tuple[tuple[str, str, str, str], ...] = (
    ("streets", "district_code", "区县", "county"),
    ("communities", "street_code", "街道", "street"),
)


def _refuse(path: Path, layer: str, code: str, zh: str, en: str) -> InvalidFile:
    return InvalidFile(
        f"{path}：图层 '{layer}' 的编码 {code} {zh} ({path}: layer '{layer}', code {code}: {en})"
    )


def check_codes(conn: Connection, layers: Mapping[str, object], path: Path) -> None:
    """Refuse duplicate codes, codes not under their parent's, and counties outside every city."""
    for layer, key in UNIQUE:
        if layer not in layers:
            continue
        row = conn.exec_driver_sql(
            f"SELECT {key} FROM s_{layer} GROUP BY {key} HAVING count(*) > 1 LIMIT 1"
        ).first()
        if row:
            code = row[-1]
            raise _refuse(path, layer, code, "重复出现", "the code appears more than once")
    for layer, column, zh, en in NESTED:
        if layer not in layers:
            continue
        row = conn.exec_driver_sql(
            f"SELECT code, {column} FROM s_{layer} "
            f"WHERE left(code, length({column})) <> {column} LIMIT 1"
        ).first()
        if row:
            raise _refuse(
                path,
                layer,
                row[0],
                f"不在其{zh} {row[1]} 之下（编码须以上级编码开头）",
                f"it is not under its {en} {row[1]} (a code starts with its parent's)",
            )
    if "cities" in layers and "districts" in layers:
        row = conn.exec_driver_sql(
            "SELECT code FROM s_districts WHERE left(code, 4) NOT IN (SELECT code FROM s_cities) "
            "LIMIT 1"
        ).first()
        if row:
            raise _refuse(
                path,
                "districts",
                row[0],
                f"不属于数据包中的任何城市（应在城市 {row[0][:4]} 之下）",
                f"the county is outside every city of the package (no city {row[0][:4]})",
            )


def check_linear(conn: Connection, layers: Mapping[str, object], path: Path) -> None:
    """Refuse roads or rivers that are not lines, whose class is unknown, or whose code is in
    both layers (they share one table): named, before any write."""
    present = [layer for layer in ("roads", "rivers") if layer in layers]
    for layer in present:
        row = conn.exec_driver_sql(
            f"SELECT code, GeometryType(geom::geometry) FROM s_{layer} "
            "WHERE GeometryType(geom::geometry) NOT IN ('LINESTRING', 'MULTILINESTRING') LIMIT 1"
        ).first()
        if row:
            raise _refuse(
                path, layer, row[0], f"不是线（{row[1]}）", f"it is not a line but a {row[1]}"
            )
        row = conn.exec_driver_sql(
            f'SELECT code, "class" FROM s_{layer} WHERE {kind_sql(chr(34) + "class" + chr(34))} '
            "IS NULL LIMIT 1"
        ).first()
        if row:
            known = "、".join(k for k in CLASS_KINDS if not k.isascii())
            raise _refuse(
                path,
                layer,
                row[0],
                f"的类别 {row[1]!r} 未知（应为 {known}）",
                f"unknown class {row[1]!r} (one of {', '.join(CLASS_KINDS)})",
            )
    if len(present) == 2:
        row = conn.exec_driver_sql(
            "SELECT code FROM s_roads WHERE code IN (SELECT code FROM s_rivers) LIMIT 1"
        ).first()
        if row:
            raise _refuse(
                path, "rivers", row[0], "与道路图层重复", "the code is also a road's code"
            )
