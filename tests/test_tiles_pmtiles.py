"""`gridmap export <layer> --format pmtiles`: one archive that reads back, tile by tile, with
the grids a map client would decode (the tiny city's three unified grids at z14)."""

from __future__ import annotations

import gzip
from pathlib import Path

import mapbox_vector_tile
import pytest
from pmtiles.reader import MmapSource, Reader
from pmtiles.tile import Compression, TileType
from sqlalchemy import Connection
from typer.testing import CliRunner

from gis.access import Access
from gis.errors import Invalid
from gis.infra.settings import Settings
from gis.scope import Scope
from gis.tiles.coords import lonlat_to_tile
from gis.tiles.pmtiles import export_pmtiles
from gridmap_cli.main import app
from tests.tiny_city import COMMUNITY_A, COMMUNITY_B, STEP, X0, Y0

G1, G2, G3 = f"{COMMUNITY_A}001", f"{COMMUNITY_A}002", f"{COMMUNITY_B}001"
CENTRE = (X0 + 1.5 * STEP, Y0 + 1.5 * STEP)


def grids_at(archive: Path, z: int) -> dict[str, dict[str, object]]:
    """The grids in the archive's tile over the tiny city at zoom ``z``, by code."""
    with archive.open("rb") as f:
        reader = Reader(MmapSource(f))
        header = reader.header()
        assert header["tile_type"] == TileType.MVT
        assert header["tile_compression"] == Compression.GZIP
        body = reader.get(z, *lonlat_to_tile(*CENTRE, z))
    assert body is not None
    layers = mapbox_vector_tile.decode(gzip.decompress(body))
    return {f["properties"]["code"]: f["properties"] for f in layers["grids"]["features"]}


def test_cli_exports_a_layer_that_reads_back(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, users: dict[str, str]
) -> None:
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", pg_url)
    monkeypatch.setenv("GRIDMAP_DATA_DIR", str(tmp_path))
    target = tmp_path / "unified.pmtiles"
    args = ["export", "unified", "--format", "pmtiles", "--out", str(target)]
    done = CliRunner().invoke(app, [*args, "--minzoom", "13", "--maxzoom", "14"])
    assert done.exit_code == 0, done.output
    assert "wrote" in done.output
    grids = grids_at(target, 14)
    tiny = {code: p for code, p in grids.items() if code.startswith("369901")}
    assert set(tiny) == {G1, G2, G3}
    assert tiny[G2]["households"] == 2400
    with target.open("rb") as f:
        meta = Reader(MmapSource(f)).metadata()
    assert meta["vector_layers"][0]["id"] == "grids"

    refused = CliRunner().invoke(app, [*args, "--minzoom", "9", "--maxzoom", "30"])
    assert refused.exit_code == 2
    assert "maxzoom" in refused.output
    unknown = CliRunner().invoke(app, ["export", "nosuch", "--format", "pmtiles"])
    assert unknown.exit_code == 2 and "nosuch" in unknown.output


def test_a_scoped_archive_holds_only_the_scope(
    conn: Connection, settings: Settings, tmp_path: Path
) -> None:
    target = tmp_path / "g1.pmtiles"
    access = Access.system(scope=Scope.grid(G1))
    archive = export_pmtiles(
        conn, settings, "unified", target, minzoom=14, maxzoom=15, access=access
    )
    assert archive.tiles >= 2
    assert set(grids_at(target, 15)) == {G1}


def test_nothing_to_export_leaves_no_file(
    conn: Connection, settings: Settings, tmp_path: Path
) -> None:
    target = tmp_path / "none.pmtiles"
    with pytest.raises(Invalid):
        export_pmtiles(
            conn,
            settings,
            "unified",
            target,
            minzoom=14,
            maxzoom=14,
            access=Access.system(scope=Scope.district("369999")),
        )
    assert list(tmp_path.iterdir()) == []
