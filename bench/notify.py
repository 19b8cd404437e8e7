"""The notification outbox delivering to a live SMTP server: messages per minute on this machine.

A scratch PostGIS with the sample city; N open incidents get a reporter's email and are moved
one step through the loop by ``gis.incidents.workflow.transition`` (the outbox rows are written
by those moves, as in production), plus one email subscriber of every grid they lie in — so a
move queues a message for its reporter and one for its grid's subscriber (when it has a grid).
Then W delivery workers (separate processes, each its own connection,
``gis.notify.worker.deliver_once`` in a loop with batch B) send them to an aiosmtpd server
running in its own process, which writes every Message-ID it accepts to a file. Reported: the
time to write the moves (with their outbox rows), messages per minute delivered, and that the
server got every message exactly once (unique Message-IDs = rows marked sent). Goal: 1,000/min.

Then, if cheap, the figures with merged duplicates: M pairs of open incidents of one category
are merged; the figures' problems drop by exactly M and their reports stay what the total was.

    python bench/notify.py [--n 3000] [--workers 1,2] [--batch 100] [--merges 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import socket
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scratch_city import sample_city_database  # noqa: E402

from gis.access import Access  # noqa: E402
from gis.incidents.figures import figures  # noqa: E402
from gis.incidents.merging import merge  # noqa: E402
from gis.incidents.workflow import transition  # noqa: E402
from gis.infra.db import make_engine  # noqa: E402

SYSTEM = Access.system("system:bench")
NEXT = {"reported": "dispatch", "dispatched": "sign", "signed": "handle", "handled": "feed_back"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _smtp_server(port: int, log: str, ready: mp.Event, stop: mp.Event) -> None:
    from aiosmtpd.controller import Controller

    class Log:
        def __init__(self) -> None:
            self.out = open(log, "a", buffering=1)  # noqa: SIM115 - open for the server's life

        async def handle_DATA(self, server, session, envelope):  # noqa: N802, ARG002
            for line in envelope.content.splitlines():
                if line.lower().startswith(b"message-id:"):
                    self.out.write(line.split(b":", 1)[1].strip().decode() + "\n")
                    break
            return "250 OK"

    controller = Controller(Log(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


def _worker(url: str, port: int, batch: int, done: mp.Value) -> None:
    from gis.notify.channels import SmtpChannel
    from gis.notify.worker import deliver_once

    engine = make_engine(url)
    channels = {"email": SmtpChannel("127.0.0.1", port, "gridmap@bench.example")}
    sent = 0
    while True:
        result = deliver_once(engine, channels, batch=batch)
        sent += result.sent
        if result.claimed == 0:
            break
    with done.get_lock():
        done.value += sent
    engine.dispose()


def _queue_moves(url: str, n: int) -> tuple[int, float]:
    engine = make_engine(url)
    with engine.begin() as conn:
        rows = conn.execute(
            text(
                "SELECT id, code, state FROM incident WHERE state = ANY(:s) "
                "AND merged_into_id IS NULL ORDER BY id LIMIT :n"
            ),
            {"s": list(NEXT), "n": n},
        ).all()
        conn.execute(
            text(
                "UPDATE incident SET reporter_email = 'r' || id || '@example.org' "
                "WHERE id = ANY(:i)"
            ),
            {"i": [r.id for r in rows]},
        )
        user = conn.execute(text("SELECT id FROM app_user ORDER BY id LIMIT 1")).scalar()
        if user is None:
            from gis.accounts import Role, create_user
            from gis.scope import Scope

            user = create_user(
                conn, username="bench-sub", password="bench-password-123456", role=Role.ADMIN,
                scope=Scope.city(), display_name="bench", access=SYSTEM,
            ).id  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO incident_subscription "
                "(user_id, grid_id, channel, address, created_at) SELECT DISTINCT :u, grid_id, "
                "'email', 'grid' || grid_id || '@example.org', now() "
                "FROM incident WHERE id = ANY(:i) AND grid_id IS NOT NULL"
            ),
            {"u": user, "i": [r.id for r in rows]},
        )
    started = time.perf_counter()
    with engine.begin() as conn:
        for row in rows:
            action = NEXT[row.state]
            note = "bench" if action == "handle" else None
            transition(conn, row.code, action, note=note, access=SYSTEM)
    seconds = time.perf_counter() - started
    with engine.connect() as conn:
        queued = conn.execute(text("SELECT count(*) FROM notification_outbox")).scalar_one()
    engine.dispose()
    return int(queued), seconds


def _deliver(url: str, workers: int, batch: int) -> tuple[int, float, int, int]:
    port = _free_port()
    with tempfile.NamedTemporaryFile(suffix=".log", delete=False) as f:
        log = f.name
    ready, stop = mp.Event(), mp.Event()
    server = mp.Process(target=_smtp_server, args=(port, log, ready, stop))
    server.start()
    ready.wait(30)
    done = mp.Value("i", 0)
    started = time.perf_counter()
    procs = [mp.Process(target=_worker, args=(url, port, batch, done)) for _ in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    seconds = time.perf_counter() - started
    stop.set()
    server.join(30)
    ids = Path(log).read_text().splitlines()
    Path(log).unlink()
    return done.value, seconds, len(ids), len(set(ids))


def _merge_figures(url: str, pairs: int) -> tuple[int, int, int, int, int]:
    engine = make_engine(url)
    with engine.begin() as conn:
        before = figures(conn, "category", access=SYSTEM)["total"]
        rows = conn.execute(
            text(
                "SELECT category, array_agg(code ORDER BY id) AS codes FROM incident "
                "WHERE state NOT IN ('evaluated') AND merged_into_id IS NULL "
                "GROUP BY category"
            )
        ).all()
        merged = 0
        for row in rows:
            codes = row.codes
            for k in range(0, len(codes) - 1, 2):
                if merged >= pairs:
                    break
                merge(conn, codes[k], [codes[k + 1]], access=SYSTEM, now=dt.datetime.now(dt.UTC))
                merged += 1
        after = figures(conn, "category", access=SYSTEM)["total"]
        by_rows = sum(r["total"] for r in figures(conn, "category", access=SYSTEM)["rows"])
        conn.rollback()
    engine.dispose()
    return merged, before["total"], after["total"], after["reports"], by_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=3000, help="incidents moved (2 messages each)")
    parser.add_argument("--workers", default="1,2", help="worker processes to try, comma-separated")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--merges", type=int, default=200)
    args = parser.parse_args()
    with sample_city_database() as url:
        print(f"{'workers':>7} {'batch':>5} {'queued':>7} {'write s':>8} {'sent':>6} "
              f"{'deliver s':>9} {'per min':>8} {'smtp got':>8} {'unique':>6}")  # fmt: skip
        for workers in (int(w) for w in args.workers.split(",")):
            engine = make_engine(url)
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM notification_outbox"))
                conn.execute(text("DELETE FROM incident_subscription"))
            engine.dispose()
            queued, write_s = _queue_moves(url, args.n)
            sent, seconds, got, unique = _deliver(url, workers, args.batch)
            print(f"{workers:>7} {args.batch:>5} {queued:>7} {write_s:>8.1f} {sent:>6} "
                  f"{seconds:>9.1f} {sent / seconds * 60:>8.0f} {got:>8} {unique:>6}")  # fmt: skip
        if args.merges:
            merged, before, after, reports, by_rows = _merge_figures(url, args.merges)
            print(f"\nmerged {merged} pairs: problems {before} → {after} "
                  f"(expected {before - merged}); reports {reports} (expected {before}); "
                  f"sum of category rows {by_rows}")  # fmt: skip


if __name__ == "__main__":
    main()
