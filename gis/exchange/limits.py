"""Refusing decompression bombs and endless files before they cost memory or minutes.

A 1 MB zip can hold a 1 GiB .dbf, and a 0.6 MB workbook can hold a sheet that takes a minute to
parse. So an archive is measured by what its central directory declares — number of members, the
sum of their sizes, each member's compression ratio — before a byte is unpacked (Python's
:mod:`zipfile` never inflates a member past its declared size, so the declaration binds); rows are
counted while they are read; and the import as a whole runs against a :class:`Deadline`.
Every refusal names the limit and the setting that raises it.
"""

from __future__ import annotations

import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, OperationalError

from gis.errors import Invalid, TooLarge
from gis.infra.settings import ImportLimits

#: Members smaller than this are not held to the ratio (a tiny .cpg or an empty sheet packs well).
RATIO_FLOOR = 1 << 20
ENV = "GRIDMAP_IMPORT_"


def _mb(n: float) -> str:
    return f"{n / (1 << 20):,.1f} MiB"


def check_archive(path: Path, shown: str, limits: ImportLimits) -> list[zipfile.ZipInfo]:
    """The members of the zip at ``path`` if it is within the limits; :class:`TooLarge` if not."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise Invalid(
            f"{shown}：不是可读取的 zip 压缩包 ({shown}: not a readable zip archive ({exc}))",
            reason="unreadable",
        ) from exc
    if len(members) > limits.max_members:
        raise TooLarge(
            f"{shown} 含 {len(members):,} 个文件，一次导入最多 "
            f"{limits.max_members:,} 个 ("
            f"{shown} holds {len(members):,} files; an import takes at most "
            f"{limits.max_members:,} ({ENV}MAX_MEMBERS))",
            limit="max_members",
        )
    total = sum(m.file_size for m in members)
    if total > limits.max_uncompressed_bytes:
        raise TooLarge(
            f"{shown} 解压后为 {_mb(total)}，超过导入上限 "
            f"{_mb(limits.max_uncompressed_bytes)}：请拆分文件 ("
            f"{shown} unpacks to {_mb(total)}; an import may unpack to at most "
            f"{_mb(limits.max_uncompressed_bytes)} ({ENV}MAX_UNCOMPRESSED_BYTES): split the file)",
            limit="max_uncompressed_bytes",
        )
    for m in members:
        if m.file_size > RATIO_FLOOR and m.file_size > limits.max_ratio * max(m.compress_size, 1):
            ratio = m.file_size / max(m.compress_size, 1)
            raise TooLarge(
                f"{shown}：{m.filename} 压缩比为 {ratio:,.0f}:1，超过导入"
                f"上限 {limits.max_ratio:,.0f}:1 ("
                f"{shown}: {m.filename} is compressed {ratio:,.0f} to 1; an import takes at most "
                f"{limits.max_ratio:,.0f} to 1 ({ENV}MAX_RATIO), which real data stay well under)",
                limit="max_ratio",
            )
    return members


def check_rows(rows: int, shown: str, limits: ImportLimits) -> None:
    """:class:`TooLarge` if ``rows`` is over the row limit."""
    if rows > limits.max_rows:
        raise TooLarge(
            f"{shown} 超过 {limits.max_rows:,} 行：请拆分文件 ("
            f"{shown} holds more than {limits.max_rows:,} rows ({ENV}MAX_ROWS): split the file)",
            limit="max_rows",
        )


@dataclass
class Deadline:
    """The time budget of one import, started when the import starts."""

    seconds: float
    shown: str
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def of(cls, limits: ImportLimits, shown: str) -> Deadline:
        return cls(limits.max_seconds, shown)

    @property
    def left(self) -> float:
        return self.seconds - (time.monotonic() - self.started)

    def check(self, doing: str) -> None:
        """:class:`~gis.errors.Invalid` (422) if the budget is spent."""
        if self.left <= 0:
            raise self.spent(doing)

    def spent(self, doing: str) -> Invalid:
        return Invalid(
            f"{self.shown}: the import took longer than {self.seconds:g} s ({ENV}MAX_SECONDS) "
            f"while {doing}; nothing was imported: split the file",
            limit="max_seconds",
        )

    @contextmanager
    def in_database(self, conn: Connection) -> Iterator[None]:
        """Run the block under a statement timeout of the time left; restore it after."""
        self.check("starting to write")
        before = conn.exec_driver_sql("SHOW statement_timeout").scalar_one()
        # LOCAL: it ends with the transaction whatever happens, never outliving it in the pool.
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {max(int(self.left * 1000), 1)}")
        try:
            yield
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) == "57014":  # query_canceled
                raise self.spent("writing to the database") from exc
            raise
        finally:
            with suppress(DBAPIError):  # an aborted transaction: the caller rolls it back
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = '{before}'")
