"""Placeholder replaced by the maps engineer."""

from gis.settings import Settings


def city_map_html(settings: Settings) -> str:
    return "<html><body>Gridmap</body></html>"
