"""The band rule — under below the low bound, over above the high one, in between inclusive — is
written once (gis.workload), for Python and for SQL, and both say the same thing."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from gis.workload import band_sql, band_status

BAND = (300.0, 500.0)
VALUES = [0.0, 299.99, 300.0, 300.01, 400.0, 499.99, 500.0, 500.01, 9000.0]
EXPECTED = ["under", "under", "in", "in", "in", "in", "in", "over", "over"]


def test_a_grid_on_a_bound_is_in_the_band() -> None:
    assert [band_status(v, *BAND) for v in VALUES] == EXPECTED
    assert band_status(np.array(VALUES), *BAND).tolist() == EXPECTED
    assert band_status([], *BAND).tolist() == []


@pytest.mark.parametrize("bounds", [BAND, (":low", ":high")], ids=["literals", "parameters"])
def test_sql_and_python_agree(conn, bounds) -> None:
    sql = f"SELECT {band_sql('w', *bounds)} FROM unnest(CAST(:ws AS float8[])) AS t(w)"
    params = {"ws": VALUES, "low": BAND[0], "high": BAND[1]}
    assert conn.execute(text(sql), params).scalars().all() == EXPECTED


def test_sql_bounds_are_numbers_or_bind_parameters() -> None:
    with pytest.raises(ValueError, match="bind parameter"):
        band_sql("g.workload", "300; DROP TABLE grid", 500)


#: The shapes the rule had when it was written in five places (SQL CASEs, np.select, masks).
COPIES = re.compile(
    r"THEN\s+'under'|\[\s*['\"]under['\"],\s*['\"]over['\"]|BETWEEN\s+:low\s+AND\s+:high"
    r"|<\s*:low\b|<\s*band\[0\]|>=\s*used\[0\]"
)


def test_no_other_module_writes_the_rule() -> None:
    gis = Path(__file__).resolve().parent.parent / "gis"
    writers = sorted(
        str(path.relative_to(gis))
        for path in gis.rglob("*.py")
        if path.name != "workload.py" and COPIES.search(path.read_text(encoding="utf-8"))
    )
    assert writers == []
