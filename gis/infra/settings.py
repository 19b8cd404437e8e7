"""Settings, built once from ``GRIDMAP_*`` variables and passed down explicitly.

Nothing reads the environment at import time; call :func:`load_settings` at the edge (CLI, app
factory, test fixture) and hand the result on.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from gis.errors import Misconfigured

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SAMPLE = REPO_ROOT / "data" / "fuzhou_sample.gpkg"


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "gridmap"


#: Default of ``Settings.min_shared_m``: a few metres, the width of a lane one can walk along.
MIN_SHARED_M = 3.0


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


class ImportLimits(BaseSettings):
    """What one import may cost before it is refused (``GRIDMAP_IMPORT_*``): a zip or workbook is
    measured by what it declares before anything is unpacked, rows are counted as they are read,
    and the whole import has a time budget (the database part runs under a statement timeout)."""

    model_config = SettingsConfigDict(env_prefix="GRIDMAP_IMPORT_", extra="ignore")

    max_uncompressed_bytes: int = Field(default=256 * 1024 * 1024, gt=0)  # sum over a zip's members
    max_ratio: float = Field(default=200.0, gt=1)  # uncompressed / compressed, members over 1 MiB
    max_members: int = Field(
        default=1000, gt=0
    )  # files in a zip (a Shapefile has 4–8, a workbook ~20)
    max_rows: int = Field(default=1_000_000, gt=0)
    max_seconds: float = Field(default=600.0, gt=0)


class TrackSettings(BaseSettings):
    """Patrol tracks (``GRIDMAP_TRACK_*``, see :mod:`gis.patrols`): working hours in China time
    (no point outside them is stored), how long raw points are kept before they are reduced to
    daily figures, the longest gap between two points that still counts as patrol time, how
    near a building a track must pass to count it as passed, and the speed above which a step
    between two points is a jump (a bad fix), not walked."""

    model_config = SettingsConfigDict(env_prefix="GRIDMAP_TRACK_", extra="ignore")

    work_start: str = Field(default="07:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    work_end: str = Field(default="20:00", pattern=r"^([01][0-9]|2[0-4]):[0-5][0-9]$")
    retention_days: int = Field(default=90, ge=1, le=3650)
    gap_minutes: float = Field(default=5.0, gt=0, le=120)
    pass_metres: float = Field(default=20.0, gt=0, le=500)
    # Faster than a car in town between two points: a bad fix (or a ride), counted neither way.
    max_speed_kmh: float = Field(default=120.0, gt=0, le=1000)
    max_accuracy: float = Field(default=500.0, gt=0)


class NotifySettings(BaseSettings):
    """Telling people (``GRIDMAP_NOTIFY_*``, see :mod:`gis.notify`): the SMTP server mail goes
    through, which webhook hosts may be private, and how the delivery worker retries."""

    model_config = SettingsConfigDict(env_prefix="GRIDMAP_NOTIFY_", extra="ignore")

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: SecretStr | None = None
    mail_from: str = "gridmap@localhost"
    # Webhook hosts allowed although they resolve to a private address (a county's own SMS
    # gateway on its intranet), comma-separated; allow_private allows any (tests only).
    webhook_allow_hosts: str = ""
    webhook_allow_private: bool = False
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    batch: int = Field(default=100, ge=1, le=5000)
    max_attempts: int = Field(default=5, ge=1, le=50)
    backoff_seconds: float = Field(default=30.0, ge=0, le=86400)
    poll_seconds: float = Field(default=2.0, gt=0, le=600)
    # `gridmap serve` also runs the delivery worker and the deadline tick in a thread.
    worker_in_serve: bool = False


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
    imports: ImportLimits = Field(default_factory=lambda: ImportLimits())
    tracks: TrackSettings = Field(default_factory=lambda: TrackSettings())
    notify: NotifySettings = Field(default_factory=lambda: NotifySettings())
    # A tile URL template the county holds a key for (Tianditu, AMap…). Empty: no base map,
    # the city's own outlines are the background (government networks are often offline).
    tile_url: str = ""
    tile_attribution: str = ""
    # 'wgs84' for Tianditu/OSM-style tiles, 'gcj02' for AMap/Tencent: geometry is shifted to match.
    tile_crs: str = "wgs84"
    geojson_page_limit: int = 5000
    # A party member leads at most this many buildings at a time (building or unit leader).
    party_max_buildings: int = Field(3, ge=1)
    # The editor (gis.editing): an edit that leaves a grid in pieces needs the planner's confirm,
    # or is refused outright.
    edit_split_grids: Literal["confirm", "refuse"] = "confirm"
    # Two units are neighbours only where they share at least this much boundary (metres): a
    # shorter contact is a corner nobody can walk through. The optimizer's graph, the pieces
    # count of every grid (the editor's connectivity check, the topology check) all use it.
    min_shared_m: float = Field(MIN_SHARED_M, ge=0, le=1000)
    # Open311 GeoReport v2 reads (services, service definitions, requests, request updates) are
    # public in the standard; a city that wants them behind a client key turns this off. Posting
    # a request always needs a key.
    open311_public_reads: bool = True

    # --- Accounts and security (README: "Accounts and roles").
    # Keys the digests of session tokens kept in the database and signs CSRF tokens. Required
    # outside demo mode: the app refuses to start without it (see resolve_secret_key).
    secret_key: SecretStr | None = None
    # Demo mode (GRIDMAP_DEMO=1, set by `make demo`): a secret generated into data_dir is allowed
    # and `gridmap user demo` may create the demo logins. Never on a production server.
    demo: bool = False
    session_hours: float = Field(8.0, gt=0)  # a session ends this long after log-in, at the latest
    session_idle_minutes: float = Field(120.0, gt=0)  # … or after this long unused
    # Secure cookies are sent only over https; they are set Secure on every https request anyway,
    # this forces it behind a proxy that terminates TLS and forwards plain http.
    cookie_secure: bool = False
    max_body_bytes: int = Field(1_048_576, gt=0)  # any request body (JSON, forms)
    max_upload_bytes: int = Field(104_857_600, gt=0)  # bodies of upload routes (city packages)
    login_max_failures: int = Field(5, gt=0)  # per user name and client address, in the window
    login_max_failures_per_ip: int = Field(50, gt=0)  # per client address, any user names
    login_window_seconds: int = Field(900, gt=0)
    # Other origins (scheme://host[:port]) allowed to send unsafe requests, comma-separated:
    # needed only when a proxy rewrites the Host header.
    allowed_origins: str = ""
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (comma-separated addresses
    # or networks, e.g. "10.0.0.5,10.1.0.0/16"). Empty (the default): none, the client is the
    # peer of the TCP connection, whatever headers it sends.
    trusted_proxies: str = ""

    # --- Capacity (README: "Under load"). Requests that use the database are admitted up to
    # request_slots reads (GET) and write_slots changes at a time (the pool holds one connection
    # for each, so none waits for one; changes queue on their layer's lock and must not hold up
    # the reads); /health and /auth/me have light_slots of their own so that they answer under
    # load. A request that finds its slots taken waits up to queue_seconds in a queue of
    # queue_per_slot requests per slot; when that queue is full, or the wait is over, it gets
    # 503 with Retry-After at once: never a stall.
    request_slots: int = Field(8, ge=1, le=500)
    write_slots: int = Field(3, ge=1, le=100)
    light_slots: int = Field(2, ge=1, le=50)
    background_connections: int = Field(4, ge=0, le=100)  # job runners, the scenario worker
    # 8 × 2 s: people click in bursts (a page load is several requests; many open the map at
    # nine o'clock). With 2 × 1 s, 200 users clicking every 5–15 s, ~30 requests a second where
    # the server does ~100, still got 61 refusals in 30 s; with 8 × 2 s none, p95 0.54 s
    # (bench/load_mixed.py). Beyond capacity the answer is still a 503 within 2 s, never a stall.
    queue_seconds: float = Field(2.0, ge=0, le=60)
    queue_per_slot: int = Field(8, ge=0, le=1000)
    pool_timeout_seconds: float = Field(5.0, gt=0, le=60)  # a last guard; the gate comes first
    # Server processes (`gridmap serve --workers`). One Python process uses one core for the
    # request work PostgreSQL does not do; on a server give it the cores (every process has its
    # own slots and pool, so the database sees workers x (slots + background) connections).
    workers: int = Field(1, ge=1, le=64)
    # /health reports "disk full" when the data directory has less free space than this.
    min_free_disk_mb: int = Field(200, ge=0)
    # A Dask scheduler (``tcp://host:8786``) that scenario runs send their pieces to, as
    # `gridmap optimize --scheduler` does; unset: the server's own process (docs/scaling.md).
    optimizer_scheduler: str | None = None
    # Serve the layer list and incident figures again until the data under them change
    # (gis.infra.answers); off only to measure what that buys (bench/load_mixed.py).
    answer_cache: bool = True


def load_settings(**overrides: object) -> Settings:
    """Read the environment once; explicit overrides win (used by tests and the CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]


#: The shortest secret key accepted: 32 characters of ``secrets.token_urlsafe`` is 190 bits.
MIN_SECRET_LENGTH = 32
SECRET_HINT = (
    "set GRIDMAP_SECRET_KEY to a long random value, e.g. the output of "
    "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`, "
    "or set GRIDMAP_DEMO=1 to run a demo"
)


def resolve_secret_key(settings: Settings) -> str:
    """The secret key to use, refusing to run a production server without a real one.

    In demo mode with no key set, a random key is generated once and kept in
    ``data_dir/secret_key`` (mode 0600), so that demo sessions survive a restart.

    Raises
    ------
    Misconfigured
        Not in demo mode and no key, or a key shorter than :data:`MIN_SECRET_LENGTH`.
    """
    if settings.secret_key is not None:
        key = settings.secret_key.get_secret_value()
        if len(key) < MIN_SECRET_LENGTH and not settings.demo:
            raise Misconfigured(
                f"GRIDMAP_SECRET_KEY 太短（{len(key)} 个字符，至少需要 "
                f"{MIN_SECRET_LENGTH} 个） ("
                f"GRIDMAP_SECRET_KEY is too short ({len(key)} characters, at least "
                f"{MIN_SECRET_LENGTH} needed): {SECRET_HINT})"
            )
        if key:
            return key
    if not settings.demo:
        raise Misconfigured(
            f"未设置 GRIDMAP_SECRET_KEY (GRIDMAP_SECRET_KEY is not set: {SECRET_HINT})"
        )
    path = settings.data_dir / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # made by an earlier run (or a concurrent one)
    else:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
