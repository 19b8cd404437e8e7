"""一表同享: the shipped forms, one filled by hand-made November data in the tiny city, a
department's own template, and the mistakes a template can make.

In grid G1 (``t-worker``'s) in November 2026: a 消防隐患 reported on the 3rd and closed
satisfied on the 5th, a 安全隐患 reported on the 10th and still open, a 环境卫生 report (not a
hazard); t-worker checked in for an inspection (6th), at a key place (7th) and on a visit (8th).
The 应急 form's G1 row: 2 buildings, 2 inspection check-ins, 2 hazards found, 1 put right, 1
open; 重大隐患 needs a hand (blank). G2 and G3: nothing.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Connection, Engine, text
from typer.testing import CliRunner

from gis.chinatime import CHINA
from gridmap_cli.main import app as cli_app
from tests.conftest import ClientAs
from tests.tiny_city import COMMUNITY_A, STREET

G1 = f"{COMMUNITY_A}001"
GRID = (
    "(SELECT g.id FROM grid g JOIN grid_layer l ON l.id = g.layer_id "
    "WHERE l.code = 'unified' AND g.code = :grid)"
)
WORKER = "(SELECT id FROM app_user WHERE username = 't-worker')"


def nov(day: int) -> dt.datetime:
    return dt.datetime(2026, 11, day, 10, tzinfo=CHINA)


@pytest.fixture
def november(conn: Connection) -> None:
    for code, category, reported, evaluated in (
        ("YB-1", "消防隐患", nov(3), nov(5)),
        ("YB-2", "安全隐患", nov(10), None),
        ("YB-3", "环境卫生", nov(4), None),
    ):
        conn.execute(
            text(
                "INSERT INTO incident (code, category, reported_at, reporter_kind, state, geom, "
                "grid_id, evaluated_at, satisfied) VALUES (:code, :category, :reported, "
                "'grid_worker', :state, ST_SetSRID(ST_MakePoint(116.001, 27.5005), 4326), "
                f"{GRID}, :evaluated, :ok)"
            ),
            {
                "code": code,
                "category": category,
                "reported": reported,
                "evaluated": evaluated,
                "state": "evaluated" if evaluated else "reported",
                "ok": True if evaluated else None,
                "grid": G1,
            },
        )
    for kind, day in (("inspection", 6), ("key_place", 7), ("visit", 8)):
        conn.execute(
            text(
                "INSERT INTO check_in (user_id, grid_id, kind, at, geom) VALUES "
                f"({WORKER}, {GRID}, :kind, :at, ST_SetSRID(ST_MakePoint(116.0005, 27.5005), 4326))"
            ),
            {"kind": kind, "at": nov(day), "grid": G1},
        )


def _sheet(answer: Any) -> list[tuple[Any, ...]]:
    assert answer.status_code == 200, answer.text
    return list(load_workbook(io.BytesIO(answer.content)).active.iter_rows(values_only=True))


def test_the_forms_and_what_the_data_fill(client_as: ClientAs) -> None:
    forms = client_as("t-county").get("/forms").json()["forms"]
    relief = {f["form"]: (len(f["from_data"]), f["columns"], f["by_hand"]) for f in forms}
    assert relief == {
        "minzheng_elderly": (8, 10, ["独居老人数（人）", "探访独居老人（人次）"]),
        "yingji_hazards": (8, 9, ["重大隐患挂牌督办（件）"]),
        "zongzhi_disputes": (6, 8, ["涉及人数（人）", "移交司法（件）"]),
    }


def test_the_hazard_form_filled(november: None, client_as: ClientAs, conn: Connection) -> None:
    rows = _sheet(
        client_as("t-county").get(
            "/forms/yingji_hazards/fill", params={"month": "2026-11", "area": STREET}
        )
    )
    assert rows[0][0] == "安全隐患排查整治月报表"
    assert "应急管理局" in rows[1][0] and "2026-11" in rows[1][0]
    assert rows[2][-1] == "重大隐患挂牌督办（件）（需人工填写）"
    g1_name = conn.execute(text(f"SELECT name FROM grid WHERE id = {GRID}"), {"grid": G1}).scalar()
    body = [r for r in rows[3:] if r and r[0] is not None and not str(r[0]).startswith("数据")]
    assert len(body) == 3  # G1, G2, G3 of the street
    assert body[0] == ("测试街道", "甲社区", g1_name, 2, 2, 2, 1, 1, None)
    assert all(r[4:8] == (0, 0, 0, 0) for r in body[1:])
    assert rows[-1][0].startswith(
        "数据自动填写 8 列 / 共 9 列（89%）；需人工填写：重大隐患挂牌督办"
    )


BAD = [
    ('title = "x"\ndepartment = "y"\n[[columns]]\ntitle = "运气"\nfield = "luck"\n', "luck"),
    (
        'title = "x"\ndepartment = "y"\n[[columns]]\ntitle = "a"\nfield = "incidents.open"\n'
        'categories = ["火星人"]\n',
        "火星人",
    ),
    (
        'title = "x"\ndepartment = "y"\n[[columns]]\ntitle = "a"\nfield = "households"\n'
        'kinds = ["visit"]\n',
        "kinds",
    ),
    ('title = "x"\ndepartment = "y"\nrows = "grid"\ncolumns = 3\n', "columns"),
    ('title = "x"\n[[columns\n', "TOML"),
]


@pytest.mark.parametrize(("source", "named"), BAD)
def test_a_bad_template_is_refused_naming_the_problem(
    client_as: ClientAs, source: str, named: str
) -> None:
    answer = client_as("t-county").post("/forms/check", json={"template": source})
    assert answer.status_code == 422, answer.text
    assert named in answer.json()["detail"]


def test_refusals(client_as: ClientAs) -> None:
    county: TestClient = client_as("t-county")
    assert county.get("/forms/yingji_hazards/fill", params={"area": "361002"}).status_code == 403
    assert county.get("/forms/nothing_here/fill").status_code == 404
    assert county.get("/forms/yingji_hazards/fill", params={"month": "2026-13"}).status_code == 422
    own = (
        'title = "自定/表"\ndepartment = "司法局"\nrows = "community"\n'
        '[[columns]]\ntitle = "社区"\nfield = "community.name"\n'
    )
    filled = _sheet(county.post("/forms/fill", params={"month": "2026-11"}, json={"template": own}))
    assert [r[0] for r in filled[3:5]] == ["甲社区", "乙村"]


def test_the_cli(
    engine: Engine, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", pg_url)
    monkeypatch.setenv("GRIDMAP_DATA_DIR", str(tmp_path))
    cli = CliRunner()
    listed = cli.invoke(cli_app, ["forms", "list"])
    assert listed.exit_code == 0, listed.output
    assert "zongzhi_disputes\t综治中心" in listed.output and "6/8 (75%)" in listed.output
    out = tmp_path / "disputes.xlsx"
    filled = cli.invoke(
        cli_app,
        [
            "forms",
            "fill",
            "zongzhi_disputes",
            "--month",
            "2026-11",
            "--scope",
            f"street:{STREET}",
            "-o",
            str(out),
        ],
    )
    assert filled.exit_code == 0, filled.output
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[3:5]] == ["甲社区", "乙村"]
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD[0][0], encoding="utf-8")
    refused = cli.invoke(cli_app, ["forms", "fill", "--template", str(bad)])
    assert refused.exit_code == 2, refused.output
    assert "luck" in refused.output and "bad.toml" in refused.output
