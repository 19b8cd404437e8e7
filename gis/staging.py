"""The one SQL path from a staging table into the tables of places, people and incidents.

Both the city-package loader (:mod:`gis.loader`) and the file import (:mod:`gis.exchange`) COPY
their rows into a temporary staging table of text columns (:func:`stage`), resolve the codes of
parents to ids inside PostGIS (:func:`resolve_codes`, :func:`locate_incidents`), and write with
the statement :func:`upsert` gives for the table. Codes are the keys: a row whose code exists
updates that row (a county sends a corrected file again), except incidents, whose workflow state
is the incident queue's and which an import never overwrites.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Connection

from gis.linear import kind_sql

#: Table → INSERT … SELECT from the staging table ``{src}`` (its parents resolved into
#: ``parent_id`` and, for members, ``organisation_id``; incidents located into ``unit_id`` and
#: ``community_id``). ``geom`` may still be text (EWKB hex): ``geom::geometry`` reads both.
UPSERTS: dict[str, str] = {
    "district": """
        INSERT INTO district (code, name, geom)
        SELECT code, name, ST_Multi(geom::geometry) FROM {src}
        ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, geom = EXCLUDED.geom""",
    "street": """
        INSERT INTO street (code, name, district_id, geom)
        SELECT code, name, parent_id, ST_Multi(geom::geometry) FROM {src}
        ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name,
            district_id = EXCLUDED.district_id, geom = EXCLUDED.geom""",
    "community": """
        INSERT INTO community (code, name, kind, street_id, geom)
        SELECT code, name, CASE WHEN kind IN ('village', '村') THEN 'village' ELSE 'urban' END,
               parent_id, ST_Multi(geom::geometry) FROM {src}
        ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,
            street_id = EXCLUDED.street_id, geom = EXCLUDED.geom""",
    "base_unit": """
        INSERT INTO base_unit (code, community_id, households, population, buildings,
                               incidents_per_year, care_people, area_m2, geom)
        SELECT code, parent_id, households::int, population::int, buildings::int,
               incidents_per_year::int, care_people::int, ST_Area(geom::geometry::geography),
               geom::geometry
        FROM {src}
        ON CONFLICT (code) DO UPDATE SET community_id = EXCLUDED.community_id,
            households = EXCLUDED.households, population = EXCLUDED.population,
            buildings = EXCLUDED.buildings, incidents_per_year = EXCLUDED.incidents_per_year,
            care_people = EXCLUDED.care_people, area_m2 = EXCLUDED.area_m2,
            geom = EXCLUDED.geom""",
    "building": """
        INSERT INTO building (code, name, base_unit_id, households, population, floors,
                              entrance_units, geom)
        SELECT code, coalesce(nullif(name, ''), code), parent_id, households::int,
               population::int, greatest(floors::int, 1), greatest(entrance_units::int, 1),
               geom::geometry
        FROM {src}
        ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name,
            base_unit_id = EXCLUDED.base_unit_id, households = EXCLUDED.households,
            population = EXCLUDED.population, floors = EXCLUDED.floors,
            entrance_units = EXCLUDED.entrance_units, geom = EXCLUDED.geom""",
    # Households are shared out over the entrances; the first ones take the remainder.
    "building_entrance": """
        INSERT INTO building_entrance (building_id, number, households)
        SELECT b.id, n, b.households / greatest(b.entrance_units, 1)
               + CASE WHEN n <= mod(b.households, greatest(b.entrance_units, 1))
                      THEN 1 ELSE 0 END
        FROM building b JOIN {src} s ON s.code = b.code,
             generate_series(1, greatest(b.entrance_units, 1)) AS n
        ON CONFLICT (building_id, number) DO NOTHING""",
    # Roads and rivers: the class a file names becomes the stored kind (gis/linear.py).
    "linear_feature": """
        INSERT INTO linear_feature (code, name, kind, district_id, geom)
        SELECT code, coalesce(name, ''), {kind}, parent_id, ST_Multi(geom::geometry) FROM {src}
        ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,
            district_id = EXCLUDED.district_id, geom = EXCLUDED.geom""",
    "party_member": """
        INSERT INTO party_member (code, name, phone, organisation_id, community_id, geom)
        SELECT code, name, phone, organisation_id, parent_id, geom::geometry FROM {src}
        ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, phone = EXCLUDED.phone,
            organisation_id = EXCLUDED.organisation_id,
            community_id = EXCLUDED.community_id, geom = EXCLUDED.geom""",
    "incident": """
        INSERT INTO incident (code, category, description, reported_at, reporter_kind,
                              department, state, base_unit_id, community_id, geom)
        SELECT code, category, coalesce(description, ''), reported_at::timestamptz,
               reporter_kind, nullif(department, ''), state, unit_id, community_id,
               geom::geometry
        FROM {src}
        ON CONFLICT (code) DO NOTHING""",
}


def upsert(table: str, src: str, returning: str = "") -> str:
    """The statement writing ``src`` (a staging table) into ``table``, optionally RETURNING."""
    sql = UPSERTS[table].format(src=src, kind=kind_sql('"class"'))
    return f"{sql}\n        RETURNING {returning}" if returning else sql


def resolve_codes(
    conn: Connection, src: str, column: str, table: str, into: str = "parent_id"
) -> None:
    """Add ``into`` to ``src``: the id of the ``table`` row whose code is ``src.column``."""
    conn.exec_driver_sql(f"ALTER TABLE {src} ADD COLUMN IF NOT EXISTS {into} int")
    conn.exec_driver_sql(
        f"UPDATE {src} s SET {into} = p.id FROM {table} p "
        f"WHERE s.{column} <> '' AND p.code = s.{column}"
    )


def locate_incidents(conn: Connection, src: str) -> None:
    """Add ``unit_id`` and ``community_id`` to ``src``: the base unit its point lies in (the
    lowest id where units touch), found with the GiST index."""
    conn.exec_driver_sql(
        f"ALTER TABLE {src} ADD COLUMN IF NOT EXISTS unit_id int, "
        "ADD COLUMN IF NOT EXISTS community_id int"
    )
    conn.exec_driver_sql(
        f"""UPDATE {src} s SET unit_id = (
                SELECT b.id FROM base_unit b WHERE ST_Intersects(b.geom, s.geom::geometry)
                ORDER BY b.id LIMIT 1)"""
    )
    conn.exec_driver_sql(
        f"UPDATE {src} s SET community_id = u.community_id FROM base_unit u WHERE u.id = s.unit_id"
    )


def stage(conn: Connection, table: str, frame: pd.DataFrame, columns: Sequence[str]) -> None:
    """Stage ``frame[columns]`` (plus ``geom`` as EWKB hex if spatial) into a temp table.

    A staging table left by an earlier load in the same transaction is replaced.
    """
    data = frame[list(columns)].copy()
    typed = [f'"{c}" text' for c in columns]
    if isinstance(frame, gpd.GeoDataFrame):
        data["geom"] = shapely.to_wkb(
            shapely.set_srid(frame.geometry.values, 4326), hex=True, include_srid=True
        )
        typed.append("geom text")
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
    conn.exec_driver_sql(f"CREATE TEMP TABLE {table} ({', '.join(typed)}) ON COMMIT DROP")
    buffer = io.StringIO()
    data.to_csv(buffer, index=False, header=False)
    raw = conn.connection.driver_connection
    assert raw is not None  # a live psycopg connection inside the transaction
    with raw.cursor() as cur, cur.copy(f"COPY {table} FROM STDIN (FORMAT csv)") as copy:
        copy.write(buffer.getvalue())
