"""`gridmap optimize` as a user runs it: files in, files out, errors that name the problem."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import networkx as nx
import pyogrio
import pytest
from networkx.readwrite import json_graph
from shapely.geometry import Polygon, box
from typer.testing import CliRunner

from gridmap_cli.main import app

runner = CliRunner()


def write_blocks(path: Path, **overrides) -> Path:
    """3×3 blocks (0.001°) near Fuzhou; community A = left two columns, B = right column."""

    def x(c: int) -> float:
        return 116.3 + c * 0.001

    def y(r: int) -> float:
        return 27.9 + r * 0.001

    rows = []
    for n in range(9):
        r, c = divmod(n, 3)
        rows.append(
            {
                "uid": f"b{n}",
                "hh": 100 + 10 * n,
                "community": "B" if c == 2 else "A",
                "geometry": box(
                    116.3 + c * 0.001, 27.9 + r * 0.001, 116.301 + c * 0.001, 27.901 + r * 0.001
                ),
            }
        )
    frame = gpd.GeoDataFrame(rows, crs=4326)
    for column, values in overrides.items():
        frame[column] = values
    pyogrio.write_dataframe(frame, path)
    return path


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, ["optimize", *args], env=env)


BASE = ["--id-column", "uid", "--workload-column", "hh", "--group-column", "community"]


def test_gpkg_in_gpkg_out_with_grids_layer(tmp_path: Path) -> None:
    src = write_blocks(tmp_path / "blocks.gpkg")
    out = tmp_path / "plan.gpkg"
    result = run(str(src), *BASE, "--target-count", "3", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["count"] == 3 and report["crossings"] == 0 and report["valid"]
    units = pyogrio.read_dataframe(out, layer="units")
    assert units["grid_id"].nunique() == 3
    grids = pyogrio.read_dataframe(out, layer="grids")
    # A (810 households in 6 units) gets 2 grids, B (450 in 3) one: 3 units each.
    assert sorted(grids["units"].tolist()) == [3, 3, 3]
    assert grids["workload"].sum() == sum(100 + 10 * n for n in range(9))
    assert (grids.geometry.geom_type == "Polygon").all()
    assert grids["polsby_popper"].between(0.3, 1).all()


def test_geojson_out_writes_units_and_grids(tmp_path: Path) -> None:
    src = write_blocks(tmp_path / "blocks.geojson")
    out = tmp_path / "plan.geojson"
    result = run(str(src), *BASE, "--band", "250:450", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output
    assert (tmp_path / "plan_grids.geojson").exists()
    assert "grid_id" in pyogrio.read_dataframe(out).columns


def test_graph_json_input(tmp_path: Path) -> None:
    graph = nx.grid_2d_graph(3, 4)
    for node in graph.nodes:
        graph.nodes[node].update({"pop": 10, "county": "X" if node[0] < 2 else "Y"})
    graph = nx.convert_node_labels_to_integers(graph)
    src = tmp_path / "graph.json"
    src.write_text(json.dumps(json_graph.node_link_data(graph, edges="links")))
    out = tmp_path / "graph_plan.json"
    result = run(
        str(src), "--id-column", "id", "--workload-column", "pop", "--group-column", "county",
        "--target-count", "3", "--out", str(out), "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["polsby_popper_mean"] is None  # no geometry, no shape
    planned = json_graph.node_link_graph(json.loads(out.read_text()), edges="links")
    grids_x = {planned.nodes[n]["grid_id"] for n in planned if planned.nodes[n]["county"] == "X"}
    assert len(grids_x) == 2  # X holds 8 of 12 units → 2 of the 3 grids


def test_database_input(tmp_path: Path, engine, pg_url: str) -> None:
    out = tmp_path / "db.gpkg"
    result = run(
        "db:369901", "--id-column", "code", "--workload-column", "workload",
        "--group-column", "community_code", "--band", "1000:2000",
        "--from-plan", "plan_unified", "--out", str(out), "--json",
        env={"GRIDMAP_DATABASE_URL": pg_url},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["units"] == 9 and report["crossings"] == 0
    assert report["units_moved"] is not None


@pytest.mark.parametrize(
    ("overrides", "args", "message"),
    [
        ({}, ["--workload-column", "nope"], "unknown column 'nope'"),
        ({"hh": ["x"] + [1] * 8}, [], "must be numeric; unit 'b0' has 'x'"),
        ({"hh": [-5] + [1] * 8}, [], "must not be negative; unit 'b0' has -5"),
        ({"uid": ["b0"] * 2 + [f"b{i}" for i in range(2, 9)]}, [], "duplicate id 'b0'"),
        ({}, ["--target-count", "10"], "larger than the number of units (9)"),
        ({}, ["--target-count", "1"], "smaller than the 2 grids"),
        ({}, ["--band", "500:300"], "is empty"),
        ({}, ["--band", "lots"], "--band must be LOW:HIGH"),
        ({}, ["--band", "9000:9500"], "no community can meet the band"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(tmp_path: Path, overrides, args, message) -> None:
    src = write_blocks(tmp_path / "blocks.gpkg", **overrides)
    out = tmp_path / "plan.gpkg"
    argv = [str(src), *BASE, *args, "--out", str(out)]
    if "--target-count" not in args and "--band" not in args:
        argv += ["--target-count", "3"]
    if "--workload-column" in args:  # later options win: put the bad column last
        argv = [str(src), *BASE, "--target-count", "3", *args, "--out", str(out)]
    result = run(*argv)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()


def test_invalid_geometry_is_named(tmp_path: Path) -> None:
    bow_tie = Polygon([(116.3, 27.9), (116.301, 27.901), (116.301, 27.9), (116.3, 27.901)])
    src = write_blocks(tmp_path / "blocks.gpkg")
    frame = pyogrio.read_dataframe(src)
    frame.loc[4, "geometry"] = bow_tie
    pyogrio.write_dataframe(frame, src)
    out = tmp_path / "plan.gpkg"
    result = run(str(src), *BASE, "--target-count", "3", "--out", str(out))
    assert result.exit_code == 2
    assert "unit 'b4' has invalid geometry: Self-intersection" in result.output
    assert not out.exists()


def test_missing_input_file(tmp_path: Path) -> None:
    result = run(str(tmp_path / "none.gpkg"), *BASE, "--target-count", "3", "--out", "x.gpkg")
    assert result.exit_code == 2 and "no such file" in result.output
