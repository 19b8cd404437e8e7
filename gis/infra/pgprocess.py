"""The machine around Gridmap's private cluster: which PostgreSQL binaries to run, which port is
free, and whether a pid in ``postmaster.pid`` is still *our* server.

Apart from :mod:`gis.infra.pgcluster` because these questions are asked of the operating system
(``/proc``, sockets, the package layout), not of the cluster; each is answered afresh, never
from notes that a crash could leave stale.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
from pathlib import Path

from gis.errors import DatabaseUnavailable

PG_GLOB = "/usr/lib/postgresql/*/bin"


def find_bindir() -> Path:
    """The newest PostgreSQL bin directory whose server has the PostGIS extension installed."""
    candidates = sorted(
        Path("/").glob(PG_GLOB.lstrip("/")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for bindir in candidates:
        version = bindir.parent.name
        if (bindir / "initdb").exists() and Path(
            f"/usr/share/postgresql/{version}/extension/postgis.control"
        ).exists():
            return bindir
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        bindir = Path(out.stdout.strip())
        if (bindir / "initdb").exists():
            return bindir
    raise DatabaseUnavailable(
        "未找到带 PostGIS 的 PostgreSQL 服务器：请安装，或将 GRID"
        "MAP_DATABASE_URL 设为 PostGIS 3 数据库 ("
        "No PostgreSQL server with PostGIS found. Install it (Debian: "
        "`apt-get install postgresql-15-postgis-3`) or set GRIDMAP_DATABASE_URL to a PostGIS 3 "
        "database.)"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on at this moment."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_postgres(pid: int) -> bool:
    """True when ``pid`` is a live postgres server (a recycled pid of another program is not)."""
    if not pid_alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    first = cmdline.split(b"\0", 1)[0]
    return first.endswith((b"postgres", b"postmaster"))


def postmaster_data_dir(pid: int) -> Path | None:
    """The data directory a live postgres ``pid`` serves: its ``-D`` argument, else its working
    directory (the postmaster changes into its data directory); None when neither can be read."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    for flag, value in zip(argv, argv[1:], strict=False):
        if flag == b"-D" and value:
            return Path(os.fsdecode(value))
        if flag.startswith(b"-D") and len(flag) > 2:
            return Path(os.fsdecode(flag[2:]))
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return None


def serves(pid: int, pgdata: Path) -> bool:
    """True when ``pid`` is a live postgres serving ``pgdata``: a pid in postmaster.pid that was
    recycled by another program, or by the postgres of *another* cluster, is not ours."""
    if not is_postgres(pid):
        return False
    served = postmaster_data_dir(pid)
    if served is None:
        return True  # cannot tell (another user's process): never drop a live server's pid file
    with contextlib.suppress(OSError):
        return served.resolve() == pgdata.resolve()
    return True
