"""Gridmap's domain core: models, database, import/export, workload, plans.

Nothing in this package imports the web layers (``api``, ``maps``): every feature a page or an
endpoint offers is a Python call here first.
"""

__version__ = "0.1.0"
