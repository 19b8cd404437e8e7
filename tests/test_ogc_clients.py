"""The real GIS clients against a running Gridmap, logged in with HTTP Basic credentials:
OWSLib's OGC API Features client (pages, a CQL2 filter) and QGIS 3.22's own "oapif" provider
(Debian's python3-qgis, headless), which must read every feature of a grid layer that the
user's scope reaches — no more, no fewer.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from gis.infra.settings import DEFAULT_SAMPLE
from tests.conftest import TEST_PASSWORD
from tests.tiny_city import COMMUNITY_A

QGIS_PYTHON = "/usr/bin/python3"
SCRIPT = Path(__file__).with_name("qgis_oapif.py")

pytestmark = pytest.mark.skipif(not DEFAULT_SAMPLE.exists(), reason="needs the sample city")


def reached_unified_grids(engine: Engine, prefix: str) -> set[str]:
    """Codes of the unified grids holding a unit under ``prefix`` (what the scope reaches)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT DISTINCT g.code FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
                "JOIN grid_unit gu ON gu.grid_id = g.id JOIN base_unit u ON u.id = gu.unit_id "
                "JOIN community c ON c.id = u.community_id WHERE l.code = 'unified' "
                "AND starts_with(c.code, :p) AND g.geom IS NOT NULL"
            ),
            {"p": prefix},
        )
        return {r[0] for r in rows}


def test_owslib_pages_through_items_and_filters_with_cql2(live_server, engine) -> None:
    from owslib.ogcapi.features import Features
    from owslib.util import Authentication

    api = Features(f"{live_server}/ogc/", auth=Authentication("t-party", TEST_PASSWORD))
    assert {"units", "grids-unified", "incidents"} <= set(api.feature_collections())
    seen: list[str] = []
    offset = 0
    while True:
        page = api.collection_items("units", limit=4, offset=offset)
        seen += [f["id"] for f in page["features"]]
        if not any(link["rel"] == "next" for link in page["links"]):
            break
        offset += page["numberReturned"]
    with engine.connect() as conn:
        expected = conn.execute(
            text(
                "SELECT u.code, u.households FROM base_unit u JOIN community c "
                "ON c.id = u.community_id WHERE c.code = :c ORDER BY u.code"
            ),
            {"c": COMMUNITY_A},
        ).all()
    assert seen == [code for code, _ in expected]  # t-party's community, each unit once
    big = api.collection_items("units", filter="households >= 500 AND households < 800")
    assert sorted(f["id"] for f in big["features"]) == [
        code for code, households in expected if 500 <= households < 800
    ]
    schema = api.collection_queryables("units")
    assert "households" in schema["properties"]


def _qgis_available() -> bool:
    if not Path(QGIS_PYTHON).exists():
        return False
    probe = subprocess.run(
        [QGIS_PYTHON, "-c", "import qgis.core"], capture_output=True, check=False, timeout=120
    )
    return probe.returncode == 0


def test_qgis_oapif_reads_every_feature_of_the_users_scope(live_server, engine, tmp_path) -> None:
    if not _qgis_available():
        pytest.skip("python3-qgis is not installed (make test installs it: apt python3-qgis)")
    expected = reached_unified_grids(engine, "361002")
    tmp_path.chmod(0o700)  # Qt wants its runtime directory private
    env = os.environ | {
        "QT_QPA_PLATFORM": "offscreen",
        "QGIS_AUTH_DB_DIR_PATH": str(tmp_path),
        "QGIS_CUSTOM_CONFIG_PATH": str(tmp_path),
        "HOME": str(tmp_path),
        "XDG_RUNTIME_DIR": str(tmp_path),
        "GRIDMAP_QGIS_MASTER": "master-password-for-the-test",
    }
    run = subprocess.run(
        [
            QGIS_PYTHON,
            str(SCRIPT),
            f"{live_server}/ogc",
            "grids-unified",
            "lc-planner",
            TEST_PASSWORD,
            "200",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    assert run.returncode == 0 and lines, f"QGIS failed:\n{run.stdout[:2000]}\n{run.stderr[-3000:]}"
    seen = json.loads(lines[-1])
    assert seen["valid"], f"{seen}\n{run.stderr[-3000:]}"
    assert seen["read"] == len(expected), (seen["read"], len(expected))
    assert set(seen["codes"]) == expected
    assert seen["feature_count"] == len(expected)
    first = seen["first"]
    assert first["code"] in expected and int(first["households"]) > 0
    assert seen["first_area"] > 0
