"""The sample city generator, one module per step of its pipeline (see ``data/generate_city.py``,
the command line entry point, for the steps and the usage).

- :mod:`.common` — constants (the two urban cores, layer sizes, unit types) and small helpers;
- :mod:`.units` — district outlines and base units (a clean coverage);
- :mod:`.graph` — rook adjacency, seeds, balanced region growing, connectivity;
- :mod:`.admin` — communities, streets and their names;
- :mod:`.buildings` — buildings, households and population;
- :mod:`.party` — party organisations and members;
- :mod:`.incidents` — the incidents of a year;
- :mod:`.layers` — the departmental grid layers and the unified layer;
- :mod:`.assignments` — initial grid and building leaders;
- :mod:`.assemble` — the pipeline, its output layers and the GeoPackage writer;
- :mod:`.check` — the verification of a written file.
"""
