"""Settings, built once from ``GRIDMAP_*`` variables and passed down explicitly.

Nothing reads the environment at import time; call :func:`load_settings` at the edge (CLI, app
factory, test fixture) and hand the result on.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SAMPLE = REPO_ROOT / "data" / "fuzhou_sample.gpkg"


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "gridmap"


class WorkloadWeights(BaseSettings):
    """Weights of a grid's workload: a weighted sum of what its units hold.

    The default counts households only, which is how most counties state their band
    ("300–500 households per urban grid"); a county that also counts care cases or incidents
    changes the weights, and the band is read in the same unit.
    """

    model_config = SettingsConfigDict(env_prefix="GRIDMAP_WEIGHT_", extra="ignore")

    households: float = 1.0
    population: float = 0.0
    buildings: float = 0.0
    incidents_per_year: float = 0.0
    care_people: float = 0.0


class Settings(BaseSettings):
    """Everything Gridmap can be configured with.

    ``database_url`` unset means "run our own PostGIS under ``data_dir``" (the embedded default).
    """

    model_config = SettingsConfigDict(env_prefix="GRIDMAP_", extra="ignore")

    database_url: str | None = None
    data_dir: Path = Field(default_factory=_default_data_dir)
    sample_path: Path = DEFAULT_SAMPLE
    host: str = "127.0.0.1"
    port: int = 8000
    band_low: float = 300.0
    band_high: float = 500.0
    weights: WorkloadWeights = Field(default_factory=WorkloadWeights)
    # A tile URL template the county holds a key for (Tianditu, AMap…). Empty: no base map,
    # the city's own outlines are the background (government networks are often offline).
    tile_url: str = ""
    tile_attribution: str = ""
    # 'wgs84' for Tianditu/OSM-style tiles, 'gcj02' for AMap/Tencent: geometry is shifted to match.
    tile_crs: str = "wgs84"
    geojson_page_limit: int = 5000


def load_settings(**overrides: object) -> Settings:
    """Read the environment once; explicit overrides win (used by tests and the CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]
