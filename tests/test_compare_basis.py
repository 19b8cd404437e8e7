"""Issue 14 item 8: a comparison scores every plan on one declared basis — each scenario by the
weights and band it was run with — so that the table, the histograms, the maps and the printed
report give the same share in band for the same plan.

Two scenarios of the tiny city are run with different weights and bands; each one's figure is
read four ways and must agree.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection

from tests.test_scenarios import _create, _run


def _map_share(client, layer: str) -> tuple[float, list[float]]:
    fc = client.get(f"/layers/{layer}/grids").json()
    bands = [f["properties"]["band"] for f in fc["features"]]
    return bands.count("in") / len(bands), fc["band"]


def test_each_plan_is_scored_by_its_own_definition_everywhere(client_as, conn: Connection) -> None:
    client = client_as("t-county")
    # Three grids of ~1,500 households: in A's band by households, in B's band only when
    # households count twice (B's own weights).
    a = _create(client, name="按户", target_count=3, band=[1000, 2000])["id"]
    b = _create(
        client,
        name="按户×2",
        target_count=3,
        band=[2000, 4000],
        weights={"households": 2, "population": 0, "buildings": 0,
                 "incidents_per_year": 0, "care_people": 0},
    )["id"]  # fmt: skip
    _run(conn)
    compared = client.get(f"/scenarios/compare?a={a}&b={b}&c=unified")
    assert compared.status_code == 200, compared.text
    body = compared.json()
    assert body["basis"] == "own" and "运行时的工作量权重" in body["basis_label"]
    items = {m["scenario_id"]: m for m in body["items"] if m["scenario_id"]}
    for sid, band in ((a, [1000, 2000]), (b, [2000, 4000])):
        m = items[sid]
        assert m["band"] == band and m["definition"] == "scenario"
        own = client.get(f"/scenarios/{sid}").json()["report"]["metrics"]
        assert m["share_in_band"] == own["share_in_band"]  # table = the run's own report
        share, map_band = _map_share(client, m["code"])
        assert map_band == band and share == m["share_in_band"]  # table = the map's colours
        # The histogram counts the same grids, the band drawn is the plan's own.
        assert sum(m["histogram"]["counts"]) == m["grid_count"] == 3
        page = client.get(f"/scenarios/{sid}/report").text
        cells = re.search(r"达标比例 Share in band</th><td>([\d.]+)%", page)
        assert cells, page
        assert float(cells.group(1)) == round(100 * m["share_in_band"], 1)  # = the report
    assert items[b]["workload_mean"] == 2 * items[a]["workload_mean"]
    unified = next(m for m in body["items"] if m["code"] == "unified")
    assert unified["definition"] == "installation"
