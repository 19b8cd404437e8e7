"""Import and export of the files counties really have, and a topology check of grid layers.

- :func:`import_file` — GeoPackage, GeoJSON, zipped Shapefile, CSV, KML, XLSX in WGS84, CGCS2000
  (geographic or Gauss–Krüger), GCJ-02 or BD-09; checked row by row, written in one transaction;
- :func:`export_layer` — a layer as gpkg, geojson, shp (zip), csv or xlsx in WGS84, CGCS2000 or
  GCJ-02 (the contract every branch relies on);
- :func:`check_layer` — gaps, overlaps, slivers, multi-part grids, crossings, uncovered share.
"""

from gis.exchange.export import export_layer
from gis.exchange.importing import ImportOptions, import_file
from gis.exchange.report import ImportRejected, ImportReport
from gis.exchange.topology import TopologyReport, check_layer
from gis.personal import ExportFile

__all__ = [
    "ExportFile",
    "ImportOptions",
    "ImportRejected",
    "ImportReport",
    "TopologyReport",
    "check_layer",
    "export_layer",
    "import_file",
]
