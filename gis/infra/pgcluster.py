"""Gridmap's own private PostGIS cluster: the embedded default when no database URL is set.

Why a private cluster: one command must run the whole product on a fresh machine, without
asking the user to configure a database server. The cluster lives under ``data_dir``, listens
on 127.0.0.1 on a free port and on its own socket directory, and authenticates with a password
generated on first start (kept in ``data_dir/password``, mode 0600).

PostgreSQL refuses to run as root, so when Gridmap runs as root the server processes run as the
``postgres`` system user (``runuser``); as a normal user they run as that user.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from gis.errors import DatabaseUnavailable
from gis.infra.pgprocess import find_bindir, free_port, pid_alive, port_in_use, serves

log = logging.getLogger(__name__)

DB_NAME = "gridmap"
DB_USER = "gridmap"
SERVER_USER = "postgres"  # the system account that runs the server when we are root


@dataclass(frozen=True)
class ClusterStatus:
    """What is true about the cluster right now, read from the server, not from our notes."""

    state: str  # "running" | "stopped" | "absent"
    data_dir: Path
    port: int | None = None
    pid: int | None = None
    detail: str = ""

    def describe(self) -> str:
        if self.state == "running":
            return f"running (pid {self.pid}, port {self.port}, data {self.data_dir})"
        if self.state == "stopped":
            return f"stopped (data {self.data_dir}){': ' + self.detail if self.detail else ''}"
        return f"absent: no cluster under {self.data_dir} yet (`gridmap db start` creates it)"


class Cluster:
    """A PostGIS cluster owned by Gridmap under ``data_dir``."""

    def __init__(self, data_dir: Path, *, fast: bool = False) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.pgdata = self.data_dir / "pgdata"
        self.log_file = self.data_dir / "postgres.log"
        self.meta_file = self.data_dir / "cluster.json"
        self.password_file = self.data_dir / "password"
        # fast: durability off, for throwaway test clusters only.
        self.fast = fast
        self.as_root = os.geteuid() == 0

    # -- paths and users ------------------------------------------------------------------
    @property
    def socket_dir(self) -> Path:
        """Own socket directory; unix socket paths are limited to ~107 bytes, so long data
        directories get a short one under /tmp named after them."""
        preferred = self.data_dir / "run"
        if len(str(preferred)) < 80:
            return preferred
        digest = hashlib.sha1(str(self.data_dir).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"gridmap-{digest}"

    def _cmd(self, *args: str | Path) -> list[str]:
        argv = [str(a) for a in args]
        if self.as_root:
            return ["runuser", "-u", SERVER_USER, "--", *argv]
        return argv

    def _run(self, *args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            self._cmd(*args), capture_output=True, text=True, check=False, cwd="/"
        )
        if check and proc.returncode != 0:
            raise DatabaseUnavailable(
                f"数据库命令执行失败（退出码 {proc.returncode}），详见 "
                f"{self.log_file} ("
                f"`{' '.join(str(a) for a in args)}` failed (exit {proc.returncode}): "
                f"{(proc.stderr or proc.stdout).strip()[-800:]}"
                f" — see {self.log_file})"
            )
        return proc

    def _chown_server(self, path: Path) -> None:
        if self.as_root:
            shutil.chown(path, SERVER_USER, SERVER_USER)

    def _ensure_reachable(self) -> None:
        """As root, the ``postgres`` user must be able to traverse down to ``data_dir``.

        Home directories are often 0700; we add only the search bit (o+x, no listing) to the
        ancestors that lack it, and say so.
        """
        if not self.as_root:
            return
        for parent in [*reversed(self.data_dir.parents), self.data_dir]:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                log.warning(
                    "granting search permission (o+x) on %s so postgres can reach it", parent
                )
                parent.chmod(mode | 0o001)

    # -- meta -----------------------------------------------------------------------------
    def _read_meta(self) -> dict[str, int]:
        try:
            data = json.loads(self.meta_file.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write_meta(self, **values: int) -> None:
        meta = self._read_meta() | values
        self.meta_file.write_text(json.dumps(meta))

    def password(self) -> str:
        try:
            return self.password_file.read_text().strip()
        except OSError as exc:
            raise DatabaseUnavailable(
                f"{self.password_file} 处没有密码文件：请先运行 `gridmap d"
                "b start` ("
                f"no password file at {self.password_file}: run `gridmap db start` first)"
            ) from exc

    @property
    def initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def url(self, port: int | None = None) -> str:
        port = port or self._read_meta().get("port")
        if not port:
            raise DatabaseUnavailable(
                "数据库集群尚无端口：请运行 `gridmap db start` ("
                "the cluster has no port yet: run `gridmap db start`)"
            )
        return f"postgresql+psycopg://{DB_USER}:{self.password()}@127.0.0.1:{port}/{DB_NAME}"

    # -- lifecycle ------------------------------------------------------------------------
    def init(self) -> None:
        """Create the cluster directory (idempotent)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._ensure_reachable()
        if self.initialised:
            return
        bindir = find_bindir()
        if self.pgdata.exists():  # a half-made cluster from an interrupted init
            shutil.rmtree(self.pgdata)
        self.pgdata.mkdir(mode=0o700)
        self._chown_server(self.pgdata)
        if not self.password_file.exists():
            fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(24))
        # initdb reads the password from a file the server user can read; remove it at once.
        with tempfile.NamedTemporaryFile("w", delete=False, dir=self.data_dir) as pw:
            pw.write(self.password())
        pwfile = Path(pw.name)
        try:
            self._chown_server(pwfile)
            self._run(
                bindir / "initdb",
                "-D",
                self.pgdata,
                "-U",
                DB_USER,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        log.info("initialised a PostGIS cluster in %s", self.pgdata)

    def _postmaster(self) -> tuple[int, int] | None:
        """(pid, port) of the live server from postmaster.pid, or None; removes a stale file."""
        pidfile = self.pgdata / "postmaster.pid"
        try:
            lines = pidfile.read_text().splitlines()
            pid, port = int(lines[0]), int(lines[3])
        except (OSError, ValueError, IndexError):
            return None
        if serves(pid, self.pgdata):
            return pid, port
        log.warning("removing stale %s (pid %s is not this cluster's postgres)", pidfile, pid)
        with contextlib.suppress(OSError):
            pidfile.unlink()
        return None

    def status(self) -> ClusterStatus:
        if not self.initialised:
            return ClusterStatus("absent", self.data_dir)
        live = self._postmaster()
        if live is None:
            return ClusterStatus("stopped", self.data_dir, port=self._read_meta().get("port"))
        pid, port = live
        if not self._accepts_connections(port):
            return ClusterStatus(
                "stopped", self.data_dir, port, pid, "server process present but not accepting"
            )
        return ClusterStatus("running", self.data_dir, port=port, pid=pid)

    def _accepts_connections(self, port: int) -> bool:
        try:
            with psycopg.connect(
                host="127.0.0.1",
                port=port,
                user=DB_USER,
                password=self.password(),
                dbname="postgres",
                connect_timeout=3,
            ):
                return True
        except (psycopg.Error, DatabaseUnavailable):
            return False

    def start(self) -> ClusterStatus:
        """Start the server (creating the cluster first if needed) and return its status.

        Already running → nothing is done. A server killed with -9 leaves a postmaster.pid
        behind; we drop it when its pid is not a live postgres and start afresh.
        """
        self.init()
        current = self.status()
        if current.state == "running":
            return current
        if current.pid and not pid_alive(current.pid):
            current = self.status()
        port = self._read_meta().get("port")
        if not port or port_in_use(port):
            port = free_port()
        sock = self.socket_dir
        sock.mkdir(parents=True, exist_ok=True)
        self._chown_server(sock)
        if not self.log_file.exists():
            self.log_file.touch()
        self._chown_server(self.log_file)
        options = [
            f"-c port={port}",
            "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={sock}",
        ]
        if self.fast:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        bindir = find_bindir()
        last_error: DatabaseUnavailable | None = None
        for _attempt in range(5):  # orphaned backends of a killed server need a moment to exit
            try:
                self._run(
                    bindir / "pg_ctl",
                    "start",
                    "-w",
                    "-t",
                    "60",
                    "-D",
                    self.pgdata,
                    "-l",
                    self.log_file,
                    "-o",
                    " ".join(options),
                )
                break
            except DatabaseUnavailable as exc:
                last_error = exc
                self._postmaster()  # drops a stale pid file if there is one
                time.sleep(1)
        else:
            assert last_error is not None
            raise last_error
        self._write_meta(port=port)
        self._ensure_database(port)
        status = self.status()
        log.info("PostGIS %s", status.describe())
        return status

    def _ensure_database(self, port: int) -> None:
        with psycopg.connect(
            host="127.0.0.1",
            port=port,
            user=DB_USER,
            password=self.password(),
            dbname="postgres",
            autocommit=True,
        ) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DB_NAME}"')

    def stop(self) -> ClusterStatus:
        live = self._postmaster()
        if live is not None:
            proc = self._run(
                find_bindir() / "pg_ctl", "stop", "-w", "-m", "fast", "-D", self.pgdata, check=False
            )
            if proc.returncode != 0 and serves(live[0], self.pgdata):
                os.kill(live[0], signal.SIGQUIT)  # immediate shutdown
        return self.status()

    def destroy(self) -> None:
        """Stop and delete everything (tests use this for their throwaway clusters)."""
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        if self.socket_dir != self.data_dir / "run":
            shutil.rmtree(self.socket_dir, ignore_errors=True)
