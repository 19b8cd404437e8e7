"""Duplicate suggestions on the sample city's year of incidents: recall, precision and speed.

Known duplicates are generated from the data: for N open incidents, a second report of the same
category 0–40 m away and 0–48 h later (what a neighbour calling 12345 about the same overflowing
bin looks like). For each, ``gis.incidents.duplicates.possible_duplicates`` is asked at that
point and time, as the intake would ask. Recall@5: the original is among the five suggestions;
precision@1: the first suggestion is the original. Controls: N reports at random places and
times of random categories, not copies of anything; the false-alarm rate is the share that get
any suggestion (they may hit a real, unlabelled duplicate: the sample year has clusters).

Speed: p50/p95 of one suggestion over the year (goal ≤ 50 ms p95), against the peer query the
index is there to beat: the same filter by geodesic distance without the GiST box.

    python bench/duplicates.py [--n 500] [--database-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import statistics
import time
from typing import Any

from sqlalchemy import Connection, text

from gis.access import Access
from gis.incidents.duplicates import possible_duplicates
from gis.infra.db import make_engine, resolve_url
from gis.infra.settings import load_settings

PEER = """
SELECT i.code FROM incident i
WHERE i.category = :category AND i.state <> 'evaluated'
  AND ST_DWithin(i.geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography, 50)
  AND i.reported_at <= :at AND i.reported_at >= :since
ORDER BY ST_Distance(i.geom::geography,
                     ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography)
LIMIT 5
"""


def _originals(conn: Connection, n: int, rng: random.Random) -> list[dict[str, Any]]:
    rows = conn.execute(
        text(
            "SELECT code, category, reported_at, ST_X(geom) AS lon, ST_Y(geom) AS lat "
            "FROM incident WHERE state <> 'evaluated' ORDER BY code"
        )
    ).mappings()
    everything = [dict(r) for r in rows]
    return rng.sample(everything, min(n, len(everything)))


def _copy(original: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A second report of the same problem: 0–40 m away, 0–48 h later."""
    metres, bearing = rng.uniform(0, 40), rng.uniform(0, 2 * math.pi)
    lat = original["lat"] + metres * math.cos(bearing) / 111_320
    lon = original["lon"] + metres * math.sin(bearing) / (
        111_320 * math.cos(math.radians(original["lat"]))
    )
    later = original["reported_at"] + dt.timedelta(hours=rng.uniform(0, 48))
    return {"lon": lon, "lat": lat, "category": original["category"], "at": later}


def _controls(conn: Connection, n: int, rng: random.Random) -> list[dict[str, Any]]:
    box = conn.execute(
        text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), min_at, max_at FROM ("
            "SELECT ST_Extent(geom) AS e, min(reported_at) AS min_at, max(reported_at) AS max_at "
            "FROM incident) x"
        )
    ).one()
    categories = list(conn.execute(text("SELECT code FROM incident_category")).scalars())
    span = (box[5] - box[4]).total_seconds()
    return [
        {
            "lon": rng.uniform(box[0], box[2]),
            "lat": rng.uniform(box[1], box[3]),
            "category": rng.choice(categories),
            "at": box[4] + dt.timedelta(seconds=rng.uniform(0, span)),
        }
        for _ in range(n)
    ]


def _ask(conn: Connection, query: dict[str, Any], access: Access) -> tuple[list[str], float]:
    started = time.perf_counter()
    found = possible_duplicates(conn, **query, access=access)
    return [d.code for d in found], (time.perf_counter() - started) * 1000


def _peer(conn: Connection, query: dict[str, Any]) -> float:
    started = time.perf_counter()
    conn.execute(
        text(PEER), query | {"since": query["at"] - dt.timedelta(hours=72)}
    ).scalars().all()
    return (time.perf_counter() - started) * 1000


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    rng = random.Random(7)
    engine = make_engine(args.database_url or resolve_url(load_settings()))
    access = Access.system("system:bench")
    with engine.connect() as conn:
        originals = _originals(conn, args.n, rng)
        copies = [_copy(o, rng) for o in originals]
        ours, peer, hits, first, suggested = [], [], 0, 0, 0
        for original, query in zip(originals, copies, strict=True):
            codes, ms = _ask(conn, query, access)
            ours.append(ms)
            peer.append(_peer(conn, query))
            hits += original["code"] in codes
            first += bool(codes) and codes[0] == original["code"]
            suggested += len(codes)
        alarms = [_ask(conn, q, access)[0] for q in _controls(conn, args.n, rng)]
    n = len(originals)
    print(f"Duplicate suggestions, {n} generated duplicates and {n} controls (50 m, 72 h):")
    print(f"  recall@5       {hits / n:6.1%}   (the original among the suggestions)")
    print(f"  precision@1    {first / n:6.1%}   (the first suggestion is the original)")
    print(f"  suggestions    {suggested / n:6.2f}   per duplicate, on average")
    print(f"  false alarms   {sum(bool(a) for a in alarms) / n:6.1%}   of random controls")
    print(f"{'query':<34} {'p50 ms':>7} {'p95 ms':>7}")
    print(f"{'ours (GiST box + geodesic)':<34} {_p(ours, 50):>7.2f} {_p(ours, 95):>7.2f}")
    print(f"{'peer (geodesic only, no index)':<34} {_p(peer, 50):>7.2f} {_p(peer, 95):>7.2f}")


if __name__ == "__main__":
    main()
