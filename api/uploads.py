"""An uploaded file saved where a gis/ reader can open it, and removed afterwards."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import Request, UploadFile

_SAFE = re.compile(r"[^\w.\-]+")  # letters of any script stay: 临川区网格.xlsx


def safe_name(filename: str | None, default: str) -> str:
    """The upload's own name reduced to safe characters (never a path)."""
    return _SAFE.sub("_", Path(filename or default).name) or default


@contextmanager
def saved_upload(request: Request, file: UploadFile, name: str) -> Iterator[Path]:
    """The upload written to ``name`` in a temporary folder under the process's own scratch
    directory (a killed server's uploads are cleaned at its next start), read in 1 MiB chunks."""
    scratch = getattr(request.app.state, "scratch_dir", None)
    with tempfile.TemporaryDirectory(prefix="gridmap-upload-", dir=scratch) as tmp:
        path = Path(tmp) / name
        with path.open("wb") as out:
            while chunk := file.file.read(1 << 20):
                out.write(chunk)
        yield path
