"""A throwaway PostGIS holding the sample city, for the benchmarks that want a clean one.

Started in a temporary directory, migrated, loaded, and destroyed (server stopped, files gone)
when the ``with`` block ends, whatever happened inside it.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gis.access import Access
from gis.infra.db import make_engine, migrate
from gis.infra.pgcluster import Cluster
from gis.infra.settings import DEFAULT_SAMPLE, load_settings
from gis.loader import load_city


@contextmanager
def sample_city_database() -> Iterator[str]:
    """The URL of a scratch database with the sample city loaded."""
    with tempfile.TemporaryDirectory(prefix="gridmap-bench-") as tmp:
        cluster = Cluster(Path(tmp) / "pg", fast=True)
        cluster.start()
        try:
            url = cluster.url()
            migrate(url)
            started = time.perf_counter()
            engine = make_engine(url)
            load_city(
                engine, DEFAULT_SAMPLE, weights=load_settings().weights, access=Access.system()
            )
            engine.dispose()
            print(f"(scratch PostGIS, sample city loaded in {time.perf_counter() - started:.0f} s)")
            yield url
        finally:
            cluster.destroy()
