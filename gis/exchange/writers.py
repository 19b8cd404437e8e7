"""The SQL of each import kind, one writer per kind (see :mod:`gis.exchange.resolve`)."""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd

from gis.exchange.report import Problem
from gis.exchange.resolve import Writer
from gis.exchange.write_facilities import write_facilities
from gis.exchange.write_incidents import prepare_incidents, write_incidents
from gis.exchange.write_layer import write_layer
from gis.exchange.write_lines import write_rivers, write_roads
from gis.exchange.write_places import (
    write_buildings,
    write_communities,
    write_districts,
    write_party_members,
    write_streets,
    write_units,
)

WRITERS: dict[str, Writer] = {
    "districts": write_districts,
    "streets": write_streets,
    "communities": write_communities,
    "units": write_units,
    "layer": write_layer,
    "buildings": write_buildings,
    "party_members": write_party_members,
    "incidents": write_incidents,
    "roads": write_roads,
    "rivers": write_rivers,
    "facilities": write_facilities,
}
PREPARE: dict[str, Callable[[gpd.GeoDataFrame], tuple[gpd.GeoDataFrame, list[Problem]]]] = {
    "incidents": prepare_incidents
}
