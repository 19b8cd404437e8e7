"""GeoJSON built inside PostGIS, and the bbox filter every collection endpoint shares.

Why in PostGIS: ``ST_AsGeoJSON`` + ``json_agg`` produce the whole document in the database, so a
city-wide layer never passes through Python objects feature by feature.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from gis.errors import Invalid, InvalidGeometry

#: Six decimals of a degree is ~0.1 m: finer than any boundary a county draws.
PRECISION = 6


@dataclass(frozen=True)
class BBox:
    west: float
    south: float
    east: float
    north: float

    @classmethod
    def parse(cls, value: str) -> BBox:
        """Parse ``west,south,east,north`` in degrees (WGS84), refusing nonsense by name."""
        parts = [p.strip() for p in value.split(",")]
        if len(parts) != 4:
            raise Invalid(
                f"bbox 须为 4 个数：西,南,东,北；收到 {len(parts)} 个值 ("
                f"bbox must be four numbers west,south,east,north; got {len(parts)} value(s))",
                bbox=value,
            )
        try:
            west, south, east, north = (float(p) for p in parts)
        except ValueError as exc:
            raise Invalid(
                f"bbox 中有一个值不是数字：{value!r} ("
                f"bbox has a value that is not a number: {value!r})",
                bbox=value,
            ) from exc
        if not all(math.isfinite(v) for v in (west, south, east, north)):
            raise Invalid("bbox 的值须为有限数 (bbox values must be finite numbers)", bbox=value)
        if not (
            -180 <= west <= 180
            and -180 <= east <= 180
            and -90 <= south <= 90
            and -90 <= north <= 90
        ):
            raise Invalid(
                "bbox 超出经纬度范围（-180..180，-90..90）：是否为投影坐"
                "标？ ("
                "bbox is outside lon/lat range (-180..180, -90..90): is it in a projected CRS?)",
                bbox=value,
            )
        if west >= east or south >= north:
            raise Invalid(
                "bbox 须满足 西 < 东 且 南 < 北 (bbox must have west < east and south < north)",
                bbox=value,
            )
        return cls(west, south, east, north)

    def params(self) -> dict[str, float]:
        return {"w": self.west, "s": self.south, "e": self.east, "n": self.north}


BBOX_SQL = "ST_MakeEnvelope(:w, :s, :e, :n, 4326)"


def collection(
    conn: Connection,
    features_sql: str,
    params: dict[str, Any],
    *,
    extra: dict[str, Any] | None = None,
) -> str:
    """Wrap a query that yields one ``feature`` json per row into a FeatureCollection text.

    ``extra`` members (paging counts, links) are merged into the collection object.
    """
    sql = f"SELECT coalesce(json_agg(q.feature), '[]'::json)::text FROM ({features_sql}) AS q"
    features = conn.execute(text(sql), params).scalar_one()
    # Composed as text: merging megabytes of features as jsonb would parse them all again.
    head = json.dumps({"type": "FeatureCollection", **(extra or {})}, ensure_ascii=False)
    return f'{head[:-1]}, "features": {features}}}'


def feature_sql(id_expr: str, geom_expr: str, properties: dict[str, str]) -> str:
    """SQL for one GeoJSON Feature; ``properties`` maps names to SQL expressions."""
    props = ", ".join(f"'{name}', {expr}" for name, expr in properties.items())
    return (
        "json_build_object('type', 'Feature', 'id', "
        f"{id_expr}, 'geometry', ST_AsGeoJSON({geom_expr}, {PRECISION})::json, "
        f"'properties', json_build_object({props})) AS feature"
    )


def lonlat_points(points: list[Any], what: str) -> list[list[float]]:
    """The lon/lat of each point a page drew (extra ordinates dropped); ``what`` (e.g. "the
    lasso") names the shape in the refusal of a point that is not degrees in WGS84."""
    for point in points:
        if (
            not isinstance(point, list)
            or len(point) < 2
            or not all(isinstance(v, int | float) for v in point[:2])
            or not (-180 <= point[0] <= 180 and -90 <= point[1] <= 90)
        ):
            raise InvalidGeometry(
                f"{what} 中有一个点不是经纬度（WGS84）：{point!r} ("
                f"{what} has a point that is not lon/lat in degrees (WGS84): {point!r})"
            )
    return [point[:2] for point in points]
